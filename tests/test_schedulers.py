"""Tests of the learning-rate schedule catalogue (:mod:`skmlp.schedulers`).

Every expected rate is computed here, independently, from the formula in the
literature (PyTorch's and TensorFlow's documented closed forms, the papers'
equations) or from scikit-learn's own ``SGDOptimizer``; hard-coded sequences
come from PyTorch's documented behaviour, worked out by hand. Nothing expected
is produced by the code under test.

Schedules are driven through their hooks exactly as the estimator drives them:
``init_state`` once (with the fit's ``Horizon``), ``on_batch_end`` after every
optimizer step (with the running ``samples_seen``), ``on_epoch_end`` after
every epoch with that epoch's metrics; the rate a step uses is
``state.learning_rate`` read just before it.

``TABLE`` holds one entry per registered schedule (a configured instance and
the hand-derived rates of a short fit); ``test_table_covers_the_registry``
makes adding a schedule mean adding its entry.
"""

from __future__ import annotations

import doctest
import itertools
import math
import pickle
import re
import warnings
from typing import Any, NamedTuple

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

from skmlp import schedulers as sched_module
from skmlp._params import resolve
from skmlp.schedulers import (
    SCHEDULERS,
    AdaptiveLR,
    ClosedFormScheduler,
    ConstantLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    Horizon,
    InverseTimeLR,
    InvScalingLR,
    MultiStepLR,
    NaturalExpLR,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
    Scheduler,
    StepLR,
    WarmupLR,
)

#: Tolerance of every rate comparison (relative; plus an absolute floor for
#: the exact zeros of a polynomial decay to ``eta_min=0``).
RTOL = 1e-12
ATOL = 1e-300

ETA0 = 0.05
BATCH = 10
N_BATCHES = 3  # optimizer steps per epoch in the simulations


# -- driving a schedule as the estimator does ---------------------------------


def made_up_metrics(n_epochs, seed=0):
    """A noisy, mostly decreasing loss and a mostly increasing score."""
    rng = np.random.default_rng(seed)
    loss = 1.0 / np.arange(1, n_epochs + 1) + 0.05 * rng.random(n_epochs)
    score = 1.0 - loss / 2
    return [
        {"loss": float(a), "validation_score": float(b)} for a, b in zip(loss, score)
    ]


#: ``drive``'s default horizon: the fit's own, ``Horizon(n_epochs, n_batches)``.
FIT = object()


def drive(scheduler, n_epochs, *, eta0=ETA0, n_batches=N_BATCHES, metrics=None,
          state=None, start_samples=0, horizon=FIT):
    """Run ``n_epochs`` epochs of ``n_batches`` steps through the hooks.

    ``horizon`` goes to ``init_state`` (``None``: as ``partial_fit`` does).
    Returns the rate of every optimizer step (shape ``(n_epochs, n_batches)``),
    the final state, and the per-epoch curve (the rate each epoch starts with,
    as the estimator's ``learning_rate_curve_`` records it).
    """
    if metrics is None:
        metrics = made_up_metrics(n_epochs)
    if state is None:
        if horizon is FIT:
            horizon = Horizon(n_epochs, n_batches)
        state = scheduler.init_state(eta0, horizon=horizon)
    samples = start_samples
    rates = np.empty((n_epochs, n_batches))
    for epoch in range(n_epochs):
        for batch in range(n_batches):
            rates[epoch, batch] = state.learning_rate
            state = scheduler.on_batch_end(
                state, samples_seen=samples + (batch + 1) * BATCH
            )
        samples += n_batches * BATCH
        state = scheduler.on_epoch_end(
            state, samples_seen=samples, metrics=metrics[epoch]
        )
    return rates, state, rates[:, 0].copy()


def per_epoch(formula, n_epochs, n_batches=N_BATCHES):
    """Step rates of a schedule that changes only between epochs."""
    epoch_rates = np.array([formula(e) for e in range(n_epochs)], dtype=float)
    return np.repeat(epoch_rates[:, None], n_batches, axis=1)


def per_step(formula, n_epochs, n_batches=N_BATCHES):
    """Step rates of a schedule that changes after every step."""
    steps = np.arange(n_epochs * n_batches)
    return np.array([formula(t) for t in steps], dtype=float).reshape(
        n_epochs, n_batches
    )


