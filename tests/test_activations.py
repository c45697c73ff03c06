"""Activations: forward against textbook formulas, backward against finite
differences, in-place use, float32 preservation, numerical stability and
the declared output bounds.

Every expected value is computed here from scalar ``math`` formulas or central
finite differences of ``forward``; nothing is taken from the code under test.
Everything the tests expect of one activation is its entry in :data:`TABLE`,
keyed by registry name; a test checks that the table and the registry list
the same names, so a new activation is its class plus one entry here.
"""

import math
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from skmlp.activations import (
    ACTIVATIONS,
    ELU,
    HIDDEN_ACTIVATIONS,
    Activation,
    Exp,
    Identity,
    LeakyReLU,
    Logistic,
    ReLU,
    Softmax,
)

# -- textbook formulas (scalar, pure ``math``) -------------------------------


def _logistic(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _leaky(z, negative_slope):
    return z if z > 0 else negative_slope * z


def _elu(z, alpha):
    return z if z > 0 else alpha * math.expm1(z)


def _gelu_exact(z):
    return 0.5 * z * (1.0 + math.erf(z / math.sqrt(2.0)))


def _gelu_tanh(z):
    inner = math.sqrt(2.0 / math.pi) * (z + 0.044715 * z**3)
    return 0.5 * z * (1.0 + math.tanh(inner))


def _gelu(z, approximate):
    return _gelu_tanh(z) if approximate == "tanh" else _gelu_exact(z)


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


@dataclass(frozen=True)
class Expected:
    """What the tests expect of one activation: its entry in :data:`TABLE`."""

    #: The textbook σ from ``math``: a scalar function of ``z`` and the
    #: activation's hyperparameters, or (``elementwise=False``) a function
    #: of a 2-D float64 array.
    formula: Callable[..., Any]
    #: Hyperparameters tested besides the defaults.
    variants: tuple[dict[str, Any], ...] = ()
    elementwise: bool = True
    #: A kink at 0: finite differences stay away from it.
    kinked: bool = False
    #: Whether it may be used in hidden layers.
    hidden: bool = True
    #: Whether its derivative needs the pre-activation z.
    needs_input: bool = False
    #: For activations that stay finite for |z| = 1000: the derivative's
    #: limits at z → −∞ and z → +∞.
    limits: tuple[float, float] | None = None


#: Every activation's expectations, by registry name.
TABLE: dict[str, Expected] = {
    "identity": Expected(lambda z: z),
    "logistic": Expected(_logistic, limits=(0.0, 0.0)),
    "tanh": Expected(math.tanh, limits=(0.0, 0.0)),
    "relu": Expected(lambda z: max(0.0, z), kinked=True),
    "leaky_relu": Expected(_leaky, variants=({"negative_slope": 0.2},
                                             {"negative_slope": 0.0}),
                           kinked=True),
    "elu": Expected(_elu, variants=({"alpha": 0.5}, {"alpha": 2.5}), kinked=True,
                    limits=(0.0, 1.0)),
    "gelu": Expected(_gelu, variants=({"approximate": "tanh"},), needs_input=True,
                     limits=(0.0, 1.0)),
    "softmax": Expected(_softmax_rows, elementwise=False, hidden=False),
    "exp": Expected(math.exp, hidden=False),
}

#: (name, hyperparameters): every activation at its defaults and variants.
CASES = [(name, kwargs) for name, e in TABLE.items()
         for kwargs in ({}, *e.variants)]
IDS = [name + "".join(f"-{k}={v}" for k, v in kwargs.items())
       for name, kwargs in CASES]


def _make(case):
    """The activation of a case, and its textbook forward on 2-D arrays."""
    name, kwargs = case
    act = ACTIVATIONS[name](**kwargs)
    expected = TABLE[name]
    params = act.get_params()
    if expected.elementwise:
        reference = _elementwise(lambda z: expected.formula(z, **params))
    else:
        reference = expected.formula
    return act, reference


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


def test_table_lists_every_activation():
    assert set(TABLE) == set(ACTIVATIONS)


def test_hidden_activations_come_from_the_declarations():
    for name, cls in ACTIVATIONS.items():
        assert cls.hidden is TABLE[name].hidden, name
    # softmax and exp are output-only; the order is the registry's.
    assert HIDDEN_ACTIVATIONS == tuple(n for n in ACTIVATIONS if TABLE[n].hidden)
    assert not {"softmax", "exp"} & set(HIDDEN_ACTIVATIONS)


def test_derivative_needs_input_flags():
    # Only those the table says (GELU) cannot recover σ' from the output.
    needs = {name for name, cls in ACTIVATIONS.items() if cls.derivative_needs_input}
    assert needs == {name for name, e in TABLE.items() if e.needs_input}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_matches_textbook_formula(case):
    act, reference = _make(case)
    z = _z(0)
    z[0, :3] = [0.0, -1e-9, 1e-9]  # values at / around the kink
    z_before = z.copy()
    out = np.empty_like(z)
    result = act.forward(z, out=out)
    assert result is out
    np.testing.assert_array_equal(z, z_before)  # z untouched out of place
    np.testing.assert_allclose(result, reference(z), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_backward_matches_finite_differences(case):
    act, _ = _make(case)
    expected_of = TABLE[case[0]]
    z = _z(1, avoid_zero=expected_of.kinked)
    upstream = np.random.RandomState(2).normal(size=z.shape)
    h = 1e-6

    def f(zz):
        return act.forward(zz.copy(), out=np.empty_like(zz))

    if expected_of.elementwise:
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


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_in_place_equals_out_of_place(case):
    act, _ = _make(case)
    z = _z(3)
    expected = act.forward(z, out=np.empty_like(z))
    buffer = z.copy()
    result = act.forward(buffer, out=buffer)
    assert result is buffer
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("in_place", [False, True], ids=["out", "inplace"])
def test_float32_is_preserved(case, in_place):
    act, reference = _make(case)
    z64 = _z(4, avoid_zero=TABLE[case[0]].kinked)
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


#: The cases that must stay finite for |z| = 1000.
STABLE = [case for case in CASES if TABLE[case[0]].limits is not None]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", STABLE,
                         ids=[IDS[CASES.index(case)] for case in STABLE])
def test_no_overflow_on_large_inputs(case, dtype):
    act, reference = _make(case)
    z = np.array([[-1000.0, -900.0, -1.0, 0.0, 1.0, 900.0, 1000.0]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = act.forward(z.copy(), out=np.empty_like(z))
        delta = _backward(act, z.copy(), a.copy(), np.ones_like(z))
    assert a.dtype == delta.dtype == dtype
    assert np.isfinite(a).all()
    assert np.isfinite(delta).all()
    np.testing.assert_allclose(a, reference(z), rtol=1e-6, atol=1e-6)
    left, right = TABLE[case[0]].limits
    np.testing.assert_allclose(delta[0, [0, 1]], left, atol=1e-6)
    np.testing.assert_allclose(delta[0, [-2, -1]], right, atol=1e-6)


#: Input bounds B of the output-bound tests: z is drawn in [−B, B].
INPUT_BOUNDS = [1e-3, 1.0, 50.0, 700.0]


def _within(input_bound, dtype, seed=0):
    """z uniform in [−B, B] with ±B and 0 included, in ``dtype``, and the
    largest |z| (which rounding to float32 may move just past B)."""
    z = np.random.RandomState(seed).uniform(-input_bound, input_bound, (300, 4))
    z[0] = [-input_bound, input_bound, 0.0, -input_bound]
    z[1] = [input_bound, input_bound, -input_bound, input_bound]
    z = z.astype(dtype)
    return z, float(np.abs(z).max())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("input_bound", INPUT_BOUNDS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_output_bound_holds(case, input_bound, dtype):
    act, _ = _make(case)
    z, input_bound = _within(input_bound, dtype)
    bound = act.output_bound(input_bound)
    assert bound is not None  # every built-in declares one
    assert math.isfinite(bound)  # e^700 is still a float64
    if bound > float(np.finfo(dtype).max):
        return  # float32 outputs overflow, as the bound says they may
    for out in (np.empty_like(z), z):  # how the network calls it: also in place
        a = act.forward(z, out=out)
        assert np.all(np.abs(a) <= bound), (np.abs(a).max(), bound)


def test_output_bound_overflows_to_inf_without_raising():
    assert Exp().output_bound(710.0) == math.inf
    assert Exp().output_bound(math.inf) == math.inf
    assert Identity().output_bound(math.inf) == math.inf
    assert Logistic().output_bound(math.inf) == 1.0


class _Custom(Activation):
    """A user's activation that says nothing about its outputs."""

    def forward(self, z, out):
        return np.sinh(z, out=out)

    def backward(self, z, a, delta):
        return delta


def test_custom_activation_has_no_bound_and_is_hidden():
    assert _Custom().output_bound(1.0) is None
    assert _Custom.hidden and _Custom.name is None


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


@pytest.mark.parametrize("name, temporaries", [
    ("relu", "mask"),  # faster than writing the mask into ``a``
    ("leaky_relu", "mask and layer"),  # the mask, then the slopes
    ("logistic", "layer"), ("tanh", "layer"),
])
def test_backward_allocates_at_most_one_temporary(name, temporaries):
    """A backward pass allocates at most one array of the layer's size
    (1.6 MB here) and a boolean mask (200 KB), besides NumPy's ufunc buffers
    (64 KB, and up to 32 KB more of bookkeeping on NumPy 2.2). The layer is
    large enough that any other array of its size shows above that."""
    act = ACTIVATIONS[name]()
    z = _z(7, shape=(2000, 100))
    a = act.forward(z.copy(), out=np.empty_like(z))
    delta = np.ones_like(z)
    tracemalloc.start()
    try:
        act.backward(None, a, delta)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    allowed = {"mask": z.size, "layer": z.nbytes,
               "mask and layer": z.size + z.nbytes}[temporaries]
    assert peak < 8 * np.getbufsize() + 32_768 + allowed
