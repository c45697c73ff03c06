"""Divergence, optimizer by optimizer: caught in its epoch, the best finite
epoch of the call kept, no non-finite prediction let out.

``tests/test_state.py`` pins the outcomes on ``sgd``/``adam`` with huge
constant rates and huge inputs. Here every optimizer of
``skmlp.optimizers.OPTIMIZERS`` (and L-BFGS) meets a rate that explodes at a
chosen epoch (:class:`ExplodingLR`), for both estimators and both float
dtypes, so that *which* epoch diverges is known in advance and the kept model
can be compared with a run that stopped at the epoch that must be kept.
:class:`AscentThenExplode` first climbs the loss for two epochs (a negative
rate), so that the best epoch is not the last finite one.
"""

from __future__ import annotations

import copy
import pickle
import re
import warnings
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import is_classifier
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import Interval

import skmlp._network
from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp.callbacks import Callback
from skmlp.optimizers import OPTIMIZERS, Optimizer
from skmlp.schedulers import ClosedFormScheduler

pytestmark = pytest.mark.filterwarnings(
    "ignore:(Stochastic Optimizer|lbfgs failed):sklearn.exceptions.ConvergenceWarning"
)

N, BATCH = 60, 10  # six mini-batches per epoch
X_CLF, Y_CLF = make_classification(N, 5, n_informative=3, random_state=0)
_X_REG, _y_reg = make_regression(N, 5, noise=1.0, random_state=0)
Y_REG = _y_reg / _y_reg.std()
DATA = {"classifier": (MLPClassifierBP, X_CLF, Y_CLF),
        "regressor": (MLPRegressorBP, _X_REG, Y_REG)}
PARAMS = dict(hidden_layer_sizes=(8,), learning_rate_init=0.01, batch_size=BATCH,
              random_state=0, tol=0.0, n_iter_no_change=1000)
OPTIMIZER_NAMES = list(OPTIMIZERS)


class ExplodingLR(ClosedFormScheduler):
    """``learning_rate_init`` for the first ``at_step`` optimizer steps, then
    ``learning_rate_init * factor``: far too large for any optimizer."""

    per_batch = True  # recomputed after every step
    _parameter_constraints = {
        "at_step": [Interval(Integral, 0, None, closed="left")],
        "factor": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, at_step: int = 0, factor: float = 1e250):
        self.at_step = at_step
        self.factor = factor

    def value(self, initial_learning_rate, *, epoch, step):
        return initial_learning_rate * (self.factor if step >= self.at_step
                                        else 1.0)


STEPS = N // BATCH  # optimizer steps per epoch


class AscentThenExplode(ClosedFormScheduler):
    """``learning_rate_init`` for epochs 1-3, ``learning_rate_init * ascent``
    (negative: gradient *ascent*, so the loss rises) for epochs 4-5, then
    ``learning_rate_init * 1e250`` from the third step of epoch 6."""

    per_batch = True
    _parameter_constraints = {"ascent": [Real]}

    def __init__(self, ascent: float = -30.0):
        self.ascent = ascent

    def value(self, initial_learning_rate, *, epoch, step):
        if step >= 5 * STEPS + 2:
            return initial_learning_rate * 1e250
        return initial_learning_rate * (self.ascent if step >= 3 * STEPS else 1.0)


@pytest.fixture
def losses(monkeypatch):
    """Every mini-batch (or L-BFGS) loss computed, in order."""
    seen = []
    original = skmlp._network.Network.loss_and_gradient

    def spy(self, *args, **kwargs):
        value = original(self, *args, **kwargs)
        seen.append(float(value))
        return value

    monkeypatch.setattr(skmlp._network.Network, "loss_and_gradient", spy)
    return seen


def _outputs(est, X):
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)


def _assert_finite_model(est, X, y):
    for array in est.coefs_ + est.intercepts_:
        assert np.isfinite(array).all()
    assert np.isfinite(_outputs(est, X)).all()
    assert np.isfinite(est.score(X, y))
    assert np.isfinite(est.loss_curve_).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", DATA)
