"""Benchmark skmlp's MLPs against scikit-learn's, and against a GEMM bound.

Runs :class:`skmlp.MLPClassifierBP` / :class:`skmlp.MLPRegressorBP` and
scikit-learn's :class:`~sklearn.neural_network.MLPClassifier` /
:class:`~sklearn.neural_network.MLPRegressor` on the same data, with the same
parameters and the same pinned number of BLAS threads, in the same process,
interleaved (sklearn, skmlp, sklearn, skmlp, ...), and prints one table:

* seconds per epoch (median and min–max over the repeats; per call for the
  predict workload) and the skmlp/sklearn ratio (the median over rounds of
  each round's ratio);
* achieved GFLOP/s (the useful GEMM FLOPs divided by the time) and the time as
  a multiple of the *GEMM bound*: the time of exactly the matrix products an
  epoch needs (``a @ W`` forward, ``δ @ Wᵀ`` backward except for the first
  layer, ``aᵀ @ δ`` weight gradient), with the same shapes and dtype, into
  preallocated buffers, timed in the same rounds (median over median; the
  JSON also has best over best);
* ``n_iter_`` and the final loss of each, to show that both did the same work;
* the peak memory of each fit (``tracemalloc``, in a separate, untimed pass).

Workloads E–H measure what a user feels beyond the epoch: the latency of
``predict`` and ``predict_proba`` on one row and on ten (and on a one-row
pandas DataFrame, ``df``), the fixed cost of one ``fit`` (``max_iter=1``) and
of one ``partial_fit`` on small data, and a small ``GridSearchCV`` (37 fits).
They time a call (or a loop of calls, divided), have no GEMM bound, and are
interleaved like the others.

Usage::

    python benchmarks/bench_mlp.py [--quick] [--dtype float32|float64|both]
        [--workloads A,B,C,D,E,F,G,H] [--repeats N] [--threads N] [--json PATH]
        [--baseline DIR]

``--baseline DIR`` adds the skmlp of another checkout (say, ``git worktree
add DIR REV``) as a third implementation, interleaved with the others: a
before/after comparison under the same machine conditions.

See ``benchmarks/README.md`` for what each column means.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import numpy as np
import sklearn
from numpy.typing import NDArray
from sklearn.datasets import (
    load_digits,
    load_iris,
    make_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss, zero_one_loss
from sklearn.model_selection import GridSearchCV, ParameterGrid
from sklearn.neural_network import MLPClassifier, MLPRegressor
from threadpoolctl import threadpool_info, threadpool_limits

T = TypeVar("T")

#: Rows of the synthetic data sets (A, B, D) in full and in quick mode.
FULL_ROWS, QUICK_ROWS = 100_000, 20_000

#: The fixed-cost workloads' tasks: timed per call, without a GEMM bound.
FIXED_COST_TASKS = ("latency", "fit_cost", "partial_fit_cost", "grid_search")

#: The grid of workload H: 12 candidates, 3 folds, and the refit: 37 fits.
GRID = {"hidden_layer_sizes": [(10,), (50,)], "alpha": [1e-4, 1e-3, 1e-2],
        "learning_rate_init": [1e-3, 1e-2]}
GRID_FOLDS = 3


@dataclass(frozen=True)
class Workload:
    """One benchmark problem.

    Parameters
    ----------
    key : str
        One-letter name used by ``--workloads``.
    title : str
        Short description printed in the table.
    task : {"classification", "regression", "predict", "latency", "fit_cost", \
            "partial_fit_cost", "grid_search"}
        ``"predict"`` fits the classifier for one epoch, then times
        ``predict_proba`` and ``predict``; ``"latency"`` fits it, then times
        them on one row and on ten; ``"fit_cost"`` times a fresh ``fit``,
        ``"partial_fit_cost"`` one ``partial_fit`` of a fitted model,
        ``"grid_search"`` a ``GridSearchCV`` over :data:`GRID`.
    hidden : tuple of int
        ``hidden_layer_sizes``.
    batch_size : int
        Minibatch size.
    epochs, quick_epochs : int
        ``max_iter`` in full and in ``--quick`` mode.
    rows, quick_rows : int or None
        Number of samples in full and quick mode (``None``: the whole data set).
    calls, quick_calls : int, default=1
        Calls per timed run of a fixed-cost workload (the time is divided by
        it), in full and quick mode.
    """

    key: str
    title: str
    task: str
    hidden: tuple[int, ...]
    batch_size: int
    epochs: int
    quick_epochs: int
    rows: int | None
    quick_rows: int | None
    calls: int = 1
    quick_calls: int = 1


WORKLOADS = {
    w.key: w
    for w in [
        Workload("A", "make_classification, 10 classes, relu, adam", "classification",
                 (256, 128), 256, 3, 1, FULL_ROWS, QUICK_ROWS),
        Workload("B", "make_regression (y standardised), relu, adam", "regression",
                 (256, 128), 256, 3, 1, FULL_ROWS, QUICK_ROWS),
        Workload("C", "load_digits (X standardised), relu, adam", "classification",
                 (100,), 200, 20, 5, None, None),
        Workload("D", "predict_proba / predict with the A network", "predict",
                 (256, 128), 256, 1, 1, FULL_ROWS, QUICK_ROWS),
        Workload("E", "make_classification (20 features, 3 classes), relu, adam; "
                 "latency of one call on 1 and 10 rows, and on a 1-row DataFrame (df)",
                 "latency", (64,), 200, 20, 5, 2_000, 2_000, calls=300, quick_calls=50),
        Workload("F", "load_iris (X standardised); the fixed cost of one fit, "
                 "max_iter=1", "fit_cost", (100,), 64, 1, 1, None, None,
                 calls=20, quick_calls=5),
        Workload("G", "load_iris (X standardised); one partial_fit of a fitted "
                 "model", "partial_fit_cost", (100,), 64, 1, 1, None, None,
                 calls=50, quick_calls=10),
        Workload("H", f"load_iris (X standardised); GridSearchCV, "
                 f"{len(list(ParameterGrid(GRID)))} candidates x {GRID_FOLDS} "
                 "folds + refit", "grid_search", (10,), 64, 50, 10, None, None),
    ]
}


# --------------------------------------------------------------------- data
@cache
def _dataset(key: str, rows: int | None) -> tuple[NDArray, NDArray]:
    """The float64 data of workload ``key`` (A and D share theirs)."""
    if key in ("A", "D"):
        return make_classification(rows, 100, n_informative=50, n_classes=10,
                                   random_state=0)
    if key == "B":
        X, y = make_regression(rows, 100, random_state=0)
        return X, (y - y.mean()) / y.std()
    if key == "E":
        return make_classification(rows, 20, n_informative=10, n_classes=3,
                                   random_state=0)
    X, y = load_iris(return_X_y=True) if key in "FGH" else load_digits(return_X_y=True)
    X = (X - X.mean(axis=0)) / np.maximum(X.std(axis=0), 1e-12)
    return X, y


# --------------------------------------------------------- implementations
def _implementations(baseline: str | None = None
                     ) -> tuple[dict[str, tuple[type, type]], str | None]:
    """``{name: (classifier, regressor)}``, and why skmlp is missing if it is.

    With ``baseline`` (the root of another skmlp checkout), that checkout's
    skmlp is added as ``"baseline"``.
    """
    impls: dict[str, tuple[type, type]] = {"sklearn": (MLPClassifier, MLPRegressor)}
    # Benchmark this checkout's skmlp, whether or not (another) one is installed.
    repo_root = str(Path(__file__).resolve().parents[1])
    if repo_root not in sys.path:
        sys.path.insert(0, repo_root)
    try:
        import skmlp

        impls["skmlp"] = (skmlp.MLPClassifierBP, skmlp.MLPRegressorBP)
    except Exception as exc:  # still being written: benchmark sklearn alone
        return impls, f"{type(exc).__name__}: {exc}"
    if baseline is not None:
        other = _import_package(Path(baseline) / "skmlp", "skmlp_baseline")
        impls["baseline"] = (other.MLPClassifierBP, other.MLPRegressorBP)
    return impls, None


def _import_package(directory: Path, name: str) -> Any:
    """Import the package in ``directory`` under the module name ``name``
    (its modules import each other relatively, so two copies can coexist)."""
    init = directory / "__init__.py"
    if not init.is_file():
        raise SystemExit(f"--baseline: no skmlp package at {directory}")
    spec = importlib.util.spec_from_file_location(
        name, init, submodule_search_locations=[str(directory)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _skmlp_predict_chunk(n_units: Sequence[int]) -> int | None:
    """Rows per chunk skmlp predicts in, or ``None`` if it cannot be told."""
    try:
        from skmlp._network import _PREDICT_CHUNK_VALUES
    except Exception:
        return None
    return max(1, _PREDICT_CHUNK_VALUES // max(n_units))


# ------------------------------------------------------------ measurement
def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """Run ``fn()`` once after a garbage collection; its seconds and result."""
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def peak_mib(fn: Callable[[], Any]) -> float:
    """Peak memory (MiB) traced by ``tracemalloc`` while ``fn()`` runs.

    NumPy reports its data buffers to ``tracemalloc``, so this covers arrays
    as well as Python objects; memory held before the call is not counted.
    """
    gc.collect()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    try:
        fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return (peak - base) / 2**20


def gemm_pass(units: Sequence[int], n_rows: int, batch_size: int, dtype: np.dtype,
              *, training: bool) -> tuple[Callable[[], None], float]:
    """The GEMMs of one epoch (or one forward pass), ready to run, and their FLOPs.

    Parameters
    ----------
    units : sequence of int
        Layer sizes, input first.
    n_rows : int
        Number of samples.
    batch_size : int
        Rows per batch (the last batch holds the remainder).
    dtype : numpy.dtype
        Floating dtype of every operand.
    training : bool
        If true, per batch and layer ``a @ W``, ``δ @ Wᵀ`` (not for the first
        layer: the input needs no error term) and ``aᵀ @ δ``; else the
        forward products only.

    Returns
    -------
    run : callable
        Performs exactly those ``np.matmul`` calls into preallocated buffers.
    flops : float
        Σ 2·m·n·k over those products.
    """
    rng = np.random.default_rng(0)
    batch_size = max(1, min(batch_size, n_rows))
    sizes = [batch_size] * (n_rows // batch_size)
    if n_rows % batch_size:
        sizes.append(n_rows % batch_size)
    pairs = list(pairwise(units))
    weights = [(rng.standard_normal((i, o)) / np.sqrt(i)).astype(dtype)
               for i, o in pairs]
    acts = [rng.standard_normal((batch_size, u)).astype(dtype) for u in units]
    deltas = [rng.standard_normal((batch_size, u)).astype(dtype) for u in units]
    grads = [np.empty_like(w) for w in weights]

    flops = 0.0
    calls: list[tuple[NDArray, NDArray, NDArray]] = []
    for rows in sizes:  # only two distinct views: build the call list once
        for layer, (n_in, n_out) in enumerate(pairs):
            a, z = acts[layer][:rows], acts[layer + 1][:rows]
            calls.append((a, weights[layer], z))
            flops += 2.0 * rows * n_in * n_out
            if not training:
                continue
            d = deltas[layer + 1][:rows]
            if layer > 0:
                calls.append((d, weights[layer].T, deltas[layer][:rows]))
                flops += 2.0 * rows * n_in * n_out
            calls.append((a.T, d, grads[layer]))
            flops += 2.0 * rows * n_in * n_out

    def run() -> None:
        for left, right, out in calls:
            np.matmul(left, right, out=out)

    return run, flops


class Bound(NamedTuple):
    """Seconds of the GEMM-only passes: median and best over the rounds."""

    median: float
    best: float


def benchmark(calls: dict[str, Callable[[], T]],
              bounds: Sequence[Callable[[], None]],
              repeats: int) -> tuple[dict[str, list[tuple[float, T]]], Bound | None]:
    """Time ``calls`` interleaved, with the GEMM-bound passes interleaved too.

    Each round runs every call once, in order (sklearn, skmlp[, baseline]) and
    in the reverse order the next round, so that no implementation always
    runs after the same one, then every bound pass once; the bound passes
    also run 3 times up front.

    Returns
    -------
    runs : dict
        ``{name: [(seconds, result), ...]}``, one entry per round.
    bound : Bound or None
        The median and the best time of the bound passes (of the faster
        schedule, where there are several), over all rounds; ``None``
        without bound passes.
    """
    bound_times = [[timed(b)[0] for _ in range(3)] for b in bounds]
    runs: dict[str, list[tuple[float, T]]] = {name: [] for name in calls}
    for round_ in range(repeats):
        order = list(calls.items())
        for name, fn in order[::-1] if round_ % 2 else order:
            runs[name].append(timed(fn))
        for times, b in zip(bound_times, bounds):
            times.append(timed(b)[0])
    if not bounds:
        return runs, None
    return runs, Bound(median=min(float(np.median(t)) for t in bound_times),
                       best=min(min(t) for t in bound_times))


def _summary(seconds: list[float], flops: float | None,
             bound: Bound | None) -> dict[str, Any]:
    """Median/min/max of ``seconds``, GFLOP/s and the multiples of the bound
    (``None`` where there is no bound).

    ``x_bound`` compares medians, since the bound is timed in the same rounds
    and meets the same machine noise; ``x_bound_best`` compares best times.
    """
    median = float(np.median(seconds))
    return {
        "seconds": seconds,
        "median_s": median,
        "min_s": float(np.min(seconds)),
        "max_s": float(np.max(seconds)),
        "gflops": None if bound is None else flops / median / 1e9,
        "x_bound": None if bound is None else median / bound.median,
        "x_bound_best": None if bound is None else float(np.min(seconds)) / bound.best,
    }


def run_workload(w: Workload, dtype: np.dtype, impls: dict[str, tuple[type, type]],
                 repeats: int, quick: bool) -> list[dict[str, Any]]:
    """Benchmark every implementation on one workload in one dtype.

    Returns
    -------
    list of dict
        One record per timed operation (``fit``, or ``predict_proba`` and
        ``predict`` for the predict workloads); see ``README.md``.
    """
    if w.task in FIXED_COST_TASKS:
        return _run_fixed_cost(w, dtype, impls, repeats, quick)
    X, y = _dataset(w.key, w.quick_rows if quick else w.rows)
    X = X.astype(dtype)
    if w.task == "regression":
        y = y.astype(dtype)
    n_rows = X.shape[0]
    epochs = w.quick_epochs if quick else w.epochs
    n_classes = 0 if w.task == "regression" else len(np.unique(y))
    units = [X.shape[1], *w.hidden, n_classes if n_classes > 2 else 1]
    make = _maker(w, impls, epochs)

    chunk = None
    if w.task != "predict":
        ops = {"fit": {name: (lambda name=name: make(name).fit(X, y))
                       for name in impls}}
        bounds = [gemm_pass(units, n_rows, w.batch_size, dtype, training=True)]
    else:  # fit the A network, then time the forward pass on all rows
        fitted = {name: make(name).fit(X, y) for name in impls}
        ops = {method: {name: partial(getattr(est, method), X)
                        for name, est in fitted.items()}
               for method in ("predict_proba", "predict")}
        bounds = [gemm_pass(units, n_rows, n_rows, dtype, training=False)]
        chunk = _skmlp_predict_chunk(units[1:]) if "skmlp" in impls else None
        if chunk is not None and chunk < n_rows:
            # skmlp predicts in chunks: the bound is the better of both schedules.
            bounds.append(gemm_pass(units, n_rows, chunk, dtype, training=False))
    flops = bounds[0][1]

    records = []
    for op, calls in ops.items():
        # Untimed pass first: peak memory, and a warm-up for the timed runs.
        peaks = {name: peak_mib(fn) for name, fn in calls.items()}
        runs, bound = benchmark(calls, [run for run, _ in bounds], repeats)
        impl_rows = {}
        for name, rs in runs.items():
            last = rs[-1][1]
            if op == "fit":
                seconds = [s / est.n_iter_ for s, est in rs]
                check = _fit_check(last)
            else:
                seconds = [s for s, _ in rs]
                check = _prediction_check(op, y, last)
            impl_rows[name] = {**_summary(seconds, flops, bound), **check,
                               "peak_mib": peaks[name]}
        record = {**_record_head(w, op, dtype, n_rows, units, epochs),
                  **_record(bound, flops, impl_rows)}
        if op != "fit":
            record["predict_chunk_rows"] = chunk
        records.append(record)
    return records


def _maker(w: Workload, impls: dict[str, tuple[type, type]], epochs: int
           ) -> Callable[[str], Any]:
    """``make(name)``: a new estimator of implementation ``name`` with the
    workload's parameters (a fixed number of epochs: nothing stops early)."""
    params = dict(hidden_layer_sizes=w.hidden, activation="relu", solver="adam",
                  batch_size=w.batch_size, max_iter=epochs, tol=0.0,
                  n_iter_no_change=epochs, shuffle=True, random_state=0)
    pick = 1 if w.task == "regression" else 0
    return lambda name: impls[name][pick](**params)


