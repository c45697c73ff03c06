"""Tests of the optimizer catalogue (:mod:`skmlp.optimizers`).

Every update rule is checked against a reference written here, straight from
the formula in plain out-of-place NumPy, independently of the in-place
implementation; scikit-learn's own optimizers are the reference for the
defaults of ``SGD`` and ``Adam``.

Everything the tests expect of one optimizer is its entry in :data:`TABLE`,
keyed by registry name; a test checks that the table and the registry list
the same names, so a new optimizer is its module plus one entry here.
"""

from __future__ import annotations

import copy
import inspect
import pickle
import re
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    EmptyState,
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


@dataclass(frozen=True)
class Expected:
    """What the tests expect of one optimizer: its entry in :data:`TABLE`."""

    #: The hand-derived rule: ``(theta, grads, rates, **hyperparameters)`` to
    #: the parameters after every step.
    reference: Callable[..., list]
    #: Hyperparameters checked against the reference; every one of the
    #: class's is varied away from its default somewhere.
    cases: tuple[dict[str, Any], ...]
    #: The estimator parameters it reads when given by name.
    estimator_params: tuple[str, ...]
    #: Runs on a convex quadratic: (hyperparameters, constant rate, steps,
    #: relative distance to the optimum reached). Methods whose normalised
    #: steps do not shrink near the optimum (RMSProp, NAdam's rising
    #: momentum, AdamW's decay) hover within about the rate.
    quadratic: tuple[tuple[dict[str, Any], float, int, float], ...]
    #: (hyperparameters, ``learning_rate_init``) that train digits to 90 %;
    #: ``{}`` is the optimizer given by name, the others as objects.
    digits: tuple[tuple[dict[str, Any], float], ...]
    #: (hyperparameter, invalid value) pairs that must be refused.
    invalid: tuple[tuple[str, Any], ...]
    #: Scale of the rates of :func:`_problem` (Adadelta's rate is near 1).
    rate_scale: float = 1.0


_ADAM_PARAMS = ("beta_1", "beta_2", "epsilon")

