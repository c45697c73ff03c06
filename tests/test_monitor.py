"""The one "best so far, patience, min delta" rule (:mod:`skmlp._monitor`).

Expected values are computed by hand below (dyadic numbers, so that
``best - min_delta`` is exact), taken from scikit-learn's own
``_update_no_improvement_count`` run on the same sequences, or from
scikit-learn's ``MLPClassifier`` fitted with the same parameters: never from
the monitor under test.
"""

import math
import types
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network._multilayer_perceptron import BaseMultilayerPerceptron
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierBP
from skmlp._monitor import Monitor, MonitorState
from skmlp.callbacks import BestWeights, EarlyStopping

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

NAN = math.nan

# (monitor, values, expected after each value: (best, best_epoch, wait, is_best,
# exhausted)), all worked out by hand.
SEQUENCES = {
    # min_delta=0.25: 0.875 is better than 1.0 but not by 0.25 (wait 1) and
    # still becomes the best; 0.75 is not 0.25 below 0.875 (wait 2 > 1:
    # exhausted) and becomes the best too; 0.5 is 0.25 below 0.75 (a tie with
    # the minimum change improves).
    "min-delta": (
        Monitor(maximize=False, min_delta=0.25, patience=1),
        [1.0, 0.875, 0.75, 0.5, 0.5, 2.0],
        [(1.0, 1, 0, True, False), (0.875, 2, 1, True, False),
         (0.75, 3, 2, True, True), (0.5, 4, 0, True, False),
         (0.5, 4, 1, False, False), (0.5, 4, 2, False, True)],
    ),
    # min_delta=0: a tie improves (wait back to 0) but does not become the
    # best (the first epoch to reach it stays best_epoch).
    "min-ties": (
        Monitor(maximize=False, min_delta=0.0, patience=2),
        [4.0, 4.0, 4.0, 5.0, 5.0, 5.0, 4.0],
        [(4.0, 1, 0, True, False), (4.0, 1, 0, False, False),
         (4.0, 1, 0, False, False), (4.0, 1, 1, False, False),
         (4.0, 1, 2, False, False), (4.0, 1, 3, False, True),
         (4.0, 1, 0, False, False)],
    ),
    # The same in max mode, with a drift below min_delta that never resets
    # the count although every epoch is a new best.
    "max-delta-drift": (
        Monitor(maximize=True, min_delta=0.5, patience=1),
        [1.0, 1.25, 1.5, 1.75, 2.25, 1.0],
        [(1.0, 1, 0, True, False), (1.25, 2, 1, True, False),
         (1.5, 3, 2, True, True), (1.75, 4, 3, True, True),
         (2.25, 5, 0, True, False), (2.25, 5, 1, False, False)],
    ),
    "max-ties": (
        Monitor(maximize=True, min_delta=0.0, patience=1),
        [0.5, 0.5, 0.25, 0.5, 0.25, 0.25],
        [(0.5, 1, 0, True, False), (0.5, 1, 0, False, False),
         (0.5, 1, 1, False, False), (0.5, 1, 0, False, False),
         (0.5, 1, 1, False, False), (0.5, 1, 2, False, True)],
    ),
    # relative: the change needed is min_delta * |best|: 4 from 8, 2.5 from
    # 5, 2 from 4 (reached exactly by 2.0).
    "min-relative": (
        Monitor(maximize=False, min_delta=0.5, relative=True),
        [8.0, 5.0, 4.0, 2.0],
        [(8.0, 1, 0, True, False), (5.0, 2, 1, True, False),
         (4.0, 3, 2, True, False), (2.0, 4, 0, True, False)],
    ),
    # relative with negative values: the change is min_delta * |best|, so
    # from -8 a score must reach -4 to improve.
    "max-relative-negative": (
        Monitor(maximize=True, min_delta=0.5, patience=1, relative=True),
        [-8.0, -5.0, -4.0, -2.0],
        [(-8.0, 1, 0, True, False), (-5.0, 2, 1, True, False),
         (-4.0, 3, 2, True, True), (-2.0, 4, 0, True, False)],
    ),
    # nan never improves and never becomes the best, not even first.
    "min-nan": (
        Monitor(maximize=False, min_delta=0.0, patience=1),
        [NAN, 3.0, NAN, NAN, 2.0],
        [(math.inf, None, 1, False, False), (3.0, 2, 0, True, False),
         (3.0, 2, 1, False, False), (3.0, 2, 2, False, True),
         (2.0, 5, 0, True, False)],
    ),
    "max-nan": (
        Monitor(maximize=True, min_delta=0.25, patience=0),
        [0.5, NAN, 1.0],
        [(0.5, 1, 0, True, False), (0.5, 1, 1, False, True),
         (1.0, 3, 0, True, False)],
    ),
    # patience=inf: never exhausted.
    "min-infinite-patience": (
        Monitor(maximize=False),
        [1.0, 2.0, 3.0, 4.0, 5.0],
        [(1.0, 1, wait, wait == 0, False) for wait in range(5)],
    ),
}