def assert_rates(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


# -- independent reference formulas ------------------------------------------


def ref_step(e, eta0, step_size, gamma):
    return eta0 * gamma ** math.floor(e / step_size)


def ref_multistep(e, eta0, milestones, gamma):
    return eta0 * gamma ** sum(1 for m in milestones if m <= e)


def ref_polynomial(t, eta0, total, power, eta_min):
    return (eta0 - eta_min) * (1 - min(t, total) / total) ** power + eta_min


def ref_cosine_restarts(t, eta0, T_0, T_mult, eta_min):
    """SGDR, eq. (5) of Loshchilov & Hutter, restarts listed explicitly."""
    starts, lengths = [0], [T_0]
    while starts[-1] + lengths[-1] <= t:
        starts.append(starts[-1] + lengths[-1])
        lengths.append(lengths[-1] * T_mult)
    t_cur, t_i = t - starts[-1], lengths[-1]
    return eta_min + 0.5 * (eta0 - eta_min) * (1 + np.cos(np.pi * t_cur / t_i))


def ref_cyclic(t, base, high, step_size, mode, gamma):
    """Smith (2017) / PyTorch ``CyclicLR`` with symmetric half-cycles."""
    cycle = np.floor(1 + t / (2 * step_size))
    x = abs(t / step_size - 2 * cycle + 1)
    scale = {"triangular": 1.0, "triangular2": 1 / 2 ** (cycle - 1),
             "exp_range": gamma**t}[mode]
    return base + (high - base) * max(0.0, 1 - x) * scale


def ref_one_cycle(t, peak, total, pct, div, final_div, strategy, three_phase):
    """PyTorch ``OneCycleLR``: phases end at pct*T-1 (2*(pct*T-1)), T-1."""
    start, end = peak / div, peak / div / final_div
    a = pct * total - 1
    if three_phase:
        knots = [(0.0, start), (a, peak), (2 * a, start), (total - 1, end)]
    else:
        knots = [(0.0, start), (a, peak), (total - 1, end)]
    t = min(t, total - 1)
    for (t0, lr0), (t1, lr1) in itertools.pairwise(knots):
        if t <= t1 or t1 == total - 1:
            frac = (t - t0) / (t1 - t0)
            if strategy == "linear":
                return lr0 * (1 - frac) + lr1 * frac
            return lr1 + (lr0 - lr1) * (np.cos(np.pi * frac) + 1) / 2
    raise AssertionError


class TorchReduceLROnPlateau:
    """PyTorch's ``ReduceLROnPlateau`` algorithm, rewritten from its source."""

    def __init__(self, lr, mode, factor, patience, threshold, threshold_mode,
                 cooldown, min_lr, eps):
        self.lr, self.mode, self.factor, self.patience = lr, mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lr, self.eps = cooldown, min_lr, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def is_better(self, a, best):
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min" and self.threshold_mode == "abs":
            return a < best - self.threshold
        if self.mode == "max" and self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def observe(self, current):
        """Update the best value and the count of bad epochs."""
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1

    def step(self, current):
        self.observe(current)
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:
                self.lr = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        return self.lr


class DocumentedReduceLROnPlateau(TorchReduceLROnPlateau):
    """skmlp's rule as its docstring states it: PyTorch's, except that a
    value at the boundary improves, the best follows every strict
    improvement, and the relative threshold scales with ``|best|``."""

    def observe(self, current):
        best, maximise = self.best, self.mode == "max"
        if math.isinf(best):
            improves = not math.isnan(current)
        else:
            delta = self.threshold * (abs(best) if self.threshold_mode == "rel"
                                      else 1.0)
            improves = (current >= best + delta if maximise
                        else current <= best - delta)
        self.num_bad_epochs = 0 if improves else self.num_bad_epochs + 1
        if (current > best) if maximise else (current < best):
            self.best = current


# -- one table: every registered schedule -------------------------------------


class Case(NamedTuple):
    """A configured schedule and the rates of a short fit, derived by hand.

    ``expected[e][b]`` is the rate of batch ``b`` of epoch ``e`` in a fit of
    ``len(expected)`` epochs (its horizon) of ``len(expected[0])`` batches of
    ``BATCH`` samples; ``losses`` are the epochs' training losses, for the
    schedules that watch them.
    """

    kwargs: dict[str, Any]
    eta0: float
    expected: list[list[float]]
    losses: list[float] | None = None


def _epochs(*rates, batches=1):
    """Per-epoch rates, each used by every batch of its epoch."""
    return [[rate] * batches for rate in rates]


#: One entry per name of ``SCHEDULERS`` (checked below): the configured
#: instance ``SCHEDULERS[name](**kwargs)`` runs every registry-wide test, and
#: its preview must give the expected rates.
TABLE: dict[str, Case] = {
    "constant": Case({}, 0.5, _epochs(0.5, 0.5, 0.5, batches=2)),
    # 2 batches of 10 samples per epoch: eta0 / sqrt(t + 1) with t = 20, 40.
    "invscaling": Case({"power_t": 0.5}, 1.0,
                       _epochs(1.0, 1 / math.sqrt(21), 1 / math.sqrt(41),
                               batches=2)),
    # Constant between plateaus; preview never reports one.
    "adaptive": Case({"factor": 2.0}, 0.1, _epochs(0.1, 0.1, 0.1)),
    "step": Case({"step_size": 2, "gamma": 0.5}, 1.0,
                 _epochs(1.0, 1.0, 0.5, 0.5, 0.25)),
    "multistep": Case({"milestones": (1, 3), "gamma": 0.1}, 1.0,
                      _epochs(1.0, 0.1, 0.1, 0.01, 0.01)),
    "exponential": Case({"gamma": 0.5}, 1.0, _epochs(1.0, 0.5, 0.25, 0.125)),
    "natural_exp": Case({"decay_rate": math.log(2)}, 1.0,
                        _epochs(1.0, 0.5, 0.25, 0.125)),
    "inverse_time": Case({"decay_rate": 1.0}, 1.0,
                         _epochs(1.0, 1 / 2, 1 / 3, 1 / 4)),
    # Sized by the 5-epoch fit: (1 - e/4)^2, eta_min=0 in the last epoch.
    "polynomial": Case({"power": 2.0}, 1.0,
                       _epochs(1.0, 0.5625, 0.25, 0.0625, 0.0)),
    # Sized by the 5-epoch fit: (1 + cos(pi e / 4)) / 2, 0 in the last epoch.
    "cosine": Case({}, 1.0, _epochs(1.0, (2 + math.sqrt(2)) / 4, 0.5,
                                    (2 - math.sqrt(2)) / 4, 0.0)),
    # Half-cycles of 2 steps from 0.1 to 0.5, halved every cycle.
    "cyclic": Case({"base_lr": 0.1, "max_lr": 0.5, "step_size": 2,
                    "mode": "triangular2", "per_batch": True}, 1.0,
                   [[0.1, 0.3, 0.5], [0.3, 0.1, 0.2], [0.3, 0.2, 0.1]]),
    # Sized by the fit's 5 x 2 = 10 steps: 1/25 at step 0, the peak at step
    # 0.3 * 10 - 1 = 2, then a straight line down to 1/25/1e4 at step 9.
    "one_cycle": Case({"anneal_strategy": "linear", "per_batch": True}, 1.0,
                      [[0.04, 0.52], [1.0, 1 - 1 * (1 - 4e-6) / 7],
                       [1 - 2 * (1 - 4e-6) / 7, 1 - 3 * (1 - 4e-6) / 7],
                       [1 - 4 * (1 - 4e-6) / 7, 1 - 5 * (1 - 4e-6) / 7],
                       [1 - 6 * (1 - 4e-6) / 7, 4e-6]]),
    # By name; 2 epochs from half the rate, then a linear decay sized by the
    # 4 epochs left: 1 - e/3.
    "warmup": Case({"scheduler": "polynomial", "warmup_epochs": 2,
                    "start_factor": 0.5}, 1.0,
                   _epochs(0.5, 0.75, 1.0, 2 / 3, 1 / 3, 0.0)),
    # The tie (epoch 2) improves; epochs 3 and 4 are bad, more than
    # patience=1: the 5th epoch trains at half the rate.
    "plateau": Case({"factor": 0.5, "patience": 1, "threshold": 0.0}, 1.0,
                    _epochs(1.0, 1.0, 1.0, 1.0, 0.5, 0.5),
                    losses=[1.0, 1.0, 1.1, 1.2, 0.9, 0.9]),
}


def configured(name):
    return SCHEDULERS[name](**TABLE[name].kwargs)


def preview_case(name, sched=None):
    """The preview of ``name``'s table fit, and its expected rates."""
    case = TABLE[name]
    metrics = None if case.losses is None else [
        {"loss": loss, "validation_score": None} for loss in case.losses]
    rates = (sched or configured(name)).preview(
        case.eta0, epochs=len(case.expected),
        batches_per_epoch=len(case.expected[0]), batch_size=BATCH, metrics=metrics)
    return rates, np.ravel(case.expected)


def test_table_covers_the_registry():
    assert set(TABLE) == set(SCHEDULERS)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_preview_gives_the_hand_derived_rates(name):
    rates, expected = preview_case(name)
    assert rates.shape == expected.shape
    assert_rates(rates, expected)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_preview_drives_the_hooks_as_the_trainer_does(name):
    case = TABLE[name]
    n_epochs, n_batches = len(case.expected), len(case.expected[0])
    metrics = [{"loss": loss, "validation_score": None}
               for loss in case.losses or [None] * n_epochs]
    rates, _, _ = drive(configured(name), n_epochs, eta0=case.eta0,
                        n_batches=n_batches, metrics=metrics)
    np.testing.assert_array_equal(preview_case(name)[0], rates.ravel())


# -- the closed-form schedules against their formulas ------------------------


@pytest.mark.parametrize("step_size, gamma", [(1, 0.5), (3, 0.1), (4, 1.0)])
def test_step(step_size, gamma):
    rates, _, _ = drive(StepLR(step_size=step_size, gamma=gamma), 13)
    assert_rates(rates, per_epoch(lambda e: ref_step(e, ETA0, step_size, gamma), 13))


def test_step_matches_torch_docs():
    # PyTorch docs: lr=0.05, step_size=30, gamma=0.1 -> 0.05 for epochs < 30,
    # 0.005 for 30 <= epoch < 60, 0.0005 for 60 <= epoch < 90.
    _, _, curve = drive(StepLR(step_size=30, gamma=0.1), 90, n_batches=1)
    expected = [0.05] * 30 + [0.005] * 30 + [0.0005] * 30
    assert_rates(curve, expected)


@pytest.mark.parametrize("milestones", [(2, 5, 6), [1], (3, 100)])
def test_multistep(milestones):
    sched = MultiStepLR(milestones=milestones, gamma=0.3)
    rates, _, _ = drive(sched, 10)
    expected = per_epoch(lambda e: ref_multistep(e, ETA0, milestones, 0.3), 10)
    assert_rates(rates, expected)


def test_multistep_matches_torch_docs():
    # PyTorch docs: milestones=[30, 80], gamma=0.1 -> 0.05 / 0.005 / 0.0005.
    _, _, curve = drive(MultiStepLR(milestones=(30, 80), gamma=0.1), 100, n_batches=1)
    assert_rates(curve, [0.05] * 30 + [0.005] * 50 + [0.0005] * 20)


@pytest.mark.parametrize("gamma", [0.9, 0.5, 1.0])
def test_exponential(gamma):
    rates, _, _ = drive(ExponentialLR(gamma=gamma), 12)
    assert_rates(rates, per_epoch(lambda e: ETA0 * gamma**e, 12))


@pytest.mark.parametrize("decay_rate", [0.0, 0.1, 0.7])
def test_natural_exp(decay_rate):
    rates, _, _ = drive(NaturalExpLR(decay_rate=decay_rate), 12)
    assert_rates(rates, per_epoch(lambda e: ETA0 * np.exp(-decay_rate * e), 12))


def test_two_exponential_forms_agree():
    lam = 0.3
    a, _, _ = drive(NaturalExpLR(decay_rate=lam), 15)
    b, _, _ = drive(ExponentialLR(gamma=math.exp(-lam)), 15)
    np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("decay_rate", [0.0, 0.5, 2.0])
def test_inverse_time(decay_rate):
    rates, _, _ = drive(InverseTimeLR(decay_rate=decay_rate), 12)
    assert_rates(rates, per_epoch(lambda e: ETA0 / (1 + decay_rate * e), 12))


@pytest.mark.parametrize("total, power, eta_min", [(5, 1.0, 0.0), (7, 2.0, 1e-3),
                                                   (4, 0.5, 0.0), (20, 0.9, 0.01)])
def test_polynomial_per_epoch(total, power, eta_min):
    sched = PolynomialLR(total_iters=total, power=power, eta_min=eta_min)
    rates, _, _ = drive(sched, 10, horizon=None)
    expected = per_epoch(lambda e: ref_polynomial(e, ETA0, total, power, eta_min), 10)
    assert_rates(rates, expected)


def test_polynomial_per_batch():
    sched = PolynomialLR(total_iters=10, power=2.0, eta_min=1e-4, per_batch=True)
    rates, _, _ = drive(sched, 6, horizon=None)
    assert_rates(rates, per_step(lambda t: ref_polynomial(t, ETA0, 10, 2.0, 1e-4), 6))


def test_polynomial_matches_torch_docs():
    # PyTorch docs: lr=0.001, total_iters=4, power=1 ->
    # 0.001, 0.00075, 0.0005, 0.00025, then 0.0 from epoch 4 on.
    _, _, curve = drive(PolynomialLR(total_iters=4), 6, eta0=0.001, n_batches=1,
                        horizon=None)
    assert_rates(curve, [0.001, 0.00075, 0.0005, 0.00025, 0.0, 0.0])


@pytest.mark.parametrize("T_0, T_mult, eta_min", [(3, 1, 0.0), (2, 2, 0.001),
                                                  (1, 3, 0.0), (5, 1, 0.01)])
def test_cosine_per_epoch(T_0, T_mult, eta_min):
    sched = CosineAnnealingWarmRestarts(T_0=T_0, T_mult=T_mult, eta_min=eta_min)
    rates, _, _ = drive(sched, 30, horizon=None)
    expected = per_epoch(
        lambda e: ref_cosine_restarts(e, ETA0, T_0, T_mult, eta_min), 30
    )
    assert_rates(rates, expected)


def test_cosine_per_batch():
    sched = CosineAnnealingWarmRestarts(T_0=4, T_mult=2, per_batch=True)
    rates, _, _ = drive(sched, 10, horizon=None)
    assert_rates(rates, per_step(lambda t: ref_cosine_restarts(t, ETA0, 4, 2, 0.0), 10))


def test_cosine_restart_points_match_torch():
    # T_0=10, T_mult=2: periods of 10, 20, 40 epochs -> restarts at 0, 10, 30, 70;
    # the epoch before a restart is the lowest of its period.
    _, _, curve = drive(CosineAnnealingWarmRestarts(T_0=10, T_mult=2), 75, n_batches=1,
                        horizon=None)
    assert_rates(curve[[0, 10, 30, 70]], [ETA0] * 4)
    assert_rates(curve[[5, 20, 50]], [ETA0 / 2] * 3)  # half-way through each period
    assert np.all(np.diff(curve[10:30]) < 0) and np.all(np.diff(curve[30:70]) < 0)
    assert np.all(curve > 0)


@pytest.mark.parametrize("mode, gamma", [("triangular", 1.0), ("triangular2", 1.0),
                                         ("exp_range", 0.9)])
@pytest.mark.parametrize("per_batch", [False, True])
def test_cyclic(mode, gamma, per_batch):
    sched = CyclicLR(base_lr=0.01, max_lr=0.07, step_size=3, mode=mode, gamma=gamma,
                     per_batch=per_batch)
    rates, _, _ = drive(sched, 16)
    formula = lambda t: ref_cyclic(t, 0.01, 0.07, 3, mode, gamma)  # noqa: E731
    expected = per_step(formula, 16) if per_batch else per_epoch(formula, 16)
    assert_rates(rates, expected)


def test_cyclic_defaults_use_learning_rate_init():
    # max_lr=None -> learning_rate_init; base_lr=None -> max_lr / 4.
    rates, _, _ = drive(CyclicLR(step_size=2), 9)
    expected = per_epoch(lambda e: ref_cyclic(e, ETA0 / 4, ETA0, 2, "triangular", 1), 9)
    assert_rates(rates, expected)
    assert rates[0, 0] == pytest.approx(ETA0 / 4, rel=RTOL)


def test_cyclic_triangular2_matches_hand_computation():
    # base 1, max 3, half-cycle 2: 1 2 3 2 | 1 1.5 2 1.5 | 1 1.25 1.5 1.25 | 1
    sched = CyclicLR(base_lr=1.0, max_lr=3.0, step_size=2, mode="triangular2")
    _, _, curve = drive(sched, 13, n_batches=1)
    assert_rates(curve, [1, 2, 3, 2, 1, 1.5, 2, 1.5, 1, 1.25, 1.5, 1.25, 1])


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("per_batch", [False, True])
def test_one_cycle(strategy, three_phase, per_batch):
    sched = OneCycleLR(max_lr=0.2, total_steps=20, pct_start=0.3, div_factor=10.0,
                       final_div_factor=100.0, anneal_strategy=strategy,
                       three_phase=three_phase, per_batch=per_batch)
    n_epochs = 10 if per_batch else 25  # 30 steps / 25 epochs: past the end too
    rates, _, _ = drive(sched, n_epochs, horizon=None)

    def formula(t):
        return ref_one_cycle(t, 0.2, 20, 0.3, 10.0, 100.0, strategy, three_phase)

    expected = (per_step if per_batch else per_epoch)(formula, n_epochs)
    assert_rates(rates, expected)


def test_one_cycle_matches_torch_hand_computation():
    # PyTorch OneCycleLR(max_lr=1, total_steps=10): initial 1/25 = 0.04, peak at
    # step pct*T - 1 = 2 (halfway: 0.52), final 0.04 / 1e4 = 4e-6 at step 9.
    _, _, curve = drive(OneCycleLR(total_steps=10), 12, eta0=1.0, n_batches=1,
                        horizon=None)
    assert_rates(curve[[0, 1, 2, 9, 10, 11]], [0.04, 0.52, 1.0, 4e-6, 4e-6, 4e-6])
    assert np.all(np.diff(curve[2:10]) < 0)
    # Step 8 is 6/7 of the way down the cosine from 1 to 4e-6.
    cosine = (1 + math.cos(math.pi * 6 / 7)) / 2
    assert curve[8] == pytest.approx(4e-6 + (1 - 4e-6) * cosine, rel=RTOL)


# -- schedules sized by the fit's horizon -------------------------------------


@pytest.mark.parametrize("max_iter, peak", [(30, 8), (300, 89)])
def test_one_cycle_follows_max_iter(max_iter, peak):
    # One cycle over the whole fit, whatever max_iter: max_lr / 25 in the
    # first epoch, max_lr in epoch 0.3 * max_iter - 1, max_lr / 25 / 1e4 in
    # the last. (With a fixed 200-epoch cycle, 30 epochs never got past the
    # rise and 300 spent 100 epochs at the final rate.)
    rates = OneCycleLR(max_lr=0.5).preview(0.1, epochs=max_iter)
    assert rates.shape == (max_iter,)
    assert_rates(rates[[0, peak, -1]], [0.5 / 25, 0.5, 0.5 / 25 / 1e4])
    assert np.argmax(rates) == peak
    assert np.all(np.diff(rates[:peak + 1]) > 0)
    assert np.all(np.diff(rates[peak:]) < 0)


def test_one_cycle_per_batch_follows_the_steps_of_the_fit():
    # 10 epochs of 7 batches: 70 steps, the peak at step 0.3 * 70 - 1 = 20,
    # the final rate at step 69.
    rates = OneCycleLR(per_batch=True).preview(1.0, epochs=10, batches_per_epoch=7)
    assert rates.shape == (70,)
    assert_rates(rates[[0, 20, 69]], [0.04, 1.0, 4e-6])
    assert np.argmax(rates) == 20 and np.all(np.diff(rates[20:]) < 0)


@pytest.mark.parametrize("max_iter", [3, 30, 300])
def test_polynomial_reaches_eta_min_in_the_last_epoch(max_iter):
    # Linear (power 1) from 1 to 0.01 over the fit: a step of 0.99 / (max_iter
    # - 1) per epoch, 0.01 in the last epoch and not before.
    rates = PolynomialLR(eta_min=0.01).preview(1.0, epochs=max_iter)
    expected = 1.0 - 0.99 * np.arange(max_iter) / (max_iter - 1)
    assert_rates(rates, expected)
    assert rates[-1] == pytest.approx(0.01, rel=RTOL) and rates[-2] > 0.01


def test_polynomial_per_batch_reaches_eta_min_in_the_last_step():
    rates = PolynomialLR(per_batch=True).preview(1.0, epochs=4, batches_per_epoch=5)
    assert_rates(rates, 1.0 - np.arange(20) / 19)


@pytest.mark.parametrize("max_iter", [31, 301])
def test_cosine_anneals_once_over_the_fit(max_iter):
    # No restart: 1 in the first epoch, the midpoint (1 + 0.01) / 2 half-way,
    # eta_min=0.01 in the last epoch, decreasing throughout.
    rates = CosineAnnealingWarmRestarts(eta_min=0.01).preview(1.0, epochs=max_iter)
    middle = (max_iter - 1) // 2
    assert_rates(rates[[0, middle, -1]], [1.0, 0.505, 0.01])
    assert np.all(np.diff(rates) < 0)


@pytest.mark.parametrize("cls, param", [(OneCycleLR, "total_steps"),
                                        (PolynomialLR, "total_iters"),
                                        (CosineAnnealingWarmRestarts, "T_0")])
def test_fit_sized_schedule_without_horizon_needs_its_length(cls, param):
    name = cls.__name__
    message = (f"{name} needs {param} when the fit has no horizon (partial_fit): "
               f"set learning_rate={name}({param}=...).")
    with pytest.raises(ValueError, match=re.escape(message)):
        cls().init_state(0.1)
    cls(**{param: 10}).init_state(0.1)  # a length set explicitly is enough


#: (schedule, horizon, what the warning says, or None for no warning)
EXPLICIT_LENGTHS = [
    (OneCycleLR(total_steps=200), Horizon(30, 4),
     "OneCycleLR(total_steps=200) reaches its final rate in epoch 200, after the "
     "fit has ended: the fit's horizon is max_iter=30. Leave "
     "total_steps=None to follow max_iter."),
    (OneCycleLR(total_steps=20), Horizon(30, 4),
     "OneCycleLR(total_steps=20) reaches its final rate in epoch 20 and keeps it "
     "for the last 10 epochs of the fit: the fit's horizon is max_iter=30."),
    (OneCycleLR(total_steps=30), Horizon(30, 4), None),
    (OneCycleLR(total_steps=100, per_batch=True), Horizon(30, 3),
     "OneCycleLR(total_steps=100) reaches its final rate in optimizer step 100, "
     "after the fit has ended: the fit's horizon is 90 optimizer steps "
     "(max_iter=30 x 3 batches)."),
    (OneCycleLR(total_steps=90, per_batch=True), Horizon(30, 3), None),
    # PyTorch's total_iters: eta_min after total_iters epochs, in the next one.
    (PolynomialLR(total_iters=30), Horizon(30, 4),
     "PolynomialLR(total_iters=30) reaches its final rate in epoch 31, after the "
     "fit has ended: the fit's horizon is max_iter=30. Leave "
     "total_iters=None to follow max_iter."),
    (PolynomialLR(total_iters=29), Horizon(30, 4), None),
    # Warm restarts: the fit must end with a period (10, 30, 70, 150, 310).
    (CosineAnnealingWarmRestarts(T_0=10), Horizon(30, 4), None),
    (CosineAnnealingWarmRestarts(T_0=10, T_mult=2), Horizon(70, 4), None),
    (CosineAnnealingWarmRestarts(T_0=10, T_mult=2), Horizon(200, 4),
     "CosineAnnealingWarmRestarts(T_0=10) is 50 epochs into a period of 160 epochs "
     "when the fit ends: the fit's horizon is max_iter=200. Leave "
     "T_0=None to follow max_iter."),
    (CosineAnnealingWarmRestarts(T_0=50), Horizon(30, 4),
     "CosineAnnealingWarmRestarts(T_0=50) is 30 epochs into a period of 50 epochs"),
    (CosineAnnealingWarmRestarts(T_0=4, per_batch=True), Horizon(3, 3),
     "CosineAnnealingWarmRestarts(T_0=4) is 1 optimizer step into a period of "
     "4 optimizer steps when the fit ends: the fit's horizon is 9 optimizer "
     "steps (max_iter=3 x 3 batches)."),
]


@pytest.mark.parametrize("sched, horizon, message", EXPLICIT_LENGTHS)
def test_explicit_length_that_misses_the_fit_warns(sched, horizon, message):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        state = sched.init_state(0.1, horizon=horizon)
    assert [str(w.message)[:len(message or "")] for w in caught] == (
        [] if message is None else [message])
    assert all(w.category is UserWarning for w in caught)
    assert sched.ends_at_horizon(state) is (message is None)
    assert sched.ends_at_horizon(sched.init_state(0.1)) is False  # no horizon


@pytest.mark.parametrize("sched, ends", [
    (OneCycleLR(), True), (PolynomialLR(per_batch=True), True),
    (CosineAnnealingWarmRestarts(), True),
    (WarmupLR("one_cycle", warmup_epochs=2), True),
    (WarmupLR(CosineAnnealingWarmRestarts(T_0=8), warmup_epochs=2), True),
    (WarmupLR(CosineAnnealingWarmRestarts(T_0=10), warmup_epochs=2), False),
    (WarmupLR(StepLR(), warmup_epochs=2), False),
    (ConstantLR(), False), (StepLR(), False), (CyclicLR(), False),
    (ReduceLROnPlateau(), False), (AdaptiveLR(), False),
])
def test_ends_at_horizon(sched, ends):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # T_0=10 misses 8 epochs
        state = sched.init_state(0.1, horizon=Horizon(10, 3))
    assert sched.ends_at_horizon(state) is ends


def test_resolved_length_lives_in_the_state():
    # partial_fit after fit continues the fit's schedule: the length is in the
    # state, and past the end the rate stays at the final one.
    sched = OneCycleLR()
    state = sched.init_state(1.0, horizon=Horizon(10, 2))
    assert state.length == 10 and state.horizon == Horizon(10, 2)
    first, state, _ = drive(sched, 10, eta0=1.0, n_batches=2, state=state)
    restored = pickle.loads(pickle.dumps(state))
    after, _, _ = drive(sched, 3, eta0=1.0, n_batches=2, state=restored)
    assert_rates(first.ravel(), sched.preview(1.0, epochs=10, batches_per_epoch=2))
    assert_rates(after, np.full((3, 2), 4e-6))


def test_length_too_short_for_one_cycle_names_the_horizon():
    # pct_start * total_steps must exceed 1: 0.3 * 3 does not.
    with pytest.raises(ValueError, match=r"'pct_start'.*total_steps=3 \(the fit's "
                                         r"horizon: raise max_iter"):
        OneCycleLR().preview(0.1, epochs=3)
    OneCycleLR(per_batch=True).preview(0.1, epochs=3, batches_per_epoch=2)  # 6


# -- preview -------------------------------------------------------------------


def test_preview_checks_its_arguments_and_the_schedule():
    with pytest.raises(ValueError, match="epochs"):
        StepLR().preview(epochs=0)
    with pytest.raises(ValueError, match="batches_per_epoch"):
        StepLR().preview(epochs=2, batches_per_epoch=0)
    with pytest.raises(ValueError, match="one mapping per epoch: got 2 for epochs=3"):
        StepLR().preview(epochs=3, metrics=[{"loss": 1.0}] * 2)
    with pytest.raises(ValueError, match="'step_size' parameter of StepLR"):
        StepLR(step_size=0).preview(epochs=3)


def test_preview_of_a_metric_driven_schedule_needs_metrics():
    message = ("ReduceLROnPlateau(monitor='loss') got no 'loss' metric at the end "
               "of epoch 1. To preview it, pass preview(metrics=[{'loss': ...}, "
               "...]), one mapping per epoch.")
    with pytest.raises(ValueError, match=re.escape(message)):
        ReduceLROnPlateau().preview(epochs=3)


def test_preview_defaults_and_leaves_the_schedule_unchanged():
    sched = WarmupLR(StepLR(step_size=1, gamma=0.5), warmup_epochs=1)
    before = repr(sched.get_params(deep=True))
    # learning_rate_init defaults to the estimator's, 0.001; one batch a epoch.
    assert_rates(sched.preview(epochs=3), [0.001 / 3, 0.001, 0.0005])
    assert repr(sched.get_params(deep=True)) == before


# -- warm-up --------------------------------------------------------------


def test_warmup_then_step():
    inner = StepLR(step_size=2, gamma=0.5)
    sched = WarmupLR(scheduler=inner, warmup_epochs=4, start_factor=0.25)
    rates, _, _ = drive(sched, 12)

    def formula(e):
        if e < 4:
            return ETA0 * (0.25 + 0.75 * e / 4)
        return ref_step(e - 4, ETA0, 2, 0.5)

    assert_rates(rates, per_epoch(formula, 12))


def test_warmup_default_is_constant_after_torch_linear_lr():
    # Default: 5 epochs from 1/3 of the rate, as PyTorch's LinearLR defaults.
    sched = SCHEDULERS["warmup"]()
    _, _, curve = drive(sched, 8, n_batches=2)
    expected = [ETA0 * (1 / 3 + (2 / 3) * e / 5) for e in range(5)] + [ETA0] * 3
    assert_rates(curve, expected)


def test_warmup_inner_per_batch_counts_from_end_of_warmup():
    inner = CyclicLR(base_lr=0.01, max_lr=0.05, step_size=2, per_batch=True)
    sched = WarmupLR(scheduler=inner, warmup_epochs=2, start_factor=0.5)
    rates, _, _ = drive(sched, 6)
    # Warm-up ramps to the inner schedule's first rate (its base_lr).
    assert_rates(rates[:2], [[0.005] * 3, [0.0075] * 3])
    tail = per_step(lambda t: ref_cyclic(t, 0.01, 0.05, 2, "triangular", 1.0), 4)
    assert_rates(rates[2:], tail)


def test_warmup_zero_epochs_is_the_inner_schedule():
    inner = ExponentialLR(gamma=0.8)
    a, _, _ = drive(WarmupLR(scheduler=inner, warmup_epochs=0), 7)
    b, _, _ = drive(ExponentialLR(gamma=0.8), 7)
    assert_rates(a, b)


def test_warmup_plateau_is_delegated():
    sched = WarmupLR(scheduler=AdaptiveLR(), warmup_epochs=2)
    _, state, _ = drive(sched, 3)
    state, stop = sched.on_plateau(state)
    assert not stop and state.learning_rate == pytest.approx(ETA0 / 5, rel=RTOL)
    # A constant inner schedule stops, like the default.
    sched = WarmupLR(warmup_epochs=2)
    _, state, _ = drive(sched, 1, horizon=None)
    assert sched.on_plateau(state)[1] is True


def test_warmup_nested_params():
    sched = WarmupLR(scheduler=StepLR(step_size=3), warmup_epochs=2)
    params = sched.get_params(deep=True)
    assert params["scheduler__step_size"] == 3
    assert params["scheduler__gamma"] == 0.1
    sched.set_params(scheduler__gamma=0.5, warmup_epochs=1)
    assert sched.scheduler.gamma == 0.5
    cloned = clone(sched, safe=False)
    assert cloned.scheduler is not sched.scheduler
    assert cloned.get_params(deep=True)["scheduler__gamma"] == 0.5
    # Validation reaches the wrapped schedule.
    with pytest.raises(ValueError, match="step_size"):
        resolve(WarmupLR(scheduler=StepLR(step_size=0)), SCHEDULERS)


def test_warmup_accepts_a_name():
    by_name = WarmupLR("step", warmup_epochs=2)
    resolve(by_name, SCHEDULERS)  # valid
    assert_rates(by_name.preview(0.1, epochs=40),
                 WarmupLR(StepLR(), warmup_epochs=2).preview(0.1, epochs=40))
    assert clone(by_name, safe=False).get_params() == by_name.get_params()
    with pytest.raises(ValueError, match=r"'scheduler' parameter of WarmupLR must "
                                         r"be one of .*Did you mean 'step'\?"):
        resolve(WarmupLR("stepp"), SCHEDULERS)


def test_warmup_gives_the_wrapped_schedule_the_rest_of_the_fit():
    # 3 epochs of warm-up, then a one-cycle over the 10 epochs left: its peak
    # (inner epoch 0.3 * 10 - 1 = 2) in epoch 5, its final rate in epoch 12.
    rates = WarmupLR(OneCycleLR(), warmup_epochs=3).preview(1.0, epochs=13)
    start = 1.0 / 25
    expected_warmup = [start * (1 / 3 + 2 / 3 * e / 3) for e in range(3)]
    assert_rates(rates[:4], [*expected_warmup, start])
    assert_rates(rates[[5, 12]], [1.0, 4e-6])
    assert np.argmax(rates) == 5


def test_warmup_that_lasts_the_whole_fit_warns():
    with pytest.warns(UserWarning, match=re.escape(
            "WarmupLR(warmup_epochs=5) lasts the whole fit (max_iter=3): "
            "the wrapped schedule ConstantLR() never takes over.")):
        rates = WarmupLR(warmup_epochs=5).preview(1.0, epochs=3)
    assert_rates(rates, [1 / 3, 1 / 3 + 2 / 15, 1 / 3 + 4 / 15])


# -- reduce on plateau ----------------------------------------------------


def plateau_rates(sched, values, *, eta0=ETA0):
    """The rate after each epoch, fed ``values`` as the monitored metric."""
    key = sched.monitor
    metrics = [{"loss": None, "validation_score": None, key: v} for v in values]
    _, state, curve = drive(sched, len(values), eta0=eta0, n_batches=1,
                            metrics=metrics)
    return [*curve[1:].tolist(), state.learning_rate]


def test_plateau_reduces_after_patience_bad_epochs():
    sched = ReduceLROnPlateau(factor=0.5, patience=2, threshold=0.0)
    # 1.0 is the best; the tie (2nd) improves; 1.2, 1.1 are two bad epochs
    # (not more than patience); 1.0 ties the best again and improves; 0.5 is
    # the new best, then three 0.6s: the third exceeds patience, the rate
    # halves, and the count restarts.
    losses = [1.0, 1.0, 1.2, 1.1, 1.0, 0.5, 0.6, 0.6, 0.6, 0.6]
    expected = [1, 1, 1, 1, 1, 1, 1, 1, 0.5, 0.5]
    assert_rates(plateau_rates(sched, losses, eta0=1.0), expected)


def test_plateau_cooldown_and_min_lr():
    sched = ReduceLROnPlateau(factor=0.1, patience=0, cooldown=2, min_lr=0.002,
                              threshold=0.0)
    losses = [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7]
    # patience 0: first bad epoch (2nd epoch) drops 1 -> 0.1; two cooldown epochs;
    # then a drop on every bad epoch, floored at min_lr.
    expected = [1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.002]
    assert_rates(plateau_rates(sched, losses, eta0=1.0), expected)


def test_plateau_validation_score_is_maximised():
    sched = ReduceLROnPlateau(monitor="validation_score", factor=0.5, patience=1,
                              threshold=0.0)
    # Rising scores are improvements; a falling score is a bad epoch.
    scores = [0.5, 0.6, 0.7, 0.65, 0.65, 0.8, 0.9]
    expected = [1, 1, 1, 1, 0.5, 0.5, 0.5]
    assert_rates(plateau_rates(sched, scores, eta0=1.0), expected)
    # The same sequence as a loss would be a plateau from the 2nd epoch.
    as_loss = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, threshold=0.0)
    assert plateau_rates(as_loss, scores, eta0=1.0)[2] == 0.5


