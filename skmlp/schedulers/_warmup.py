"""Linear warm-up chained to another schedule, and its state.

Part of :mod:`skmlp.schedulers`; import from there.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any, ClassVar, NamedTuple

from sklearn.utils._param_validation import Interval

from .._params import Component, resolve, validate_params
from .._states import replace
from ._base import Horizon, Scheduler, _invalid
from ._sklearn import ConstantLR


def _registry() -> dict[str, type[Scheduler]]:
    """:data:`SCHEDULERS`, imported when used: it lists :class:`WarmupLR`."""
    from . import SCHEDULERS

    return SCHEDULERS


@functools.cache
def _builtin(name: str) -> Scheduler:
    """The built-in ``name`` with its defaults, resolved once: the hooks
    of a specification never change it, and resolving costs more than a
    step of training."""
    return resolve(name, _registry())


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
    scheduler : str, Scheduler or None, default=None
        The schedule that takes over after warm-up: a name of
        :data:`SCHEDULERS` (the built-in with its defaults), or a
        :class:`Scheduler`; ``None`` means :class:`ConstantLR`. An object's
        hyperparameters are nested parameters:
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
    estimator's ``samples_seen`` unchanged. :meth:`on_plateau` and
    :meth:`ends_at_horizon` are delegated to the wrapped schedule at any
    time.

    The wrapped schedule's horizon is the fit's less the warm-up:
    ``Horizon(max_iter - W, batches_per_epoch)``, so a schedule sized by
    the horizon (``OneCycleLR()``, ``"cosine"``) ends with the fit. A
    warm-up that lasts the whole fit (:math:`W \ge` ``max_iter``) warns:
    the wrapped schedule would never take over.

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

    By name, and sized by the fit: a cosine over the eight epochs after two
    of warm-up.

    >>> WarmupLR("cosine", warmup_epochs=2, start_factor=0.5).preview(
    ...     1.0, epochs=10).round(3).tolist()
    [0.5, 0.75, 1.0, 0.95, 0.812, 0.611, 0.389, 0.188, 0.05, 0.0]
    """

    name = "warmup"

    # A name is checked against the registry in _validate_params: the
    # registry lists this class, so it does not exist yet.
    _parameter_constraints: ClassVar[dict[str, list]] = {
        "scheduler": [None, str, Scheduler],
        "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
        "start_factor": [Interval(Real, 0, 1, closed="right")],
    }

    def __init__(
        self,
        scheduler: str | Scheduler | None = None,
        warmup_epochs: int = 5,
        start_factor: float = 1.0 / 3.0,
    ):
        self.scheduler = scheduler
        self.warmup_epochs = warmup_epochs
        self.start_factor = start_factor

    def _validate_params(self) -> None:
        """Check the constraints (a name against :data:`SCHEDULERS`), and the
        wrapped schedule's own."""
        if isinstance(self.scheduler, type):
            raise _invalid("scheduler", self, "must be an instance, not the class "
                           f"{self.scheduler.__name__}: pass "
                           f"{self.scheduler.__name__}() instead.")
        validate_params(
            {**self._parameter_constraints,
             "scheduler": [None, Component(_registry(), Scheduler)]},
            self.get_params(deep=False), caller_name=type(self).__name__)
        self._inner._validate_params()

    @property
    def _inner(self) -> Scheduler:
        if self.scheduler is None:
            return ConstantLR()
        if isinstance(self.scheduler, str):
            return _builtin(self.scheduler)
        return self.scheduler

    def _warm_rate(self, state: WarmupState) -> float:
        target = state.inner.learning_rate
        fraction = state.epoch / self.warmup_epochs
        return target * (self.start_factor + (1.0 - self.start_factor) * fraction)

    def _in_warmup(self, state: WarmupState) -> bool:
        return state.epoch < self.warmup_epochs

    def init_state(
        self, learning_rate_init: float, *, horizon: Horizon | None = None
    ) -> WarmupState:
        """Start the wrapped schedule, with the horizon left after warm-up,
        and warm up to its first rate."""
        inner_horizon = None
        if horizon is not None:
            if horizon.epochs <= self.warmup_epochs:
                warnings.warn(
                    f"WarmupLR(warmup_epochs={self.warmup_epochs}) lasts the "
                    f"whole fit (max_iter={horizon.epochs}): the wrapped "
                    f"schedule {self._inner!r} never takes over. Lower "
                    "warmup_epochs or raise max_iter.",
                    UserWarning,
                    stacklevel=2,
                )
            inner_horizon = replace(
                horizon, epochs=max(horizon.epochs - self.warmup_epochs, 0)
            )
        inner = self._inner.init_state(learning_rate_init, horizon=inner_horizon)
        state = WarmupState(
            learning_rate=float(inner.learning_rate),
            initial_learning_rate=float(learning_rate_init),
            inner=inner,
        )
        if self._in_warmup(state):
            state = replace(state, learning_rate=float(self._warm_rate(state)))
        return state

    def on_batch_end(self, state: WarmupState, *, samples_seen: int) -> WarmupState:
        """Count the step; after warm-up, advance the wrapped schedule."""
        if self._in_warmup(state):
            return replace(state, step=state.step + 1)
        inner = self._inner.on_batch_end(state.inner, samples_seen=samples_seen)
        return replace(
            state,
            step=state.step + 1,
            inner=inner,
            learning_rate=float(inner.learning_rate),
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
        state = replace(state, epoch=state.epoch + 1, inner=inner)
        if self._in_warmup(state):
            return replace(state, learning_rate=float(self._warm_rate(state)))
        return replace(state, learning_rate=float(inner.learning_rate))

    def on_plateau(self, state: WarmupState) -> tuple[WarmupState, bool]:
        """Delegate to the wrapped schedule (its rate applies after warm-up)."""
        inner, stop = self._inner.on_plateau(state.inner)
        state = replace(state, inner=inner)
        if not self._in_warmup(state):
            state = replace(state, learning_rate=float(inner.learning_rate))
        return state, stop

    def ends_at_horizon(self, state: WarmupState) -> bool:
        """Delegate to the wrapped schedule, whose horizon ends with the fit."""
        return self._inner.ends_at_horizon(state.inner)