#: Every optimizer's expectations, by registry name. Large epsilons in the
#: cases make the placement of ε visible.
TABLE: dict[str, Expected] = {
    "sgd": Expected(
        ref_sgd,
        cases=({}, {"nesterovs_momentum": False}, {"momentum": 0.0},
               {"momentum_form": "ema"},
               {"momentum_form": "ema", "momentum": 0.5,
                "nesterovs_momentum": False}),
        estimator_params=("momentum", "nesterovs_momentum"),
        quadratic=(({}, 0.05, 500, 1e-10),
                   ({"momentum_form": "ema"}, 0.5, 500, 1e-10),
                   ({"momentum": 0.0}, 0.15, 500, 1e-10)),
        digits=(({}, 0.05), ({"momentum_form": "ema"}, 0.5)),
        invalid=(("momentum", 1.5), ("nesterovs_momentum", "yes"),
                 ("momentum_form", "dampened")),
    ),
    "adagrad": Expected(
        ref_adagrad,
        cases=({}, {"epsilon": 1e-2, "initial_accumulator_value": 0.1}),
        estimator_params=("epsilon",),
        quadratic=(({}, 0.5, 1000, 1e-10),),
        digits=(({}, 0.05),),
        invalid=(("epsilon", 0.0), ("initial_accumulator_value", -0.1)),
    ),
    "rmsprop": Expected(
        ref_rmsprop,
        cases=({}, {"centered": True}, {"rmsprop_momentum": 0.5, "epsilon": 1e-2},
               {"rho": 0.99, "rmsprop_momentum": 0.9, "centered": True}),
        estimator_params=("epsilon",),
        quadratic=(({}, 1e-3, 2000, 1e-2),
                   ({"centered": True, "rmsprop_momentum": 0.5}, 1e-3, 2000, 1e-2)),
        digits=(({}, 3e-3), ({"centered": True, "rmsprop_momentum": 0.5}, 2e-3)),
        invalid=(("rho", 1.0), ("rmsprop_momentum", -0.1), ("centered", "no"),
                 ("epsilon", -1e-8)),
    ),
    "adadelta": Expected(
        ref_adadelta,
        cases=({}, {"rho": 0.5, "eps": 1e-3}),
        estimator_params=(),
        quadratic=(({}, 0.1, 3000, 1e-10),),
        digits=(({}, 1.0),),
        invalid=(("rho", 1.0), ("eps", 0.0)),
        rate_scale=100.0,
    ),
    "adam": Expected(
        ref_adam,
        cases=({}, {"epsilon_mode": "outside"}, {"epsilon_mode": "inside"},
               {"beta_1": 0.5, "beta_2": 0.8, "epsilon": 1e-2},
               {"beta_1": 0.5, "beta_2": 0.8, "epsilon": 1e-2,
                "epsilon_mode": "outside"},
               {"beta_1": 0.5, "beta_2": 0.8, "epsilon": 1e-2,
                "epsilon_mode": "inside"}),
        estimator_params=_ADAM_PARAMS,
        quadratic=(({}, 0.02, 2000, 1e-8),
                   ({"epsilon_mode": "outside"}, 0.02, 2000, 1e-8),
                   ({"epsilon_mode": "inside", "epsilon": 1e-16}, 0.02, 2000, 1e-8)),
        digits=(({}, 5e-3), ({"epsilon_mode": "outside"}, 5e-3)),
        invalid=(("beta_1", 1.0), ("beta_2", -0.1), ("epsilon", 0.0),
                 ("epsilon_mode", "textbook")),
    ),
    "amsgrad": Expected(
        ref_amsgrad,
        cases=({}, {"beta_2": 0.5, "epsilon": 1e-2, "epsilon_mode": "outside"},
               {"beta_1": 0.7, "beta_2": 0.5, "epsilon": 1e-2,
                "epsilon_mode": "inside"}),
        estimator_params=_ADAM_PARAMS,
        quadratic=(({}, 0.05, 2000, 1e-8),),
        digits=(({}, 5e-3),),
        invalid=(("beta_2", 1.0), ("epsilon_mode", "pytorch")),
    ),
    "adamw": Expected(
        ref_adamw,
        cases=({}, {"weight_decay": 0.5, "epsilon": 1e-2, "epsilon_mode": "outside"},
               {"weight_decay": 0.0, "beta_1": 0.5, "beta_2": 0.8}),
        estimator_params=_ADAM_PARAMS,
        quadratic=(({}, 0.02, 2000, 1e-2),),
        digits=(({}, 5e-3),),
        invalid=(("weight_decay", -0.01), ("epsilon_mode", None)),
    ),
    "adamax": Expected(
        ref_adamax,
        cases=({}, {"beta_1": 0.5, "beta_2": 0.8, "epsilon": 1e-2}),
        estimator_params=_ADAM_PARAMS,
        quadratic=(({}, 0.05, 2000, 1e-8),),
        digits=(({}, 1e-2),),
        invalid=(("beta_1", 1.0), ("epsilon", "small")),
    ),
    "nadam": Expected(
        ref_nadam,
        cases=({}, {"momentum_decay": 0.0},
               {"beta_1": 0.8, "beta_2": 0.9, "epsilon": 1e-2,
                "momentum_decay": 0.5}),
        estimator_params=_ADAM_PARAMS,
        quadratic=(({}, 0.01, 2000, 1e-2),),
        digits=(({}, 5e-3),),
        invalid=(("momentum_decay", -0.004), ("beta_2", 1.5)),
    ),
}

