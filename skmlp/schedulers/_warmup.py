"""Linear warm-up chained to another schedule, and its state.

Part of :mod:`skmlp.schedulers`; import from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any, ClassVar, NamedTuple

from sklearn.utils._param_validation import HasMethods, Interval

from ._base import Scheduler, _invalid
from ._sklearn import ConstantLR


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

    name = "warmup"

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
        if isinstance(self.scheduler, type):
            raise _invalid("scheduler", self, "must be an instance, not the class "
                           f"{self.scheduler.__name__}: pass "
                           f"{self.scheduler.__name__}() instead.")
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
