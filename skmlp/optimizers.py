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

        def step(self, params, grads, state, *, learning_rate):
            params -= learning_rate * np.sign(grads)
            return state

Define the class at module level so it pickles (joblib workers need that).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from numbers import Real
from typing import Any, ClassVar, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sklearn.utils._param_validation import Interval

from ._params import ParamsMixin

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "Adam",
    "AdamState",
    "EmptyState",
    "Optimizer",
    "SGDState",
]


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


class SGDState(NamedTuple):
    """State of :class:`SGD`: the velocity of every parameter."""

    velocity: NDArray


class SGD(Optimizer):
    r"""Stochastic gradient descent with (Nesterov) momentum.

    This is scikit-learn's ``solver="sgd"``, with the same parameters and the
    same arithmetic, so results match ``MLPClassifier(solver="sgd")``.

    Parameters
    ----------
    momentum : float, default=0.9
        Momentum :math:`\gamma`, in ``[0, 1]``. ``0`` is plain gradient descent.
    nesterovs_momentum : bool, default=True
        Whether to use Nesterov's momentum (only matters when ``momentum > 0``).

    Notes
    -----
    With gradient :math:`g_t` and learning rate :math:`\eta_t`, the classical
    (heavy-ball) velocity form is

    .. math::

        v_t = \gamma v_{t-1} - \eta_t g_t, \qquad \theta_t = \theta_{t-1} + v_t,

    and Nesterov's momentum, in the form of Sutskever et al. (2013) that
    scikit-learn uses, takes the step

    .. math::

        \theta_t = \theta_{t-1} + \gamma v_t - \eta_t g_t.

    References
    ----------
    Sutskever, I., Martens, J., Dahl, G. and Hinton, G. (2013). On the
    importance of initialization and momentum in deep learning. ICML.

    Examples
    --------
    >>> from skmlp.optimizers import SGD
    >>> SGD(momentum=0.8, nesterovs_momentum=False)
    SGD(momentum=0.8, nesterovs_momentum=False)
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
    }

    def __init__(self, momentum: float = 0.9, nesterovs_momentum: bool = True):
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum

    def init_state(self, params: NDArray) -> SGDState:
        """Start with zero velocity."""
        return SGDState(velocity=np.zeros_like(params))

    def step(
        self,
        params: NDArray,
        grads: NDArray,
        state: SGDState,
        *,
        learning_rate: float,
    ) -> SGDState:
        """Take one (Nesterov) momentum step in place."""
        velocity = state.velocity
        grads *= learning_rate  # η g
        velocity *= self.momentum
        velocity -= grads  # v ← γv − ηg
        if self.nesterovs_momentum:
            update = np.multiply(velocity, self.momentum, out=self._scratch(params))
            update -= grads  # γv − ηg
            params += update
        else:
            params += velocity
        return state


class AdamState(NamedTuple):
    """State of :class:`Adam`: step count and first and second moments."""

    t: int
    m: NDArray
    v: NDArray


class Adam(Optimizer):
    r"""Adam: adaptive moment estimation with bias correction.

    This is scikit-learn's ``solver="adam"``, with the same parameters and the
    same arithmetic, so results match ``MLPClassifier(solver="adam")``.

    Parameters
    ----------
    beta_1 : float, default=0.9
        Decay rate of the first-moment estimate, in ``[0, 1)``.
    beta_2 : float, default=0.999
        Decay rate of the second-moment estimate, in ``[0, 1)``.
    epsilon : float, default=1e-8
        Numerical-stability constant, ``> 0``.

    Notes
    -----
    With gradient :math:`g_t` and learning rate :math:`\eta`,

    .. math::

        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat\eta_t &= \eta \sqrt{1 - \beta_2^t} / (1 - \beta_1^t) \\
        \theta_t &= \theta_{t-1} - \hat\eta_t\, m_t / (\sqrt{v_t} + \epsilon)

    which is the bias-corrected rule
    :math:`\theta_t = \theta_{t-1} - \eta\,\hat m_t / (\sqrt{\hat v_t} +
    \hat\epsilon)` in the efficient form of Kingma and Ba (2015, section 2),
    with :math:`\hat\epsilon = \epsilon\sqrt{1-\beta_2^t}`.

    References
    ----------
    Kingma, D. P. and Ba, J. (2015). Adam: A method for stochastic
    optimization. ICLR. :arxiv:`1412.6980`

    Examples
    --------
    >>> from skmlp.optimizers import Adam
    >>> Adam(beta_1=0.85)
    Adam(beta_1=0.85)
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8
    ):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def init_state(self, params: NDArray) -> AdamState:
        """Start with zero moments at step 0."""
        return AdamState(t=0, m=np.zeros_like(params), v=np.zeros_like(params))

    def step(
        self,
        params: NDArray,
        grads: NDArray,
        state: AdamState,
        *,
        learning_rate: float,
    ) -> AdamState:
        """Take one Adam step in place."""
        t, m, v = state.t + 1, state.m, state.v
        scratch = self._scratch(params)
        m *= self.beta_1
        m += np.multiply(grads, 1 - self.beta_1, out=scratch)
        v *= self.beta_2
        np.square(grads, out=grads)
        grads *= 1 - self.beta_2
        v += grads
        step_size = (
            learning_rate * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        )
        update = np.multiply(m, -step_size, out=grads)
        denominator = np.sqrt(v, out=scratch)
        denominator += self.epsilon
        update /= denominator
        params += update
        return AdamState(t=t, m=m, v=v)


#: Built-in optimizers by name, for ``solver=<name>``.
OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adam": Adam,
}
