"""Activations: forward against textbook formulas, backward against finite
differences, in-place use, float32 preservation and numerical stability.

Every expected value is computed here from scalar ``math`` formulas or central
finite differences of ``forward``; nothing is taken from the code under test.
"""

import math

import numpy as np
import pytest

from skmlp.activations import (
    ACTIVATIONS,
    ELU,
    GELU,
    HIDDEN_ACTIVATIONS,
    Exp,
    Identity,
    LeakyReLU,
    Logistic,
    ReLU,
    Softmax,
    Tanh,
)

# -- textbook formulas (scalar, pure ``math``) -------------------------------


def _logistic(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _leaky(s):
    return lambda z: z if z > 0 else s * z


def _elu(alpha):
    return lambda z: z if z > 0 else alpha * math.expm1(z)


def _gelu_exact(z):
    return 0.5 * z * (1.0 + math.erf(z / math.sqrt(2.0)))


def _gelu_tanh(z):
    inner = math.sqrt(2.0 / math.pi) * (z + 0.044715 * z**3)
    return 0.5 * z * (1.0 + math.tanh(inner))


def _softmax_rows(z):
    out = np.empty_like(z, dtype=np.float64)
    for i, row in enumerate(z.astype(np.float64)):
        m = max(row)
        e = [math.exp(v - m) for v in row]
        s = math.fsum(e)
        out[i] = [v / s for v in e]
    return out


def _elementwise(f):
    def apply(z):
        return np.vectorize(f, otypes=[np.float64])(z.astype(np.float64))

    return apply


# (id, factory, reference forward on a 2-D float64 array, elementwise?, kinked?)
CASES = [
    ("identity", Identity, _elementwise(lambda z: z), True, False),
    ("logistic", Logistic, _elementwise(_logistic), True, False),
    ("tanh", Tanh, _elementwise(math.tanh), True, False),
    ("relu", ReLU, _elementwise(lambda z: max(0.0, z)), True, True),
    ("leaky_relu", LeakyReLU, _elementwise(_leaky(0.01)), True, True),
    ("leaky_relu_0.2", lambda: LeakyReLU(negative_slope=0.2),
     _elementwise(_leaky(0.2)), True, True),
    ("leaky_relu_0", lambda: LeakyReLU(negative_slope=0.0),
     _elementwise(_leaky(0.0)), True, True),
    ("elu", ELU, _elementwise(_elu(1.0)), True, True),
    ("elu_0.5", lambda: ELU(alpha=0.5), _elementwise(_elu(0.5)), True, True),
    ("elu_2.5", lambda: ELU(alpha=2.5), _elementwise(_elu(2.5)), True, True),
    ("gelu", GELU, _elementwise(_gelu_exact), True, False),
    ("gelu_tanh", lambda: GELU(approximate="tanh"), _elementwise(_gelu_tanh),
     True, False),
    ("softmax", Softmax, _softmax_rows, False, False),
    ("exp", Exp, _elementwise(math.exp), True, False),
]
IDS = [c[0] for c in CASES]


def _z(seed, shape=(6, 5), *, avoid_zero=False, scale=2.0):
    z = np.random.RandomState(seed).normal(scale=scale, size=shape)
    if avoid_zero:
        # Keep finite differences away from the kink at 0.
        z = np.where(np.abs(z) < 0.05, np.sign(z) * 0.05 + z, z)
        z[z == 0] = 0.3
    return z


def _backward(act, z, a, delta):
    """Call backward as the network does (z only when it is needed)."""
    return act.backward(z if act.derivative_needs_input else None, a, delta)


def test_every_registered_activation_is_covered():
    covered = {type(factory()) for _, factory, *_ in CASES}
    assert set(ACTIVATIONS.values()) <= covered
    assert set(HIDDEN_ACTIVATIONS) <= set(ACTIVATIONS)


def test_derivative_needs_input_flags():
    # Only GELU's derivative cannot be recovered from its output.
    needs = {name for name, cls in ACTIVATIONS.items() if cls.derivative_needs_input}
    assert needs == {"gelu"}


@pytest.mark.parametrize(("name", "factory", "reference", "elementwise", "kinked"),
                         CASES, ids=IDS)
def test_forward_matches_textbook_formula(name, factory, reference, elementwise,
                                          kinked):
    act = factory()
    z = _z(0)
    z[0, :3] = [0.0, -1e-9, 1e-9]  # values at / around the kink
    z_before = z.copy()
    out = np.empty_like(z)
    result = act.forward(z, out=out)
    assert result is out
    np.testing.assert_array_equal(z, z_before)  # z untouched out of place
    np.testing.assert_allclose(result, reference(z), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(("name", "factory", "reference", "elementwise", "kinked"),
                         CASES, ids=IDS)
def test_backward_matches_finite_differences(name, factory, reference, elementwise,
                                             kinked):
    act = factory()
    z = _z(1, avoid_zero=kinked)
    upstream = np.random.RandomState(2).normal(size=z.shape)
    h = 1e-6

    def f(zz):
        return act.forward(zz.copy(), out=np.empty_like(zz))

    if elementwise:
        derivative = (f(z + h) - f(z - h)) / (2 * h)
        expected = upstream * derivative
    else:
        # Full vector-Jacobian product: ∂(Σ upstream ⊙ σ(z)) / ∂z_ij.
        expected = np.empty_like(z)
        for idx in np.ndindex(z.shape):
            zp, zm = z.copy(), z.copy()
            zp[idx] += h
            zm[idx] -= h
            expected[idx] = np.sum(upstream * (f(zp) - f(zm))) / (2 * h)

    a = f(z)
    delta = upstream.copy()
    result = _backward(act, z.copy(), a, delta)
    assert result is delta
    np.testing.assert_allclose(result, expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize(("name", "factory", "reference", "elementwise", "kinked"),
                         CASES, ids=IDS)
def test_forward_in_place_equals_out_of_place(name, factory, reference,
                                              elementwise, kinked):
    act = factory()
    z = _z(3)
    expected = act.forward(z, out=np.empty_like(z))
    buffer = z.copy()
    result = act.forward(buffer, out=buffer)
    assert result is buffer
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize(("name", "factory", "reference", "elementwise", "kinked"),
                         CASES, ids=IDS)
@pytest.mark.parametrize("in_place", [False, True], ids=["out", "inplace"])
def test_float32_is_preserved(name, factory, reference, elementwise, kinked,
                              in_place):
    act = factory()
    z64 = _z(4, avoid_zero=kinked)
    z32 = z64.astype(np.float32)
    out = z32.copy() if in_place else np.empty_like(z32)
    a32 = act.forward(out if in_place else z32, out=out)
    assert a32.dtype == np.float32
    np.testing.assert_allclose(a32, reference(z32), rtol=2e-6, atol=1e-6)

    upstream = np.random.RandomState(5).normal(size=z64.shape)
    delta32 = upstream.astype(np.float32)
    a64 = act.forward(z32.astype(np.float64), out=np.empty_like(z64))
    expected = _backward(act, z32.astype(np.float64), a64,
                         upstream.astype(np.float32).astype(np.float64))
    result = _backward(act, z32.copy(), a32, delta32)
    assert result.dtype == np.float32
    assert result is delta32
    np.testing.assert_allclose(result, expected, rtol=2e-5, atol=2e-6)


# Activations that must stay finite for |z| = 1000, with their derivative's
# limits at z → −∞ and z → +∞.
STABLE = {
    "logistic": (0.0, 0.0),
    "tanh": (0.0, 0.0),
    "elu": (0.0, 1.0),
    "elu_2.5": (0.0, 1.0),
    "gelu": (0.0, 1.0),
    "gelu_tanh": (0.0, 1.0),
}
_BY_ID = {c[0]: c for c in CASES}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(STABLE))
def test_no_overflow_on_large_inputs(name, dtype):
    _, factory, reference, _, _ = _BY_ID[name]
    act = factory()
    z = np.array([[-1000.0, -900.0, -1.0, 0.0, 1.0, 900.0, 1000.0]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = act.forward(z.copy(), out=np.empty_like(z))
        delta = _backward(act, z.copy(), a, np.ones_like(z))
    assert a.dtype == delta.dtype == dtype
    assert np.isfinite(a).all()
    assert np.isfinite(delta).all()
    np.testing.assert_allclose(a, reference(z), rtol=1e-6, atol=1e-6)
    left, right = STABLE[name]
    np.testing.assert_allclose(delta[0, [0, 1]], left, atol=1e-6)
    np.testing.assert_allclose(delta[0, [-2, -1]], right, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_no_overflow_on_large_inputs(dtype):
    act = Softmax()
    z = np.array([[-1000.0, 0.0, 1000.0], [1000.0, 1000.0, -1000.0],
                  [-1000.0, -1000.0, -1000.0]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = act.forward(z.copy(), out=np.empty_like(z))
        delta = act.backward(None, a, np.arange(9, dtype=dtype).reshape(3, 3))
    assert a.dtype == dtype
    np.testing.assert_allclose(
        a, [[0, 0, 1], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6, atol=1e-7
    )
    assert np.isfinite(delta).all()
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-6)


def test_softmax_backward_matches_explicit_jacobian():
    # ∂a_k/∂z_j = a_k(δ_kj − a_j), written out as a matrix per row.
    z = _z(6, shape=(4, 3))
    upstream = np.random.RandomState(7).normal(size=z.shape)
    a = _softmax_rows(z)
    expected = np.stack([
        g @ (np.diag(row) - np.outer(row, row)) for g, row in zip(upstream, a)
    ])
    result = Softmax().backward(None, a.copy(), upstream.copy())
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-14)


def test_relu_family_derivative_at_kink_is_left_derivative():
    # The documented convention: the derivative at z = 0 is taken from z ≤ 0.
    z = np.zeros((1, 1))
    for act, slope in [(ReLU(), 0.0), (LeakyReLU(negative_slope=0.3), 0.3),
                       (ELU(alpha=2.0), 2.0)]:
        a = act.forward(z.copy(), out=np.empty_like(z))
        delta = act.backward(None, a, np.ones_like(z))
        assert delta[0, 0] == pytest.approx(slope)
