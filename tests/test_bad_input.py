"""The bad-input catalogue: every entry point of both estimators, every kind
of bad input, a clear error, and no change to a fitted model.

Three families, each a parametrised test:

- bad data (``X``, ``y``, ``sample_weight``, classes, feature counts and
  names) through ``fit``, ``partial_fit``, ``predict``, ``predict_proba``,
  ``predict_log_proba`` and ``score``, on fitted *and* (for the fitting
  methods) unfitted estimators;
- invalid hyperparameters of the estimators, **generated** from their
  ``_parameter_constraints`` (so a parameter added later is covered the day
  it is declared there), plus the checks that constraints cannot express;
- invalid hyperparameters of every built-in component
  (``skmlp.optimizers.OPTIMIZERS``, ``skmlp.schedulers.SCHEDULERS``), again
  generated from their ``_parameter_constraints``, given as
  ``solver=Cls(param=bad)`` / ``learning_rate=Cls(param=bad)``.

Every failing call must raise an exception whose message names the problem
(``match=``) and leave the model bit-identical: all its attributes (weights,
curves, optimizer state...) and its predictions. ``tests/test_state.py``
holds the deeper state-safety scenarios (errors mid-training, divergence,
interrupts); this file is the systematic sweep.
"""

from __future__ import annotations

import copy
import pickle
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.neural_network import MLPClassifier
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
    generate_invalid_param_val,
    make_constraint,
)

from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp.activations import ReLU
from skmlp.initializers import HeNormal
from skmlp.optimizers import OPTIMIZERS, SGD, Adam
from skmlp.schedulers import (
    SCHEDULERS,
    CyclicLR,
    MultiStepLR,
    OneCycleLR,
    StepLR,
    WarmupLR,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    # scikit-learn's accuracy_score casts a NaN y before rejecting it
    pytest.mark.filterwarnings("ignore:invalid value encountered in cast"
                               ":RuntimeWarning"),
]

N, N_FEATURES, CLASSES = 30, 4, [0, 1, 2]
PARAMS = dict(hidden_layer_sizes=(5,), solver="sgd", max_iter=3, random_state=0)
NAMES = [f"f{i}" for i in range(N_FEATURES)]

X, Y_CLF = make_classification(N, N_FEATURES, n_informative=3, n_redundant=0,
                               n_classes=3, random_state=0)
_X_REG, _y_reg = make_regression(N, N_FEATURES, noise=1.0, random_state=0)
Y_REG = _y_reg / _y_reg.std()
ESTIMATORS = {"classifier": MLPClassifierBP, "regressor": MLPRegressorBP}
TARGETS = {"classifier": Y_CLF, "regressor": Y_REG}


def _fit_all():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models = {}
        for kind, Estimator in ESTIMATORS.items():
            models[kind] = Estimator(**PARAMS).fit(X, TARGETS[kind])
            models[f"{kind}_named"] = Estimator(**PARAMS).fit(
                pd.DataFrame(X, columns=NAMES), TARGETS[kind])
        return models


FITTED = _fit_all()


def fitted(name):
    return copy.deepcopy(FITTED[name])


class Fingerprint:
    """Everything a model is: every attribute, pickled, and its outputs."""

    def __init__(self, est, X_eval=X):
        self.state = {name: pickle.dumps(value) for name, value in vars(est).items()}
        self.outputs = []
        if hasattr(est, "coefs_"):
            self.outputs.append(est.predict(X_eval))
            if hasattr(est, "predict_proba"):
                self.outputs.append(est.predict_proba(X_eval))

    def assert_same(self, other: Fingerprint):
        assert other.state.keys() == self.state.keys()
        changed = [name for name in self.state if other.state[name] != self.state[name]]
        assert not changed, f"attributes changed: {changed}"
        for ours, theirs in zip(other.outputs, self.outputs, strict=True):
            assert_array_equal(ours, theirs, strict=True)


# == bad data =====================================================================

ENTRY_POINTS = ["fit", "partial_fit", "predict", "predict_proba",
                "predict_log_proba", "score"]
TAKES_Y = {"fit", "partial_fit", "score"}


