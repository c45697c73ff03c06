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
    :meth:`step` by the estimator, from ``learning_rate_init`` and the
    learning-rate schedule.
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
            Its arrays may be updated in place.
        learning_rate : float
            The step size for this update, from the schedule.

        Returns
        -------
        state : NamedTuple
            The state after the step.
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

    def _scratch(self, like: NDArray) -> NDArray:
        """A work buffer shaped like ``like``, reused across steps.

        It holds no information between steps; keeping it avoids one
        allocation per mini-batch.
        """
        buffer = self.__dict__.get("_scratch_buffer")
        if buffer is None or buffer.shape != like.shape or buffer.dtype != like.dtype:
            buffer = np.empty_like(like)
            self.__dict__["_scratch_buffer"] = buffer
        return buffer

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_scratch_buffer", None)
        return state
