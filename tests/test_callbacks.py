"""Callbacks: the hooks (order, counts, arguments), stopping, cloning and the
built-ins EarlyStopping, BestWeights and ProgressBar.

Expected values come from independent runs (a fit with ``max_iter`` set to
the epoch of interest, a fit without callbacks) or from small reference
computations written here, never from the callback under test.
"""

import contextlib
import io
import math
import pickle
import re
import sys
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp import callbacks as callbacks_module
from skmlp.callbacks import BestWeights, Callback, EarlyStopping, ProgressBar

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _digits():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16, y[:300]


X, Y = _digits()
N = X.shape[0]
# Noisy SGD whose validation score peaks early and then wanders.
NOISY = dict(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=0.6,
             batch_size=50, random_state=0, n_iter_no_change=np.inf)


class Recorder(Callback):
    """Records every hook call (module level, so that it pickles)."""

    def __init__(self, stop_at=None):
        self.stop_at = stop_at

    def on_train_begin(self, estimator, *, X, y):
        self.events_ = [("train_begin", X.shape, y.shape)]
        self.estimators_ = {id(estimator)}

    def on_grad_computed(self, estimator, *, epoch, batch, coef_grads,
                         intercept_grads):
        self.events_.append(("grad", epoch, batch, len(coef_grads),
                             len(intercept_grads)))
        self.estimators_.add(id(estimator))

    def on_batch_end(self, estimator, *, epoch, batch, loss):
        self.events_.append(("batch", epoch, batch, type(loss)))

    def on_epoch_end(self, estimator, *, epoch, record, coefs, intercepts):
        self.events_.append(("epoch", epoch, record["epoch"]))
        return self.stop_at is not None and epoch >= self.stop_at

    def on_train_end(self, estimator, *, coefs, intercepts):
        self.events_.append(("train_end", len(coefs), len(intercepts)))


class ZeroWeights(Callback):
    """Overwrites the final weights in place."""

    def on_train_end(self, estimator, *, coefs, intercepts):
        for array in [*coefs, *intercepts]:
            array[...] = 0.0


def _expected_events(epochs, n_batches, n_train, n_layers=2, first_epoch=1):
    events = [("train_begin", (n_train, X.shape[1]), (n_train, 10))]
    for epoch in range(first_epoch, first_epoch + epochs):
        for batch in range(n_batches):
            events += [("grad", epoch, batch, n_layers, n_layers),
                       ("batch", epoch, batch, float)]
        events.append(("epoch", epoch, epoch))
    return [*events, ("train_end", n_layers, n_layers)]


# -- the hooks ----------------------------------------------------------------

def test_hooks_are_called_in_order_with_the_documented_arguments():
    est = MLPClassifierBP((8,), max_iter=3, batch_size=70, random_state=0,
                          callbacks=[Recorder()]).fit(X, Y)
    recorder = est.callbacks_[0]
    # 300 samples in batches of 70: 5 batches (the last one of 20).
    assert recorder.events_ == _expected_events(3, 5, N)
    assert recorder.estimators_ == {id(est)}


def test_every_callback_sees_every_hook_in_list_order():
    order = []

    class First(Callback):
        def on_epoch_end(self, estimator, **kwargs):
            order.append("first")

    class Second(Callback):
        def on_epoch_end(self, estimator, **kwargs):
            order.append("second")

    MLPClassifierBP((4,), max_iter=2, random_state=0,
                    callbacks=[First(), Second()]).fit(X, Y)
    assert order == ["first", "second"] * 2


def test_train_begin_sees_the_training_split_with_early_stopping():
    est = MLPClassifierBP((8,), max_iter=2, early_stopping=True, batch_size=100,
                          validation_fraction=0.2, random_state=0,
                          callbacks=[Recorder()]).fit(X, Y)
    assert est.callbacks_[0].events_ == _expected_events(2, 3, 240)


def test_epochs_are_numbered_across_partial_fit_calls():
    est = MLPClassifierBP((8,), batch_size=N, random_state=0,
                          callbacks=[Recorder()])
    for call in range(3):
        est.partial_fit(X, Y, classes=np.arange(10))
        assert est.callbacks_[0].events_ == _expected_events(
            1, 1, N, first_epoch=call + 1)


