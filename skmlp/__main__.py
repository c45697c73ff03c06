"""``python -m skmlp``: a short demo next to scikit-learn's own MLP.

Trains :class:`~skmlp.MLPClassifierBP` on the bundled digits data and
:class:`~skmlp.MLPRegressorBP` on the bundled diabetes data, each inside
``Pipeline(StandardScaler(), ...)`` (the regressor's target standardised
too), next to scikit-learn's ``MLPClassifier`` and ``MLPRegressor`` with the
same parameters, and prints what each learned. ``python -m skmlp --help``
says so and exits.
"""

from __future__ import annotations

import argparse
import time
import warnings

from sklearn.base import is_classifier
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import MLPClassifierBP, MLPRegressorBP, __version__


def _row(task: str, name: str, estimator, data) -> str:
    X_train, X_test, y_train, y_test = data
    model = make_pipeline(StandardScaler(), estimator)
    if not is_classifier(estimator):  # networks train best on standardised targets
        model = TransformedTargetRegressor(model, transformer=StandardScaler())
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    mlp = estimator if is_classifier(estimator) else model.regressor_[-1]
    return (f"{task:<22}{name:<26}{model.score(X_test, y_test):>10.4f}"
            f"{seconds:>10.3f}{mlp.n_iter_:>8d}{mlp.loss_:>12.5f}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m skmlp",
        description=(
            "Demo: train skmlp's MLPClassifierBP on scikit-learn's bundled "
            "digits data and MLPRegressorBP on its diabetes data, next to "
            "scikit-learn's MLPClassifier and MLPRegressor with the same "
            "parameters and random_state, plus a few settings scikit-learn "
            "does not have (other optimizers, schedules, activations, "
            "initialisers). Prints one line per model: test score, fit time, "
            "epochs and final loss. Takes a few seconds; needs no download."
        ),
        epilog="Documentation: https://skmlp.readthedocs.io",
    )
    parser.add_argument("--version", action="version",
                        version=f"skmlp {__version__}")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Train and compare; print one line per model.

    Parameters
    ----------
    argv : list of str or None, default=None
        The command-line arguments (``sys.argv[1:]`` if ``None``): only
        ``--help`` and ``--version``.
    """
    _parser().parse_args(argv)
    digits = train_test_split(*load_digits(return_X_y=True), test_size=0.25,
                              random_state=0)
    diabetes = train_test_split(*load_diabetes(return_X_y=True), test_size=0.25,
                                random_state=0)
    classifier_params = dict(hidden_layer_sizes=(64,), max_iter=200,
                             random_state=0)
    regressor_params = dict(hidden_layer_sizes=(16,), alpha=3.0,
                            learning_rate_init=0.003, max_iter=300, random_state=0)
    print(f"skmlp {__version__}: multilayer perceptrons by backpropagation\n")
    print(f"{'task':<22}{'model':<26}{'score':>10}{'fit (s)':>10}{'epochs':>8}"
          f"{'loss':>12}")
    print("-" * 88)
    rows = [
        ("digits (accuracy)", "sklearn MLPClassifier",
         MLPClassifier(**classifier_params), digits),
        ("digits (accuracy)", "skmlp MLPClassifierBP",
         MLPClassifierBP(**classifier_params), digits),
        ("digits (accuracy)", "skmlp + rmsprop, cosine",
         MLPClassifierBP(**classifier_params, solver="rmsprop",
                         learning_rate="cosine"), digits),
        ("diabetes (R²)", "sklearn MLPRegressor",
         MLPRegressor(**regressor_params), diabetes),
        ("diabetes (R²)", "skmlp MLPRegressorBP",
         MLPRegressorBP(**regressor_params), diabetes),
        ("diabetes (R²)", "skmlp + gelu, he_normal",
         MLPRegressorBP(**regressor_params, activation="gelu",
                        weight_init="he_normal"), diabetes),
        ("diabetes (R²)", "skmlp + adamw, cosine",
         MLPRegressorBP(**regressor_params, solver="adamw",
                        learning_rate="cosine"), diabetes),
    ]
    for task, name, estimator, data in rows:
        print(_row(task, name, estimator, data))
    print("\nSame parameters and random_state give scikit-learn's results; the "
          "extra rows show\noptimizers, schedules, activations and initialisers "
          "scikit-learn does not have.")


if __name__ == "__main__":
    main()
