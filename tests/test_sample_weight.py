"""Sample weights: scikit-learn 1.9's rules and messages, on every supported
scikit-learn version.

skmlp checks the weights itself (``skmlp._sample_weight``) instead of relying
on the installed scikit-learn: before 1.9, all-zero weights went through
(Adam "trained" on a zero loss, L-BFGS divided by zero) and ``score``
returned ``nan`` for non-finite weights. Every bad kind of weights, through
``fit``, ``partial_fit`` and ``score`` of both estimators with both kinds of
solver, raises scikit-learn 1.9.1's exact message and leaves the model as it
was, pickled attribute for pickled attribute. Negative weights are accepted,
as scikit-learn's MLPs accept them, with the same results.
"""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skmlp import MLPClassifierBP, MLPRegressorBP

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning")

N, CLASSES = 24, [0, 1, 2]
_rng = np.random.RandomState(0)
X = _rng.randn(N, 3)
TARGETS = {"classifier": np.arange(N) % 3, "regressor": _rng.randn(N)}
ESTIMATORS = {"classifier": MLPClassifierBP, "regressor": MLPRegressorBP}
SKLEARN = {"classifier": MLPClassifier, "regressor": MLPRegressor}
SOLVERS = ["adam", "lbfgs"]
PARAMS = dict(hidden_layer_sizes=(4,), max_iter=5, random_state=0)

# scikit-learn 1.9.1's messages, as its MLPs and metrics raise them.
ALL_ZERO = "Sample weights must contain at least one non-zero number."
NAN = "Input sample_weight contains NaN."
INF = ("Input sample_weight contains infinity or a value too large for "
       "dtype('float64').")
NOT_1D = (f"Sample weights must be 1D array or scalar, got 2D array. Expected "
          f"either a scalar value or a 1D array of length {N}.")


def _one(value):
    """Good weights but one: ``value`` at the start."""
    weights = np.linspace(0.5, 2.0, N)
    weights[0] = value
    return weights


#: id: (weights, message, entry points). A number (0.0) weighs every sample
#: in a fit; scikit-learn's metrics refuse numbers on every version.
BAD_WEIGHTS = {
    "all zero": (np.zeros(N), ALL_ZERO, ("fit", "partial_fit", "score")),
    "all zero, as a list": ([0] * N, ALL_ZERO, ("fit", "partial_fit", "score")),
    "zero number": (0.0, ALL_ZERO, ("fit", "partial_fit")),
    "NaN": (_one(np.nan), NAN, ("fit", "partial_fit", "score")),
    "+inf": (_one(np.inf), INF, ("fit", "partial_fit", "score")),
    "-inf": (_one(-np.inf), INF, ("fit", "partial_fit", "score")),
    "2-D": (np.ones((N, 1)), NOT_1D, ("fit", "partial_fit", "score")),
}


def _fit_all():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return {(kind, solver): Estimator(solver=solver, **PARAMS).fit(
                    X, TARGETS[kind])
                for kind, Estimator in ESTIMATORS.items() for solver in SOLVERS}


FITTED = _fit_all()


def _call(est, entry, sample_weight, *, first_call=False):
    y = TARGETS["classifier" if isinstance(est, MLPClassifierBP) else "regressor"]
    if entry == "partial_fit" and first_call and isinstance(est, MLPClassifierBP):
        return est.partial_fit(X, y, sample_weight=sample_weight, classes=CLASSES)
    return getattr(est, entry)(X, y, sample_weight=sample_weight)


def _cases(entries):
    for bad, (weights, message, bad_entries) in BAD_WEIGHTS.items():
        for kind in ESTIMATORS:
            for solver in SOLVERS:
                for entry in set(entries) & set(bad_entries):
                    if entry == "partial_fit" and solver == "lbfgs":
                        continue  # no partial_fit: L-BFGS is not stochastic
                    yield pytest.param(kind, solver, entry, weights, message,
                                       id=f"{kind}-{solver}-{entry}-{bad}")


def _state(est) -> bytes:
    return pickle.dumps(vars(est))


@pytest.mark.parametrize("kind, solver, entry, weights, message",
                         sorted(_cases(["fit", "partial_fit", "score"]),
                                key=lambda case: case.id))
def test_bad_weights_on_fitted_model(kind, solver, entry, weights, message):
    est = copy.deepcopy(FITTED[kind, solver])
    before = _state(est)
    with pytest.raises(ValueError) as error:
        _call(est, entry, weights)
    assert str(error.value) == message
    assert _state(est) == before


@pytest.mark.parametrize("kind, solver, entry, weights, message",
                         sorted(_cases(["fit", "partial_fit"]),
                                key=lambda case: case.id))