def test_a_truthy_on_epoch_end_stops_training():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # no max_iter warning
        est = MLPClassifierBP((8,), max_iter=50, random_state=0,
                              callbacks=[Recorder(stop_at=4)]).fit(X, Y)
    assert est.n_iter_ == 4
    assert len(est.loss_curve_) == len(est.history_) == 4
    reference = MLPClassifierBP((8,), max_iter=4, random_state=0).fit(X, Y)
    for ours, theirs in zip(est.coefs_, reference.coefs_):
        assert_array_equal(ours, theirs)


def test_a_callback_stops_a_regressor_too():
    rng = np.random.RandomState(0)
    est = MLPRegressorBP(hidden_layer_sizes=(4,), max_iter=30, random_state=0,
                         callbacks=[Recorder(stop_at=2)])
    est.fit(X, rng.normal(size=N))
    assert est.n_iter_ == 2


def test_on_train_end_may_overwrite_the_final_weights():
    est = MLPClassifierBP((8,), max_iter=2, random_state=0,
                          callbacks=[ZeroWeights()]).fit(X, Y)
    assert all(not a.any() for a in est.coefs_ + est.intercepts_)
    assert np.all(est.predict_proba(X[:3]) == 0.1)  # uniform softmax


def test_callbacks_do_not_change_training():
    plain = MLPClassifierBP((8,), max_iter=4, random_state=0).fit(X, Y)
    hooked = MLPClassifierBP((8,), max_iter=4, random_state=0,
                             callbacks=[Recorder(), BestWeights(save_every=2),
                                        EarlyStopping(patience=100),
                                        ProgressBar()]).fit(X, Y)
    for ours, theirs in zip(hooked.coefs_ + hooked.intercepts_,
                            plain.coefs_ + plain.intercepts_):
        assert_array_equal(ours, theirs)
    assert hooked.loss_curve_ == plain.loss_curve_


def test_callbacks_are_not_mutated_and_callbacks_are_clones():
    user = [Recorder(), EarlyStopping(patience=3)]
    est = MLPClassifierBP((8,), max_iter=3, random_state=0, callbacks=user)
    est.fit(X, Y)
    for callback in user:
        assert not [name for name in vars(callback) if name.endswith("_")]
    assert est.callbacks is user  # the parameter is left as given
    assert len(est.callbacks_) == 2
    for used, given in zip(est.callbacks_, user):
        assert used is not given and type(used) is type(given)
        assert used.get_params() == given.get_params()
    first = est.callbacks_
    est.fit(X, Y)
    assert all(a is not b for a, b in zip(est.callbacks_, first))


def test_no_callbacks_leaves_an_empty_list():
    assert MLPClassifierBP((4,), max_iter=1).fit(X, Y).callbacks_ == []


def test_callbacks_must_be_callback_instances():
    with pytest.raises(TypeError, match="Callback instances"):
        MLPClassifierBP((4,), max_iter=1, callbacks=[print]).fit(X, Y)


@pytest.mark.parametrize("callback", [
    EarlyStopping("validation_score", mode="max", patience=3, min_delta=0.01,
                  restore_best_weights=False),
    BestWeights("loss", save_every=2),
    ProgressBar(force=True, leave=False, desc="training"),
])
def test_callbacks_are_specifications(callback):
    params = callback.get_params()
    copy = clone(callback)
    assert copy is not callback and copy.get_params() == params
    assert pickle.loads(pickle.dumps(callback)).get_params() == params
    assert "patience=3" in repr(callback) or type(callback) is not EarlyStopping
    changed = clone(callback).set_params(**params)
    assert changed.get_params() == params


def test_fitted_estimator_with_used_callbacks_pickles_and_clones():
    est = MLPClassifierBP((8,), max_iter=3, random_state=0, early_stopping=True,
                          callbacks=[Recorder(), EarlyStopping("validation_score"),
                                     BestWeights(save_every=1),
                                     ProgressBar(force=True)]).fit(X, Y)
    restored = pickle.loads(pickle.dumps(est))
    assert restored.callbacks_[0].events_ == est.callbacks_[0].events_
    assert sorted(restored.callbacks_[2].checkpoints_) == [1, 2, 3]
    assert_array_equal(restored.predict(X), est.predict(X))
    fresh = clone(est)
    assert not hasattr(fresh, "callbacks_")
    assert [type(c) for c in fresh.callbacks] == [type(c) for c in est.callbacks]


