"""One epoch of mini-batch training, allocation-free.

:class:`EpochRunner` owns what every mini-batch step needs (the network, the
loss, the optimizer and schedule, the data and the preallocated buffers) and
runs one pass over the data: gather a batch, backpropagate, step the
optimizer, advance the schedule.
"""

from __future__ import annotations

import copy
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sklearn.utils import gen_batches, shuffle

from ._network import Network, Workspace
from .losses import Loss


class Diverged(Exception):
    """The loss or the weights stopped being finite during an epoch."""


class TrainingState(NamedTuple):
    """Everything that changes during training, as one snapshot-able value."""

    params: NDArray
    optimizer_state: Any
    scheduler_state: Any

    def copy(self) -> TrainingState:
        """A deep copy (arrays included)."""
        return copy.deepcopy(self)


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
        X_b = (np.take(self.X, index, axis=0, out=self.X_buffer[:m]) if self.dense
               else self.X[index])
        Y_b = np.take(self.Y, index, axis=0, out=self.Y_buffer[:m])
        sw_b = (None if self.sample_weight is None
                else np.take(self.sample_weight, index, out=self.sw_buffer[:m]))
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
    """

    def __init__(self, network: Network, loss: Loss, optimizer, scheduler, X, Y,
                 sample_weight, *, batch_size: int, alpha: float, shuffle: bool,
                 random_state: np.random.RandomState, dtype):
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

    # Overflow is caught below (Diverged) and reported once by the estimator.
    @np.errstate(over="ignore", invalid="ignore")
    def run_epoch(self, state: TrainingState, *, samples_seen: int
                  ) -> tuple[float, TrainingState]:
        """One pass over the data; ``state.params`` is updated in place.

        Parameters
        ----------
        state : TrainingState
        samples_seen : int
            Samples trained on before this epoch (the estimator's ``t_``).

        Returns
        -------
        epoch_loss : float
            Mean of the mini-batch losses, weighted by batch size.
        state : TrainingState

        Raises
        ------
        Diverged
            When a mini-batch loss or, at the end, a weight is not finite.
        """
        params, opt_state, sched_state = state
        if self.shuffle:
            # scikit-learn shuffles the indices, not the data, every epoch.
            self.sample_order = shuffle(self.sample_order,
                                        random_state=self.random_state)
        accumulated_loss = 0.0
        for batch in gen_batches(self.n_samples, self.batch_size):
            X_b, Y_b, sw_b = self.batches.take(
                self.sample_order[batch] if self.shuffle else batch
            )
            if sw_b is not None and not sw_b.any():
                continue  # a batch that weighs nothing has no gradient: skip it
            batch_loss = self.network.loss_and_gradient(
                params, X_b, Y_b, sw_b, loss=self.loss, alpha=self.alpha,
                workspace=self.workspace, grads=self.grads, scratch=self.scratch,
            )
            if not np.isfinite(batch_loss):
                raise Diverged
            accumulated_loss += batch_loss * X_b.shape[0]
            opt_state = self.optimizer.step(
                params, self.grads, opt_state,
                learning_rate=sched_state.learning_rate,
            )
            sched_state = self.scheduler.on_batch_end(
                sched_state, samples_seen=samples_seen + batch.stop
            )
        if not np.isfinite(params).all():
            raise Diverged
        return (accumulated_loss / self.n_samples,
                TrainingState(params, opt_state, sched_state))
