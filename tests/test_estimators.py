"""What skmlp's estimators add on top of scikit-learn's MLP."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import erf
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler

import skmlp._network
from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp.activations import HIDDEN_ACTIVATIONS, Activation, LeakyReLU
from skmlp.callbacks import Callback
from skmlp.initializers import INITIALIZERS
from skmlp.optimizers import Adam
from skmlp.schedulers import ConstantLR, Scheduler

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=800, test_size=400, random_state=0
    )
    return X_train, y_train, X_test, y_test


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=300, n_features=6, noise=1.0, random_state=0)
    return StandardScaler().fit_transform(X), y / y.std()


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("Estimator", [MLPClassifierBP, MLPRegressorBP])
def test_float32_stays_float32(Estimator, solver, digits):
    X, y = digits[0].astype(np.float32), digits[1]
    if Estimator is MLPRegressorBP:
        y = y.astype(np.float64)  # float64 targets must not upcast the network
    est = Estimator(hidden_layer_sizes=(8,), solver=solver, max_iter=3,
                    random_state=0).fit(X, y)
    for array in est.coefs_ + est.intercepts_:
        assert array.dtype == np.float32
    if solver != "lbfgs":
        assert all(a.dtype == np.float32 for a in est._optimizer_state
                   if isinstance(a, np.ndarray))
    output = est.predict_proba(X) if Estimator is MLPClassifierBP else est.predict(X)
    assert output.dtype == np.float32


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_every_hidden_activation_learns_digits(activation, digits):
    X, y, X_test, y_test = digits
    est = MLPClassifierBP(hidden_layer_sizes=(32,), activation=activation,
                          max_iter=60, random_state=0).fit(X, y)
    assert est.score(X_test, y_test) > 0.88


def test_activation_object_is_used_and_not_mutated(digits):
    X, y = digits[0], digits[1]
    leaky = LeakyReLU(negative_slope=0.2)
    a = MLPClassifierBP(hidden_layer_sizes=(8,), activation=leaky, max_iter=5,
                        random_state=0).fit(X, y)
    b = MLPClassifierBP(hidden_layer_sizes=(8,), activation="leaky_relu",
                        max_iter=5, random_state=0).fit(X, y)
    assert a.activation is leaky and repr(leaky) == "LeakyReLU(negative_slope=0.2)"
    assert not np.allclose(a.coefs_[0], b.coefs_[0])  # the slope mattered
    assert a.get_params()["activation__negative_slope"] == 0.2


class _ExactGELU(Activation):
    """A user-defined activation, written from the formula."""

    derivative_needs_input = True

    def forward(self, z, out):
        return np.multiply(z, 0.5 * (1 + erf(z / np.sqrt(2))), out=out)

    def backward(self, z, a, delta):
        delta *= 0.5 * (1 + erf(z / np.sqrt(2))) + z * np.exp(-z**2 / 2) / np.sqrt(
            2 * np.pi)
        return delta


def test_custom_activation_matches_builtin(digits):
    X, y = digits[0], digits[1]
    kwargs = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    custom = MLPClassifierBP(activation=_ExactGELU(), **kwargs).fit(X, y)
    builtin = MLPClassifierBP(activation="gelu", **kwargs).fit(X, y)
    assert_allclose(custom.coefs_[0], builtin.coefs_[0], rtol=1e-10)


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_weight_init_statistics(name, digits):
    X, y = digits[0], digits[1]
    est = MLPClassifierBP(hidden_layer_sizes=(400,), weight_init=name, max_iter=1,
                          learning_rate_init=1e-12, random_state=0).fit(X, y)
    W = est.coefs_[0]
    fan_in, fan_out = W.shape
    expected_std = {
        "sklearn": np.sqrt(6 / (fan_in + fan_out)) / np.sqrt(3),
        "glorot_uniform": np.sqrt(6 / (fan_in + fan_out)) / np.sqrt(3),
        "glorot_normal": np.sqrt(2 / (fan_in + fan_out)),
        "he_uniform": np.sqrt(6 / fan_in) / np.sqrt(3),
        "he_normal": np.sqrt(2 / fan_in),
    }[name]
    assert W.std() == pytest.approx(expected_std, rel=0.03)
    biases_are_zero = np.all(np.abs(est.intercepts_[0]) < 1e-9)
    assert biases_are_zero == (name != "sklearn")


def test_solver_object_is_equivalent_to_name_and_untouched(digits):
    X, y = digits[0], digits[1]
    adam = Adam(beta_1=0.8)
    by_object = MLPClassifierBP(hidden_layer_sizes=(8,), solver=adam, max_iter=5,
                                random_state=0).fit(X, y)
    by_name = MLPClassifierBP(hidden_layer_sizes=(8,), solver="adam", beta_1=0.8,
                              max_iter=5, random_state=0).fit(X, y)
    assert_array_equal(by_object.coefs_[0], by_name.coefs_[0])
    assert repr(adam) == "Adam(beta_1=0.8)"
    assert set(vars(adam)) == set(adam.get_params())  # no state left on it


@pytest.mark.parametrize("batch_size", [1, 50, 800], ids=["stochastic", "mini",
                                                          "batch"])
def test_batch_regimes_all_train(batch_size, digits):
    X, y, X_test, y_test = digits
    lr = {1: 0.001, 50: 0.01, 800: 0.1}[batch_size]
    est = MLPClassifierBP(hidden_layer_sizes=(32,), solver="sgd",
                          batch_size=batch_size, learning_rate_init=lr,
                          max_iter=15, random_state=0).fit(X, y)
    assert est.loss_curve_[-1] < 0.5 * est.loss_curve_[0]
    assert est.score(X_test, y_test) > 0.88
    assert est.t_ == 15 * len(X)


def test_lbfgs_records_a_decreasing_loss_curve(regression):
    X, y = regression
    est = MLPRegressorBP(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=50,
                         random_state=0).fit(X, y)
    curve = np.array(est.loss_curve_)
    assert len(curve) == est.n_iter_
    assert np.all(np.diff(curve) <= 1e-12)
    assert curve[-1] == pytest.approx(est.loss_)


def test_learning_rate_curve_records_invscaling(digits):
    X, y = digits[0], digits[1]
    est = MLPClassifierBP(hidden_layer_sizes=(8,), solver="sgd",
                          learning_rate="invscaling", power_t=0.5,
                          learning_rate_init=0.5, max_iter=4, random_state=0)
    est.fit(X, y)
    n = len(X)
    expected = [0.5] + [0.5 / (k * n + 1) ** 0.5 for k in range(1, 4)]
    assert_allclose(est.learning_rate_curve_, expected, rtol=1e-12)


def test_verbose_prints_progress(digits, capsys):
    X, y = digits[0], digits[1]
    MLPClassifierBP(hidden_layer_sizes=(8,), max_iter=2, verbose=True,
                    random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert "Iteration 1, loss = " in out and "Iteration 2, loss = " in out


class LossSpy(Callback):
    """The loss of every epoch that completes."""

    def on_train_begin(self, estimator, *, X, y):
        self.losses_ = []

    def on_epoch_end(self, estimator, *, epoch, record, coefs, intercepts):
        self.losses_.append(record["loss"])


def test_divergence_keeps_the_best_epoch_of_the_call(regression):
    """At learning_rate_init=1 plain SGD on this problem climbs for three
    epochs and overflows in the fifth: the call keeps epoch 1, its lowest
    training loss (not epoch 4, the last finite one), exactly as a fit
    stopped there, curves and counters rolled back with it."""
    X, y = regression
    params = dict(hidden_layer_sizes=(4,), solver="sgd", learning_rate_init=1.0,
                  random_state=0)
    est = MLPRegressorBP(**params, max_iter=10, callbacks=[LossSpy()])
    with pytest.warns(ConvergenceWarning, match=r"Training diverged \(non-finite "
                      r"loss or weights\) in epoch 5; kept epoch 1, the epoch with "
                      r"the lowest training loss\."):
        est.fit(X, y)
    seen = est.callbacks_[0].losses_
    assert len(seen) == 4 and np.isfinite(seen).all()  # epochs 1-4 completed
    assert seen[0] < min(seen[1:])  # ... and epoch 1 was the best
    one = MLPRegressorBP(**params, max_iter=1).fit(X, y)
    for ours, theirs in zip(est.coefs_ + est.intercepts_,
                            one.coefs_ + one.intercepts_, strict=True):
        assert_array_equal(ours, theirs, strict=True)
    assert (est.n_iter_, est.t_, len(est.history_)) == (1, len(X), 1)
    assert est.loss_curve_ == one.loss_curve_ == seen[:1]
    assert np.isfinite(est.predict(X)).all()


def test_divergence_with_no_finite_epoch_keeps_the_model_from_before(regression):
    """A warm refit at a rate that overflows before any epoch beats the fitted
    model's loss: it warns and leaves the model exactly as it was."""
    X, y = regression
    est = MLPRegressorBP(hidden_layer_sizes=(4,), solver="sgd",
                         learning_rate_init=0.01, max_iter=5,
                         random_state=0).fit(X, y)
    est.set_params(warm_start=True, learning_rate_init=1e10)
    before = pickle.dumps(vars(est))
    with pytest.warns(ConvergenceWarning, match=r"diverged .* and no epoch of this "
                      r"call improved on the lowest training loss it started "
                      r"from\..* Kept the model from before this call\."):
        est.fit(X, y)
    assert pickle.dumps(vars(est)) == before
    assert np.isfinite(est.predict(X)).all()


