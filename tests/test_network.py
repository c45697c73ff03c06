"""The backpropagation core: gradients against finite differences and
scikit-learn, the flat parameter layout, chunked prediction and sparse input.

Every expected value comes from central finite differences, a forward pass
written out in this file with textbook activations, or scikit-learn.
"""

import math
from itertools import pairwise

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.neural_network._base import LOSS_FUNCTIONS
from sklearn.neural_network._multilayer_perceptron import _pack
from test_activations import TABLE

import skmlp._network
from skmlp._network import Network, Workspace
from skmlp.activations import ACTIVATIONS, ELU, GELU, HIDDEN_ACTIVATIONS, LeakyReLU
from skmlp.losses import LOSSES

N_SAMPLES, N_FEATURES = 7, 4
ALPHA = 0.3

# -- textbook activations (independent of skmlp.activations) -----------------

def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _gelu_tanh(z):
    return 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)))


def _textbook(name):
    """The textbook σ of ``test_activations.TABLE`` (one table for every
    activation), over arrays."""
    expected = TABLE[name]
    defaults = ACTIVATIONS[name]().get_params()
    if not expected.elementwise:
        return expected.formula
    return np.vectorize(lambda z: expected.formula(z, **defaults), otypes=[float])


TEXTBOOK = {name: _textbook(name) for name in TABLE}

# (id, factory, textbook σ): every hidden activation, plus non-default params.
HIDDEN = [(name, ACTIVATIONS[name], TEXTBOOK[name]) for name in HIDDEN_ACTIVATIONS]
HIDDEN += [
    ("leaky_relu_0.2", lambda: LeakyReLU(negative_slope=0.2),
     lambda z: np.where(z > 0, z, 0.2 * z)),
    ("elu_0.5", lambda: ELU(alpha=0.5),
     lambda z: np.where(z > 0, z, 0.5 * np.expm1(np.minimum(z, 0)))),
    ("gelu_tanh", lambda: GELU(approximate="tanh"), _gelu_tanh),
]
HIDDEN_BY_ID = {h[0]: h for h in HIDDEN}

# (loss, output activation, n_outputs)
PAIRS = [
    ("squared_error", "identity", 1),
    ("squared_error", "identity", 3),
    ("poisson", "exp", 2),
    ("binary_log_loss", "logistic", 1),
    ("binary_log_loss", "logistic", 3),  # multilabel
    ("log_loss", "softmax", 3),
    # Non-canonical: δᴸ through the general chain rule.
    ("squared_error", "logistic", 2),
    ("squared_error", "softmax", 3),
]
PAIR_IDS = [f"{loss}+{out}-{k}" for loss, out, k in PAIRS]
HIDDEN_SIZES = {1: [5], 2: [5, 3], 3: [3, 5, 4]}


def _targets(loss_name, n, k, rng):
    if loss_name == "squared_error":
        return rng.normal(size=(n, k))
    if loss_name == "poisson":
        return rng.poisson(1.0, size=(n, k)).astype(float)
    if loss_name == "binary_log_loss":
        return rng.randint(0, 2, size=(n, k)).astype(float)
    return np.eye(k)[rng.permutation(np.arange(n) % k)]  # one-hot, all classes


def _problem(hidden_id, loss_name, out_name, n_outputs, depth, seed=0,
             n=N_SAMPLES):
    rng = np.random.RandomState(seed)
    units = [N_FEATURES, *HIDDEN_SIZES[depth], n_outputs]
    network = Network(units, HIDDEN_BY_ID[hidden_id][1](), ACTIVATIONS[out_name]())
    n_coef = sum(i * o for i, o in pairwise(units))
    n_params = n_coef + sum(units[1:])
    params = rng.normal(scale=0.5, size=n_params)
    X = rng.normal(size=(n, N_FEATURES))
    y = _targets(loss_name, n, n_outputs, rng)
    sw = rng.uniform(0.2, 2.0, size=n)
    sw[1] = 0.0  # a zero weight is legal
    return network, units, n_coef, params, X, y, sw