#: (name, hyperparameters) pairs checked against the references.
CASES = [(name, kwargs) for name, e in TABLE.items() for kwargs in e.cases]


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
    (around 0.01, times the ``rate_scale`` of optimizer ``name``)."""
    rng = np.random.default_rng(seed)
    theta = rng.choice([-1.0, 1.0], n_params) * rng.uniform(1, 2, n_params)
    scale = np.logspace(-8, 1, n_params)
    grads = [scale * rng.normal(size=n_params) for _ in range(n_steps)]
    for g in grads[::3]:
        g[::7] = 0.0  # some exact zeros
    lrs = 0.01 * (1.5 + np.sin(np.arange(n_steps)))  # a schedule, not a constant
    if name is not None:
        lrs *= TABLE[name].rate_scale
    return theta, grads, lrs


def _step(optimizer, params, grads, state, lr, scratch):
    """One step with a work buffer filled with NaN first: its contents must
    mean nothing to the optimizer."""
    scratch.fill(np.nan)
    return optimizer.step(params, grads, state, learning_rate=lr, scratch=scratch)


def _run(optimizer, theta, grads, lrs):
    params = theta.copy()
    state = optimizer.init_state(params)
    scratch = np.empty_like(params)
    trajectory = []
    for g, lr in zip(grads, lrs):
        state = _step(optimizer, params, g.copy(), state, lr, scratch)
        trajectory.append(params.copy())
    return trajectory, state


# --------------------------------------------------------------------------
# Update rules against the hand-derived references
# --------------------------------------------------------------------------


def test_table_lists_every_optimizer():
    assert set(TABLE) == set(OPTIMIZERS)


@pytest.mark.parametrize("name", TABLE)
def test_table_entry_is_complete(name):
    expected, cls = TABLE[name], OPTIMIZERS[name]
    # Every hyperparameter is exercised away from its default somewhere.
    assert {k for kwargs in expected.cases for k in kwargs} == set(
        cls._get_param_names())
    assert expected.quadratic and expected.digits and expected.invalid
    assert {} in [kwargs for kwargs, _ in expected.digits]  # by name, too


@pytest.mark.parametrize("start", ["random", "zero"])
@pytest.mark.parametrize("n_steps", [1, 12])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_step_matches_hand_derived_rule(case, n_steps, start):
    name, kwargs = case
    theta, grads, lrs = _problem(n_steps=n_steps, name=name)
    if start == "zero":
        theta = np.zeros_like(theta)
    expected = TABLE[name].reference(theta, grads, lrs, **kwargs)
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


def test_sgd_ema_form_starts_from_zero_unlike_torch():
    # The docstring's example, by hand: v₁ = γ·0 + (1 − γ)g = (0.1, −0.1),
    # θ₁ = θ₀ − ηv₁ = (1 − 0.01, −2 + 0.01). PyTorch's SGD(momentum=γ,
    # dampening=γ) seeds its buffer with g itself: θ₁ = θ₀ − ηg = (0.9, −1.9).
    opt = SGD(momentum=0.9, nesterovs_momentum=False, momentum_form="ema")
    params = np.array([1.0, -2.0])
    state = opt.init_state(params)
    state = opt.step(params, np.array([1.0, -1.0]), state, learning_rate=0.1,
                     scratch=np.empty_like(params))
    assert_allclose(params, [0.99, -1.99], rtol=1e-15)
    assert_allclose(state.average, [0.1, -0.1], rtol=1e-15)
    torch_first_step = np.array([1.0, -2.0]) - 0.1 * np.array([1.0, -1.0])
    assert np.abs(params - torch_first_step).min() > 0.08


def test_adam_sklearn_mode_is_bias_corrected_rule_with_rescaled_epsilon():
    # The docstring: θ ← θ − η̂ m/(√v + ε) equals θ ← θ − η m̂/(√v̂ + ε̂ₜ) with
    # ε̂ₜ = ε/√(1 − β₂ᵗ). A large ε and a small β₂ make ε̂ₜ matter.
    beta_1, beta_2, epsilon = 0.5, 0.8, 1e-1
    theta, grads, lrs = _problem(n_steps=6)
    actual, _ = _run(Adam(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon),
                     theta, grads, lrs)
    expected, wrong = [], []
    m, v, p, q = (np.zeros_like(theta), np.zeros_like(theta), theta.copy(),
                  theta.copy())
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + epsilon / np.sqrt(1 - beta_2**t))
        q = q - lr * m_hat / (np.sqrt(v_hat) + epsilon * np.sqrt(1 - beta_2**t))
        expected.append(p)
        wrong.append(q)
    assert_allclose(actual, expected, rtol=1e-13, atol=0)
    # The other reading, ε̂ₜ = ε√(1 − β₂ᵗ), is measurably different.
    assert np.abs(np.array(actual) - np.array(wrong)).max() > 1e-4


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
    state, scratch = ours.init_state(flat), np.empty_like(flat)
    for g, lr in zip(grads, lrs):
        theirs.learning_rate = lr  # what scikit-learn's schedules set
        theirs.update_params(their_params, g)
        state = _step(ours, flat, _flat(g), state, lr, scratch)
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
    state, scratch = ours.init_state(flat), np.empty_like(flat)
    for g, lr in zip(grads, lrs):
        theirs.learning_rate_init = lr
        theirs.update_params(their_params, g)
        state = _step(ours, flat, _flat(g), state, lr, scratch)
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


#: (name, hyperparameters, constant rate, steps, relative distance reached).
QUADRATIC_RUNS = [(name, *run) for name, e in TABLE.items() for run in e.quadratic]


@pytest.mark.parametrize(
    ("name", "kwargs", "lr", "n_steps", "tol"), QUADRATIC_RUNS,
    ids=[_case_id(run[:2]) for run in QUADRATIC_RUNS],
)
def test_minimises_convex_quadratic(name, kwargs, lr, n_steps, tol):
    A, b, optimum = _quadratic()
    opt = OPTIMIZERS[name](**kwargs)
    params = np.zeros_like(b)
    state, scratch = opt.init_state(params), np.empty_like(params)
    for _ in range(n_steps):
        state = _step(opt, params, A @ params - b, state, lr, scratch)
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
    state, scratch = opt.init_state(params), np.empty_like(params)
    for g, lr in zip(grads[:4], lrs[:4]):
        state = _step(opt, params, g.copy(), state, lr, scratch)
    opt2, state2 = pickle.loads(pickle.dumps((opt, state)))
    assert vars(opt2).keys() == opt.get_params().keys()  # hyperparameters only
    assert repr(opt2) == repr(opt)
    _assert_states_equal(state2, state)
    params2, scratch2 = params.copy(), np.empty_like(params)
    for g, lr in zip(grads[4:], lrs[4:]):
        state = _step(opt, params, g.copy(), state, lr, scratch)
        state2 = _step(opt2, params2, g.copy(), state2, lr, scratch2)
    assert_array_equal(params2, params)
    _assert_states_equal(state2, state)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_step_updates_state_in_place_and_deepcopy_is_a_restore_point(case):
    # The documented copy rule: the state's arrays are updated in place (the
    # returned state holds the same arrays), and a deep copy taken before a
    # step, with a copy of the parameters, replays the step exactly.
    name, kwargs = case
    theta, grads, lrs = _problem(n_steps=4, name=name)
    opt = OPTIMIZERS[name](**kwargs)
    params = theta.copy()
    state, scratch = opt.init_state(params), np.empty_like(params)
    state = _step(opt, params, grads[0].copy(), state, lrs[0], scratch)
    restore_point = params.copy(), copy.deepcopy(state)
    arrays = [x for x in state if isinstance(x, np.ndarray)]
    after = _step(opt, params, grads[1].copy(), state, lrs[1], scratch)
    after_arrays = [x for x in after if isinstance(x, np.ndarray)]
    assert len(after_arrays) == len(arrays)
    assert all(x is y for x, y in zip(after_arrays, arrays))
    replayed_params, replayed = restore_point[0].copy(), restore_point[1]
    replayed = _step(opt, replayed_params, grads[1].copy(), replayed, lrs[1], scratch)
    assert_array_equal(replayed_params, params)
    _assert_states_equal(replayed, after)
    assert not np.array_equal(restore_point[0], params)  # the step moved


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_state_matches_params_shape_and_dtype(case, dtype):
    name, kwargs = case
    theta, grads, lrs = _problem(n_steps=6, name=name)
    opt = OPTIMIZERS[name](**kwargs)
    params = theta.astype(dtype)
    state, scratch = opt.init_state(params), np.empty_like(params)
    assert opt.is_state_compatible(state, params)
    arrays = [x for x in state if isinstance(x, np.ndarray)]
    assert arrays, "the state keeps per-parameter arrays"
    for g, lr in zip(grads, lrs):
        state = _step(opt, params, g.astype(dtype), state, np.float64(lr), scratch)
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
    expected = TABLE[name].reference(theta, grads, lrs, **kwargs)[-1]
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
    _run(opt, theta, grads, lrs)
    assert repr(opt) == before_repr
    assert opt.get_params() == before_params
    assert vars(opt).keys() == before_params.keys()  # no buffers, no state


@pytest.mark.parametrize("name", NAMES)
def test_steps_are_allocation_light(name):
    n = 100_000
    rng = np.random.default_rng(0)
    opt = OPTIMIZERS[name]()
    params = rng.normal(size=n)
    state, scratch = opt.init_state(params), np.empty_like(params)
    grads = [rng.normal(size=n) for _ in range(3)]
    state = opt.step(params, grads[0], state, learning_rate=1e-3,
                     scratch=scratch)  # warm-up
    tracemalloc.start()
    try:
        for g in grads[1:]:
            state = opt.step(params, g, state, learning_rate=1e-3, scratch=scratch)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < params.nbytes / 10, f"{peak} bytes allocated by a step"


# --------------------------------------------------------------------------
# Names, estimator parameters and validation
# --------------------------------------------------------------------------

SKLEARN_FLAT_DEFAULTS = MLPClassifier().get_params()

#: Every flat estimator parameter that feeds an optimizer, away from its
#: default (power_t is the schedule's).
CHANGED_ESTIMATOR_PARAMS = {
    "momentum": 0.5, "nesterovs_momentum": False, "beta_1": 0.8,
    "beta_2": 0.99, "epsilon": 1e-6, "power_t": 0.25,
}


@pytest.mark.parametrize("name", NAMES)
def test_named_builtin_gets_its_own_defaults(name):
    # The estimator passes scikit-learn's flat parameters (momentum=0.9,
    # beta_1=0.9, epsilon=1e-8, ...) to a named built-in; at their defaults
    # they must not change any optimizer's defaults.
    resolved = resolve(name, OPTIMIZERS, estimator_params=SKLEARN_FLAT_DEFAULTS)
    assert type(resolved) is OPTIMIZERS[name]
    assert resolved.get_params() == OPTIMIZERS[name]().get_params()


@pytest.mark.parametrize("name", NAMES)
def test_named_builtin_receives_exactly_its_declared_estimator_params(name):
    cls = OPTIMIZERS[name]
    assert cls.estimator_params == TABLE[name].estimator_params
    resolved = resolve(name, OPTIMIZERS,
                       estimator_params=CHANGED_ESTIMATOR_PARAMS).get_params()
    defaults = cls().get_params()
    for param, value in resolved.items():
        if param in cls.estimator_params:
            assert value == CHANGED_ESTIMATOR_PARAMS[param] != defaults[param]
        else:
            assert value == defaults[param], param


def test_named_builtins_receive_flat_parameters():
    flat = CHANGED_ESTIMATOR_PARAMS
    assert resolve("sgd", OPTIMIZERS, estimator_params=flat).get_params() == {
        "momentum": 0.5, "nesterovs_momentum": False, "momentum_form": "classical"}
    nadam = resolve("nadam", OPTIMIZERS, estimator_params=flat)
    assert (nadam.beta_1, nadam.beta_2, nadam.epsilon) == (0.8, 0.99, 1e-6)
    rmsprop = resolve("rmsprop", OPTIMIZERS, estimator_params=flat)
    assert rmsprop.rmsprop_momentum == 0.0 and rmsprop.epsilon == 1e-6
    assert resolve("adadelta", OPTIMIZERS, estimator_params=flat).eps == 1e-6  # own


class _SignMomentum(Optimizer):
    """A new optimizer with Lion's ``beta_2=0.99``, declaring nothing."""

    name = "sign_momentum"

    def __init__(self, beta_1: float = 0.9, beta_2: float = 0.99):
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def init_state(self, params):
        return EmptyState()

    def step(self, params, grads, state, *, learning_rate, scratch):
        return state