def _fit_check(estimator) -> dict[str, Any]:
    """What shows that a fit did the work: epochs and the loss curve."""
    return {"n_iter": int(estimator.n_iter_),
            "final_loss": float(estimator.loss_curve_[-1]),
            "loss_curve": [float(v) for v in estimator.loss_curve_]}


def _prediction_check(op: str, y: NDArray, prediction: NDArray,
                      labels: NDArray | None = None) -> dict[str, Any]:
    """Log-loss of probabilities, 0-1 loss of labels, against ``y``."""
    if op == "predict_proba":
        loss = log_loss(y, prediction, labels=labels)
    else:
        loss = zero_one_loss(y, prediction)
    return {"n_iter": None, "final_loss": float(loss), "loss_curve": None}


def _record_head(w: Workload, op: str, dtype: np.dtype, n_rows: int,
                 units: list[int], epochs: int) -> dict[str, Any]:
    """The fields that say what a record measured."""
    return {"workload": w.key, "title": w.title, "op": op,
            "dtype": np.dtype(dtype).name, "n_samples": n_rows, "layers": units,
            "batch_size": w.batch_size, "epochs": epochs}


def _run_fixed_cost(w: Workload, dtype: np.dtype,
                    impls: dict[str, tuple[type, type]], repeats: int,
                    quick: bool) -> list[dict[str, Any]]:
    """Workloads E-H: time calls (``calls`` per timed run), with no bound.

    The seconds are per call: a timed run's time divided by its calls.
    """
    X, y = _dataset(w.key, w.quick_rows if quick else w.rows)
    X = X.astype(dtype)
    epochs = w.quick_epochs if quick else w.epochs
    n_calls = w.quick_calls if quick else w.calls
    classes = np.unique(y)
    units = [X.shape[1], *w.hidden, len(classes) if len(classes) > 2 else 1]
    make = _maker(w, impls, epochs)

    def repeated(call: Callable[[], T]) -> Callable[[], T]:
        """``call`` ``n_calls`` times; the single call stays at ``.call``."""
        def run() -> T:
            for _ in range(n_calls - 1):
                call()
            return call()
        run.call = call
        return run

    # (op, rows the operation sees, {name: timed run}, check of its result)
    cases: list[tuple[str, int, dict[str, Callable[[], Any]], Callable]] = []
    if w.task == "latency":
        fitted = {name: make(name).fit(X, y) for name in impls}
        for rows in (1, 10):
            for method in ("predict_proba", "predict"):
                calls = {name: repeated(partial(getattr(est, method), X[:rows]))
                         for name, est in fitted.items()}
                cases.append((method, rows, calls, partial(
                    _prediction_check, method, y[:rows], labels=classes)))
        frame = _frame(X)
        if frame is not None:  # one row of a DataFrame, to a model fitted on one
            fitted = {name: make(name).fit(frame, y) for name in impls}
            for method in ("predict_proba", "predict"):
                calls = {name: repeated(partial(getattr(est, method), frame.iloc[:1]))
                         for name, est in fitted.items()}
                cases.append((f"{method} df", 1, calls, partial(
                    _prediction_check, method, y[:1], labels=classes)))
    elif w.task == "fit_cost":
        cases.append(("fit", X.shape[0], {
            name: repeated(lambda name=name: make(name).fit(X, y))
            for name in impls}, _fit_check))
    elif w.task == "partial_fit_cost":
        fitted = {name: make(name).partial_fit(X, y, classes=classes)
                  for name in impls}
        cases.append(("partial_fit", X.shape[0], {
            name: repeated(partial(est.partial_fit, X, y))
            for name, est in fitted.items()}, _fit_check))
    else:  # grid_search
        cases.append(("GridSearchCV", X.shape[0], {
            name: repeated(lambda name=name: GridSearchCV(
                make(name), GRID, cv=GRID_FOLDS).fit(X, y))
            for name in impls}, _search_check))

    records = []
    for op, rows, calls, check in cases:
        # One call's peak (the untimed first run of the loop's first call).
        peaks = {name: peak_mib(fn.call) for name, fn in calls.items()}
        runs, bound = benchmark(calls, [], repeats)
        impl_rows = {
            name: {**_summary([s / n_calls for s, _ in rs], None, bound),
                   **check(rs[-1][1]), "peak_mib": peaks[name]}
            for name, rs in runs.items()}
        record = {**_record_head(w, op, dtype, rows, units, epochs),
                  "calls_per_run": n_calls, **_record(bound, None, impl_rows)}
        records.append(record)
    return records


