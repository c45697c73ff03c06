"""Bad input and state safety: a call that fails never changes a model.

Every failing call below must raise a clear error (its message is checked)
and leave a fitted model bit-identical: weights, classes, feature counts,
curves, optimizer state and predictions. Training that diverges or is
interrupted must leave a usable model with finite predictions.
"""

import copy
import hashlib
import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import skmlp._network
import skmlp._trainer
from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp.callbacks import Callback
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
    original = skmlp._trainer.StochasticTrainer._epoch
    calls = {"n": 0}

    def run_epoch(self, state, **kwargs):
        calls["n"] += 1
        if calls["n"] == epoch:
            raise exception
        return original(self, state, **kwargs)

    monkeypatch.setattr(skmlp._trainer.StochasticTrainer, "_epoch", run_epoch)
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


# Each case has one outcome, fixed by the data and the seed:
# "raises": the first epoch already diverges, so a first fit has nothing
#     finite to return and raises;
# "kept epoch 1": epochs 2 and 3 complete with finite, rising losses and
#     epoch 4 diverges: the call keeps epoch 1, its lowest training loss (not
#     epoch 3, the last finite one);
# "finishes": the loss grows but stays finite (bounded outputs, or an
#     optimizer whose steps stay bounded) and training ends normally, by the
#     tol/n_iter_no_change rule or max_iter, with no divergence warning.
HUGE_RATE_CASES = [
    (MLPClassifierBP, dict(solver="sgd", learning_rate_init=1e6), "finishes"),
    (MLPClassifierBP, dict(solver="sgd", learning_rate_init=1e6, batch_size=1),
     "raises"),
    (MLPClassifierBP, dict(solver="sgd", learning_rate_init=1e6,
                           activation="identity"), "finishes"),
    (MLPClassifierBP, dict(solver="sgd", learning_rate_init=10.0, momentum=0.0),
     "finishes"),
    (MLPClassifierBP, dict(solver="adam", learning_rate_init=1e6), "finishes"),
    (MLPClassifierBP, dict(solver="lbfgs"), "finishes"),
    (MLPRegressorBP, dict(solver="sgd", learning_rate_init=1e6), "kept epoch 1"),
    (MLPRegressorBP, dict(solver="sgd", learning_rate_init=1e6, batch_size=1),
     "raises"),
    (MLPRegressorBP, dict(solver="sgd", learning_rate_init=1e6,
                          activation="identity"), "kept epoch 1"),
    (MLPRegressorBP, dict(solver="sgd", learning_rate_init=10.0, momentum=0.0),
     "kept epoch 1"),
    (MLPRegressorBP, dict(solver="adam", learning_rate_init=1e6), "finishes"),
    (MLPRegressorBP, dict(solver="lbfgs"), "finishes"),
]


@pytest.mark.parametrize(
    "Estimator, params, outcome", HUGE_RATE_CASES,
    ids=[f"{E.__name__}-" + "-".join(f"{k}={v}" for k, v in p.items())
         for E, p, _ in HUGE_RATE_CASES])
def test_huge_learning_rate_has_its_one_outcome_and_never_nan(Estimator, params,
                                                              outcome):
    y = Y_CLASSES if Estimator is MLPClassifierBP else Y_REG * 1000
    est = Estimator(**{**PARAMS, "max_iter": 20, **params})
    if outcome == "raises":
        with pytest.raises(ValueError, match=r"^Training diverged \(non-finite loss "
                           r"or weights\) in epoch 1 and no epoch of this call gave"):
            est.fit(UNSCALED_X, y)
        assert vars(est).keys() == est.get_params().keys()  # nothing fitted
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(UNSCALED_X, y)
    diverged = [str(w.message) for w in caught
                if issubclass(w.category, ConvergenceWarning)
                and "diverged" in str(w.message)]
    if outcome == "finishes":
        assert diverged == []
    else:
        assert len(diverged) == 1
        assert diverged[0].startswith(
            "Training diverged (non-finite loss or weights) in epoch 4; kept epoch "
            "1, the epoch with the lowest training loss.")
        assert est.n_iter_ == 1 and est.t_ == N and len(est.history_) == 1
    for array in est.coefs_ + est.intercepts_:
        assert np.isfinite(array).all()
    output = (est.predict_proba(UNSCALED_X) if hasattr(est, "predict_proba")
              else est.predict(UNSCALED_X))
    assert np.isfinite(output).all()
    assert np.isfinite(est.loss_curve_).all() and len(est.loss_curve_) == est.n_iter_