def test_divergence_in_a_first_fit_with_no_finite_epoch_raises(regression):
    X, y = regression
    est = MLPRegressorBP(hidden_layer_sizes=(4,), solver="sgd", batch_size=1,
                         learning_rate_init=1e10, random_state=0)
    with pytest.raises(ValueError, match=r"^Training diverged \(non-finite loss or "
                       r"weights\) in epoch 1 and no epoch of this call gave"):
        est.fit(X, y)
    assert vars(est).keys() == est.get_params().keys()


# -- mini-batches whose sample weights are all zero ----------------------------------


@pytest.mark.parametrize("solver", ["adam", "sgd", "adagrad"])
@pytest.mark.parametrize("zero_batches", [[0], [0, 2], [5]])
def test_a_batch_that_weighs_nothing_is_skipped(solver, zero_batches, regression):
    """A mini-batch whose sample weights are all zero takes no optimizer step:
    the weights and the optimizer state (Adam's step count included) are bit
    for bit those of a fit without its rows."""
    X, y = regression[0][:60], regression[1][:60]
    k = 10
    weights = np.linspace(0.5, 2.0, 60)
    for batch in zero_batches:
        weights[batch * k:(batch + 1) * k] = 0.0
    kept = weights > 0
    params = dict(hidden_layer_sizes=(5,), solver=solver, batch_size=k, shuffle=False,
                  max_iter=3, random_state=0)
    with_zeros = MLPRegressorBP(**params).fit(X, y, sample_weight=weights)
    without = MLPRegressorBP(**params).fit(X[kept], y[kept],
                                           sample_weight=weights[kept])
    for ours, theirs in zip(with_zeros.coefs_ + with_zeros.intercepts_,
                            without.coefs_ + without.intercepts_, strict=True):
        assert_array_equal(ours, theirs, strict=True)
    assert pickle.dumps(with_zeros._optimizer_state) == pickle.dumps(
        without._optimizer_state)
    if solver == "adam":
        assert with_zeros._optimizer_state.t == 3 * (6 - len(zero_batches))
    assert with_zeros.t_ == 3 * 60  # the rows were seen, just not learned from


