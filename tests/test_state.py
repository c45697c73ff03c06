"""Bad input and state safety: a call that fails never changes a model.

Every failing call below must raise a clear error (its message is checked)
and leave a fitted model bit-identical: weights, classes, feature counts,
curves, optimizer state and predictions. Training that diverges or is
interrupted must leave a usable model with finite predictions.
"""

import copy
import hashlib
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import skmlp._training
from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp.optimizers import Adam

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N, N_FEATURES = 40, 4
PARAMS = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0)


def _data():
    X, y = make_classification(N, N_FEATURES, n_informative=3, n_redundant=0,
                               n_classes=3, random_state=0)
    X_r, y_r = make_regression(N, N_FEATURES, noise=1.0, random_state=0)
    return X, y, X_r, y_r / y_r.std()


X, Y_CLASSES, X_REG, Y_REG = _data()
NAMES = [f"f{i}" for i in range(N_FEATURES)]


def _fit_models():
    frame = pd.DataFrame(X, columns=NAMES)
    return {
        "classifier": MLPClassifierBP(**PARAMS).fit(X, Y_CLASSES),
        "regressor": MLPRegressorBP(**PARAMS).fit(X_REG, Y_REG),
        "classifier_sgd": MLPClassifierBP(**PARAMS, solver="sgd").fit(X, Y_CLASSES),
        "classifier_lbfgs": MLPClassifierBP(**PARAMS, solver="lbfgs").fit(
            X, Y_CLASSES),
        "classifier_named": MLPClassifierBP(**PARAMS).fit(frame, Y_CLASSES),
        "regressor_poisson": MLPRegressorBP(**PARAMS, loss="poisson").fit(
            X_REG, np.abs(Y_REG)),
        "classifier_partial": MLPClassifierBP(**PARAMS).partial_fit(
            X, Y_CLASSES, classes=[0, 1, 2]),
    }


with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    MODELS = _fit_models()


@pytest.fixture
def models():
    return copy.deepcopy(MODELS)


def _digest(array) -> str:
    array = np.ascontiguousarray(array)
    return hashlib.sha256(array.tobytes() + str(array.dtype).encode()).hexdigest()


def snapshot(est, X_eval):
    """Everything a fitted model is, as comparable values."""
    fitted = {name: value for name, value in vars(est).items()
              if name not in est.get_params()}
    snap = {
        "fitted_pickle": {name: pickle.dumps(value) for name, value in fitted.items()},
        "weights": [_digest(a) for a in est.coefs_ + est.intercepts_],
        "n_features_in_": est.n_features_in_,
        "loss_curve_": list(est.loss_curve_),
        "predict": _digest(est.predict(X_eval)),
        "arrays": [a.copy() for a in est.coefs_ + est.intercepts_],
    }
    if hasattr(est, "classes_"):
        snap["classes_"] = est.classes_.copy()
        snap["predict_proba"] = _digest(est.predict_proba(X_eval))
    return snap


def assert_unchanged(before, after):
    assert after["fitted_pickle"].keys() == before["fitted_pickle"].keys()
    for name, value in before["fitted_pickle"].items():
        assert after["fitted_pickle"][name] == value, name
    for ours, theirs in zip(after["arrays"], before["arrays"]):
        assert np.array_equal(ours, theirs)
    if "classes_" in before:
        assert np.array_equal(after["classes_"], before["classes_"])
    for key in ["weights", "n_features_in_", "loss_curve_", "predict",
                "predict_proba"]:
        assert after.get(key) == before.get(key), key


def _eval_X(model_name):
    if model_name == "classifier_named":
        return pd.DataFrame(X, columns=NAMES)
    return X_REG if model_name.startswith("regressor") else X


def _y(model_name):
    return (np.abs(Y_REG) if model_name == "regressor_poisson" else Y_REG
            ) if model_name.startswith("regressor") else Y_CLASSES


# -- the battery of failing calls -------------------------------------------------

nan_X = np.where(X > 1, np.nan, X)
inf_X = np.where(X > 1, np.inf, X)
renamed = pd.DataFrame(X, columns=[f"g{i}" for i in range(N_FEATURES)])

