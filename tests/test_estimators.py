"""What skmlp's estimators add on top of scikit-learn's MLP."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import erf
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp.activations import HIDDEN_ACTIVATIONS, Activation, LeakyReLU
from skmlp.initializers import INITIALIZERS
from skmlp.optimizers import Adam

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


def test_divergence_keeps_last_finite_epoch(regression):
    X, y = regression
    y = y * 1e150  # the squared error overflows after the first epoch
    with pytest.warns(ConvergenceWarning, match="diverged"):
        est = MLPRegressorBP(hidden_layer_sizes=(4,), solver="sgd",
                             learning_rate_init=1e-310, max_iter=5,
                             random_state=0).fit(X, y / 1e150)
        est.set_params(warm_start=True, learning_rate_init=1e10).fit(X, y / 1e150)
    assert all(np.isfinite(c).all() for c in est.coefs_)
    assert np.isfinite(est.predict(X)).all()