def _call(est, entry, X_, y, *, sample_weight=None, first_call=False):
    if entry == "fit":
        return est.fit(X_, y, sample_weight=sample_weight)
    if entry == "partial_fit":
        extra = ({"classes": CLASSES}
                 if first_call and isinstance(est, MLPClassifierBP) else {})
        return est.partial_fit(X_, y, sample_weight=sample_weight, **extra)
    if entry == "score":
        return est.score(X_, y, sample_weight=sample_weight)
    return getattr(est, entry)(X_)


def _with(X_=None, y=None, sw=None):
    """A bad input: replaces X, y and/or sample_weight (functions of the good
    ones)."""
    return lambda X0, y0: (X0 if X_ is None else X_(X0), y0 if y is None else y(y0),
                           None if sw is None else sw(X0))


def _where(values, value):
    return np.where(values > np.quantile(values, 0.7), value, values)


# (id, make, match, entry points, estimators). ``match`` is a regex, or a
# dict {entry point: regex} where messages differ (scikit-learn's metrics).
_BOTH = ("classifier", "regressor")
_ALL = tuple(ENTRY_POINTS)
_FITTING = ("fit", "partial_fit", "score")
BAD_DATA = [
    # -- X values
    ("X NaN", _with(X_=lambda X0: _where(X0, np.nan)), "Input X contains NaN",
     _ALL, _BOTH),
    ("X +inf", _with(X_=lambda X0: _where(X0, np.inf)), "Input X contains infinity",
     _ALL, _BOTH),
    ("X -inf", _with(X_=lambda X0: np.where(X0 < -1, -np.inf, X0)),
     "Input X contains infinity", _ALL, _BOTH),
    ("X strings", _with(X_=lambda X0: np.full(X0.shape, "a")),
     "could not convert string to float", _ALL, _BOTH),
    ("X object strings", _with(X_=lambda X0: np.full(X0.shape, "a", dtype=object)),
     "could not convert string to float", _ALL, _BOTH),
    ("X complex", _with(X_=lambda X0: X0 + 1j), "Complex data not supported",
     _ALL, _BOTH),
    ("X None", _with(X_=lambda X0: None), "Expected 2D array, got scalar", _ALL,
     _BOTH),
    ("X ragged lists", _with(X_=lambda X0: [list(X0[0]), list(X0[1][:2])]),
     "inhomogeneous shape", _ALL, _BOTH),
    # -- X shapes
    ("X 1-D", _with(X_=lambda X0: X0[:, 0]), "Expected 2D array, got 1D array",
     _ALL, _BOTH),
    ("X 3-D", _with(X_=lambda X0: X0[:, :, None]), "Found array with dim 3",
     _ALL, _BOTH),
    ("X zero rows", _with(X_=lambda X0: X0[:0], y=lambda y0: y0[:0]),
     r"Found array with 0 sample\(s\)", _ALL, _BOTH),
    ("X zero features", _with(X_=lambda X0: X0[:, :0]),
     r"Found array with 0 feature\(s\)", _ALL, _BOTH),
    ("X feature count changed", _with(X_=lambda X0: X0[:, :3]),
     f"X has 3 features, but MLP(Classifier|Regressor)BP is expecting {N_FEATURES}",
     ("partial_fit", "predict", "predict_proba", "predict_log_proba", "score"),
     _BOTH),
    # -- y
    ("y NaN", _with(y=lambda y0: np.where(np.arange(N) % 7 == 0, np.nan, y0)),
     "contains NaN", _FITTING, _BOTH),
    ("y +inf", _with(y=lambda y0: np.where(np.arange(N) % 7 == 0, np.inf, y0)),
     "contains infinity", _FITTING, _BOTH),
    ("y -inf", _with(y=lambda y0: np.where(np.arange(N) % 7 == 0, -np.inf, y0)),
     "contains infinity", _FITTING, _BOTH),
    ("y complex", _with(y=lambda y0: y0 + 1j), "Complex data not supported",
     _FITTING, _BOTH),
    ("y 3-D", _with(y=lambda y0: y0[:, None, None]),
     {"fit": "Found array with dim 3", "partial_fit": "Found array with dim 3",
      "score": "(Found array with dim 3|can't handle a mix of unknown)"},
     _FITTING, _BOTH),
    ("X/y lengths differ", _with(y=lambda y0: y0[:20]),
     "inconsistent numbers of samples", _FITTING, _BOTH),
    ("y strings (regressor)", _with(y=lambda y0: np.full(N, "a")),
     "could not convert string to float", _FITTING, ("regressor",)),
    ("y continuous (classifier)", _with(y=lambda y0: np.linspace(0, 1, N)),
     "Unknown label type", ("fit", "partial_fit"), ("classifier",)),
    # -- sample weights
    ("sample_weight NaN", _with(sw=lambda X0: np.full(len(X0), np.nan)),
     "Input sample_weight contains NaN", _FITTING, _BOTH),
    ("sample_weight inf", _with(sw=lambda X0: np.full(len(X0), np.inf)),
     "Input sample_weight contains infinity", _FITTING, _BOTH),
    ("sample_weight length", _with(sw=lambda X0: np.ones(len(X0) - 1)),
     r"sample_weight.shape == \(29,\), expected \(30,\)", ("fit", "partial_fit"),
     _BOTH),
    ("sample_weight 2-D", _with(sw=lambda X0: np.ones((len(X0), 2))),
     "Sample weights must be 1D", _FITTING, _BOTH),
    ("sample_weight all zero", _with(sw=lambda X0: np.zeros(len(X0))),
     "Sample weights must contain at least one non-zero number", _FITTING, _BOTH),
]