@pytest.mark.parametrize("solver", OPTIMIZER_NAMES)
def test_explosion_is_caught_in_its_epoch_and_the_epoch_before_is_kept(
        solver, kind, dtype, losses):
    Estimator, X, y = DATA[kind]
    X = X.astype(dtype)
    # The third step of epoch 4 is the first with the huge rate.
    schedule = ExplodingLR(at_step=3 * STEPS + 2)
    est = Estimator(**PARAMS, solver=solver, learning_rate=schedule, max_iter=10)
    with pytest.warns(ConvergenceWarning, match="diverged") as caught:
        est.fit(X, y)
    message = next(str(w.message) for w in caught if "diverged" in str(w.message))
    assert re.search(r"in epoch 4; kept epoch 3\b", message), message

    # Caught within epoch 4: no mini-batch ran after the first non-finite loss,
    # and epoch 4 never completed.
    assert 3 * STEPS + 3 <= len(losses) <= 4 * STEPS
    bad = [i for i, value in enumerate(losses) if not np.isfinite(value)]
    assert not bad or bad[0] == len(losses) - 1
    # The kept model is exactly the run that stopped after epoch 3.
    assert est.n_iter_ == 3 and est.t_ == 3 * N
    reference = Estimator(**PARAMS, solver=solver, learning_rate=schedule,
                          max_iter=3).fit(X, y)
    for ours, theirs in zip(est.coefs_ + est.intercepts_,
                            reference.coefs_ + reference.intercepts_, strict=True):
        assert_array_equal(ours, theirs, strict=True)
    assert est.loss_curve_ == reference.loss_curve_
    assert len(est.loss_curve_) == est.n_iter_
    _assert_finite_model(est, X, y)


class LossSpy(Callback):
    """The loss and validation score of every epoch that completes."""

    def on_train_begin(self, estimator, *, X, y):
        self.records_ = []

    def on_epoch_end(self, estimator, *, epoch, record, coefs, intercepts):
        self.records_.append((record["loss"], record["validation_score"]))


def _comparable_history(est):
    return [{key: value for key, value in record.items() if key != "time"}
            for record in est.history_]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", DATA)
@pytest.mark.parametrize("solver", OPTIMIZER_NAMES)
def test_the_best_epoch_is_kept_not_the_last_finite_one(solver, kind, dtype):
    """Epochs 4 and 5 climb the loss, then the rate explodes: the call keeps
    epoch 3, its lowest training loss, and rolls everything back to it."""
    Estimator, X, y = DATA[kind]
    X = X.astype(dtype)
    params = dict(PARAMS, solver=solver, learning_rate=AscentThenExplode())
    est = Estimator(**params, max_iter=10, callbacks=[LossSpy()])
    with pytest.warns(ConvergenceWarning) as caught:
        est.fit(X, y)
    losses = [loss for loss, _ in est.callbacks_[0].records_]
    # The premise: epoch 4 (at least) completed, finite and worse than epoch 3,
    # and epoch 3 is the best of all.
    assert len(losses) >= 4 and np.isfinite(losses).all()
    assert np.argmin(losses) == 2 and losses[3] > losses[2]
    message = next(str(w.message) for w in caught if "diverged" in str(w.message))
    assert re.match(rf"Training diverged \(non-finite loss or weights\) in epoch "
                    rf"{len(losses) + 1}; kept epoch 3, the epoch with the lowest "
                    r"training loss\.", message), message

    reference = Estimator(**params, max_iter=3).fit(X, y)
    for ours, theirs in zip(est.coefs_ + est.intercepts_,
                            reference.coefs_ + reference.intercepts_, strict=True):
        assert_array_equal(ours, theirs, strict=True)
    assert (est.n_iter_, est.t_) == (reference.n_iter_, reference.t_) == (3, 3 * N)
    assert est.loss_curve_ == reference.loss_curve_ == losses[:3]
    assert est.learning_rate_curve_ == reference.learning_rate_curve_
    assert _comparable_history(est) == _comparable_history(reference)
    assert est.loss_ == reference.loss_
    for name in ["_optimizer_state", "_scheduler_state", "_stopping"]:
        assert pickle.dumps(getattr(est, name)) == pickle.dumps(
            getattr(reference, name)), name
    _assert_finite_model(est, X, y)
    # Training goes on from epoch 3 exactly as the reference does.
    for model in (est, reference):
        model.set_params(learning_rate=ExplodingLR(at_step=10**6)).partial_fit(X, y)
    assert_array_equal(est.coefs_[0], reference.coefs_[0], strict=True)