def _frame(X: NDArray) -> Any:
    """``X`` as a pandas DataFrame with named columns; ``None`` without pandas."""
    try:
        import pandas as pd
    except ImportError:
        return None
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])


def _search_check(search: GridSearchCV) -> dict[str, Any]:
    """The fits a search made and its best cross-validated error rate."""
    n_fits = len(search.cv_results_["params"]) * search.n_splits_ + 1  # the refit
    return {"n_iter": n_fits, "final_loss": 1.0 - float(search.best_score_),
            "loss_curve": None}


def _record(bound: Bound | None, flops: float | None,
            impl_rows: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The bound (``None`` fields without one) and per-implementation part
    of a record, with the ratio."""
    ratio = curve_diff = vs_baseline = None
    sk = impl_rows["sklearn"]
    for row in impl_rows.values():
        # Paired by round: the machine's speed drifts between rounds (by up
        # to a factor of two here), and a round meets every implementation.
        row["vs_sklearn"] = float(np.median(np.divide(row["seconds"], sk["seconds"])))
        row["vs_sklearn_of_medians"] = row["median_s"] / sk["median_s"]
    if "skmlp" in impl_rows:
        sk, ours = impl_rows["sklearn"], impl_rows["skmlp"]
        ratio = ours["vs_sklearn"]
        if sk["loss_curve"] and len(sk["loss_curve"]) == len(ours["loss_curve"]):
            curve_diff = float(np.max(np.abs(np.subtract(sk["loss_curve"],
                                                         ours["loss_curve"]))))
        if "baseline" in impl_rows:  # before/after, paired by round too
            vs_baseline = float(np.median(np.divide(
                ours["seconds"], impl_rows["baseline"]["seconds"])))
    return {"gemm_flops": flops,
            "gemm_bound_s": None if bound is None else bound.median,
            "gemm_bound_best_s": None if bound is None else bound.best,
            "gemm_bound_gflops": None if bound is None else flops / bound.median / 1e9,
            "impls": impl_rows, "ratio_skmlp_sklearn": ratio,
            "ratio_skmlp_baseline": vs_baseline,
            "loss_curve_max_abs_diff": curve_diff}


# ------------------------------------------------------------------ output
def format_table(report: dict[str, Any]) -> str:
    """The results as a fixed-width text table, with a header of metadata."""
    meta = report["meta"]
    lines = [
        f"skmlp {meta['skmlp_version']} ({meta['git_revision']})"
        f" vs scikit-learn {meta['sklearn_version']}"
        f" | numpy {meta['numpy_version']} | BLAS {meta['blas']}"
        f" | threads {meta['threads']} | {meta['cpu']}",
        f"mode: {'quick' if meta['quick'] else 'full'}, repeats {meta['repeats']};"
        " seconds are per epoch for fits (A-C), per call otherwise;"
        " 'bound' = GEMMs only; medians; 'vs sk' = median over rounds of the"
        " round's ratio; 'x bound' = median / median",
    ]
    load = meta["loadavg_1min"]
    shares = [r["other_cpu_share"] for r in report["results"]
              if r.get("other_cpu_share") is not None]
    if None not in load:
        # Others' CPU share is measured during the run; the load average lags
        # (and its end value includes this benchmark's own threads), so it is
        # only the fallback where /proc/stat is missing.
        busy = max(shares) > 0.1 if shares else load[0] > 0.5
        lines.append(f"1-min load average at start/end: {load[0]:.2f}/{load[1]:.2f}"
                     + (" (BUSY MACHINE: timings are noisy)" if busy else ""))
    if meta["skmlp_error"]:
        lines.append(f"skmlp NOT benchmarked ({meta['skmlp_error']})")
    if meta["baseline"]:
        lines.append(f"baseline: skmlp {meta['baseline']['skmlp_version']} "
                     f"({meta['baseline']['git_revision']}) from "
                     f"{meta['baseline']['path']}")
    header = (f"{'workload':<26} {'dtype':<7} {'impl':<8} {'seconds':>8} "
              f"{'[min – max]':<17} {'vs sk':>6} {'GFLOP/s':>7} {'x bound':>7} "
              f"{'n_iter':>6} {'loss':>9} {'peak MiB':>8}")
    lines += [header, "-" * len(header)]
    for rec in report["results"]:
        label = f"{rec['workload']} {rec['op']} {rec['n_samples']}x{rec['layers'][0]}"
        share = rec.get("other_cpu_share")
        noise = "" if share is None else f"others' CPU {share:4.0%}"
        if rec["gemm_bound_s"] is None:
            lines.append(f"{label:<26} {rec['dtype']:<7} {'':<8} {'':>8} {noise}")
        else:
            lines.append(f"{label:<26} {rec['dtype']:<7} {'bound':<8} "
                         f"{rec['gemm_bound_s']:>8.4f} {noise:<17} {'':>6} "
                         f"{rec['gemm_bound_gflops']:>7.1f} {1.0:>7.2f}")
        for name, r in rec["impls"].items():
            vs = r["vs_sklearn"]
            spread = f"[{_duration(r['min_s'])} – {_duration(r['max_s'])}]"
            n_iter = "-" if r["n_iter"] is None else str(r["n_iter"])
            gflops, x_bound = (("-", "-") if r["gflops"] is None else
                               (f"{r['gflops']:.1f}", f"{r['x_bound']:.2f}"))
            lines.append(
                f"{'':<26} {rec['dtype']:<7} {name:<8} {_duration(r['median_s']):>8} "
                f"{spread:<17} {vs:>6.2f} {gflops:>7} {x_bound:>7} "
                f"{n_iter:>6} {r['final_loss']:>9.5f} {r['peak_mib']:>8.1f}")
    lines.append("-" * len(header))
    paired = [f"{rec['workload']} {rec['op']} {rec['n_samples']}x{rec['layers'][0]} "
              f"{rec['dtype']} {rec['ratio_skmlp_baseline']:.2f}"
              for rec in report["results"]
              if rec.get("ratio_skmlp_baseline") is not None]
    if paired:
        lines.append("skmlp / baseline (median of each round's ratio): "
                     + "; ".join(paired))
        lines.append("-" * len(header))
    titles = {rec["workload"]: rec for rec in report["results"]}
    for key, rec in titles.items():
        calls = rec.get("calls_per_run")
        lines.append(f"{key}: {rec['title']}, layers {rec['layers']}, batch "
                     f"{rec['batch_size']}, {rec['epochs']} epoch(s)"
                     + ("" if calls is None else f", {calls} call(s) per timed run"))
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    """Seconds with four decimals, or milli/microseconds below 10 ms."""
    if seconds >= 0.01:
        return f"{seconds:.4f}"
    if seconds >= 1e-4:
        return f"{seconds * 1e3:.3f}ms"
    return f"{seconds * 1e6:.1f}µs"


class OtherCPU:
    """Share of the machine's CPU time used by *other* processes meanwhile.

    Reads the busy time of all CPUs from ``/proc/stat`` (Linux) and subtracts
    this process's own CPU time: a non-negligible share means something else
    competed for the cores, and the timings taken meanwhile are noisy.
    """

    def __enter__(self) -> OtherCPU:
        self.share: float | None = None
        self._start = self._snapshot()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._snapshot()
        if self._start is None or end is None:
            return
        busy, total, own = (e - s for e, s in zip(end, self._start, strict=True))
        if total > 0:
            self.share = max(0.0, busy - own) / total

    @staticmethod
    def _snapshot() -> tuple[float, float, float] | None:
        """(busy seconds, all seconds) of all CPUs, and this process's CPU seconds."""
        try:
            with open("/proc/stat") as f:
                ticks = [int(v) for v in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        hz = os.sysconf("SC_CLK_TCK")
        idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
        own = os.times()
        return (sum(ticks) - idle) / hz, sum(ticks) / hz, own.user + own.system


def _git_revision(path: Path | None = None) -> str | None:
    """``git describe``-style revision of the checkout at ``path`` (default:
    this one), ``-dirty`` if modified."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=path or Path(__file__).resolve().parent, capture_output=True, text=True,
            timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _loadavg() -> float | None:
    """The 1-minute load average of the machine, where the OS tells it."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def _cpu_name() -> str:
    """The CPU model from ``/proc/cpuinfo``, or :func:`platform.processor`."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small data, 1 epoch, 2 repeats (well under a minute)")
    parser.add_argument("--dtype", choices=["float32", "float64", "both"],
                        default="both")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help="comma-separated subset of " + ",".join(WORKLOADS))
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed repeats per implementation (default 5, quick 2)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="BLAS threads for everything (default: all cores)")
    parser.add_argument("--json", default=None, metavar="PATH",
                        help="also write the results as JSON to PATH")
    parser.add_argument("--baseline", default=None, metavar="DIR",
                        help="also benchmark the skmlp of the checkout at DIR "
                        "(e.g. made by 'git worktree add DIR REV'), interleaved, "
                        "as 'baseline': a before/after comparison in one run")
    args = parser.parse_args(argv)
    keys = [k.strip().upper() for k in args.workloads.split(",") if k.strip()]
    unknown = sorted(set(keys) - set(WORKLOADS))
    if unknown or not keys:
        parser.error(f"unknown workloads {unknown}; choose from {','.join(WORKLOADS)}")
    args.workloads = keys
    if args.repeats is None:
        args.repeats = 2 if args.quick else 5
    if args.repeats < 1 or args.threads < 1:
        parser.error("--repeats and --threads must be >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the table and return the report.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    dict
        ``{"meta": {...}, "results": [record, ...]}``, as written by
        ``--json``.
    """
    args = parse_args(argv)
    impls, skmlp_error = _implementations(args.baseline)
    dtypes = ["float32", "float64"] if args.dtype == "both" else [args.dtype]
    results: list[dict[str, Any]] = []
    load_start = _loadavg()
    with threadpool_limits(limits=args.threads, user_api="blas"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
        threads = max((i["num_threads"] for i in blas), default=args.threads)
        for key in args.workloads:
            for dtype in dtypes:
                with OtherCPU() as others:
                    records = run_workload(WORKLOADS[key], np.dtype(dtype), impls,
                                           args.repeats, args.quick)
                for record in records:
                    record["other_cpu_share"] = others.share
                results += records
    load_end = _loadavg()
    skmlp_version = None
    if "skmlp" in impls:
        skmlp_version = sys.modules["skmlp"].__version__
    baseline = None
    if "baseline" in impls:
        baseline = {"path": str(Path(args.baseline).resolve()),
                    "skmlp_version": sys.modules["skmlp_baseline"].__version__,
                    "git_revision": _git_revision(Path(args.baseline))}
    meta = {
        "skmlp_version": skmlp_version, "skmlp_error": skmlp_error,
        "git_revision": _git_revision(), "baseline": baseline,
        "sklearn_version": sklearn.__version__, "numpy_version": np.__version__,
        "python": platform.python_version(),
        "blas": ", ".join(sorted({f"{i['internal_api']} {i.get('version')}"
                                  for i in blas})) or "unknown",
        "threads": threads, "cpu": _cpu_name(), "cpu_count": os.cpu_count(),
        "loadavg_1min": [load_start, load_end],
        "quick": args.quick, "repeats": args.repeats,
        "workloads": args.workloads, "dtypes": dtypes,
    }
    report = {"meta": meta, "results": results}
    print(format_table(report))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return report


if __name__ == "__main__":
    main()
