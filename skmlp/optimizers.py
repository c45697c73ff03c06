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

Given by name, a built-in receives the estimator's flat scikit-learn
parameters that share a name with its own (``momentum``,
``nesterovs_momentum``, ``beta_1``, ``beta_2``, ``epsilon``), always at their
scikit-learn defaults unless the user sets them. Hyperparameters with another
meaning therefore carry other names (RMSProp's ``rmsprop_momentum``,
Adadelta's ``eps``), so that ``solver="rmsprop"`` and ``solver=RMSProp()``
are the same optimizer.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from numbers import Real
from typing import Any, ClassVar, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sklearn.utils._param_validation import Interval, StrOptions

from ._params import ParamsMixin

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


# --------------------------------------------------------------------------
# Gradient descent with momentum
# --------------------------------------------------------------------------


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
        moving average of the gradients (PyTorch's ``SGD`` with
        ``dampening=momentum``).

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
    ...     state = opt.step(params, np.array([1.0, -1.0]), state, learning_rate=0.1)
    >>> params  # steps of 0.1, then 0.5 * 0.1 + 0.1
    array([ 0.75, -1.75])
    """

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
    ) -> SGDState | SGDAverageState:
        """Take one (Nesterov) momentum step in place."""
        if isinstance(state, SGDAverageState):
            return self._step_ema(params, grads, state, learning_rate)
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

    def _step_ema(self, params, grads, state, learning_rate):
        average = state.average
        grads *= 1 - self.momentum  # (1 − γ) g
        average *= self.momentum
        average += grads  # v ← γv + (1 − γ) g
        if self.nesterovs_momentum:
            grads += np.multiply(average, self.momentum, out=self._scratch(params))
        else:
            np.copyto(grads, average)
        grads *= learning_rate
        params -= grads
        return state


# --------------------------------------------------------------------------
# Per-parameter rates from gradient magnitudes
# --------------------------------------------------------------------------


class AdaGradState(NamedTuple):
    """State of :class:`AdaGrad`: the running sum of squared gradients."""

    sum_squares: NDArray


class AdaGrad(Optimizer):
    r"""AdaGrad: per-parameter rates from the sum of all squared gradients.

    Parameters
    ----------
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability, ``> 0``. The same
        as scikit-learn's flat ``epsilon`` (PyTorch uses ``1e-10``).
    initial_accumulator_value : float, default=0.0
        Starting value of the sum of squares, ``>= 0`` (Keras uses ``0.1``).

    Notes
    -----
    .. math::

        G_t = G_{t-1} + g_t^2, \qquad
        \theta_t = \theta_{t-1} - \eta_t\, g_t / (\sqrt{G_t} + \epsilon),

    elementwise, with :math:`G_0` = ``initial_accumulator_value``. As
    :math:`G_t` only grows, the effective rate decays like :math:`1/\sqrt t`
    by itself; a larger ``learning_rate_init`` (0.01 to 0.1) than Adam's is
    usual.

    References
    ----------
    Duchi, J., Hazan, E. and Singer, Y. (2011). Adaptive subgradient methods
    for online learning and stochastic optimization. JMLR 12.

    Examples
    --------
    >>> import numpy as np
    >>> from skmlp.optimizers import AdaGrad
    >>> opt = AdaGrad()
    >>> params = np.array([1.0, -2.0])
    >>> state = opt.init_state(params)
    >>> state = opt.step(params, np.array([0.5, -4.0]), state, learning_rate=0.1)
    >>> params  # the first step has size η whatever the gradient's scale
    array([ 0.9, -1.9])
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "initial_accumulator_value": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, epsilon: float = 1e-8, initial_accumulator_value: float = 0.0):
        self.epsilon = epsilon
        self.initial_accumulator_value = initial_accumulator_value

    def init_state(self, params: NDArray) -> AdaGradState:
        """Start the sum of squares at ``initial_accumulator_value``."""
        return AdaGradState(
            sum_squares=np.full_like(params, self.initial_accumulator_value)
        )

    def step(
        self,
        params: NDArray,
        grads: NDArray,
        state: AdaGradState,
        *,
        learning_rate: float,
    ) -> AdaGradState:
        """Take one AdaGrad step in place."""
        sum_squares, scratch = state.sum_squares, self._scratch(params)
        sum_squares += np.square(grads, out=scratch)  # G ← G + g²
        denominator = np.sqrt(sum_squares, out=scratch)
        denominator += self.epsilon
        grads /= denominator
        grads *= learning_rate
        params -= grads
        return state