def test_lbfgs_runs_epoch_hooks_and_refuses_batch_hooks():
    """With L-BFGS an epoch is an iteration: on_epoch_end and on_train_end
    run; a callback that needs mini-batches is refused before training."""
    est = MLPClassifierBP((4,), solver="lbfgs", max_iter=3, random_state=0,
                          callbacks=[LegacyHooks()]).fit(X, Y)
    assert est.callbacks_[0].epochs_ == [1, 2, 3] and est.callbacks_[0].ended_
    refused = MLPClassifierBP((4,), solver="lbfgs", max_iter=3, random_state=0,
                              callbacks=[Recorder()])
    with pytest.raises(ValueError, match=r"solver='lbfgs' cannot honour a callback "
                       r"with on_grad_computed \(Recorder\)"):
        refused.fit(X, Y)
    assert not hasattr(refused, "coefs_")


# -- EarlyStopping --------------------------------------------------------------

def _reference_stop(values, *, patience, min_delta, maximize):
    """(stop epoch or None, best epoch, best value) of scikit-learn's rule:
    an epoch improves when it is at least ``min_delta`` better than the best
    value before it (so a tie improves when ``min_delta`` is 0); the best
    epoch is the first to reach the best value; training stops once more
    than ``patience`` epochs in a row did not improve."""
    sign = 1.0 if maximize else -1.0
    best, best_epoch, wait = -math.inf, None, 0
    for epoch, value in enumerate(values, start=1):
        wait = 0 if sign * value >= best + min_delta else wait + 1
        if sign * value > best:
            best, best_epoch = sign * value, epoch
        if wait > patience:
            return epoch, best_epoch, sign * best
    return None, best_epoch, sign * best


@pytest.fixture(scope="module")
def long_run():
    """40 epochs of the noisy set-up with early_stopping, no callbacks."""
    return MLPClassifierBP(**NOISY, max_iter=40, early_stopping=True).fit(X, Y)


@pytest.mark.parametrize("patience, min_delta", [(1, 0.0), (3, 0.0), (4, 0.02)])
def test_early_stopping_on_validation_score(long_run, patience, min_delta):
    scores = long_run.validation_scores_
    stop, best_epoch, best = _reference_stop(scores, patience=patience,
                                             min_delta=min_delta, maximize=True)
    assert stop is not None and stop < 40  # the case is what it says
    stopper = EarlyStopping("validation_score", patience=patience,
                            min_delta=min_delta)
    est = MLPClassifierBP(**NOISY, max_iter=40, early_stopping=True,
                          callbacks=[stopper]).fit(X, Y)
    used = est.callbacks_[0]
    assert est.n_iter_ == used.stopped_epoch_ == stop
    assert (used.best_epoch_, used.best_value_) == (best_epoch, best)
    assert used.wait_ == patience + 1
    assert est.validation_scores_ == scores[:stop]  # training was not changed


def test_early_stopping_on_the_loss_minimizes(long_run):
    losses = long_run.loss_curve_
    stop, best_epoch, best = _reference_stop(losses, patience=2, min_delta=0.0,
                                             maximize=False)
    assert stop is not None
    est = MLPClassifierBP(**NOISY, max_iter=40, early_stopping=True,
                          callbacks=[EarlyStopping(patience=2)]).fit(X, Y)
    used = est.callbacks_[0]
    assert (est.n_iter_, used.best_epoch_, used.best_value_) == (
        stop, best_epoch, best)


@pytest.mark.parametrize("monitor, mode, maximize", [
    ("loss", "auto", False), ("validation_score", "auto", True),
    ("time", "auto", False), ("loss", "max", True),
    ("validation_score", "min", False),
])
def test_early_stopping_direction(long_run, monitor, mode, maximize):
    est = MLPClassifierBP(**NOISY, max_iter=6, early_stopping=True,
                          callbacks=[EarlyStopping(monitor, mode=mode,
                                                   patience=100)]).fit(X, Y)
    used = est.callbacks_[0]
    values = [record[monitor] for record in est.history_]
    best = max(values) if maximize else min(values)
    assert used.best_value_ == best
    assert used.best_epoch_ == values.index(best) + 1
    assert used.stopped_epoch_ is None


def _fit_epochs(epochs, **params):
    return MLPClassifierBP(**{**NOISY, **params}, max_iter=epochs).fit(X, Y)


