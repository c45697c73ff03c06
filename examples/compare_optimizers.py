"""Compare every optimizer and learning-rate schedule on the digits data
=====================================================================

Trains ``MLPClassifierBP`` on scikit-learn's bundled digits with each built-in
optimizer (constant rate), then with each built-in schedule (SGD with
momentum), and prints a table of final training loss, test accuracy and fit
time. With matplotlib installed (``pip install "skmlp[plot]"``) it also
writes the loss curves to ``compare_optimizers.png``.

Run: ``python examples/compare_optimizers.py [--epochs N] [--output PATH]``
"""

from __future__ import annotations

import argparse
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierBP
from skmlp.optimizers import OPTIMIZERS
from skmlp.schedulers import SCHEDULERS

#: A constant learning rate that suits each optimizer on this problem.
LEARNING_RATES = {"sgd": 0.05, "adagrad": 0.05, "adadelta": 1.0}


def train(X_train, y_train, X_test, y_test, *, epochs, **params):
    """Fit one model; return (loss curve, test accuracy, seconds)."""
    model = MLPClassifierBP(hidden_layer_sizes=(64,), max_iter=epochs,
                            random_state=0, n_iter_no_change=epochs, **params)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return model.loss_curve_, model.score(X_test, y_test), seconds


def main(argv=None) -> dict[str, list[float]]:
    """Run the comparison; return the loss curves by label."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--output", default="compare_optimizers.png")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    data = scaler.transform(X_train), y_train, scaler.transform(X_test), y_test

    runs = {f"solver={name}": dict(solver=name,
                                   learning_rate_init=LEARNING_RATES.get(name, 0.005))
            for name in OPTIMIZERS}
    runs.update({f"sgd, learning_rate={name}": dict(solver="sgd", learning_rate=name,
                                                    learning_rate_init=0.05)
                 for name in SCHEDULERS})
    curves = {}
    print(f"{'run':<36}{'final loss':>12}{'accuracy':>10}{'fit (s)':>9}")
    for label, params in runs.items():
        curve, accuracy, seconds = train(*data, epochs=args.epochs, **params)
        curves[label] = curve
        print(f"{label:<36}{curve[-1]:>12.5f}{accuracy:>10.4f}{seconds:>9.3f}")
    _plot(curves, args.output)
    return curves


def _plot(curves: dict[str, list[float]], path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figure (pip install 'skmlp[plot]').")
        return
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True)
    for label, curve in curves.items():
        ax = axes[0] if label.startswith("solver=") else axes[1]
        ax.plot(range(1, len(curve) + 1), curve, label=label)
    for ax, title in zip(axes, ["Optimizers (constant rate)", "Schedules (SGD)"]):
        ax.set(title=title, xlabel="epoch", yscale="log")
        ax.legend(fontsize=7)
    axes[0].set_ylabel("training loss")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"Loss curves written to {path}")


if __name__ == "__main__":
    main()
