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
or step count, or subclass :class:`Scheduler` and override the hooks. A
scheduler may keep its own :class:`~typing.NamedTuple` state as long as it
has a ``learning_rate`` field (see :class:`WarmupState`). Define the class at
module level so it pickles.

Catalogue
---------
==================  =======================================  ====================
name                class                                    rate
==================  =======================================  ====================
``"constant"``      :class:`ConstantLR`                      constant
``"invscaling"``    :class:`InvScalingLR`                    power of samples seen
``"adaptive"``      :class:`AdaptiveLR`                      / 5 on each plateau
``"step"``          :class:`StepLR`                          x gamma every k epochs
``"multistep"``     :class:`MultiStepLR`                     x gamma at milestones
``"exponential"``   :class:`ExponentialLR`                   x gamma every epoch
``"natural_exp"``   :class:`NaturalExpLR`                    exp(-decay_rate e)
``"inverse_time"``  :class:`InverseTimeLR`                   1 / (1 + decay_rate e)
``"polynomial"``    :class:`PolynomialLR`                    (1 - t / T) ** power
``"cosine"``        :class:`CosineAnnealingWarmRestarts`     cosine, warm restarts
``"cyclic"``        :class:`CyclicLR`                        triangular cycles
``"one_cycle"``     :class:`OneCycleLR`                      the 1cycle policy
``"warmup"``        :class:`WarmupLR`                        linear warm-up, then...
``"plateau"``       :class:`ReduceLROnPlateau`               x factor on plateaus
==================  =======================================  ====================

Rates are relative to the estimator's ``learning_rate_init`` unless a
parameter (``max_lr``, ``base_lr``, ``eta_min``, ``min_lr``) gives one
outright. ``e`` counts completed epochs; ``t`` counts completed epochs or,
with ``per_batch=True`` (polynomial, cosine, cyclic, one-cycle), completed
optimizer steps.

A named built-in receives the estimator's flat parameters that share a name
with its own; only :class:`InvScalingLR`'s ``power_t`` does. The other
schedules' hyperparameters carry names no estimator parameter uses.
"""

from __future__ import annotations

import bisect
import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any, ClassVar, NamedTuple

from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
)

from ._params import ParamsMixin

__all__ = [
    "SCHEDULERS",
    "AdaptiveLR",
    "ClosedFormScheduler",
    "ConstantLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "InvScalingLR",
    "InverseTimeLR",
    "MultiStepLR",
    "NaturalExpLR",
    "OneCycleLR",
    "PlateauState",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "Scheduler",
    "SchedulerState",
    "StepLR",
    "WarmupLR",
    "WarmupState",
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


# -- closed-form decays ----------------------------------------------------


class StepLR(ClosedFormScheduler):
    r"""Multiply the rate by ``gamma`` every ``step_size`` epochs.

    Parameters
    ----------
    step_size : int, default=30
        Epochs between two decays, ``>= 1``.
    gamma : float, default=0.1
        Multiplicative factor of each decay, in ``(0, 1]``.

    Notes
    -----
    With :math:`e` the number of completed epochs and :math:`\eta_0` the
    estimator's ``learning_rate_init``,

    .. math:: \eta_e = \eta_0 \, \gamma^{\lfloor e / \text{step\_size} \rfloor}.

    Same rule as PyTorch's ``torch.optim.lr_scheduler.StepLR`` stepped once
    per epoch.

    Examples
    --------
    >>> from skmlp.schedulers import StepLR
    >>> sched = StepLR(step_size=2, gamma=0.5)
    >>> [sched.value(1.0, epoch=e, step=0) for e in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "step_size": [Interval(Integral, 1, None, closed="left")],
        "gamma": [Interval(Real, 0, 1, closed="right")],
    }

    def __init__(self, step_size: int = 30, gamma: float = 0.1):
        self.step_size = step_size
        self.gamma = gamma

    def value(self, initial_learning_rate: float, *, epoch: int, step: int) -> float:
        r""":math:`\eta_0 \gamma^{\lfloor e / k \rfloor}`."""
        return initial_learning_rate * self.gamma ** (epoch // self.step_size)


class MultiStepLR(ClosedFormScheduler):
    r"""Multiply the rate by ``gamma`` at each milestone epoch.

    Parameters
    ----------
    milestones : tuple of int, default=(30, 80)
        Strictly increasing epoch counts, each ``>= 1``, after which the rate
        is multiplied by ``gamma``.
    gamma : float, default=0.1
        Multiplicative factor of each decay, in ``(0, 1]``.

    Notes
    -----
    With :math:`e` the number of completed epochs and :math:`m_i` the
    milestones,

    .. math:: \eta_e = \eta_0 \, \gamma^{\#\{i \,:\, m_i \le e\}}.

    Same rule as PyTorch's ``MultiStepLR`` stepped once per epoch (PyTorch
    also accepts repeated milestones; here they must strictly increase).

    Examples
    --------
    >>> from skmlp.schedulers import MultiStepLR
    >>> sched = MultiStepLR(milestones=(2, 3), gamma=0.5)
    >>> [sched.value(1.0, epoch=e, step=0) for e in range(5)]
    [1.0, 1.0, 0.5, 0.25, 0.25]
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "milestones": ["array-like"],
        "gamma": [Interval(Real, 0, 1, closed="right")],
    }

    def __init__(self, milestones: tuple[int, ...] = (30, 80), gamma: float = 0.1):
        self.milestones = milestones
        self.gamma = gamma

    def _validate_params(self) -> None:
        """Check the constraints, then that milestones strictly increase."""
        super()._validate_params()
        milestones = list(self.milestones)
        if not all(
            isinstance(m, Integral) and not isinstance(m, bool) for m in milestones
        ):
            raise _invalid("milestones", self, f"must hold ints. Got {milestones!r}.")
        if any(m < 1 for m in milestones):
            raise _invalid("milestones", self, f"must be >= 1. Got {milestones!r}.")
        if any(b <= a for a, b in itertools.pairwise(milestones)):
            raise _invalid(
                "milestones", self, f"must be strictly increasing. Got {milestones!r}."
            )

    def value(self, initial_learning_rate: float, *, epoch: int, step: int) -> float:
        r""":math:`\eta_0 \gamma^{\#\{m_i \le e\}}`."""
        passed = bisect.bisect_right(sorted(self.milestones), epoch)
        return initial_learning_rate * self.gamma**passed


class ExponentialLR(ClosedFormScheduler):
    r"""Multiply the rate by ``gamma`` after every epoch.

    Parameters
    ----------
    gamma : float, default=0.95
        Multiplicative factor per epoch, in ``(0, 1]``.

    See Also
    --------
    NaturalExpLR : The same decay written :math:`\eta_0 e^{-\lambda t}`.

    Notes
    -----
    .. math:: \eta_e = \eta_0 \, \gamma^{e}

    with :math:`e` the number of completed epochs, as PyTorch's
    ``ExponentialLR`` stepped once per epoch. :class:`NaturalExpLR` with
    ``decay_rate`` :math:`= -\ln\gamma` gives the same rates.

    Examples
    --------
    >>> from skmlp.schedulers import ExponentialLR
    >>> sched = ExponentialLR(gamma=0.5)
    >>> [sched.value(1.0, epoch=e, step=0) for e in range(4)]
    [1.0, 0.5, 0.25, 0.125]
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "gamma": [Interval(Real, 0, 1, closed="right")],
    }

    def __init__(self, gamma: float = 0.95):
        self.gamma = gamma

    def value(self, initial_learning_rate: float, *, epoch: int, step: int) -> float:
        r""":math:`\eta_0 \gamma^e`."""
        return initial_learning_rate * self.gamma**epoch


