"""scikit-learn's callback API (sklearn.callback, scikit-learn >= 1.9).

Both paths are tested: where scikit-learn has the API, the estimators take
``set_callbacks`` and report each epoch as a subtask of the fit; where it
does not (the CI leg at the scikit-learn 1.7 floor), the estimators have no
``set_callbacks`` and the rest of the suite runs unchanged.
"""

import importlib.util
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp.callbacks import Callback

HAS_CALLBACK_API = importlib.util.find_spec("sklearn.callback") is not None
needs_api = pytest.mark.skipif(not HAS_CALLBACK_API,
                               reason="this scikit-learn has no sklearn.callback")

# The fits are short on purpose; test_a_callback_stops_training records
# its warnings itself.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X, Y = load_iris(return_X_y=True)
X = StandardScaler().fit_transform(X)
PARAMS = dict(hidden_layer_sizes=(8,), max_iter=6, random_state=0,
              learning_rate_init=0.01)


class Recorder:
    """A FitCallback (scikit-learn's protocol) that records every hook call:
    the task path and, at the end of a task, the fitted copy's weights."""

    max_propagation_depth = None  # propagated through meta-estimators

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.events = []

    def setup(self, estimator, context):
        self.events.append(("setup", type(estimator).__name__))

    def teardown(self, estimator, context):
        self.events.append(("teardown", type(estimator).__name__))

    def on_fit_task_begin(self, estimator, context, *, fitted_estimator=None):
        self.events.append(("begin", _path(context), _weights(fitted_estimator)))

    def on_fit_task_end(self, estimator, context, *, X=None, y=None,
                        fitted_estimator=None):
        self.events.append(("end", _path(context), _weights(fitted_estimator)))
        epochs_ended = sum(event[0] == "end" and event[1][-1][1] == "epoch"
                           for event in self.events)
        return self.stop_after is not None and epochs_ended >= self.stop_after

    def epochs(self, kind):
        return [event for event in self.events
                if event[0] == kind and event[1][-1][1] == "epoch"]


def _path(context):
    path = []
    while context is not None:
        path.append((context.estimator_name, context.task_name))
        context = context.parent
    return path[::-1]


def _weights(estimator):
    """The fitted copy's own arrays, kept (not copied): a fitted copy must
    not change when training goes on."""
    coefs = getattr(estimator, "coefs_", None)  # None: not an MLP's task
    return None if coefs is None else list(coefs)


class EpochWeights(Callback):
    """skmlp's own callback: the weights after every epoch (an independent
    record to compare scikit-learn's fitted copies with)."""

    def on_train_begin(self, estimator, *, X, y):
        self.weights_ = []

    def on_epoch_end(self, estimator, *, epoch, record, coefs, intercepts):
        self.weights_.append([c.copy() for c in coefs])


def test_set_callbacks_exists_exactly_where_scikit_learn_has_the_api():
    assert hasattr(MLPClassifierBP(), "set_callbacks") is HAS_CALLBACK_API
    assert hasattr(MLPRegressorBP(), "set_callbacks") is HAS_CALLBACK_API


@needs_api
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_epochs_are_subtasks_whose_fitted_copies_hold_that_epochs_weights(solver):
    recorder = Recorder()
    est = MLPClassifierBP(**PARAMS, solver=solver, callbacks=[EpochWeights()])
    est.set_callbacks(recorder).fit(X, Y)
    kinds = [event[0] for event in recorder.events]
    assert kinds[0] == "setup" and kinds[-1] == "teardown"
    assert recorder.events[1][:2] == ("begin", [("MLPClassifierBP", "fit")])
    assert recorder.events[-2][:2] == ("end", [("MLPClassifierBP", "fit")])
    ends = recorder.epochs("end")
    assert len(ends) == len(recorder.epochs("begin")) == est.n_iter_ > 0
    for (_, path, weights), own in zip(ends, est.callbacks_[0].weights_, strict=True):
        assert path == [("MLPClassifierBP", "fit"), ("MLPClassifierBP", "epoch")]
        for ours, theirs in zip(weights, own, strict=True):
            assert_array_equal(ours, theirs)
    # An epoch begins where the previous one ended.
    for (_, _, begin), (_, _, end) in zip(recorder.epochs("begin")[1:], ends[:-1]):
        assert_array_equal(begin[0], end[0])


