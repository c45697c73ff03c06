"""Divergence, optimizer by optimizer: caught in its epoch, the last finite
weights kept, no non-finite prediction let out.

``tests/test_state.py`` pins the outcomes on ``sgd``/``adam`` with huge
constant rates and huge inputs. Here every optimizer of
``skmlp.optimizers.OPTIMIZERS`` (and L-BFGS) meets a rate that explodes at a
chosen epoch (:class:`ExplodingLR`), for both estimators and both float
dtypes, so that *which* epoch diverges is known in advance and the kept model
can be compared with a run that stopped just before it.
"""

from __future__ import annotations

import copy
import pickle
import re
import warnings
from numbers import Integral, Real

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval

import skmlp._network
from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp.optimizers import OPTIMIZERS
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


@pytest.mark.parametrize("kind", DATA)
@pytest.mark.parametrize("solver", OPTIMIZER_NAMES)
def test_explosion_in_the_first_epoch_raises_and_fits_nothing(solver, kind, losses):
    Estimator, X, y = DATA[kind]
    est = Estimator(**PARAMS, solver=solver, learning_rate=ExplodingLR(at_step=0),
                    max_iter=10)
    with pytest.raises(ValueError, match=r"diverged in epoch 1 .* nothing finite"):
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
    before = _training_state(est)
    with pytest.warns(ConvergenceWarning,
                      match="diverged .* kept the weights from before this call"):
        est.partial_fit(X, y)
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
def test_warm_start_explosion_keeps_the_last_finite_epoch(solver, kind):
    Estimator, X, y = DATA[kind]
    est = Estimator(**PARAMS, solver=solver,
                    learning_rate=ExplodingLR(at_step=2 * STEPS + 2),
                    max_iter=2).fit(X, y)
    # fit restarts the schedule: the warm fit explodes in its own epoch 3 and
    # keeps its epoch 2.
    with pytest.warns(ConvergenceWarning, match=r"in epoch 3; kept epoch 2\b"):
        est.set_params(warm_start=True, max_iter=10).fit(X, y)
    assert est.n_iter_ == 2 and est.t_ == 4 * N and len(est.loss_curve_) == 4
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


@pytest.mark.parametrize("random_state", range(6))
def test_early_stopping_checks_the_validation_rows_too(random_state):
    """Found by the fuzzer: with early stopping, outputs were checked on the
    training part only, so a held-out row whose outputs overflow let inf
    predictions out. Whichever part the huge row falls in, fit now either
    raises or gives finite outputs on all the data it was given."""
    X = np.zeros((17, 4), dtype=np.float32)
    X[9, 0] = 1000.0  # exp(1000 * w) overflows for the initial weights
    y = np.zeros((17, 2))
    est = MLPRegressorBP(hidden_layer_sizes=(), activation="identity", solver="sgd",
                         loss="poisson", learning_rate_init=1e-4, max_iter=1,
                         early_stopping=True, random_state=random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            est.fit(X, y)
        except ValueError as error:
            assert "diverged" in str(error)
            return
    assert np.isfinite(est.predict(X)).all()
