"""The scheduler state and base classes, and helpers of the built-ins.

Part of :mod:`skmlp.schedulers`, which documents the interface and re-exports
everything public; import from there.
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any, ClassVar, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sklearn.utils import check_scalar
from sklearn.utils._param_validation import InvalidParameterError

from .._params import ParamsMixin
from .._states import replace


class Horizon(NamedTuple):
    """How long a fit may train, as the trainer knows it when it starts.

    ``fit`` passes ``Horizon(max_iter, batches per epoch)`` to
    :meth:`Scheduler.init_state`; ``partial_fit`` passes ``None``: one call
    trains one epoch and nothing tells how many calls will follow.

    Attributes
    ----------
    epochs : int
        The epochs the fit may run: the estimator's ``max_iter``.
    batches_per_epoch : int
        Optimizer steps (mini-batches) per epoch.
    """

    epochs: int
    batches_per_epoch: int


class SchedulerState(NamedTuple):
    """Running values of a schedule.

    Attributes
    ----------
    learning_rate : float
        The rate the next optimizer step uses.
    initial_learning_rate : float
        The estimator's ``learning_rate_init``.
    epoch : int
        Epochs completed since the schedule started.
    step : int
        Optimizer steps (mini-batches) completed since the schedule started.
    horizon : Horizon or None
        The fit's horizon, kept by the schedules whose length follows it
        (:class:`OneCycleLR`, :class:`PolynomialLR`,
        :class:`CosineAnnealingWarmRestarts`); ``None`` otherwise.
    length : int or None
        Those schedules' length, resolved when they start: the parameter
        (``total_steps``, ``total_iters``, ``T_0``) when it is set, else the
        one that ends with the horizon; ``None`` for the other schedules.
    """

    learning_rate: float
    initial_learning_rate: float
    epoch: int = 0
    step: int = 0
    horizon: Horizon | None = None
    length: int | None = None


#: The metrics :meth:`Scheduler.preview` passes when it is given none.
_NO_METRICS: Mapping[str, float | None] = {"loss": None, "validation_score": None,
                                            "validation_loss": None}


class Scheduler(ParamsMixin, ABC):  # hooks have useful defaults: none abstract
    """Base class of every learning-rate schedule.

    The default hooks keep the rate constant, count epochs and steps, and
    stop training on a plateau (scikit-learn's behaviour for every schedule
    but ``"adaptive"``).

    Attributes
    ----------
    name : str or None
        The registry key of a built-in (``"step"``, for
        ``learning_rate="step"``); ``None`` for your own.
    estimator_params : tuple of str
        The estimator's own parameters that the schedule takes, as
        constructor arguments of the same names, when it is given by name
        (:class:`InvScalingLR`: ``power_t``). Empty by default: a schedule
        receives nothing it does not declare.
    """

    def init_state(
        self, learning_rate_init: float, *, horizon: Horizon | None = None
    ) -> Any:
        """Start the schedule at ``learning_rate_init``.

        Parameters
        ----------
        learning_rate_init : float
            The estimator's initial learning rate.
        horizon : Horizon or None, default=None
            The fit's length (``fit``), or ``None`` when it has none
            (``partial_fit``). Unused here: the rate does not depend on it.

        Returns
        -------
        state : SchedulerState
        """
        return SchedulerState(
            learning_rate=float(learning_rate_init),
            initial_learning_rate=float(learning_rate_init),
        )

    def on_batch_end(self, state: SchedulerState, *, samples_seen: int) -> Any:
        """Advance after one optimizer step.

        Parameters
        ----------
        state : SchedulerState
        samples_seen : int
            Samples trained on by the estimator so far (its ``t_``), across
            calls to ``fit`` and ``partial_fit``.

        Returns
        -------
        state : SchedulerState
        """
        return replace(state, step=state.step + 1)

    def on_epoch_end(
        self,
        state: SchedulerState,
        *,
        samples_seen: int,
        metrics: Mapping[str, float | None],
    ) -> Any:
        """Advance after one epoch.

        Parameters
        ----------
        state : SchedulerState
        samples_seen : int
            Samples trained on by the estimator so far (its ``t_``).
        metrics : mapping
            ``"loss"``: the epoch's training loss; ``"validation_score"``
            and ``"validation_loss"``: the score and the loss on the
            validation data when ``early_stopping=True``, else ``None``.

        Returns
        -------
        state : SchedulerState
        """
        return replace(state, epoch=state.epoch + 1)

    def on_plateau(self, state: SchedulerState) -> tuple[Any, bool]:
        """Decide what to do when training has stopped improving.

        Parameters
        ----------
        state : SchedulerState

        Returns
        -------
        state : SchedulerState
        stop : bool
            ``True`` to end training, ``False`` to carry on.
        """
        return state, True

    def ends_at_horizon(self, state: Any) -> bool:
        """Whether the schedule's planned end is the end of the fit.

        ``True`` for a schedule sized by the fit's horizon, or given a
        length that ends with it: training then reaches ``max_iter`` by
        plan, and the estimator does not warn that it has not converged.

        Parameters
        ----------
        state : SchedulerState
            The state :meth:`init_state` returned.

        Returns
        -------
        ends : bool
            ``False`` here: the schedule has no planned end.
        """
        return False

    def preview(
        self,
        learning_rate_init: float = 0.001,
        *,
        epochs: int,
        batches_per_epoch: int = 1,
        batch_size: int = 1,
        metrics: Sequence[Mapping[str, float | None]] | None = None,
    ) -> NDArray:
        """The rate of every optimizer step of a fit, without fitting.

        The hooks are called as the estimator's ``fit`` calls them:
        :meth:`init_state` with ``Horizon(epochs, batches_per_epoch)``; in
        each epoch, for each batch, the step reads ``state.learning_rate``,
        then :meth:`on_batch_end` runs with ``samples_seen`` counting
        ``batch_size`` samples per step; after the epoch,
        :meth:`on_epoch_end` runs with that epoch's metrics. The
        estimator's plateau rule (``tol``, ``n_iter_no_change``, which calls
        :meth:`on_plateau`) is not simulated: the preview is the schedule of
        a fit that runs all ``epochs``.

        Parameters
        ----------
        learning_rate_init : float, default=0.001
            The estimator's ``learning_rate_init`` (its default here too).
        epochs : int
            The fit's ``max_iter``, ``>= 1``.
        batches_per_epoch : int, default=1
            Optimizer steps per epoch, ``>= 1``: ``ceil(n_samples /
            batch_size)`` for the estimator.
        batch_size : int, default=1
            Samples per step, ``>= 1`` (only :class:`InvScalingLR` reads
            the samples seen).
        metrics : sequence of mapping, default=None
            One mapping per epoch, with the keys the estimator passes
            (``"loss"``, ``"validation_score"``, ``"validation_loss"``), for
            the schedules that
            follow a metric (:class:`ReduceLROnPlateau`). ``None``: every
            metric is ``None``.

        Returns
        -------
        rates : ndarray of shape (epochs * batches_per_epoch,)
            The rate of each optimizer step, in order: epoch ``e`` uses
            ``rates[e * batches_per_epoch:(e + 1) * batches_per_epoch]``.

        Raises
        ------
        ValueError
            When a parameter is invalid, ``metrics`` does not hold one
            mapping per epoch, or a schedule needs a metric it is not given.
        """
        for name, value in [("epochs", epochs), ("batches_per_epoch",
                            batches_per_epoch), ("batch_size", batch_size)]:
            check_scalar(value, name, Integral, min_val=1)
        if metrics is not None and len(metrics) != epochs:
            raise ValueError(
                f"metrics must hold one mapping per epoch: got {len(metrics)} "
                f"for epochs={epochs}."
            )
        self._validate_params()
        state = self.init_state(
            learning_rate_init, horizon=Horizon(epochs, batches_per_epoch)
        )
        rates = np.empty(epochs * batches_per_epoch)
        samples_seen = 0
        for epoch in range(epochs):
            for batch in range(batches_per_epoch):
                rates[epoch * batches_per_epoch + batch] = state.learning_rate
                samples_seen += batch_size
                state = self.on_batch_end(state, samples_seen=samples_seen)
            state = self.on_epoch_end(
                state,
                samples_seen=samples_seen,
                metrics=_NO_METRICS if metrics is None else metrics[epoch],
            )
        return rates


class ClosedFormScheduler(Scheduler):
    """A schedule whose rate is a formula of the epoch (or step) count.

    Subclasses implement :meth:`value`. The rate is recomputed after every
    epoch, or after every optimizer step when ``per_batch`` is true.
    """

    per_batch: ClassVar[bool] = False

    @abstractmethod
    def value(self, initial_learning_rate: float, *, epoch: int, step: int) -> float:
        """The learning rate after ``epoch`` epochs and ``step`` steps.

        Parameters
        ----------
        initial_learning_rate : float
        epoch : int
            Completed epochs.
        step : int
            Completed optimizer steps.

        Returns
        -------
        learning_rate : float
        """

    def init_state(
        self, learning_rate_init: float, *, horizon: Horizon | None = None
    ) -> SchedulerState:
        """Start the schedule at its formula's value for epoch 0, step 0.

        That is ``learning_rate_init`` for every schedule that starts at the
        initial rate, and the formula's own starting point otherwise (a
        cyclical schedule starts at its base rate, for instance).
        """
        return self._with_value(
            super().init_state(learning_rate_init, horizon=horizon)
        )

    def _rate(self, state: SchedulerState) -> float:
        return self.value(
            state.initial_learning_rate, epoch=state.epoch, step=state.step
        )

    def _with_value(self, state: SchedulerState) -> SchedulerState:
        return replace(state, learning_rate=float(self._rate(state)))

    def on_batch_end(self, state: SchedulerState, *, samples_seen: int) -> Any:
        """Count the step; recompute the rate if the schedule is per batch."""
        state = super().on_batch_end(state, samples_seen=samples_seen)
        return self._with_value(state) if self.per_batch else state

    def on_epoch_end(
        self,
        state: SchedulerState,
        *,
        samples_seen: int,
        metrics: Mapping[str, float | None],
    ) -> Any:
        """Count the epoch; recompute the rate if the schedule is per epoch."""
        state = super().on_epoch_end(state, samples_seen=samples_seen, metrics=metrics)
        return state if self.per_batch else self._with_value(state)


# -- helpers ---------------------------------------------------------------


def _invalid(name: str, owner: object, message: str) -> InvalidParameterError:
    """An error that names the parameter, like scikit-learn's validation."""
    return InvalidParameterError(
        f"The {name!r} parameter of {type(owner).__name__} {message}"
    )


