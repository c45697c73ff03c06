"""Vanishing gradients in a deep network: sigmoid vs ReLU, Xavier vs He init
=========================================================================

Trains an 8-hidden-layer ``MLPClassifierBP`` on scikit-learn's digits four
times, with the logistic (sigmoid) or ReLU activation and Glorot/Xavier or He
initialisation, and reads the per-layer gradient norms that every epoch
records in ``history_``. With the logistic activation each layer multiplies
the backpropagated error by σ′ ≤ 1/4, so the gradient of the first layer is
thousands of times smaller than the output layer's and the network does not
learn; skmlp says so with a "Vanishing gradients" ``ConvergenceWarning``.
He initialisation (larger weights) narrows the gap but does not close it.
ReLU (σ′ = 1 on active units) keeps the norms level across layers, with
either initialisation, and the network learns.

The figure (``vanishing_gradients.png``) shows, left, the gradient norm of
each layer (median over the epochs, log scale) for the four runs and, right,
their training loss.

Run: ``python examples/vanishing_gradients.py [--epochs N] [--output PATH]``
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierBP

RUNS = {
    "sigmoid, Xavier init": dict(activation="logistic", weight_init="glorot_normal"),
    "sigmoid, He init": dict(activation="logistic", weight_init="he_normal"),
    "ReLU, Xavier init": dict(activation="relu", weight_init="glorot_normal"),
    "ReLU, He init": dict(activation="relu", weight_init="he_normal"),
}


def main(argv=None) -> dict[str, dict]:
    """Train the four networks; return, by label, the per-layer median
    gradient norms, the loss curve, the accuracy and the gradient warnings."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--layers", type=int, default=8, help="hidden layers")
    parser.add_argument("--output", default="vanishing_gradients.png")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    results = {}
    print(f"{'run':<22}{'final loss':>11}{'accuracy':>10}   first/output layer")
    for label, params in RUNS.items():
        model = MLPClassifierBP(hidden_layer_sizes=(32,) * args.layers,
                                solver="sgd", learning_rate_init=0.05,
                                max_iter=args.epochs, n_iter_no_change=args.epochs,
                                random_state=0, **params)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(X, y)
        norms = np.median([record["grad_norms"] for record in model.history_],
                          axis=0)
        results[label] = {
            "grad_norms": norms,
            "loss_curve": model.loss_curve_,
            "accuracy": model.score(X, y),
            "warnings": [str(w.message) for w in caught
                         if "gradients" in str(w.message)],
        }
        print(f"{label:<22}{model.loss_:>11.4f}{results[label]['accuracy']:>10.3f}"
              f"   {norms[0] / norms[-1]:.1e}")
        for message in results[label]["warnings"]:
            print(f"    ConvergenceWarning: {message[:110]}...")
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
    # Colour: the activation; line style and marker: the initialisation.
    colors = {"sigmoid": "C0", "ReLU": "C3"}
    styles = {"Xavier": dict(linestyle="-", marker="o"),
              "He": dict(linestyle="--", marker="s")}
    for index, (label, result) in enumerate(results.items()):
        activation, init = label.split(", ")
        style = dict(color=colors[activation], **styles[init.split()[0]])
        norms = result["grad_norms"]
        left.plot(np.arange(1, len(norms) + 1), norms, **style,
                  label=f"{label} (training accuracy {result['accuracy']:.2f})")
        # Markers on alternate epochs, so that curves on top of one another
        # (both sigmoid nets stay at chance) both show.
        right.plot(np.arange(1, len(result["loss_curve"]) + 1), result["loss_curve"],
                   **style, markevery=(index % 2, 2))
    n_layers = len(norms)
    left.set_xticks(np.arange(1, n_layers + 1),
                    [*map(str, range(1, n_layers)), "out"])
    left.set(yscale="log", xlabel="layer (1 = first hidden layer)",
             ylabel="gradient norm ‖∂J/∂W‖ (median over epochs)",
             title="Per-layer gradient norms")
    right.set(yscale="log", xlabel="epoch", ylabel="training loss",
              title="Training loss")
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    fig.suptitle(f"{n_layers - 1} hidden layers of 32 units, SGD on digits")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"Figure written to {path}")


if __name__ == "__main__":
    main()