# (model, description, call(est, X, y), exception, match). After the call,
# the model must be exactly as before.
FAILING_CALLS = [
    # non-finite input
    *[(model, f"{method} NaN X", method, lambda est, X_, y: (nan_X, y), ValueError,
       "Input X contains NaN")
      for model in ("classifier", "regressor")
      for method in ("fit", "partial_fit", "predict", "score")],
    *[(model, f"{method} inf X", method, lambda est, X_, y: (inf_X, y), ValueError,
       "Input X contains infinity")
      for model in ("classifier", "regressor")
      for method in ("fit", "partial_fit", "predict")],
    ("classifier", "predict_proba NaN X", "predict_proba",
     lambda est, X_, y: (nan_X, y), ValueError, "Input X contains NaN"),
    ("classifier", "fit NaN y", "fit",
     lambda est, X_, y: (X_, np.where(y == 1, np.nan, y)), ValueError,
     "Input y contains NaN"),
    ("regressor", "fit NaN y", "fit",
     lambda est, X_, y: (X_, np.where(y > 1, np.nan, y)), ValueError,
     "Input y contains NaN"),
    ("regressor", "partial_fit inf y", "partial_fit",
     lambda est, X_, y: (X_, np.where(y > 1, np.inf, y)), ValueError,
     "Input y contains infinity"),
    ("regressor", "score NaN y", "score",
     lambda est, X_, y: (X_, np.where(y > 1, np.nan, y)), ValueError,
     "contains NaN"),
    # shapes
    *[(model, f"{method} wrong n_features", method,
       lambda est, X_, y: (X_[:, :3], y), ValueError,
       "X has 3 features, but MLP(Classifier|Regressor)BP is expecting 4")
      for model in ("classifier", "regressor")
      for method in ("partial_fit", "predict", "score")],
    ("classifier", "warm fit wrong n_features", "warm_fit",
     lambda est, X_, y: (X_[:, :3], y), ValueError, "X has 3 features"),
    ("classifier", "fit 3-D X", "fit", lambda est, X_, y: (X_[:, :, None], y),
     ValueError, "Found array with dim 3"),
    ("regressor", "predict 3-D X", "predict", lambda est, X_, y: (X_[:, :, None], y),
     ValueError, "Found array with dim 3"),
    ("classifier", "predict_proba 3-D X", "predict_proba",
     lambda est, X_, y: (X_[:, :, None], y), ValueError, "Found array with dim 3"),
    *[(model, f"{method} empty X", method, lambda est, X_, y: (X_[:0], y[:0]),
       ValueError, "Found array with 0 sample")
      for model in ("classifier", "regressor")
      for method in ("fit", "partial_fit", "predict")],
    *[(model, f"{method} string X", method,
       lambda est, X_, y: (np.full(X_.shape, "a"), y), ValueError,
       "could not convert string to float")
      for model in ("classifier", "regressor") for method in ("fit", "predict")],
    *[(model, f"{method} mismatched lengths", method,
       lambda est, X_, y: (X_[:30], y), ValueError,
       "inconsistent numbers of samples")
      for model in ("classifier", "regressor")
      for method in ("fit", "partial_fit", "score")],
    ("classifier", "fit sample_weight length", "fit_weighted",
     lambda est, X_, y: (X_, y), ValueError, r"sample_weight.shape == \(3,\)"),
    ("classifier", "fit all-zero sample_weight", "fit_zero_weights",
     lambda est, X_, y: (X_, y), ValueError, "at least one non-zero"),
    ("classifier", "fit continuous y", "fit",
     lambda est, X_, y: (X_, np.linspace(0, 1, N)), ValueError, "Unknown label type"),
    # feature names
    *[("classifier_named", f"{method} renamed columns", method,
       lambda est, X_, y: (renamed, y), ValueError, "feature names should match")
      for method in ("partial_fit", "warm_fit", "predict", "predict_proba", "score")],
    # classes
    ("classifier", "partial_fit unseen class", "partial_fit",
     lambda est, X_, y: (X_, y + 1), ValueError, "`y` has classes not in"),
    ("classifier_partial", "partial_fit other classes=", "partial_fit_classes",
     lambda est, X_, y: (X_, y), ValueError, "is not the same as on last call"),
    ("classifier", "warm fit with fewer classes", "warm_fit",
     lambda est, X_, y: (X_[y < 2], y[y < 2]), ValueError,
     "warm_start can only be used where `y` has the same classes"),
    ("classifier", "warm fit with new classes", "warm_fit",
     lambda est, X_, y: (X_, np.where(y == 2, 7, y)), ValueError,
     "warm_start can only be used where `y` has the same classes"),
    # targets
    ("regressor_poisson", "fit negative y (poisson)", "fit",
     lambda est, X_, y: (X_, y - 1.0), ValueError, "requires y >= 0"),
    ("regressor_poisson", "partial_fit negative y (poisson)", "partial_fit",
     lambda est, X_, y: (X_, -y - 0.1), ValueError, "requires y >= 0"),
]

