"""Tests of the optimizer catalogue (:mod:`skmlp.optimizers`).

Every update rule is checked against a reference written here, straight from
the formula in plain out-of-place NumPy, independently of the in-place
implementation; scikit-learn's own optimizers are the reference for the
defaults of ``SGD`` and ``Adam``.
"""

from __future__ import annotations

import pickle
import re
import tracemalloc
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skmlp import MLPClassifierBP
from skmlp._params import resolve
from skmlp.optimizers import (
    OPTIMIZERS,
    SGD,
    AdaGrad,
    Adam,
    AdamW,
    NAdam,
    Optimizer,
    RMSProp,
)

# --------------------------------------------------------------------------
# Hand-derived references: one function per rule, written from the formula.
# Each takes the start point, the gradient sequence and the learning rates,
# and returns the parameters after every step.
# --------------------------------------------------------------------------


def ref_sgd(theta, grads, lrs, momentum=0.9, nesterovs_momentum=True,
            momentum_form="classical"):
    out, v = [], np.zeros_like(theta)
    for g, lr in zip(grads, lrs):
        if momentum_form == "classical":
            v = momentum * v - lr * g
            theta = theta + (momentum * v - lr * g if nesterovs_momentum else v)
        else:
            v = momentum * v + (1 - momentum) * g
            d = momentum * v + (1 - momentum) * g if nesterovs_momentum else v
            theta = theta - lr * d
        out.append(theta)
    return out


def ref_adagrad(theta, grads, lrs, epsilon=1e-8, initial_accumulator_value=0.0):
    out, G = [], np.full_like(theta, initial_accumulator_value)
    for g, lr in zip(grads, lrs):
        G = G + g**2
        theta = theta - lr * g / (np.sqrt(G) + epsilon)
        out.append(theta)
    return out


def ref_rmsprop(theta, grads, lrs, rho=0.9, rmsprop_momentum=0.0, centered=False,
                epsilon=1e-8):
    out = []
    s, gbar, buf = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    for g, lr in zip(grads, lrs):
        s = rho * s + (1 - rho) * g**2
        if centered:
            gbar = rho * gbar + (1 - rho) * g
        d = g / (np.sqrt(s - gbar**2) + epsilon)
        if rmsprop_momentum > 0:
            buf = rmsprop_momentum * buf + d
            d = buf
        theta = theta - lr * d
        out.append(theta)
    return out


def ref_adadelta(theta, grads, lrs, rho=0.9, eps=1e-6):
    out, s, u = [], np.zeros_like(theta), np.zeros_like(theta)
    for g, lr in zip(grads, lrs):
        s = rho * s + (1 - rho) * g**2
        delta = np.sqrt(u + eps) / np.sqrt(s + eps) * g
        u = rho * u + (1 - rho) * delta**2
        theta = theta - lr * delta
        out.append(theta)
    return out


def _adam_direction(m, v, t, beta_1, beta_2, epsilon, epsilon_mode):
    """m̂ / denominator, or the sklearn form divided by the rate."""
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    if epsilon_mode == "sklearn":
        return np.sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (np.sqrt(v) + epsilon)
    if epsilon_mode == "outside":
        return m_hat / (np.sqrt(v_hat) + epsilon)
    assert epsilon_mode == "inside"
    return m_hat / np.sqrt(v_hat + epsilon)


def ref_adam(theta, grads, lrs, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
             epsilon_mode="sklearn", amsgrad=False, weight_decay=0.0):
    out, m, v = [], np.zeros_like(theta), np.zeros_like(theta)
    v_max = np.zeros_like(theta)
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        v_max = np.maximum(v_max, v)
        direction = _adam_direction(m, v_max if amsgrad else v, t, beta_1, beta_2,
                                    epsilon, epsilon_mode)
        theta = theta - lr * weight_decay * theta - lr * direction
        out.append(theta)
    return out


def ref_amsgrad(theta, grads, lrs, **kwargs):
    return ref_adam(theta, grads, lrs, amsgrad=True, **kwargs)


def ref_adamw(theta, grads, lrs, weight_decay=0.01, **kwargs):
    return ref_adam(theta, grads, lrs, weight_decay=weight_decay, **kwargs)


