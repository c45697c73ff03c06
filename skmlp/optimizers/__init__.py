"""Gradient-based optimizers: the direction of each step.

An optimizer turns gradients into a parameter update; the *size* of the step
comes from the learning-rate scheduler (:mod:`skmlp.schedulers`), so every
optimizer combines with every schedule. Optimizers are specifications: the
constructor stores hyperparameters, and the training state (velocities,
moments, step counts) is a :class:`~typing.NamedTuple` of arrays returned by
:meth:`Optimizer.init_state` and held on the fitted estimator.

All parameters of a network travel as **one flat vector** ``params`` (every
weight matrix, then every bias vector, in scikit-learn's ``coefs_`` +
``intercepts_`` order), and so do the gradients. An update rule is therefore
written once, over whole vectors, whatever the depth of the network.

Writing your own optimizer
--------------------------
Subclass :class:`Optimizer`, store hyperparameters in ``__init__``, and
implement :meth:`~Optimizer.init_state` and :meth:`~Optimizer.step`::

    class SignSGD(Optimizer):
        def init_state(self, params):
            return EmptyState()

        def step(self, params, grads, state, *, learning_rate, scratch):
            np.sign(grads, out=scratch)
            scratch *= learning_rate
            params -= scratch
            return state

``step`` updates ``params`` and the state's arrays in place and returns the
state; ``scratch`` is a work buffer shaped like ``params`` whose contents
mean nothing between steps, and ``grads`` may be overwritten too. Define
the class at module level so it pickles (joblib workers need that).
NamedTuple fields cannot be reassigned, so update state arrays in place
through a local name (``m = state.m; m *= beta``), never as
``state.m *= beta``, which raises :class:`AttributeError`. The example
``examples/custom_optimizer.py`` writes the Lion optimizer this way and
tunes its hyperparameters in ``GridSearchCV``.

Catalogue
---------
==============  =================  ============================================
name            class              update direction
==============  =================  ============================================
``"sgd"``       :class:`SGD`       gradient, with (Nesterov) momentum
``"adagrad"``   :class:`AdaGrad`   gradient / root of summed squares
``"rmsprop"``   :class:`RMSProp`   gradient / root of averaged squares
``"adadelta"``  :class:`Adadelta`  RMSProp rescaled by past update sizes
``"adam"``      :class:`Adam`      averaged gradient / root of averaged squares
``"amsgrad"``   :class:`AMSGrad`   Adam with a non-decreasing denominator
``"adamw"``     :class:`AdamW`     Adam plus decoupled weight decay
``"adamax"``    :class:`Adamax`    Adam with an infinity-norm denominator
``"nadam"``     :class:`NAdam`     Adam with Nesterov momentum
==============  =================  ============================================

Given by name, a built-in receives the estimator's scikit-learn parameters
listed in its ``estimator_params`` (``SGD``: ``momentum`` and
``nesterovs_momentum``; the Adam family and ``NAdam``: ``beta_1``,
``beta_2`` and ``epsilon``; ``AdaGrad`` and ``RMSProp``: ``epsilon``;
``Adadelta``: none), at their scikit-learn defaults unless the user sets
them, and nothing else: ``solver="rmsprop"`` and ``solver=RMSProp()`` are
the same optimizer, and a new optimizer inherits nothing it does not
declare.
"""

from __future__ import annotations

from typing import Any, ClassVar  # noqa: F401  (see the end of this module)

from numpy.typing import NDArray  # noqa: F401  (see the end of this module)

from .._params import make_registry, publish
from ._adam import Adam, AdamState, AdamW, AMSGrad, AMSGradState
from ._adam_variants import Adamax, AdamaxState, NAdam, NAdamState
from ._adaptive import (
    Adadelta,
    AdadeltaState,
    AdaGrad,
    AdaGradState,
    RMSProp,
    RMSPropState,
)
from ._base import EmptyState, Optimizer
from ._sgd import SGD, SGDAverageState, SGDState

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "AMSGrad",
    "AMSGradState",
    "AdaGrad",
    "AdaGradState",
    "Adadelta",
    "AdadeltaState",
    "Adam",
    "AdamState",
    "AdamW",
    "Adamax",
    "AdamaxState",
    "EmptyState",
    "NAdam",
    "NAdamState",
    "Optimizer",
    "RMSProp",
    "RMSPropState",
    "SGDAverageState",
    "SGDState",
]


#: Built-in optimizers by name, for ``solver=<name>``.
OPTIMIZERS: dict[str, type[Optimizer]] = make_registry(
    SGD, AdaGrad, RMSProp, Adadelta, Adam, AMSGrad, AdamW, Adamax, NAdam
)

# Documented and pickled as members of this package (their string
# annotations resolve here, hence the typing imports above).
publish(__name__, globals())