def _bad_data_cases():
    for bad_id, make, match, entries, kinds in BAD_DATA:
        for kind in kinds:
            for entry in entries:
                if entry.startswith("predict_") and kind == "regressor":
                    continue
                regex = match[entry] if isinstance(match, dict) else match
                yield pytest.param(kind, entry, make, regex,
                                   id=f"{kind}-{entry}-{bad_id}")


BAD_DATA_CASES = list(_bad_data_cases())


@pytest.mark.parametrize("kind, entry, make, match", BAD_DATA_CASES)
def test_bad_data_on_fitted_model(kind, entry, make, match):
    est = fitted(kind)
    before = Fingerprint(est)
    X_bad, y_bad, sw_bad = make(X, TARGETS[kind])
    with pytest.raises(ValueError, match=match):
        _call(est, entry, X_bad, y_bad, sample_weight=sw_bad)
    before.assert_same(Fingerprint(est))


@pytest.mark.parametrize(
    "kind, entry, make, match",
    [case for case in BAD_DATA_CASES if case.values[1] in ("fit", "partial_fit")
     and "feature count" not in case.id],
)
def test_bad_data_on_unfitted_model(kind, entry, make, match):
    est = ESTIMATORS[kind](**PARAMS)
    params = est.get_params(deep=False)
    X_bad, y_bad, sw_bad = make(X, TARGETS[kind])
    with pytest.raises(ValueError, match=match):
        _call(est, entry, X_bad, y_bad, sample_weight=sw_bad, first_call=True)
    assert vars(est).keys() == params.keys()  # no fitted attribute of any kind
    with pytest.raises(NotFittedError):
        est.predict(X)


# -- feature names ----------------------------------------------------------------

FRAMES = {
    "renamed": pd.DataFrame(X, columns=[f"g{i}" for i in range(N_FEATURES)]),
    "reordered": pd.DataFrame(X, columns=NAMES)[NAMES[::-1]],
    "column missing": pd.DataFrame(X, columns=NAMES)[NAMES[:-1]],
}


@pytest.mark.parametrize("frame", FRAMES)
@pytest.mark.parametrize("entry", ["partial_fit", "warm_fit", "predict",
                                   "predict_proba", "score"])
@pytest.mark.parametrize("kind", _BOTH)
def test_feature_names_changed_since_fit(kind, entry, frame):
    if kind == "regressor" and entry == "predict_proba":
        pytest.skip("regressors have no predict_proba")
    est = fitted(f"{kind}_named")
    X_named = pd.DataFrame(X, columns=NAMES)
    before = Fingerprint(est, X_named)
    with pytest.raises(ValueError, match="feature names should match"):
        if entry == "warm_fit":
            est.set_params(warm_start=True).fit(FRAMES[frame], TARGETS[kind])
        else:
            _call(est, entry, FRAMES[frame], TARGETS[kind])
    est.set_params(warm_start=False)
    before.assert_same(Fingerprint(est, X_named))