def ref_adamax(theta, grads, lrs, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    out, m, u = [], np.zeros_like(theta), np.zeros_like(theta)
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        m = beta_1 * m + (1 - beta_1) * g
        u = np.maximum(beta_2 * u, np.abs(g) + epsilon)
        theta = theta - lr / (1 - beta_1**t) * m / u
        out.append(theta)
    return out


def ref_nadam(theta, grads, lrs, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
              momentum_decay=0.004):
    def mu(t):
        return beta_1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))

    out, m, v = [], np.zeros_like(theta), np.zeros_like(theta)
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        prod = np.prod([mu(i) for i in range(1, t + 1)])
        d = np.sqrt(v / (1 - beta_2**t)) + epsilon
        theta = (theta
                 - lr * (1 - mu(t)) / (1 - prod) * g / d
                 - lr * mu(t + 1) / (1 - prod * mu(t + 1)) * m / d)
        out.append(theta)
    return out


REFERENCES = {
    "sgd": ref_sgd,
    "adagrad": ref_adagrad,
    "rmsprop": ref_rmsprop,
    "adadelta": ref_adadelta,
    "adam": ref_adam,
    "amsgrad": ref_amsgrad,
    "adamw": ref_adamw,
    "adamax": ref_adamax,
    "nadam": ref_nadam,
}

#: (name, hyperparameters) pairs checked against the references; large
#: epsilons make the placement of ε visible.
CASES = [
    ("sgd", {}),
    ("sgd", {"nesterovs_momentum": False}),
    ("sgd", {"momentum": 0.0}),
    ("sgd", {"momentum_form": "ema"}),
    ("sgd", {"momentum_form": "ema", "momentum": 0.5, "nesterovs_momentum": False}),
    ("adagrad", {}),
    ("adagrad", {"epsilon": 1e-2, "initial_accumulator_value": 0.1}),
    ("rmsprop", {}),
    ("rmsprop", {"centered": True}),
    ("rmsprop", {"rmsprop_momentum": 0.5, "epsilon": 1e-2}),
    ("rmsprop", {"rho": 0.99, "rmsprop_momentum": 0.9, "centered": True}),
    ("adadelta", {}),
    ("adadelta", {"rho": 0.5, "eps": 1e-3}),
    ("adam", {}),
    ("adam", {"epsilon_mode": "outside"}),
    ("adam", {"epsilon_mode": "inside"}),
    ("adam", {"beta_1": 0.5, "beta_2": 0.8, "epsilon": 1e-2}),
    ("adam", {"beta_1": 0.5, "beta_2": 0.8, "epsilon": 1e-2,
              "epsilon_mode": "outside"}),
    ("adam", {"beta_1": 0.5, "beta_2": 0.8, "epsilon": 1e-2,
              "epsilon_mode": "inside"}),
    ("amsgrad", {}),
    ("amsgrad", {"beta_2": 0.5, "epsilon": 1e-2, "epsilon_mode": "outside"}),
    ("amsgrad", {"beta_1": 0.7, "beta_2": 0.5, "epsilon": 1e-2,
                 "epsilon_mode": "inside"}),
    ("adamw", {}),
    ("adamw", {"weight_decay": 0.5, "epsilon": 1e-2, "epsilon_mode": "outside"}),
    ("adamw", {"weight_decay": 0.0, "beta_1": 0.5, "beta_2": 0.8}),
    ("adamax", {}),
    ("adamax", {"beta_1": 0.5, "beta_2": 0.8, "epsilon": 1e-2}),
    ("nadam", {}),
    ("nadam", {"momentum_decay": 0.0}),
    ("nadam", {"beta_1": 0.8, "beta_2": 0.9, "epsilon": 1e-2, "momentum_decay": 0.5}),
]


def _case_id(case):
    name, kwargs = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


#: Relative tolerance against the hand-derived rules (float64), starting at a
#: random point with |θ| in [1, 2] (reached: 5e-16) and at zero, where θ is
#: the accumulated update itself and cancelling steps amplify rounding
#: (reached: 6e-14).
RTOL = {"random": 1e-14, "zero": 1e-12}


def _problem(n_params=40, n_steps=12, seed=0, name=None):
    """Start point, gradient sequence spanning 1e-8..10 and varying rates
    (around 0.01, or 1 for Adadelta, whose documented rate is near 1)."""
    rng = np.random.default_rng(seed)
    theta = rng.choice([-1.0, 1.0], n_params) * rng.uniform(1, 2, n_params)
    scale = np.logspace(-8, 1, n_params)
    grads = [scale * rng.normal(size=n_params) for _ in range(n_steps)]
    for g in grads[::3]:
        g[::7] = 0.0  # some exact zeros
    lrs = 0.01 * (1.5 + np.sin(np.arange(n_steps)))  # a schedule, not a constant
    if name == "adadelta":
        lrs *= 100
    return theta, grads, lrs


