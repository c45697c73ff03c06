"""Stochastic gradient descent with (Nesterov) momentum, and its states.

Part of :mod:`skmlp.optimizers`; import from there.
"""

from __future__ import annotations

from numbers import Real
from typing import ClassVar, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import Optimizer


class SGDState(NamedTuple):
    """State of :class:`SGD` (classical form): the velocity of every parameter."""

    velocity: NDArray


class SGDAverageState(NamedTuple):
    """State of :class:`SGD` with ``momentum_form="ema"``: the gradient average."""

    average: NDArray


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
    momentum_form : {"classical", "ema"}, default="classical"
        Which of the two momentum rules of the literature to use (see Notes).
        ``"classical"`` is scikit-learn's; ``"ema"`` keeps an exponential
        moving average of the gradients, started at zero (see Notes for how
        it differs from PyTorch's ``SGD`` with ``dampening=momentum``).

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

    Written with the opposite sign, :math:`v_t = \gamma v_{t-1} + \eta_t g_t`
    and :math:`\theta_t = \theta_{t-1} - v_t`, this is the same rule.

    With ``momentum_form="ema"`` the velocity is a dampened exponential
    moving average of the gradients, and the learning rate scales the whole
    step rather than each gradient as it enters the velocity:

    .. math::

        v_t = \gamma v_{t-1} + (1 - \gamma) g_t, \qquad
        \theta_t = \theta_{t-1} - \eta_t v_t,

    and with Nesterov's momentum the step looks one average ahead,
    :math:`\theta_t = \theta_{t-1} - \eta_t (\gamma v_t + (1 - \gamma) g_t)`.
    For a constant rate this is the classical form with the rate multiplied
    by :math:`1 - \gamma`, so it needs a rate about :math:`1/(1-\gamma)` times
    larger (10 times for ``momentum=0.9``). The two forms keep different
    states: changing ``momentum_form`` restarts ``partial_fit`` afresh.

    The average starts at :math:`v_0 = 0`, as in the textbook form. PyTorch's
    ``SGD(momentum=γ, dampening=γ)`` uses the same recursion from the second
    step on, but seeds its buffer with the first gradient undamped,
    :math:`v_1 = g_1` where this form has :math:`v_1 = (1 - \gamma) g_1`;
    since the seed decays by :math:`\gamma` every step, the two runs then
    differ by :math:`\gamma^{t} g_1` in :math:`v_t`. For instance one
    step without Nesterov from :math:`\theta = (1, -2)` with
    :math:`g = (1, -1)`, :math:`\eta = 0.1`, :math:`\gamma = 0.9` gives
    :math:`(0.99, -1.99)` here and :math:`(0.9, -1.9)` in PyTorch. (PyTorch
    also refuses Nesterov's momentum with dampening.)

    References
    ----------
    Polyak, B. T. (1964). Some methods of speeding up the convergence of
    iteration methods. USSR Computational Mathematics and Mathematical
    Physics 4(5).

    Sutskever, I., Martens, J., Dahl, G. and Hinton, G. (2013). On the
    importance of initialization and momentum in deep learning. ICML.

    Examples
    --------
    >>> import numpy as np
    >>> from skmlp.optimizers import SGD
    >>> SGD(momentum=0.8, nesterovs_momentum=False)
    SGD(momentum=0.8, nesterovs_momentum=False)
    >>> opt = SGD(momentum=0.5, nesterovs_momentum=False)
    >>> params = np.array([1.0, -2.0])
    >>> state = opt.init_state(params)
    >>> for _ in range(2):
    ...     state = opt.step(params, np.array([1.0, -1.0]), state,
    ...                      learning_rate=0.1, scratch=np.empty_like(params))
    >>> params  # steps of 0.1, then 0.5 * 0.1 + 0.1
    array([ 0.75, -1.75])
    """

    name = "sgd"
    estimator_params = ("momentum", "nesterovs_momentum")
    _parameter_constraints: ClassVar[dict[str, list]] = {
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "momentum_form": [StrOptions({"classical", "ema"})],
    }

    def __init__(
        self,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        momentum_form: str = "classical",
    ):
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.momentum_form = momentum_form

    def init_state(self, params: NDArray) -> SGDState | SGDAverageState:
        """Start with zero velocity."""
        if self.momentum_form == "ema":
            return SGDAverageState(average=np.zeros_like(params))
        return SGDState(velocity=np.zeros_like(params))

    def step(
        self,
        params: NDArray,
        grads: NDArray,
        state: SGDState | SGDAverageState,
        *,
        learning_rate: float,
        scratch: NDArray,
    ) -> SGDState | SGDAverageState:
        """Take one (Nesterov) momentum step in place."""
        if isinstance(state, SGDAverageState):
            return self._step_ema(params, grads, state, learning_rate, scratch)
        velocity = state.velocity
        grads *= learning_rate  # η g
        velocity *= self.momentum
        velocity -= grads  # v ← γv − ηg
        if self.nesterovs_momentum:
            update = np.multiply(velocity, self.momentum, out=scratch)
            update -= grads  # γv − ηg
            params += update
        else:
            params += velocity
        return state

    def _step_ema(self, params, grads, state, learning_rate, scratch):
        average = state.average
        grads *= 1 - self.momentum  # (1 − γ) g
        average *= self.momentum
        average += grads  # v ← γv + (1 − γ) g
        if self.nesterovs_momentum:
            grads += np.multiply(average, self.momentum, out=scratch)
        else:
            np.copyto(grads, average)
        grads *= learning_rate
        params -= grads
        return state