@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop"])
def test_early_stopping_divergence_keeps_the_best_validation_epoch(solver):
    """Under early_stopping the best epoch is the best validation score."""
    Estimator, X, y = DATA["classifier"]
    params = dict(PARAMS, solver=solver, learning_rate=AscentThenExplode(),
                  early_stopping=True, validation_fraction=0.2)
    est = Estimator(**params, max_iter=10, callbacks=[LossSpy()])
    with pytest.warns(ConvergenceWarning) as caught:
        est.fit(X, y)
    scores = [score for _, score in est.callbacks_[0].records_]
    best = scores.index(max(scores)) + 1  # the first epoch to reach the best
    assert len(scores) >= 4 and best < len(scores)  # the premise
    message = next(str(w.message) for w in caught if "diverged" in str(w.message))
    assert re.match(rf"Training diverged \(non-finite loss or weights\) in epoch "
                    rf"{len(scores) + 1}; kept epoch {best}, the epoch with the best "
                    r"validation score\.", message), message
    assert est.n_iter_ == best and est.t_ == best * 48  # 48 training rows
    assert est.validation_scores_ == scores[:best]
    assert est.best_validation_score_ == max(scores)
    reference = Estimator(**params, max_iter=best).fit(X, y)
    for ours, theirs in zip(est.coefs_ + est.intercepts_,
                            reference.coefs_ + reference.intercepts_, strict=True):
        assert_array_equal(ours, theirs, strict=True)
    _assert_finite_model(est, X, y)


# -- a weight that becomes non-finite in the last step of an epoch -------------------


class CountState(NamedTuple):
    t: int


class InfAtStep(Optimizer):
    """Plain gradient descent that writes inf into the first weight at step
    ``at_step``: the loss of that mini-batch (computed before the step) is
    finite, and if it is the epoch's last, no later loss sees the inf."""

    _parameter_constraints = {"at_step": [Integral]}

    def __init__(self, at_step: int = 1):
        self.at_step = at_step

    def init_state(self, params):
        return CountState(0)

    def step(self, params, grads, state, *, learning_rate, scratch):
        params -= learning_rate * grads
        if state.t + 1 == self.at_step:
            params[0] = np.inf
        return CountState(state.t + 1)


def _partial_fits(est, X, y, n_calls):
    for _ in range(n_calls):
        est.partial_fit(X, y, **({"classes": [0, 1]} if is_classifier(est) else {}))
    return est


@pytest.mark.parametrize("kind", DATA)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_a_weight_made_infinite_by_the_last_step_of_an_epoch_is_caught(kind, method):
    """The end-of-epoch weight check: epoch 3's last step writes inf into a
    weight, after the last finite loss of the epoch. The epoch counts as
    diverged, and the call keeps epoch 2."""
    Estimator, X, y = DATA[kind]
    params = dict(PARAMS, solver=InfAtStep(at_step=3 * STEPS), max_iter=10)
    if method == "fit":
        with pytest.warns(ConvergenceWarning, match=r"in epoch 3; kept epoch 2, "):
            est = Estimator(**params).fit(X, y)
    else:
        est = _partial_fits(Estimator(**params), X, y, 2)
        before = pickle.dumps(vars(est))
        with pytest.warns(ConvergenceWarning, match=r"in epoch 3 and no epoch of "
                          r"this call gave finite outputs"):
            est.partial_fit(X, y)
        assert pickle.dumps(vars(est)) == before
    assert est.n_iter_ == (2 if method == "fit" else 1) and est.t_ == 2 * N
    assert est._optimizer_state.t == 2 * STEPS
    reference = (Estimator(**{**params, "max_iter": 2}).fit(X, y) if method == "fit"
                 else _partial_fits(Estimator(**params), X, y, 2))
    for ours, theirs in zip(est.coefs_ + est.intercepts_,
                            reference.coefs_ + reference.intercepts_, strict=True):
        assert_array_equal(ours, theirs, strict=True)
    _assert_finite_model(est, X, y)