# -- the sample count schedules receive ------------------------------------------------

SEEN_BY_SCHEDULE: list[tuple[str, int]] = []


class SamplesSeenSpy(Scheduler):
    """A constant schedule that records the samples_seen of every call."""

    def on_batch_end(self, state, *, samples_seen):
        SEEN_BY_SCHEDULE.append(("batch", samples_seen))
        return super().on_batch_end(state, samples_seen=samples_seen)

    def on_epoch_end(self, state, *, samples_seen, metrics):
        SEEN_BY_SCHEDULE.append(("epoch", samples_seen))
        return super().on_epoch_end(state, samples_seen=samples_seen, metrics=metrics)


def _seen(kind):
    return [n for what, n in SEEN_BY_SCHEDULE if what == kind]


@pytest.fixture
def seen_by_schedule():
    SEEN_BY_SCHEDULE.clear()
    yield SEEN_BY_SCHEDULE
    SEEN_BY_SCHEDULE.clear()


def test_a_schedule_is_told_the_samples_seen_after_every_step(seen_by_schedule,
                                                               regression):
    """samples_seen is t_ from before the epoch plus the end of the batch:
    25 samples in batches of 10 give 10, 20, 25; the next epoch 35, 45, 50;
    and t_ carries on across partial_fit and warm fits."""
    X, y = regression[0][:25], regression[1][:25]
    est = MLPRegressorBP(hidden_layer_sizes=(3,), batch_size=10, max_iter=2,
                         learning_rate=SamplesSeenSpy(), random_state=0).fit(X, y)
    assert _seen("batch") == [10, 20, 25, 35, 45, 50]
    assert _seen("epoch") == [25, 50]
    seen_by_schedule.clear()
    est.partial_fit(X, y)
    est.partial_fit(X[:12], y[:12])
    assert _seen("batch") == [60, 70, 75, 85, 87]
    assert _seen("epoch") == [75, 87]
    seen_by_schedule.clear()
    est.set_params(warm_start=True, max_iter=1).fit(X, y)
    assert _seen("batch") == [97, 107, 112]
    assert est.t_ == 112