class NaturalExpLR(ClosedFormScheduler):
    r"""Exponential decay in the natural base: :math:`\eta_0 e^{-\lambda e}`.

    Parameters
    ----------
    decay_rate : float, default=0.05
        The decay constant :math:`\lambda`, ``>= 0``, per epoch.

    See Also
    --------
    ExponentialLR : The same decay written :math:`\eta_0 \gamma^t`.

    Notes
    -----
    .. math:: \eta_e = \eta_0 \, e^{-\lambda e}

    with :math:`e` the number of completed epochs, as TensorFlow's
    ``natural_exp_decay`` with ``decay_steps=1``. It equals
    :class:`ExponentialLR` with :math:`\gamma = e^{-\lambda}`.

    Examples
    --------
    >>> import math
    >>> from skmlp.schedulers import NaturalExpLR
    >>> sched = NaturalExpLR(decay_rate=math.log(2))
    >>> [round(sched.value(1.0, epoch=e, step=0), 12) for e in range(4)]
    [1.0, 0.5, 0.25, 0.125]
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "decay_rate": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, decay_rate: float = 0.05):
        self.decay_rate = decay_rate

    def value(self, initial_learning_rate: float, *, epoch: int, step: int) -> float:
        r""":math:`\eta_0 e^{-\lambda e}`."""
        return initial_learning_rate * math.exp(-self.decay_rate * epoch)


class InverseTimeLR(ClosedFormScheduler):
    r"""Inverse-time decay in the epochs: :math:`\eta_0 / (1 + \lambda e)`.

    Parameters
    ----------
    decay_rate : float, default=0.1
        The decay constant :math:`\lambda`, ``>= 0``, per epoch.

    See Also
    --------
    InvScalingLR : scikit-learn's power law in the number of samples seen.

    Notes
    -----
    .. math:: \eta_e = \frac{\eta_0}{1 + \lambda e}

    with :math:`e` the number of completed epochs, as TensorFlow's
    ``InverseTimeDecay`` with ``decay_steps=1`` and ``staircase=False``.

    Examples
    --------
    >>> from skmlp.schedulers import InverseTimeLR
    >>> sched = InverseTimeLR(decay_rate=1.0)
    >>> [sched.value(1.0, epoch=e, step=0) for e in range(4)]
    [1.0, 0.5, 0.3333333333333333, 0.25]
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "decay_rate": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, decay_rate: float = 0.1):
        self.decay_rate = decay_rate

    def value(self, initial_learning_rate: float, *, epoch: int, step: int) -> float:
        r""":math:`\eta_0 / (1 + \lambda e)`."""
        return initial_learning_rate / (1.0 + self.decay_rate * epoch)


