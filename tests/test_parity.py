"""Parity with scikit-learn's ``MLPClassifier`` and ``MLPRegressor``.

Every expected value comes from scikit-learn, fitted with the same
parameters on the same data.

Tolerances reached (and asserted):

* float64, every solver (sgd with Nesterov/classical/no momentum, adam,
  lbfgs), every schedule, early stopping, sample weights, batch sizes,
  warm starts and ``partial_fit``: **bit-identical** weights, loss curves,
  scores, ``n_iter_``, ``t_`` and predictions (``assert_array_equal``).
* float32 (skmlp trains in float32 end to end; scikit-learn does not
  always):

  - sgd, classifier or float32 targets: bit-identical weights; the loss
    curve to ~3e-7 relative (scikit-learn evaluates some losses in float64).
  - sgd, regressor with float64 targets: ~1e-6 of the weights' scale, as
    scikit-learn's output errors ``a - y`` are upcast to float64 by ``y``.
  - adam: ~3e-7 (the update's float32 rounding order differs).
  - lbfgs: weights ~5e-6, ``loss_`` ~4e-5: scikit-learn hands scipy's
    float64 vector to the network, so on float32 ``X`` it trains (and
    returns weights) in float64; skmlp casts back and trains in float32.

  Asserted with ``rtol=1e-5`` (``1e-4`` for lbfgs) relative to each
  array's largest magnitude.
"""

import inspect
import warnings

