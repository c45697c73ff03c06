"""Batch normalisation and dropout: gradients, statistics, reproducibility."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp._network import Network, Workspace
from skmlp.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS
from skmlp.losses import LOSSES

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _loss_and_grad(network, params, X, y, *, loss, seed=None, alpha=0.1):
    workspace = Workspace(network, X.shape[0], np.float64, training=True)
    grads = np.empty_like(params)
    rng = None if seed is None else np.random.default_rng(seed)
    norm_stats = network.init_norm_stats(np.float64)
    value = network.loss_and_gradient(
        network.views(params, norm_stats), X, y, None, loss=loss, alpha=alpha,
        workspace=workspace, grads=network.views(grads, norm_stats),
        scratch=np.empty_like(params), rng=rng,
    )
    return value, grads


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("dropout", [0.0, 0.4])
def test_gradient_through_batch_norm_and_dropout(activation, depth, dropout):
    rng = np.random.RandomState(depth)
    X, y = rng.normal(size=(9, 4)), np.eye(3)[rng.randint(3, size=9)]
    network = Network([4, *[5] * depth, 3], ACTIVATIONS[activation](),
                      ACTIVATIONS["softmax"](), batch_norm=True, dropout=dropout)
    params = rng.normal(scale=0.7, size=network.n_params)
    loss = LOSSES["log_loss"]()
    seed = 7 if dropout else None  # the same masks at every evaluation
    _, grads = _loss_and_grad(network, params, X, y, loss=loss, seed=seed)
    eps = 1e-6
    numerical = np.empty_like(params)
    for i in range(params.size):
        step = np.zeros_like(params)
        step[i] = eps
        plus, _ = _loss_and_grad(network, params + step, X, y, loss=loss, seed=seed)
        minus, _ = _loss_and_grad(network, params - step, X, y, loss=loss, seed=seed)
        numerical[i] = (plus - minus) / (2 * eps)
    assert_allclose(grads, numerical, rtol=1e-5, atol=1e-8 * np.abs(numerical).max())


def test_batch_norm_forward_normalises_the_batch():
    rng = np.random.RandomState(0)
    X = rng.normal(loc=3.0, scale=5.0, size=(64, 4))
    network = Network([4, 6, 2], ACTIVATIONS["identity"](), ACTIVATIONS["identity"](),
                      batch_norm=True)
    params = rng.normal(size=network.n_params)
    stats = network.init_norm_stats(np.float64)
    workspace = Workspace(network, 64, np.float64, training=True)
    batch_norm = network.unpack_batch_norm(params, stats)
    network.forward(*network.unpack(params), X, workspace, batch_norm=batch_norm,
                    training=True)
    W, b = network.unpack(params)[0][0], network.unpack(params)[1][0]
    linear = X @ W + b
    z_hat = (linear - linear.mean(0)) / np.sqrt(linear.var(0) + 1e-5)
    gamma, beta = batch_norm.scales[0], batch_norm.offsets[0]
    assert_allclose(workspace.z[0], gamma * z_hat + beta, rtol=1e-12)
    # running averages moved 10 % of the way from (0, 1) to the batch's
    assert_allclose(batch_norm.running_means[0], 0.1 * linear.mean(0), rtol=1e-12)
    assert_allclose(batch_norm.running_vars[0],
                    0.9 + 0.1 * linear.var(0, ddof=1), rtol=1e-12)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, train_size=800, test_size=400, random_state=0)


def test_batch_norm_trains_and_predicts_independently_of_batches(digits):
    X_train, X_test, y_train, y_test = digits
    est = MLPClassifierBP(hidden_layer_sizes=(32, 32), batch_norm=True, max_iter=30,
                          batch_size=64, learning_rate_init=0.01,
                          random_state=0).fit(X_train, y_train)
    assert est.score(X_test, y_test) > 0.95
    assert len(est.batch_norm_scales_) == 2 and est.batch_norm_scales_[0].shape == (32,)
    assert not np.allclose(est.batch_norm_running_vars_[0], 1.0)  # statistics moved
    full = est.predict_proba(X_test)
    one_by_one = np.vstack([est.predict_proba(X_test[i:i + 1]) for i in range(20)])
    assert_allclose(one_by_one, full[:20], rtol=1e-12)
    # prediction = running-statistics affine map, recomputed by hand
    a = X_test
    for layer in range(2):
        z = a @ est.coefs_[layer] + est.intercepts_[layer]
        z = ((z - est.batch_norm_running_means_[layer])
             / np.sqrt(est.batch_norm_running_vars_[layer] + 1e-5)
             * est.batch_norm_scales_[layer] + est.batch_norm_offsets_[layer])
        a = np.maximum(z, 0)
    logits = a @ est.coefs_[2] + est.intercepts_[2]
    expected = np.exp(logits - logits.max(1, keepdims=True))
    assert_allclose(full, expected / expected.sum(1, keepdims=True), rtol=1e-10)


def test_batch_norm_off_leaves_no_attributes(digits):
    X_train, _, y_train, _ = digits
    est = MLPClassifierBP(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    est.fit(X_train, y_train)
    assert est.batch_norm_scales_ is None and est.batch_norm_running_vars_ is None


def test_batch_norm_continues_with_partial_fit_and_warm_start(digits):
    X_train, _, y_train, _ = digits
    kwargs = dict(hidden_layer_sizes=(16,), batch_norm=True, random_state=0)
    est = MLPClassifierBP(**kwargs, max_iter=3).fit(X_train, y_train)
    scales = [s.copy() for s in est.batch_norm_scales_]
    est.partial_fit(X_train, y_train)
    assert not np.array_equal(scales[0], est.batch_norm_scales_[0])
    est.set_params(batch_norm=False, warm_start=True)
    with pytest.raises(ValueError, match="batch_norm=False differs"):
        est.fit(X_train, y_train)


def test_dropout_is_reproducible_and_off_at_predict_time(digits):
    X_train, X_test, y_train, y_test = digits
    kwargs = dict(hidden_layer_sizes=(64,), dropout=0.3, max_iter=20, batch_size=64,
                  learning_rate_init=0.01)
    a = MLPClassifierBP(**kwargs, random_state=0).fit(X_train, y_train)
    b = MLPClassifierBP(**kwargs, random_state=0).fit(X_train, y_train)
    c = MLPClassifierBP(**kwargs, random_state=1).fit(X_train, y_train)
    assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert not np.allclose(a.coefs_[0], c.coefs_[0])
    assert_array_equal(a.predict_proba(X_test), a.predict_proba(X_test))
    # at predict time no unit is dropped: the plain forward pass, by hand
    hidden = np.maximum(X_test @ a.coefs_[0] + a.intercepts_[0], 0)
    logits = hidden @ a.coefs_[1] + a.intercepts_[1]
    expected = np.exp(logits - logits.max(1, keepdims=True))
    assert_allclose(a.predict_proba(X_test),
                    expected / expected.sum(1, keepdims=True), rtol=1e-10)
    assert a.score(X_test, y_test) > 0.9


def test_dropout_masks_have_the_right_rate():
    network = Network([3, 2000, 1], ACTIVATIONS["identity"](),
                      ACTIVATIONS["identity"](), dropout=0.25)
    workspace = Workspace(network, 50, np.float64, training=True)
    params = np.ones(network.n_params)
    network.forward(*network.unpack(params), np.ones((50, 3)), workspace,
                    training=True, rng=np.random.default_rng(0))
    mask = workspace.mask[0]
    assert set(np.unique(mask)) == {0.0, 1 / 0.75}
    assert (mask == 0).mean() == pytest.approx(0.25, abs=0.01)


@pytest.mark.parametrize("params", [dict(batch_norm=True), dict(dropout=0.2)])
def test_lbfgs_rejects_mini_batch_features(params, digits):
    X_train, _, y_train, _ = digits
    with pytest.raises(ValueError, match=r"solver='lbfgs' cannot honour .* they "
                       r"work on mini-batches"):
        MLPRegressorBP(solver="lbfgs", **params).fit(X_train, y_train)
