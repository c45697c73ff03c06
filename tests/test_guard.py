"""The divergence guard (:mod:`skmlp._guard`): the cheap proof that a
network's outputs are finite, ``max_abs``, and what a call returns.

The proof :func:`outputs_surely_finite` may say "not proven" for a network
whose outputs are finite, but must never say "finite" for one whose outputs
overflow. Each adversarial case below is a network and an input ``X``
(within the bound given to the proof) on which a real forward pass
overflows, built so that a proof that cuts one particular corner (sums the
rows of a weight matrix instead of its columns, forgets the biases, skips
batch normalisation, ignores the dtype) would say "finite". The positive
controls are networks the proof must accept, so that a proof that always
says "not proven" fails too.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.sparse as sp

from skmlp._guard import (
    Checkpoint,
    DivergenceGuard,
    max_abs,
    outputs_surely_finite,
)
from skmlp._monitor import MonitorState
from skmlp._network import Network
from skmlp._trainer import TrainingState
from skmlp.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS, Activation


def _network(units, hidden="identity", output="identity", *, batch_norm=False):
    return Network(units, ACTIVATIONS[hidden](), ACTIVATIONS[output](),
                   batch_norm=batch_norm)


def _params(network, coefs, intercepts, *, dtype=np.float64, scales=None,
            offsets=None):
    return network.pack([np.asarray(c, dtype=float) for c in coefs],
                        [np.asarray(b, dtype=float) for b in intercepts], dtype,
                        scales=scales, offsets=offsets)


def _norm_stats(means, variances, dtype=np.float64):
    return np.concatenate([*means, *variances]).astype(dtype)


def _forward(network, params, X, norm_stats):
    with np.errstate(over="ignore", invalid="ignore"):
        return network.predict_params(params, X, norm_stats)


# -- adversarial cases: the forward pass overflows ------------------------------------
# Each returns (network, params, norm_stats, X).


def wide_fan_in_small_weights():
    """4000 inputs of 1e306 into one unit through weights of 0.1: each row of
    W sums to 0.1 (times the bound: 1e305, within the proof's margin); the
    column sums to 400, and the pre-activation to 4e308 = inf."""
    n = 4000
    network = _network([n, 1])
    params = _params(network, [np.full((n, 1), 0.1)], [[0.0]])
    return network, params, network.init_norm_stats(np.float64), np.full((1, n), 1e306)


def wide_fan_in_square():
    """The same in a square layer: one column full of large weights, the
    others zero. Every row sums to 1e305, every other column to 0; that
    column to 2e308 = inf."""
    n = 2000
    network = _network([n, n, 1])
    W = np.zeros((n, n))
    W[:, 7] = 1e305
    params = _params(network, [W, np.ones((n, 1))], [np.zeros(n), [0.0]])
    return network, params, network.init_norm_stats(np.float64), np.ones((1, n))


def huge_bias_into_huge_weight():
    """Zero weights, a bias of 1e200 and a next weight of 1e200: the weights
    alone bound the hidden layer by 0."""
    network = _network([2, 1, 1])
    params = _params(network, [np.zeros((2, 1)), [[1e200]]], [[1e200], [0.0]])
    return network, params, network.init_norm_stats(np.float64), np.zeros((1, 2))


def huge_bias_into_exp():
    """exp(1000) overflows; without the bias the bound on z is 0."""
    network = _network([2, 1], output="exp")
    params = _params(network, [np.zeros((2, 1))], [[1000.0]])
    return network, params, network.init_norm_stats(np.float64), np.zeros((1, 2))


def _batch_norm_case(*, scale=1.0, offset=0.0, mean=0.0, variance=1.0):
    network = _network([2, 1, 1], batch_norm=True)
    params = _params(network, [np.ones((2, 1)), [[1e10]]], [[0.0], [0.0]],
                     scales=[np.array([scale])], offsets=[np.array([offset])])
    return (network, params, _norm_stats([np.array([mean])], [np.array([variance])]),
            np.ones((1, 2)))


def batch_norm_huge_scale_small_variance():
    """γ = 1e300 over a running variance of 0: z is scaled by 1e300/√ε ≈ 3e302,
    then by the next weight 1e10."""
    return _batch_norm_case(scale=1e300, variance=0.0)


def batch_norm_huge_running_mean():
    """z − μ with μ = −1e300."""
    return _batch_norm_case(mean=-1e300)


def batch_norm_huge_offset():
    """β = 1e300."""
    return _batch_norm_case(offset=1e300)


def negative_extreme_input():
    """The input's extreme is negative: −1e300 times a weight of 1e10."""
    network = _network([2, 1])
    params = _params(network, [[[1e10], [1.0]]], [[0.0]])
    X = np.array([[-1e300, 1.0]])
    return network, params, network.init_norm_stats(np.float64), X


def float32_params():
    """1e20 · 1e20 is far inside float64 but overflows float32."""
    network = _network([2, 1])
    params = _params(network, [np.full((2, 1), 1e20)], [[0.0]], dtype=np.float32)
    X = np.full((1, 2), 1e20, dtype=np.float32)
    return network, params, network.init_norm_stats(np.float32), X


def float32_batch_norm():
    network = _network([2, 1, 1], batch_norm=True)
    params = _params(network, [np.ones((2, 1)), [[1e10]]], [[0.0], [0.0]],
                     dtype=np.float32, scales=[np.array([1e30])],
                     offsets=[np.array([0.0])])
    norm_stats = _norm_stats([np.zeros(1)], [np.ones(1)], np.float32)
    return network, params, norm_stats, np.ones((1, 2), dtype=np.float32)


ADVERSARIAL = [wide_fan_in_small_weights, wide_fan_in_square,
               huge_bias_into_huge_weight, huge_bias_into_exp,
               batch_norm_huge_scale_small_variance, batch_norm_huge_running_mean,
               batch_norm_huge_offset,
               negative_extreme_input, float32_params, float32_batch_norm]


@pytest.mark.parametrize("case", ADVERSARIAL, ids=lambda case: case.__name__)
def test_the_proof_never_claims_finite_outputs_that_overflow(case):
    network, params, norm_stats, X = case()
    assert np.isfinite(params).all() and np.isfinite(X).all()
    outputs = _forward(network, params, X, norm_stats)
    assert not np.isfinite(outputs).all()  # the case is what it says
    input_bound = float(np.abs(X).max())
    assert not outputs_surely_finite(network, params, norm_stats, input_bound)
    # Nor with a larger bound (a bound is an upper bound).
    assert not outputs_surely_finite(network, params, norm_stats, 2 * input_bound)


@pytest.mark.parametrize("case", ADVERSARIAL, ids=lambda case: case.__name__)
def test_the_guard_never_accepts_overflowing_outputs(case):
    network, params, norm_stats, X = case()
    guard = DivergenceGuard(network, X, "lowest training loss")
    assert not guard.outputs_finite(params, norm_stats)


# -- positive controls: what the proof must accept -------------------------------------


@pytest.mark.parametrize("output", ["identity", "logistic", "softmax", "exp"])
@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_proof_accepts_ordinary_networks(hidden, output, dtype):
    rng = np.random.RandomState(0)
    network = _network([6, 8, 5, 3], hidden, output)
    params = (rng.uniform(-0.5, 0.5, network.n_params)).astype(dtype)
    X = rng.uniform(-3, 3, (20, 6)).astype(dtype)
    assert outputs_surely_finite(network, params, network.init_norm_stats(dtype),
                                 float(np.abs(X).max()))
    assert np.isfinite(_forward(network, params, X,
                                network.init_norm_stats(dtype))).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_proof_accepts_ordinary_batch_norm(dtype):
    rng = np.random.RandomState(0)
    network = _network([6, 8, 5, 2], "relu", batch_norm=True)
    coefs = [rng.uniform(-1, 1, shape) for shape in network.coef_shapes]
    intercepts = [rng.uniform(-1, 1, units) for units in network.layer_units[1:]]
    params = _params(network, coefs, intercepts, dtype=dtype,
                     scales=[rng.uniform(0.5, 2, 8), rng.uniform(0.5, 2, 5)],
                     offsets=[rng.uniform(-1, 1, 8), rng.uniform(-1, 1, 5)])
    norm_stats = _norm_stats([rng.uniform(-1, 1, 8), rng.uniform(-1, 1, 5)],
                             [rng.uniform(0.1, 2, 8), rng.uniform(0.1, 2, 5)], dtype)
    assert outputs_surely_finite(network, params, norm_stats, 3.0)


@pytest.mark.parametrize("X_bound, weight", [(1e300, 1e-10), (1e-300, 1e300),
                                             (1.0, 1e150)])
def test_the_proof_accepts_large_but_safe_magnitudes(X_bound, weight):
    """Large inputs times small weights (and the reverse) stay provable."""
    network = _network([3, 2, 1])
    params = _params(network, [np.full((3, 2), weight), np.full((2, 1), 1.0)],
                     [np.zeros(2), [0.0]])
    assert outputs_surely_finite(network, params, network.init_norm_stats(np.float64),
                                 X_bound)


def test_an_activation_without_a_bound_is_not_proven():
    class Unbounded(Activation):  # declares no output_bound
        def forward(self, z, out):
            np.copyto(out, z)
            return out

        def backward(self, z, a, delta):
            return delta

    network = Network([2, 2, 1], Unbounded(), ACTIVATIONS["identity"]())
    params = np.full(network.n_params, 0.1)
    X = np.ones((3, 2))
    norm_stats = network.init_norm_stats(np.float64)
    assert not outputs_surely_finite(network, params, norm_stats, 1.0)
    # ... and the guard then checks with a forward pass: finite here.
    guard = DivergenceGuard(network, X, "lowest training loss")
    assert guard.outputs_finite(params, network.init_norm_stats(np.float64))


@pytest.mark.parametrize("hidden", ["identity", "relu", "tanh", "logistic"])
@pytest.mark.parametrize("output", ["identity", "softmax", "logistic", "exp"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_proof_is_sound_across_weight_scales(hidden, output, dtype):
    """From tiny to huge random weights: whenever the proof says "finite", a
    forward pass on inputs at the bound (both signs) is finite; and it does
    prove the small weights, not the huge ones."""
    rng = np.random.RandomState(0)
    network = _network([4, 6, 5, 3], hidden, output)
    X = np.concatenate([rng.standard_normal((50, 4)), np.full((1, 4), 3.0),
                        np.full((1, 4), -3.0), np.diag([3.0, -3.0, 3.0, -3.0])])
    X = X.astype(dtype)
    norm_stats = network.init_norm_stats(dtype)
    verdicts = []
    for exponent in range(-2, int(np.log10(np.finfo(dtype).max)) + 1, 2):
        with np.errstate(over="ignore"):
            params = (rng.standard_normal(network.n_params) * 10.0**exponent
                      ).astype(dtype)
        proven = outputs_surely_finite(network, params, norm_stats,
                                       float(np.abs(X).max()))
        finite = np.isfinite(_forward(network, params, X, norm_stats)).all()
        assert finite or not proven, exponent
        verdicts.append(proven)
    assert verdicts[0] and not verdicts[-1]


# -- max_abs -------------------------------------------------------------------------


@pytest.mark.parametrize("X, expected", [
    (np.array([[-1e308, 1.0], [2.0, 3.0]]), 1e308),
    (np.array([[-5.0, -7.0]]), 7.0),  # all negative
    (np.array([[0.5, -0.25]]), 0.5),
    (np.array([[-0.0, 0.0]]), 0.0),
    (np.zeros((0, 3)), 0.0),
    (np.array([[-3.0, 2.0]], dtype=np.float32), 3.0),
])
@pytest.mark.parametrize("container", ["dense", "csr", "csc"])
def test_max_abs_sees_both_signs(X, expected, container):
    if container != "dense":
        X = getattr(sp, f"{container}_matrix")(X)
    assert max_abs(X) == expected


def test_max_abs_of_a_sparse_matrix_with_negative_stored_values_only():
    X = sp.csr_matrix(([-4.0, -1e300], ([0, 2], [1, 0])), shape=(3, 3))
    assert max_abs(X) == 1e300
    assert max_abs(sp.csr_matrix((3, 3))) == 0.0  # nothing stored


# -- DivergenceGuard.choose ----------------------------------------------------------

GOOD = np.array([0.5, -0.25, 0.125])  # W (2x1) then b (1,): finite everywhere
OVERFLOWING = np.array([1e300, 1e300, 0.0])  # finite, outputs overflow on X below
X_GUARD = np.array([[1.0, 1e10], [-2.0, 0.5]])


def _state(params):
    return TrainingState(params, np.empty(0), optimizer_state=(params,),
                         scheduler_state=None, stopping=MonitorState(best=1.0),
                         samples_seen=7)


def _guard(criterion="lowest training loss"):
    return DivergenceGuard(_network([2, 1]), X_GUARD, criterion)


def test_a_normal_end_returns_the_last_weights():
    guard = _guard()
    guard.keep_best(_state(GOOD * 2), epoch=1, n_iter=1)
    outcome = guard.choose(GOOD, np.empty(0), diverged_in=None, completed=1)
    assert outcome == (None, None)


@pytest.mark.parametrize("criterion", ["lowest training loss", "best validation score"])
def test_divergence_restores_the_best_epoch(criterion):
    guard = _guard(criterion)
    live = GOOD.copy()
    guard.keep_best(_state(live), epoch=3, n_iter=2)
    guard.protect_best()  # the next epoch starts: the checkpoint is copied
    live[:] = np.nan  # training goes on in place
    restore, message = guard.choose(live, np.empty(0), diverged_in=5, completed=4)
    assert isinstance(restore, Checkpoint)
    assert (restore.epoch, restore.n_iter) == (3, 2)
    np.testing.assert_array_equal(restore.state.params, GOOD)
    np.testing.assert_array_equal(restore.state.optimizer_state[0], GOOD)
    assert restore.state.samples_seen == 7
    assert re.fullmatch(
        r"Training diverged \(non-finite loss or weights\) in epoch 5; kept epoch 3, "
        rf"the epoch with the {criterion}\. .*", message)


def test_the_best_epoch_is_copied_only_when_another_epoch_follows():
    guard = _guard()
    live = GOOD.copy()
    state = _state(live)
    guard.keep_best(state, epoch=1, n_iter=1)
    assert guard.best.state is state  # a call's last epoch costs no copy
    guard.protect_best()
    copied = guard.best.state
    assert not np.shares_memory(copied.params, live)
    assert not np.shares_memory(copied.optimizer_state[0], live)
    np.testing.assert_array_equal(copied.params, GOOD)
    guard.protect_best()  # nothing new since: no second copy
    assert guard.best.state is copied


def test_the_latest_best_epoch_is_the_one_restored():
    guard = _guard()
    guard.keep_best(_state(GOOD * 2), epoch=1, n_iter=1)
    guard.keep_best(_state(GOOD), epoch=4, n_iter=4)
    restore, message = guard.choose(OVERFLOWING, np.empty(0), diverged_in=6,
                                    completed=5)
    assert restore.epoch == 4 and "kept epoch 4," in message
    np.testing.assert_array_equal(restore.state.params, GOOD)


@pytest.mark.parametrize("last", [OVERFLOWING, np.array([0.5, np.inf, 0.0]),
                                  np.array([np.nan, 0.0, 0.0])],
                         ids=["overflowing-outputs", "inf-weight", "nan-weight"])
def test_a_normal_end_with_unusable_weights_restores_the_best_epoch(last):
    """No epoch raised, yet the last weights are not finite or their outputs
    overflow on the training rows: the best epoch is returned instead."""
    guard = _guard()
    guard.keep_best(_state(GOOD), epoch=2, n_iter=2)
    restore, message = guard.choose(last, np.empty(0), diverged_in=None, completed=3)
    assert restore is not None and restore.epoch == 2
    assert message.startswith("Training diverged (")
    assert "kept epoch 2, the epoch with the lowest training loss" in message
    assert "in epoch" not in message.split(";")[0]  # no epoch raised


def test_overflowing_outputs_are_named_in_the_message():
    guard = _guard()
    guard.keep_best(_state(GOOD), epoch=2, n_iter=2)
    _, message = guard.choose(OVERFLOWING, np.empty(0), diverged_in=None,
                              completed=2)
    assert message.startswith("Training diverged (outputs overflow on the "
                              "training data); kept epoch 2")


@pytest.mark.parametrize("best", [None, OVERFLOWING, np.array([np.inf, 0.0, 0.0])],
                         ids=["no-best", "best-overflows", "best-not-finite"])
@pytest.mark.parametrize("diverged_in", [None, 1, 4])
@pytest.mark.parametrize("continued", [False, True])
def test_nothing_finite_to_keep(best, diverged_in, continued):
    guard = DivergenceGuard(_network([2, 1]), X_GUARD, "lowest training loss",
                            continued=continued)
    if best is not None:
        guard.keep_best(_state(best), epoch=1, n_iter=1)
    completed = 0 if diverged_in == 1 else 3
    restore, message = guard.choose(OVERFLOWING, np.empty(0), diverged_in=diverged_in,
                                    completed=completed)
    assert restore is None
    where = "" if diverged_in is None else f" in epoch {diverged_in}"
    # A continued fit completed epochs, none of them the best: it never beat
    # the model it started from.
    what = ("improved on the lowest training loss it started from"
            if best is None and completed and continued else "gave finite outputs")
    assert re.match(rf"Training diverged \([a-z -]+\){where} and no epoch of this "
                    f"call {what}\\.", message)


def test_the_guard_checks_every_row_it_was_given():
    """The finite check covers all of X (validation rows included): here only
    the second row overflows."""
    network = _network([2, 1])
    params = np.array([1e300, 1.0, 0.0])
    X = np.array([[0.0, 1.0], [1e10, 0.0]])
    assert DivergenceGuard(network, X[:1], "x").outputs_finite(params, np.empty(0))
    assert not DivergenceGuard(network, X, "x").outputs_finite(params, np.empty(0))
    assert DivergenceGuard(network, X, "x").input_bound == 1e10


@pytest.mark.parametrize("X", [np.array([[-1e300, 0.5]]),
                               sp.csr_matrix(np.array([[-1e300, 0.5]]))],
                         ids=["dense", "sparse"])
def test_the_guard_bounds_negative_inputs(X):
    network = _network([2, 1])
    params = np.array([1e10, 1.0, 0.0])  # -1e300 * 1e10 overflows
    guard = DivergenceGuard(network, X, "lowest training loss")
    assert guard.input_bound == 1e300
    assert not guard.outputs_finite(params, np.empty(0))
