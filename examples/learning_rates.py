"""Learning rates: too high, too low, about right, and scheduled
=============================================================

Trains a one-hidden-layer ``MLPClassifierBP`` with plain SGD on scikit-learn's
digits at several constant learning rates and with a decaying schedule:

- ``1.5`` is too high: the steps overshoot, the loss climbs by orders of
  magnitude (skmlp warns of exploding gradients);
- ``1.0`` is high: fast at first, then the loss bounces on a plateau;
- ``1e-4`` is too low: after 30 epochs the loss has hardly moved;
- ``0.05`` is a reasonable constant rate;
- ``ExponentialLR(gamma=0.85)`` from ``1.0``: the speed of the high rate
  early, then smaller and smaller steps that settle into a minimum; it ends
  with the lowest loss.

The figure (``learning_rates.png``) shows the training loss of each run
(left, log scale) and the learning rate it used at every epoch (right,
``learning_rate_curve_``), both drawn with
:class:`skmlp.plotting.LossCurveDisplay`.

Run: ``python examples/learning_rates.py [--epochs N] [--output PATH]``
"""

from __future__ import annotations

import argparse
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierBP
from skmlp.schedulers import ExponentialLR

RUNS = {
    "too high: 1.5": dict(learning_rate_init=1.5),
    "high: 1.0": dict(learning_rate_init=1.0),
    "too low: 1e-4": dict(learning_rate_init=1e-4),
    "constant: 0.05": dict(learning_rate_init=0.05),
    "scheduled: 1.0 × 0.85^epoch": dict(learning_rate_init=1.0,
                                        learning_rate=ExponentialLR(gamma=0.85)),
}


def main(argv=None) -> dict[str, MLPClassifierBP]:
    """Train one model per learning rate; return the fitted models by label."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--output", default="learning_rates.png")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    models = {}
    print(f"{'run':<30}{'final loss':>12}{'test accuracy':>15}")
    for label, params in RUNS.items():
        model = MLPClassifierBP(hidden_layer_sizes=(64,), solver="sgd",
                                max_iter=args.epochs, n_iter_no_change=args.epochs,
                                random_state=0, **params)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(X_train, y_train)
        models[label] = model
        print(f"{label:<30}{model.loss_:>12.4g}{model.score(X_test, y_test):>15.3f}")
        for warning in caught:
            if "gradients" in str(warning.message):
                print(f"    ConvergenceWarning: {str(warning.message)[:100]}...")
    _plot(models, args.output)
    return models


def _plot(models: dict[str, MLPClassifierBP], path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figure (pip install 'skmlp[plot]').")
        return
    from skmlp.plotting import LossCurveDisplay

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5.2), layout="constrained")
    styles = [dict(color="C3", linestyle="-"), dict(color="C1", linestyle="--"),
              dict(color="C7", linestyle=":"), dict(color="C0", linestyle="-."),
              dict(color="C2", linestyle="-", linewidth=2.5)]
    for (label, model), style in zip(models.items(), styles):
        LossCurveDisplay.from_estimator(model, ax=left, label=label, name="", **style)
        LossCurveDisplay.from_estimator(model, kind="learning_rate", ax=right,
                                        label=label, name="", **style)
    # One legend for both panels, below them, where it covers no curve.
    for ax in (left, right):
        ax.get_legend().remove()
    fig.legend(*left.get_legend_handles_labels(), loc="outside lower center",
               ncols=5, frameon=False)
    left.set(yscale="log", title="Training loss (SGD, digits)")
    right.set(yscale="log", title="Learning rate per epoch")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"Figure written to {path}")


if __name__ == "__main__":
    main()