class RMSPropState(NamedTuple):
    """State of :class:`RMSProp`: averages of squared and plain gradients
    (the latter used only when ``centered=True``) and the momentum buffer
    (used only when ``rmsprop_momentum > 0``)."""

    square_avg: NDArray
    grad_avg: NDArray
    momentum_buffer: NDArray


class RMSProp(Optimizer):
    r"""RMSProp: gradients divided by a running root mean square.

    Parameters
    ----------
    rho : float, default=0.9
        Decay rate :math:`\rho` of the running averages, in ``[0, 1)``
        (Hinton's lecture and Keras use 0.9, PyTorch's ``alpha`` 0.99).
    rmsprop_momentum : float, default=0.0
        Momentum :math:`\mu` on the normalised gradient, in ``[0, 1)``. Not
        called ``momentum``, so that the estimator's flat ``momentum=0.9``
        (meant for ``solver="sgd"``) does not switch it on for
        ``solver="rmsprop"``.
    centered : bool, default=False
        Whether to divide by an estimate of the gradient's variance instead
        of its uncentered second moment (Graves, 2013).
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability, ``> 0``.

    Notes
    -----
    In PyTorch's formulation,

    .. math::

        s_t &= \rho s_{t-1} + (1 - \rho) g_t^2 \\
        \bar g_t &= \rho \bar g_{t-1} + (1 - \rho) g_t
            \quad (\text{centered only}) \\
        d_t &= g_t / (\sqrt{s_t - \bar g_t^2} + \epsilon)
            \quad (\bar g_t \equiv 0 \text{ unless centered}) \\
        b_t &= \mu b_{t-1} + d_t, \qquad \theta_t = \theta_{t-1} - \eta_t b_t,

    with :math:`b_t = d_t` when :math:`\mu = 0`. The centered variance is
    clipped at 0 against rounding.

    References
    ----------
    Tieleman, T. and Hinton, G. (2012). Lecture 6.5, RMSProp: divide the
    gradient by a running average of its recent magnitude. COURSERA: Neural
    Networks for Machine Learning.

    Graves, A. (2013). Generating sequences with recurrent neural networks.
    :arxiv:`1308.0850`

    Examples
    --------
    >>> import numpy as np
    >>> from skmlp.optimizers import RMSProp
    >>> RMSProp(rho=0.99, centered=True)
    RMSProp(centered=True, rho=0.99)
    >>> opt = RMSProp(rho=0.75)
    >>> params = np.array([1.0, -2.0])
    >>> state = opt.init_state(params)
    >>> state = opt.step(params, np.array([0.5, -4.0]), state, learning_rate=0.1)
    >>> params.round(6)  # first step: η g / sqrt(0.25 g²) = 2η sign(g)
    array([ 0.8, -1.8])
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "rho": [Interval(Real, 0, 1, closed="left")],
        "rmsprop_momentum": [Interval(Real, 0, 1, closed="left")],
        "centered": ["boolean"],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        rho: float = 0.9,
        rmsprop_momentum: float = 0.0,
        centered: bool = False,
        epsilon: float = 1e-8,
    ):
        self.rho = rho
        self.rmsprop_momentum = rmsprop_momentum
        self.centered = centered
        self.epsilon = epsilon

    def init_state(self, params: NDArray) -> RMSPropState:
        """Start every average and the momentum buffer at zero."""
        return RMSPropState(*(np.zeros_like(params) for _ in range(3)))

    def step(
        self,
        params: NDArray,
        grads: NDArray,
        state: RMSPropState,
        *,
        learning_rate: float,
    ) -> RMSPropState:
        """Take one RMSProp step in place."""
        rho, scratch = self.rho, self._scratch(params)
        square_avg = state.square_avg
        square_avg *= rho
        np.square(grads, out=scratch)
        scratch *= 1 - rho
        square_avg += scratch  # s ← ρs + (1 − ρ)g²
        if self.centered:
            grad_avg = state.grad_avg
            grad_avg *= rho
            grad_avg += np.multiply(grads, 1 - rho, out=scratch)
            np.square(grad_avg, out=scratch)
            np.subtract(square_avg, scratch, out=scratch)  # s − ḡ²
            np.maximum(scratch, 0, out=scratch)
            denominator = np.sqrt(scratch, out=scratch)
        else:
            denominator = np.sqrt(square_avg, out=scratch)
        denominator += self.epsilon
        grads /= denominator  # d = g / (√s + ε)
        if self.rmsprop_momentum > 0:
            buffer = state.momentum_buffer
            buffer *= self.rmsprop_momentum
            buffer += grads  # b ← μb + d
            np.multiply(buffer, learning_rate, out=grads)
        else:
            grads *= learning_rate
        params -= grads
        return state


class AdadeltaState(NamedTuple):
    """State of :class:`Adadelta`: running averages of squared gradients and
    of squared updates."""

    square_avg: NDArray
    delta_avg: NDArray


class Adadelta(Optimizer):
    r"""Adadelta: RMSProp with the units corrected by past update sizes.

    Parameters
    ----------
    rho : float, default=0.9
        Decay rate :math:`\rho` of both running averages, in ``[0, 1)``
        (PyTorch's default; Zeiler uses 0.95).
    eps : float, default=1e-6
        The constant :math:`\epsilon` of both root mean squares, ``> 0``.
        It is part of the method, not only a guard against division by zero:
        :math:`\sqrt\epsilon` sets the size of the first steps. It is called
        ``eps`` rather than ``epsilon`` so that the estimator's flat
        ``epsilon`` (Adam's ``1e-8``) does not replace it when
        ``solver="adadelta"``.

    Notes
    -----
    As in PyTorch, the learning rate multiplies the Adadelta update:

    .. math::

        s_t &= \rho s_{t-1} + (1 - \rho) g_t^2 \\
        \Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{s_t + \epsilon}}\, g_t \\
        u_t &= \rho u_{t-1} + (1 - \rho) \Delta_t^2 \\
        \theta_t &= \theta_{t-1} - \eta_t \Delta_t .

    Zeiler's method has no learning rate: it is ``learning_rate_init=1.0``
    with a constant schedule (PyTorch's default ``lr``). The estimator's
    default ``learning_rate_init=0.001`` makes steps a thousand times smaller,
    so set the rate explicitly, near 1.

    References
    ----------
    Zeiler, M. D. (2012). ADADELTA: an adaptive learning rate method.
    :arxiv:`1212.5701`

    Examples
    --------
    >>> import numpy as np
    >>> from skmlp.optimizers import Adadelta
    >>> opt = Adadelta(rho=0.5, eps=1e-4)
    >>> params = np.array([1.0, -2.0])
    >>> state = opt.init_state(params)
    >>> state = opt.step(params, np.array([3.0, 0.0]), state, learning_rate=1.0)
    >>> params.round(6)  # first step: sqrt(ε) / sqrt(0.5 g² + ε) g
    array([ 0.985858, -2.      ])
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "rho": [Interval(Real, 0, 1, closed="left")],
        "eps": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, rho: float = 0.9, eps: float = 1e-6):
        self.rho = rho
        self.eps = eps

    def init_state(self, params: NDArray) -> AdadeltaState:
        """Start both running averages at zero."""
        return AdadeltaState(np.zeros_like(params), np.zeros_like(params))

    def step(
        self,
        params: NDArray,
        grads: NDArray,
        state: AdadeltaState,
        *,
        learning_rate: float,
    ) -> AdadeltaState:
        """Take one Adadelta step in place."""
        rho, eps, scratch = self.rho, self.eps, self._scratch(params)
        square_avg, delta_avg = state
        square_avg *= rho
        np.square(grads, out=scratch)
        scratch *= 1 - rho
        square_avg += scratch  # s ← ρs + (1 − ρ)g²
        np.add(delta_avg, eps, out=scratch)
        grads *= np.sqrt(scratch, out=scratch)
        np.add(square_avg, eps, out=scratch)
        grads /= np.sqrt(scratch, out=scratch)  # Δ
        delta_avg *= rho
        np.square(grads, out=scratch)
        scratch *= 1 - rho
        delta_avg += scratch  # u ← ρu + (1 − ρ)Δ²
        grads *= learning_rate
        params -= grads
        return state


# --------------------------------------------------------------------------
# The Adam family
# --------------------------------------------------------------------------


def _update_moments(grads, m, v, beta_1, beta_2, scratch):
    """m ← β₁m + (1 − β₁)g and v ← β₂v + (1 − β₂)g², in place; grads is
    overwritten. The order of operations is scikit-learn's."""
    m *= beta_1
    m += np.multiply(grads, 1 - beta_1, out=scratch)
    v *= beta_2
    np.square(grads, out=grads)
    grads *= 1 - beta_2
    v += grads


def _adam_update(params, m, v, t, learning_rate, optimizer, out, scratch):
    """θ ← θ − η m̂ / denominator(v̂), with ε placed as ``epsilon_mode`` says.

    ``out`` and ``scratch`` are work buffers shaped like ``params``.
    """
    beta_1, beta_2, epsilon = optimizer.beta_1, optimizer.beta_2, optimizer.epsilon
    correction_1, correction_2 = 1 - beta_1**t, 1 - beta_2**t
    if optimizer.epsilon_mode == "sklearn":  # η √(1 − β₂ᵗ)/(1 − β₁ᵗ) m / (√v + ε)
        step_size = learning_rate * np.sqrt(correction_2) / correction_1
        update = np.multiply(m, -step_size, out=out)
        denominator = np.sqrt(v, out=scratch)
    elif optimizer.epsilon_mode == "outside":  # η m̂ / (√v̂ + ε)
        update = np.multiply(m, -learning_rate / correction_1, out=out)
        denominator = np.sqrt(v, out=scratch)
        denominator /= math.sqrt(correction_2)
    else:  # "inside": η m̂ / √(v̂ + ε)
        update = np.multiply(m, -learning_rate / correction_1, out=out)
        denominator = np.divide(v, correction_2, out=scratch)
    denominator += epsilon
    if optimizer.epsilon_mode == "inside":
        np.sqrt(denominator, out=denominator)
    update /= denominator
    params += update


_ADAM_CONSTRAINTS: dict[str, list] = {
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "epsilon_mode": [StrOptions({"sklearn", "outside", "inside"})],
}


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
    epsilon_mode : {"sklearn", "outside", "inside"}, default="sklearn"
        Where :math:`\epsilon` enters the denominator (see Notes):
        ``"sklearn"`` adds it to :math:`\sqrt{v_t}` before the bias correction
        (scikit-learn; Kingma and Ba's efficient form of section 2),
        ``"outside"`` to :math:`\sqrt{\hat v_t}` (their Algorithm 1, PyTorch,
        Keras) and ``"inside"`` to :math:`\hat v_t` under the root.

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
    with :math:`\hat\epsilon = \epsilon\sqrt{1-\beta_2^t}`. This is
    ``epsilon_mode="sklearn"``, the default, so that ``solver="adam"``
    reproduces scikit-learn. With :math:`\hat m_t = m_t / (1 - \beta_1^t)`
    and :math:`\hat v_t = v_t / (1 - \beta_2^t)`, the other placements are

    .. math::

        \text{outside:}\quad \theta_t = \theta_{t-1} - \eta\,
            \hat m_t / (\sqrt{\hat v_t} + \epsilon), \qquad
        \text{inside:}\quad \theta_t = \theta_{t-1} - \eta\,
            \hat m_t / \sqrt{\hat v_t + \epsilon}.

    ``"sklearn"`` and ``"outside"`` differ only while :math:`\beta_2^t` is
    not negligible (the first few thousand steps) and where
    :math:`\sqrt{\hat v_t}` is not much larger than :math:`\epsilon`;
    ``"inside"`` behaves like ``"outside"`` with :math:`\sqrt\epsilon` in
    place of :math:`\epsilon`, so it wants a much smaller ``epsilon``.

    References
    ----------
    Kingma, D. P. and Ba, J. (2015). Adam: A method for stochastic
    optimization. ICLR. :arxiv:`1412.6980`

    Examples
    --------
    >>> import numpy as np
    >>> from skmlp.optimizers import Adam
    >>> Adam(beta_1=0.85)
    Adam(beta_1=0.85)
    >>> opt = Adam(epsilon_mode="outside")
    >>> params = np.array([1.0, -2.0])
    >>> state = opt.init_state(params)
    >>> state = opt.step(params, np.array([0.5, -4.0]), state, learning_rate=0.1)
    >>> params  # the first step has size η whatever the gradient's scale
    array([ 0.9, -1.9])
    """

    _parameter_constraints: ClassVar[dict[str, list]] = _ADAM_CONSTRAINTS

    def __init__(
        self,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        epsilon_mode: str = "sklearn",
    ):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.epsilon_mode = epsilon_mode

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
        _update_moments(grads, m, v, self.beta_1, self.beta_2, scratch)
        _adam_update(params, m, v, t, learning_rate, self, grads, scratch)
        return AdamState(t=t, m=m, v=v)


class AMSGradState(NamedTuple):
    """State of :class:`AMSGrad`: :class:`Adam`'s, plus the running maximum
    of the second moment."""

    t: int
    m: NDArray
    v: NDArray
    v_max: NDArray


class AMSGrad(Optimizer):
    r"""AMSGrad: Adam with a non-decreasing second-moment estimate.

    Parameters
    ----------
    beta_1 : float, default=0.9
        Decay rate of the first-moment estimate, in ``[0, 1)``.
    beta_2 : float, default=0.999
        Decay rate of the second-moment estimate, in ``[0, 1)``.
    epsilon : float, default=1e-8
        Numerical-stability constant, ``> 0``.
    epsilon_mode : {"sklearn", "outside", "inside"}, default="sklearn"
        Where :math:`\epsilon` enters the denominator, as in :class:`Adam`.

    Notes
    -----
    Adam's update (:class:`Adam`, with the same ``epsilon_mode``) with
    :math:`v_t` replaced in the denominator by its running maximum, so that
    no parameter's effective rate can grow:

    .. math::

        \hat v^{\max}_t = \max(\hat v^{\max}_{t-1}, v_t), \qquad
        \theta_t = \theta_{t-1} - \eta\, \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}
            \frac{m_t}{\sqrt{\hat v^{\max}_t} + \epsilon}

    for the default ``epsilon_mode="sklearn"``. The maximum is taken over
    the uncorrected :math:`v_t` and the bias corrections are then applied
    as in Adam, as PyTorch's ``Adam(amsgrad=True)`` does (Reddi et al. state
    the method without bias correction).

    References
    ----------
    Reddi, S. J., Kale, S. and Kumar, S. (2018). On the convergence of Adam
    and beyond. ICLR. :arxiv:`1904.09237`

    Examples
    --------
    >>> import numpy as np
    >>> from skmlp.optimizers import AMSGrad
    >>> opt = AMSGrad(beta_2=0.5, epsilon_mode="outside")
    >>> params = np.array([1.0, -2.0])
    >>> state = opt.init_state(params)
    >>> for g in (4.0, 0.0):
    ...     state = opt.step(params, np.array([g, 0.0]), state, learning_rate=0.1)
    >>> params.round(6)  # second step η m̂ / sqrt(v̂_max); Adam's is 0.082045
    array([ 0.841986, -2.      ])
    """

    _parameter_constraints: ClassVar[dict[str, list]] = _ADAM_CONSTRAINTS

    def __init__(
        self,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        epsilon_mode: str = "sklearn",
    ):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.epsilon_mode = epsilon_mode

    def init_state(self, params: NDArray) -> AMSGradState:
        """Start with zero moments at step 0."""
        return AMSGradState(0, *(np.zeros_like(params) for _ in range(3)))

    def step(
        self,
        params: NDArray,
        grads: NDArray,
        state: AMSGradState,
        *,
        learning_rate: float,
    ) -> AMSGradState:
        """Take one AMSGrad step in place."""
        t, m, v, v_max = state.t + 1, state.m, state.v, state.v_max
        scratch = self._scratch(params)
        _update_moments(grads, m, v, self.beta_1, self.beta_2, scratch)
        np.maximum(v_max, v, out=v_max)
        _adam_update(params, m, v_max, t, learning_rate, self, grads, scratch)
        return AMSGradState(t=t, m=m, v=v, v_max=v_max)


class AdamW(Optimizer):
    r"""AdamW: Adam with decoupled weight decay.

    Parameters
    ----------
    beta_1 : float, default=0.9
        Decay rate of the first-moment estimate, in ``[0, 1)``.
    beta_2 : float, default=0.999
        Decay rate of the second-moment estimate, in ``[0, 1)``.
    epsilon : float, default=1e-8
        Numerical-stability constant, ``> 0``.
    weight_decay : float, default=0.01
        Decay rate :math:`\lambda` per unit of learning rate, ``>= 0``
        (PyTorch's default).
    epsilon_mode : {"sklearn", "outside", "inside"}, default="sklearn"
        Where :math:`\epsilon` enters the denominator, as in :class:`Adam`.

    Notes
    -----
    The parameters shrink towards zero outside Adam's normalisation,
    in PyTorch's convention where the scheduled rate :math:`\eta_t` scales
    the decay too:

    .. math::

        \theta_t = \theta_{t-1} - \eta_t \lambda \theta_{t-1}
            - \eta_t\, \mathrm{adam}_t,

    where :math:`\eta_t\,\mathrm{adam}_t` is the step :class:`Adam` takes
    (with the same ``epsilon_mode``). Unlike the estimator's ``alpha`` (an L2
    penalty added to the gradient, which Adam then rescales per parameter),
    the decay is the same fraction for every parameter. Use ``alpha=0`` to
    have only the decoupled decay. All parameters decay, biases included.

    References
    ----------
    Loshchilov, I. and Hutter, F. (2019). Decoupled weight decay
    regularization. ICLR. :arxiv:`1711.05101`

    Examples
    --------
    >>> import numpy as np
    >>> from skmlp.optimizers import AdamW
    >>> opt = AdamW(weight_decay=0.5, epsilon_mode="outside")
    >>> params = np.array([1.0, -2.0])
    >>> state = opt.init_state(params)
    >>> state = opt.step(params, np.array([0.5, 0.0]), state, learning_rate=0.1)
    >>> params  # 1 - 0.1 * 0.5 * 1 - 0.1 and -2 - 0.1 * 0.5 * (-2)
    array([ 0.85, -1.9 ])
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        **_ADAM_CONSTRAINTS,
        "weight_decay": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        weight_decay: float = 0.01,
        epsilon_mode: str = "sklearn",
    ):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.weight_decay = weight_decay
        self.epsilon_mode = epsilon_mode

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
        """Take one AdamW step in place."""
        t, m, v = state.t + 1, state.m, state.v
        scratch = self._scratch(params)
        _update_moments(grads, m, v, self.beta_1, self.beta_2, scratch)
        if self.weight_decay:
            params *= 1 - learning_rate * self.weight_decay
        _adam_update(params, m, v, t, learning_rate, self, grads, scratch)
        return AdamState(t=t, m=m, v=v)


