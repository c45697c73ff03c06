"""A metric-driven schedule: reduce the rate on a plateau, and its state.

Part of :mod:`skmlp.schedulers`; import from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real
from typing import ClassVar, NamedTuple

from sklearn.utils._param_validation import Interval, StrOptions

from .._monitor import Monitor, MonitorState
from .._states import replace
from ._base import Horizon, Scheduler


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
    monitor : MonitorState
        The watched metric's best value and the epochs since it last
        improved by ``threshold`` (``wait``).
    cooldown_counter : int
        Epochs of cooldown left, during which bad epochs are not counted.
    """

    learning_rate: float
    initial_learning_rate: float
    monitor: MonitorState
    epoch: int = 0
    step: int = 0
    cooldown_counter: int = 0


class ReduceLROnPlateau(Scheduler):
    r"""Multiply the rate by ``factor`` when a metric stops improving.

    Parameters
    ----------
    monitor : {"loss", "validation_score", "validation_loss"}, default="loss"
        The watched metric: the epoch's training loss (minimised), or the
        score (maximised) or loss (minimised) on the validation data, which
        need ``early_stopping=True`` on the estimator (validation data, held
        out or passed to ``fit``); without it, a :class:`ValueError` is
        raised.
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
        Whether ``threshold`` is relative to the best value's magnitude
        (``"rel"``: improving means reaching ``best - |best| * threshold``,
        or ``best + |best| * threshold`` when maximising) or absolute
        (``"abs"``: ``best - threshold``, ``best + threshold``).
    cooldown : int, default=0
        Epochs after a reduction during which bad epochs are not counted,
        ``>= 0``.
    min_lr : float, default=0.0
        The rate never goes below this, ``>= 0``.
    eps : float, default=1e-8
        A reduction smaller than this is skipped, ``>= 0``.

    Notes
    -----
    After each epoch, with :math:`m` the monitored value, :math:`b` the
    best value before it, and :math:`\Delta` = ``threshold`` (``"abs"``)
    or :math:`|b| \cdot` ``threshold`` (``"rel"``):

    - the epoch **improves** when :math:`m \le b - \Delta` (loss) or
      :math:`m \ge b + \Delta` (validation score); the first epoch always
      does, a ``nan`` never does. Improving resets the count of bad epochs
      to 0; any other epoch adds one;
    - :math:`b` becomes :math:`m` whenever :math:`m` is strictly better,
      whether or not it improved by :math:`\Delta`;
    - during cooldown the count is held at zero;
    - when the count exceeds ``patience`` (the ``patience + 1``-th bad
      epoch in a row),

      .. math:: \eta \leftarrow \max(\eta \cdot \text{factor}, \eta_{\min})

      (skipped if it changes the rate by no more than ``eps``), the count
      is reset and ``cooldown`` epochs of cooldown start.

    The first two points are the rule of :class:`skmlp._monitor.Monitor`,
    which the estimator's own ``tol``/``n_iter_no_change`` test (scikit-
    learn's), :class:`~skmlp.callbacks.EarlyStopping` and
    :class:`~skmlp.callbacks.BestWeights` follow too, so that they agree to
    the epoch. Cooldown, ``min_lr`` and ``eps`` are PyTorch's
    ``ReduceLROnPlateau`` (``mode="min"`` for the loss, ``"max"`` for the
    validation score, stepped once per epoch), which differs in exactly
    three ways:

    - a value *at* the boundary improves here: PyTorch needs
      :math:`m < b - \Delta` (:math:`m > b + \Delta`). With
      ``threshold=0``, an epoch that ties the best is an improvement here
      and a bad epoch in PyTorch;
    - PyTorch moves :math:`b` only on an improvement by the threshold, so
      a metric drifting by less than :math:`\Delta` per epoch eventually
      beats its stale best and counts as improving; here :math:`b` follows
      the drift, and a drift slower than :math:`\Delta` never improves;
    - PyTorch's relative threshold is :math:`b \cdot` ``threshold``, not
      :math:`|b| \cdot` ``threshold``: for a negative best value (a
      validation :math:`R^2` below 0) it lets a worse value count as an
      improvement.

    With ``threshold=0`` and no two values equal, the rates are PyTorch's.

    **On the estimator's plateau** (the loss or validation score has not
    improved by ``tol`` for ``n_iter_no_change`` epochs) training stops, as
    with every schedule but :class:`AdaptiveLR`: that test is the
    early-stopping rule, this schedule only lowers the rate before it
    fires. Use ``patience < n_iter_no_change`` so that reductions happen,
    or ``n_iter_no_change=np.inf`` to let only ``max_iter`` end training.

    Examples
    --------
    The rate each epoch uses: the 4th loss in a row not 1e-4 below the best
    (0.5) is the second bad epoch, more than ``patience=1``, so the 5th
    epoch trains at half the rate.

    >>> from skmlp.schedulers import ReduceLROnPlateau
    >>> sched = ReduceLROnPlateau(factor=0.5, patience=1)
    >>> losses = [1.0, 0.5, 0.6, 0.7, 0.8]
    >>> sched.preview(1.0, epochs=5, metrics=[{"loss": v} for v in losses])
    array([1. , 1. , 1. , 1. , 0.5])
    """

    name = "plateau"

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "monitor": [StrOptions({"loss", "validation_score", "validation_loss"})],
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

    def _monitor(self) -> Monitor:
        return Monitor(
            maximize=self.monitor == "validation_score",
            min_delta=self.threshold,
            patience=self.patience,
            relative=self.threshold_mode == "rel",
        )

    def init_state(
        self, learning_rate_init: float, *, horizon: Horizon | None = None
    ) -> PlateauState:
        """Start at ``learning_rate_init`` with no best value yet."""
        return PlateauState(
            learning_rate=float(learning_rate_init),
            initial_learning_rate=float(learning_rate_init),
            monitor=self._monitor().start(),
        )

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
                if self.monitor != "loss"
                else ""
            )
            raise ValueError(
                f"ReduceLROnPlateau(monitor={self.monitor!r}) got no "
                f"{self.monitor!r} metric at the end of epoch {state.epoch + 1}."
                f"{hint} To preview it, pass preview(metrics=[{{"
                f"{self.monitor!r}: ...}}, ...]), one mapping per epoch."
            )
        monitor = self._monitor()
        tracked = monitor.update(state.monitor, float(value), state.epoch + 1)
        cooldown_counter = state.cooldown_counter
        if cooldown_counter > 0:
            cooldown_counter -= 1
            tracked = replace(tracked, wait=0)
        rate = state.learning_rate
        if monitor.exhausted(tracked):
            reduced = max(rate * self.factor, self.min_lr)
            if rate - reduced > self.eps:
                rate = reduced
            cooldown_counter, tracked = self.cooldown, replace(tracked, wait=0)
        return replace(
            state,
            epoch=state.epoch + 1,
            learning_rate=float(rate),
            monitor=tracked,
            cooldown_counter=cooldown_counter,
        )
