"""Losses: values against scikit-learn, gradients against finite differences,
and the canonical-link shortcut δᴸ = a − y against the general chain rule.

Reference values come from ``sklearn.neural_network._base.LOSS_FUNCTIONS``,
central finite differences, or formulas written out in this file.
"""

import math

import numpy as np
import pytest
from sklearn.neural_network._base import LOSS_FUNCTIONS

from skmlp._network import Network, Workspace
from skmlp.activations import (
    ACTIVATIONS,
    GELU,
    Exp,
    Identity,
    Logistic,
    Softmax,
    Tanh,
)
from skmlp.losses import LOSSES, BinaryLogLoss, LogLoss, PoissonLoss, SquaredError

N = 9


def _targets_and_predictions(name, n_outputs, seed, dtype=np.float64):
    """Random (y, a) in the domain of loss ``name``."""
    rng = np.random.RandomState(seed)
    shape = (N, n_outputs)
    if name == "squared_error":
        y, a = rng.normal(size=shape), rng.normal(size=shape)
    elif name == "poisson":
        y = rng.poisson(1.5, size=shape).astype(float)
        y[0] = 0.0  # exercise y log y at y = 0
        a = np.exp(rng.normal(scale=0.5, size=shape))
    elif name == "binary_log_loss":
        y = rng.randint(0, 2, size=shape).astype(float)
        a = rng.uniform(0.05, 0.95, size=shape)
    elif name == "log_loss":
        if n_outputs == 1:
            y = rng.randint(0, 2, size=shape).astype(float)
            a = rng.uniform(0.05, 0.95, size=shape)
        else:
            y = np.eye(n_outputs)[rng.randint(0, n_outputs, size=N)]
            logits = rng.normal(size=shape)
            a = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    else:  # pragma: no cover
        raise ValueError(name)
    return y.astype(dtype), a.astype(dtype)


def test_registry():
    assert set(LOSSES) == set(LOSS_FUNCTIONS)
    assert LOSSES["squared_error"] is SquaredError
    assert LOSSES["poisson"] is PoissonLoss
    assert LOSSES["binary_log_loss"] is BinaryLogLoss
    assert LOSSES["log_loss"] is LogLoss
    canonical = {name: cls.canonical_activation for name, cls in LOSSES.items()}
    assert canonical == {"squared_error": "identity", "poisson": "exp",
                         "binary_log_loss": "logistic", "log_loss": "softmax"}
    for activation in canonical.values():
        assert activation in ACTIVATIONS


# -- values ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_value_matches_sklearn(name, n_outputs, weighted, dtype):
    y, a = _targets_and_predictions(name, n_outputs, seed=n_outputs, dtype=dtype)
    sw = (np.random.RandomState(11).uniform(0.1, 3.0, size=N).astype(dtype)
          if weighted else None)
    expected = LOSS_FUNCTIONS[name](y, a, sample_weight=sw)
    got = LOSSES[name]().value(y, a, sw)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(got, expected, rtol=rtol)
    assert np.isfinite(got)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_value_matches_written_out_formula(name):
    # Guards against sklearn and skmlp sharing one mistake.
    y, a = _targets_and_predictions(name, 3, seed=5)
    sw = np.random.RandomState(3).uniform(0.1, 3.0, size=N)
    if name == "squared_error":
        per_sample = 0.5 * ((y - a) ** 2).mean(axis=1)
    elif name == "poisson":
        ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / a), 0.0)
        per_sample = (ylogy - y + a).sum(axis=1)
    elif name == "binary_log_loss":
        per_sample = -(y * np.log(a) + (1 - y) * np.log(1 - a)).sum(axis=1)
    else:
        per_sample = -(y * np.log(a)).sum(axis=1)
    expected = math.fsum(sw * per_sample) / math.fsum(sw)
    assert LOSSES[name]().value(y, a, sw) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", ["binary_log_loss", "log_loss"])
def test_probability_losses_clip_like_sklearn(name):
    y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    a = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])  # confidently wrong
    value = LOSSES[name]().value(y, a)
    assert np.isfinite(value)
    np.testing.assert_allclose(value, LOSS_FUNCTIONS[name](y, a), rtol=1e-12)