CALLERS = {
    "fit": lambda est, X_, y: est.fit(X_, y),
    "partial_fit": lambda est, X_, y: est.partial_fit(X_, y),
    "partial_fit_classes": lambda est, X_, y: est.partial_fit(X_, y,
                                                              classes=[0, 1, 2, 3]),
    "warm_fit": lambda est, X_, y: est.set_params(warm_start=True).fit(X_, y),
    "fit_weighted": lambda est, X_, y: est.fit(X_, y, sample_weight=np.ones(3)),
    "fit_zero_weights": lambda est, X_, y: est.fit(X_, y, sample_weight=np.zeros(N)),
    "predict": lambda est, X_, y: est.predict(X_),
    "predict_proba": lambda est, X_, y: est.predict_proba(X_),
    "score": lambda est, X_, y: est.score(X_, y),
}


@pytest.mark.parametrize(
    "model, method, make_args, error, match",
    [case[:1] + case[2:] for case in FAILING_CALLS],
    ids=[f"{case[0]}-{case[1]}" for case in FAILING_CALLS],
)
def test_failing_call_leaves_model_unchanged(models, model, method, make_args,
                                             error, match):
    est = models[model]
    X_eval = _eval_X(model)
    before = snapshot(est, X_eval)
    X_arg, y_arg = make_args(est, X_eval, _y(model))
    with pytest.raises(error, match=match):
        CALLERS[method](est, X_arg, y_arg)
    est.set_params(warm_start=False)
    assert_unchanged(before, snapshot(est, X_eval))


# -- invalid hyperparameters: named in the error, no state change ------------------

INVALID_PARAMS = [
    ("alpha", -1.0), ("alpha", np.nan), ("hidden_layer_sizes", (3, 0)),
    ("hidden_layer_sizes", (2.5,)), ("hidden_layer_sizes", "ten"),
    ("hidden_layer_sizes", [[3, 4]]), ("activation", "swish?"),
    ("solver", "newton"), ("learning_rate", "sometimes"), ("learning_rate_init", 0.0),
    ("power_t", -1.0), ("max_iter", 0), ("batch_size", 0), ("batch_size", "big"),
    ("shuffle", "yes"), ("random_state", "seed"), ("tol", -1.0), ("verbose", "x"),
    ("warm_start", "x"), ("momentum", 1.5), ("nesterovs_momentum", "x"),
    ("validation_fraction", 1.0), ("beta_1", 1.0), ("beta_2", -0.1),
    ("epsilon", 0.0), ("n_iter_no_change", 0), ("max_fun", 0),
    ("weight_init", "zeros?"),
]


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("name, value", INVALID_PARAMS,
                         ids=[f"{n}={v!r}" for n, v in INVALID_PARAMS])
def test_invalid_hyperparameter_is_named_and_changes_nothing(models, name, value,
                                                            method):
    est = MODELS["classifier_sgd"] if method == "partial_fit" else models["classifier"]
    est = copy.deepcopy(est)
    before, original = snapshot(est, X), est.get_params()
    est.set_params(**{name: value})
    with pytest.raises(ValueError, match=name):
        CALLERS[method](est, X, Y_CLASSES)
    est.set_params(**original)
    assert_unchanged(before, snapshot(est, X))