@pytest.mark.parametrize("kind", _BOTH)
def test_feature_count_changed_in_warm_start_fit(kind):
    est = fitted(kind)
    before = Fingerprint(est)
    with pytest.raises(ValueError, match="X has 3 features"):
        est.set_params(warm_start=True).fit(X[:, :3], TARGETS[kind])
    est.set_params(warm_start=False)
    before.assert_same(Fingerprint(est))


# -- classes ------------------------------------------------------------------------


@pytest.mark.parametrize("call, match", [
    (lambda est: est.partial_fit(X, Y_CLF + 1), "`y` has classes not in"),
    (lambda est: est.partial_fit(X, np.where(Y_CLF == 2, 9, Y_CLF)),
     "`y` has classes not in"),
    (lambda est: est.partial_fit(X, Y_CLF, classes=[0, 1, 2, 3]),
     "is not the same as on last call"),
    (lambda est: est.partial_fit(X, Y_CLF, classes=[0, 1]),
     "is not the same as on last call"),
    (lambda est: est.set_params(warm_start=True).fit(X, Y_CLF + 1),
     "warm_start can only be used where `y` has the same classes"),
], ids=["unseen class", "unseen class among known", "more classes=",
        "fewer classes=", "warm fit other classes"])
def test_class_errors_on_fitted_classifier(call, match):
    est = fitted("classifier")
    before = Fingerprint(est)
    with pytest.raises(ValueError, match=match):
        call(est)
    est.set_params(warm_start=False)
    before.assert_same(Fingerprint(est))


@pytest.mark.parametrize("call, match", [
    (lambda est: est.partial_fit(X, Y_CLF), "classes must be passed on the first"),
    (lambda est: est.partial_fit(X, Y_CLF, classes=[0, 1]), "`y` has classes not in"),
], ids=["no classes=", "y outside classes="])
def test_class_errors_on_first_partial_fit(call, match):
    est = MLPClassifierBP(**PARAMS)
    with pytest.raises(ValueError, match=match):
        call(est)
    assert vars(est).keys() == est.get_params(deep=False).keys()


def test_single_class_is_accepted_as_scikit_learn_does():
    """One class is not an error, in scikit-learn either: ``predict`` returns
    that class; ``predict_proba`` keeps scikit-learn's two columns (both
    libraries give the same numbers)."""
    y_one = np.full(N, 7)
    ours = MLPClassifierBP(**PARAMS).fit(X, y_one)
    theirs = MLPClassifier(**PARAMS).fit(X, y_one)
    assert_array_equal(ours.classes_, [7])
    assert_array_equal(ours.predict(X), np.full(N, 7))
    assert_array_equal(ours.predict_proba(X), theirs.predict_proba(X))
    # partial_fit with one declared class, and with a class not yet seen in y
    assert_array_equal(MLPClassifierBP(**PARAMS).partial_fit(
        X, y_one, classes=[7]).predict(X), np.full(N, 7))
    two = MLPClassifierBP(**PARAMS).partial_fit(X, y_one, classes=[7, 8])
    assert_array_equal(two.classes_, [7, 8])
    assert set(two.predict(X)) <= {7, 8}


# -- sparse input: accepted, and the same model as dense ------------------------------

SPARSE_X = np.where(np.abs(X) > 0.8, X, 0.0)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "lil", "bsr", "csr_array"])
@pytest.mark.parametrize("kind", _BOTH)
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_sparse_input_matches_dense(kind, fmt, solver):
    matrix = (sp.csr_array(SPARSE_X) if fmt == "csr_array"
              else sp.csr_matrix(SPARSE_X).asformat(fmt))
    params = {**PARAMS, "solver": solver}
    y = TARGETS[kind]
    on_sparse = ESTIMATORS[kind](**params).fit(matrix, y)
    on_dense = ESTIMATORS[kind](**params).fit(SPARSE_X, y)
    for ours, theirs in zip(on_sparse.coefs_ + on_sparse.intercepts_,
                            on_dense.coefs_ + on_dense.intercepts_, strict=True):
        assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    assert_allclose(on_sparse.predict(matrix), on_dense.predict(SPARSE_X),
                    rtol=1e-10, atol=1e-12)
    assert_allclose(on_dense.predict(matrix), on_dense.predict(SPARSE_X),
                    rtol=1e-12, atol=1e-14)
    if kind == "classifier":
        assert_allclose(on_sparse.predict_proba(matrix),
                        on_dense.predict_proba(SPARSE_X), rtol=1e-10, atol=1e-12)
    if solver != "lbfgs":
        on_sparse.partial_fit(matrix, y)
        on_dense.partial_fit(SPARSE_X, y)
        assert_allclose(on_sparse.coefs_[0], on_dense.coefs_[0], rtol=1e-10,
                        atol=1e-12)