import numpy as np
import pytest
from _compat import (
    EARLY_STOPPING_STRING_LABELS_BUG,
    early_stopping_on_string_labels,
    skip_sklearn_early_stopping_string_labels,
    sklearn_early_stopping_marks,
)
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import (
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierBP, MLPRegressorBP

# Where warnings matter, fit_pair records and compares them itself.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: skmlp-only parameters, keyword-only, after scikit-learn's.
SKMLP_ONLY_PARAMETERS = ["weight_init", "batch_norm", "dropout", "clip_grad_norm",
                         "clip_grad_value", "callbacks"]
CLASSIFIER_ONLY_PARAMETERS = ["class_weight"]

N = 60


def _problems():
    rng = np.random.RandomState(0)
    X, y_binary = make_classification(N, 5, n_informative=3, random_state=0)
    _, y_multi = make_classification(N, 5, n_informative=3, n_classes=3,
                                     random_state=1)
    X_ml, y_ml = make_multilabel_classification(N, 5, n_classes=3, random_state=0)
    X_r, y_r = make_regression(N, 5, noise=1.0, random_state=0)
    X_r2, y_r2 = make_regression(N, 5, n_targets=2, noise=1.0, random_state=1)
    X_r, X_r2, X_ml = (StandardScaler().fit_transform(a) for a in (X_r, X_r2, X_ml))
    y_poisson = rng.poisson(np.exp(0.3 * X_r[:, 0]))
    return {
        "binary": ("clf", X, y_binary, {}),
        "multiclass": ("clf", X, np.array(["a", "b", "c"])[y_multi], {}),
        "multilabel": ("clf", X_ml, y_ml, {}),
        "regression": ("reg", X_r, y_r / y_r.std(), {}),
        "multioutput": ("reg", X_r2, y_r2 / y_r2.std(axis=0), {}),
        "poisson": ("reg", X_r, y_poisson, {"loss": "poisson"}),
    }


PROBLEMS = _problems()
PAIRS = {"clf": (MLPClassifier, MLPClassifierBP), "reg": (MLPRegressor, MLPRegressorBP)}

SOLVERS = {
    "sgd-nesterov": dict(solver="sgd", learning_rate_init=0.05),
    "sgd-classical": dict(solver="sgd", nesterovs_momentum=False,
                          learning_rate_init=0.05),
    "sgd-no-momentum": dict(solver="sgd", momentum=0.0, learning_rate_init=0.1),
    "adam": dict(solver="adam", learning_rate_init=0.01),
    "lbfgs": dict(solver="lbfgs"),
}
STOCHASTIC = [name for name in SOLVERS if name != "lbfgs"]

# Small enough to be fast; tol and n_iter_no_change such that some runs stop
# (and "adaptive" divides its rate) before max_iter and others do not.
BASE = dict(hidden_layer_sizes=(6,), max_iter=25, random_state=0, tol=1e-3,
            n_iter_no_change=3)

WARNING_TYPES = (UserWarning,)  # ConvergenceWarning, DataConversionWarning...


def _call(estimator, method, *args, **kwargs):
    """Call ``estimator.method``; return the UserWarnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        getattr(estimator, method)(*args, **kwargs)
    return [(w.category, str(w.message)) for w in caught
            if issubclass(w.category, WARNING_TYPES)]


def fit_pair(problem, params, *, method="fit", X=None, y=None, **fit_params):
    kind, X_default, y_default, extra = PROBLEMS[problem]
    X = X_default if X is None else X
    y = y_default if y is None else y
    SK, BP = PAIRS[kind]
    sk, bp = SK(**extra, **params), BP(**extra, **params)
    sk_warnings = _call(sk, method, X, y, **fit_params)
    bp_warnings = _call(bp, method, X, y, **fit_params)
    assert bp_warnings == sk_warnings
    return sk, bp


def _assert_close(actual, expected, rtol):
    """Exact when ``rtol`` is 0, else close relative to the largest value."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    if rtol == 0:
        assert_array_equal(actual, expected, strict=True)
    else:
        scale = np.max(np.abs(expected)) if expected.size else 1.0
        assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


def assert_parity(sk, bp, X, *, rtol=0.0, loss_rtol=None):
    """Fitted attributes and predictions of ``bp`` match ``sk``."""
    loss_rtol = rtol if loss_rtol is None else loss_rtol
    fitted = {name for name in vars(sk) if name.endswith("_")
              and not name.startswith("_")}
    assert fitted <= set(vars(bp)), fitted - set(vars(bp))
    for name in ["n_iter_", "t_", "n_outputs_", "n_layers_", "out_activation_",
                 "n_features_in_"]:
        assert getattr(bp, name) == getattr(sk, name), name
    if hasattr(sk, "classes_"):
        assert_array_equal(bp.classes_, sk.classes_, strict=True)
    assert len(bp.coefs_) == len(sk.coefs_)
    for ours, theirs in zip(bp.coefs_ + bp.intercepts_, sk.coefs_ + sk.intercepts_):
        _assert_close(ours, theirs, rtol)
    for name in ["loss_", "loss_curve_", "best_loss_", "validation_scores_",
                 "best_validation_score_"]:
        if not hasattr(sk, name):
            continue  # lbfgs: scikit-learn records no curve
        theirs, ours = getattr(sk, name), getattr(bp, name)
        if theirs is None:
            assert ours is None, name
        elif name in ("validation_scores_", "best_validation_score_"):
            assert_array_equal(ours, theirs)  # accuracies / R² of equal outputs
        else:
            _assert_close(ours, theirs, loss_rtol)
    if rtol == 0:
        assert_array_equal(bp.predict(X), sk.predict(X), strict=True)
    if hasattr(sk, "predict_proba"):
        _assert_close(bp.predict_proba(X), sk.predict_proba(X), rtol)
    else:
        _assert_close(bp.predict(X), sk.predict(X), rtol)


# -- the signature ------------------------------------------------------------


@pytest.mark.parametrize("ours, theirs", [(MLPClassifierBP, MLPClassifier),
                                          (MLPRegressorBP, MLPRegressor)])
def test_signature_matches_sklearn(ours, theirs):
    our_params = list(inspect.signature(ours).parameters.values())
    their_params = list(inspect.signature(theirs).parameters.values())
    n = len(their_params)
    assert our_params[:n] == their_params  # names, order, kinds, defaults
    extra = our_params[n:]
    expected = SKMLP_ONLY_PARAMETERS + (
        CLASSIFIER_ONLY_PARAMETERS if ours is MLPClassifierBP else [])
    assert [p.name for p in extra] == expected
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in extra)
    # every addition is off by default
    assert all(p.default in (None, "sklearn", False, 0.0) for p in extra)
    assert ours().get_params().keys() - theirs().get_params().keys() == set(
        expected)


# -- the solver x schedule x problem grid -----------------------------------


GRID = [
    (problem, solver, schedule, early_stopping)
    for problem in PROBLEMS
    for solver in SOLVERS
    for schedule in ["constant", "invscaling", "adaptive"]
    for early_stopping in [False, True]
    # lbfgs ignores the schedule and early stopping.
    if solver != "lbfgs" or (schedule == "constant" and not early_stopping)
]