def test_the_kept_epoch_is_the_best_not_the_last_finite_one():
    """The "kept epoch 1" case above: epochs 2 and 3 completed with finite but
    larger losses (seen by a callback). The kept model is exactly the run
    stopped after epoch 1: weights, curves and optimizer state."""
    params = dict(PARAMS, solver="sgd", learning_rate_init=1e6)
    est = MLPRegressorBP(**{**params, "max_iter": 20}, callbacks=[LossSpy()])
    with pytest.warns(ConvergenceWarning, match="in epoch 4; kept epoch 1,"):
        est.fit(UNSCALED_X, Y_REG * 1000)
    seen = est.callbacks_[0].losses_
    assert len(seen) == 3 and np.isfinite(seen).all()  # the premise
    assert seen[0] < seen[1] and seen[0] < seen[2]
    one = MLPRegressorBP(**{**params, "max_iter": 1}).fit(UNSCALED_X, Y_REG * 1000)
    for ours, theirs in zip(est.coefs_ + est.intercepts_,
                            one.coefs_ + one.intercepts_, strict=True):
        assert_array_equal(ours, theirs, strict=True)
    assert est.loss_curve_ == one.loss_curve_ == seen[:1]
    assert (est.n_iter_, est.t_) == (one.n_iter_, one.t_) == (1, N)
    assert pickle.dumps(est._optimizer_state) == pickle.dumps(one._optimizer_state)


class LossSpy(Callback):
    """Records the loss of every epoch that completes."""

    def on_train_begin(self, estimator, *, X, y):
        self.losses_ = []

    def on_epoch_end(self, estimator, *, epoch, record, coefs, intercepts):
        self.losses_.append(record["loss"])