@pytest.mark.parametrize("case", SEQUENCES)
def test_monitor_follows_the_hand_computed_sequence(case):
    monitor, values, expected = SEQUENCES[case]
    state = monitor.start()
    for epoch, (value, (best, best_epoch, wait, is_best, exhausted)) in enumerate(
            zip(values, expected, strict=True), start=1):
        state = monitor.update(state, value, epoch)
        assert (state.best, state.best_epoch, state.wait, state.is_best) == (
            best, best_epoch, wait, is_best), (epoch, state)
        assert monitor.exhausted(state) is exhausted, (epoch, state)


@pytest.mark.parametrize("maximize, best", [(False, math.inf), (True, -math.inf)])
def test_monitor_starts_with_no_best(maximize, best):
    state = Monitor(maximize=maximize, min_delta=1.0, patience=0).start()
    assert state == MonitorState(best=best, best_epoch=None, wait=0, is_best=False)
    assert not Monitor(maximize=maximize, patience=0).exhausted(state)


@pytest.mark.parametrize("maximize", [False, True])
def test_the_first_finite_value_always_improves_whatever_min_delta(maximize):
    monitor = Monitor(maximize=maximize, min_delta=1e300, patience=0)
    state = monitor.update(monitor.start(), -1e300 if maximize else 1e300, 1)
    assert (state.wait, state.is_best, state.best_epoch) == (0, True, 1)
    assert not monitor.exhausted(state)


@pytest.mark.parametrize("patience", [0, 1, 3])
def test_exhausted_exactly_when_wait_exceeds_patience(patience):
    monitor = Monitor(maximize=False, patience=patience)
    state = monitor.update(monitor.start(), 1.0, 1)
    for epoch in range(2, patience + 3):  # values that never improve
        state = monitor.update(state, 2.0, epoch)
        assert state.wait == epoch - 1
        assert monitor.exhausted(state) is (epoch - 1 > patience)


# -- the same rule as scikit-learn's code --------------------------------------------


def _sklearn_counts(values, *, tol, maximize):
    """Run scikit-learn's ``_update_no_improvement_count`` itself on a value
    sequence; return its (count, best) after every value."""
    fake = types.SimpleNamespace(
        tol=tol, verbose=False, loss_curve_=[], validation_scores_=[],
        best_loss_=np.inf, best_validation_score_=-np.inf, _no_improvement_count=0,
        coefs_=[], intercepts_=[],
    )
    counts = []
    for value in values:
        fake._score = lambda X, y, sample_weight, value=value: value
        fake.loss_curve_.append(value)
        BaseMultilayerPerceptron._update_no_improvement_count(
            fake, maximize, None, None, None)
        best = fake.best_validation_score_ if maximize else fake.best_loss_
        counts.append((fake._no_improvement_count, best))
    return counts


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("tol", [0.0, 0.25, 1e-4])
@pytest.mark.parametrize("seed", range(5))
def test_monitor_counts_as_scikit_learn_does(maximize, tol, seed):
    # Few distinct values: ties and near-ties are frequent.
    values = np.random.RandomState(seed).choice(
        [0.0, 0.25, 0.5, 0.5 + 1e-5, 0.75, 1.0], size=40).tolist()
    monitor = Monitor(maximize=maximize, min_delta=tol)
    state, ours = monitor.start(), []
    for epoch, value in enumerate(values, start=1):
        state = monitor.update(state, value, epoch)
        ours.append((state.wait, state.best))
    assert ours == _sklearn_counts(values, tol=tol, maximize=maximize)


# -- the same stopping epoch as scikit-learn's MLP -----------------------------------


def _problem():
    X, y = make_classification(200, 8, n_informative=5, random_state=0)
    return StandardScaler().fit_transform(X), y


X, Y = _problem()
BASE = dict(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=0.3,
            batch_size=32, max_iter=200, random_state=0)
SETTINGS = [(0.0, 1), (0.0, 3), (1e-4, 2), (1e-2, 5), (0.05, 1)]


