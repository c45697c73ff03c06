"""Closed-form decays: step, multistep, exponential, natural_exp,
inverse_time and polynomial.

Part of :mod:`skmlp.schedulers`; import from there.
"""

from __future__ import annotations

import bisect
import itertools
import math
from numbers import Integral, Real
from typing import ClassVar

from sklearn.utils._param_validation import Interval

from ._base import ClosedFormScheduler, _HorizonMixin, _invalid


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

    name = "step"

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

    name = "multistep"

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

    name = "exponential"

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

    name = "natural_exp"

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

    name = "inverse_time"

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "decay_rate": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, decay_rate: float = 0.1):
        self.decay_rate = decay_rate

    def value(self, initial_learning_rate: float, *, epoch: int, step: int) -> float:
        r""":math:`\eta_0 / (1 + \lambda e)`."""
        return initial_learning_rate / (1.0 + self.decay_rate * epoch)


class PolynomialLR(_HorizonMixin, ClosedFormScheduler):
    r"""Polynomial decay from :math:`\eta_0` to ``eta_min``, by default over the fit.

    Parameters
    ----------
    total_iters : int or None, default=None
        Length :math:`T` of the decay, ``>= 1``, in epochs (or optimizer
        steps with ``per_batch=True``): the rate reaches ``eta_min`` after
        :math:`T` epochs, in epoch :math:`T + 1` (PyTorch's meaning).
        ``None``: the fit's own length, so that the fit's last epoch (step)
        uses ``eta_min``: :math:`T` is ``max_iter - 1`` (``max_iter`` times
        the batches per epoch, minus one, with ``per_batch=True``), and at
        least 1. A value that does not end with the fit warns when ``fit``
        starts; ``partial_fit`` needs a value (it has no horizon).
    power : float, default=1.0
        Exponent :math:`p` of the decay, ``> 0`` (``1`` is linear).
    eta_min : float, default=0.0
        Rate reached at :math:`T` and kept afterwards, ``>= 0``. With
        ``eta_min=0`` nothing is learned at that rate: with
        ``total_iters=None`` the fit's last epoch only measures the loss of
        the final weights.
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
    The fit's length by default: over five epochs, the last uses ``eta_min``.

    >>> from skmlp.schedulers import PolynomialLR
    >>> PolynomialLR(power=2.0).preview(1.0, epochs=5).tolist()
    [1.0, 0.5625, 0.25, 0.0625, 0.0]
    """

    name = "polynomial"
    _length_param = "total_iters"
    _final_offset = 0

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "total_iters": [None, Interval(Integral, 1, None, closed="left")],
        "power": [Interval(Real, 0, None, closed="neither")],
        "eta_min": [Interval(Real, 0, None, closed="left")],
        "per_batch": ["boolean"],
    }

    def __init__(
        self,
        total_iters: int | None = None,
        power: float = 1.0,
        eta_min: float = 0.0,
        per_batch: bool = False,
    ):
        self.total_iters = total_iters
        self.power = power
        self.eta_min = eta_min
        self.per_batch = per_batch

    def value(
        self, initial_learning_rate: float, *, epoch: int, step: int, length: int
    ) -> float:
        r""":math:`(\eta_0 - \eta_{\min})(1 - \min(t, T)/T)^p + \eta_{\min}`,
        with :math:`T` = ``length`` (``state.length``)."""
        t = min(self._clock(epoch, step), length)
        remaining = 1.0 - t / length
        return (initial_learning_rate - self.eta_min) * remaining**self.power + (
            self.eta_min
        )
