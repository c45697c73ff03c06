r"""The epoch loop of the stochastic solvers, in one place.

Read :meth:`StochasticTrainer.train` top to bottom: it is the whole of
training. For each epoch, for each mini-batch (:meth:`~StochasticTrainer._epoch`):
gradient, callbacks' ``on_grad_computed``, clipping, optimizer step, schedule
step, callbacks' ``on_batch_end``. After each epoch: the loss curve and
``history_``, the stopping rule (:class:`~skmlp._monitor.Monitor`), the
schedule, the callbacks' ``on_epoch_end``, and the restore point of the
:class:`~skmlp._guard.DivergenceGuard`. At the end: what to return (the
guard), ``on_train_end``, and the fitted attributes.

L-BFGS is a second trainer with the same interface (:mod:`skmlp._lbfgs`).
A trainer never touches the estimator's fitted attributes: it reads the
estimator's hyperparameters, trains on its own copies and returns the new
fitted attributes, which the estimator assigns in one place.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches

from ._diagnostics import gradient_warnings
from ._guard import Diverged, DivergenceGuard, NothingFinite
from ._monitor import Monitor, MonitorState
from ._network import LayerViews, Network, Workspace
from ._sklearn_callbacks import FitTasks
from ._states import copy_state, replace
from ._user_warnings import warn_user
from .callbacks import _declared_kwargs, _print_verbose
from .losses import Loss
from .schedulers import Horizon

#: Elements of NumPy's ufunc buffers during an epoch (NumPy's default: 8192).
#: Every broadcasting or casting operation of a mini-batch (bias add, ReLU,
#: boolean targets) allocates one for the call: 16 KiB instead of 64 in
#: float64, the same speed (measured), and a lower peak for small networks.
UFUNC_BUFFER_SIZE = 2048


class FitMode(NamedTuple):
    """How a call starts: the one notion of "fresh", "warm" and "partial".

    Attributes
    ----------
    incremental : bool
        ``partial_fit``: one epoch, the optimizer and schedule continue from
        the fitted state, and no horizon is known.
    new_weights : bool
        Initialise the weights (a first call, or ``fit`` without
        ``warm_start``); otherwise continue from the fitted ones, and the
        curves and ``history_`` grow.
    """

    incremental: bool
    new_weights: bool


class ValidationSet(NamedTuple):
    """Validation data, validated and encoded as the training data is."""

    X: Any  # ndarray or sparse matrix
    Y: NDArray
    sample_weight: NDArray | None


class Weights(NamedTuple):
    """The weights a call returns: the parameters and batch-norm statistics."""

    params: NDArray
    norm_stats: NDArray


class TrainingState(NamedTuple):
    """Everything training changes, as one value.

    The copy rule: an optimizer step updates ``params`` and the optimizer
    state's arrays *in place* (so a step allocates nothing); a restore point
    is an explicit :meth:`snapshot`.
    """

    params: NDArray
    norm_stats: NDArray  # batch normalisation's running statistics (maybe empty)
    optimizer_state: Any
    scheduler_state: Any
    stopping: MonitorState  # the estimator's tol / n_iter_no_change rule
    samples_seen: int  # the estimator's t_

    def snapshot(self) -> TrainingState:
        """A deep copy, arrays included (:func:`copy_state`)."""
        return copy_state(self)


@dataclass
class TrainingLog:
    """The per-epoch records of an estimator, continued across calls.

    Attributes
    ----------
    loss_curve : list of float
    learning_rates : list of float
        The rate each epoch started with.
    history : list of dict
        One record per epoch (see the estimators' ``history_``).
    validation_scores, validation_losses : list of float or None
        With validation data (early stopping), the score and the loss of
        every epoch on it.
    """

    loss_curve: list[float]
    learning_rates: list[float]
    history: list[dict]
    validation_scores: list[float] | None
    validation_losses: list[float] | None

    @classmethod
    def resume(cls, estimator, *, fresh: bool, validation: bool) -> TrainingLog:
        """A new log, or a copy of the estimator's fitted one."""
        def validation_curve(name):
            if not validation:
                return None
            # The previous call may have had no validation data.
            curve = None if fresh else getattr(estimator, name, None)
            return [] if curve is None else list(curve)

        return cls(
            [] if fresh else list(estimator.loss_curve_),
            [] if fresh else list(getattr(estimator, "learning_rate_curve_", [])),
            [] if fresh else list(estimator.history_),
            validation_curve("validation_scores_"),
            validation_curve("validation_loss_curve_"),
        )

    def truncate(self, n_epochs: int) -> None:
        """Forget every epoch after the first ``n_epochs`` (a rollback)."""
        dropped = len(self.history) - n_epochs
        for records in (self.loss_curve, self.learning_rates, self.history,
                        self.validation_scores, self.validation_losses):
            if records is not None and dropped > 0:
                del records[len(records) - dropped:]

    def attributes(self) -> dict[str, Any]:
        """The fitted attributes this log stands for."""
        return {"loss_curve_": self.loss_curve,
                "learning_rate_curve_": self.learning_rates,
                "history_": self.history,
                "validation_scores_": self.validation_scores,
                "validation_loss_curve_": self.validation_losses}


class BatchSampler:
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
        # mode="clip": the indices are in range, and the default ("raise")
        # gathers through a temporary as large as the batch.
        m = index.shape[0]
        X_b = (self.X.take(index, axis=0, out=self.X_buffer[:m], mode="clip")
               if self.dense else self.X[index])
        Y_b = self.Y.take(index, axis=0, out=self.Y_buffer[:m], mode="clip")
        sw_b = (None if self.sample_weight is None else
                self.sample_weight.take(index, out=self.sw_buffer[:m], mode="clip"))
        return X_b, Y_b, sw_b


def as_targets(Y: NDArray, dtype) -> NDArray:
    """Targets in the parameters' dtype; one-hot class targets stay boolean.

    A boolean indicator matrix takes an eighth (float64) of the memory, and
    the losses and δᴸ = a − y cast it on the fly, as scikit-learn does.
    """
    return Y if Y.dtype == bool else Y.astype(dtype, copy=False)


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


def notify_epoch_end(callbacks: Sequence, estimator, network: Network,
                     params: NDArray, norm_stats: NDArray, *, epoch: int,
                     record: dict) -> str | None:
    """Call every callback's ``on_epoch_end``; if any asked to stop, say which."""
    if not callbacks:
        return None
    views = network.views(params, norm_stats)
    stoppers = [
        type(callback).__name__ for callback in callbacks
        if callback.on_epoch_end(
            estimator, epoch=epoch, record=record, coefs=views.coefs,
            intercepts=views.intercepts,
            **_declared_kwargs(callback.on_epoch_end, batch_norm=views.batch_norm),
        )
    ]
    return f"{' and '.join(stoppers)} asked to stop." if stoppers else None


def notify_train_end(callbacks: Sequence, estimator, network: Network,
                     params: NDArray, norm_stats: NDArray, *,
                     stop_reason: str | None) -> None:
    """Call every callback's ``on_train_end`` with the final weights (which
    it may overwrite in place) and why training stopped early, if it did."""
    if not callbacks:
        return
    views = network.views(params, norm_stats)
    for callback in callbacks:
        callback.on_train_end(
            estimator, coefs=views.coefs, intercepts=views.intercepts,
            **_declared_kwargs(callback.on_train_end, batch_norm=views.batch_norm,
                               stop_reason=stop_reason),
        )


def stopping_monitor(estimator, *, validation: bool) -> Monitor:
    """scikit-learn's ``tol``/``n_iter_no_change`` rule as a :class:`Monitor`."""
    return Monitor(maximize=validation, min_delta=estimator.tol,
                   patience=estimator.n_iter_no_change)


class StochasticTrainer:
    """Mini-batch gradient descent with any optimizer and schedule.

    Parameters
    ----------
    estimator : MLPClassifierBP or MLPRegressorBP
        Read for its hyperparameters, and passed to the callbacks.
    network : Network
    loss : Loss
    optimizer : Optimizer
    scheduler : Scheduler
    callbacks : list of Callback
        Fresh clones (the trainer calls their hooks).
    """

    def __init__(self, estimator, network: Network, loss: Loss, optimizer,
                 scheduler, callbacks: list):
        self.estimator = estimator
        self.network, self.loss = network, loss
        self.optimizer, self.scheduler = optimizer, scheduler
        self.callbacks = callbacks

    # -- the loop -------------------------------------------------------------

    def train(self, X, Y: NDArray, sample_weight: NDArray | None, *,
              params: NDArray, norm_stats: NDArray, mode: FitMode,
              random_state: np.random.RandomState,
              validation: ValidationSet | None, tasks: FitTasks, score) -> tuple:
        """Train; return ``(params, norm_stats, fitted_attributes)``.

        Parameters
        ----------
        X, Y, sample_weight
            The validated training data (``Y`` 2-D).
        params, norm_stats : ndarray
            The starting weights: a copy this call owns.
        mode : FitMode
        random_state : numpy.random.RandomState
            Drives the validation split, the shuffling and dropout.
        validation : ValidationSet or None
            Validation data passed to ``fit``; under ``early_stopping``
            without it, ``validation_fraction`` of the data is held out.
        tasks : FitTasks
            scikit-learn's callbacks: every epoch is a subtask.
        score : callable
            ``score(outputs, Y_val, sample_weight_val) -> float``, the
            validation score.
        """
        est, network = self.estimator, self.network
        X_all = X  # the returned network must give finite outputs on all of it
        if est.early_stopping and validation is None:
            if mode.incremental:
                raise ValueError(
                    "partial_fit needs validation data for early_stopping=True: "
                    "pass X_val and y_val (a random split of each chunk would "
                    "change from call to call)."
                )
            X, Y, sample_weight, validation = self._validation_split(
                X, Y, sample_weight, random_state)
        validating = validation is not None
        batch_size = self._batch_size(X.shape[0])
        n_batches = math.ceil(X.shape[0] / batch_size)
        state = self._initial_state(params, norm_stats, mode, validating,
                                    Horizon(est.max_iter, n_batches))
        log = TrainingLog.resume(est, fresh=mode.new_weights, validation=validating)
        stopping = stopping_monitor(est, validation=validating)
        if mode.incremental and validating and stopping.exhausted(state.stopping):
            return self._stopped_already(state, log)
        guard = DivergenceGuard(network, X_all, "best validation score" if validating
                                else "lowest training loss",
                                continued=not mode.new_weights)
        best_weights = self._initial_best_weights(state, mode, validating)
        self._prepare_epochs(X, Y, sample_weight, batch_size, random_state, state)
        for callback in self.callbacks:
            callback.on_train_begin(est, X=X, y=Y)

        epochs_before = len(log.history)
        n_iter, diverged_in, stop, plateau, stop_reason = 0, None, False, False, None
        # Issued after the callbacks' on_train_end (once a progress bar is
        # closed, so that none is printed over it): (message, category).
        notices: list[tuple[str, type[Warning]]] = []
        try:
            while not stop and n_iter < est.max_iter:
                guard.protect_best()
                epoch = len(log.history) + 1
                rate = state.scheduler_state.learning_rate
                started = time.perf_counter()
                tasks.begin_epoch(state.params, state.norm_stats)
                state, epoch_loss, grad_norms = self._epoch(state, epoch=epoch)
                n_iter += 1
                if est.verbose:
                    _print_verbose(self.callbacks,
                                   f"Iteration {n_iter}, loss = {epoch_loss:.8f}")

                validation_score = validation_loss = None
                if validating:
                    validation_score, validation_loss = self._validate(
                        state, validation, score)
                    log.validation_scores.append(validation_score)
                    log.validation_losses.append(validation_loss)
                    if est.verbose:
                        _print_verbose(self.callbacks,
                                       f"Validation score: {validation_score:f}")
                record = {"epoch": epoch, "loss": epoch_loss,
                          "validation_score": validation_score,
                          "validation_loss": validation_loss,
                          "learning_rate": rate,
                          "time": time.perf_counter() - started,
                          "grad_norms": grad_norms}
                log.loss_curve.append(epoch_loss)
                log.learning_rates.append(rate)
                log.history.append(record)

                watched = validation_score if validating else epoch_loss
                state = replace(state, stopping=stopping.update(
                    state.stopping, watched, epoch))
                state = replace(state, scheduler_state=self.scheduler.on_epoch_end(
                    state.scheduler_state, samples_seen=state.samples_seen,
                    metrics={"loss": epoch_loss, "validation_score": validation_score,
                             "validation_loss": validation_loss},
                ))
                if stopping.exhausted(state.stopping):
                    state, stop_reason = self._on_plateau(state, validating)
                    plateau = stop_reason is not None
                stopper = notify_epoch_end(self.callbacks, est, network, state.params,
                                           state.norm_stats, epoch=epoch, record=record)
                if tasks.end_epoch(state.params, state.norm_stats):
                    stopper = stopper or "A scikit-learn callback asked to stop."
                stop_reason = stop_reason or stopper
                stop = stop_reason is not None
                if state.stopping.is_best:
                    guard.keep_best(state, epoch=epoch, n_iter=n_iter)
                stop |= mode.incremental
            if not stop and not self.scheduler.ends_at_horizon(state.scheduler_state):
                notices.append((
                    f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) "
                    "reached and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                ))
        except Diverged:
            diverged_in = len(log.history) + 1
            stop_reason = f"Training diverged in epoch {diverged_in}."
        except KeyboardInterrupt:
            stop_reason = "Training interrupted by user."
            notices.append((stop_reason, UserWarning))

        # Early stopping hands back the best epoch's weights at the end of a
        # fit; partial_fit trains on from its latest weights until the rule
        # stops training.
        if validating and guard.best is not None:
            guard.protect_best()  # kept as _best_weights: apart from the returned
            best_weights = Weights(guard.best.state.params,
                                   guard.best.state.norm_stats)
        returned = (best_weights if validating and (plateau or not mode.incremental)
                    else Weights(state.params, state.norm_stats))
        # partial_fit without validation data goes on whatever the rule says,
        # as scikit-learn's does.
        stopped_epoch = (len(log.history) if plateau
                         and (validating or not mode.incremental) else None)
        restore, message = guard.choose(*returned, diverged_in=diverged_in,
                                        completed=n_iter)
        if message is not None:
            if restore is None:  # the call fails: the callbacks still end
                notify_train_end(self.callbacks, est, network, *returned,
                                 stop_reason=message)
                raise NothingFinite(message)
            notices.append((message, ConvergenceWarning))
            state, n_iter = restore.state, restore.n_iter
            log.truncate(restore.epoch)
            returned = Weights(state.params, state.norm_stats)
            best_weights = returned if validating else None
        notices += [(message, ConvergenceWarning)
                    for message in gradient_warnings(log.history[epochs_before:])]
        notify_train_end(self.callbacks, est, network, returned.params,
                         returned.norm_stats, stop_reason=stop_reason)
        for message, category in notices:
            warn_user(message, category)
        return (returned.params, returned.norm_stats,
                {**self._fitted_attributes(state, log, n_iter, best_weights),
                 "stopped_epoch_": stopped_epoch})

    def _stopped_already(self, state: TrainingState, log: TrainingLog) -> tuple:
        """``partial_fit`` after early stopping ended training: train nothing."""
        est = self.estimator
        warn_user(
            f"Training stopped: the validation score has not improved by tol="
            f"{est.tol} for more than n_iter_no_change={est.n_iter_no_change} "
            "epochs, so this partial_fit call leaves the model unchanged "
            "(n_iter_ = 0). Call fit (with warm_start=True to start from these "
            "weights), or set early_stopping=False, to train again.",
            ConvergenceWarning,
        )
        return (state.params, state.norm_stats,
                {**log.attributes(), "n_iter_": 0, "callbacks_": self.callbacks})

    def _validate(self, state: TrainingState, validation: ValidationSet, score
                  ) -> tuple[float, float]:
        """The score and the loss of the current weights on the validation
        data (the loss without the L2 penalty term)."""
        output = self.network.predict_params(state.params, validation.X,
                                             state.norm_stats)
        Y_val = as_targets(validation.Y, output.dtype)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            loss = float(self.loss.value(Y_val, output, validation.sample_weight))
        return score(output, validation.Y, validation.sample_weight), loss

    def _fitted_attributes(self, state: TrainingState, log: TrainingLog,
                           n_iter: int, best_weights: Weights | None) -> dict:
        """The fitted attributes a call sets, scikit-learn's names included."""
        validation = best_weights is not None
        return {
            **log.attributes(),
            "callbacks_": self.callbacks,
            "_optimizer_state": state.optimizer_state,
            "_scheduler_state": state.scheduler_state,
            "_stopping": state.stopping,
            "n_iter_": n_iter,
            "t_": state.samples_seen,
            "loss_": log.loss_curve[-1] if log.loss_curve else np.nan,
            # scikit-learn's names for the stopping rule's state
            "_no_improvement_count": state.stopping.wait,
            "best_loss_": None if validation else state.stopping.best,
            "best_validation_score_": state.stopping.best if validation else None,
            "_best_weights": best_weights,
        }

    def _epoch(self, state: TrainingState, *, epoch: int
               ) -> tuple[TrainingState, float, list[float]]:
        """One pass over the data; ``state.params`` is updated in place.

        Returns the new state, the epoch's loss (the mean of the mini-batch
        losses, weighted by batch size) and, for every layer, the L2 norm of
        ∂J/∂W⁽ˡ⁾ before clipping, averaged over the mini-batches.

        Raises
        ------
        Diverged
            When a mini-batch loss or, at the end, a weight is not finite.
        """
        est, network = self.estimator, self.network
        params, grads = self.params_views, self.grads_views
        optimizer_state, scheduler_state = state.optimizer_state, state.scheduler_state
        if est.shuffle:
            # scikit-learn shuffles the indices, not the data, every epoch
            # (sklearn.utils.shuffle: the same draws, here without copies).
            self.random_state.shuffle(self.sample_order)
        total_loss, n_batches = 0.0, 0
        grad_norm_sums = [0.0] * len(grads.coefs)
        with np.errstate(over="ignore", invalid="ignore"):  # caught as Diverged
            np.setbufsize(UFUNC_BUFFER_SIZE)  # restored with the error state
            for batch_index, batch in enumerate(gen_batches(self.n_samples,
                                                            self.batch_size)):
                X_b, Y_b, sw_b = self.batches.take(
                    self.sample_order[batch] if est.shuffle else batch)
                if sw_b is not None and not sw_b.any():
                    continue  # a batch that weighs nothing has no gradient
                batch_loss = network.loss_and_gradient(
                    params, X_b, Y_b, sw_b, loss=self.loss, alpha=est.alpha,
                    workspace=self.workspace, grads=grads, scratch=self.scratch,
                    rng=self.dropout_rng,
                )
                if not math.isfinite(batch_loss):
                    raise Diverged
                total_loss += batch_loss * X_b.shape[0]
                n_batches += 1
                for layer, g in enumerate(grads.coefs):
                    grad_norm_sums[layer] += math.sqrt(np.vdot(g, g))
                for callback in self.callbacks:
                    callback.on_grad_computed(
                        est, epoch=epoch, batch=batch_index,
                        coef_grads=grads.coefs, intercept_grads=grads.intercepts)
                clip_gradients(grads.flat, max_norm=est.clip_grad_norm,
                               max_value=est.clip_grad_value)
                optimizer_state = self.optimizer.step(
                    params.flat, grads.flat, optimizer_state,
                    learning_rate=scheduler_state.learning_rate, scratch=self.scratch)
                scheduler_state = self.scheduler.on_batch_end(
                    scheduler_state, samples_seen=state.samples_seen + batch.stop)
                for callback in self.callbacks:
                    callback.on_batch_end(est, epoch=epoch, batch=batch_index,
                                          loss=batch_loss)
            if not np.isfinite(params.flat).all():
                raise Diverged
        grad_norms = [total / max(n_batches, 1) for total in grad_norm_sums]
        state = replace(state, optimizer_state=optimizer_state,
                        scheduler_state=scheduler_state,
                        samples_seen=state.samples_seen + self.n_samples)
        return state, total_loss / self.n_samples, grad_norms

    # -- set-up -----------------------------------------------------------

    def _initial_state(self, params, norm_stats, mode: FitMode, validation: bool,
                       horizon: Horizon) -> TrainingState:
        """Continue the fitted optimizer, schedule and stopping rule, or start
        afresh.

        ``partial_fit`` continues (when the stored optimizer state fits the
        current optimizer); ``fit`` starts the optimizer and schedule afresh,
        warm or not, as scikit-learn does, and keeps the stopping rule's
        count on a warm start (scikit-learn's too).
        """
        est = self.estimator
        fitted = not mode.new_weights
        stored = getattr(est, "_optimizer_state", None)
        stopping = getattr(est, "_stopping", None)
        if not fitted or stopping is None or (
            (getattr(est, "best_validation_score_", None) is not None) != validation
        ):
            stopping = stopping_monitor(est, validation=validation).start()
        samples_seen = getattr(est, "t_", 0) if fitted else 0
        if mode.incremental and stored is not None and (
            self.optimizer.is_state_compatible(stored, params)
        ):
            return TrainingState(params, norm_stats, copy_state(stored),
                                 copy_state(est._scheduler_state), stopping,
                                 samples_seen)
        return TrainingState(
            params, norm_stats, self.optimizer.init_state(params),
            self.scheduler.init_state(
                est.learning_rate_init,
                horizon=None if mode.incremental else horizon),
            stopping, samples_seen)

    def _initial_best_weights(self, state: TrainingState, mode: FitMode,
                              validation: bool) -> Weights | None:
        """Under early stopping, the weights to return if no epoch of this
        call beats the best validation score so far: the previous call's best
        (warm start), else the initial weights (scikit-learn's rule)."""
        if not validation:
            return None
        stored = getattr(self.estimator, "_best_weights", None)
        if not mode.new_weights and stored is not None:
            return stored
        return Weights(state.params.copy(), state.norm_stats.copy())

    def _prepare_epochs(self, X, Y, sample_weight, batch_size: int,
                        random_state: np.random.RandomState,
                        state: TrainingState) -> None:
        """The buffers and views every mini-batch step reuses."""
        network, dtype = self.network, state.params.dtype
        self.n_samples, self.batch_size = X.shape[0], batch_size
        self.random_state = random_state
        self.batches = BatchSampler(X, as_targets(Y, dtype), sample_weight,
                                    batch_size)
        self.workspace = Workspace(network, batch_size, dtype, training=True)
        # int32 where it suffices: half the memory, the same shuffles.
        self.sample_order = np.arange(
            self.n_samples, dtype=np.int32 if self.n_samples < 2**31 else np.intp)
        self.scratch = self.workspace.spare(network.n_params)
        self.dropout_rng = (np.random.default_rng(random_state.randint(2**31 - 1))
                            if self.estimator.dropout else None)
        # The parameters are updated in place: their views stay valid.
        self.params_views = network.views(state.params, state.norm_stats)
        grads = np.empty(network.n_params, dtype=dtype)
        self.grads_views: LayerViews = network.views(grads, state.norm_stats)

    def _batch_size(self, n_samples: int) -> int:
        batch_size = self.estimator.batch_size
        if batch_size == "auto":
            return min(200, n_samples)
        if batch_size > n_samples:
            warn_user("Got `batch_size` less than 1 or larger than sample size. "
                      "It is going to be clipped")
        return int(min(max(batch_size, 1), n_samples))  # np.clip: 20 µs on scalars

    def _validation_split(self, X, Y, sample_weight, random_state):
        """Hold out ``validation_fraction`` of the data, as scikit-learn does;
        return the rest and a :class:`ValidationSet`."""
        est = self.estimator
        # As in scikit-learn: stratify single-output (binary) classification only.
        stratify = Y if is_classifier(est) and Y.shape[1] == 1 else None
        arrays = (X, Y) if sample_weight is None else (X, Y, sample_weight)
        try:
            split = train_test_split(*arrays, random_state=random_state,
                                     test_size=est.validation_fraction,
                                     stratify=stratify)
        except ValueError as error:
            raise ValueError(
                f"Cannot hold out validation_fraction={est.validation_fraction} "
                f"of {X.shape[0]} samples for early_stopping: {error}"
            ) from error
        X_train, X_val, Y_train, Y_val = split[:4]
        sw_train, sw_val = split[4:] if sample_weight is not None else (None, None)
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        return X_train, Y_train, sw_train, ValidationSet(X_val, Y_val, sw_val)

    def _on_plateau(self, state: TrainingState, validation: bool
                    ) -> tuple[TrainingState, str | None]:
        """The stopping rule is exhausted: the schedule decides (most stop;
        scikit-learn's ``"adaptive"`` lowers the rate and carries on).
        Returns the new state and, if training stops, why."""
        est = self.estimator
        what = "Validation score" if validation else "Training loss"
        message = (f"{what} did not improve more than tol={est.tol:f} for "
                   f"{est.n_iter_no_change} consecutive epochs.")
        scheduler_state, stop = self.scheduler.on_plateau(state.scheduler_state)
        if est.verbose:
            _print_verbose(self.callbacks, message + (
                " Stopping." if stop
                else f" Setting learning rate to {scheduler_state.learning_rate:f}"))
        stopping = state.stopping if stop else replace(state.stopping, wait=0)
        return (replace(state, scheduler_state=scheduler_state, stopping=stopping),
                message if stop else None)