class PolynomialLR(_UnitMixin, ClosedFormScheduler):
    r"""Polynomial decay from :math:`\eta_0` to ``eta_min`` over ``total_iters``.

    Parameters
    ----------
    total_iters : int, default=200
        Length :math:`T` of the decay, ``>= 1``, in epochs (or optimizer
        steps with ``per_batch=True``). The default matches the estimator's
        default ``max_iter``; set it to your ``max_iter`` for the classic
        "poly" policy.
    power : float, default=1.0
        Exponent :math:`p` of the decay, ``> 0`` (``1`` is linear).
    eta_min : float, default=0.0
        Rate reached at :math:`T` and kept afterwards, ``>= 0``. With
        ``eta_min=0`` nothing is learned past :math:`T`: the loss stops
        improving and the estimator's ``n_iter_no_change`` ends training.
    per_batch : bool, default=False
        Count :math:`t` in optimizer steps instead of epochs.

    Notes
    -----
    .. math::

        \eta_t = (\eta_0 - \eta_{\min})
                 \left(1 - \frac{\min(t, T)}{T}\right)^{p} + \eta_{\min}

    With ``eta_min=0`` this is PyTorch's ``PolynomialLR``; with
    ``eta_min > 0`` TensorFlow's ``PolynomialDecay`` (``cycle=False``).

    Examples
    --------
    >>> from skmlp.schedulers import PolynomialLR
    >>> sched = PolynomialLR(total_iters=4, power=2.0)
    >>> [sched.value(1.0, epoch=e, step=0) for e in range(6)]
    [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "total_iters": [Interval(Integral, 1, None, closed="left")],
        "power": [Interval(Real, 0, None, closed="neither")],
        "eta_min": [Interval(Real, 0, None, closed="left")],
        "per_batch": ["boolean"],
    }

    def __init__(
        self,
        total_iters: int = 200,
        power: float = 1.0,
        eta_min: float = 0.0,
        per_batch: bool = False,
    ):
        self.total_iters = total_iters
        self.power = power
        self.eta_min = eta_min
        self.per_batch = per_batch

    def value(self, initial_learning_rate: float, *, epoch: int, step: int) -> float:
        r""":math:`(\eta_0 - \eta_{\min})(1 - \min(t, T)/T)^p + \eta_{\min}`."""
        t = min(self._clock(epoch, step), self.total_iters)
        remaining = 1.0 - t / self.total_iters
        return (initial_learning_rate - self.eta_min) * remaining**self.power + (
            self.eta_min
        )


class CosineAnnealingWarmRestarts(_UnitMixin, ClosedFormScheduler):
    r"""Cosine annealing with warm restarts (SGDR).

    The rate follows half a cosine from :math:`\eta_0` down towards
    ``eta_min`` over a period of ``T_0`` epochs (or steps), then restarts at
    :math:`\eta_0`; each period is ``T_mult`` times longer than the last.

    Parameters
    ----------
    T_0 : int, default=10
        Length of the first period, ``>= 1``, in epochs (or optimizer steps
        with ``per_batch=True``). ``T_0 >= max_iter`` with ``T_mult=1`` gives
        plain cosine annealing without restarts.
    T_mult : int, default=1
        Growth factor of the period after each restart, ``>= 1``.
    eta_min : float, default=0.0
        The floor the cosine anneals towards, ``>= 0``.
    per_batch : bool, default=False
        Count :math:`t` in optimizer steps instead of epochs. The paper and
        PyTorch's ``CosineAnnealingWarmRestarts`` (stepped with fractional
        epochs) anneal within epochs; here ``T_0`` then counts steps.

    Notes
    -----
    With :math:`T_i = T_0 T_{\text{mult}}^i` the length of the current
    period and :math:`T_{\text{cur}}` the epochs (steps) since the last
    restart,

    .. math::

        \eta_t = \eta_{\min} + \frac{1}{2} (\eta_0 - \eta_{\min})
                 \left(1 + \cos\left(\pi \frac{T_{\text{cur}}}{T_i}\right)\right).

    Restarts happen at :math:`t = T_0 (T_{\text{mult}}^i - 1) /
    (T_{\text{mult}} - 1)` (every :math:`T_0` when :math:`T_{\text{mult}} =
    1`). Since :math:`T_{\text{cur}} < T_i`, the rate stays above
    ``eta_min``. ``state.cycle`` is not used: the formula is closed.

    References
    ----------
    .. [1] I. Loshchilov and F. Hutter, "SGDR: Stochastic Gradient Descent
       with Warm Restarts", ICLR 2017. https://arxiv.org/abs/1608.03983

    Examples
    --------
    >>> from skmlp.schedulers import CosineAnnealingWarmRestarts
    >>> sched = CosineAnnealingWarmRestarts(T_0=2, T_mult=2)
    >>> [round(sched.value(1.0, epoch=e, step=0), 12) for e in range(7)]
    [1.0, 0.5, 1.0, 0.853553390593, 0.5, 0.146446609407, 1.0]
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "T_0": [Interval(Integral, 1, None, closed="left")],
        "T_mult": [Interval(Integral, 1, None, closed="left")],
        "eta_min": [Interval(Real, 0, None, closed="left")],
        "per_batch": ["boolean"],
    }

    def __init__(
        self,
        T_0: int = 10,
        T_mult: int = 1,
        eta_min: float = 0.0,
        per_batch: bool = False,
    ):
        self.T_0 = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.per_batch = per_batch

    def _position(self, t: int) -> tuple[int, int]:
        """``(T_cur, T_i)``: place in the current period, and its length."""
        if self.T_mult == 1:
            return t % self.T_0, self.T_0
        period = self.T_0
        while t >= period:
            t -= period
            period *= self.T_mult
        return t, period

    def value(self, initial_learning_rate: float, *, epoch: int, step: int) -> float:
        r"""SGDR's cosine of :math:`T_{\text{cur}} / T_i`."""
        t_cur, period = self._position(self._clock(epoch, step))
        cosine = 0.5 * (1.0 + math.cos(math.pi * t_cur / period))
        return self.eta_min + (initial_learning_rate - self.eta_min) * cosine