@pytest.mark.parametrize("problem, solver, schedule, early_stopping", [
    pytest.param(*case, marks=sklearn_early_stopping_marks(PROBLEMS[case[0]][2],
                                                           case[3]))
    for case in GRID
])
def test_grid(problem, solver, schedule, early_stopping):
    params = dict(BASE, learning_rate=schedule, early_stopping=early_stopping,
                  **SOLVERS[solver])
    sk, bp = fit_pair(problem, params)
    assert_parity(sk, bp, PROBLEMS[problem][1])


def test_grid_covers_stopping_and_adaptive_decay():
    """The grid is only meaningful if runs both stop early and run out.

    Over the cases that run: those scikit-learn#33760 skips are left out
    where it does."""
    n_iters = {}
    for problem, solver, schedule, early_stopping in GRID:
        kind, X, y, extra = PROBLEMS[problem]
        if solver == "lbfgs" or (EARLY_STOPPING_STRING_LABELS_BUG and
                                 early_stopping_on_string_labels(y, early_stopping)):
            continue
        est = PAIRS[kind][0](**extra, **BASE, **SOLVERS[solver],
                             learning_rate=schedule, early_stopping=early_stopping)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, y)
        n_iters.setdefault(schedule, set()).add(est.n_iter_ < BASE["max_iter"])
    assert n_iters["constant"] == {True, False}
    assert n_iters["adaptive"] == {True, False}


# -- variations on a subset -------------------------------------------------


@pytest.mark.parametrize("problem, solver, early_stopping", [
    pytest.param(problem, solver, early_stopping,
                 marks=sklearn_early_stopping_marks(PROBLEMS[problem][2],
                                                    early_stopping))
    for problem in ["multiclass", "multioutput"]
    for solver in SOLVERS
    for early_stopping in ([False, True] if solver != "lbfgs" else [False])
])
def test_sample_weight(problem, solver, early_stopping):
    sample_weight = np.random.RandomState(1).uniform(0.1, 3.0, N)
    params = dict(BASE, early_stopping=early_stopping, **SOLVERS[solver])
    sk, bp = fit_pair(problem, params, sample_weight=sample_weight)
    assert_parity(sk, bp, PROBLEMS[problem][1])


@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("problem", ["binary", "regression"])
def test_no_shuffle(problem, solver):
    sk, bp = fit_pair(problem, dict(BASE, shuffle=False, **SOLVERS[solver]))
    assert_parity(sk, bp, PROBLEMS[problem][1])


@pytest.mark.parametrize("batch_size", [1, 7, N, "auto", 10 * N])
@pytest.mark.parametrize("solver", ["sgd-nesterov", "adam"])
def test_batch_size(batch_size, solver):
    params = dict(BASE, batch_size=batch_size, max_iter=8, **SOLVERS[solver])
    if batch_size == 1:
        params["learning_rate_init"] /= 10
    if batch_size == 10 * N:  # clipped to n_samples, with scikit-learn's warning
        with pytest.warns(UserWarning, match="It is going to be clipped"):
            MLPClassifierBP(**params).fit(*PROBLEMS["multiclass"][1:3])
    sk, bp = fit_pair("multiclass", params)  # also compares the warnings
    assert_parity(sk, bp, PROBLEMS["multiclass"][1])


def test_batch_size_auto_is_200_on_larger_data():
    X, y = make_classification(250, 5, n_informative=3, n_classes=3, random_state=0)
    sk, bp = fit_pair("multiclass", dict(BASE, max_iter=5), X=X, y=y)
    assert_parity(sk, bp, X)


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("solver", ["sgd-nesterov", "adam", "lbfgs"])
@pytest.mark.parametrize("problem", ["multiclass", "multioutput"])
def test_activation(problem, solver, activation):
    params = dict(BASE, hidden_layer_sizes=(6, 4), activation=activation,
                  **SOLVERS[solver])
    sk, bp = fit_pair(problem, params)
    assert_parity(sk, bp, PROBLEMS[problem][1])


@pytest.mark.parametrize("alpha", [0.0, 0.1, 10.0])
@pytest.mark.parametrize("solver", ["sgd-nesterov", "adam", "lbfgs"])
@pytest.mark.parametrize("problem", ["multiclass", "regression"])
def test_alpha(problem, solver, alpha):
    """The L2 penalty enters the loss as scikit-learn adds it up, layer by
    layer: one dot product over all the weights rounds differently, which
    shows in the loss curve once α is large."""
    params = dict(BASE, hidden_layer_sizes=(6, 4), alpha=alpha, **SOLVERS[solver])
    sk, bp = fit_pair(problem, params)
    assert_parity(sk, bp, PROBLEMS[problem][1])


