r""""Best so far, patience, min delta": the one rule every monitor follows.

Four things watch a metric across epochs and act when it stops improving:
the estimator's ``tol``/``n_iter_no_change`` rule (scikit-learn's), the
:class:`~skmlp.schedulers.ReduceLROnPlateau` schedule, and the
:class:`~skmlp.callbacks.EarlyStopping` and
:class:`~skmlp.callbacks.BestWeights` callbacks. They all use
:class:`Monitor`, so they agree to the epoch.

The rule is scikit-learn's (``MLPClassifier._update_no_improvement_count``),
written for both directions. With :math:`v` the epoch's value, :math:`b` the
best value *before* it and :math:`\Delta` the minimum change:

- the epoch **improves** when :math:`v \le b - \Delta` (``mode="min"``) or
  :math:`v \ge b + \Delta` (``mode="max"``); with ``relative=True``
  :math:`\Delta` is :math:`|b| \cdot` ``min_delta``. Improving resets the
  count of epochs without improvement (``wait``) to 0, any other epoch adds
  one; a ``nan`` never improves;
- the **best** value becomes :math:`v` whenever :math:`v` is strictly better
  than :math:`b`, whether or not it improved by :math:`\Delta` (so a slow
  drift below ``min_delta`` per epoch never resets the count);
- the monitor is **exhausted** once ``wait > patience``: the
  ``patience + 1``-th epoch in a row without improvement. scikit-learn stops
  then (``n_iter_no_change``), and so does PyTorch's ``ReduceLROnPlateau``
  (``num_bad_epochs > patience``).

With ``min_delta=0`` an epoch that ties the best counts as improving, as in
scikit-learn with ``tol=0``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from ._states import replace


class MonitorState(NamedTuple):
    """Where a :class:`Monitor` stands after some epochs.

    Attributes
    ----------
    best : float
        The best value seen (``inf`` when minimising, ``-inf`` when
        maximising, before any).
    best_epoch : int or None
        The epoch that reached ``best``.
    wait : int
        Epochs since the last improvement.
    is_best : bool
        Whether the last value became the best.
    """

    best: float
    best_epoch: int | None = None
    wait: int = 0
    is_best: bool = False


class Monitor(NamedTuple):
    """The rule above, for one metric.

    Parameters
    ----------
    maximize : bool
        Whether higher values are better.
    min_delta : float, default=0.0
        The least change that counts as an improvement, ``>= 0``.
    patience : float, default=inf
        The number of epochs without improvement tolerated.
    relative : bool, default=False
        Whether ``min_delta`` is relative to the best value's magnitude.

    Examples
    --------
    >>> monitor = Monitor(maximize=False, min_delta=0.1, patience=1)
    >>> state = monitor.start()
    >>> for epoch, loss in enumerate([1.0, 0.95, 0.9, 0.7, 0.65], start=1):
    ...     state = monitor.update(state, loss, epoch)
    ...     print(epoch, state.best, state.wait, monitor.exhausted(state))
    1 1.0 0 False
    2 0.95 1 False
    3 0.9 2 True
    4 0.7 0 False
    5 0.65 1 False
    """

    maximize: bool
    min_delta: float = 0.0
    patience: float = math.inf
    relative: bool = False

    def start(self) -> MonitorState:
        """The state before any epoch."""
        return MonitorState(best=-math.inf if self.maximize else math.inf)

    def improves(self, value: float, best: float) -> bool:
        """Whether ``value`` improves on ``best`` by at least the minimum change."""
        if math.isinf(best):  # the first value always improves
            return not math.isnan(value)
        delta = self.min_delta * abs(best) if self.relative else self.min_delta
        if self.maximize:
            return value >= best + delta
        return value <= best - delta

    def update(self, state: MonitorState, value: float, epoch: int) -> MonitorState:
        """The state after an epoch whose metric is ``value``."""
        wait = 0 if self.improves(value, state.best) else state.wait + 1
        is_best = value > state.best if self.maximize else value < state.best
        if is_best:
            return MonitorState(value, epoch, wait, True)
        return replace(state, wait=wait, is_best=False)

    def exhausted(self, state: MonitorState) -> bool:
        """Whether more than ``patience`` epochs in a row did not improve."""
        return state.wait > self.patience
