"""Determinism and parallelism: the same ``random_state`` gives bit-identical
weights across runs, across ``n_jobs`` and joblib backends (loky, dask), and
between ``fit`` and the equivalent loop of ``partial_fit`` calls.

What "equivalent" means for ``fit(max_iter=k)`` against ``k`` calls to
``partial_fit`` on the same data (as in scikit-learn):

- the optimizer state (velocities, moments, step counts) and the schedule
  state carry over from one ``partial_fit`` call to the next, exactly as from
  one epoch of ``fit`` to the next, and ``t_`` keeps counting;
- but with ``shuffle=True`` the sample orders differ, whatever
  ``random_state`` is: every call starts from
  ``check_random_state(random_state)`` (with an int seed, the same generator
  again), and every call shuffles a fresh ``0..n-1`` index where ``fit``
  reshuffles the previous epoch's order. So the loop equals ``fit`` with
  ``shuffle=False`` only; with shuffling it equals scikit-learn's own loop.
- ``fit`` stops on a plateau (``tol``, ``n_iter_no_change``) and
  ``partial_fit`` does not stop, so the comparison runs with ``tol=0``.
"""

from __future__ import annotations

import pickle
import warnings

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import is_classifier
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, cross_validate
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp.optimizers import OPTIMIZERS, SGD, Adam, RMSProp
from skmlp.schedulers import CosineAnnealingWarmRestarts, StepLR, WarmupLR

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N = 48
X_CLF, Y_CLF = make_classification(N, 5, n_informative=3, n_classes=3,
                                   random_state=0)
_X_REG, _y_reg = make_regression(N, 5, noise=1.0, random_state=0)
Y_REG = _y_reg / _y_reg.std()
DATA = {"classifier": (MLPClassifierBP, X_CLF, Y_CLF),
        "regressor": (MLPRegressorBP, _X_REG, Y_REG)}
FAST = dict(hidden_layer_sizes=(6,), max_iter=4, batch_size=16, random_state=0)


def _weights(est):
    return est.coefs_ + est.intercepts_


def assert_same_weights(a, b):
    for ours, theirs in zip(_weights(a), _weights(b), strict=True):
        assert_array_equal(ours, theirs, strict=True)


def assert_same_training_state(a, b):
    """Weights, curves, counters, and the optimizer/schedule state."""
    assert_same_weights(a, b)
    assert a.loss_curve_ == b.loss_curve_
    assert a.t_ == b.t_
    assert a.learning_rate_curve_ == b.learning_rate_curve_
    assert pickle.dumps(a._optimizer_state) == pickle.dumps(b._optimizer_state)
    assert pickle.dumps(a._scheduler_state) == pickle.dumps(b._scheduler_state)


# -- same seed, same model ----------------------------------------------------------


@pytest.mark.parametrize("kind", DATA)
@pytest.mark.parametrize("extra", [
    {}, {"early_stopping": True}, {"shuffle": False},
    {"dtype": np.float32}, {"batch_size": 1},
], ids=["default", "early_stopping", "no-shuffle", "float32", "batch_size=1"])
@pytest.mark.parametrize("solver", ["lbfgs", *OPTIMIZERS])
def test_same_seed_same_weights(solver, extra, kind):
    Estimator, X, y = DATA[kind]
    extra = dict(extra)
    X = X.astype(extra.pop("dtype", np.float64))
    if solver == "lbfgs" and extra:
        pytest.skip("L-BFGS has no mini-batches, shuffling or early stopping")
    runs = [Estimator(**{**FAST, **extra}, solver=solver).fit(X, y) for _ in range(2)]
    assert_same_weights(*runs)
    assert runs[0].loss_curve_ == runs[1].loss_curve_
    assert_array_equal(runs[0].predict(X), runs[1].predict(X), strict=True)
    # A RandomState instance seeded alike gives the same model as the int.
    by_instance = Estimator(**{**FAST, **extra}, solver=solver).set_params(
        random_state=np.random.RandomState(0)).fit(X, y)
    assert_same_weights(runs[0], by_instance)


@pytest.mark.parametrize("kind", DATA)
def test_other_seed_other_weights(kind):
    """The comparisons above can fail: the seed does reach the weights (and,
    with the same initial weights, the shuffling)."""
    Estimator, X, y = DATA[kind]
    a = Estimator(**FAST).fit(X, y)
    b = Estimator(**{**FAST, "random_state": 1}).fit(X, y)
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])


# -- fit == a loop of partial_fit ---------------------------------------------------

SCHEDULES = ["constant", "invscaling", "step", "plateau", "adaptive",
             CosineAnnealingWarmRestarts(T_0=2, per_batch=True),
             WarmupLR(StepLR(step_size=2), warmup_epochs=2)]


def _partial_fit_loop(est, X, y, k):
    first = {"classes": np.unique(y)} if is_classifier(est) else {}
    est.partial_fit(X, y, **first)
    for _ in range(k - 1):
        est.partial_fit(X, y)
    return est


