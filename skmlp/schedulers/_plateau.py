"""A metric-driven schedule: reduce the rate on a plateau, and its state.

Part of :mod:`skmlp.schedulers`; import from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real
from typing import ClassVar, NamedTuple

from sklearn.utils._param_validation import Interval, StrOptions

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

    name = "plateau"

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

    def init_state(
        self, learning_rate_init: float, *, horizon: Horizon | None = None
    ) -> PlateauState:
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
                f"{self.monitor!r} metric at the end of epoch {state.epoch + 1}."
                f"{hint} To preview it, pass preview(metrics=[{{"
                f"{self.monitor!r}: ...}}, ...]), one mapping per epoch."
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