def test_plateau_threshold_modes():
    rel = ReduceLROnPlateau(factor=0.5, patience=0, threshold=0.1)
    # 0.95 is not 10% below 1.0 -> bad epoch -> drop at once (patience 0).
    assert plateau_rates(rel, [1.0, 0.95], eta0=1.0) == [1.0, 0.5]
    absolute = ReduceLROnPlateau(factor=0.5, patience=0, threshold=0.01,
                                 threshold_mode="abs")
    assert plateau_rates(absolute, [1.0, 0.98], eta0=1.0) == [1.0, 1.0]


# Where the rule differs from PyTorch's, on purpose (see the docstring): each
# sequence is worked out by hand for both, with factor 0.5 from a rate of 1.


def test_plateau_boundary_value_improves_unlike_torch():
    # threshold=0: a tie with the best improves; PyTorch counts it as bad.
    tie = dict(factor=0.5, patience=0, threshold=0.0)
    assert plateau_rates(ReduceLROnPlateau(**tie), [1.0, 1.0, 1.0], eta0=1.0) == [
        1.0, 1.0, 1.0]
    torch = TorchReduceLROnPlateau(1.0, "min", 0.5, 0, 0.0, "rel", 0, 0.0, 1e-8)
    assert [torch.step(v) for v in [1.0, 1.0, 1.0]] == [1.0, 0.5, 0.25]
    # Exactly threshold below the best, absolute (0.75 = 1 - 0.25) or relative
    # (0.5 = 1 - 1 * 0.5): an improvement.
    for value, threshold, mode in [(0.75, 0.25, "abs"), (0.5, 0.5, "rel")]:
        sched = ReduceLROnPlateau(factor=0.5, patience=0, threshold=threshold,
                                  threshold_mode=mode)
        assert plateau_rates(sched, [1.0, value], eta0=1.0) == [1.0, 1.0]