class AdamaxState(NamedTuple):
    """State of :class:`Adamax`: step count, first moment and the
    exponentially weighted infinity norm."""

    t: int
    m: NDArray
    u: NDArray


class Adamax(Optimizer):
    r"""Adamax: Adam with the infinity norm in place of the second moment.

    Parameters
    ----------
    beta_1 : float, default=0.9
        Decay rate of the first-moment estimate, in ``[0, 1)``.
    beta_2 : float, default=0.999
        Decay rate of the infinity norm, in ``[0, 1)``.
    epsilon : float, default=1e-8
        Numerical-stability constant, ``> 0``.

    Notes
    -----
    In PyTorch's formulation (:math:`\epsilon` inside the maximum, which
    keeps :math:`u_t > 0` where gradients have always been zero):

    .. math::

        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        u_t &= \max(\beta_2 u_{t-1}, |g_t| + \epsilon) \\
        \theta_t &= \theta_{t-1} - \frac{\eta_t}{1 - \beta_1^t}\,
            \frac{m_t}{u_t}.

    :math:`u_t` needs no bias correction. Kingma and Ba suggest a rate of
    0.002.

    References
    ----------
    Kingma, D. P. and Ba, J. (2015). Adam: A method for stochastic
    optimization, section 7.1. ICLR. :arxiv:`1412.6980`

    Examples
    --------
    >>> import numpy as np
    >>> from skmlp.optimizers import Adamax
    >>> opt = Adamax()
    >>> params = np.array([1.0, -2.0])
    >>> state = opt.init_state(params)
    >>> state = opt.step(params, np.array([0.5, -4.0]), state, learning_rate=0.1)
    >>> params  # the first step has size η whatever the gradient's scale
    array([ 0.9, -1.9])
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

    def init_state(self, params: NDArray) -> AdamaxState:
        """Start with zero moment and norm at step 0."""
        return AdamaxState(t=0, m=np.zeros_like(params), u=np.zeros_like(params))

    def step(
        self,
        params: NDArray,
        grads: NDArray,
        state: AdamaxState,
        *,
        learning_rate: float,
    ) -> AdamaxState:
        """Take one Adamax step in place."""
        t, m, u = state.t + 1, state.m, state.u
        m *= self.beta_1
        m += np.multiply(grads, 1 - self.beta_1, out=self._scratch(params))
        np.abs(grads, out=grads)
        grads += self.epsilon
        u *= self.beta_2
        np.maximum(u, grads, out=u)  # u ← max(β₂u, |g| + ε)
        np.divide(m, u, out=grads)
        grads *= learning_rate / (1 - self.beta_1**t)
        params -= grads
        return AdamaxState(t=t, m=m, u=u)


class NAdamState(NamedTuple):
    """State of :class:`NAdam`: step count, product of the momentum schedule
    so far, first and second moments."""

    t: int
    mu_product: float
    m: NDArray
    v: NDArray


class NAdam(Optimizer):
    r"""NAdam: Adam with Nesterov momentum.

    Parameters
    ----------
    beta_1 : float, default=0.9
        Base decay rate :math:`\beta_1` of the first moment, in ``[0, 1)``.
    beta_2 : float, default=0.999
        Decay rate of the second-moment estimate, in ``[0, 1)``.
    epsilon : float, default=1e-8
        Numerical-stability constant, ``> 0``.
    momentum_decay : float, default=0.004
        :math:`\psi` of the momentum warm-up schedule, ``>= 0`` (Dozat's
        :math:`1/250`; ``0`` keeps :math:`\mu_t = \beta_1/2`).

    Notes
    -----
    Dozat's method in PyTorch's formulation. With the momentum schedule
    :math:`\mu_t = \beta_1 (1 - \tfrac12\, 0.96^{t\psi})` and
    :math:`\Pi_t = \prod_{i \le t} \mu_i`,

    .. math::

        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        d_t &= \sqrt{v_t / (1 - \beta_2^t)} + \epsilon \\
        \theta_t &= \theta_{t-1}
            - \eta_t \frac{1 - \mu_t}{1 - \Pi_t} \frac{g_t}{d_t}
            - \eta_t \frac{\mu_{t+1}}{1 - \Pi_t \mu_{t+1}} \frac{m_t}{d_t}.

    The gradient term and the look-ahead momentum term are Nesterov's
    momentum applied to Adam's bias-corrected first moment. Dozat suggests a
    rate of 0.002.

    References
    ----------
    Dozat, T. (2016). Incorporating Nesterov momentum into Adam. ICLR
    workshop.

    Examples
    --------
    >>> import numpy as np
    >>> from skmlp.optimizers import NAdam
    >>> NAdam(momentum_decay=0.0)
    NAdam(momentum_decay=0.0)
    >>> opt = NAdam()
    >>> params = np.array([1.0, -2.0])
    >>> state = opt.init_state(params)
    >>> state = opt.step(params, np.array([0.5, -4.0]), state, learning_rate=0.1)
    >>> params.round(6)  # η (1 + 0.1 μ₂ / (1 − μ₁μ₂)) sign(g), μ ≈ 0.45
    array([ 0.894355, -1.894355])
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "momentum_decay": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        momentum_decay: float = 0.004,
    ):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.momentum_decay = momentum_decay

    def init_state(self, params: NDArray) -> NAdamState:
        """Start with zero moments at step 0."""
        return NAdamState(0, 1.0, np.zeros_like(params), np.zeros_like(params))

    def _mu(self, t: int) -> float:
        return self.beta_1 * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def step(
        self,
        params: NDArray,
        grads: NDArray,
        state: NAdamState,
        *,
        learning_rate: float,
    ) -> NAdamState:
        """Take one NAdam step in place."""
        t, m, v = state.t + 1, state.m, state.v
        mu, mu_next = self._mu(t), self._mu(t + 1)
        mu_product = state.mu_product * mu
        scratch = self._scratch(params)
        m *= self.beta_1
        m += np.multiply(grads, 1 - self.beta_1, out=scratch)
        v *= self.beta_2
        np.square(grads, out=scratch)
        scratch *= 1 - self.beta_2
        v += scratch
        denominator = np.sqrt(v, out=scratch)
        denominator /= math.sqrt(1 - self.beta_2**t)
        denominator += self.epsilon
        grads *= learning_rate * (1 - mu) / (1 - mu_product)
        grads /= denominator
        params -= grads  # the gradient term
        update = np.multiply(
            m, learning_rate * mu_next / (1 - mu_product * mu_next), out=grads
        )
        update /= denominator
        params -= update  # the momentum term
        return NAdamState(t=t, mu_product=mu_product, m=m, v=v)


#: Built-in optimizers by name, for ``solver=<name>``.
OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adagrad": AdaGrad,
    "rmsprop": RMSProp,
    "adadelta": Adadelta,
    "adam": Adam,
    "amsgrad": AMSGrad,
    "adamw": AdamW,
    "adamax": Adamax,
    "nadam": NAdam,
}