def test_sparse_nan_is_rejected():
    matrix = sp.csr_matrix(np.where(np.abs(X) > 1, np.nan, 0.0))
    est = fitted("classifier")
    before = Fingerprint(est)
    for call in (lambda: est.fit(matrix, Y_CLF), lambda: est.partial_fit(matrix, Y_CLF),
                 lambda: est.predict(matrix)):
        with pytest.raises(ValueError, match="Input X contains NaN"):
            call()
    before.assert_same(Fingerprint(est))


# == invalid hyperparameters, generated from the constraints ========================


class _NotAnything:
    """A value of a type no constraint accepts."""

    def __repr__(self):
        return "NotAnything()"


def _candidates(constraint) -> list:
    """Values just outside ``constraint``: scikit-learn's generator, plus the
    excluded bounds, the far side of closed bounds, NaN and non-integers."""
    values = []
    if isinstance(constraint, StrOptions):  # a set: make the value reproducible
        values.append(f"not {' or '.join(sorted(constraint.options))}")
    elif not isinstance(constraint, HasMethods):  # covered by _NotAnything()
        try:
            values.append(generate_invalid_param_val(constraint))
        except NotImplementedError:
            pass
    if isinstance(constraint, Interval):
        integral = constraint.type is Integral
        for bound, step in ((constraint.left, -1), (constraint.right, 1)):
            if bound is not None:
                values += [bound, bound + step * (1 if integral else 1e-6)]
        if integral:
            values.append((constraint.left or 0) + 0.5)
        else:
            values += [np.nan, np.inf, -np.inf]
    if isinstance(constraint, StrOptions):
        values += [option.upper() for option in sorted(constraint.options)][:1]
    return values


def invalid_values(constraints) -> list:
    """Values that satisfy none of ``constraints`` (a parameter's list)."""
    if constraints == "no_validation":
        return []
    constraints = [make_constraint(c) for c in constraints]
    values = [_NotAnything(), "not a valid option", -1, "yes"]
    for constraint in constraints:
        values += _candidates(constraint)
    unique = {}
    for value in values:
        if not any(c.is_satisfied_by(value) for c in constraints):
            unique.setdefault(repr(value), value)
    return list(unique.values())


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def _estimator_param_cases():
    for kind, Estimator in ESTIMATORS.items():
        for name, constraints in Estimator._parameter_constraints.items():
            for value in invalid_values(constraints):
                yield pytest.param(kind, name, value,
                                   id=f"{kind}-{name}={_short(value)}")


ESTIMATOR_PARAM_CASES = list(_estimator_param_cases())


def test_every_declared_parameter_gets_invalid_values():
    """The generator finds something wrong to pass for every parameter with a
    constraint, and the constraints cover every constructor parameter."""
    for kind, Estimator in ESTIMATORS.items():
        declared = Estimator._parameter_constraints.keys()
        assert declared == Estimator().get_params().keys()
        covered = {case.values[1] for case in ESTIMATOR_PARAM_CASES
                   if case.values[0] == kind}
        assert covered == set(Estimator._parameter_constraints)


@pytest.mark.parametrize("entry", ["fit", "partial_fit"])
@pytest.mark.parametrize("kind, name, value", ESTIMATOR_PARAM_CASES)
def test_invalid_estimator_parameter(kind, name, value, entry):
    est = fitted(kind)
    before, original = Fingerprint(est), est.get_params(deep=False)
    est.set_params(**{name: value})
    with pytest.raises(InvalidParameterError,
                       match=rf"The '{name}' parameter of {type(est).__name__} must"):
        _call(est, entry, X, TARGETS[kind])
    est.set_params(**original)
    before.assert_same(Fingerprint(est))


