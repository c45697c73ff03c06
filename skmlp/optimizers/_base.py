"""The optimizer base class and the empty state.

Part of :mod:`skmlp.optimizers`, which documents the interface and re-exports
everything public; import from there.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from .._params import ParamsMixin


class EmptyState(NamedTuple):
    """State of an optimizer that keeps nothing between steps."""


class Optimizer(ParamsMixin, ABC):
    """Base class of every optimizer.

    Subclasses implement :meth:`init_state` and :meth:`step`. The learning
    rate is *not* a hyperparameter of an optimizer: it is given to
    :meth:`step` by the trainer, from ``learning_rate_init`` and the
    learning-rate schedule.

    State and copies: :meth:`step` updates ``params`` and the arrays of
    ``state`` **in place** and returns the state, as a new tuple when a
    scalar changes (the step count ``t``). The state passed in is therefore
    changed too: whoever needs a restore point copies the state explicitly
    (``copy.deepcopy(state)``), and ``params`` with it. The optimizer object
    itself holds only its hyperparameters and is never changed by training;
    work buffers come from the caller (``scratch``).

    Attributes
    ----------
    name : str or None
        The registry key of a built-in (``"adam"``, for ``solver="adam"``);
        ``None`` for your own.
    estimator_params : tuple of str
        The estimator's own parameters (``momentum``, ``beta_1``, ...) that
        the optimizer takes, as constructor arguments of the same names,
        when it is given by name. Empty by default: an optimizer receives
        nothing it does not declare.
    """

    @abstractmethod
    def init_state(self, params: NDArray) -> NamedTuple:
        """Create the optimizer state for a fresh run.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            The flat parameter vector (not modified).

        Returns
        -------
        state : NamedTuple
            Plain data: arrays shaped and typed like ``params`` and scalars.
        """

    @abstractmethod
    def step(
        self,
        params: NDArray,
        grads: NDArray,
        state: NamedTuple,
        *,
        learning_rate: float,
        scratch: NDArray,
    ) -> NamedTuple:
        """Apply one update to ``params`` in place.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            The flat parameter vector, updated in place.
        grads : ndarray of shape (n_params,)
            The gradient of the loss at ``params``. The optimizer may
            overwrite it (it is scratch space once the step is taken).
        state : NamedTuple
            The state returned by :meth:`init_state` or the previous step.
            Its arrays are updated in place.
        learning_rate : float
            The step size for this update, from the schedule.
        scratch : ndarray of shape (n_params,)
            A work buffer shaped and typed like ``params``, provided by the
            caller so that a step allocates nothing. Its contents mean
            nothing before or after the step.

        Returns
        -------
        state : NamedTuple
            The state after the step (its arrays are those of ``state``).
        """

    def is_state_compatible(self, state: Any, params: NDArray) -> bool:
        """Whether ``state`` can continue training ``params``.

        Used by ``partial_fit`` to decide whether to continue from a stored
        state or to start afresh (for instance after ``set_params`` changed
        the optimizer's type).
        """
        if type(state) is not type(self.init_state(params[:0])):
            return False
        return all(
            not isinstance(x, np.ndarray)
            or (x.shape == params.shape and x.dtype == params.dtype)
            for x in state
        )