class CyclicLR(_UnitMixin, ClosedFormScheduler):
    r"""Cyclical learning rate between ``base_lr`` and ``max_lr``.

    The rate climbs linearly from ``base_lr`` to ``max_lr`` over
    ``step_size`` epochs (or steps), falls back over as many, and repeats.

    Parameters
    ----------
    base_lr : float or None, default=None
        Lower bound of the cycle, ``> 0``. ``None`` means ``max_lr / 4``
        (Smith's advice: a third to a quarter of the maximum).
    max_lr : float or None, default=None
        Upper bound of the cycle, ``> 0`` and ``>= base_lr``. ``None``
        means the estimator's ``learning_rate_init``.
    step_size : int, default=4
        Half a cycle, ``>= 1``, in epochs (or optimizer steps with
        ``per_batch=True``). Smith recommends 2 to 10 epochs' worth.
    mode : {"triangular", "triangular2", "exp_range"}, default="triangular"
        Amplitude scaling: constant; halved every cycle; multiplied by
        ``gamma`` every epoch (step).
    gamma : float, default=1.0
        Factor of the ``"exp_range"`` mode, in ``(0, 1]``.
    per_batch : bool, default=False
        Count :math:`t` in optimizer steps instead of epochs. The paper and
        PyTorch's ``CyclicLR`` count steps (iterations).

    Notes
    -----
    With :math:`s` the step size, :math:`c = \lfloor 1 + t / (2s) \rfloor`
    the (1-based) cycle and :math:`x = |t/s - 2c + 1|`,

    .. math::

        \eta_t = \eta_{\text{base}} + (\eta_{\max} - \eta_{\text{base}})
                 \max(0, 1 - x) \, \sigma(t),

    with :math:`\sigma = 1` (triangular), :math:`\sigma = 2^{1 - c}`
    (triangular2) or :math:`\sigma = \gamma^t` (exp_range), as PyTorch's
    ``CyclicLR`` with ``step_size_up = step_size_down``. The schedule starts
    at ``base_lr``, not at ``learning_rate_init``. Cycling the momentum
    inversely (PyTorch's ``cycle_momentum``) is not done: momentum is an
    optimizer hyperparameter.

    References
    ----------
    .. [1] L. N. Smith, "Cyclical Learning Rates for Training Neural
       Networks", WACV 2017. https://arxiv.org/abs/1506.01186

    Examples
    --------
    >>> from skmlp.schedulers import CyclicLR
    >>> sched = CyclicLR(base_lr=0.1, max_lr=0.5, step_size=2, mode="triangular2")
    >>> [round(sched.value(0.5, epoch=e, step=0), 12) for e in range(9)]
    [0.1, 0.3, 0.5, 0.3, 0.1, 0.2, 0.3, 0.2, 0.1]
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "base_lr": [None, Interval(Real, 0, None, closed="neither")],
        "max_lr": [None, Interval(Real, 0, None, closed="neither")],
        "step_size": [Interval(Integral, 1, None, closed="left")],
        "mode": [StrOptions({"triangular", "triangular2", "exp_range"})],
        "gamma": [Interval(Real, 0, 1, closed="right")],
        "per_batch": ["boolean"],
    }

    def __init__(
        self,
        base_lr: float | None = None,
        max_lr: float | None = None,
        step_size: int = 4,
        mode: str = "triangular",
        gamma: float = 1.0,
        per_batch: bool = False,
    ):
        self.base_lr = base_lr
        self.max_lr = max_lr
        self.step_size = step_size
        self.mode = mode
        self.gamma = gamma
        self.per_batch = per_batch

    def _bounds(self, initial_learning_rate: float) -> tuple[float, float]:
        high = initial_learning_rate if self.max_lr is None else float(self.max_lr)
        low = high / 4.0 if self.base_lr is None else float(self.base_lr)
        if low > high:
            raise _invalid(
                "base_lr",
                self,
                f"must be <= max_lr (learning_rate_init when max_lr=None). "
                f"Got base_lr={low!r} > max_lr={high!r}.",
            )
        return low, high

    def _validate_params(self) -> None:
        """Check the constraints, then ``base_lr <= max_lr`` when both are set."""
        super()._validate_params()
        if self.base_lr is not None and self.max_lr is not None:
            self._bounds(float(self.max_lr))

    def value(self, initial_learning_rate: float, *, epoch: int, step: int) -> float:
        """Triangular wave, scaled by the mode."""
        low, high = self._bounds(initial_learning_rate)
        t = self._clock(epoch, step)
        cycle, position = divmod(t, 2 * self.step_size)  # cycle is 0-based here
        height = 1.0 - abs(position - self.step_size) / self.step_size
        if self.mode == "triangular2":
            height /= 2.0**cycle
        elif self.mode == "exp_range":
            height *= self.gamma**t
        return low + (high - low) * height


class OneCycleLR(_UnitMixin, ClosedFormScheduler):
    r"""The 1cycle policy: warm up to ``max_lr``, then anneal far below it.

    Parameters
    ----------
    max_lr : float or None, default=None
        Peak rate, ``> 0``. ``None`` means the estimator's
        ``learning_rate_init``.
    total_steps : int, default=200
        Length :math:`T` of the cycle in epochs (or optimizer steps with
        ``per_batch=True``), ``>= 2``. Set it to ``max_iter`` (times the
        batches per epoch with ``per_batch=True``). Past the end the rate
        stays at its final value (PyTorch raises instead).
    pct_start : float, default=0.3
        Fraction of the cycle spent rising, in ``(0, 1)``; the rising phase
        must last more than one epoch (step): ``pct_start * total_steps > 1``.
    anneal_strategy : {"cos", "linear"}, default="cos"
        Shape of each phase.
    div_factor : float, default=25.0
        Starting rate is ``max_lr / div_factor``, ``>= 1``.
    final_div_factor : float, default=1e4
        Final rate is ``max_lr / (div_factor * final_div_factor)``, ``>= 1``.
    three_phase : bool, default=False
        Fall back to the starting rate symmetrically before annealing to
        the final rate (fast.ai's original version), instead of annealing
        from the peak straight to the final rate.
    per_batch : bool, default=False
        Count :math:`t` in optimizer steps instead of epochs. The paper and
        PyTorch's ``OneCycleLR`` count steps.

    Notes
    -----
    With :math:`\eta_{\text{start}} = \eta_{\max}/d`,
    :math:`\eta_{\text{end}} = \eta_{\text{start}}/f`, and phase ends
    :math:`a = pT - 1`, :math:`b = T - 1` (three phases: :math:`a`,
    :math:`2a`, :math:`b`), each phase goes from its first to its last rate
    as :math:`\text{anneal}(u, v, \tau) = v + (u - v)(1 + \cos \pi\tau)/2`
    (``"cos"``) or :math:`u + (v - u)\tau` (``"linear"``), with
    :math:`\tau` the fraction of the phase elapsed; e.g. the first phase is

    .. math::

        \eta_t = \text{anneal}\left(\eta_{\text{start}}, \eta_{\max},
                 \frac{t}{a}\right), \quad 0 \le t \le a.

    This is PyTorch's ``OneCycleLR`` (its momentum cycling is not done:
    momentum is an optimizer hyperparameter). The schedule starts at
    ``max_lr / div_factor``, not at ``learning_rate_init``.

    References
    ----------
    .. [1] L. N. Smith and N. Topin, "Super-Convergence: Very Fast Training
       of Neural Networks Using Large Learning Rates", 2018.
       https://arxiv.org/abs/1708.07120

    Examples
    --------
    >>> from skmlp.schedulers import OneCycleLR
    >>> sched = OneCycleLR(total_steps=10, anneal_strategy="linear")
    >>> [round(sched.value(1.0, epoch=e, step=0), 6) for e in (0, 1, 2, 9)]
    [0.04, 0.52, 1.0, 4e-06]
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "max_lr": [None, Interval(Real, 0, None, closed="neither")],
        "total_steps": [Interval(Integral, 2, None, closed="left")],
        "pct_start": [Interval(Real, 0, 1, closed="neither")],
        "anneal_strategy": [StrOptions({"cos", "linear"})],
        "div_factor": [Interval(Real, 1, None, closed="left")],
        "final_div_factor": [Interval(Real, 1, None, closed="left")],
        "three_phase": ["boolean"],
        "per_batch": ["boolean"],
    }

    def __init__(
        self,
        max_lr: float | None = None,
        total_steps: int = 200,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        per_batch: bool = False,
    ):
        self.max_lr = max_lr
        self.total_steps = total_steps
        self.pct_start = pct_start
        self.anneal_strategy = anneal_strategy
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        self.three_phase = three_phase
        self.per_batch = per_batch

    def _validate_params(self) -> None:
        """Check the constraints, then that every phase has a positive length."""
        super()._validate_params()
        rise_end = self.pct_start * self.total_steps - 1
        if rise_end <= 0:
            raise _invalid(
                "pct_start",
                self,
                "times 'total_steps' must exceed 1 so that the rising phase lasts "
                f"more than one step. Got pct_start={self.pct_start!r}, "
                f"total_steps={self.total_steps!r}.",
            )
        if self.three_phase and 2 * rise_end >= self.total_steps - 1:
            raise _invalid(
                "pct_start",
                self,
                "is too large for three_phase=True: the rise and the fall must "
                "end before the last step (2 * pct_start * total_steps - 2 < "
                f"total_steps - 1). Got pct_start={self.pct_start!r}, "
                f"total_steps={self.total_steps!r}.",
            )

    def value(self, initial_learning_rate: float, *, epoch: int, step: int) -> float:
        """PyTorch's phase-wise annealing, held at the end."""
        peak = initial_learning_rate if self.max_lr is None else float(self.max_lr)
        start = peak / self.div_factor
        end = start / self.final_div_factor
        rise_end = self.pct_start * self.total_steps - 1
        last = self.total_steps - 1
        if self.three_phase:
            phases = [
                (rise_end, start, peak),
                (2 * rise_end, peak, start),
                (last, start, end),
            ]
        else:
            phases = [(rise_end, start, peak), (last, peak, end)]
        t = min(self._clock(epoch, step), last)
        phase_start = 0.0
        for i, (phase_end, first, final) in enumerate(phases):
            if t <= phase_end or i == len(phases) - 1:
                frac = (t - phase_start) / (phase_end - phase_start)
                if self.anneal_strategy == "cos":
                    cosine = 0.5 * (1.0 + math.cos(math.pi * frac))
                    return final + (first - final) * cosine
                return first + (final - first) * frac
            phase_start = phase_end
        raise AssertionError("unreachable")  # pragma: no cover