def test_plateau_best_follows_a_slow_drift_unlike_torch():
    # Abs threshold 0.1, patience 1, a loss drifting down by 0.05 an epoch:
    # each epoch is 0.05 below the previous best, never 0.1, so every epoch
    # after the first is bad: drops after epochs 3 and 5. PyTorch keeps the
    # best at 1.0 until 0.85 beats it by more than 0.1 (epoch 4): one drop.
    kwargs = dict(factor=0.5, patience=1, threshold=0.1, threshold_mode="abs")
    losses = [1.0, 0.95, 0.9, 0.85, 0.8]
    assert plateau_rates(ReduceLROnPlateau(**kwargs), losses, eta0=1.0) == [
        1.0, 1.0, 0.5, 0.5, 0.25]
    torch = TorchReduceLROnPlateau(1.0, "min", 0.5, 1, 0.1, "abs", 0, 0.0, 1e-8)
    assert [torch.step(v) for v in losses] == [1.0, 1.0, 0.5, 0.5, 0.5]


def test_plateau_relative_threshold_of_a_negative_best_unlike_torch():
    # A validation score of -1 then -1.05, relative threshold 0.1: -1.05 is
    # worse, a bad epoch here (needs >= -1 + 0.1); PyTorch asks for more than
    # -1 * 1.1 = -1.1 and counts it as an improvement.
    kwargs = dict(factor=0.5, patience=0, threshold=0.1)
    sched = ReduceLROnPlateau(monitor="validation_score", **kwargs)
    assert plateau_rates(sched, [-1.0, -1.05], eta0=1.0) == [1.0, 0.5]
    torch = TorchReduceLROnPlateau(1.0, "max", 0.5, 0, 0.1, "rel", 0, 0.0, 1e-8)
    assert [torch.step(v) for v in [-1.0, -1.05]] == [1.0, 1.0]