@needs_api
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_callback_stops_training(solver):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = MLPClassifierBP(**dict(PARAMS, max_iter=50), solver=solver)
        est.set_callbacks(Recorder(stop_after=3)).fit(X, Y)
    assert est.n_iter_ == 3
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)
                and "Maximum iterations" in str(w.message)]


@needs_api
def test_every_epoch_begun_ends_when_lbfgs_converges_early():
    """L-BFGS opens the next iteration's subtask before it knows whether
    there is one; when it converges, that subtask ends empty."""
    recorder = Recorder()
    est = MLPClassifierBP(**dict(PARAMS, max_iter=10_000), solver="lbfgs",
                          tol=1e-2).set_callbacks(recorder).fit(X, Y)
    assert est.n_iter_ < 10_000
    ends = recorder.epochs("end")
    assert len(recorder.epochs("begin")) == len(ends) == est.n_iter_ + 1
    assert [weights is None for _, _, weights in ends] == [False] * est.n_iter_ + [True]


@needs_api
def test_partial_fit_is_one_epoch_subtask():
    recorder = Recorder()
    est = MLPClassifierBP(**PARAMS).set_callbacks(recorder)
    est.partial_fit(X, Y, classes=[0, 1, 2])
    est.partial_fit(X, Y)
    assert len(recorder.epochs("end")) == 2
    assert [event[0] for event in recorder.events].count("setup") == 2


@needs_api
def test_scoring_monitor_logs_a_score_per_epoch():
    from sklearn.callback import ScoringMonitor

    monitor = ScoringMonitor(scoring="accuracy")
    est = MLPClassifierBP(**PARAMS).set_callbacks(monitor).fit(X, Y)
    rows = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert len(rows) == est.n_iter_
    assert rows[-1]["accuracy"] == est.score(X, Y)  # the last epoch is the model


@needs_api
def test_callbacks_propagate_down_to_the_epochs_of_a_search_over_a_pipeline():
    recorder = Recorder()
    search = GridSearchCV(make_pipeline(StandardScaler(), MLPClassifierBP(**PARAMS)),
                          {"mlpclassifierbp__alpha": [1e-4, 1e-2]}, cv=2)
    search.set_callbacks(recorder).fit(X, Y)
    ends = recorder.epochs("end")
    fits = 2 * 2 + 1  # candidates x folds, and the refit
    assert len(ends) == fits * PARAMS["max_iter"]
    names = [name for name, _ in ends[0][1]]
    assert names[0] == "GridSearchCV" and names[-2:] == ["MLPClassifierBP"] * 2
    assert "Pipeline" in names


@needs_api
def test_progress_bar_runs_nested():
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    search = GridSearchCV(make_pipeline(StandardScaler(), MLPClassifierBP(**PARAMS)),
                          {"mlpclassifierbp__alpha": [1e-4, 1e-2]}, cv=2)
    search.set_callbacks(ProgressBar(max_propagation_depth=None)).fit(X, Y)
    est = MLPClassifierBP(**PARAMS).set_callbacks(ProgressBar()).fit(X, Y)
    assert est.n_iter_ == PARAMS["max_iter"]


@needs_api
def test_a_failed_fit_tears_the_callbacks_down_and_changes_nothing():
    recorder = Recorder()
    est = MLPClassifierBP(**PARAMS).fit(X, Y)
    before = pickle.dumps(est.coefs_)
    est.set_callbacks(recorder)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.fit(np.full_like(X, np.nan), Y)
    assert recorder.events[-1] == ("teardown", "MLPClassifierBP")
    assert pickle.dumps(est.coefs_) == before
    assert not hasattr(est, "_callback_fit_ctx")


@needs_api
def test_no_callback_no_epoch_subtasks():
    """Without callbacks a fit opens no per-epoch contexts."""
    est = MLPClassifierBP(**PARAMS)
    est.fit(X, Y)
    assert not hasattr(est, "_callback_fit_ctx")
    assert est.n_iter_ == PARAMS["max_iter"]
