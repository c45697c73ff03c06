"""Learning-rate schedulers: the size of each step.

The learning rate used by every optimizer step is ``state.learning_rate`` of
the scheduler's state, which starts at the estimator's
``learning_rate_init``. Schedulers are specifications: the constructor stores
hyperparameters, and the running values (current rate, counters, best metric,
resolved length) live in a :class:`SchedulerState` held on the fitted
estimator, so ``partial_fit`` continues a schedule exactly where it stopped.

The estimator calls the hooks in this order:

- :meth:`Scheduler.init_state` when training starts, with the fit's
  :class:`Horizon` (``max_iter`` epochs of so many batches) in ``fit`` and
  ``None`` in ``partial_fit``, which has none; the first epoch uses the
  rate it returns;
- in each epoch, for each mini-batch: the optimizer step with
  ``state.learning_rate``, then :meth:`Scheduler.on_batch_end`;
- after the epoch, :meth:`Scheduler.on_epoch_end` with the epoch's metrics;
  the rate it sets is the next epoch's;
- then, when the loss (or validation score) has not improved by ``tol`` for
  ``n_iter_no_change`` epochs, :meth:`Scheduler.on_plateau`, which decides
  between stopping and carrying on (with a new rate).

:meth:`Scheduler.preview` runs those hooks without training, and returns the
rate of every step of a fit of a given length: ``OneCycleLR().preview(0.1,
epochs=30)``.

Schedules that follow the fit
-----------------------------
:class:`OneCycleLR` (``total_steps``), :class:`PolynomialLR`
(``total_iters``) and :class:`CosineAnnealingWarmRestarts` (``T_0``) have a
length. Left at its default, ``None``, it is the fit's own, taken from the
horizon when ``fit`` starts: the fit's first epoch (step, with
``per_batch=True``) uses the schedule's first rate and its last epoch (step)
the schedule's final rate, whatever ``max_iter`` is. The estimator then
reaches ``max_iter`` by plan (:meth:`Scheduler.ends_at_horizon`) and does not
warn that it has not converged. A length set explicitly that ends before the
fit or after it (with warm restarts: a fit that ends inside a period) warns
when ``fit`` starts; ``partial_fit`` needs one.

Writing your own scheduler
--------------------------
Subclass :class:`ClosedFormScheduler` and implement
:meth:`~ClosedFormScheduler.value` for a rate that is a formula of the epoch
or step count, or subclass :class:`Scheduler` and override the hooks. A
scheduler may keep its own :class:`~typing.NamedTuple` state as long as it
has a ``learning_rate`` field (see :class:`WarmupState`); an overridden
:meth:`~Scheduler.init_state` takes the ``horizon`` keyword, and
:meth:`~Scheduler.ends_at_horizon` says whether the schedule is planned to end
with the fit. Define the class at module level so it pickles, and check it
with :meth:`~Scheduler.preview`.

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
``"cosine"``        :class:`CosineAnnealingWarmRestarts`     cosine (restarts)
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

Each built-in declares its registry key as ``name`` and, in
``estimator_params``, the estimator's parameters it takes when given by
name: only :class:`InvScalingLR` takes one (``power_t``), so
``learning_rate="invscaling"`` follows the estimator's ``power_t`` and no
other schedule receives anything it does not declare.
"""

from __future__ import annotations

from typing import Any, ClassVar  # noqa: F401  (see the end of this module)

from .._params import make_registry, publish
from ._base import ClosedFormScheduler, Horizon, Scheduler, SchedulerState
from ._cyclical import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from ._decay import (
    ExponentialLR,
    InverseTimeLR,
    MultiStepLR,
    NaturalExpLR,
    PolynomialLR,
    StepLR,
)
from ._plateau import PlateauState, ReduceLROnPlateau
from ._sklearn import AdaptiveLR, ConstantLR, InvScalingLR
from ._warmup import WarmupLR, WarmupState

__all__ = [
    "SCHEDULERS",
    "AdaptiveLR",
    "ClosedFormScheduler",
    "ConstantLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "Horizon",
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


#: Built-in schedules by name, for ``learning_rate=<name>``.
SCHEDULERS: dict[str, type[Scheduler]] = make_registry(
    ConstantLR,
    InvScalingLR,
    AdaptiveLR,
    StepLR,
    MultiStepLR,
    ExponentialLR,
    NaturalExpLR,
    InverseTimeLR,
    PolynomialLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    OneCycleLR,
    WarmupLR,
    ReduceLROnPlateau,
)

# Documented and pickled as members of this package (their string
# annotations resolve here, hence the typing imports above).
publish(__name__, globals())
