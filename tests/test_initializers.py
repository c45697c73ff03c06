"""Weight initialisers: scikit-learn parity, distribution scale, zero biases,
dtypes and determinism.

References: scikit-learn's ``BaseMultilayerPerceptron._init_coef`` (called on
a real scikit-learn estimator) and the published Glorot / He formulas.
Everything the tests expect of one initialiser is its entry in
:data:`TABLE`, keyed by registry name; a test checks that the table and the
registry list the same names, so a new initialiser is its class plus one
entry here.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skmlp import MLPClassifierBP
from skmlp.activations import ACTIVATIONS
from skmlp.initializers import (
    INITIALIZERS,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    Initializer,
    SklearnGlorotUniform,
)

LAYER_UNITS = [6, 9, 4, 3]


@dataclass(frozen=True)
class Expected:
    """What the tests expect of one initialiser: its entry in :data:`TABLE`."""

    #: The weights' distribution: ``"uniform"`` in ±scale or ``"normal"``
    #: with standard deviation scale.
    kind: str
    #: The scale for (fan_in, fan_out, hidden activation name).
    scale: Callable[[int, int, str], float]
    #: Whether the biases are zero (else drawn like the weights).
    zero_biases: bool = True


#: Every initialiser's expectations, by registry name.
TABLE: dict[str, Expected] = {
    "sklearn": Expected(
        "uniform",
        lambda i, o, act: math.sqrt((2.0 if act == "logistic" else 6.0) / (i + o)),
        zero_biases=False,
    ),
    "glorot_uniform": Expected("uniform", lambda i, o, act: math.sqrt(6.0 / (i + o))),
    "glorot_normal": Expected("normal", lambda i, o, act: math.sqrt(2.0 / (i + o))),
    "he_uniform": Expected("uniform", lambda i, o, act: math.sqrt(6.0 / i)),
    "he_normal": Expected("normal", lambda i, o, act: math.sqrt(2.0 / i)),
}


def _draw(initializer, fan_in, fan_out, activation="relu", seed=0,
          dtype=np.float64, random_state=None):
    rs = random_state if random_state is not None else np.random.RandomState(seed)
    return initializer(fan_in, fan_out, activation=ACTIVATIONS[activation](),
                       random_state=rs, dtype=dtype)


def test_table_lists_every_initializer():
    assert set(TABLE) == set(INITIALIZERS)


def test_registry():
    assert INITIALIZERS == {
        "sklearn": SklearnGlorotUniform,
        "glorot_uniform": GlorotUniform,
        "glorot_normal": GlorotNormal,
        "he_uniform": HeUniform,
        "he_normal": HeNormal,
    }


@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", ["relu", "logistic", "tanh", "identity"])
def test_sklearn_rule_reproduces_sklearn_draws(activation, dtype, estimator):
    reference = estimator(activation=activation)
    reference._random_state = np.random.RandomState(42)
    ours = SklearnGlorotUniform()
    rs = np.random.RandomState(42)
    for fan_in, fan_out in pairwise(LAYER_UNITS):
        coef_ref, intercept_ref = reference._init_coef(fan_in, fan_out, dtype)
        coef, intercept = _draw(ours, fan_in, fan_out, activation,
                                random_state=rs, dtype=dtype)
        assert coef.dtype == intercept.dtype == dtype
        assert coef.shape == (fan_in, fan_out)
        assert intercept.shape == (fan_out,)
        np.testing.assert_array_equal(coef, coef_ref)
        np.testing.assert_array_equal(intercept, intercept_ref)
    # Both consumed the stream identically: the next draws agree too.
    assert rs.uniform() == reference._random_state.uniform()


@pytest.mark.parametrize("activation", ["relu", "logistic"])
def test_sklearn_rule_bounds(activation):
    fan_in, fan_out = 300, 500
    bound = TABLE["sklearn"].scale(fan_in, fan_out, activation)
    assert bound == math.sqrt((2.0 if activation == "logistic" else 6.0) / 800)
    coef, intercept = _draw(SklearnGlorotUniform(), fan_in, fan_out, activation)
    for values in (coef, intercept):
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.95 * bound
    assert np.count_nonzero(intercept) == fan_out  # biases are drawn too


@pytest.mark.parametrize("name", sorted(TABLE))
def test_distribution_scale(name):
    kind, scale = TABLE[name].kind, TABLE[name].scale
    fan_in, fan_out = 300, 700  # unequal, so fan_in/fan_out mix-ups show
    coef, _ = _draw(INITIALIZERS[name](), fan_in, fan_out, "relu", seed=1)
    n = coef.size
    s = scale(fan_in, fan_out, "relu")
    if kind == "uniform":
        std = s / math.sqrt(3.0)
        assert np.abs(coef).max() <= s
        assert np.abs(coef).max() > 0.999 * s
        within_one_std = 1 / math.sqrt(3.0)
    else:
        std = s
        within_one_std = math.erf(1 / math.sqrt(2))  # ≈ 0.6827
        assert np.abs(coef).max() > 3.5 * std  # not truncated at ±2σ
    # Mean: within 5 standard errors of 0; std: within 1 % (≈ 6 SE).
    assert abs(coef.mean()) < 5 * std / math.sqrt(n)
    assert coef.std() == pytest.approx(std, rel=0.01)
    # The shape of the distribution: uniform (57.7 %) vs normal (68.3 %).
    assert np.mean(np.abs(coef) < std) == pytest.approx(within_one_std, abs=0.006)


@pytest.mark.parametrize("activation", ["relu", "logistic", "gelu"])
@pytest.mark.parametrize("name", sorted(TABLE))
def test_biases_and_dependence_on_the_activation(name, activation):
    init, expected = INITIALIZERS[name](), TABLE[name]
    coef, intercept = _draw(init, 5, 7, activation, seed=3)
    assert intercept.shape == (7,)
    if expected.zero_biases:
        np.testing.assert_array_equal(intercept, 0.0)
    else:
        assert np.count_nonzero(intercept) == 7
    # Same draws as for ReLU, rescaled when the scale depends on the
    # activation ("sklearn" for logistic), identical otherwise.
    coef_relu, _ = _draw(init, 5, 7, "relu", seed=3)
    ratio = expected.scale(5, 7, activation) / expected.scale(5, 7, "relu")
    if ratio == 1:
        np.testing.assert_array_equal(coef, coef_relu)
    else:
        np.testing.assert_allclose(coef, ratio * coef_relu, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_dtype_shape_and_determinism(name, dtype):
    init = INITIALIZERS[name]()
    coef, intercept = _draw(init, 8, 5, seed=7, dtype=dtype)
    assert coef.dtype == dtype and intercept.dtype == dtype
    assert coef.shape == (8, 5) and intercept.shape == (5,)
    assert np.isfinite(coef).all() and np.isfinite(intercept).all()

    again_coef, again_intercept = _draw(init, 8, 5, seed=7, dtype=dtype)
    np.testing.assert_array_equal(coef, again_coef)
    np.testing.assert_array_equal(intercept, again_intercept)

    other_coef, _ = _draw(init, 8, 5, seed=8, dtype=dtype)
    assert not np.array_equal(coef, other_coef)

    # float32 is the float64 draw, rounded: the stream does not depend on dtype.
    coef64, intercept64 = _draw(init, 8, 5, seed=7, dtype=np.float64)
    np.testing.assert_array_equal(coef, coef64.astype(dtype))
    np.testing.assert_array_equal(intercept, intercept64.astype(dtype))


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_consecutive_layers_use_fresh_draws(name):
    rs = np.random.RandomState(0)
    first, _ = _draw(INITIALIZERS[name](), 4, 4, random_state=rs)
    second, _ = _draw(INITIALIZERS[name](), 4, 4, random_state=rs)
    assert not np.array_equal(first, second)


class _Broken(Initializer):
    """Returns whatever it was built with, whatever the layer."""

    def __init__(self, result=None):
        self.result = result

    def __call__(self, fan_in, fan_out, *, activation, random_state, dtype):
        return self.result(fan_in, fan_out)


@pytest.mark.parametrize("result, message", [
    (lambda i, o: (np.zeros((o, i)), np.zeros(o)),
     r"shapes \(4, 3\) and \(4,\) for layer 0; expected \(3, 4\) and \(4,\)"),
    (lambda i, o: (np.zeros((i, o)), np.zeros(i)),
     r"shapes \(3, 4\) and \(3,\) for layer 0"),
    (lambda i, o: (np.full((i, o), np.nan), np.zeros(o)),
     r"non-finite values for layer 0"),
    (lambda i, o: np.zeros((i, o)), r"must return \(coef, intercept\)"),
    (lambda i, o: None, r"must return \(coef, intercept\)"),
])
def test_custom_initializer_output_is_checked(result, message):
    """A custom initialiser returning the wrong thing gets an error naming
    weight_init, the layer and the shapes, and leaves a fitted model as it
    was."""
    X = np.random.default_rng(0).standard_normal((20, 3))
    y = np.arange(20) % 2
    clf = MLPClassifierBP(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    before = [c.copy() for c in clf.coefs_]
    clf.set_params(weight_init=_Broken(result))
    with pytest.raises(ValueError, match="weight_init") as info:
        clf.fit(X, y)
    assert info.match(message)
    for ours, theirs in zip(clf.coefs_, before):
        np.testing.assert_array_equal(ours, theirs)