class _UnitMixin:
    """``per_batch`` as a constructor parameter: the schedule's clock.

    With ``per_batch=False`` the formula's :math:`t` is the number of
    completed epochs and the rate changes between epochs; with
    ``per_batch=True`` it is the number of completed optimizer steps
    (mini-batches) and the rate changes after every step. Lengths given to
    the schedule (periods, step sizes, totals) count the same unit.
    """

    def _clock(self, epoch: int, step: int) -> int:
        return step if self.per_batch else epoch


class _HorizonMixin(_UnitMixin):
    """A length parameter that defaults to the fit's horizon.

    The subclass names the parameter in ``_length_param`` and says where its
    final rate falls in ``_final_offset``: at position ``length +
    _final_offset`` (0-based, in the schedule's unit). Left at ``None``,
    the length is the one whose final rate is used by the fit's last epoch
    (step); set, it is kept, with a warning when it does not end with the
    fit. Either way it is resolved once, in :meth:`init_state`, into
    ``state.length``, and :meth:`value` receives it.
    """

    _length_param: ClassVar[str]
    _final_offset: ClassVar[int]

    def _unit(self) -> str:
        return "optimizer step" if self.per_batch else "epoch"

    def _span(self, horizon: Horizon) -> int:
        """The horizon in the schedule's unit: epochs, or optimizer steps."""
        return horizon.epochs * (horizon.batches_per_epoch if self.per_batch else 1)

    def _count(self, n: int) -> str:
        """``n`` epochs (or optimizer steps), in words."""
        return f"{n} {self._unit()}{'' if n == 1 else 's'}"

    def _describe(self, horizon: Horizon) -> str:
        if self.per_batch:
            return (f"{self._count(self._span(horizon))} (max_iter="
                    f"{horizon.epochs} x {horizon.batches_per_epoch} batches)")
        return f"max_iter={horizon.epochs}"

    def _mismatch(self, length: int, span: int) -> str | None:
        """How a schedule of ``length`` misses the end of a fit of ``span``
        epochs (steps), or ``None`` when its final rate is the fit's last."""
        end = length + self._final_offset + 1  # 1-based, as epochs are counted
        if end == span:
            return None
        unit = self._unit()
        if end > span:
            return f"reaches its final rate in {unit} {end}, after the fit has ended"
        return (f"reaches its final rate in {unit} {end} and keeps it for the "
                f"last {self._count(span - end)} of the fit")

    def _resolve_length(self, horizon: Horizon | None) -> int:
        """The parameter, or else the length that ends with ``horizon``."""
        given = getattr(self, self._length_param)
        if given is not None:
            return given
        if horizon is None:
            name, param = type(self).__name__, self._length_param
            raise ValueError(
                f"{name} needs {param} when the fit has no horizon "
                f"(partial_fit): set learning_rate={name}({param}=...)."
            )
        return max(self._span(horizon) - 1 - self._final_offset, 1)

    def init_state(
        self, learning_rate_init: float, *, horizon: Horizon | None = None
    ) -> SchedulerState:
        """Resolve the length from ``horizon``, then start at the formula's
        value for epoch 0, step 0.

        Raises
        ------
        ValueError
            When the length parameter is ``None`` and ``horizon`` is too.

        Warns
        -----
        UserWarning
            When the length parameter is set and the schedule does not end
            with the fit's horizon.
        """
        length = self._resolve_length(horizon)
        param = self._length_param
        if getattr(self, param) is not None and horizon is not None and (
            miss := self._mismatch(length, self._span(horizon))
        ) is not None:
            warnings.warn(
                f"{type(self).__name__}({param}={length}) {miss}: the fit's "
                f"horizon is {self._describe(horizon)}. Leave {param}=None to "
                "follow max_iter.",
                UserWarning,
                stacklevel=2,
            )
        return self._with_value(SchedulerState(
            learning_rate=float(learning_rate_init),
            initial_learning_rate=float(learning_rate_init),
            horizon=horizon,
            length=length,
        ))

    def _rate(self, state: SchedulerState) -> float:
        return self.value(state.initial_learning_rate, epoch=state.epoch,
                          step=state.step, length=state.length)

    def ends_at_horizon(self, state: SchedulerState) -> bool:
        """Whether the final rate falls on the fit's last epoch (step)."""
        return state.horizon is not None and self._mismatch(
            state.length, self._span(state.horizon)) is None