def test_samples_seen_counts_shuffled_and_weighted_batches_alike(seen_by_schedule,
                                                                   regression):
    X, y = regression[0][:25], regression[1][:25]
    weights = np.ones(25)
    weights[:10] = 0.0  # the first (unshuffled) batch is skipped
    MLPRegressorBP(hidden_layer_sizes=(3,), batch_size=10, max_iter=1, shuffle=False,
                   learning_rate=SamplesSeenSpy(), random_state=0).fit(
        X, y, sample_weight=weights)
    assert _seen("batch") == [20, 25]  # no step after the skipped batch
    seen_by_schedule.clear()
    MLPRegressorBP(hidden_layer_sizes=(3,), batch_size=10, max_iter=1, shuffle=True,
                   learning_rate=SamplesSeenSpy(), random_state=0).fit(X, y)
    assert _seen("batch") == [10, 20, 25]


# -- L-BFGS: what it honours and what it refuses -------------------------------------


class EpochRecorder(Callback):
    """Counts epochs; asks to stop after ``stop_at`` of them."""

    def __init__(self, stop_at=None):
        self.stop_at = stop_at

    def on_train_begin(self, estimator, *, X, y):
        self.epochs_ = []

    def on_epoch_end(self, estimator, *, epoch, record, coefs, intercepts):
        self.epochs_.append(epoch)
        return self.stop_at is not None and epoch >= self.stop_at


class BatchHook(Callback):
    def on_batch_end(self, estimator, *, epoch, batch, loss):
        pass


class GradHook(Callback):
    def on_grad_computed(self, estimator, *, epoch, batch, coef_grads,
                         intercept_grads):
        pass


