"""Learning-rate schedulers: the size of each step.

The learning rate used by every optimizer step is ``state.learning_rate`` of
the scheduler's state, which starts at the estimator's
``learning_rate_init``. Schedulers are specifications: the constructor stores
hyperparameters, and the running values (current rate, counters, best metric)
live in a :class:`SchedulerState` held on the fitted estimator, so
``partial_fit`` continues a schedule exactly where it stopped.

The estimator calls three hooks:

- :meth:`Scheduler.on_batch_end` after every optimizer step,
- :meth:`Scheduler.on_epoch_end` after every epoch, with the epoch's metrics,
- :meth:`Scheduler.on_plateau` when the loss (or validation score) has not
  improved by ``tol`` for ``n_iter_no_change`` epochs; it decides between
  stopping and carrying on (with a new rate).

Writing your own scheduler
--------------------------
Subclass :class:`ClosedFormScheduler` and implement
:meth:`~ClosedFormScheduler.value` for a rate that is a formula of the epoch
or step count, or subclass :class:`Scheduler` and override the hooks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from numbers import Real
from typing import Any, ClassVar, NamedTuple

from sklearn.utils._param_validation import Interval

from ._params import ParamsMixin

__all__ = [
    "SCHEDULERS",
    "AdaptiveLR",
    "ClosedFormScheduler",
    "ConstantLR",
    "InvScalingLR",
    "Scheduler",
    "SchedulerState",
]


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
    best_metric : float or None
        Best monitored metric so far (for plateau-driven schedules).
    bad_epochs : int
        Epochs since ``best_metric`` last improved.
    cycle : int
        Restarts or cycles completed (for cyclical schedules).
    """

    learning_rate: float
    initial_learning_rate: float
    epoch: int = 0
    step: int = 0
    best_metric: float | None = None
    bad_epochs: int = 0
    cycle: int = 0


class Scheduler(ParamsMixin, ABC):  # noqa: B024 (hooks have useful defaults)
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


class ConstantLR(Scheduler):
    r"""A constant learning rate: scikit-learn's ``learning_rate="constant"``.

    Notes
    -----
    .. math:: \eta_t = \eta_0

    Examples
    --------
    >>> from skmlp.schedulers import ConstantLR
    >>> ConstantLR().init_state(0.01).learning_rate
    0.01
    """


class InvScalingLR(Scheduler):
    r"""Inverse scaling in the samples seen: scikit-learn's ``"invscaling"``.

    Parameters
    ----------
    power_t : float, default=0.5
        The exponent, ``>= 0``.

    Notes
    -----
    After each epoch, with :math:`t` the number of samples trained on so far,

    .. math:: \eta = \eta_0 / (t + 1)^{\text{power\_t}}.

    Examples
    --------
    >>> from skmlp.schedulers import InvScalingLR
    >>> sched = InvScalingLR(power_t=0.5)
    >>> state = sched.init_state(1.0)
    >>> sched.on_epoch_end(state, samples_seen=99, metrics={}).learning_rate
    0.1
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "power_t": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, power_t: float = 0.5):
        self.power_t = power_t

    def on_epoch_end(
        self,
        state: SchedulerState,
        *,
        samples_seen: int,
        metrics: Mapping[str, float | None],
    ) -> SchedulerState:
        """Scale the initial rate by the samples seen."""
        state = super().on_epoch_end(state, samples_seen=samples_seen, metrics=metrics)
        rate = state.initial_learning_rate / (samples_seen + 1) ** self.power_t
        return state._replace(learning_rate=float(rate))


class AdaptiveLR(Scheduler):
    r"""Divide the rate on every plateau: scikit-learn's ``"adaptive"``.

    The rate stays at its value while training improves. Each time the loss
    (or the validation score, with ``early_stopping=True``) fails to improve
    by ``tol`` for ``n_iter_no_change`` epochs, the rate is divided by
    ``factor``; once it is at or below ``min_learning_rate`` training stops.

    Parameters
    ----------
    factor : float, default=5.0
        Divisor applied on a plateau, ``> 1``.
    min_learning_rate : float, default=1e-6
        Training stops on a plateau once the rate is at or below this.

    Notes
    -----
    .. math:: \eta \leftarrow \eta / \text{factor} \quad \text{on each plateau}

    Examples
    --------
    >>> from skmlp.schedulers import AdaptiveLR
    >>> sched = AdaptiveLR()
    >>> state, stop = sched.on_plateau(sched.init_state(0.1))
    >>> round(state.learning_rate, 10), stop
    (0.02, False)
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "factor": [Interval(Real, 1, None, closed="neither")],
        "min_learning_rate": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, factor: float = 5.0, min_learning_rate: float = 1e-6):
        self.factor = factor
        self.min_learning_rate = min_learning_rate

    def on_plateau(self, state: SchedulerState) -> tuple[SchedulerState, bool]:
        """Divide the rate by ``factor``, or stop once it is small enough."""
        if state.learning_rate <= self.min_learning_rate:
            return state, True
        return state._replace(learning_rate=state.learning_rate / self.factor), False


#: Built-in schedules by name, for ``learning_rate=<name>``.
SCHEDULERS: dict[str, type[Scheduler]] = {
    "constant": ConstantLR,
    "invscaling": InvScalingLR,
    "adaptive": AdaptiveLR,
}