def test_plateau_nan_is_a_bad_epoch():
    sched = ReduceLROnPlateau(factor=0.5, patience=0, threshold=0.0)
    assert plateau_rates(sched, [1.0, math.nan, 0.9], eta0=1.0) == [1.0, 0.5, 0.5]


def random_plateau_case(seed, monitor, *, threshold):
    rng = np.random.default_rng(seed)
    kwargs = dict(
        factor=float(rng.choice([0.1, 0.5])),
        patience=int(rng.integers(0, 4)),
        threshold=threshold if threshold is not None
        else float(rng.choice([0.0, 1e-3, 0.05])),
        threshold_mode=str(rng.choice(["rel", "abs"])),
        cooldown=int(rng.integers(0, 3)),
        min_lr=1e-4,
        eps=1e-8,
    )
    values = rng.random(60) + np.linspace(1, 0, 60)
    return kwargs, values, "min" if monitor == "loss" else "max"


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("monitor", ["loss", "validation_score"])
def test_plateau_follows_its_documented_rule(seed, monitor):
    # Values rounded to 2 decimals: ties and boundary values happen.
    kwargs, values, mode = random_plateau_case(seed, monitor, threshold=None)
    values = np.round(values, 2).tolist()
    ours = plateau_rates(ReduceLROnPlateau(monitor=monitor, **kwargs), values, eta0=0.1)
    rule = DocumentedReduceLROnPlateau(0.1, mode, **kwargs)
    assert ours == [rule.step(v) for v in values]  # exact: same arithmetic order
    assert min(ours) < 0.1  # the sequence does trigger reductions


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("monitor", ["loss", "validation_score"])
def test_plateau_is_torch_without_threshold_or_ties(seed, monitor):
    kwargs, values, mode = random_plateau_case(seed, monitor, threshold=0.0)
    values = values.tolist()
    assert len(set(values)) == len(values)
    ours = plateau_rates(ReduceLROnPlateau(monitor=monitor, **kwargs), values, eta0=0.1)
    torch = TorchReduceLROnPlateau(0.1, mode, **kwargs)
    assert ours == [torch.step(v) for v in values]
    assert min(ours) < 0.1