def _loss_and_grad(network, params, X, y, sw, loss_name, alpha=ALPHA,
                   spare_rows=0):
    workspace = Workspace(network, X.shape[0] + spare_rows, params.dtype,
                          training=True)
    grads = np.full_like(params, np.nan)
    scratch = np.full_like(params, np.nan)
    value = network.loss_and_gradient(
        network.views(params), X, y, sw, loss=LOSSES[loss_name](), alpha=alpha,
        workspace=workspace, grads=network.views(grads), scratch=scratch,
    )
    return value, grads


def _reference_unpack(units, params):
    """scikit-learn's layout, written out: all coefs (C order), then biases."""
    coefs, intercepts, pos = [], [], 0
    for fan_in, fan_out in pairwise(units):
        coefs.append(params[pos:pos + fan_in * fan_out].reshape(fan_in, fan_out))
        pos += fan_in * fan_out
    for fan_out in units[1:]:
        intercepts.append(params[pos:pos + fan_out])
        pos += fan_out
    assert pos == params.size
    return coefs, intercepts


def _reference_forward(units, params, X, hidden, output):
    coefs, intercepts = _reference_unpack(units, params)
    a = X
    for layer, (W, b) in enumerate(zip(coefs, intercepts)):
        z = a @ W + b
        a = (output if layer == len(coefs) - 1 else hidden)(z)
    return a


def _reference_objective(units, params, X, y, sw, hidden_id, loss_name,
                         out_name, alpha=ALPHA):
    """(reported J, trained J): scikit-learn's loss + the L2 penalty.

    The trained objective multiplies the squared error by the number of
    outputs K (scikit-learn's gradient is that of the sum over outputs);
    the L2 term is the same in both.
    """
    output = _reference_forward(units, params, X, HIDDEN_BY_ID[hidden_id][2],
                                TEXTBOOK[out_name])
    data = LOSS_FUNCTIONS[loss_name](y, output, sample_weight=sw)
    n_coef = sum(i * o for i, o in pairwise(units))
    w = params[:n_coef]
    weight_sum = X.shape[0] if sw is None else sw.sum()
    l2 = 0.5 * alpha * math.fsum(w * w) / weight_sum
    k = y.shape[1] if loss_name == "squared_error" else 1
    return data + l2, k * data + l2