def _run(optimizer, theta, grads, lrs):
    params = theta.copy()
    state = optimizer.init_state(params)
    trajectory = []
    for g, lr in zip(grads, lrs):
        state = optimizer.step(params, g.copy(), state, learning_rate=lr)
        trajectory.append(params.copy())
    return trajectory, state


def _default_learning_rate(name):
    return {"sgd": 0.05, "adagrad": 0.1, "adadelta": 0.5}.get(name, 0.01)


# --------------------------------------------------------------------------
# Update rules against the hand-derived references
# --------------------------------------------------------------------------


def test_every_registry_entry_has_reference_cases():
    assert set(REFERENCES) == set(OPTIMIZERS)
    assert {name for name, _ in CASES} == set(OPTIMIZERS)
    # Every hyperparameter is exercised away from its default somewhere.
    for name, cls in OPTIMIZERS.items():
        varied = {k for n, kwargs in CASES if n == name for k in kwargs}
        assert varied == set(cls._get_param_names()), name


@pytest.mark.parametrize("start", ["random", "zero"])
@pytest.mark.parametrize("n_steps", [1, 12])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_step_matches_hand_derived_rule(case, n_steps, start):
    name, kwargs = case
    theta, grads, lrs = _problem(n_steps=n_steps, name=name)
    if start == "zero":
        theta = np.zeros_like(theta)
    expected = REFERENCES[name](theta, grads, lrs, **kwargs)
    actual, _ = _run(OPTIMIZERS[name](**kwargs), theta, grads, lrs)
    for k, (a, e) in enumerate(zip(actual, expected), start=1):
        # The parameters move: a no-op would not pass by being close to theta.
        assert np.abs(e - theta).max() > 1e-4
        assert_allclose(a, e, rtol=RTOL[start], atol=0, err_msg=f"after step {k}")


def test_epsilon_modes_differ():
    # Guards against a reference and an implementation both ignoring the mode.
    theta, grads, lrs = _problem(n_steps=3)
    finals = [
        _run(Adam(epsilon=1e-2, epsilon_mode=mode), theta, grads, lrs)[0][-1]
        for mode in ("sklearn", "outside", "inside")
    ]
    for i in range(3):
        for j in range(i):
            assert np.abs(finals[i] - finals[j]).max() > 1e-3


def test_sgd_momentum_zero_is_plain_gradient_descent():
    theta, grads, lrs = _problem(n_steps=5)
    for form in ("classical", "ema"):
        for nesterov in (True, False):
            opt = SGD(momentum=0.0, nesterovs_momentum=nesterov, momentum_form=form)
            actual, _ = _run(opt, theta, grads, lrs)
            expected = theta - np.cumsum([lr * g for g, lr in zip(grads, lrs)], 0)
            assert_allclose(actual, expected, rtol=1e-14)


def test_sgd_ema_form_is_classical_with_scaled_rate():
    # For a constant rate, the EMA form with rate η equals the classical form
    # with rate (1 − γ)η.
    theta, grads, _ = _problem(n_steps=10)
    for nesterov in (True, False):
        ema, _ = _run(SGD(momentum=0.8, nesterovs_momentum=nesterov,
                          momentum_form="ema"), theta, grads, [0.5] * 10)
        classical, _ = _run(SGD(momentum=0.8, nesterovs_momentum=nesterov),
                            theta, grads, [0.1] * 10)
        assert_allclose(ema, classical, rtol=1e-12)


# --------------------------------------------------------------------------
# SGD and Adam against scikit-learn's own optimizers
# --------------------------------------------------------------------------


def _sklearn_layout(seed=1):
    rng = np.random.default_rng(seed)
    shapes = [(5, 4), (4, 3), (4,), (3,)]  # coefs_ then intercepts_
    params = [rng.normal(size=s) for s in shapes]
    grads = [[rng.normal(size=s) * 10.0 ** rng.integers(-6, 2) for s in shapes]
             for _ in range(15)]
    return params, grads