def test_bad_weights_on_unfitted_model(kind, solver, entry, weights, message):
    est = ESTIMATORS[kind](solver=solver, **PARAMS)
    before = _state(est)
    with pytest.raises(ValueError) as error:
        _call(est, entry, weights, first_call=True)
    assert str(error.value) == message
    assert _state(est) == before  # no fitted attribute of any kind


@pytest.mark.parametrize("solver", SOLVERS)
def test_warm_start_refit_with_bad_weights_keeps_the_model(solver):
    est = copy.deepcopy(FITTED["regressor", solver]).set_params(warm_start=True)
    before = _state(est)
    with pytest.raises(ValueError) as error:
        est.fit(X, TARGETS["regressor"], sample_weight=np.zeros(N))
    assert str(error.value) == ALL_ZERO
    assert _state(est) == before


# -- class_weight, folded into the sample weights --------------------------------

ZERO_CLASS_WEIGHTS = ("With class_weight={0: 0.0, 1: 0.0, 2: 0.0}, every sample "
                      "has a weight of zero: sample weights must contain at "
                      "least one non-zero number.")


@pytest.mark.parametrize("entry, solver", [("fit", "adam"), ("fit", "lbfgs"),
                                           ("partial_fit", "adam")])
@pytest.mark.parametrize("sample_weight", [None, np.ones(N)],
                         ids=["no sample_weight", "sample_weight"])
def test_class_weight_of_zero_everywhere_is_refused(entry, solver, sample_weight):
    est = copy.deepcopy(FITTED["classifier", solver]).set_params(
        class_weight=dict.fromkeys(CLASSES, 0.0))
    before = _state(est)
    with pytest.raises(ValueError) as error:
        _call(est, entry, sample_weight)
    assert str(error.value) == ZERO_CLASS_WEIGHTS
    assert _state(est) == before


def test_class_weight_times_sample_weight_of_zero_everywhere_is_refused():
    y = TARGETS["classifier"]
    est = MLPClassifierBP(**PARAMS, class_weight={0: 1.0, 1: 0.0, 2: 0.0})
    with pytest.raises(ValueError, match="every sample has a weight of zero"):
        est.fit(X, y, sample_weight=(y != 0).astype(float))
    assert not hasattr(est, "coefs_")
    # one sample of class 0 with a weight is enough
    est.fit(X, y, sample_weight=(y != 0) + np.eye(N)[0])
    assert hasattr(est, "coefs_")


# -- what is allowed: negative weights, as in scikit-learn -----------------------

NEGATIVE = np.where(np.arange(N) % 4 == 0, -0.5, 1.0)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", ESTIMATORS)
def test_negative_weights_are_accepted_like_sklearn(kind, solver):
    y = TARGETS[kind]
    ours = ESTIMATORS[kind](solver=solver, **PARAMS).fit(X, y, sample_weight=NEGATIVE)
    theirs = SKLEARN[kind](solver=solver, **PARAMS).fit(X, y, sample_weight=NEGATIVE)
    for mine, reference in zip(ours.coefs_ + ours.intercepts_,
                               theirs.coefs_ + theirs.intercepts_, strict=True):
        assert_array_equal(mine, reference, strict=True)
    assert ours.loss_ == theirs.loss_
    assert (ours.score(X, y, sample_weight=NEGATIVE)
            == theirs.score(X, y, sample_weight=NEGATIVE))


@pytest.mark.parametrize("kind", ESTIMATORS)
def test_negative_weights_in_partial_fit_like_sklearn(kind):
    y = TARGETS[kind]
    extra = {"classes": CLASSES} if kind == "classifier" else {}
    ours = ESTIMATORS[kind](**PARAMS).partial_fit(X, y, sample_weight=NEGATIVE,
                                                  **extra)
    theirs = SKLEARN[kind](**PARAMS).partial_fit(X, y, sample_weight=NEGATIVE,
                                                 **extra)
    for mine, reference in zip(ours.coefs_ + ours.intercepts_,
                               theirs.coefs_ + theirs.intercepts_, strict=True):
        assert_array_equal(mine, reference, strict=True)
    assert ours.loss_ == theirs.loss_


@pytest.mark.parametrize("kind", ESTIMATORS)
def test_a_single_non_zero_weight_is_enough(kind):
    weights = np.zeros(N)
    weights[0] = 1.0
    est = ESTIMATORS[kind](**PARAMS).fit(X, TARGETS[kind], sample_weight=weights)
    assert np.isfinite(est.loss_) and est.loss_ > 0
    assert np.isfinite(est.score(X, TARGETS[kind], sample_weight=weights))