@pytest.mark.parametrize("kind", DATA)
@pytest.mark.parametrize("solver", OPTIMIZER_NAMES)
def test_explosion_in_the_first_epoch_raises_and_fits_nothing(solver, kind, losses):
    Estimator, X, y = DATA[kind]
    est = Estimator(**PARAMS, solver=solver, learning_rate=ExplodingLR(at_step=0),
                    max_iter=10)
    with pytest.raises(ValueError, match=r"^Training diverged \(non-finite loss or "
                       r"weights\) in epoch 1 and no epoch of this call gave finite"):
        est.fit(X, y)
    assert vars(est).keys() == est.get_params(deep=False).keys()
    assert 2 <= len(losses) <= STEPS
    assert np.isfinite(losses[0])  # the first batch, before any step


def _training_state(est):
    names = ["coefs_", "intercepts_", "loss_curve_", "t_", "_optimizer_state",
             "_scheduler_state"]
    return {name: pickle.dumps(getattr(est, name)) for name in names}


@pytest.mark.parametrize("kind", DATA)
@pytest.mark.parametrize("solver", OPTIMIZER_NAMES)
def test_diverging_partial_fit_is_a_no_op(solver, kind):
    """A partial_fit whose epoch explodes keeps the model from before the call,
    optimizer and schedule state included: training then goes on exactly as
    if that call had never happened."""
    Estimator, X, y = DATA[kind]
    est = Estimator(**PARAMS, solver=solver,
                    learning_rate=ExplodingLR(at_step=3 * STEPS + 2),
                    max_iter=3).fit(X, y)
    untouched = copy.deepcopy(est)
    before, everything = _training_state(est), pickle.dumps(vars(est))
    with pytest.warns(ConvergenceWarning, match=r"in epoch 4 and no epoch of this "
                      r"call gave finite outputs\..* Kept the model from before "
                      r"this call\."):
        est.partial_fit(X, y)
    assert pickle.dumps(vars(est)) == everything
    assert _training_state(est) == before
    assert_array_equal(_outputs(est, X), _outputs(untouched, X), strict=True)
    # Defuse the schedule (same type: its state carries on) and continue both.
    for model in (est, untouched):
        model.set_params(learning_rate=ExplodingLR(at_step=10**6)).partial_fit(X, y)
    assert est.t_ == 4 * N
    assert _training_state(est) == _training_state(untouched)
    _assert_finite_model(est, X, y)


@pytest.mark.parametrize("kind", DATA)
@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop", "adagrad"])
def test_warm_start_explosion_keeps_the_best_epoch_of_the_call(solver, kind):
    Estimator, X, y = DATA[kind]
    est = Estimator(**PARAMS, solver=solver,
                    learning_rate=ExplodingLR(at_step=2 * STEPS + 2),
                    max_iter=2).fit(X, y)
    # fit restarts the schedule: the warm fit explodes in its own epoch 3
    # (epoch 5 of history_) and keeps its epoch 2 (epoch 4 of history_).
    with pytest.warns(ConvergenceWarning, match=r"in epoch 5; kept epoch 4, the "
                      "epoch with the lowest training loss"):
        est.set_params(warm_start=True, max_iter=10).fit(X, y)
    assert est.n_iter_ == 2 and est.t_ == 4 * N and len(est.loss_curve_) == 4
    assert [record["epoch"] for record in est.history_] == [1, 2, 3, 4]
    _assert_finite_model(est, X, y)


# -- L-BFGS ----------------------------------------------------------------------