def test_early_stopping_restores_the_best_weights_bit_identically(long_run):
    stop, best_epoch, _ = _reference_stop(long_run.validation_scores_, patience=4,
                                          min_delta=0.0, maximize=True)
    assert stop is not None and best_epoch < stop  # the case is what it says
    est = MLPClassifierBP(**NOISY, max_iter=40, early_stopping=True,
                          callbacks=[EarlyStopping("validation_score",
                                                   patience=4)]).fit(X, Y)
    used = est.callbacks_[0]
    assert (used.stopped_epoch_, est.n_iter_, used.best_epoch_) == (
        stop, stop, best_epoch)
    assert used.restored_
    # The estimator's own early_stopping also returns its best weights; turn it
    # off in the reference and in a second run monitoring the loss instead.
    at_best = _fit_epochs(used.best_epoch_, early_stopping=True)
    for ours, theirs in zip(est.coefs_ + est.intercepts_,
                            at_best.coefs_ + at_best.intercepts_):
        assert_array_equal(ours, theirs)
    assert used.best_coefs_ is None  # the copies are released


def _loss_stop(patience, **params):
    """Where the patience rule stops on the loss of a 40-epoch run, and its
    best epoch there."""
    stop, best_epoch, _ = _reference_stop(_fit_epochs(40, **params).loss_curve_,
                                          patience=patience, min_delta=0.0,
                                          maximize=False)
    assert stop is not None and best_epoch < stop  # the case is what it says
    return stop, best_epoch


def test_early_stopping_restores_the_best_weights_on_the_loss():
    stop, best_epoch = _loss_stop(1)
    est = MLPClassifierBP(**NOISY, max_iter=40,
                          callbacks=[EarlyStopping(patience=1)]).fit(X, Y)
    used = est.callbacks_[0]
    assert (est.n_iter_, used.best_epoch_) == (stop, best_epoch)
    assert used.restored_
    at_best = _fit_epochs(used.best_epoch_)
    last = _fit_epochs(est.n_iter_)
    for ours, theirs, final in zip(est.coefs_ + est.intercepts_,
                                   at_best.coefs_ + at_best.intercepts_,
                                   last.coefs_ + last.intercepts_):
        assert_array_equal(ours, theirs)
        assert not np.array_equal(ours, final)
    assert_array_equal(est.predict_proba(X), at_best.predict_proba(X))
    # The curves still describe every epoch trained.
    assert est.loss_curve_ == last.loss_curve_


def test_early_stopping_without_restoring_keeps_the_last_weights():
    stop, best_epoch = _loss_stop(1)
    est = MLPClassifierBP(**NOISY, max_iter=40, callbacks=[
        EarlyStopping(patience=1, restore_best_weights=False)]).fit(X, Y)
    used = est.callbacks_[0]
    assert (est.n_iter_, used.best_epoch_) == (stop, best_epoch)
    assert not used.restored_
    last = _fit_epochs(est.n_iter_)
    for ours, theirs in zip(est.coefs_, last.coefs_):
        assert_array_equal(ours, theirs)


def test_early_stopping_restores_when_max_iter_ends_training_too():
    est = _fit_epochs(40)
    losses = est.loss_curve_
    n_iter = next(e for e in range(3, 40) if losses[e - 1] > min(losses[:e]))
    restoring = MLPClassifierBP(**NOISY, max_iter=n_iter, callbacks=[
        EarlyStopping(patience=100)]).fit(X, Y)
    used = restoring.callbacks_[0]
    assert used.stopped_epoch_ is None and used.restored_
    best_epoch = int(np.argmin(losses[:n_iter])) + 1
    assert used.best_epoch_ == best_epoch
    assert_array_equal(restoring.coefs_[0], _fit_epochs(best_epoch).coefs_[0])


def test_early_stopping_with_a_huge_min_delta_stops_after_patience_plus_one():
    """Only the first epoch improves by 1e9: training stops after patience + 1
    more (epoch 5 for patience=3). The best epoch is still the lowest loss
    (the best moves on any strict improvement, as in scikit-learn)."""
    losses = _fit_epochs(5).loss_curve_
    est = MLPClassifierBP(**NOISY, max_iter=40, callbacks=[
        EarlyStopping(patience=3, min_delta=1e9)]).fit(X, Y)
    used = est.callbacks_[0]
    best_epoch = int(np.argmin(losses)) + 1
    assert (used.best_epoch_, used.stopped_epoch_, est.n_iter_) == (best_epoch, 5, 5)
    assert used.wait_ == 4
    assert_array_equal(est.coefs_[0], _fit_epochs(best_epoch).coefs_[0])