def test_finite_weights_with_overflowing_outputs_are_not_kept():
    """Weights can stay finite while the forward pass overflows. This run
    ends normally after epoch 3 with finite weights (checked by a callback)
    whose outputs on the training data overflow: the call returns its best
    epoch instead, and says why."""
    X_big, y_big = make_regression(100, 6, random_state=0)
    X_big, y_big = X_big * 1000, y_big * 1000
    est = MLPRegressorBP(hidden_layer_sizes=(5,), solver="sgd",
                         learning_rate_init=1e6, max_iter=3, random_state=0,
                         callbacks=[FiniteWeightsSpy()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.warns(ConvergenceWarning, match=re.escape(
                "Training diverged (outputs overflow on the training data); kept "
                "epoch 1, the epoch with the lowest training loss.")):
            est.fit(X_big, y_big)
    assert est.callbacks_[0].finite_ == [True, True, True]  # no epoch raised
    assert est.n_iter_ == 1 and len(est.loss_curve_) == 1 and est.t_ == 100
    assert np.isfinite(est.predict(X_big)).all()


class FiniteWeightsSpy(Callback):
    """Records, after each epoch, whether the weights are all finite."""

    def on_train_begin(self, estimator, *, X, y):
        self.finite_ = []

    def on_epoch_end(self, estimator, *, epoch, record, coefs, intercepts):
        self.finite_.append(all(np.isfinite(a).all() for a in coefs + intercepts))


def _fitted_state(est):
    """pickle.dumps of every attribute but the hyperparameters."""
    params = est.get_params(deep=False)
    return pickle.dumps({name: value for name, value in vars(est).items()
                         if name not in params})


@pytest.mark.parametrize("how", ["warm_fit", "partial_fit"])
@pytest.mark.parametrize("model", ["classifier_sgd", "regressor"])
def test_fitted_model_survives_diverging_update(models, model, how):
    """A continued fit with no finite epoch warns and leaves the model exactly
    as it was: every fitted attribute, optimizer state included."""
    est = models[model]
    X_ = _eval_X(model)
    y = _y(model)
    before, fitted = snapshot(est, X_), _fitted_state(est)
    huge = X_ * 1e200  # the first batch loss overflows
    with pytest.warns(ConvergenceWarning, match=r"^Training diverged \(.*\)( in "
                      r"epoch \d+)? and no epoch of this call (gave finite outputs|"
                      r"improved on the lowest training loss it started from)\."
                      r".* Kept the model from before this call\.$"):
        CALLERS[how](est, huge, y)
    est.set_params(warm_start=False)
    assert _fitted_state(est) == fitted
    assert_unchanged(before, snapshot(est, X_))
    est.partial_fit(X_, y)  # and it still trains
    assert est.t_ == MODELS[model].t_ + N


def test_warm_start_with_huge_rate_keeps_the_model_it_cannot_better(models):
    """No epoch of this warm fit beats the loss the model already reached
    before diverging: the call keeps the model from before it, exactly."""
    est = models["regressor"]
    est.set_params(warm_start=True, solver="sgd", learning_rate_init=1e6,
                   max_iter=20)
    fitted = _fitted_state(est)
    with pytest.warns(ConvergenceWarning, match="Kept the model from before this "
                      "call"):
        est.fit(UNSCALED_X, Y_REG * 1000)
    assert _fitted_state(est) == fitted
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


# -- the commit rule: fitted attributes change only when a call ends ------------------


#: What scikit-learn's callback API (sklearn.callback) sets on an estimator
#: for the duration of a fit call, and removes when the call ends.
SKLEARN_CALL_CONTEXT = frozenset({"_callback_fit_ctx", "_skl_callbacks_to_teardown"})


def _observe(est):
    """What the estimator's fitted state is, and which objects hold it
    (scikit-learn's callback context lives only as long as the call)."""
    fitted = {name: value for name, value in vars(est).items()
              if name not in est.get_params(deep=False)
              and name not in SKLEARN_CALL_CONTEXT}
    arrays = [*fitted.get("coefs_", []), *fitted.get("intercepts_", [])]
    return {"pickle": pickle.dumps(fitted), "names": sorted(fitted),
            "ids": [id(fitted.get(name)) for name in sorted(fitted)],
            "array_ids": [id(array) for array in arrays]}


class CommitSpy(Callback):
    """Observes the estimator's fitted state at every hook of training."""

    def on_train_begin(self, estimator, *, X, y):
        self.seen_ = [("train_begin", _observe(estimator))]

    def on_epoch_end(self, estimator, *, epoch, record, coefs, intercepts):
        self.seen_.append(("epoch", _observe(estimator)))

    def on_train_end(self, estimator, *, coefs, intercepts):
        self.seen_.append(("train_end", _observe(estimator)))


class BatchCommitSpy(CommitSpy):
    """... and after every mini-batch."""

    def on_batch_end(self, estimator, *, epoch, batch, loss):
        self.seen_.append(("batch", _observe(estimator)))


COMMIT_CALLS = {
    "first-fit": lambda est, X_, y: est.fit(X_, y),
    "warm-fit": lambda est, X_, y: est.set_params(warm_start=True).fit(X_, y),
    "cold-refit": lambda est, X_, y: est.fit(X_, y),
    "partial-fit": lambda est, X_, y: est.partial_fit(X_, y),
}


@pytest.mark.parametrize("solver, Spy, call", [
    (solver, Spy, call)
    for solver, Spy in [("sgd", BatchCommitSpy), ("adam", BatchCommitSpy),
                        ("lbfgs", CommitSpy)]  # lbfgs: no batches, no partial_fit
    for call in COMMIT_CALLS if not (solver == "lbfgs" and call == "partial-fit")
])
def test_fitted_attributes_are_assigned_only_when_the_call_ends(solver, Spy, call):
    params = dict(PARAMS, solver=solver, max_iter=3)
    est = MLPRegressorBP(**params)
    if call != "first-fit":
        est.fit(X_REG, Y_REG)
    before = _observe(est)
    alive = dict(vars(est))  # holds the old objects: their ids stay theirs
    est.set_params(callbacks=[Spy()])
    COMMIT_CALLS[call](est, X_REG, Y_REG)
    seen = est.callbacks_[0].seen_
    hooks = [hook for hook, _ in seen]
    assert hooks[0] == "train_begin" and hooks[-1] == "train_end"
    assert "epoch" in hooks and ("batch" in hooks) == (Spy is BatchCommitSpy)
    if call == "first-fit":
        # scikit-learn's validate_data sets n_features_in_ before training
        # (and the failed-call rollback removes it); nothing else appears.
        assert before["names"] == []
        for hook, observed in seen:
            assert observed["names"] == ["n_features_in_"], hook
    else:
        for hook, observed in seen:
            assert observed == before, hook
        # The call did change the model, once it ended.
        assert _observe(est)["pickle"] != before["pickle"]
        assert set(alive) <= set(vars(est))
    assert not SKLEARN_CALL_CONTEXT & set(vars(est))


@pytest.mark.parametrize("Estimator, X_, y", [(MLPClassifierBP, X, Y_CLASSES),
                                              (MLPRegressorBP, X_REG, Y_REG)])
def test_t_and_n_iter_are_committed_with_the_weights(Estimator, X_, y):
    """t_ counts the samples of the calls that were committed: none moved it
    during the call (the spy above), and after it, it is the old t_ plus this
    call's samples."""
    est = Estimator(**PARAMS, solver="sgd").fit(X_, y)
    assert (est.t_, est.n_iter_) == (5 * N, 5)
    est.partial_fit(X_[:30], y[:30])
    assert (est.t_, est.n_iter_) == (5 * N + 30, 1)
    est.set_params(warm_start=True, max_iter=2).fit(X_, y)
    assert (est.t_, est.n_iter_) == (7 * N + 30, 2)
    assert len(est.loss_curve_) == len(est.history_) == 8


class EpochWeights(Callback):
    """Copies of every array of the network (batch norm included) after each
    epoch, as the hooks receive them."""

    def on_train_begin(self, estimator, *, X, y):
        self.epochs_ = {}

    def on_epoch_end(self, estimator, *, epoch, record, coefs, intercepts,
                     batch_norm=None):
        arrays = [*coefs, *intercepts]
        for group in batch_norm or ():
            arrays += group
        self.epochs_[epoch] = [array.copy() for array in arrays]


def _every_array(est):
    arrays = [*est.coefs_, *est.intercepts_]
    for name in ("batch_norm_scales_", "batch_norm_offsets_",
                 "batch_norm_running_means_", "batch_norm_running_vars_"):
        arrays += getattr(est, name) or []
    return arrays


def test_early_stopping_returns_the_best_epoch_batch_norm_statistics_included():
    """early_stopping returns the best validation epoch's network: weights,
    batch-norm scales and offsets, and that epoch's running statistics (not
    the last epoch's), bit for bit."""
    X_d, y_d = make_classification(300, 10, n_informative=6, n_classes=3,
                                   random_state=3)
    est = MLPClassifierBP((16,), solver="sgd", learning_rate_init=0.6, batch_size=50,
                          random_state=0, max_iter=40, early_stopping=True,
                          batch_norm=True, n_iter_no_change=3,
                          callbacks=[EpochWeights()]).fit(X_d, y_d)
    scores = est.validation_scores_
    best = scores.index(max(scores)) + 1
    assert best < est.n_iter_  # the best epoch is not the last
    at_best = est.callbacks_[0].epochs_[best]
    last = est.callbacks_[0].epochs_[est.n_iter_]
    ours = _every_array(est)
    assert len(ours) == len(at_best) == 2 + 2 + 4
    for mine, expected in zip(ours, at_best, strict=True):
        assert_array_equal(mine, expected, strict=True)
    running_means = est.batch_norm_running_means_[0]
    assert not np.array_equal(running_means, last[6])  # the last epoch's differ
    assert_array_equal(est.predict_proba(X_d),
                       _predict_with(est, at_best).predict_proba(X_d))


def _predict_with(est, arrays):
    """A copy of ``est`` holding ``arrays`` (in _every_array order)."""
    other = copy.deepcopy(est)
    n = len(est.coefs_)
    other.coefs_, other.intercepts_ = list(arrays[:n]), list(arrays[n:2 * n])
    rest = arrays[2 * n:]
    h = len(est.batch_norm_scales_)
    (other.batch_norm_scales_, other.batch_norm_offsets_,
     other.batch_norm_running_means_, other.batch_norm_running_vars_) = (
        list(rest[i * h:(i + 1) * h]) for i in range(4))
    return other
