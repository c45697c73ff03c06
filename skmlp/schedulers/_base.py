"""The scheduler state and base classes, and helpers of the built-ins.

Part of :mod:`skmlp.schedulers`, which documents the interface and re-exports
everything public; import from there.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, NamedTuple

from sklearn.utils._param_validation import InvalidParameterError

from .._params import ParamsMixin


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
    """

    learning_rate: float
    initial_learning_rate: float
    epoch: int = 0
    step: int = 0


class Scheduler(ParamsMixin, ABC):  # hooks have useful defaults: none abstract
    """Base class of every learning-rate schedule.

    The default hooks keep the rate constant, count epochs and steps, and
    stop training on a plateau (scikit-learn's behaviour for every schedule
    but ``"adaptive"``).
    """

    def init_state(self, learning_rate_init: float) -> SchedulerState:
        """Start the schedule at ``learning_rate_init``.

        Parameters
        ----------
        learning_rate_init : float
            The estimator's initial learning rate.

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
        return state._replace(step=state.step + 1)

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
            ``"loss"``: the epoch's training loss; ``"validation_score"``:
            the score on the held-out set when ``early_stopping=True``,
            else ``None``.

        Returns
        -------
        state : SchedulerState
        """
        return state._replace(epoch=state.epoch + 1)

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

    def init_state(self, learning_rate_init: float) -> SchedulerState:
        """Start the schedule at its formula's value for epoch 0, step 0.

        That is ``learning_rate_init`` for every schedule that starts at the
        initial rate, and the formula's own starting point otherwise (a
        cyclical schedule starts at its base rate, for instance).
        """
        return self._with_value(super().init_state(learning_rate_init))

    def _with_value(self, state: SchedulerState) -> SchedulerState:
        rate = self.value(
            state.initial_learning_rate, epoch=state.epoch, step=state.step
        )
        return state._replace(learning_rate=float(rate))

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
