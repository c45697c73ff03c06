"""Batch normalisation: a deep network with and without ``batch_norm=True``
========================================================================

Trains an 8-hidden-layer ``MLPClassifierBP`` with SGD on scikit-learn's
digits, with and without batch normalisation, in two settings where the
plain network fails:

- logistic (sigmoid) activations at ``learning_rate_init=0.05``: without
  batch norm the gradients vanish towards the first layers and the network
  stays at chance level; normalising every layer's pre-activations keeps
  them in the sigmoid's steep region, the gradients stay level across layers
  and it learns;
- ReLU at a high ``learning_rate_init=0.5``: without batch norm the first
  large steps leave most units of hidden layers 2-8 inactive on every
  sample ("dead" ReLUs) and training stalls at chance level; with it the
  same rate trains.

The figure (``batch_norm.png``) shows the training loss of the four runs
(left) and the gradient norm of every layer (right, median over the epochs,
log scale).

Run: ``python examples/batch_norm.py [--epochs N] [--output PATH]``
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierBP

RUNS = {
    "sigmoid, lr 0.05": dict(activation="logistic", learning_rate_init=0.05),
    "sigmoid, lr 0.05, batch_norm": dict(activation="logistic",
                                         learning_rate_init=0.05, batch_norm=True),
    "ReLU, lr 0.5": dict(activation="relu", learning_rate_init=0.5),
    "ReLU, lr 0.5, batch_norm": dict(activation="relu", learning_rate_init=0.5,
                                     batch_norm=True),
}


def main(argv=None) -> dict[str, dict]:
    """Train the four networks; return, by label, the loss curve, the
    per-layer median gradient norms and the test accuracy."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--output", default="batch_norm.png")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    results = {}
    print(f"{'run':<32}{'final loss':>11}{'test accuracy':>15}")
    for label, params in RUNS.items():
        model = MLPClassifierBP(hidden_layer_sizes=(32,) * 8, solver="sgd",
                                weight_init="glorot_normal", max_iter=args.epochs,
                                n_iter_no_change=args.epochs, random_state=0,
                                **params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train, y_train)
        results[label] = {
            "loss_curve": model.loss_curve_,
            "grad_norms": np.median([r["grad_norms"] for r in model.history_],
                                    axis=0),
            "accuracy": model.score(X_test, y_test),
        }
        print(f"{label:<32}{model.loss_:>11.4f}{results[label]['accuracy']:>15.3f}")
    _plot(results, args.output)
    return results


def _plot(results: dict[str, dict], path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figure (pip install 'skmlp[plot]').")
        return
    from matplotlib.ticker import MaxNLocator

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5.2), layout="constrained")
    for index, (label, result) in enumerate(results.items()):
        # Colour: the network; solid with batch norm, dashed without.
        normed = "batch_norm" in label
        style = dict(color=f"C{index // 2}", linestyle="-" if normed else "--",
                     marker="o" if normed else "s")
        curve = result["loss_curve"]
        # Markers on alternate epochs, so that curves on top of one another
        # (both networks without batch norm stay at chance) both show.
        left.plot(np.arange(1, len(curve) + 1), curve, **style,
                  markevery=(index // 2, 2),
                  label=f"{label} (test accuracy {result['accuracy']:.2f})")
        norms = result["grad_norms"]
        right.plot(np.arange(1, len(norms) + 1), norms, **style)
    right.set_xticks(np.arange(1, len(norms) + 1),
                     [*map(str, range(1, len(norms))), "out"])
    left.set(yscale="log", xlabel="epoch", ylabel="training loss",
             title="Training loss")
    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.set(yscale="log", xlabel="layer (1 = first hidden layer)",
              ylabel="gradient norm ‖∂J/∂W‖ (median over epochs)",
              title="Per-layer gradient norms")
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    fig.suptitle("8 hidden layers of 32 units, SGD on digits")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"Figure written to {path}")


if __name__ == "__main__":
    main()