OVERFLOWING = {  # estimator, parameters, data, scale of X for float64 / float32
    # exp output: the initial weights already overflow on these inputs
    "regressor-poisson": (MLPRegressorBP, {"loss": "poisson"}, _X_REG, np.abs(Y_REG),
                          (1e3, 1e3)),
    # relu hidden layer: X @ W overflows, inf - inf in the output layer
    "classifier": (MLPClassifierBP, {}, X_CLF, Y_CLF, (1e306, 5e37)),
    "regressor": (MLPRegressorBP, {}, _X_REG, Y_REG, (1e306, 5e37)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", OVERFLOWING)
def test_lbfgs_with_overflowing_outputs_raises(case, dtype):
    """A regression: L-BFGS used to return finite weights whose outputs (and
    loss) overflowed, so predictions were inf/NaN."""
    Estimator, params, X_good, y, scales = OVERFLOWING[case]
    X_good = X_good.astype(dtype)
    X_bad = (X_good * scales[dtype == np.float32]).astype(dtype)
    assert np.isfinite(X_bad).all()
    est = Estimator(**PARAMS, **params, solver="lbfgs", max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow in the loss
        with pytest.raises(ValueError, match="L-BFGS diverged"):
            est.fit(X_bad, y)
    assert vars(est).keys() == est.get_params(deep=False).keys()

    # A fitted model survives a warm refit on such data unchanged.
    good = Estimator(**PARAMS, **params, solver="lbfgs", max_iter=20).fit(X_good, y)
    before = pickle.dumps(vars(good))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match="L-BFGS diverged"):
            good.set_params(warm_start=True).fit(X_bad, y)
    good.set_params(warm_start=False)
    assert pickle.dumps(vars(good)) == before


class FixedInit:
    """A weight initialiser: every input-to-output weight ``weight``, biases
    0 (draws nothing from the random state)."""

    def __init__(self, weight):
        self.weight = weight

    def __call__(self, fan_in, fan_out, *, activation, random_state, dtype):
        return np.full((fan_in, fan_out), self.weight), np.zeros(fan_out)


def _validation_rows(random_state, n, fraction):
    """The rows early_stopping holds out (scikit-learn's split of the indices)."""
    return train_test_split(np.arange(n), test_size=fraction,
                            random_state=random_state)[1]


SEEDS = [0, 1, 11, 26]  # 11 and 26 hold row 9 out for validation


@pytest.mark.parametrize("random_state", SEEDS)
@pytest.mark.parametrize("extreme", [1000.0, -1000.0])
@pytest.mark.parametrize("weight", [0.095, -0.095])
def test_early_stopping_checks_the_validation_rows_too(random_state, extreme, weight):
    """Found by the fuzzer: with early stopping, outputs were checked on the
    training part only, so a held-out row whose outputs overflow let inf
    predictions out. One row holds an extreme value, positive or negative;
    exp(extreme * weight) = exp(±95) overflows float32 exactly when the two
    have the same sign. Then the fit must raise wherever the row falls: in
    the training part the first loss is inf; in the validation part no
    epoch gives finite outputs on all the rows. Otherwise it must fit, with
    finite outputs on all the rows."""
    X = np.zeros((17, 4), dtype=np.float32)
    X[9, 0] = extreme
    y = np.zeros((17, 2))
    est = MLPRegressorBP(hidden_layer_sizes=(), activation="identity", solver="sgd",
                         loss="poisson", learning_rate_init=1e-4, max_iter=1,
                         early_stopping=True, random_state=random_state,
                         weight_init=FixedInit(weight))
    held_out = 9 in _validation_rows(random_state, 17, est.validation_fraction)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if extreme * weight > 0:
            problem = (r"outputs overflow on the training data\)" if held_out
                       else r"non-finite loss or weights\) in epoch 1")
            with pytest.raises(ValueError, match=rf"^Training diverged \({problem} "
                               "and no epoch of this call gave finite outputs"):
                est.fit(X, y)
            assert not hasattr(est, "coefs_")
            return
        est.fit(X, y)
    assert np.isfinite(est.predict(X)).all()
    assert np.isfinite(est.coefs_[0]).all()


def test_the_extreme_row_falls_in_both_parts():
    """The seeds above put row 9 in the validation part and in the training
    part (so both paths to the error are taken)."""
    held_out = [9 in _validation_rows(seed, 17, 0.1) for seed in SEEDS]
    assert held_out == [False, False, True, True]