BATCH_NORM_ATTRIBUTES = ["batch_norm_scales_", "batch_norm_offsets_",
                         "batch_norm_running_means_", "batch_norm_running_vars_"]


def _all_weights(est):
    """Every fitted array of ``est``: weights, biases, batch-norm state."""
    arrays = est.coefs_ + est.intercepts_
    for name in BATCH_NORM_ATTRIBUTES:
        arrays += getattr(est, name)
    return arrays


def test_early_stopping_restores_batch_norm_parameters_too():
    stop, best_epoch = _loss_stop(1, batch_norm=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        est = MLPClassifierBP(**NOISY, max_iter=40, batch_norm=True, callbacks=[
            EarlyStopping(patience=1)]).fit(X, Y)
    used = est.callbacks_[0]
    assert (used.best_epoch_, est.n_iter_) == (best_epoch, stop) and used.restored_
    at_best = _fit_epochs(best_epoch, batch_norm=True)
    last = _fit_epochs(stop, batch_norm=True)
    ours, theirs, final = map(_all_weights, (est, at_best, last))
    assert len(ours) == 2 + 2 + 4
    for mine, best, latest in zip(ours, theirs, final):
        assert_array_equal(mine, best)
        assert not np.array_equal(mine, latest)
    assert_array_equal(est.predict_proba(X), at_best.predict_proba(X))
    assert used.best_batch_norm_ is None  # the copies are released


class LegacyHooks(Callback):
    """Hooks written without the ``batch_norm`` parameter."""

    def on_epoch_end(self, estimator, *, epoch, record, coefs, intercepts):
        self.epochs_ = [*getattr(self, "epochs_", []), epoch]

    def on_train_end(self, estimator, *, coefs, intercepts):
        self.ended_ = True


class BatchNormSpy(Callback):
    """Records the ``batch_norm`` argument each hook receives."""

    def on_epoch_end(self, estimator, **kwargs):
        self.seen_ = [*getattr(self, "seen_", []), kwargs["batch_norm"]]

    def on_train_end(self, estimator, *, coefs, intercepts, batch_norm=None):
        self.final_ = batch_norm


@pytest.mark.parametrize("batch_norm", [False, True])
def test_hooks_get_batch_norm_only_if_they_declare_it(batch_norm):
    est = MLPClassifierBP((8,), max_iter=2, random_state=0, batch_norm=batch_norm,
                          callbacks=[LegacyHooks(), BatchNormSpy()]).fit(X, Y)
    legacy, spy = est.callbacks_
    assert legacy.epochs_ == [1, 2] and legacy.ended_
    if not batch_norm:
        assert spy.seen_ == [None, None] and spy.final_ is None
        return
    assert len(spy.seen_) == 2
    for field, name in zip(spy.final_._fields, BATCH_NORM_ATTRIBUTES):
        assert field == name.removeprefix("batch_norm_").removesuffix("_")
        for final, fitted in zip(getattr(spy.final_, field), getattr(est, name)):
            assert_array_equal(final, fitted)


def test_early_stopping_errors_name_the_problem():
    with pytest.raises(ValueError, match="early_stopping=True"):
        MLPClassifierBP((4,), max_iter=2, callbacks=[
            EarlyStopping("validation_score")]).fit(X, Y)
    with pytest.raises(ValueError, match=r"no 'val_loss'.*'grad_norms'"):
        MLPClassifierBP((4,), max_iter=2, callbacks=[
            EarlyStopping("val_loss")]).fit(X, Y)
    with pytest.raises(ValueError, match="needs a number"):
        MLPClassifierBP((4,), max_iter=2, callbacks=[
            EarlyStopping("grad_norms")]).fit(X, Y)


@pytest.mark.parametrize("callback, name", [
    (EarlyStopping(patience=0), "patience"),
    (EarlyStopping(mode="up"), "mode"),
    (EarlyStopping(min_delta=-1.0), "min_delta"),
    (EarlyStopping(monitor=3), "monitor"),
    (BestWeights(save_every=0), "save_every"),
    (ProgressBar(force="yes"), "force"),
])
def test_invalid_callback_parameters_are_rejected_at_fit(callback, name):
    est = MLPClassifierBP((4,), max_iter=2, callbacks=[callback])
    with pytest.raises(InvalidParameterError, match=name):
        est.fit(X, Y)
    assert not hasattr(est, "coefs_")


# -- BestWeights ----------------------------------------------------------------

def test_best_weights_keeps_the_best_epoch_and_checkpoints():
    est = MLPClassifierBP(**NOISY, max_iter=11,
                          callbacks=[BestWeights(save_every=5)]).fit(X, Y)
    keeper = est.callbacks_[0]
    losses = est.loss_curve_
    best_epoch = int(np.argmin(losses)) + 1
    assert best_epoch < 11  # the best is not simply the last
    assert (keeper.best_epoch_, keeper.best_value_) == (best_epoch, min(losses))
    at_best = _fit_epochs(best_epoch)
    for ours, theirs in zip(keeper.best_coefs_ + keeper.best_intercepts_,
                            at_best.coefs_ + at_best.intercepts_):
        assert_array_equal(ours, theirs)
    assert sorted(keeper.checkpoints_) == [5, 10]
    coefs, intercepts = keeper.checkpoints_[5]
    at_5 = _fit_epochs(5)
    for ours, theirs in zip(coefs + intercepts, at_5.coefs_ + at_5.intercepts_):
        assert_array_equal(ours, theirs)
    # Training itself is unaffected: the estimator ends with epoch 11.
    assert_array_equal(est.coefs_[0], _fit_epochs(11).coefs_[0])
    # The copies are copies, not views of the live weights.
    assert not np.shares_memory(keeper.checkpoints_[10][0][0], est.coefs_[0])
    assert keeper.best_batch_norm_ is None  # no batch normalisation


def test_best_weights_keeps_the_best_batch_norm_parameters():
    est = MLPClassifierBP(**NOISY, max_iter=11, batch_norm=True,
                          callbacks=[BestWeights()]).fit(X, Y)
    keeper = est.callbacks_[0]
    best_epoch = int(np.argmin(est.loss_curve_)) + 1
    assert keeper.best_epoch_ == best_epoch < 11
    at_best = _fit_epochs(best_epoch, batch_norm=True)
    kept = keeper.best_coefs_ + keeper.best_intercepts_
    for arrays in keeper.best_batch_norm_:
        kept += arrays
    for ours, theirs in zip(kept, _all_weights(at_best), strict=True):
        assert_array_equal(ours, theirs)


def test_best_weights_by_validation_score():
    est = MLPClassifierBP(**NOISY, max_iter=8, early_stopping=True,
                          callbacks=[BestWeights("validation_score")]).fit(X, Y)
    keeper = est.callbacks_[0]
    assert keeper.best_value_ == max(est.validation_scores_)
    # scikit-learn's early stopping keeps the first best epoch; so does this.
    assert keeper.best_epoch_ == est.validation_scores_.index(
        max(est.validation_scores_)) + 1
    assert keeper.checkpoints_ == {}
    # With early_stopping the estimator returns its best weights: the same.
    for ours, theirs in zip(keeper.best_coefs_, est.coefs_):
        assert_array_equal(ours, theirs)


# -- ProgressBar ---------------------------------------------------------------

def test_progress_bar_is_silent_when_stderr_is_not_a_terminal(capsys):
    est = MLPClassifierBP((4,), max_iter=3, random_state=0,
                          callbacks=[ProgressBar()]).fit(X, Y)
    assert capsys.readouterr().err == ""
    assert est.callbacks_[0].enabled_ is False


def test_progress_bar_shows_epochs_and_loss_on_a_terminal(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    est = MLPClassifierBP((4,), max_iter=3, random_state=0, early_stopping=True,
                          callbacks=[ProgressBar(desc="digits")]).fit(X, Y)
    err = capsys.readouterr().err
    assert "digits" in err and "3/3" in err and "epoch" in err
    assert f"loss={est.loss_curve_[-1]:.4g}" in err
    assert f"val={est.validation_scores_[-1]:.4g}" in err
    used = est.callbacks_[0]
    assert used.enabled_ is True and used.bar_ is None


def test_progress_bar_force_shows_it_anywhere(capsys):
    pytest.importorskip("tqdm")
    est = MLPClassifierBP((4,), max_iter=2, random_state=0,
                          callbacks=[ProgressBar(force=True)]).fit(X, Y)
    err = capsys.readouterr().err
    assert "MLPClassifierBP" in err and "2/2" in err
    assert est.callbacks_[0].enabled_


def test_progress_bar_without_tqdm(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    monkeypatch.setattr(callbacks_module, "_no_tqdm_said", False)

    def fit_and_say():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est = MLPClassifierBP((4,), max_iter=2, random_state=0,
                                  callbacks=[ProgressBar()]).fit(X, Y)
        assert est.n_iter_ == 2 and not est.callbacks_[0].enabled_
        return [str(w.message) for w in caught if "tqdm" in str(w.message)]

    # Silent where no bar would be shown anyway (not a terminal).
    assert fit_and_say() == []
    # In a terminal: said once, however many fits.
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    said = fit_and_say() + fit_and_say() + fit_and_say()
    assert len(said) == 1
    assert "tqdm is not installed" in said[0] and "skmlp[progress]" in said[0]
    assert capsys.readouterr().err == ""
    with pytest.raises(ImportError, match=r"skmlp\[progress\]"):
        MLPClassifierBP((4,), max_iter=2, callbacks=[
            ProgressBar(force=True)]).fit(X, Y)


def _screen(text):
    """The lines a terminal shows for ``text``: a carriage return moves to
    the start of the line, and what follows overwrites it (tqdm redraws its
    bar so)."""
    lines, line, column = [], [], 0
    for char in text:
        if char == "\n":
            lines.append("".join(line).rstrip())
            line, column = [], 0
        elif char == "\r":
            column = 0
        else:
            line[column:column + 1] = [char]
            column += 1
    lines.append("".join(line).rstrip())
    return [line for line in lines if line]


def test_screen_overwrites_after_a_carriage_return():
    assert _screen("abc\rX\nde\r  \rf") == ["Xbc", "f"]


@contextlib.contextmanager
def _terminal():
    """Standard output and standard error sharing one stream, as in a
    terminal; warnings are printed to it as Python prints them. (Set up in
    the test itself: pytest's capture resets the streams when the test's
    call begins.)"""
    pytest.importorskip("tqdm")
    stream = io.StringIO()

    def show(message, category, filename, lineno, file=None, line=None):
        stream.write(warnings.formatwarning(message, category, filename, lineno,
                                            line))

    with (contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream),
          warnings.catch_warnings()):
        warnings.simplefilter("always")
        warnings.showwarning = show
        yield stream


def _bar_lines(lines):
    return [i for i, line in enumerate(lines) if "epoch/s" in line or "epoch]" in line]


def test_progress_bar_verbose_lines_are_printed_above_it():
    with _terminal() as terminal:
        est = MLPClassifierBP((4,), max_iter=4, random_state=0, verbose=True,
                              early_stopping=True,
                              callbacks=[ProgressBar(force=True)]).fit(X, Y)
    lines = _screen(terminal.getvalue())
    expected = []
    for k, (loss, score) in enumerate(zip(est.loss_curve_, est.validation_scores_)):
        expected += [f"Iteration {k + 1}, loss = {loss:.8f}",
                     f"Validation score: {score:f}"]
    # Every verbose line whole and on its own, in order; the finished bar
    # below them, then the end-of-fit warning.
    assert lines[:8] == expected
    assert _bar_lines(lines) == [8] and "4/4" in lines[8]


@pytest.mark.parametrize(("solver", "message"), [
    ("sgd", "Stochastic Optimizer: Maximum iterations (3)"),
    ("lbfgs", "lbfgs failed to converge after 3 iteration(s)"),
])
def test_progress_bar_is_closed_before_the_end_of_fit_warnings(solver, message):
    with _terminal() as terminal:
        MLPClassifierBP((4,), solver=solver, max_iter=3, random_state=0,
                        callbacks=[ProgressBar(force=True)]).fit(X, Y)
    lines = _screen(terminal.getvalue())
    warned = [i for i, line in enumerate(lines) if "ConvergenceWarning" in line]
    assert len(warned) == 1 and message in lines[warned[0]]
    # The finished bar, then the warning on a line of its own (starting with
    # the file name, not after a bar), and no bar redrawn after it.
    assert _bar_lines(lines) == [warned[0] - 1] and "3/3" in lines[warned[0] - 1]
    assert re.match(r"\S+:\d+: ConvergenceWarning: ", lines[warned[0]])
    assert not any("stopped after" in line for line in lines)


def _stop_line(stream):
    lines = _screen(stream.getvalue())
    stopped = [i for i, line in enumerate(lines) if " stopped after " in line]
    assert len(stopped) == 1, lines
    assert _bar_lines(lines)[-1] == stopped[0] - 1  # right under the closed bar
    return lines[stopped[0]]


def test_progress_bar_says_why_the_stopping_rule_stopped():
    with _terminal() as terminal:
        est = MLPClassifierBP((8,), max_iter=200, early_stopping=True,
                              n_iter_no_change=3, random_state=0,
                              callbacks=[ProgressBar(force=True)]).fit(X, Y)
    assert est.n_iter_ < 200
    assert _stop_line(terminal) == (
        f"MLPClassifierBP stopped after {est.n_iter_} of 200 epochs: Validation "
        "score did not improve more than tol=0.000100 for 3 consecutive epochs.")


def test_progress_bar_says_which_callback_stopped():
    with _terminal() as terminal:
        est = MLPClassifierBP(**NOISY, max_iter=200, callbacks=[
            Recorder(stop_at=5), ProgressBar(force=True, desc="noisy")]).fit(X, Y)
    assert est.n_iter_ == 5
    assert _stop_line(terminal) == (
        "noisy stopped after 5 of 200 epochs: Recorder asked to stop.")


def test_progress_bar_says_that_training_diverged():
    # examples/gradient_clipping.py's run without clipping
    X_reg, y_reg = load_diabetes(return_X_y=True)
    reg = MLPRegressorBP(hidden_layer_sizes=(64, 64, 64), solver="sgd",
                         learning_rate_init=3e-4, batch_size=32, max_iter=50,
                         random_state=0, callbacks=[ProgressBar(force=True)])
    with _terminal() as terminal, pytest.warns(ConvergenceWarning,
                                               match="diverged") as caught:
        reg.fit(StandardScaler().fit_transform(X_reg), y_reg)
    diverged_in = int(re.search(r"in epoch (\d+)", str(caught[0].message))[1])
    assert _stop_line(terminal) == (
        f"MLPRegressorBP stopped after {diverged_in - 1} of 50 epochs: "
        f"Training diverged in epoch {diverged_in}.")


def test_progress_bar_says_why_lbfgs_stopped():
    with _terminal() as terminal:
        est = MLPClassifierBP((8,), solver="lbfgs", max_iter=500, random_state=0,
                              callbacks=[ProgressBar(force=True)]).fit(X, Y)
    assert est.n_iter_ < 500
    assert _stop_line(terminal).startswith(
        f"MLPClassifierBP stopped after {est.n_iter_} of 500 epochs: L-BFGS-B "
        "stopped: CONVERGENCE")


class StopReason(Callback):
    """Records the ``stop_reason`` its ``on_train_end`` declares."""

    def on_train_end(self, estimator, *, coefs, intercepts, stop_reason):
        self.stop_reason_ = stop_reason


@pytest.mark.parametrize(("params", "reason"), [
    (dict(max_iter=3), None),  # ran every epoch
    (dict(max_iter=50, n_iter_no_change=2, tol=1.0),
     "Training loss did not improve more than tol=1.000000 for 2 consecutive "
     "epochs."),
    (dict(max_iter=50, callbacks=[Recorder(stop_at=3), EarlyStopping(patience=1,
                                                                     min_delta=9)]),
     "Recorder and EarlyStopping asked to stop."),
    (dict(solver="lbfgs", max_iter=3), None),
])
def test_on_train_end_gets_the_stop_reason_when_it_declares_it(params, reason):
    callbacks = [*params.get("callbacks", []), StopReason()]
    est = MLPClassifierBP((4,), random_state=0,
                          **{**params, "callbacks": callbacks}).fit(X, Y)
    assert est.callbacks_[-1].stop_reason_ == reason


def test_partial_fit_trains_its_one_epoch_without_a_stop_reason():
    est = MLPClassifierBP((4,), random_state=0, callbacks=[StopReason()])
    est.partial_fit(X, Y, classes=np.unique(Y))
    assert est.callbacks_[0].stop_reason_ is None


def test_progress_bar_closes_when_no_epoch_was_finite():
    """A first fit that diverges at once raises; the bar is closed first,
    with the reason, instead of being left open above the traceback."""
    reg = MLPRegressorBP(hidden_layer_sizes=(4,), solver="sgd", batch_size=1,
                         learning_rate_init=1e10, max_iter=20, random_state=0,
                         callbacks=[ProgressBar(force=True)])
    with _terminal() as terminal, pytest.raises(
            ValueError, match="no epoch of this call gave finite") as raised:
        reg.fit(X, X[:, 0])
    assert _stop_line(terminal) == (
        f"MLPRegressorBP stopped after 0 of 20 epochs: {raised.value}")