def test_adam_ignores_sgd_schedules_like_sklearn():
    params = dict(BASE, **SOLVERS["adam"])
    constant = MLPClassifier(**params).fit(*PROBLEMS["binary"][1:3])
    for schedule in ["invscaling", "adaptive"]:
        sk, bp = fit_pair("binary", dict(params, learning_rate=schedule))
        assert_parity(sk, bp, PROBLEMS["binary"][1])
        assert_array_equal(bp.coefs_[0], constant.coefs_[0])


# -- float32 --------------------------------------------------------------


@pytest.mark.parametrize("solver", list(SOLVERS))
@pytest.mark.parametrize("problem, y_dtype", [
    ("binary", None), ("multiclass", None), ("multilabel", None),
    ("regression", np.float64), ("regression", np.float32),
    ("multioutput", np.float64), ("poisson", np.float64),
])
def test_float32(problem, y_dtype, solver):
    kind, X, y, _ = PROBLEMS[problem]
    X = X.astype(np.float32)
    y = y if y_dtype is None else y.astype(y_dtype)
    params = dict(BASE, max_iter=15, **SOLVERS[solver])
    sk, bp = fit_pair(problem, params, X=X, y=y)
    assert all(c.dtype == np.float32 for c in bp.coefs_ + bp.intercepts_)
    exact = solver.startswith("sgd") and (kind == "clf" or y_dtype == np.float32)
    if exact:
        for ours, theirs in zip(bp.coefs_ + bp.intercepts_,
                                sk.coefs_ + sk.intercepts_):
            assert_array_equal(ours, theirs, strict=True)
    rtol = 1e-4 if solver == "lbfgs" else 1e-5
    assert_parity(sk, bp, X, rtol=rtol)


# -- warm starts and partial_fit ----------------------------------------------


WARM_START_CASES = [
    (problem, solver, early_stopping)
    for problem in ["multiclass", "multilabel", "regression", "multioutput"]
    for solver in SOLVERS
    for early_stopping in [False, True]
    if not (early_stopping and solver == "lbfgs")
    # With early stopping, a refit whose validation score never improves
    # hits a scikit-learn aliasing bug (test_warm_start_early_stopping_...);
    # on these regression problems every refit improves.
    and not (early_stopping and PROBLEMS[problem][0] == "clf")
]


@pytest.mark.parametrize("problem, solver, early_stopping", WARM_START_CASES)
def test_warm_start_refits(problem, solver, early_stopping):
    X, y = PROBLEMS[problem][1:3]
    params = dict(BASE, max_iter=4, early_stopping=early_stopping,
                  **SOLVERS[solver])
    sk, bp = fit_pair(problem, params)
    for max_iter, learning_rate_init in [(3, None), (5, 0.02)]:
        best_before = getattr(sk, "best_validation_score_", None)
        for est in (sk, bp):
            est.set_params(warm_start=True, max_iter=max_iter)
            if learning_rate_init and solver != "lbfgs":
                est.set_params(learning_rate_init=learning_rate_init)
        assert _call(bp, "fit", X, y) == _call(sk, "fit", X, y)
        if early_stopping:  # the case is what it says
            assert sk.best_validation_score_ > best_before
        assert_parity(sk, bp, X)


@skip_sklearn_early_stopping_string_labels
def test_warm_start_early_stopping_without_improvement_keeps_best_weights():
    """A documented deviation. scikit-learn's ``coefs_`` is its
    ``_best_coefs`` list after early stopping, so a warm refit trains those
    very arrays in place and, when the validation score never improves,
    "restores" the last epoch's weights. skmlp restores the best ones: those
    it started the refit from."""
    X, y = PROBLEMS["multiclass"][1:3]
    params = dict(BASE, max_iter=4, early_stopping=True, **SOLVERS["adam"])
    sk, bp = fit_pair("multiclass", params)
    assert_parity(sk, bp, X)
    best = [c.copy() for c in bp.coefs_ + bp.intercepts_]
    best_score = bp.best_validation_score_
    for est in (sk, bp):
        est.set_params(warm_start=True, max_iter=3).fit(X, y)
    assert bp.best_validation_score_ == sk.best_validation_score_ == best_score
    assert bp.validation_scores_ == sk.validation_scores_
    assert bp.loss_curve_ == sk.loss_curve_
    for ours, before in zip(bp.coefs_ + bp.intercepts_, best):
        assert_array_equal(ours, before)
    assert not np.array_equal(sk.coefs_[0], best[0])  # scikit-learn's bug


