"""Compare every optimizer and learning-rate schedule on the digits data
=====================================================================

Trains ``MLPClassifierBP`` on scikit-learn's bundled digits with each built-in
optimizer (constant rate), then with each built-in schedule (SGD with
momentum), and prints a table of final training loss, test accuracy and fit
time. With matplotlib installed (``pip install "skmlp[plot]"``) it also
writes the loss curves to ``compare_optimizers.png``: one small panel per
run, its curve over the others' in grey, and for the schedules the constant
rate's curve and the run's learning rate for reference.

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
from skmlp.schedulers import SCHEDULERS, MultiStepLR, StepLR

#: A constant learning rate that suits each optimizer on this problem.
LEARNING_RATES = {"sgd": 0.05, "adagrad": 0.05, "adadelta": 1.0}
#: Schedules whose defaults would not act within 30 epochs (StepLR steps
#: every 30, MultiStepLR at 30 and 80), made to act within them.
SCHEDULES = {"step": StepLR(step_size=10),
             "multistep": MultiStepLR(milestones=(15, 25))}


def train(X_train, y_train, X_test, y_test, *, epochs, **params):
    """Fit one model; return (fitted model, test accuracy, seconds)."""
    model = MLPClassifierBP(hidden_layer_sizes=(64,), max_iter=epochs,
                            random_state=0, n_iter_no_change=epochs, **params)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return model, model.score(X_test, y_test), seconds


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
    runs.update({f"sgd, learning_rate={name}": dict(
        solver="sgd", learning_rate=SCHEDULES.get(name, name), learning_rate_init=0.05)
        for name in SCHEDULERS})
    curves, rates = {}, {}
    print(f"{'run':<36}{'final loss':>12}{'accuracy':>10}{'fit (s)':>9}")
    for label, params in runs.items():
        model, accuracy, seconds = train(*data, epochs=args.epochs, **params)
        curves[label], rates[label] = model.loss_curve_, model.learning_rate_curve_
        print(f"{label:<36}{curves[label][-1]:>12.5f}{accuracy:>10.4f}"
              f"{seconds:>9.3f}")
    _plot(curves, rates, args.output)
    return curves


def _plot(curves: dict[str, list[float]], rates: dict[str, list[float]],
          path: str) -> None:
    """Small multiples: one panel per run, the optimizers above the schedules."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
    except ImportError:
        print("matplotlib is not installed: no figure (pip install 'skmlp[plot]').")
        return
    optimizers = {k[len("solver="):]: v for k, v in curves.items()
                  if k.startswith("solver=")}
    schedules = {k[len("sgd, learning_rate="):]: v for k, v in curves.items()
                 if not k.startswith("solver=")}
    schedule_rates = {k[len("sgd, learning_rate="):]: v for k, v in rates.items()
                      if not k.startswith("solver=")}
    fig = plt.figure(figsize=(15, 13.5), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[2, 3.1])
    _panels(top, optimizers, rows=2, color="C0",
            title="Optimizers, each at a constant rate that suits it")
    _panels(bottom, schedules, rows=3, color="C2", baseline="constant",
            rates=schedule_rates,
            title="Schedules (SGD with momentum, learning_rate_init=0.05)")
    key = [Line2D([], [], color="C0", lw=2, label="this optimizer"),
           Line2D([], [], color="C2", lw=2, label="this schedule"),
           Line2D([], [], color="0.75", lw=1, label="the others in its group"),
           Line2D([], [], color="k", ls="--", lw=1, label="constant rate (reference)"),
           Line2D([], [], color="C3", ls=":", lw=1.5,
                  label="learning rate (right axis)")]
    fig.legend(handles=key, loc="outside lower center", ncols=5, frameon=False)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"Loss curves written to {path}")


def _panels(subfig, curves, *, rows, color, title, baseline=None, rates=None):
    """One log-scale panel per curve, on shared axes; spare panels hidden."""
    columns = 5
    axes = subfig.subplots(rows, columns, sharex=True, sharey=True).ravel()
    subfig.suptitle(title, fontsize=13)
    for index, (ax, (name, curve)) in enumerate(zip(axes, curves.items())):
        epochs = range(1, len(curve) + 1)
        for other_name, other in curves.items():
            if other_name != name:
                ax.plot(epochs, other, color="0.75", lw=1)
        if baseline is not None and name != baseline:
            ax.plot(epochs, curves[baseline], color="k", ls="--", lw=1)
        ax.plot(epochs, curve, color=color, lw=2)
        note = f"final loss {curve[-1]:.3g}"
        if baseline is not None and name != baseline and curve == curves[baseline]:
            note += f"\nthe same as {baseline}"
        ax.text(0.97, 0.95, note, transform=ax.transAxes, ha="right", va="top",
                fontsize=9)
        ax.set_title(name, fontsize=11)
        ax.set_yscale("log")
        if rates is not None:
            twin = ax.twinx()
            twin.plot(epochs, rates[name], color="C3", ls=":", lw=1.5)
            twin.set_yscale("log")
            twin.set_ylim(1e-4, 1)
            # Rate ticks on the right of each row's last panel.
            last_in_row = index % columns == columns - 1 or index == len(curves) - 1
            twin.tick_params(labelright=last_in_row, labelsize=8, colors="C3")
    for index, ax in enumerate(axes):
        if index % columns == 0:
            ax.set_ylabel("training loss")
        if index >= len(curves):
            ax.set_visible(False)
        elif index + columns >= len(curves):  # nothing drawn below it
            ax.set_xlabel("epoch")
            ax.xaxis.set_tick_params(labelbottom=True)


if __name__ == "__main__":
    main()