def test_plateau_on_plateau_stops_and_missing_metric_raises():
    sched = ReduceLROnPlateau()
    _, state, _ = drive(sched, 3)
    new_state, stop = sched.on_plateau(state)
    assert stop is True and new_state == state
    with pytest.raises(ValueError, match="early_stopping=True"):
        drive(ReduceLROnPlateau(monitor="validation_score"), 2,
              metrics=[{"loss": 1.0, "validation_score": None}] * 2)


# -- the scikit-learn schedules against scikit-learn -------------------------


def test_adaptive_matches_sklearn_sgd_optimizer():
    for eta0 in (0.1, 1e-3, 1e-6, 3e-6):
        ours, state = AdaptiveLR(), AdaptiveLR().init_state(eta0)
        theirs = SGDOptimizer([np.zeros(1)], learning_rate_init=eta0,
                              lr_schedule="adaptive")
        for _ in range(12):
            state, stop = ours.on_plateau(state)
            their_stop = theirs.trigger_stopping("", verbose=False)
            assert stop == their_stop
            assert state.learning_rate == pytest.approx(theirs.learning_rate, rel=RTOL)
            if stop:
                break
        else:
            pytest.fail("never stopped")
    # Stops once at or below 1e-6, dividing by 5 each time: 0.1 -> ... -> 1.28e-6
    # -> 2.56e-7 (8 divisions), then stop.
    sched, state, n = AdaptiveLR(), AdaptiveLR().init_state(0.1), 0
    while True:
        state, stop = sched.on_plateau(state)
        if stop:
            break
        n += 1
    assert n == 8 and state.learning_rate == pytest.approx(0.1 / 5**8)


def test_adaptive_is_constant_between_plateaus():
    rates, _, _ = drive(AdaptiveLR(), 10)
    assert_rates(rates, np.full_like(rates, ETA0))


def test_invscaling_matches_sklearn_sgd_optimizer():
    for power_t in (0.5, 0.25):
        theirs = SGDOptimizer([np.zeros(1)], learning_rate_init=ETA0,
                              lr_schedule="invscaling", power_t=power_t)
        rates, _, _ = drive(InvScalingLR(power_t=power_t), 8)
        expected = [ETA0]
        for epoch in range(1, 8):
            theirs.iteration_ends(epoch * N_BATCHES * BATCH)
            expected.append(theirs.learning_rate)
        assert_rates(rates, np.repeat(np.array(expected)[:, None], N_BATCHES, 1))


def test_constant():
    rates, _, _ = drive(ConstantLR(), 5)
    assert_rates(rates, np.full_like(rates, ETA0))


def test_closed_form_starts_at_its_formula():
    class Halving(ClosedFormScheduler):
        def value(self, initial_learning_rate, *, epoch, step):
            return initial_learning_rate * 0.5 ** (epoch + 1)

    _, _, curve = drive(Halving(), 4, eta0=1.0)
    assert_rates(curve, [0.5, 0.25, 0.125, 0.0625])


# -- registry-wide invariants ------------------------------------------------

#: The table's configured instances, and every name with its defaults (a name
#: missing from the table fails test_table_covers_the_registry, not collection).
INSTANCES = [pytest.param(configured(n), id=f"{n}-configured") for n in TABLE] + [
    pytest.param(cls(), id=f"{n}-default") for n, cls in SCHEDULERS.items()
]