@pytest.fixture(scope="module")
def sklearn_runs():
    runs = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for early_stopping in (False, True):
            for tol, n in SETTINGS:
                runs[early_stopping, tol, n] = MLPClassifier(
                    **BASE, early_stopping=early_stopping, tol=tol,
                    n_iter_no_change=n).fit(X, Y)
    return runs


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("tol, n_iter_no_change", SETTINGS)
def test_the_estimator_stops_where_scikit_learn_stops(sklearn_runs, early_stopping,
                                                      tol, n_iter_no_change):
    reference = sklearn_runs[early_stopping, tol, n_iter_no_change]
    assert reference.n_iter_ < BASE["max_iter"]  # it did stop early
    ours = MLPClassifierBP(**BASE, early_stopping=early_stopping, tol=tol,
                           n_iter_no_change=n_iter_no_change).fit(X, Y)
    assert ours.n_iter_ == reference.n_iter_
    assert ours.loss_curve_ == reference.loss_curve_
    assert ours._no_improvement_count == reference._no_improvement_count


@pytest.mark.parametrize("early_stopping, monitor", [(False, "loss"),
                                                     (True, "validation_score")])
@pytest.mark.parametrize("tol, n_iter_no_change", SETTINGS)
def test_early_stopping_callback_stops_where_scikit_learn_stops(
        sklearn_runs, early_stopping, monitor, tol, n_iter_no_change):
    """EarlyStopping(patience=n, min_delta=tol), with the estimator's own rule
    off, stops at scikit-learn's n_iter_no_change=n, tol=tol epoch."""
    reference = sklearn_runs[early_stopping, tol, n_iter_no_change]
    est = MLPClassifierBP(**BASE, early_stopping=early_stopping, tol=tol,
                          n_iter_no_change=np.inf,
                          callbacks=[EarlyStopping(monitor, patience=n_iter_no_change,
                                                   min_delta=tol)]).fit(X, Y)
    assert est.n_iter_ == est.callbacks_[0].stopped_epoch_ == reference.n_iter_


def test_the_validation_runs_contain_ties(sklearn_runs):
    """The validation accuracies above tie their best value (so the tie rule
    decides where the runs stop)."""
    scores = sklearn_runs[True, 0.0, 3].validation_scores_
    assert any(score == max(scores[:i]) for i, score in enumerate(scores) if i)


# -- EarlyStopping and BestWeights fed scripted values ---------------------------------


def _feed(callback, values, monitor="loss"):
    """Drive a callback's hooks by hand, as training does: the epoch at which
    it asked to stop (training stops there), or None."""
    callback.on_train_begin(None, X=None, y=None)
    for epoch, value in enumerate(values, start=1):
        weights = [np.full(1, float(epoch))]
        if callback.on_epoch_end(None, epoch=epoch, record={monitor: value},
                                 coefs=weights, intercepts=weights):
            return epoch
    return None


@pytest.mark.parametrize("monitor, values", [
    ("loss", [2.0, 2.0, 2.0, 2.0, 2.0]),
    ("validation_score", [0.5, 0.5, 0.5, 0.5, 0.5]),
])
def test_early_stopping_counts_a_tie_as_an_improvement(monitor, values):
    stopper = EarlyStopping(monitor, patience=1)
    assert _feed(stopper, values, monitor) is None
    assert (stopper.wait_, stopper.best_epoch_, stopper.stopped_epoch_) == (0, 1, None)
    assert stopper.best_coefs_[0][0] == 1.0  # the copy of the first epoch


@pytest.mark.parametrize("monitor, values, min_delta, stop", [
    ("loss", [2.0, 3.0, 3.0, 3.0], 0.0, 3),  # two worse epochs: wait 2 > 1
    ("loss", [2.0, 2.0, 2.0, 2.0], 0.5, 3),  # ties do not improve by 0.5
    ("loss", [2.0, 1.75, 1.5, 1.25], 0.5, 3),  # nor does a slow drift
    ("validation_score", [0.5, 0.25, 0.25, 0.5], 0.0, 3),
    ("validation_score", [0.5, 0.5, 0.75, 0.5, 0.5, 0.5], 0.25, 5),
])
def test_early_stopping_stops_after_patience_plus_one_epochs_without_improving(
        monitor, values, min_delta, stop):
    stopper = EarlyStopping(monitor, patience=1, min_delta=min_delta)
    assert _feed(stopper, values, monitor) == stopper.stopped_epoch_ == stop


@pytest.mark.parametrize("name, values, best_epoch", [
    ("val_accuracy", [0.25, 0.75, 0.5], 2), ("my_score", [0.25, 0.75, 0.5], 2),
    ("loss", [0.25, 0.75, 0.5], 1), ("error", [0.25, 0.75, 0.5], 1),
])
def test_auto_mode_maximizes_scores_and_accuracies(name, values, best_epoch):
    for callback in (EarlyStopping(name, patience=5), BestWeights(name)):
        _feed(callback, values, name)
        assert callback.best_epoch_ == best_epoch
        assert callback.best_value_ == values[best_epoch - 1]