def _flat(arrays):
    return np.concatenate([a.ravel() for a in arrays])


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"nesterovs_momentum": False}, {"momentum": 0.0}, {"momentum": 0.5}],
)
def test_sgd_matches_sklearn(kwargs):
    params, grads = _sklearn_layout()
    lrs = [0.1, 0.1, 0.05, 0.2, 0.01] * 3
    momentum = kwargs.get("momentum", 0.9)
    nesterov = kwargs.get("nesterovs_momentum", True)
    theirs = SGDOptimizer([p.copy() for p in params], learning_rate_init=lrs[0],
                          momentum=momentum, nesterov=nesterov)
    their_params = [p.copy() for p in params]
    ours, flat = SGD(**kwargs), _flat(params)
    state = ours.init_state(flat)
    for g, lr in zip(grads, lrs):
        theirs.learning_rate = lr  # what scikit-learn's schedules set
        theirs.update_params(their_params, g)
        state = ours.step(flat, _flat(g), state, learning_rate=lr)
        assert_array_equal(flat, _flat(their_params))


@pytest.mark.parametrize(
    "kwargs", [{}, {"beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-4}]
)
def test_adam_matches_sklearn(kwargs):
    params, grads = _sklearn_layout()
    lrs = [1e-3, 1e-3, 5e-4, 2e-3, 1e-2] * 3
    theirs = AdamOptimizer([p.copy() for p in params], learning_rate_init=lrs[0],
                           **kwargs)
    their_params = [p.copy() for p in params]
    ours, flat = Adam(**kwargs), _flat(params)
    state = ours.init_state(flat)
    for g, lr in zip(grads, lrs):
        theirs.learning_rate_init = lr
        theirs.update_params(their_params, g)
        state = ours.step(flat, _flat(g), state, learning_rate=lr)
        assert_array_equal(flat, _flat(their_params))
    assert state.t == theirs.t


# --------------------------------------------------------------------------
# Registry-wide invariants
# --------------------------------------------------------------------------

NAMES = sorted(OPTIMIZERS)


def _quadratic(n=10, seed=0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = Q @ np.diag(np.linspace(1.0, 10.0, n)) @ Q.T
    b = rng.normal(size=n)
    return A, b, np.linalg.solve(A, b)


#: name, hyperparameters, constant rate, steps, relative distance reached.
#: Methods whose normalised steps do not shrink near the optimum (RMSProp,
#: NAdam's rising momentum, AdamW's decay) hover within about the rate.
QUADRATIC_RUNS = [
    ("sgd", {}, 0.05, 500, 1e-10),
    ("sgd", {"momentum_form": "ema"}, 0.5, 500, 1e-10),
    ("sgd", {"momentum": 0.0}, 0.15, 500, 1e-10),
    ("adagrad", {}, 0.5, 1000, 1e-10),
    ("rmsprop", {}, 1e-3, 2000, 1e-2),
    ("rmsprop", {"centered": True, "rmsprop_momentum": 0.5}, 1e-3, 2000, 1e-2),
    ("adadelta", {}, 0.1, 3000, 1e-10),
    ("adam", {}, 0.02, 2000, 1e-8),
    ("adam", {"epsilon_mode": "outside"}, 0.02, 2000, 1e-8),
    ("adam", {"epsilon_mode": "inside", "epsilon": 1e-16}, 0.02, 2000, 1e-8),
    ("amsgrad", {}, 0.05, 2000, 1e-8),
    ("adamw", {}, 0.02, 2000, 1e-2),
    ("adamax", {}, 0.05, 2000, 1e-8),
    ("nadam", {}, 0.01, 2000, 1e-2),
]


def test_quadratic_runs_cover_registry():
    assert {name for name, *_ in QUADRATIC_RUNS} == set(OPTIMIZERS)


@pytest.mark.parametrize(
    ("name", "kwargs", "lr", "n_steps", "tol"), QUADRATIC_RUNS,
    ids=[_case_id(run[:2]) for run in QUADRATIC_RUNS],
)
def test_minimises_convex_quadratic(name, kwargs, lr, n_steps, tol):
    A, b, optimum = _quadratic()
    opt = OPTIMIZERS[name](**kwargs)
    params = np.zeros_like(b)
    state = opt.init_state(params)
    for _ in range(n_steps):
        state = opt.step(params, A @ params - b, state, learning_rate=lr)
    distance = np.linalg.norm(params - optimum) / np.linalg.norm(optimum)
    assert distance < tol


def _assert_states_equal(a, b):
    assert type(a) is type(b)
    for x, y in zip(a, b):
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype
            assert_array_equal(x, y)
        else:
            assert x == y


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_state_and_optimizer_pickle_and_resume(case):
    name, kwargs = case
    theta, grads, lrs = _problem(n_steps=8, name=name)
    opt = OPTIMIZERS[name](**kwargs)
    params = theta.copy()
    state = opt.init_state(params)
    for g, lr in zip(grads[:4], lrs[:4]):
        state = opt.step(params, g.copy(), state, learning_rate=lr)
    opt2, state2 = pickle.loads(pickle.dumps((opt, state)))
    assert "_scratch_buffer" not in vars(opt2)  # the work buffer is not pickled
    assert repr(opt2) == repr(opt)
    _assert_states_equal(state2, state)
    params2 = params.copy()
    for g, lr in zip(grads[4:], lrs[4:]):
        state = opt.step(params, g.copy(), state, learning_rate=lr)
        state2 = opt2.step(params2, g.copy(), state2, learning_rate=lr)
    assert_array_equal(params2, params)
    _assert_states_equal(state2, state)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_state_matches_params_shape_and_dtype(case, dtype):
    name, kwargs = case
    theta, grads, lrs = _problem(n_steps=6, name=name)
    opt = OPTIMIZERS[name](**kwargs)
    params = theta.astype(dtype)
    state = opt.init_state(params)
    assert opt.is_state_compatible(state, params)
    arrays = [x for x in state if isinstance(x, np.ndarray)]
    assert arrays, "the state keeps per-parameter arrays"
    for g, lr in zip(grads, lrs):
        state = opt.step(params, g.astype(dtype), state, learning_rate=np.float64(lr))
        assert params.dtype == dtype
        for x in state:
            if isinstance(x, np.ndarray):
                assert x.shape == params.shape and x.dtype == dtype
            else:
                assert isinstance(x, (int, float))
        assert opt.is_state_compatible(state, params)
    assert not opt.is_state_compatible(state, params.astype(
        np.float64 if dtype == np.float32 else np.float32))
    assert not opt.is_state_compatible(state, params[:-1])
    # float32 follows the float64 rule to single precision.
    expected = REFERENCES[name](theta, grads, lrs, **kwargs)[-1]
    rtol = 2e-4 if dtype == np.float32 else RTOL["random"]
    assert_allclose(params, expected, rtol=rtol)


def test_changing_momentum_form_invalidates_sgd_state():
    params = np.zeros(4)
    opt = SGD()
    state = opt.init_state(params)
    opt.set_params(momentum_form="ema")
    assert not opt.is_state_compatible(state, params)
    assert opt.is_state_compatible(opt.init_state(params), params)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_clone_get_params_set_params(case):
    name, kwargs = case
    cls = OPTIMIZERS[name]
    opt = cls(**kwargs)
    params = opt.get_params()
    assert set(params) == set(cls._get_param_names())
    assert {k: params[k] for k in kwargs} == kwargs
    cloned = clone(opt)
    assert cloned is not opt and type(cloned) is cls
    assert cloned.get_params() == params and repr(cloned) == repr(opt)
    fresh = cls()
    assert fresh.set_params(**params) is fresh
    assert fresh.get_params() == params


def test_repr_shows_changed_parameters():
    assert repr(RMSProp()) == "RMSProp()"
    assert repr(AdamW(weight_decay=0.1)) == "AdamW(weight_decay=0.1)"
    assert repr(SGD(momentum_form="ema")) == "SGD(momentum_form='ema')"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_steps_do_not_mutate_the_specification(case):
    name, kwargs = case
    theta, grads, lrs = _problem(n_steps=5, name=name)
    opt = OPTIMIZERS[name](**kwargs)
    before_repr, before_params = repr(opt), opt.get_params()
    before_public = {k for k in vars(opt) if not k.startswith("_")}
    _run(opt, theta, grads, lrs)
    assert repr(opt) == before_repr
    assert opt.get_params() == before_params
    assert {k for k in vars(opt) if not k.startswith("_")} == before_public
    assert "_scratch_buffer" not in vars(clone(opt))


@pytest.mark.parametrize("name", NAMES)
def test_steps_are_allocation_light(name):
    n = 100_000
    rng = np.random.default_rng(0)
    opt = OPTIMIZERS[name]()
    params = rng.normal(size=n)
    state = opt.init_state(params)
    grads = [rng.normal(size=n) for _ in range(3)]
    state = opt.step(params, grads[0], state, learning_rate=1e-3)  # warm-up
    tracemalloc.start()
    try:
        for g in grads[1:]:
            state = opt.step(params, g, state, learning_rate=1e-3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < params.nbytes / 10, f"{peak} bytes allocated by a step"


# --------------------------------------------------------------------------
# Names, flat scikit-learn parameters and validation
# --------------------------------------------------------------------------

SKLEARN_FLAT_DEFAULTS = MLPClassifier().get_params()


@pytest.mark.parametrize("name", NAMES)
def test_named_builtin_gets_its_own_defaults(name):
    # The estimator passes scikit-learn's flat parameters (momentum=0.9,
    # beta_1=0.9, epsilon=1e-8, ...) to a named built-in; at their defaults
    # they must not change any optimizer's defaults.
    resolved = resolve(name, OPTIMIZERS, flat_params=SKLEARN_FLAT_DEFAULTS)
    assert type(resolved) is OPTIMIZERS[name]
    assert resolved.get_params() == OPTIMIZERS[name]().get_params()


def test_named_builtins_receive_flat_parameters():
    flat = {"momentum": 0.5, "nesterovs_momentum": False, "beta_1": 0.8,
            "beta_2": 0.99, "epsilon": 1e-6, "power_t": 0.25}
    assert resolve("sgd", OPTIMIZERS, flat_params=flat).get_params() == {
        "momentum": 0.5, "nesterovs_momentum": False, "momentum_form": "classical"}
    nadam = resolve("nadam", OPTIMIZERS, flat_params=flat)
    assert (nadam.beta_1, nadam.beta_2, nadam.epsilon) == (0.8, 0.99, 1e-6)
    rmsprop = resolve("rmsprop", OPTIMIZERS, flat_params=flat)
    assert rmsprop.rmsprop_momentum == 0.0 and rmsprop.epsilon == 1e-6
    assert resolve("adadelta", OPTIMIZERS, flat_params=flat).eps == 1e-6  # own


def test_every_hyperparameter_is_constrained():
    for cls in OPTIMIZERS.values():
        assert set(cls._parameter_constraints) == set(cls._get_param_names())


INVALID = [
    ("sgd", "momentum", 1.5),
    ("sgd", "nesterovs_momentum", "yes"),
    ("sgd", "momentum_form", "dampened"),
    ("adagrad", "epsilon", 0.0),
    ("adagrad", "initial_accumulator_value", -0.1),
    ("rmsprop", "rho", 1.0),
    ("rmsprop", "rmsprop_momentum", -0.1),
    ("rmsprop", "centered", "no"),
    ("rmsprop", "epsilon", -1e-8),
    ("adadelta", "rho", 1.0),
    ("adadelta", "eps", 0.0),
    ("adam", "beta_1", 1.0),
    ("adam", "beta_2", -0.1),
    ("adam", "epsilon", 0.0),
    ("adam", "epsilon_mode", "textbook"),
    ("amsgrad", "beta_2", 1.0),
    ("amsgrad", "epsilon_mode", "pytorch"),
    ("adamw", "weight_decay", -0.01),
    ("adamw", "epsilon_mode", None),
    ("adamax", "beta_1", 1.0),
    ("adamax", "epsilon", "small"),
    ("nadam", "momentum_decay", -0.004),
    ("nadam", "beta_2", 1.5),
]


@pytest.mark.parametrize(("name", "param", "value"), INVALID)
def test_invalid_hyperparameters_raise_naming_the_parameter(name, param, value):
    cls = OPTIMIZERS[name]
    spec = cls(**{param: value})  # stored as given; checked on resolution
    message = re.escape(f"'{param}' parameter of {cls.__name__}")
    with pytest.raises(InvalidParameterError, match=message):
        resolve(spec, OPTIMIZERS)
    with pytest.raises(InvalidParameterError, match=message):
        spec._validate_params()
    if param in SKLEARN_FLAT_DEFAULTS:
        with pytest.raises(InvalidParameterError, match=message):
            resolve(name, OPTIMIZERS, flat_params={param: value})


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_valid_hyperparameters_pass(case):
    name, kwargs = case
    resolve(OPTIMIZERS[name](**kwargs), OPTIMIZERS)


def test_docstrings_document_every_optimizer():
    for cls in OPTIMIZERS.values():
        doc = cls.__doc__
        for section in ("Parameters", "Notes", ".. math::", "References", "Examples"):
            assert section in doc, (cls.__name__, section)
        for param in cls._get_param_names():
            assert f"\n    {param} : " in doc, (cls.__name__, param)


def test_docstring_examples():
    import doctest

    import skmlp.optimizers as module
    result = doctest.testmod(module, verbose=False)
    assert result.attempted >= 2 * len(OPTIMIZERS)
    assert result.failed == 0


def test_registry_names():
    assert all(name == name.lower() for name in OPTIMIZERS)
    assert len(set(OPTIMIZERS.values())) == len(OPTIMIZERS)  # one name each
    assert all(issubclass(cls, Optimizer) for cls in OPTIMIZERS.values())


# --------------------------------------------------------------------------
# Training a network
# --------------------------------------------------------------------------

#: A reasonable learning_rate_init per optimizer for the digits task.
DIGITS_RATES = [
    ("sgd", 0.05),
    (SGD(momentum_form="ema"), 0.5),
    ("adagrad", 0.05),
    ("rmsprop", 3e-3),
    (RMSProp(centered=True, rmsprop_momentum=0.5), 2e-3),
    ("adadelta", 1.0),
    ("adam", 5e-3),
    (Adam(epsilon_mode="outside"), 5e-3),
    ("amsgrad", 5e-3),
    ("adamw", 5e-3),
    ("adamax", 1e-2),
    ("nadam", 5e-3),
]


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def _fit_quietly(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def test_digits_rates_cover_registry():
    assert {s for s, _ in DIGITS_RATES if isinstance(s, str)} == set(OPTIMIZERS)


@pytest.mark.parametrize(("solver", "lr"), DIGITS_RATES, ids=str)
def test_every_optimizer_trains_digits(digits, solver, lr):
    X_train, X_test, y_train, y_test = digits
    before = repr(solver)
    clf = MLPClassifierBP(hidden_layer_sizes=(32,), solver=solver,
                          learning_rate_init=lr, max_iter=30, random_state=0)
    _fit_quietly(clf, X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.9
    assert clf.loss_curve_[-1] < 0.5 * clf.loss_curve_[0]
    assert repr(solver) == before  # the user's object is untouched
    if not isinstance(solver, str):
        assert "_scratch_buffer" not in vars(solver)


def test_grid_search_over_adam_beta_1(digits):
    X_train, _, y_train, _ = digits
    spec = Adam()
    clf = MLPClassifierBP(hidden_layer_sizes=(32,), solver=spec,
                          learning_rate_init=5e-3, max_iter=15, random_state=0)
    assert clf.get_params()["solver__beta_1"] == 0.9
    search = GridSearchCV(clf, {"solver__beta_1": [0.5, 0.8, 0.95]}, cv=2)
    _fit_quietly(search, X_train, y_train)
    assert list(search.cv_results_["param_solver__beta_1"]) == [0.5, 0.8, 0.95]
    assert search.best_estimator_.solver.beta_1 == search.best_params_["solver__beta_1"]
    assert search.best_score_ > 0.85
    assert repr(spec) == "Adam()"  # the grid's template is not mutated


def test_grid_search_over_solver_objects(digits):
    X_train, _, y_train, _ = digits
    grid = [
        {"solver": [Adam(), NAdam(), AdamW(weight_decay=1e-3)],
         "learning_rate_init": [5e-3]},
        {"solver": [SGD(nesterovs_momentum=False), AdaGrad()],
         "learning_rate_init": [0.05]},
    ]
    reprs = [repr(s) for g in grid for s in g["solver"]]
    clf = MLPClassifierBP(hidden_layer_sizes=(32,), max_iter=15, random_state=0)
    search = GridSearchCV(clf, grid, cv=2)
    _fit_quietly(search, X_train, y_train)
    assert [repr(s) for s in search.cv_results_["param_solver"]] == reprs
    assert np.all(search.cv_results_["mean_test_score"] > 0.85)
    assert repr(search.best_estimator_.solver) in reprs
    assert [repr(s) for g in grid for s in g["solver"]] == reprs