def _central_differences(f, params, h=1e-6):
    grad = np.empty_like(params)
    p = params.copy()
    for i in range(p.size):
        old = p[i]
        p[i] = old + h
        fp = f(p)
        p[i] = old - h
        fm = f(p)
        p[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


def _check_gradient(hidden_id, loss_name, out_name, n_outputs, depth, weighted,
                    alpha=ALPHA):
    network, units, n_coef, params, X, y, sw = _problem(
        hidden_id, loss_name, out_name, n_outputs, depth, seed=depth
    )
    sw = sw if weighted else None
    value, grads = _loss_and_grad(network, params, X, y, sw, loss_name, alpha,
                                  spare_rows=2)

    reported, _ = _reference_objective(units, params, X, y, sw, hidden_id,
                                       loss_name, out_name, alpha)
    assert value == pytest.approx(reported, rel=1e-12, abs=1e-14)

    # Central differences of the loss the network itself returns, with the
    # data term scaled by K for squared error (see _reference_objective).
    k = n_outputs if loss_name == "squared_error" else 1
    weight_sum = X.shape[0] if sw is None else sw.sum()

    def trained_objective(p):
        returned, _ = _loss_and_grad(network, p, X, y, sw, loss_name, alpha)
        l2 = 0.5 * alpha * np.dot(p[:n_coef], p[:n_coef]) / weight_sum
        return k * (returned - l2) + l2

    fd = _central_differences(trained_objective, params)
    assert np.isfinite(grads).all()
    scale = np.abs(fd).max()
    np.testing.assert_allclose(grads, fd, rtol=1e-6, atol=1e-8 * scale)


@pytest.mark.parametrize(("loss_name", "out_name", "n_outputs"), PAIRS,
                         ids=PAIR_IDS)
@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("hidden_id", [h[0] for h in HIDDEN])
def test_gradient_matches_finite_differences(hidden_id, depth, loss_name,
                                             out_name, n_outputs):
    _check_gradient(hidden_id, loss_name, out_name, n_outputs, depth,
                    weighted=False)
    _check_gradient(hidden_id, loss_name, out_name, n_outputs, depth,
                    weighted=True)


@pytest.mark.parametrize(("loss_name", "out_name", "n_outputs"), PAIRS,
                         ids=PAIR_IDS)
def test_gradient_without_penalty(loss_name, out_name, n_outputs):
    _check_gradient("tanh", loss_name, out_name, n_outputs, 2, weighted=True,
                    alpha=0.0)


def test_multi_output_squared_error_convention():
    """Reported loss: averaged over outputs; gradient: of the sum (K × data)."""
    network, units, n_coef, params, X, y, sw = _problem(
        "tanh", "squared_error", "identity", 3, 2
    )
    value, grads = _loss_and_grad(network, params, X, y, sw, "squared_error")
    reported, _ = _reference_objective(units, params, X, y, sw, "tanh",
                                       "squared_error", "identity")
    assert value == pytest.approx(reported, rel=1e-12)

    def returned(p):
        return _loss_and_grad(network, p, X, y, sw, "squared_error")[0]

    def trained(p):
        return _reference_objective(units, p, X, y, sw, "tanh", "squared_error",
                                    "identity")[1]

    np.testing.assert_allclose(grads, _central_differences(trained, params),
                               rtol=1e-6, atol=1e-9)
    # ... and therefore *not* the gradient of the loss it reports.
    fd_reported = _central_differences(returned, params)
    assert not np.allclose(grads, fd_reported, rtol=1e-3)
    # Bias gradients carry no L2 term: exactly K times those of the report.
    np.testing.assert_allclose(grads[n_coef:], 3 * fd_reported[n_coef:],
                               rtol=1e-6, atol=1e-9)


# -- parity with scikit-learn's own backprop ---------------------------------

SKLEARN_PAIRS = [
    (MLPRegressor, "squared_error", "identity", 1),
    (MLPRegressor, "squared_error", "identity", 3),
    (MLPRegressor, "poisson", "exp", 2),
    (MLPClassifier, "binary_log_loss", "logistic", 1),
    (MLPClassifier, "binary_log_loss", "logistic", 3),
    (MLPClassifier, "log_loss", "softmax", 3),
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(("estimator", "loss_name", "out_name", "n_outputs"),
                         SKLEARN_PAIRS, ids=[f"{p[1]}-{p[3]}" for p in SKLEARN_PAIRS])
@pytest.mark.parametrize("hidden_id", ["identity", "logistic", "tanh", "relu"])
def test_matches_sklearn_backprop(hidden_id, estimator, loss_name, out_name,
                                  n_outputs, weighted):
    network, units, _, params, X, y, sw = _problem(
        hidden_id, loss_name, out_name, n_outputs, depth=2, seed=5, n=11
    )
    sw = sw if weighted else None
    value, grads = _loss_and_grad(network, params, X, y, sw, loss_name)

    kwargs = {"loss": loss_name} if estimator is MLPRegressor else {}
    ref = estimator(activation=hidden_id, alpha=ALPHA, **kwargs)
    coefs, intercepts = _reference_unpack(units, params.copy())
    ref.coefs_, ref.intercepts_ = list(coefs), list(intercepts)
    ref.n_layers_, ref.out_activation_ = len(units), out_name
    n_layers = len(units) - 1
    ref_value, coef_grads, intercept_grads = ref._backprop(
        X, y, sw, [X] + [None] * n_layers, [None] * n_layers,
        [None] * n_layers, [None] * n_layers,
    )
    assert value == pytest.approx(ref_value, rel=1e-12)
    np.testing.assert_allclose(grads, _pack(coef_grads, intercept_grads),
                               rtol=1e-10, atol=1e-14)


# -- parameter layout -----------------------------------------------------


def _layers(units, rng, dtype=np.float64):
    coefs = [rng.normal(size=(i, o)).astype(dtype)
             for i, o in pairwise(units)]
    intercepts = [rng.normal(size=o).astype(dtype) for o in units[1:]]
    return coefs, intercepts


@pytest.mark.parametrize("units", [[4, 1], [4, 5, 2], [3, 6, 2, 5, 4]])
def test_pack_layout_is_sklearns(units):
    network = Network(units, ACTIVATIONS["relu"](), ACTIVATIONS["identity"]())
    coefs, intercepts = _layers(units, np.random.RandomState(0))
    flat = network.pack(coefs, intercepts, dtype=np.float64)
    np.testing.assert_array_equal(flat, _pack(coefs, intercepts))
    n_coef = sum(c.size for c in coefs)
    assert network.n_coef_params == n_coef
    assert network.n_params == flat.size == n_coef + sum(units[1:])
    assert network.coef_shapes == [c.shape for c in coefs]

    # Round trip.
    got_coefs, got_intercepts = network.unpack(flat)
    assert len(got_coefs) == len(got_intercepts) == len(units) - 1
    for got, expected in zip(got_coefs + got_intercepts, coefs + intercepts):
        assert got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(
        network.pack(got_coefs, got_intercepts, dtype=np.float64), flat
    )


def test_pack_copies_and_casts():
    units = [3, 4, 2]
    network = Network(units, ACTIVATIONS["tanh"](), ACTIVATIONS["identity"]())
    coefs, intercepts = _layers(units, np.random.RandomState(1))
    flat = network.pack(coefs, intercepts, dtype=np.float32)
    assert flat.dtype == np.float32
    np.testing.assert_array_equal(flat, _pack(coefs, intercepts).astype(np.float32))
    flat64 = network.pack(coefs, intercepts, dtype=np.float64)
    flat64[:] = 0.0
    assert np.abs(coefs[0]).sum() > 0  # the inputs were copied, not aliased


def test_unpack_returns_views():
    units = [3, 4, 2]
    network = Network(units, ACTIVATIONS["tanh"](), ACTIVATIONS["identity"]())
    flat = np.arange(network.n_params, dtype=np.float64)
    coefs, intercepts = network.unpack(flat)
    for view in coefs + intercepts:
        assert np.shares_memory(view, flat)
    coefs[1][2, 1] = -1.0
    intercepts[0][3] = -2.0
    # Positions from scikit-learn's layout: coefs[1] starts after 3*4 values,
    # row-major; intercepts[0] after all 3*4 + 4*2 coefficients.
    assert flat[3 * 4 + 2 * 2 + 1] == -1.0
    assert flat[3 * 4 + 4 * 2 + 3] == -2.0
    flat[0] = 100.0
    assert coefs[0][0, 0] == 100.0


# -- prediction -----------------------------------------------------------


@pytest.mark.parametrize("chunk_values", [1, 10, 23, 2**20])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("hidden_id", ["gelu", "relu"])
def test_predict_in_chunks(monkeypatch, chunk_values, sparse, hidden_id):
    units = [N_FEATURES, 5, 3, 2]
    network = Network(units, HIDDEN_BY_ID[hidden_id][1](), ACTIVATIONS["softmax"]())
    rng = np.random.RandomState(3)
    coefs, intercepts = _layers(units, rng)
    X = rng.normal(size=(23, N_FEATURES))
    X[X < -0.5] = 0.0
    params = network.pack(coefs, intercepts, dtype=np.float64)
    expected = _reference_forward(units, params, X, HIDDEN_BY_ID[hidden_id][2],
                                  _softmax)
    unchunked = network.predict(coefs, intercepts, X).copy()

    monkeypatch.setattr(skmlp._network, "_PREDICT_CHUNK_VALUES", chunk_values)
    X_in = sp.csr_matrix(X) if sparse else X
    # Poison recently freed blocks of the output's size, so rows that a
    # chunking bug leaves unwritten (np.empty) cannot hold the right values
    # by accident.
    poison = np.full((23, 2), np.nan)
    del poison
    got = network.predict(coefs, intercepts, X_in)
    assert got.shape == (23, 2)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got, unchunked, rtol=1e-13, atol=1e-15)


def test_predict_dtype_follows_inputs():
    units = [N_FEATURES, 5, 1]
    network = Network(units, ACTIVATIONS["tanh"](), ACTIVATIONS["identity"]())
    rng = np.random.RandomState(4)
    coefs32, intercepts32 = _layers(units, rng, dtype=np.float32)
    X = rng.normal(size=(6, N_FEATURES))
    assert network.predict(coefs32, intercepts32, X.astype(np.float32)).dtype == (
        np.float32
    )
    out = network.predict(coefs32, intercepts32, X)  # float64 X
    assert out.dtype == np.float64
    params = network.pack(coefs32, intercepts32, dtype=np.float64)
    np.testing.assert_allclose(
        out, _reference_forward(units, params, X, np.tanh, lambda z: z),
        rtol=1e-12,
    )


# -- sparse input -----------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(("loss_name", "out_name", "n_outputs"),
                         [PAIRS[1], PAIRS[4], PAIRS[5]], ids=[PAIR_IDS[i] for i in
                                                             (1, 4, 5)])
