"""Cyclical closed-form schedules: cosine with warm restarts (SGDR), cyclic
and one-cycle.

Part of :mod:`skmlp.schedulers`; import from there.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import ClassVar

from sklearn.utils._param_validation import Interval, StrOptions

from ._base import (
    ClosedFormScheduler,
    Horizon,
    _HorizonMixin,
    _invalid,
    _UnitMixin,
)


class CosineAnnealingWarmRestarts(_HorizonMixin, ClosedFormScheduler):
    r"""Cosine annealing over the fit, or with warm restarts (SGDR).

    The rate follows half a cosine from :math:`\eta_0` down to ``eta_min``.
    By default the cosine spans the whole fit; with ``T_0`` set it spans
    ``T_0`` epochs (or steps), then restarts at :math:`\eta_0`, each period
    ``T_mult`` times longer than the last.

    Parameters
    ----------
    T_0 : int or None, default=None
        Length of the first period, ``>= 1``, in epochs (or optimizer steps
        with ``per_batch=True``). ``None``: one cosine over the whole fit
        and no restart: the first epoch (step) uses :math:`\eta_0` and the
        last one ``eta_min`` (``T_mult`` is then unused); ``partial_fit``
        needs a value (it has no horizon). A value whose periods do not end
        with the fit warns when ``fit`` starts.
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
    With :math:`T_i` the length of the current period and
    :math:`T_{\text{cur}}` the epochs (steps) since it started,

    .. math::

        \eta_t = \eta_{\min} + \frac{1}{2} (\eta_0 - \eta_{\min})
                 \left(1 + \cos\left(\pi \frac{T_{\text{cur}}}{T_i}\right)\right).

    With ``T_0`` set (SGDR), :math:`T_i = T_0 T_{\text{mult}}^i`: restarts
    happen at :math:`t = T_0 (T_{\text{mult}}^i - 1) / (T_{\text{mult}} -
    1)` (every :math:`T_0` when :math:`T_{\text{mult}} = 1`), and since
    :math:`T_{\text{cur}} < T_i` the rate stays above ``eta_min``. A
    fit ends with a period when its last epoch (step) is the last of one.

    With ``T_0=None`` there is one period, :math:`T_{\text{cur}} = \min(t,
    T)` with :math:`T` = ``max_iter - 1`` (``max_iter`` times the batches
    per epoch, minus one, with ``per_batch=True``; at least 1): the fit's
    last epoch (step) uses ``eta_min``, as PyTorch's ``CosineAnnealingLR``
    with ``T_max`` :math:`= T`.

    References
    ----------
    .. [1] I. Loshchilov and F. Hutter, "SGDR: Stochastic Gradient Descent
       with Warm Restarts", ICLR 2017. https://arxiv.org/abs/1608.03983

    Examples
    --------
    >>> from skmlp.schedulers import CosineAnnealingWarmRestarts
    >>> CosineAnnealingWarmRestarts().preview(1.0, epochs=5).round(12).tolist()
    [1.0, 0.853553390593, 0.5, 0.146446609407, 0.0]
    >>> sched = CosineAnnealingWarmRestarts(T_0=2, T_mult=2)
    >>> sched.preview(1.0, epochs=6).round(12).tolist()
    [1.0, 0.5, 1.0, 0.853553390593, 0.5, 0.146446609407]
    """

    name = "cosine"
    _length_param = "T_0"
    _final_offset = 0

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "T_0": [None, Interval(Integral, 1, None, closed="left")],
        "T_mult": [Interval(Integral, 1, None, closed="left")],
        "eta_min": [Interval(Real, 0, None, closed="left")],
        "per_batch": ["boolean"],
    }

    def __init__(
        self,
        T_0: int | None = None,
        T_mult: int = 1,
        eta_min: float = 0.0,
        per_batch: bool = False,
    ):
        self.T_0 = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.per_batch = per_batch

    def _position(self, t: int, length: int) -> tuple[int, int]:
        """``(T_cur, T_i)``: place in the current period, and its length."""
        if self.T_0 is None:
            return min(t, length), length
        period = length
        if self.T_mult == 1:
            return t % period, period
        while t >= period:
            t -= period
            period *= self.T_mult
        return t, period

    def _mismatch(self, length: int, span: int) -> str | None:
        """With restarts, the fit must end with a period: its first epoch
        after the fit would restart."""
        if self.T_0 is None:
            return super()._mismatch(length, span)
        t_cur, period = self._position(span, length)
        if t_cur == 0:
            return None
        return (f"is {self._count(t_cur)} into a period of {self._count(period)} "
                "when the fit ends")

    def value(
        self, initial_learning_rate: float, *, epoch: int, step: int, length: int
    ) -> float:
        r"""The cosine of :math:`T_{\text{cur}} / T_i`, the first period
        being ``length`` (``state.length``) long."""
        t_cur, period = self._position(self._clock(epoch, step), length)
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

    name = "cyclic"

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


class OneCycleLR(_HorizonMixin, ClosedFormScheduler):
    r"""The 1cycle policy: warm up to ``max_lr``, then anneal far below it.

    Parameters
    ----------
    max_lr : float or None, default=None
        Peak rate, ``> 0``. ``None`` means the estimator's
        ``learning_rate_init``.
    total_steps : int or None, default=None
        Length :math:`T` of the cycle in epochs (or optimizer steps with
        ``per_batch=True``), ``>= 2``: epoch (step) :math:`T` is the last of
        the cycle and uses its final rate. ``None``: the fit's own length,
        ``max_iter`` (times the batches per epoch with ``per_batch=True``),
        so the fit ends with the cycle. A value that does not end with the
        fit warns when ``fit`` starts; ``partial_fit`` needs a value (it has
        no horizon). Past the end the rate stays at its final value
        (PyTorch raises instead).
    pct_start : float, default=0.3
        Fraction of the cycle spent rising, in ``(0, 1)``; the rising phase
        must last more than one epoch (step): ``pct_start * total_steps > 1``
        (with ``total_steps=None``, checked against the fit's horizon).
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
    (``"cos"``) or :math:`u (1 - \tau) + v \tau` (``"linear"``), with
    :math:`\tau` the fraction of the phase elapsed; e.g. the first phase is

    .. math::

        \eta_t = \text{anneal}\left(\eta_{\text{start}}, \eta_{\max},
                 \frac{t}{a}\right), \quad 0 \le t \le a.

    The first epoch (:math:`t = 0`) uses :math:`\eta_{\text{start}}`, epoch
    :math:`t = a` (when :math:`a` is a whole number) :math:`\eta_{\max}`, and
    epoch :math:`t = T - 1`, the fit's last with ``total_steps=None``,
    :math:`\eta_{\text{end}}`. This is PyTorch's ``OneCycleLR`` (its
    momentum cycling is not done: momentum is an optimizer hyperparameter).
    The schedule starts at ``max_lr / div_factor``, not at
    ``learning_rate_init``.

    References
    ----------
    .. [1] L. N. Smith and N. Topin, "Super-Convergence: Very Fast Training
       of Neural Networks Using Large Learning Rates", 2018.
       https://arxiv.org/abs/1708.07120

    Examples
    --------
    Over a ten-epoch fit: the peak in epoch 3 (:math:`t = a = 2`), the final
    rate in epoch 10.

    >>> from skmlp.schedulers import OneCycleLR
    >>> rates = OneCycleLR(anneal_strategy="linear").preview(1.0, epochs=10)
    >>> rates[[0, 1, 2, 9]].round(6).tolist()
    [0.04, 0.52, 1.0, 4e-06]
    """

    name = "one_cycle"
    _length_param = "total_steps"
    _final_offset = -1

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "max_lr": [None, Interval(Real, 0, None, closed="neither")],
        "total_steps": [None, Interval(Integral, 2, None, closed="left")],
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
        total_steps: int | None = None,
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

    def _check_phases(self, total: int) -> None:
        """Every phase of a ``total``-long cycle must have a positive length."""
        got = f"Got pct_start={self.pct_start!r}, total_steps={total!r}"
        if self.total_steps is None:
            got += (" (the fit's horizon: raise max_iter, or set per_batch=True "
                    "to count optimizer steps)")
        rise_end = self.pct_start * total - 1
        if rise_end <= 0:
            raise _invalid(
                "pct_start",
                self,
                "times 'total_steps' must exceed 1 so that the rising phase lasts "
                f"more than one step. {got}.",
            )
        if self.three_phase and 2 * rise_end >= total - 1:
            raise _invalid(
                "pct_start",
                self,
                "is too large for three_phase=True: the rise and the fall must "
                "end before the last step (2 * pct_start * total_steps - 2 < "
                f"total_steps - 1). {got}.",
            )

    def _validate_params(self) -> None:
        """Check the constraints, then that every phase has a positive length."""
        super()._validate_params()
        if self.total_steps is not None:
            self._check_phases(self.total_steps)

    def _resolve_length(self, horizon: Horizon | None) -> int:
        """The cycle's length, whose phases must each last (see above)."""
        total = super()._resolve_length(horizon)
        self._check_phases(total)
        return total

    def value(
        self, initial_learning_rate: float, *, epoch: int, step: int, length: int
    ) -> float:
        """PyTorch's phase-wise annealing over ``length`` (``state.length``)
        epochs (steps), held at the end."""
        peak = initial_learning_rate if self.max_lr is None else float(self.max_lr)
        start = peak / self.div_factor
        end = start / self.final_div_factor
        rise_end = self.pct_start * length - 1
        last = length - 1
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
                return first * (1.0 - frac) + final * frac  # exact at both ends
            phase_start = phase_end
        raise AssertionError("unreachable")  # pragma: no cover