#: An invalid value for one parameter of each schedule, and that parameter.
INVALID = [
    (InvScalingLR, {"power_t": -1.0}, "power_t"),
    (AdaptiveLR, {"factor": 1.0}, "factor"),
    (StepLR, {"step_size": 0}, "step_size"),
    (StepLR, {"step_size": 2.5}, "step_size"),
    (StepLR, {"gamma": 0.0}, "gamma"),
    (MultiStepLR, {"milestones": (5, 3)}, "milestones"),
    (MultiStepLR, {"milestones": (2, 2)}, "milestones"),
    (MultiStepLR, {"milestones": (0, 3)}, "milestones"),
    (MultiStepLR, {"milestones": (1.5, 3)}, "milestones"),
    (MultiStepLR, {"milestones": 3}, "milestones"),
    (ExponentialLR, {"gamma": 1.5}, "gamma"),
    (NaturalExpLR, {"decay_rate": -0.1}, "decay_rate"),
    (InverseTimeLR, {"decay_rate": -1}, "decay_rate"),
    (PolynomialLR, {"total_iters": 0}, "total_iters"),
    (PolynomialLR, {"power": 0.0}, "power"),
    (PolynomialLR, {"eta_min": -1e-3}, "eta_min"),
    (PolynomialLR, {"per_batch": "yes"}, "per_batch"),
    (CosineAnnealingWarmRestarts, {"T_0": 0}, "T_0"),
    (CosineAnnealingWarmRestarts, {"T_mult": 0}, "T_mult"),
    (CosineAnnealingWarmRestarts, {"T_mult": 1.5}, "T_mult"),
    (CosineAnnealingWarmRestarts, {"eta_min": -1.0}, "eta_min"),
    (CyclicLR, {"step_size": 0}, "step_size"),
    (CyclicLR, {"mode": "sawtooth"}, "mode"),
    (CyclicLR, {"base_lr": 0.0}, "base_lr"),
    (CyclicLR, {"base_lr": 0.2, "max_lr": 0.1}, "base_lr"),
    (CyclicLR, {"max_lr": -0.1}, "max_lr"),
    (CyclicLR, {"gamma": 0.0}, "gamma"),
    (OneCycleLR, {"total_steps": 1}, "total_steps"),
    (OneCycleLR, {"pct_start": 1.0}, "pct_start"),
    (OneCycleLR, {"pct_start": 0.1, "total_steps": 10}, "pct_start"),
    (OneCycleLR, {"pct_start": 0.6, "three_phase": True, "total_steps": 10},
     "pct_start"),
    (OneCycleLR, {"total_steps": 2.5}, "total_steps"),
    (PolynomialLR, {"total_iters": 3.0}, "total_iters"),
    (CosineAnnealingWarmRestarts, {"T_0": 2.5}, "T_0"),
    (OneCycleLR, {"anneal_strategy": "cosine"}, "anneal_strategy"),
    (OneCycleLR, {"div_factor": 0.5}, "div_factor"),
    (OneCycleLR, {"final_div_factor": 0.0}, "final_div_factor"),
    (WarmupLR, {"warmup_epochs": -1}, "warmup_epochs"),
    (WarmupLR, {"start_factor": 0.0}, "start_factor"),
    (WarmupLR, {"scheduler": "stepp"}, "scheduler"),
    (WarmupLR, {"scheduler": ConstantLR}, "scheduler"),
    (ReduceLROnPlateau, {"monitor": "accuracy"}, "monitor"),
    (ReduceLROnPlateau, {"factor": 1.0}, "factor"),
    (ReduceLROnPlateau, {"patience": -1}, "patience"),
    (ReduceLROnPlateau, {"threshold": -1e-4}, "threshold"),
    (ReduceLROnPlateau, {"threshold_mode": "relative"}, "threshold_mode"),
    (ReduceLROnPlateau, {"cooldown": -1}, "cooldown"),
    (ReduceLROnPlateau, {"min_lr": -1.0}, "min_lr"),
    (ReduceLROnPlateau, {"eps": -1.0}, "eps"),
]


def test_registry_names_and_classes():
    assert len(set(SCHEDULERS.values())) == len(SCHEDULERS)  # one name per class
    for name, cls in SCHEDULERS.items():
        assert name == name.lower() and issubclass(cls, Scheduler)
        # The package's catalogue lists it: its name, then its class.
        assert re.search(rf'``"{name}"``\s+:class:`{cls.__name__}`',
                         sched_module.__doc__), name
    for cls in SCHEDULERS.values():
        assert cls.__name__ in sched_module.__all__
        assert getattr(sched_module, cls.__name__) is cls


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_every_parameter_has_a_constraint(name):
    cls = SCHEDULERS[name]
    assert set(cls._parameter_constraints) == set(cls._get_param_names())


def test_parameter_names_do_not_collide_with_estimator_params():
    # Only InvScalingLR's power_t shares a name, and a meaning, with MLP's params.
    estimator_params = set(MLPClassifier().get_params())
    for cls in SCHEDULERS.values():
        shared = set(cls._get_param_names()) & estimator_params
        assert shared == ({"power_t"} if cls is InvScalingLR else set()), cls


def test_named_builtins_receive_only_meaningful_flat_params():
    flat = {"momentum": 0.3, "nesterovs_momentum": False, "beta_1": 0.5,
            "beta_2": 0.5, "epsilon": 1e-3, "power_t": 0.75}
    for name, cls in SCHEDULERS.items():
        assert cls.name == name
        assert cls.estimator_params == (("power_t",) if cls is InvScalingLR else ())
        component = resolve(name, SCHEDULERS, estimator_params=flat)
        expected = cls(power_t=0.75) if cls is InvScalingLR else cls()
        assert component.get_params() == expected.get_params()


@pytest.mark.parametrize("cls, params, name", INVALID,
                         ids=[f"{c.__name__}-{n}" for c, _, n in INVALID])
def test_invalid_params_raise_naming_the_parameter(cls, params, name):
    sched = cls(**params)  # constructors never validate
    with pytest.raises(ValueError, match=f"'{name}'"):
        resolve(sched, SCHEDULERS)
    with pytest.raises(ValueError, match=f"'{name}'"):
        sched._validate_params()


def test_cyclic_base_above_default_max_raises_at_start():
    sched = resolve(CyclicLR(base_lr=0.5), SCHEDULERS)  # max_lr comes at fit time
    with pytest.raises(ValueError, match="'base_lr'"):
        sched.init_state(0.1)


@pytest.mark.parametrize("sched", INSTANCES)
def test_validates_clones_and_roundtrips_params(sched):
    resolve(sched, SCHEDULERS)  # defaults and configured instances are valid
    params = sched.get_params(deep=False)
    cloned = clone(sched, safe=False)
    assert type(cloned) is type(sched) and cloned is not sched
    assert repr(cloned.get_params(deep=True)) == repr(sched.get_params(deep=True))
    fresh = type(sched)()
    fresh.set_params(**params)
    assert repr(fresh.get_params(deep=True)) == repr(sched.get_params(deep=True))
    assert repr(pickle.loads(pickle.dumps(sched))) == repr(sched)


@pytest.mark.parametrize("sched", INSTANCES)
def test_pickled_state_continues_identically(sched):
    metrics = made_up_metrics(25, seed=3)
    horizon = Horizon(25, N_BATCHES)
    first, state, _ = drive(sched, 9, metrics=metrics[:9], horizon=horizon)
    restored = pickle.loads(pickle.dumps(state))
    assert restored == state and hasattr(restored, "learning_rate")
    sched_copy = pickle.loads(pickle.dumps(sched))
    start = 9 * N_BATCHES * BATCH
    a, _, _ = drive(sched, 16, metrics=metrics[9:], state=state, start_samples=start)
    b, _, _ = drive(sched_copy, 16, metrics=metrics[9:], state=restored,
                    start_samples=start)
    np.testing.assert_array_equal(a, b)
    # And the split run equals one uninterrupted run.
    whole, _, _ = drive(sched, 25, metrics=metrics, horizon=horizon)
    np.testing.assert_array_equal(np.vstack([first, a]), whole)