class _DeclaringSignMomentum(_SignMomentum):
    estimator_params = ("beta_1",)


def test_optimizer_declaring_nothing_receives_nothing():
    # A new optimizer added by name must not inherit the estimator's
    # beta_2=0.999 (Adam's) over its own 0.99 because the names match.
    given = {**SKLEARN_FLAT_DEFAULTS, "beta_1": 0.5}
    assert _SignMomentum.estimator_params == ()
    resolved = resolve("sign_momentum", {"sign_momentum": _SignMomentum},
                       estimator_params=given)
    assert resolved.get_params() == {"beta_1": 0.9, "beta_2": 0.99}
    # ... and receives what it declares, nothing more.
    resolved = resolve("sign_momentum", {"sign_momentum": _DeclaringSignMomentum},
                       estimator_params=given)
    assert resolved.get_params() == {"beta_1": 0.5, "beta_2": 0.99}


def test_every_hyperparameter_is_constrained():
    for cls in OPTIMIZERS.values():
        assert set(cls._parameter_constraints) == set(cls._get_param_names())


INVALID = [(name, *pair) for name, e in TABLE.items() for pair in e.invalid]


@pytest.mark.parametrize(("name", "param", "value"), INVALID)
def test_invalid_hyperparameters_raise_naming_the_parameter(name, param, value):
    cls = OPTIMIZERS[name]
    spec = cls(**{param: value})  # stored as given; checked on resolution
    message = re.escape(f"'{param}' parameter of {cls.__name__}")
    with pytest.raises(InvalidParameterError, match=message):
        resolve(spec, OPTIMIZERS)
    with pytest.raises(InvalidParameterError, match=message):
        spec._validate_params()
    if param in cls.estimator_params:
        with pytest.raises(InvalidParameterError, match=message):
            resolve(name, OPTIMIZERS, estimator_params={param: value})


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_valid_hyperparameters_pass(case):
    name, kwargs = case
    resolve(OPTIMIZERS[name](**kwargs), OPTIMIZERS)


def test_docstrings_document_every_optimizer():
    for cls in OPTIMIZERS.values():
        doc = inspect.getdoc(cls)  # the same on Python 3.13, which dedents
        for section in ("Parameters", "Notes", ".. math::", "References", "Examples"):
            assert section in doc, (cls.__name__, section)
        for param in cls._get_param_names():
            assert f"\n{param} : " in doc, (cls.__name__, param)


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

#: (solver, learning_rate_init) for the digits task: by name, or as objects.
DIGITS_RATES = [
    (OPTIMIZERS[name](**kwargs) if kwargs else name, lr)
    for name, e in TABLE.items() for kwargs, lr in e.digits
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
        assert vars(solver).keys() == solver.get_params().keys()


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