# -- chained and metric-driven schedules -------------------------------------


class WarmupState(NamedTuple):
    """Running values of :class:`WarmupLR`.

    Attributes
    ----------
    learning_rate : float
        The rate the next optimizer step uses.
    initial_learning_rate : float
        The estimator's ``learning_rate_init``.
    epoch : int
        Epochs completed, warm-up included.
    step : int
        Optimizer steps completed, warm-up included.
    inner : NamedTuple
        The state of the wrapped schedule, which starts when warm-up ends.
    """

    learning_rate: float
    initial_learning_rate: float
    epoch: int = 0
    step: int = 0
    inner: Any = None


class WarmupLR(Scheduler):
    r"""Linear warm-up for ``warmup_epochs`` epochs, then another schedule.

    Parameters
    ----------
    scheduler : Scheduler or None, default=None
        The schedule that takes over after warm-up; ``None`` means
        :class:`ConstantLR`. Its hyperparameters are nested parameters:
        ``learning_rate__scheduler__gamma`` in a grid search.
    warmup_epochs : int, default=5
        Length :math:`W` of the warm-up in epochs, ``>= 0`` (``0``: none).
    start_factor : float, default=1/3
        The first epoch's rate is ``start_factor`` times the target rate,
        in ``(0, 1]`` (PyTorch's ``LinearLR`` default).

    Notes
    -----
    With :math:`\eta^{*}` the rate the wrapped schedule starts at (the
    estimator's ``learning_rate_init`` :math:`\eta_0` for every built-in but
    :class:`CyclicLR` and :class:`OneCycleLR`) and :math:`s` the start
    factor, epoch :math:`e` uses

    .. math::

        \eta_e = \eta^{*} \left(s + (1 - s) \frac{e}{W}\right)
                 \quad \text{for } e < W,

    and from epoch :math:`W` on, the wrapped schedule's rate, the wrapped
    schedule counting its epochs and steps from the end of warm-up (like
    PyTorch's ``SequentialLR(LinearLR, scheduler, milestones=[W])``). Its
    hooks are not called during warm-up; afterwards they receive the
    estimator's ``samples_seen`` unchanged. :meth:`on_plateau` is delegated
    to the wrapped schedule at any time.

    Examples
    --------
    >>> from skmlp.schedulers import StepLR, WarmupLR
    >>> sched = WarmupLR(StepLR(step_size=2, gamma=0.5), warmup_epochs=2,
    ...                  start_factor=0.5)
    >>> state = sched.init_state(1.0)
    >>> rates = [state.learning_rate]
    >>> for _ in range(5):
    ...     state = sched.on_epoch_end(state, samples_seen=0, metrics={})
    ...     rates.append(state.learning_rate)
    >>> rates
    [0.5, 0.75, 1.0, 1.0, 0.5, 0.5]
    >>> sorted(sched.get_params(deep=True))[:2]
    ['scheduler', 'scheduler__gamma']
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "scheduler": [
            None,
            HasMethods(["init_state", "on_batch_end", "on_epoch_end", "on_plateau"]),
        ],
        "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
        "start_factor": [Interval(Real, 0, 1, closed="right")],
    }

    def __init__(
        self,
        scheduler: Scheduler | None = None,
        warmup_epochs: int = 5,
        start_factor: float = 1.0 / 3.0,
    ):
        self.scheduler = scheduler
        self.warmup_epochs = warmup_epochs
        self.start_factor = start_factor

    def _validate_params(self) -> None:
        """Check the constraints, and the wrapped schedule's own."""
        super()._validate_params()
        if hasattr(self.scheduler, "_validate_params"):
            self.scheduler._validate_params()

    @property
    def _inner(self) -> Scheduler:
        return ConstantLR() if self.scheduler is None else self.scheduler

    def _warm_rate(self, state: WarmupState) -> float:
        target = state.inner.learning_rate
        fraction = state.epoch / self.warmup_epochs
        return target * (self.start_factor + (1.0 - self.start_factor) * fraction)

    def _in_warmup(self, state: WarmupState) -> bool:
        return state.epoch < self.warmup_epochs

    def init_state(self, learning_rate_init: float) -> WarmupState:
        """Start the wrapped schedule, and warm up to its first rate."""
        inner = self._inner.init_state(learning_rate_init)
        state = WarmupState(
            learning_rate=float(inner.learning_rate),
            initial_learning_rate=float(learning_rate_init),
            inner=inner,
        )
        if self._in_warmup(state):
            state = state._replace(learning_rate=float(self._warm_rate(state)))
        return state

    def on_batch_end(self, state: WarmupState, *, samples_seen: int) -> WarmupState:
        """Count the step; after warm-up, advance the wrapped schedule."""
        if self._in_warmup(state):
            return state._replace(step=state.step + 1)
        inner = self._inner.on_batch_end(state.inner, samples_seen=samples_seen)
        return state._replace(
            step=state.step + 1, inner=inner, learning_rate=float(inner.learning_rate)
        )

    def on_epoch_end(
        self,
        state: WarmupState,
        *,
        samples_seen: int,
        metrics: Mapping[str, float | None],
    ) -> WarmupState:
        """Count the epoch; warm up, or advance the wrapped schedule."""
        inner = state.inner
        if not self._in_warmup(state):
            inner = self._inner.on_epoch_end(
                inner, samples_seen=samples_seen, metrics=metrics
            )
        state = state._replace(epoch=state.epoch + 1, inner=inner)
        if self._in_warmup(state):
            return state._replace(learning_rate=float(self._warm_rate(state)))
        return state._replace(learning_rate=float(inner.learning_rate))

    def on_plateau(self, state: WarmupState) -> tuple[WarmupState, bool]:
        """Delegate to the wrapped schedule (its rate applies after warm-up)."""
        inner, stop = self._inner.on_plateau(state.inner)
        state = state._replace(inner=inner)
        if not self._in_warmup(state):
            state = state._replace(learning_rate=float(inner.learning_rate))
        return state, stop