def test_lbfgs_records_history_and_callbacks(regression):
    X, y = regression
    est = MLPRegressorBP(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=15,
                         random_state=0, callbacks=[EpochRecorder()]).fit(X, y)
    assert len(est.history_) == len(est.loss_curve_) == est.n_iter_
    assert [record["epoch"] for record in est.history_] == list(
        range(1, est.n_iter_ + 1))
    assert [record["loss"] for record in est.history_] == est.loss_curve_
    assert len(est.callbacks_) == 1 and est.callbacks_[0] is not est.callbacks[0]
    assert est.callbacks_[0].epochs_ == list(range(1, est.n_iter_ + 1))
    plain = MLPRegressorBP(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=15,
                           random_state=0).fit(X, y)
    assert plain.callbacks_ == [] and len(plain.history_) == plain.n_iter_


@pytest.mark.parametrize("stop_at", [1, 3, 7])
def test_a_callback_stops_lbfgs(stop_at, regression):
    X, y = regression
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = MLPRegressorBP(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=200,
                             random_state=0,
                             callbacks=[EpochRecorder(stop_at=stop_at)]).fit(X, y)
    assert est.n_iter_ == stop_at == len(est.loss_curve_)
    assert est.callbacks_[0].epochs_ == list(range(1, stop_at + 1))
    # The weights are those of that iteration: max_iter=stop_at gives them too.
    at_stop = MLPRegressorBP(hidden_layer_sizes=(8,), solver="lbfgs",
                             max_iter=stop_at, random_state=0).fit(X, y)
    assert_array_equal(est.coefs_[0], at_stop.coefs_[0])
    assert est.loss_curve_ == at_stop.loss_curve_


@pytest.mark.parametrize("setting, match", [
    ({"clip_grad_norm": 1.0}, "clip_grad_norm=1.0"),
    ({"clip_grad_value": 0.5}, "clip_grad_value=0.5"),
    ({"batch_norm": True}, "batch_norm=True"),
    ({"dropout": 0.25}, "dropout=0.25"),
    ({"learning_rate": "cosine"}, "learning_rate='cosine'"),
    ({"learning_rate": ConstantLR()}, r"learning_rate=ConstantLR\(\)"),
    ({"callbacks": [BatchHook()]}, r"a callback with on_batch_end \(BatchHook\)"),
    ({"callbacks": [EpochRecorder(), GradHook()]},
     r"a callback with on_grad_computed \(GradHook\)"),
])
@pytest.mark.parametrize("fitted", [False, True])
def test_lbfgs_refuses_what_it_cannot_honour_before_training(
        setting, match, fitted, regression, monkeypatch):
    X, y = regression
    est = MLPRegressorBP(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5,
                         random_state=0)
    if fitted:
        est.fit(X, y)
    est.set_params(**setting, warm_start=fitted)
    before = pickle.dumps(vars(est))
    calls = []
    monkeypatch.setattr(skmlp._network.Network, "loss_and_gradient",
                        lambda *args, **kwargs: calls.append(1))
    with pytest.raises(ValueError, match=rf"solver='lbfgs' cannot honour {match}"):
        est.fit(X, y)
    assert calls == []  # refused before any training
    assert pickle.dumps(vars(est)) == before


@pytest.mark.parametrize("learning_rate", ["constant", "invscaling", "adaptive"])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_lbfgs_accepts_scikit_learns_settings_as_scikit_learn_does(
        learning_rate, early_stopping, regression):
    """scikit-learn's L-BFGS ignores learning_rate and early_stopping: so does
    skmlp's (a drop-in), with the same result."""
    X, y = regression
    params = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=20,
                  random_state=0, learning_rate=learning_rate,
                  early_stopping=early_stopping)
    ours = MLPRegressorBP(**params).fit(X, y)
    theirs = MLPRegressor(**params).fit(X, y)
    assert_array_equal(ours.coefs_[0], theirs.coefs_[0])
    assert ours.n_iter_ == theirs.n_iter_ and ours.loss_ == theirs.loss_