@pytest.mark.parametrize("params, match", [
    ({"loss": "absolute"}, "'loss' parameter"),
    ({"solver": Adam(beta_1=2.0)}, "'beta_1' parameter of Adam"),
    ({"early_stopping": True}, "early_stopping"),  # partial_fit only
])
def test_invalid_settings_for_partial_fit_are_named(models, params, match):
    est = models["regressor"]
    before, original = snapshot(est, X_REG), est.get_params()
    est.set_params(**params)
    with pytest.raises(ValueError, match=match):
        est.partial_fit(X_REG, Y_REG)
    est.set_params(**original)
    assert_unchanged(before, snapshot(est, X_REG))


@pytest.mark.parametrize("method", ["warm_fit", "partial_fit"])
def test_changed_layer_sizes_with_warm_start(models, method):
    est = models["classifier"]
    before = snapshot(est, X)
    est.set_params(hidden_layer_sizes=(6,))
    with pytest.raises(ValueError, match="layer sizes changed"):
        CALLERS[method](est, X, Y_CLASSES)
    est.set_params(hidden_layer_sizes=(5,), warm_start=False)
    assert_unchanged(before, snapshot(est, X))


def test_partial_fit_is_hidden_for_lbfgs(models):
    est = models["classifier_lbfgs"]
    before = snapshot(est, X)
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'"):
        est.partial_fit(X, Y_CLASSES)
    assert_unchanged(before, snapshot(est, X))


# -- unfitted estimators stay unfitted -----------------------------------------------


@pytest.mark.parametrize("call, match", [
    (lambda est: est.partial_fit(X, Y_CLASSES), "classes must be passed on the first"),
    (lambda est: est.fit(nan_X, Y_CLASSES), "Input X contains NaN"),
    (lambda est: est.partial_fit(X, Y_CLASSES + 5, classes=[0, 1, 2]),
     "`y` has classes not in"),
    (lambda est: est.set_params(hidden_layer_sizes=(0,)).fit(X, Y_CLASSES),
     "hidden_layer_sizes"),
])
def test_failed_first_call_leaves_estimator_unfitted(call, match):
    est = MLPClassifierBP(**PARAMS)
    params = est.get_params()
    with pytest.raises(ValueError, match=match):
        call(est)
    assert set(vars(est)) == set(params)  # no fitted attribute of any kind
    with pytest.raises(NotFittedError):
        est.predict(X)


def test_calls_do_not_modify_their_inputs():
    X_in, y_in, weights = X.copy(), Y_CLASSES.copy(), np.linspace(0.5, 2, N)
    w_in = weights.copy()
    est = MLPClassifierBP(**PARAMS, early_stopping=True).fit(X_in, y_in, weights)
    est.set_params(early_stopping=False).partial_fit(X_in, y_in, weights)
    est.predict_proba(X_in)
    assert_array_equal(X_in, X)
    assert_array_equal(y_in, Y_CLASSES)
    assert_array_equal(weights, w_in)


# -- exceptions in the middle of training -------------------------------------------


class _Boom(RuntimeError):
    pass


def _explode_at_epoch(monkeypatch, epoch, exception):
    """Make the epoch runner raise ``exception`` when epoch ``epoch`` starts."""
    original = skmlp._training.EpochRunner.run_epoch
    calls = {"n": 0}

    def run_epoch(self, state, **kwargs):
        calls["n"] += 1
        if calls["n"] == epoch:
            raise exception
        return original(self, state, **kwargs)

    monkeypatch.setattr(skmlp._training.EpochRunner, "run_epoch", run_epoch)
    return calls


@pytest.mark.parametrize("method", ["warm_fit", "fit", "partial_fit"])
def test_error_mid_training_leaves_model_unchanged(models, monkeypatch, method):
    est = models["classifier_sgd"]
    before = snapshot(est, X)
    _explode_at_epoch(monkeypatch, 1 if method == "partial_fit" else 3, _Boom())
    with pytest.raises(_Boom):
        CALLERS[method](est, X, Y_CLASSES)
    est.set_params(warm_start=False)
    assert_unchanged(before, snapshot(est, X))