@pytest.mark.parametrize("sched", INSTANCES)
def test_rates_positive_finite_and_plateau_contract(sched):
    # Within a longer fit: schedules sized by it end at eta_min=0 only in its
    # last epoch.
    rates, state, _ = drive(sched, 60, metrics=made_up_metrics(60, seed=1),
                            horizon=Horizon(120, N_BATCHES))
    assert np.all(np.isfinite(rates)) and np.all(rates > 0)
    state, stop = sched.on_plateau(state)
    assert isinstance(stop, bool) and math.isfinite(state.learning_rate)
    assert state.learning_rate > 0


def test_polynomial_to_zero_is_documented_exception_to_positivity():
    rates, _, _ = drive(PolynomialLR(total_iters=5), 8, horizon=None)
    assert np.all(rates[:5] > 0) and np.all(rates[5:] == 0.0)


def test_docstring_examples():
    result = doctest.testmod(sched_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 14 and result.failed == 0
    for cls in SCHEDULERS.values():
        doc = cls.__doc__
        assert ".. math::" in doc and "Examples" in doc, cls


# -- with the estimator ---------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


N_EPOCHS = 30
#: Steps per epoch of the estimator on the digits split: ceil(1347 / 200).
DIGITS_STEPS = 7

#: (schedule, learning_rate_init, formula of the rate of optimizer step ``t``
#: in epoch ``e``) for 30-epoch digits runs; ``None``: not a closed form.
ESTIMATOR_CASES = {
    "constant": ("constant", 0.05, lambda e, t: 0.05),
    "invscaling": (InvScalingLR(power_t=0.25), 0.1,
                   lambda e, t: 0.1 if e == 0 else 0.1 / (e * 1347 + 1) ** 0.25),
    "adaptive": ("adaptive", 0.05, None),
    "step": (StepLR(step_size=10, gamma=0.5), 0.1,
             lambda e, t: ref_step(e, 0.1, 10, 0.5)),
    "multistep": (MultiStepLR(milestones=(10, 20), gamma=0.3), 0.1,
                  lambda e, t: ref_multistep(e, 0.1, (10, 20), 0.3)),
    "exponential": (ExponentialLR(gamma=0.9), 0.1, lambda e, t: 0.1 * 0.9**e),
    "natural_exp": (NaturalExpLR(decay_rate=0.1), 0.1,
                    lambda e, t: 0.1 * math.exp(-0.1 * e)),
    "inverse_time": (InverseTimeLR(decay_rate=0.2), 0.1,
                     lambda e, t: 0.1 / (1 + 0.2 * e)),
    # Sized by the fit: eta_min=0 in epoch 30, after 29 epochs of decay.
    "polynomial": (PolynomialLR(power=2.0), 0.1,
                   lambda e, t: ref_polynomial(e, 0.1, N_EPOCHS - 1, 2.0, 0.0)),
    "cosine": (CosineAnnealingWarmRestarts(T_0=10, eta_min=1e-3), 0.1,
               lambda e, t: ref_cosine_restarts(e, 0.1, 10, 1, 1e-3)),
    "cyclic": (CyclicLR(base_lr=0.01, max_lr=0.1, step_size=20, per_batch=True), 0.1,
               lambda e, t: ref_cyclic(t, 0.01, 0.1, 20, "triangular", 1.0)),
    "one_cycle": (OneCycleLR(), 0.2,
                  lambda e, t: ref_one_cycle(e, 0.2, N_EPOCHS, 0.3, 25.0, 1e4, "cos",
                                             False)),
    "warmup": (WarmupLR(scheduler=ExponentialLR(gamma=0.9), warmup_epochs=5), 0.1,
               lambda e, t: 0.1 * (1 / 3 + 2 / 3 * e / 5) if e < 5
               else 0.1 * 0.9 ** (e - 5)),
    "plateau": (ReduceLROnPlateau(patience=2, factor=0.5), 0.05, None),
}


def _fit(schedule, eta0, data, **kwargs):
    import skmlp

    X_train, _, y_train, _ = data
    model = skmlp.MLPClassifierBP(
        hidden_layer_sizes=(32,), solver="sgd", learning_rate=schedule,
        learning_rate_init=eta0, max_iter=N_EPOCHS, random_state=0, **kwargs,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X_train, y_train)


@pytest.mark.parametrize("name", list(ESTIMATOR_CASES))
def test_estimator_trains_digits_and_records_the_schedule(name, digits):
    schedule, eta0, formula = ESTIMATOR_CASES[name]
    before = repr(getattr(schedule, "get_params", lambda deep: schedule)(deep=True))
    model = _fit(schedule, eta0, digits)
    _, X_test, _, y_test = digits
    assert model.score(X_test, y_test) >= 0.9
    curve = np.asarray(model.learning_rate_curve_)
    assert len(curve) == model.n_iter_ == len(model.loss_curve_)
    if formula is not None:
        expected = [formula(e, e * DIGITS_STEPS) for e in range(model.n_iter_)]
        assert_rates(curve, expected)
    # The user's object is never mutated by training.
    after = repr(getattr(schedule, "get_params", lambda deep: schedule)(deep=True))
    assert after == before


def test_estimator_plateau_schedule_reduces_from_the_loss(digits):
    # With a loss that keeps improving slowly, patience 0 and a demanding
    # threshold, the rate must drop below learning_rate_init within 30 epochs,
    # each drop by exactly `factor`.
    sched = ReduceLROnPlateau(patience=0, factor=0.5, threshold=0.05)
    model = _fit(sched, 0.05, digits, n_iter_no_change=N_EPOCHS)
    curve = np.asarray(model.learning_rate_curve_)
    ratios = curve[1:] / curve[:-1]
    assert curve[-1] < 0.05
    assert np.all(np.isclose(ratios, 1.0, rtol=RTOL) | np.isclose(ratios, 0.5,
                                                                  rtol=RTOL))
    # Cross-check the drops against the recorded loss curve.
    rule = DocumentedReduceLROnPlateau(0.05, "min", 0.5, 0, 0.05, "rel", 0, 0.0, 1e-8)
    expected = [0.05] + [rule.step(v) for v in model.loss_curve_[:-1]]
    assert_rates(curve, expected)


def test_estimator_plateau_monitor_validation_score(digits):
    sched = ReduceLROnPlateau(monitor="validation_score", patience=0, factor=0.5,
                              threshold=0.0)
    model = _fit(sched, 0.05, digits, early_stopping=True, n_iter_no_change=N_EPOCHS)
    rule = DocumentedReduceLROnPlateau(0.05, "max", 0.5, 0, 0.0, "rel", 0, 0.0, 1e-8)
    expected = [0.05] + [rule.step(v) for v in model.validation_scores_[:-1]]
    assert_rates(model.learning_rate_curve_, expected)
    with pytest.raises(ValueError, match="early_stopping=True"):
        _fit(sched, 0.05, digits)


def test_grid_search_over_schedules_and_nested_params(digits):
    from sklearn.model_selection import GridSearchCV

    import skmlp

    X_train, _, y_train, _ = digits
    X, y = X_train[:600], y_train[:600]
    step = StepLR(step_size=2, gamma=0.5)
    warm = WarmupLR(scheduler=StepLR(step_size=2), warmup_epochs=2)
    base = skmlp.MLPClassifierBP(hidden_layer_sizes=(16,), solver="sgd",
                                 learning_rate_init=0.1, max_iter=6, random_state=0)
    grid = [
        {"learning_rate": [step], "learning_rate__gamma": [0.9, 0.2]},
        {"learning_rate": [warm], "learning_rate__scheduler__gamma": [0.7]},
        {"learning_rate": [ExponentialLR(gamma=0.8), "cosine"]},
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(base, grid, cv=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 5
    # The user's objects are untouched by the search.
    assert step.gamma == 0.5 and warm.scheduler.gamma == 0.1
    # Refit each candidate the way the search does, and read its schedule.
    for params in search.cv_results_["params"][:3]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = clone(base).set_params(**clone(params, safe=False)).fit(X, y)
        curve = model.learning_rate_curve_
        if "learning_rate__gamma" in params:
            g = params["learning_rate__gamma"]
            assert_rates(curve, [ref_step(e, 0.1, 2, g) for e in range(6)])
        else:
            g = params["learning_rate__scheduler__gamma"]
            expected = [0.1 * (1 / 3 + 2 / 3 * e / 2) for e in range(2)]
            expected += [ref_step(e, 0.1, 2, g) for e in range(4)]
            assert_rates(curve, expected)
    best = search.best_estimator_
    assert len(best.learning_rate_curve_) == best.n_iter_