def test_cold_refit_forgets_previous_fit():
    X, y = PROBLEMS["multiclass"][1:3]
    params = dict(BASE, max_iter=4, **SOLVERS["adam"])
    sk, bp = fit_pair("multiclass", params)
    for est in (sk, bp):
        est.fit(X[:40], y[:40])  # warm_start=False: a fresh fit
    assert_parity(sk, bp, X)


@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("problem", ["binary", "multiclass", "multilabel",
                                     "regression", "multioutput", "poisson"])
def test_partial_fit_sequence(problem, solver):
    kind, X, y, extra = PROBLEMS[problem]
    SK, BP = PAIRS[kind]
    params = dict(BASE, **SOLVERS[solver], **extra)
    sk, bp = SK(**params), BP(**params)
    # Both require classes on the first call; for multilabel targets they are
    # the column indices.
    first = {}
    if kind == "clf":
        first["classes"] = np.arange(y.shape[1]) if y.ndim == 2 else np.unique(y)
    chunks = [slice(0, 20), slice(20, 45), slice(45, N), slice(0, N)] * 2
    for i, chunk in enumerate(chunks):
        kwargs = first if i == 0 else {}
        assert (_call(bp, "partial_fit", X[chunk], y[chunk], **kwargs)
                == _call(sk, "partial_fit", X[chunk], y[chunk], **kwargs))
        assert_parity(sk, bp, X)


@pytest.mark.parametrize("y, classes", [
    (np.array([0, 1, 5] * 4), [0, 1, 2]),  # a label not in classes
    (np.tile([[1, 0, 1], [0, 1, 1]], (6, 1)), [0, 1]),  # a column not in classes
])
def test_first_partial_fit_rejects_labels_not_in_classes(y, classes):
    X = np.random.RandomState(0).randn(len(y), 3)
    with pytest.raises(ValueError) as sklearn_error:
        MLPClassifier().partial_fit(X, y, classes=classes)
    with pytest.raises(ValueError) as our_error:
        MLPClassifierBP().partial_fit(X, y, classes=classes)
    assert str(our_error.value) == str(sklearn_error.value)
    assert "`y` has classes not in `self.classes_`" in str(our_error.value)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_partial_fit_continues_after_fit(solver):
    X, y = PROBLEMS["multiclass"][1:3]
    sk, bp = fit_pair("multiclass", dict(BASE, max_iter=3, **SOLVERS[solver]))
    for _ in range(2):
        sk.partial_fit(X[:30], y[:30])
        bp.partial_fit(X[:30], y[:30])
        assert_parity(sk, bp, X)


def test_partial_fit_with_sample_weight():
    X, y = PROBLEMS["multiclass"][1:3]
    sample_weight = np.random.RandomState(2).uniform(0.1, 3.0, N)
    sk = MLPClassifier(**BASE, **SOLVERS["adam"])
    bp = MLPClassifierBP(**BASE, **SOLVERS["adam"])
    for i in range(3):
        kwargs = {"classes": np.unique(y)} if i == 0 else {}
        for est in (sk, bp):
            est.partial_fit(X, y, sample_weight=sample_weight, **kwargs)
        assert_parity(sk, bp, X)


# -- warnings ----------------------------------------------------------------


@pytest.mark.parametrize("solver, max_iter", [
    ("adam", 2), ("adam", 500), ("sgd-nesterov", 2), ("lbfgs", 2), ("lbfgs", 500),
])
def test_convergence_warning_like_sklearn(solver, max_iter):
    """fit_pair asserts the same warnings, with the same messages."""
    params = dict(BASE, max_iter=max_iter, **SOLVERS[solver])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MLPRegressor(**params).fit(*PROBLEMS["regression"][1:3])
    sklearn_warns = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    assert sklearn_warns == (max_iter == 2)  # the cases are what they say
    sk, bp = fit_pair("regression", params)
    assert_parity(sk, bp, PROBLEMS["regression"][1])


def test_column_vector_y_warns_like_sklearn():
    X, y = PROBLEMS["regression"][1:3]
    sk, bp = fit_pair("regression", dict(BASE, max_iter=3), y=y[:, np.newaxis])
    assert_parity(sk, bp, X)