def test_error_in_lbfgs_leaves_model_unchanged(models, monkeypatch):
    est = models["classifier_lbfgs"]
    before = snapshot(est, X)
    original = skmlp._network.Network.loss_and_gradient
    calls = {"n": 0}

    def loss_and_gradient(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # not caught for lbfgs, as in scikit-learn
        return original(self, *args, **kwargs)

    monkeypatch.setattr(skmlp._network.Network, "loss_and_gradient",
                        loss_and_gradient)
    with pytest.raises(KeyboardInterrupt):
        est.set_params(warm_start=True).fit(X, Y_CLASSES)
    est.set_params(warm_start=False)
    assert_unchanged(before, snapshot(est, X))


# -- KeyboardInterrupt in stochastic training ---------------------------------------


@pytest.mark.parametrize("Estimator, X_, y", [(MLPClassifierBP, X, Y_CLASSES),
                                              (MLPRegressorBP, X_REG, Y_REG)])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_keyboard_interrupt_keeps_the_last_completed_epoch(monkeypatch, Estimator,
                                                           X_, y, solver):
    params = dict(PARAMS, solver=solver, max_iter=10)
    two_epochs = Estimator(**{**params, "max_iter": 2}).fit(X_, y)
    calls = _explode_at_epoch(monkeypatch, 3, KeyboardInterrupt)
    est = Estimator(**params)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est.fit(X_, y)
    assert calls["n"] == 3
    assert est.n_iter_ == 2 and est.t_ == 2 * N
    assert est.loss_curve_ == two_epochs.loss_curve_
    for ours, expected in zip(est.coefs_ + est.intercepts_,
                              two_epochs.coefs_ + two_epochs.intercepts_):
        assert_array_equal(ours, expected, strict=True)
    assert_array_equal(est.predict(X_), two_epochs.predict(X_))
    # The model goes on training from there.
    monkeypatch.undo()
    est.partial_fit(X_, y)
    assert est.t_ == 3 * N


def test_keyboard_interrupt_in_partial_fit_keeps_previous_weights(models,
                                                                  monkeypatch):
    est = models["classifier_partial"]
    before = snapshot(est, X)
    _explode_at_epoch(monkeypatch, 1, KeyboardInterrupt)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est.partial_fit(X, Y_CLASSES)
    assert before["weights"] == snapshot(est, X)["weights"]
    assert est.t_ == N and est.loss_curve_ == before["loss_curve_"]


# -- divergence ------------------------------------------------------------------

UNSCALED_X = X_REG * 1000 + 500


@pytest.mark.parametrize("Estimator, y", [(MLPClassifierBP, Y_CLASSES),
                                          (MLPRegressorBP, Y_REG * 1000)])
@pytest.mark.parametrize("params", [
    dict(solver="sgd", learning_rate_init=1e6),
    dict(solver="sgd", learning_rate_init=1e6, batch_size=1),
    dict(solver="sgd", learning_rate_init=1e6, activation="identity"),
    dict(solver="sgd", learning_rate_init=10.0, momentum=0.0),
    dict(solver="adam", learning_rate_init=1e6),
    dict(solver="lbfgs"),
], ids=lambda p: "-".join(f"{k}={v}" for k, v in p.items()))
def test_huge_learning_rate_errors_or_warns_never_nan(Estimator, y, params):
    est = Estimator(**{**PARAMS, "max_iter": 20, **params})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est.fit(UNSCALED_X, y)
        except ValueError as error:
            assert "diverged" in str(error) and "nothing finite" in str(error)
            assert not hasattr(est, "coefs_")
            return
    messages = [str(w.message) for w in caught
                if issubclass(w.category, ConvergenceWarning)]
    for array in est.coefs_ + est.intercepts_:
        assert np.isfinite(array).all()
    output = (est.predict_proba(UNSCALED_X) if hasattr(est, "predict_proba")
              else est.predict(UNSCALED_X))
    assert np.isfinite(output).all()
    assert np.isfinite(est.loss_curve_).all() and len(est.loss_curve_) == est.n_iter_
    if any("diverged" in m for m in messages):
        assert est.n_iter_ < 20


def test_divergence_outcomes_are_both_exercised():
    """The two outcomes above, each pinned on one case."""
    with pytest.raises(ValueError, match="diverged in epoch 1"):
        MLPRegressorBP(**PARAMS, solver="sgd", learning_rate_init=1e6,
                       batch_size=1).fit(UNSCALED_X, Y_REG * 1000)
    with pytest.warns(ConvergenceWarning, match="diverged .* kept epoch"):
        est = MLPRegressorBP(**{**PARAMS, "max_iter": 20}, solver="sgd",
                             learning_rate_init=1e6).fit(UNSCALED_X, Y_REG * 1000)
    assert 0 < est.n_iter_ < 20
    assert np.isfinite(est.predict(UNSCALED_X)).all()


def test_finite_weights_with_overflowing_outputs_are_not_kept():
    """Weights can stay finite while the forward pass overflows; such an epoch
    is not kept. (This run's epoch-3 weights are ~1e175: finite, yet their
    outputs on the training data are not.)"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.warns(ConvergenceWarning, match="diverged"):
            est = MLPRegressorBP(hidden_layer_sizes=(5,), solver="sgd",
                                 learning_rate_init=1e6, max_iter=20,
                                 random_state=0).fit(
                make_regression(100, 6, random_state=0)[0] * 1000,
                make_regression(100, 6, random_state=0)[1] * 1000)
    assert np.isfinite(est.predict(make_regression(100, 6, random_state=0)[0]
                                   * 1000)).all()


@pytest.mark.parametrize("how", ["warm_fit", "partial_fit"])
@pytest.mark.parametrize("model", ["classifier_sgd", "regressor"])
def test_fitted_model_survives_diverging_update(models, model, how):
    est = models[model]
    X_ = _eval_X(model)
    y = _y(model)
    before = snapshot(est, X_)
    huge = X_ * 1e200  # the first batch loss overflows
    with pytest.warns(ConvergenceWarning,
                      match="diverged .* kept the weights from before this call"):
        CALLERS[how](est, huge, y)
    after = snapshot(est, X_)
    assert after["weights"] == before["weights"]
    assert after["predict"] == before["predict"]
    assert after["loss_curve_"] == before["loss_curve_"]
    assert est.t_ == MODELS[model].t_
    est.set_params(warm_start=False)
    assert np.isfinite(est.predict(X_)).all()
    est.partial_fit(X_, y)  # and it still trains
    assert est.t_ == MODELS[model].t_ + N


def test_warm_start_with_huge_rate_keeps_a_finite_epoch(models):
    est = models["regressor"]
    est.set_params(warm_start=True, solver="sgd", learning_rate_init=1e6,
                   max_iter=20)
    est.fit(UNSCALED_X, Y_REG * 1000)
    assert all(np.isfinite(a).all() for a in est.coefs_ + est.intercepts_)
    assert np.isfinite(est.predict(UNSCALED_X)).all()


# -- continuity: pickle, clone, warm start -------------------------------------------


def _training_state(est):
    return [est.coefs_, est.intercepts_, est.loss_curve_, est.t_, est.n_iter_,
            est._optimizer_state, est._scheduler_state]


def _assert_same_training_state(a, b):
    for x, y in zip(_training_state(a), _training_state(b)):
        assert pickle.dumps(x) == pickle.dumps(y)


@pytest.mark.parametrize("random_state", [0, "instance"])
@pytest.mark.parametrize("Estimator, X_, y, kwargs", [
    (MLPClassifierBP, X, Y_CLASSES, {"classes": [0, 1, 2]}),
    (MLPRegressorBP, X_REG, Y_REG, {}),
])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_resumes_bit_identically_after_pickling(Estimator, X_, y, kwargs,
                                                            solver, random_state):
    def make():
        rs = np.random.RandomState(0) if random_state == "instance" else 0
        return Estimator(**{**PARAMS, "random_state": rs}, solver=solver,
                         learning_rate="invscaling", learning_rate_init=0.05)

    chunks = [slice(0, 15), slice(15, 30), slice(30, N)] * 2
    straight = make()
    for i, chunk in enumerate(chunks):
        straight.partial_fit(X_[chunk], y[chunk], **(kwargs if i == 0 else {}))
    resumed = make()
    for i, chunk in enumerate(chunks[:3]):
        resumed.partial_fit(X_[chunk], y[chunk], **(kwargs if i == 0 else {}))
    resumed = pickle.loads(pickle.dumps(resumed))
    for chunk in chunks[3:]:
        resumed.partial_fit(X_[chunk], y[chunk])
    _assert_same_training_state(resumed, straight)
    assert_array_equal(resumed.predict(X_), straight.predict(X_))


def test_clone_of_fitted_model_starts_afresh(models):
    est = models["classifier_partial"]
    fresh = clone(est)
    assert set(vars(fresh)) == set(est.get_params())
    fresh.partial_fit(X, Y_CLASSES, classes=[0, 1, 2])
    _assert_same_training_state(fresh, MODELS["classifier_partial"])


def test_warm_start_continues_weights_and_restarts_optimizer():
    """A warm refit = a fresh fit started from the previous weights with a new
    optimizer (scikit-learn's semantics), checked by building that fit by
    hand through ``weight_init``. ``t_`` and the loss curve continue."""
    params = dict(PARAMS, solver="adam", max_iter=3)
    est = MLPClassifierBP(**params).fit(X, Y_CLASSES)
    start = [(c.copy(), b.copy()) for c, b in zip(est.coefs_, est.intercepts_)]
    curve = list(est.loss_curve_)
    est.set_params(warm_start=True, max_iter=4).fit(X, Y_CLASSES)

    layers = iter(start)

    def from_previous_fit(fan_in, fan_out, *, activation, random_state, dtype):
        return next(layers)

    by_hand = MLPClassifierBP(**{**params, "max_iter": 4},
                              weight_init=from_previous_fit).fit(X, Y_CLASSES)
    for ours, expected in zip(est.coefs_ + est.intercepts_,
                              by_hand.coefs_ + by_hand.intercepts_):
        assert_array_equal(ours, expected, strict=True)
    assert est.loss_curve_ == curve + by_hand.loss_curve_
    assert est.t_ == 7 * N and est.n_iter_ == 4
    # A continued optimizer would not give the same weights.
    continued = MLPClassifierBP(**params).fit(X, Y_CLASSES)
    for _ in range(4):
        continued.partial_fit(X, Y_CLASSES)
    assert not np.array_equal(continued.coefs_[0], est.coefs_[0])


def test_cold_refit_discards_previous_state(models):
    est = models["classifier"]
    est.fit(X[:20], Y_CLASSES[:20])
    fresh = MLPClassifierBP(**PARAMS).fit(X[:20], Y_CLASSES[:20])
    _assert_same_training_state(est, fresh)


@pytest.mark.parametrize("hidden", ["identity", "relu", "tanh", "logistic"])
@pytest.mark.parametrize("output", ["identity", "softmax", "logistic", "exp"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_output_bound_used_on_divergence_is_sound(hidden, output, dtype):
    """The O(n_params) test that spares a forward pass after training only
    says "finite" when a forward pass gives finite outputs."""
    from skmlp._network import Network
    from skmlp.activations import ACTIVATIONS

    rng = np.random.RandomState(0)
    network = Network([4, 6, 5, 3], ACTIVATIONS[hidden](), ACTIVATIONS[output]())
    X_ = rng.standard_normal((50, 4)).astype(dtype)
    verdicts = []
    for exponent in range(-2, int(np.log10(np.finfo(dtype).max)) + 1, 2):
        with np.errstate(over="ignore"):
            params = (rng.standard_normal(network.n_params) * 10.0**exponent
                      ).astype(dtype)
        with np.errstate(all="ignore"):
            proven = network.outputs_surely_finite(params, np.abs(X_).max())
            finite = np.isfinite(network.predict(*network.unpack(params), X_)).all()
        assert finite or not proven
        verdicts.append(proven)
    assert verdicts[0] and not verdicts[-1]  # it proves small, not huge, weights