# Checks that the constraints cannot express: (id, params, entry points, match).
SEMANTIC_CASES = [
    ("hidden size 0", {"hidden_layer_sizes": (3, 0)}, "hidden_layer_sizes must be > 0"),
    ("hidden size negative", {"hidden_layer_sizes": (-2,)},
     "hidden_layer_sizes must be > 0"),
    ("hidden size float", {"hidden_layer_sizes": (2.5,)}, "'hidden_layer_sizes'"),
    ("hidden size bool", {"hidden_layer_sizes": (True,)}, "'hidden_layer_sizes'"),
    ("hidden sizes nested", {"hidden_layer_sizes": [[3, 4]]}, "'hidden_layer_sizes'"),
    ("solver=object()", {"solver": object()}, "'solver' parameter"),
    ("solver=StepLR()", {"solver": StepLR()}, "'solver' parameter"),
    # a class where an instance is meant
    ("solver=Adam", {"solver": Adam},
     r"Got <class '.*Adam'> instead\. Pass an instance: Adam\(\)"),
    ("learning_rate=StepLR", {"learning_rate": StepLR},
     r"Got <class '.*StepLR'> instead\. Pass an instance: StepLR\(\)"),
    ("activation=ReLU", {"activation": ReLU},
     r"Got <class '.*ReLU'> instead\. Pass an instance: ReLU\(\)"),
    ("weight_init=HeNormal", {"weight_init": HeNormal},
     r"class HeNormal .* pass HeNormal\(\) instead"),
    ("WarmupLR(scheduler=StepLR)", {"learning_rate": WarmupLR(scheduler=StepLR)},
     r"'scheduler' parameter of WarmupLR must be an instance, not the class StepLR"),
    ("learning_rate=Adam()", {"learning_rate": Adam()}, "'learning_rate' parameter"),
    ("learning_rate=object()", {"learning_rate": object()},
     "'learning_rate' parameter"),
    ("activation=Adam()", {"activation": Adam()}, "'activation' parameter"),
    ("activation=softmax", {"activation": "softmax"}, "'activation' parameter"),
    ("weight_init=Adam()", {"weight_init": Adam()}, "'weight_init' parameter"),
    ("weight_init unknown", {"weight_init": "he"}, "'weight_init' parameter"),
    ("solver case", {"solver": "Adam"}, "'solver' parameter"),
    ("flat beta_1 named adam", {"solver": "adam", "beta_1": 1.0}, "'beta_1' parameter"),
    ("flat momentum named sgd", {"solver": "sgd", "momentum": -0.5},
     "'momentum' parameter"),
    ("Adam(beta_1=2)", {"solver": Adam(beta_1=2.0)}, "'beta_1' parameter of Adam"),
    ("SGD(momentum=2)", {"solver": SGD(momentum=2.0)}, "'momentum' parameter of SGD"),
    ("StepLR(step_size=0)", {"learning_rate": StepLR(step_size=0)},
     "'step_size' parameter of StepLR"),
    ("CyclicLR base_lr > max_lr", {"learning_rate": CyclicLR(base_lr=1.0, max_lr=0.1)},
     "'base_lr' parameter of CyclicLR"),
    ("CyclicLR base_lr > learning_rate_init",
     {"learning_rate": CyclicLR(base_lr=1.0), "learning_rate_init": 0.01},
     "'base_lr' parameter of CyclicLR"),
    ("MultiStepLR decreasing", {"learning_rate": MultiStepLR(milestones=(5, 3))},
     "'milestones' parameter of MultiStepLR"),
    ("MultiStepLR zero", {"learning_rate": MultiStepLR(milestones=(0, 3))},
     "'milestones' parameter of MultiStepLR"),
    ("MultiStepLR floats", {"learning_rate": MultiStepLR(milestones=(1.5,))},
     "'milestones' parameter of MultiStepLR"),
    ("OneCycleLR short rise", {"learning_rate": OneCycleLR(total_steps=2,
                                                           pct_start=0.1)},
     "'pct_start' parameter of OneCycleLR"),
    ("WarmupLR(StepLR(step_size=0))",
     {"learning_rate": WarmupLR(scheduler=StepLR(step_size=0))},
     "'step_size' parameter of StepLR"),
    ("WarmupLR(Adam())", {"learning_rate": WarmupLR(scheduler=Adam())},
     "'scheduler' parameter of WarmupLR"),
    ("validation_fraction 0 with early stopping",
     {"early_stopping": True, "validation_fraction": 0.0}, "validation_fraction"),
    ("callbacks=[object()]", {"callbacks": [object()]}, "'callbacks' parameter"),
    ("class_weight unknown class", {"class_weight": {5: 2.0}}, "class_weight"),
]