def test_sparse_input_gives_dense_results(loss_name, out_name, n_outputs, weighted,
                                          fmt):
    network, _, _, params, X, y, sw = _problem("relu", loss_name, out_name,
                                               n_outputs, depth=2, seed=9)
    X[np.abs(X) < 0.7] = 0.0
    sw = sw if weighted else None
    value, grads = _loss_and_grad(network, params, X, y, sw, loss_name)
    X_sparse = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    value_sp, grads_sp = _loss_and_grad(network, params, X_sparse, y, sw, loss_name)
    assert value_sp == pytest.approx(value, rel=1e-13)
    np.testing.assert_allclose(grads_sp, grads, rtol=1e-12, atol=1e-15)


def test_workspace_is_reused_across_batch_sizes():
    """A workspace sized for a larger batch gives the same results."""
    network, _, _, params, X, y, sw = _problem("gelu", "log_loss", "softmax", 3,
                                               depth=2, seed=2)
    value, grads = _loss_and_grad(network, params, X, y, sw, "log_loss")
    workspace = Workspace(network, 50, np.float64, training=True)
    g = np.empty_like(params)
    s = np.empty_like(params)
    for rows in (X.shape[0], 3, X.shape[0]):  # a smaller batch in between
        v = network.loss_and_gradient(network.views(params), X[:rows], y[:rows],
                                      sw[:rows], loss=LOSSES["log_loss"](),
                                      alpha=ALPHA, workspace=workspace,
                                      grads=network.views(g), scratch=s)
    assert v == pytest.approx(value, rel=1e-14)
    np.testing.assert_allclose(g, grads, rtol=1e-13, atol=1e-16)


def test_loss_and_gradient_does_not_modify_inputs():
    network, _, _, params, X, y, sw = _problem("elu", "poisson", "exp", 2, depth=3)
    copies = [a.copy() for a in (params, X, y, sw)]
    _loss_and_grad(network, params, X, y, sw, "poisson")
    for before, after in zip(copies, (params, X, y, sw)):
        np.testing.assert_array_equal(before, after)