class PlateauState(NamedTuple):
    """Running values of :class:`ReduceLROnPlateau`.

    Attributes
    ----------
    learning_rate : float
        The rate the next optimizer step uses.
    initial_learning_rate : float
        The estimator's ``learning_rate_init``.
    epoch : int
        Epochs completed.
    step : int
        Optimizer steps completed.
    best_metric : float or None
        Best monitored value so far.
    bad_epochs : int
        Epochs since ``best_metric`` last improved by ``threshold``.
    cooldown_counter : int
        Epochs of cooldown left, during which bad epochs are not counted.
    """

    learning_rate: float
    initial_learning_rate: float
    epoch: int = 0
    step: int = 0
    best_metric: float | None = None
    bad_epochs: int = 0
    cooldown_counter: int = 0


class ReduceLROnPlateau(Scheduler):
    r"""Multiply the rate by ``factor`` when a metric stops improving.

    Parameters
    ----------
    monitor : {"loss", "validation_score"}, default="loss"
        The watched metric: the epoch's training loss (minimised) or the
        held-out score (maximised), which needs ``early_stopping=True`` on the
        estimator; without it, a :class:`ValueError` is raised.
    factor : float, default=0.1
        Multiplier of each reduction, in ``(0, 1)``.
    patience : int, default=5
        Epochs without improvement tolerated, ``>= 0``: the rate drops on
        the ``patience + 1``-th bad epoch in a row. PyTorch's default is 10;
        5 lets the rate drop at least once before the estimator's own
        plateau test (``n_iter_no_change=10`` epochs, see below) ends
        training.
    threshold : float, default=1e-4
        Least improvement that counts, ``>= 0``.
    threshold_mode : {"rel", "abs"}, default="rel"
        Improvement means beating ``best * (1 - threshold)`` (``"rel"``,
        ``best * (1 + threshold)`` when maximising) or ``best - threshold``
        (``"abs"``, ``best + threshold`` when maximising).
    cooldown : int, default=0
        Epochs after a reduction during which bad epochs are not counted,
        ``>= 0``.
    min_lr : float, default=0.0
        The rate never goes below this, ``>= 0``.
    eps : float, default=1e-8
        A reduction smaller than this is skipped, ``>= 0``.

    Notes
    -----
    After each epoch, with :math:`m` the monitored value:

    - if :math:`m` beats the best value so far (by ``threshold``) it
      becomes the best and the bad-epoch count is reset, else the count
      grows by one;
    - during cooldown the count is held at zero;
    - when the count exceeds ``patience``,

      .. math:: \eta \leftarrow \max(\eta \cdot \text{factor}, \eta_{\min})

      (skipped if it changes the rate by less than ``eps``), the count is
      reset and ``cooldown`` epochs of cooldown start.

    This is PyTorch's ``ReduceLROnPlateau`` with ``mode="min"`` for the loss
    and ``mode="max"`` for the validation score, stepped once per epoch.

    **On the estimator's plateau** (the loss or validation score has not
    improved by ``tol`` for ``n_iter_no_change`` epochs) training stops, as
    with every schedule but :class:`AdaptiveLR`: that test is the
    early-stopping rule, this schedule only lowers the rate before it
    fires. Use ``patience < n_iter_no_change`` so that reductions happen,
    or ``n_iter_no_change=np.inf`` to let only ``max_iter`` end training.

    Examples
    --------
    >>> from skmlp.schedulers import ReduceLROnPlateau
    >>> sched = ReduceLROnPlateau(factor=0.5, patience=1)
    >>> state = sched.init_state(1.0)
    >>> for loss in [1.0, 0.5, 0.6, 0.7, 0.8]:
    ...     state = sched.on_epoch_end(state, samples_seen=0,
    ...                                metrics={"loss": loss})
    ...     print(state.learning_rate)
    1.0
    1.0
    1.0
    0.5
    0.5
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "monitor": [StrOptions({"loss", "validation_score"})],
        "factor": [Interval(Real, 0, 1, closed="neither")],
        "patience": [Interval(Integral, 0, None, closed="left")],
        "threshold": [Interval(Real, 0, None, closed="left")],
        "threshold_mode": [StrOptions({"rel", "abs"})],
        "cooldown": [Interval(Integral, 0, None, closed="left")],
        "min_lr": [Interval(Real, 0, None, closed="left")],
        "eps": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        monitor: str = "loss",
        factor: float = 0.1,
        patience: int = 5,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ):
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.eps = eps

    def init_state(self, learning_rate_init: float) -> PlateauState:
        """Start at ``learning_rate_init`` with no best value yet."""
        return PlateauState(
            learning_rate=float(learning_rate_init),
            initial_learning_rate=float(learning_rate_init),
        )

    def _is_better(self, value: float, best: float) -> bool:
        maximise = self.monitor == "validation_score"
        sign = 1.0 if maximise else -1.0
        if self.threshold_mode == "rel":
            return sign * value > sign * best * (1.0 + sign * self.threshold)
        return sign * value > sign * best + self.threshold

    def on_epoch_end(
        self,
        state: PlateauState,
        *,
        samples_seen: int,
        metrics: Mapping[str, float | None],
    ) -> PlateauState:
        """Track the metric; reduce the rate after ``patience`` bad epochs."""
        value = metrics.get(self.monitor)
        if value is None:
            hint = (
                " Set early_stopping=True on the estimator, or monitor='loss'."
                if self.monitor == "validation_score"
                else ""
            )
            raise ValueError(
                f"ReduceLROnPlateau(monitor={self.monitor!r}) got no "
                f"{self.monitor!r} metric at the end of epoch {state.epoch + 1}." + hint
            )
        value = float(value)
        best, bad = state.best_metric, state.bad_epochs
        if best is None or self._is_better(value, best):
            best, bad = value, 0
        else:
            bad += 1
        cooldown_counter = state.cooldown_counter
        if cooldown_counter > 0:
            cooldown_counter -= 1
            bad = 0
        rate = state.learning_rate
        if bad > self.patience:
            reduced = max(rate * self.factor, self.min_lr)
            if rate - reduced > self.eps:
                rate = reduced
            cooldown_counter, bad = self.cooldown, 0
        return state._replace(
            epoch=state.epoch + 1,
            learning_rate=float(rate),
            best_metric=best,
            bad_epochs=bad,
            cooldown_counter=cooldown_counter,
        )


#: Built-in schedules by name, for ``learning_rate=<name>``.
SCHEDULERS: dict[str, type[Scheduler]] = {
    "constant": ConstantLR,
    "invscaling": InvScalingLR,
    "adaptive": AdaptiveLR,
    "step": StepLR,
    "multistep": MultiStepLR,
    "exponential": ExponentialLR,
    "natural_exp": NaturalExpLR,
    "inverse_time": InverseTimeLR,
    "polynomial": PolynomialLR,
    "cosine": CosineAnnealingWarmRestarts,
    "cyclic": CyclicLR,
    "one_cycle": OneCycleLR,
    "warmup": WarmupLR,
    "plateau": ReduceLROnPlateau,
}