# -- gradients ------------------------------------------------------------


def _fd_per_sample_gradient(loss, y, a, h=1e-6):
    """∂ℓ_i/∂a_ik by central differences, ℓ_i = value on sample i alone."""
    grad = np.empty_like(a)
    for i, k in np.ndindex(a.shape):
        ap, am = a[i:i + 1].copy(), a[i:i + 1].copy()
        ap[0, k] += h
        am[0, k] -= h
        yi = y[i:i + 1]
        grad[i, k] = (loss.value(yi, ap) - loss.value(yi, am)) / (2 * h)
    return grad


GRADIENT_CASES = [
    ("squared_error", 1), ("squared_error", 3),
    ("poisson", 1), ("poisson", 3),
    ("binary_log_loss", 1), ("binary_log_loss", 3),
    ("log_loss", 3),
    # A single probability column: ``value`` expands it to (1 − a, a) as
    # scikit-learn does, so its gradient must be that of binary cross-entropy.
    ("log_loss", 1),
]


@pytest.mark.parametrize(("name", "n_outputs"), GRADIENT_CASES,
                         ids=[f"{n}-{k}" for n, k in GRADIENT_CASES])
def test_gradient_matches_finite_differences(name, n_outputs):
    loss = LOSSES[name]()
    y, a = _targets_and_predictions(name, n_outputs, seed=7)
    fd = _fd_per_sample_gradient(loss, y, a)
    # Documented convention: squared error reports the loss averaged over
    # the K outputs but its gradient is that of the sum over outputs.
    scale = n_outputs if name == "squared_error" else 1
    np.testing.assert_allclose(loss.gradient(y, a), scale * fd, rtol=1e-6,
                               atol=1e-9)


def test_gradient_does_not_modify_inputs():
    for name in LOSSES:
        y, a = _targets_and_predictions(name, 3, seed=2)
        y0, a0 = y.copy(), a.copy()
        LOSSES[name]().gradient(y, a)
        LOSSES[name]().value(y, a)
        np.testing.assert_array_equal(y, y0)
        np.testing.assert_array_equal(a, a0)


# -- canonical shortcut vs general chain rule --------------------------------

# Textbook ∂ℓ/∂a (with the squared-error convention ℓ = ½ Σ_k (a − y)²).
DLOSS = {
    "squared_error": lambda y, a: a - y,
    "poisson": lambda y, a: 1 - y / a,
    "binary_log_loss": lambda y, a: (a - y) / (a * (1 - a)),
    "log_loss": lambda y, a: -y / a,
}


def _phi(z):
    return np.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)


_erf = np.vectorize(math.erf, otypes=[float])

# Textbook σ(z) and the vector-Jacobian product g ↦ g · ∂σ/∂z, row by row.
TEXTBOOK = {
    "identity": (lambda z: z, lambda z, g: g),
    "logistic": (lambda z: 1 / (1 + np.exp(-z)),
                 lambda z, g: g * np.exp(-z) / (1 + np.exp(-z)) ** 2),
    "tanh": (np.tanh, lambda z, g: g / np.cosh(z) ** 2),
    "exp": (np.exp, lambda z, g: g * np.exp(z)),
    "gelu": (lambda z: z * 0.5 * (1 + _erf(z / math.sqrt(2))),
             lambda z, g: g * (0.5 * (1 + _erf(z / math.sqrt(2))) + z * _phi(z))),
    "softmax": (
        lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True),
        lambda z, g: np.stack([
            gi @ (np.diag(s) - np.outer(s, s))
            for gi, s in zip(g, np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))
        ]),
    ),
}
FACTORIES = {"identity": Identity, "logistic": Logistic, "tanh": Tanh,
             "exp": Exp, "gelu": GELU, "softmax": Softmax}


def _y_for(name, a_shape, rng):
    n, k = a_shape
    if name == "squared_error":
        return rng.normal(size=a_shape)
    if name == "poisson":
        return rng.poisson(1.0, size=a_shape).astype(float)
    if name == "binary_log_loss":
        return rng.randint(0, 2, size=a_shape).astype(float)
    return np.eye(k)[rng.randint(0, k, size=n)]  # one-hot


