"""Single-row prediction latency: skmlp's ``predict`` beside onnxruntime.

A classifier is fitted on the digits (64 features, 10 classes, float32),
exported with :func:`skmlp.onnx.to_onnx` (``zipmap=False``) and run by an
onnxruntime ``InferenceSession``; one row at a time, the latency of
``predict``, ``predict_proba`` and ``session.run`` (which returns the labels
and the probabilities together) is measured. Both run on one thread (BLAS
limited with threadpoolctl, ``intra_op_num_threads=1``). Before timing, the
script checks that onnxruntime's labels equal ``predict``'s on every row.

Usage::

    python benchmarks/bench_onnx.py [--calls N] [--repeats N]
        [--hidden 100] [--activation relu] [--batch-norm]

Prints the median microseconds per call of each (medians over the repeats,
interleaved, of the mean over ``--calls`` calls) and their ratio to
onnxruntime's. Needs ``pip install "skmlp[onnx]"``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits


def _skmlp():
    """This checkout's skmlp and skmlp.onnx, whether or not another is installed."""
    repo_root = str(Path(__file__).resolve().parents[1])
    if repo_root not in sys.path:
        sys.path.insert(0, repo_root)
    import skmlp
    import skmlp.onnx

    return skmlp, skmlp.onnx


def microseconds_per_call(call: Callable[[], Any], calls: int) -> float:
    """Mean wall time of ``call()`` over ``calls`` consecutive calls."""
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls * 1e6


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the measurement, print a table and return its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--hidden", type=int, nargs="+", default=[100])
    parser.add_argument("--activation", default="relu")
    parser.add_argument("--batch-norm", action="store_true")
    args = parser.parse_args(argv)
    if args.calls < 1 or args.repeats < 1:
        parser.error("--calls and --repeats must be >= 1")

    import onnxruntime as ort

    skmlp, skmlp_onnx = _skmlp()
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = skmlp.MLPClassifierBP(
            hidden_layer_sizes=tuple(args.hidden), activation=args.activation,
            batch_norm=args.batch_norm, max_iter=20, random_state=0).fit(X, y)
    onnx_model = skmlp_onnx.to_onnx(model, X[:1], options={"zipmap": False})
    session_options = ort.SessionOptions()
    session_options.intra_op_num_threads = 1
    session = ort.InferenceSession(onnx_model.SerializeToString(), session_options,
                                   providers=["CPUExecutionProvider"])
    labels, _ = session.run(None, {"X": X})
    if not np.array_equal(labels, model.predict(X)):
        raise AssertionError("onnxruntime's labels differ from predict's")

    row = X[:1]
    contenders = {
        "predict": lambda: model.predict(row),
        "predict_proba": lambda: model.predict_proba(row),
        "onnxruntime": lambda: session.run(None, {"X": row}),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    with threadpool_limits(limits=1):
        for _ in range(args.repeats + 1):  # the first round warms up
            for name, call in contenders.items():
                times[name].append(microseconds_per_call(call, args.calls))
    medians = {name: float(np.median(t[1:])) for name, t in times.items()}
    result = {
        "model": f"MLPClassifierBP(hidden_layer_sizes={tuple(args.hidden)}, "
                 f"activation={args.activation!r}, batch_norm={args.batch_norm})",
        "microseconds": medians,
        "ratio_to_onnxruntime": {name: value / medians["onnxruntime"]
                                 for name, value in medians.items()},
    }
    print(f"{result['model']}, digits, float32, one row per call, one thread")
    print(f"{'call':>15} {'µs per call':>12} {'÷ onnxruntime':>14}")
    for name, value in medians.items():
        print(f"{name:>15} {value:>12.1f} "
              f"{result['ratio_to_onnxruntime'][name]:>14.2f}")
    return result


if __name__ == "__main__":
    main()
