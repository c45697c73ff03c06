"""scikit-learn's three schedules: constant, invscaling and adaptive.

Part of :mod:`skmlp.schedulers`; import from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real
from typing import ClassVar

from sklearn.utils._param_validation import Interval

from .._states import replace
from ._base import Scheduler, SchedulerState


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

    name = "constant"


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

    name = "invscaling"
    estimator_params = ("power_t",)  # the estimator's own ``power_t``

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
        return replace(state, learning_rate=float(rate))


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

    name = "adaptive"

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
        return replace(state, learning_rate=state.learning_rate / self.factor), False
