"""Losses: values against scikit-learn, gradients against finite differences,
and the canonical-link shortcut δᴸ = a − y against the general chain rule.

Reference values come from ``sklearn.neural_network._base.LOSS_FUNCTIONS``,
central finite differences, or formulas written out in this file.
Everything the tests expect of one loss is its entry in :data:`TABLE`, keyed
by registry name; a test checks that the table and the registry list the
same names, so a new loss is its class plus one entry here.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from numpy.typing import NDArray
from sklearn.neural_network._base import LOSS_FUNCTIONS

from skmlp._network import Network, Workspace
from skmlp.activations import ACTIVATIONS, Tanh
from skmlp.losses import LOSSES, BinaryLogLoss, LogLoss, PoissonLoss, SquaredError

N = 9


def _poisson_targets(rng, shape):
    y = rng.poisson(1.5, size=shape).astype(float)
    y[0] = 0.0  # exercise y log y at y = 0
    return y


def _binary_targets(rng, shape):
    return rng.randint(0, 2, size=shape).astype(float)


def _class_targets(rng, shape):
    """One-hot rows; one column holds the positive class (binary)."""
    n, k = shape
    return _binary_targets(rng, shape) if k == 1 else np.eye(k)[rng.randint(0, k, n)]


def _probabilities(rng, shape):
    return rng.uniform(0.05, 0.95, size=shape)


def _class_probabilities(rng, shape):
    """Softmax rows; one column holds P(class 1)."""
    if shape[1] == 1:
        return _probabilities(rng, shape)
    logits = rng.normal(size=shape)
    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def _poisson_per_sample(y, a):
    ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / a), 0.0)
    return (ylogy - y + a).sum(axis=1)


@dataclass(frozen=True)
class Expected:
    """What the tests expect of one loss: its entry in :data:`TABLE`."""

    #: Name of the output activation for which δᴸ = a − y.
    canonical_activation: str
    #: Random targets, then predictions, of a shape, in the loss's domain.
    targets: Callable[[np.random.RandomState, tuple[int, int]], NDArray]
    predictions: Callable[[np.random.RandomState, tuple[int, int]], NDArray]
    #: The loss of every sample, written out (unweighted).
    per_sample: Callable[[NDArray, NDArray], NDArray]
    #: Textbook ∂ℓ/∂a (squared error: of ℓ = ½ Σ_k (a − y)²).
    dloss: Callable[[NDArray, NDArray], NDArray]
    #: Output counts whose gradient is checked by finite differences.
    gradient_outputs: tuple[int, ...] = (1, 3)


#: Every loss's expectations, by registry name.
TABLE: dict[str, Expected] = {
    "squared_error": Expected(
        "identity",
        targets=lambda rng, shape: rng.normal(size=shape),
        predictions=lambda rng, shape: rng.normal(size=shape),
        per_sample=lambda y, a: 0.5 * ((y - a) ** 2).mean(axis=1),
        dloss=lambda y, a: a - y,
    ),
    "poisson": Expected(
        "exp",
        targets=_poisson_targets,
        predictions=lambda rng, shape: np.exp(rng.normal(scale=0.5, size=shape)),
        per_sample=_poisson_per_sample,
        dloss=lambda y, a: 1 - y / a,
    ),
    "binary_log_loss": Expected(
        "logistic",
        targets=_binary_targets,
        predictions=_probabilities,
        per_sample=lambda y, a: -(y * np.log(a) + (1 - y) * np.log(1 - a)).sum(axis=1),
        dloss=lambda y, a: (a - y) / (a * (1 - a)),
    ),
    "log_loss": Expected(
        "softmax",
        targets=_class_targets,
        predictions=_class_probabilities,
        per_sample=lambda y, a: -(y * np.log(a)).sum(axis=1),
        dloss=lambda y, a: -y / a,
        # A single probability column: ``value`` expands it to (1 − a, a) as
        # scikit-learn does, so its gradient must be that of binary
        # cross-entropy.
        gradient_outputs=(3, 1),
    ),
}


def _targets_and_predictions(name, n_outputs, seed, dtype=np.float64):
    """Random (y, a) in the domain of loss ``name``."""
    rng = np.random.RandomState(seed)
    shape = (N, n_outputs)
    y = TABLE[name].targets(rng, shape)
    a = TABLE[name].predictions(rng, shape)
    return y.astype(dtype), a.astype(dtype)


def test_table_lists_every_loss():
    assert set(TABLE) == set(LOSSES)


def test_registry():
    assert set(LOSSES) == set(LOSS_FUNCTIONS)
    assert LOSSES["squared_error"] is SquaredError
    assert LOSSES["poisson"] is PoissonLoss
    assert LOSSES["binary_log_loss"] is BinaryLogLoss
    assert LOSSES["log_loss"] is LogLoss
    canonical = {name: cls.canonical_activation for name, cls in LOSSES.items()}
    assert canonical == {name: e.canonical_activation for name, e in TABLE.items()}
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
    per_sample = TABLE[name].per_sample(y, a)
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


GRADIENT_CASES = [(name, k) for name, e in TABLE.items() for k in e.gradient_outputs]


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


def _phi(z):
    return np.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)


_erf = np.vectorize(math.erf, otypes=[float])

# The output activations these tests pair with losses: textbook σ(z) and the
# vector-Jacobian product g ↦ g · ∂σ/∂z, row by row.
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


CANONICAL = [(name, e.canonical_activation) for name, e in TABLE.items()]


@pytest.mark.parametrize(("loss_name", "act_name"), CANONICAL)
def test_canonical_pair_collapses_to_a_minus_y(loss_name, act_name):
    """loss.gradient ⊙ σ′ (components under test) equals a − y."""
    rng = np.random.RandomState(0)
    z = rng.normal(size=(N, 3))
    y = TABLE[loss_name].targets(rng, z.shape)
    act = ACTIVATIONS[act_name]()
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
                      ACTIVATIONS[act_name]())
    workspace = Workspace(network, N + spare_rows, np.float64, training=True)
    network.forward([W1, W2], [b1, b2], X, workspace)

    z_out = np.tanh(X @ W1 + b1) @ W2 + b2
    sigma, vjp = TEXTBOOK[act_name]
    a_out = sigma(z_out)
    y = TABLE[loss_name].targets(rng, a_out.shape)
    expected = vjp(z_out, TABLE[loss_name].dloss(y, a_out))

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
