"""One epoch of mini-batch training, allocation-free.

:class:`EpochRunner` owns what every mini-batch step needs (the network, the
loss, the optimizer and schedule, the data and the preallocated buffers) and
runs one pass over the data: gather a batch, backpropagate, step the
optimizer, advance the schedule.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sklearn.utils import gen_batches

from ._network import Network, Workspace
from .losses import Loss


def as_targets(Y: NDArray, dtype) -> NDArray:
    """Targets in the parameters' dtype; one-hot class targets stay boolean.

    A boolean indicator matrix takes an eighth (float64) of the memory, and
    the losses and δᴸ = a − y cast it on the fly, as scikit-learn does.
    """
    return Y if Y.dtype == bool else Y.astype(dtype, copy=False)


class Diverged(Exception):
    """The loss or the weights stopped being finite during an epoch."""


class TrainingState(NamedTuple):
    """Everything that changes during training, as one snapshot-able value."""

    params: NDArray
    optimizer_state: Any
    scheduler_state: Any
    norm_stats: NDArray  # batch normalisation's running statistics (maybe empty)

    def copy(self) -> TrainingState:
        """A deep copy (arrays included)."""
        return copy.deepcopy(self)


class Checkpoint(NamedTuple):
    """A restore point of stochastic training, taken at the end of an epoch."""

    state: TrainingState  # a deep copy
    record: dict  # the bookkeeping's scalars, and the lengths of its lists
    n_iter: int
    samples_seen: int

    @classmethod
    def take(cls, state, record, n_iter, samples_seen) -> Checkpoint:
        # The record's lists only grow during a call: their lengths suffice.
        summary = {name: len(value) if isinstance(value, list) else value
                   for name, value in record.items()}
        return cls(state.copy(), summary, n_iter, samples_seen)

    def restore(self, record: dict) -> dict:
        """The bookkeeping as it was at this checkpoint."""
        return {name: record[name][:value] if isinstance(record[name], list)
                else value for name, value in self.record.items()}


class _BatchSampler:
    """Gathers mini-batches into preallocated buffers."""

    def __init__(self, X, Y: NDArray, sample_weight: NDArray | None,
                 batch_size: int):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.dense = isinstance(X, np.ndarray)
        self.X_buffer = (np.empty((batch_size, X.shape[1]), dtype=X.dtype)
                         if self.dense else None)
        self.Y_buffer = np.empty((batch_size, Y.shape[1]), dtype=Y.dtype)
        self.sw_buffer = (None if sample_weight is None
                          else np.empty(batch_size, dtype=sample_weight.dtype))

    def take(self, index):
        """Rows ``index`` (a slice, or an array of indices) of X, Y, weights."""
        if isinstance(index, slice):
            sw = None if self.sample_weight is None else self.sample_weight[index]
            return self.X[index], self.Y[index], sw
        m = index.shape[0]
        X_b = (self.X.take(index, axis=0, out=self.X_buffer[:m]) if self.dense
               else self.X[index])
        Y_b = self.Y.take(index, axis=0, out=self.Y_buffer[:m])
        sw_b = (None if self.sample_weight is None
                else self.sample_weight.take(index, out=self.sw_buffer[:m]))
        return X_b, Y_b, sw_b


class EpochRunner:
    """Runs epochs of mini-batch gradient descent over fixed data.

    Parameters
    ----------
    network : Network
    loss : Loss
    optimizer : Optimizer
    scheduler : Scheduler
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        Targets, in the dtype of the parameters.
    sample_weight : ndarray of shape (n_samples,) or None
    batch_size : int
    alpha : float
        L2 penalty.
    shuffle : bool
        Whether to visit the samples in a new random order every epoch.
    random_state : numpy.random.RandomState
    dtype : dtype
        The dtype of the parameters.
    clip_grad_norm, clip_grad_value : float or None
        Gradient clipping thresholds (see :func:`clip_gradients`).
    callbacks : sequence of Callback
        Notified with ``on_grad_computed`` and ``on_batch_end``.
    estimator : estimator
        Passed to the callbacks.
    dropout_rng : numpy.random.Generator or None
        Draws the dropout masks.
    """

    def __init__(self, network: Network, loss: Loss, optimizer, scheduler, X, Y,
                 sample_weight, *, batch_size: int, alpha: float, shuffle: bool,
                 random_state: np.random.RandomState, dtype,
                 clip_grad_norm: float | None = None,
                 clip_grad_value: float | None = None,
                 callbacks: Sequence = (), estimator=None,
                 dropout_rng: np.random.Generator | None = None):
        self.network, self.loss = network, loss
        self.optimizer, self.scheduler = optimizer, scheduler
        self.alpha, self.shuffle, self.random_state = alpha, shuffle, random_state
        self.n_samples = X.shape[0]
        self.batch_size = batch_size
        self.batches = _BatchSampler(X, Y, sample_weight, batch_size)
        self.workspace = Workspace(network, batch_size, dtype, training=True)
        self.grads = np.empty(network.n_params, dtype=dtype)
        self.scratch = np.empty(network.n_params, dtype=dtype)
        self.sample_order = np.arange(self.n_samples)
        self.clip_grad_norm, self.clip_grad_value = clip_grad_norm, clip_grad_value
        self.callbacks, self.estimator = list(callbacks), estimator
        self.dropout_rng = dropout_rng
        self.coef_grads, self.intercept_grads = network.unpack(self.grads)

    # Overflow is caught below (Diverged) and reported once by the estimator.
    @np.errstate(over="ignore", invalid="ignore")
    def run_epoch(self, state: TrainingState, *, samples_seen: int, epoch: int
                  ) -> tuple[float, TrainingState, list[float]]:
        """One pass over the data; ``state.params`` is updated in place.

        Parameters
        ----------
        state : TrainingState
        samples_seen : int
            Samples trained on before this epoch (the estimator's ``t_``).
        epoch : int
            The epoch's number, for the callbacks.

        Returns
        -------
        epoch_loss : float
            Mean of the mini-batch losses, weighted by batch size.
        state : TrainingState
        grad_norms : list of float
            For every layer, the L2 norm of ∂J/∂W⁽ˡ⁾ (before clipping)
            averaged over the epoch's mini-batches.

        Raises
        ------
        Diverged
            When a mini-batch loss or, at the end, a weight is not finite.
        """
        params, opt_state, sched_state, norm_stats = state
        if self.shuffle:
            # scikit-learn shuffles the indices, not the data, every epoch
            # (sklearn.utils.shuffle: the same draws, here without copies).
            self.random_state.shuffle(self.sample_order)
        accumulated_loss = 0.0
        grad_norm_sums = [0.0] * len(self.coef_grads)
        n_batches = 0
        for batch_index, batch in enumerate(gen_batches(self.n_samples,
                                                        self.batch_size)):
            X_b, Y_b, sw_b = self.batches.take(
                self.sample_order[batch] if self.shuffle else batch
            )
            if sw_b is not None and not sw_b.any():
                continue  # a batch that weighs nothing has no gradient: skip it
            batch_loss = self.network.loss_and_gradient(
                params, X_b, Y_b, sw_b, loss=self.loss, alpha=self.alpha,
                workspace=self.workspace, grads=self.grads, scratch=self.scratch,
                norm_stats=norm_stats, rng=self.dropout_rng,
            )
            if not math.isfinite(batch_loss):
                raise Diverged
            accumulated_loss += batch_loss * X_b.shape[0]
            n_batches += 1
            for layer, g in enumerate(self.coef_grads):
                grad_norm_sums[layer] += math.sqrt(np.vdot(g, g))
            for callback in self.callbacks:
                callback.on_grad_computed(
                    self.estimator, epoch=epoch, batch=batch_index,
                    coef_grads=self.coef_grads, intercept_grads=self.intercept_grads,
                )
            clip_gradients(self.grads, max_norm=self.clip_grad_norm,
                           max_value=self.clip_grad_value)
            opt_state = self.optimizer.step(
                params, self.grads, opt_state,
                learning_rate=sched_state.learning_rate,
            )
            sched_state = self.scheduler.on_batch_end(
                sched_state, samples_seen=samples_seen + batch.stop
            )
            for callback in self.callbacks:
                callback.on_batch_end(self.estimator, epoch=epoch, batch=batch_index,
                                      loss=batch_loss)
        if not np.isfinite(params).all():
            raise Diverged
        grad_norms = [total / max(n_batches, 1) for total in grad_norm_sums]
        return (accumulated_loss / self.n_samples,
                TrainingState(params, opt_state, sched_state, norm_stats), grad_norms)


def clip_gradients(grads: NDArray, *, max_norm: float | None,
                   max_value: float | None) -> NDArray:
    """Clip the flat gradient vector in place: by value, then by global norm.

    Parameters
    ----------
    grads : ndarray of shape (n_params,)
    max_norm : float or None
        If the L2 norm of all gradients together exceeds it, rescale them to
        that norm: :math:`g \\leftarrow g \\cdot \\min(1, c / \\lVert g \\rVert)`.
    max_value : float or None
        Clip every component to ``[-max_value, max_value]``.

    Returns
    -------
    grads : ndarray
    """
    if max_value is not None:
        np.clip(grads, -max_value, max_value, out=grads)
    if max_norm is not None:
        norm = np.sqrt(np.vdot(grads, grads))
        if norm > max_norm:
            grads *= max_norm / norm
    return grads