@pytest.mark.parametrize("kind", DATA)
@pytest.mark.parametrize("learning_rate", SCHEDULES, ids=repr)
@pytest.mark.parametrize("solver", OPTIMIZERS)
def test_fit_equals_partial_fit_loop_without_shuffling(solver, learning_rate, kind):
    Estimator, X, y = DATA[kind]
    params = dict(FAST, solver=solver, learning_rate=learning_rate, shuffle=False,
                  tol=0.0, n_iter_no_change=100, learning_rate_init=0.01)
    fitted = Estimator(**params).fit(X, y)
    looped = _partial_fit_loop(Estimator(**params), X, y, FAST["max_iter"])
    # The one legitimate difference: fit knows its horizon, partial_fit
    # doesn't (every schedule here has its own length, so the rates agree).
    assert getattr(looped._scheduler_state, "horizon", None) is None
    for est in (fitted, looped):
        est._scheduler_state = _without_horizon(est._scheduler_state)
    assert_same_training_state(fitted, looped)


def _without_horizon(state):
    if "horizon" in state._fields:
        state = state._replace(horizon=None)
    inner = getattr(state, "inner", None)  # WarmupLR's wrapped schedule
    return state if inner is None else state._replace(inner=_without_horizon(inner))


@pytest.mark.parametrize("seed", ["int", "RandomState"])
@pytest.mark.parametrize("ours, theirs", [(MLPClassifierBP, MLPClassifier),
                                          (MLPRegressorBP, MLPRegressor)])
def test_partial_fit_loop_with_shuffling_reshuffles_like_sklearn(ours, theirs, seed):
    """With shuffling, a partial_fit loop is *not* fit; it is what
    scikit-learn's loop does, bit for bit."""
    kind = "classifier" if ours is MLPClassifierBP else "regressor"
    _, X, y = DATA[kind]

    def make(Estimator):
        random_state = 0 if seed == "int" else np.random.RandomState(0)
        return Estimator(**dict(FAST, solver="sgd", tol=0.0, n_iter_no_change=100,
                                random_state=random_state))

    fitted = make(ours).fit(X, y)
    looped = _partial_fit_loop(make(ours), X, y, FAST["max_iter"])
    reference = _partial_fit_loop(make(theirs), X, y, FAST["max_iter"])
    assert not np.array_equal(fitted.coefs_[0], looped.coefs_[0])
    assert_same_weights(looped, reference)
    assert looped.loss_curve_ == reference.loss_curve_
    # ... and without shuffling the same loop is fit again.
    unshuffled = [make(ours).set_params(shuffle=False) for _ in range(2)]
    assert_same_weights(unshuffled[0].fit(X, y),
                        _partial_fit_loop(unshuffled[1], X, y, FAST["max_iter"]))


# -- parallel model selection: the same numbers for any n_jobs and backend ----------

CV = KFold(3, shuffle=True, random_state=0)
GRIDS = {
    "classifier": {"solver": [Adam(), SGD(momentum=0.5)], "alpha": [1e-4, 1e-1],
                   "learning_rate": ["constant", StepLR(step_size=2)]},
    "regressor": {"solver": [RMSProp(), "adam"], "hidden_layer_sizes": [(4,), (6, 3)]},
}


def _search(kind, n_jobs):
    Estimator, X, y = DATA[kind]
    search = GridSearchCV(Estimator(**FAST), GRIDS[kind], cv=CV, n_jobs=n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return search.fit(X, y)


def _cross_validate(kind, n_jobs):
    Estimator, X, y = DATA[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cross_validate(Estimator(**FAST, solver=Adam(beta_1=0.8)), X, y,
                              cv=CV, n_jobs=n_jobs, return_estimator=True)


def assert_same_search(a, b):
    for key, value in a.cv_results_.items():
        if "time" not in key:
            if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                assert_array_equal(value, b.cv_results_[key], err_msg=key)
            else:
                assert repr(list(value)) == repr(list(b.cv_results_[key])), key
    assert a.best_index_ == b.best_index_
    assert_same_weights(a.best_estimator_, b.best_estimator_)


def assert_same_cross_validation(a, b):
    assert_array_equal(a["test_score"], b["test_score"])
    for ours, theirs in zip(a["estimator"], b["estimator"], strict=True):
        assert_same_weights(ours, theirs)


@pytest.mark.parametrize("kind", DATA)
def test_grid_search_is_independent_of_n_jobs(kind):
    assert_same_search(_search(kind, 1), _search(kind, 2))


@pytest.mark.parametrize("kind", DATA)
def test_cross_validation_is_independent_of_n_jobs(kind):
    assert_same_cross_validation(_cross_validate(kind, 1), _cross_validate(kind, 2))
    Estimator, X, y = DATA[kind]
    scores = [cross_val_score(Estimator(**FAST), X, y, cv=CV, n_jobs=n_jobs)
              for n_jobs in (1, 2)]
    assert_array_equal(*scores)


@pytest.fixture(scope="module")
def dask_client():
    """A local two-worker dask cluster, started once for this module."""
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("dask")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. a busy dashboard port
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                           processes=True, dashboard_address=None)
        client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.mark.parametrize("kind", DATA)
def test_dask_backend_gives_the_same_results(kind, dask_client):
    """Each fit runs in another process of the cluster: estimator, optimizer
    and schedule objects travel through dask's serialisation."""
    from distributed import get_task_stream

    expected_search, expected_cv = _search(kind, 1), _cross_validate(kind, 1)
    with get_task_stream(dask_client) as tasks, joblib.parallel_config(
            backend="dask"):
        search, cv = _search(kind, 2), _cross_validate(kind, 2)
    assert_same_search(expected_search, search)
    assert_same_cross_validation(expected_cv, cv)
    assert len({task["worker"] for task in tasks.data}) == 2  # both workers ran fits
