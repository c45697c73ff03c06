"""The per-mini-batch cost of everything but arithmetic, skmlp beside scikit-learn.

Both MLPs train on data shrunk to nothing (2 features, 2 units per hidden
layer, 10 classes, batches of 256 rows), so the matrix products and
elementwise passes cost next to nothing and what remains is the fixed cost
of a mini-batch: Python and NumPy call overhead. It is the floor under the
time of any mini-batch, which decides the small-data workload (C) of
``bench_mlp.py``.

Usage::

    python benchmarks/bench_overhead.py [--repeats N] [--epochs N]

Prints, for one and two hidden layers, the median microseconds per
mini-batch of each implementation over the repeats (interleaved), and their
ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

N_BATCHES, BATCH_SIZE = 100, 256


def _skmlp_classifier() -> type:
    """This checkout's ``MLPClassifierBP``, whether or not another is installed."""
    repo_root = str(Path(__file__).resolve().parents[1])
    if repo_root not in sys.path:
        sys.path.insert(0, repo_root)
    from skmlp import MLPClassifierBP

    return MLPClassifierBP


def microseconds_per_batch(estimator_class: type, hidden: tuple[int, ...],
                           epochs: int, X, y) -> float:
    """Wall time of one ``fit`` divided by the mini-batches it trained on."""
    estimator = estimator_class(hidden, batch_size=BATCH_SIZE, max_iter=epochs,
                                tol=0.0, n_iter_no_change=epochs + 1, random_state=0)
    start = time.perf_counter()
    estimator.fit(X, y)
    return (time.perf_counter() - start) / (epochs * N_BATCHES) * 1e6


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Run the measurement, print a table and return its rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.epochs < 1:
        parser.error("--repeats and --epochs must be >= 1")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N_BATCHES * BATCH_SIZE, 2))
    y = rng.integers(0, 10, X.shape[0])
    impls = {"sklearn": MLPClassifier, "skmlp": _skmlp_classifier()}
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for hidden in [(2,), (2, 2)]:
            times: dict[str, list[float]] = {name: [] for name in impls}
            for _ in range(args.repeats + 1):  # the first round warms up
                for name, cls in impls.items():
                    times[name].append(
                        microseconds_per_batch(cls, hidden, args.epochs, X, y))
            medians = {name: float(np.median(t[1:])) for name, t in times.items()}
            rows.append({"hidden_layers": len(hidden), **medians,
                         "ratio": medians["skmlp"] / medians["sklearn"]})
    print(f"{'hidden layers':>13} {'sklearn µs':>11} {'skmlp µs':>9} {'ratio':>6}")
    for row in rows:
        print(f"{row['hidden_layers']:>13} {row['sklearn']:>11.1f} "
              f"{row['skmlp']:>9.1f} {row['ratio']:>6.2f}")
    return rows


if __name__ == "__main__":
    main()
