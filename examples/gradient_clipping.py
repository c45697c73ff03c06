"""Gradient clipping rescues an exploding run
==========================================

A deep ``MLPRegressorBP`` (three hidden layers of 64 units) trained with SGD
and momentum on scikit-learn's diabetes data, whose targets are in the
hundreds. At ``learning_rate_init=3e-4`` the first gradients are in the
thousands: without clipping the loss jumps and training diverges within a
few epochs (skmlp keeps the last finite epoch and warns). With
``clip_grad_norm`` every step is rescaled to a gradient norm of at most the
threshold, and the same learning rate trains smoothly.

The figure (``gradient_clipping.png``) shows, left, the training loss of the
three runs (the unclipped one ends where it diverged) and, right, the global
gradient norm of each epoch, measured before clipping, against the
thresholds: the norms stay far above them, so clipping binds at every step
and sets the step length.

Run: ``python examples/gradient_clipping.py [--epochs N] [--output PATH]``
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skmlp import MLPRegressorBP

RUNS = {"no clipping": None, "clip_grad_norm=30": 30.0, "clip_grad_norm=100": 100.0}


def global_grad_norms(history) -> np.ndarray:
    """The norm of all weight gradients together, per epoch, from history_."""
    return np.array([np.sqrt(np.sum(np.square(record["grad_norms"])))
                     for record in history])


def main(argv=None) -> dict[str, dict]:
    """Train with and without clipping; return, by label, the loss curve, the
    global gradient norms, the R² on the training data and the warnings."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--output", default="gradient_clipping.png")
    args = parser.parse_args(argv)

    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    results = {}
    print(f"{'run':<22}{'epochs':>7}{'final loss':>12}{'R²':>8}")
    for label, threshold in RUNS.items():
        model = MLPRegressorBP(hidden_layer_sizes=(64, 64, 64), solver="sgd",
                               learning_rate_init=3e-4, batch_size=32,
                               max_iter=args.epochs, n_iter_no_change=args.epochs,
                               clip_grad_norm=threshold, random_state=0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(X, y)
        results[label] = {
            "threshold": threshold,
            "loss_curve": model.loss_curve_,
            "grad_norms": global_grad_norms(model.history_),
            "r2": model.score(X, y),
            "warnings": [str(w.message) for w in caught
                         if "Maximum iterations" not in str(w.message)],
        }
        print(f"{label:<22}{model.n_iter_:>7}{model.loss_:>12.1f}"
              f"{results[label]['r2']:>8.3f}")
        for message in results[label]["warnings"]:
            print(f"    ConvergenceWarning: {message}")
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
    import re

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5.2), layout="constrained")
    styles = [dict(linestyle="none", marker="X", markersize=10),
              dict(linestyle="-", marker="o", markersize=3),
              dict(linestyle="--", marker="^", markersize=3)]
    for index, (label, result) in enumerate(results.items()):
        style = dict(color=f"C{index}", **styles[index])
        epochs = np.arange(1, len(result["loss_curve"]) + 1)
        left.plot(epochs, result["loss_curve"], **style,
                  label=f"{label} (R² {result['r2']:.2f})")
        right.plot(epochs, result["grad_norms"], **style)
        if result["threshold"] is None:
            diverged = next(re.search(r"in epoch (\d+); kept epoch (\d+)", message)
                            for message in result["warnings"] if "diverged" in message)
            left.annotate(f"{label}: diverged in epoch {diverged[1]};\n"
                          f"epoch {diverged[2]} kept, the lowest loss",
                          (epochs[-1], result["loss_curve"][-1]),
                          xytext=(0.3, 0.85), textcoords="axes fraction",
                          color=style["color"], arrowprops=dict(
                              arrowstyle="->", color=style["color"]))
        else:
            right.axhline(result["threshold"], color=style["color"], linestyle=":")
            right.annotate(f"clip_grad_norm={result['threshold']:g}",
                           (1, result["threshold"]), xycoords=("axes fraction", "data"),
                           xytext=(-4, 4), textcoords="offset points", ha="right",
                           color=style["color"])
    left.set(yscale="log", xlabel="epoch", ylabel="training loss (squared error / 2)",
             title="Training loss, SGD at learning_rate_init=3e-4")
    right.set(yscale="log", xlabel="epoch",
              ylabel="global gradient norm (before clipping)",
              title="Gradient norms, far above the thresholds (dotted)")
    fig.legend(loc="outside lower center", ncols=3, frameon=False)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"Figure written to {path}")


if __name__ == "__main__":
    main()