@pytest.mark.parametrize("entry", ["fit", "partial_fit"])
@pytest.mark.parametrize("kind", _BOTH)
@pytest.mark.parametrize("params, match", [case[1:] for case in SEMANTIC_CASES],
                         ids=[case[0] for case in SEMANTIC_CASES])
def test_invalid_setting_beyond_constraints(kind, params, match, entry):
    est = fitted(kind)
    unknown = params.keys() - est.get_params(deep=False).keys()
    if unknown:
        pytest.skip(f"{type(est).__name__} has no parameter {sorted(unknown)}")
    if entry == "partial_fit" and params.get("early_stopping"):
        match = "partial_fit needs validation data for early_stopping"
    if entry == "partial_fit" and "weight_init" in params:
        pytest.skip("weight_init only initialises: partial_fit of a fitted "
                    "model does not use it")
    before, original = Fingerprint(est), est.get_params(deep=False)
    est.set_params(**params)
    with pytest.raises((ValueError, TypeError), match=match):
        _call(est, entry, X, TARGETS[kind])
    est.set_params(**original)
    before.assert_same(Fingerprint(est))


# == invalid hyperparameters of the components, generated from their constraints ==


def _component_cases():
    for registry, where in ((OPTIMIZERS, "solver"), (SCHEDULERS, "learning_rate")):
        for Component in dict.fromkeys(registry.values()):  # each class once
            for name, constraints in Component._parameter_constraints.items():
                for value in invalid_values(constraints):
                    yield pytest.param(where, Component, name, value,
                                       id=f"{Component.__name__}({name}={_short(value)})")


COMPONENT_CASES = list(_component_cases())


def test_every_component_parameter_gets_invalid_values():
    classes = {*OPTIMIZERS.values(), *SCHEDULERS.values()}
    for Component in classes:
        assert Component._parameter_constraints.keys() == Component().get_params(
            deep=False).keys(), Component
        covered = {case.values[2] for case in COMPONENT_CASES
                   if case.values[1] is Component}
        assert covered == set(Component._parameter_constraints), Component


@pytest.mark.parametrize("entry", ["fit", "partial_fit"])
@pytest.mark.parametrize("kind", _BOTH)
@pytest.mark.parametrize("where, Component, name, value", COMPONENT_CASES)
def test_invalid_component_parameter(where, Component, name, value, kind, entry):
    est = fitted(kind)
    before, original = Fingerprint(est), est.get_params(deep=False)
    # A stochastic solver, so that the schedule is used.
    est.set_params(**{"solver": "sgd", where: Component(**{name: value})})
    with pytest.raises(InvalidParameterError,
                       match=rf"The '{name}' parameter of {Component.__name__} "):
        _call(est, entry, X, TARGETS[kind])
    est.set_params(**original)
    before.assert_same(Fingerprint(est))


@pytest.mark.parametrize("kind", _BOTH)
def test_schedule_object_rejected_with_lbfgs(kind):
    """L-BFGS has no learning rate: a schedule object is refused before
    training, valid or not (it used to be ignored silently)."""
    for schedule in (StepLR(step_size=0), StepLR()):
        est = ESTIMATORS[kind](**{**PARAMS, "solver": "lbfgs"}, learning_rate=schedule)
        with pytest.raises(ValueError, match=r"solver='lbfgs' cannot honour "
                           r"learning_rate=StepLR\(.*L-BFGS has no learning rate"):
            est.fit(X, TARGETS[kind])
        assert not hasattr(est, "coefs_")