CANONICAL = [("squared_error", "identity"), ("poisson", "exp"),
             ("binary_log_loss", "logistic"), ("log_loss", "softmax")]


@pytest.mark.parametrize(("loss_name", "act_name"), CANONICAL)
def test_canonical_pair_collapses_to_a_minus_y(loss_name, act_name):
    """loss.gradient ⊙ σ′ (components under test) equals a − y."""
    rng = np.random.RandomState(0)
    z = rng.normal(size=(N, 3))
    y = _y_for(loss_name, z.shape, rng)
    act = FACTORIES[act_name]()
    a = act.forward(z.copy(), out=np.empty_like(z))
    delta = LOSSES[loss_name]().gradient(y, a)
    delta = act.backward(z if act.derivative_needs_input else None, a, delta)
    a_ref = TEXTBOOK[act_name][0](z)
    np.testing.assert_allclose(delta, a_ref - y, rtol=1e-10, atol=1e-12)


def _output_delta_case(loss_name, act_name, n_outputs, seed, *, spare_rows=0):
    """Network.output_delta and the textbook chain rule, on one small net."""
    rng = np.random.RandomState(seed)
    n_features, n_hidden = 4, 5
    X = rng.normal(size=(N, n_features))
    W1 = rng.normal(scale=0.5, size=(n_features, n_hidden))
    b1 = rng.normal(scale=0.1, size=n_hidden)
    W2 = rng.normal(scale=0.5, size=(n_hidden, n_outputs))
    b2 = rng.normal(scale=0.1, size=n_outputs)
    network = Network([n_features, n_hidden, n_outputs], Tanh(),
                      FACTORIES[act_name]())
    workspace = Workspace(network, N + spare_rows, np.float64, training=True)
    network.forward([W1, W2], [b1, b2], X, workspace)

    z_out = np.tanh(X @ W1 + b1) @ W2 + b2
    sigma, vjp = TEXTBOOK[act_name]
    a_out = sigma(z_out)
    y = _y_for(loss_name, a_out.shape, rng)
    expected = vjp(z_out, DLOSS[loss_name](y, a_out))

    got = network.output_delta(LOSSES[loss_name](), y, workspace, N)
    assert got.shape == (N, n_outputs)
    return got, expected, a_out, y


CANONICAL_SHAPES = [(loss, act, k) for loss, act in CANONICAL for k in (1, 3)
                    if not (act == "softmax" and k == 1)]  # softmax: ≥ 2 classes


@pytest.mark.parametrize(("loss_name", "act_name", "n_outputs"), CANONICAL_SHAPES,
                         ids=[f"{loss}+{act}-{k}" for loss, act, k in CANONICAL_SHAPES])
def test_network_output_delta_canonical(loss_name, act_name, n_outputs):
    got, expected, a_out, y = _output_delta_case(loss_name, act_name, n_outputs,
                                                 seed=1, spare_rows=3)
    # The general chain rule (textbook) and the shortcut agree ...
    np.testing.assert_allclose(expected, a_out - y, rtol=1e-9, atol=1e-12)
    # ... and the network's δᴸ is that value.
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


NON_CANONICAL = [
    ("squared_error", "logistic", 1),
    ("squared_error", "logistic", 3),
    ("squared_error", "softmax", 3),
    ("squared_error", "tanh", 2),
    ("squared_error", "exp", 2),
    ("squared_error", "gelu", 2),  # needs z: exercises the kept pre-activation
    ("binary_log_loss", "softmax", 3),
    ("log_loss", "logistic", 3),
    ("poisson", "softmax", 3),
]


@pytest.mark.parametrize(("loss_name", "act_name", "n_outputs"), NON_CANONICAL,
                         ids=[f"{loss}+{act}-{k}" for loss, act, k in NON_CANONICAL])
def test_network_output_delta_general_chain_rule(loss_name, act_name, n_outputs):
    got, expected, a_out, y = _output_delta_case(loss_name, act_name, n_outputs,
                                                 seed=2, spare_rows=2)
    # The shortcut would be wrong here, so the test tells the branches apart.
    assert np.max(np.abs(expected - (a_out - y))) > 1e-2
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
