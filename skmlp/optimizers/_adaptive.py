"""Per-parameter rates from gradient magnitudes: AdaGrad, RMSProp, Adadelta.

Part of :mod:`skmlp.optimizers`; import from there.
"""

from __future__ import annotations

from numbers import Real
from typing import ClassVar, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sklearn.utils._param_validation import Interval

from ._base import Optimizer


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
    >>> state = opt.step(params, np.array([0.5, -4.0]), state, learning_rate=0.1,
    ...                  scratch=np.empty_like(params))
    >>> params  # the first step has size η whatever the gradient's scale
    array([ 0.9, -1.9])
    """

    name = "adagrad"
    estimator_params = ("epsilon",)
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
        scratch: NDArray,
    ) -> AdaGradState:
        """Take one AdaGrad step in place."""
        sum_squares = state.sum_squares
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
        Momentum :math:`\mu` on the normalised gradient, in ``[0, 1)``.
        Named apart from the estimator's ``momentum`` (SGD's, 0.9 by
        default), which ``solver="rmsprop"`` does not read.
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
    >>> state = opt.step(params, np.array([0.5, -4.0]), state, learning_rate=0.1,
    ...                  scratch=np.empty_like(params))
    >>> params.round(6)  # first step: η g / sqrt(0.25 g²) = 2η sign(g)
    array([ 0.8, -1.8])
    """

    name = "rmsprop"
    estimator_params = ("epsilon",)
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
        scratch: NDArray,
    ) -> RMSPropState:
        """Take one RMSProp step in place."""
        rho = self.rho
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
        :math:`\sqrt\epsilon` sets the size of the first steps. Named apart
        from the estimator's ``epsilon`` (Adam's ``1e-8``), which
        ``solver="adadelta"`` does not read.

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
    >>> state = opt.step(params, np.array([3.0, 0.0]), state, learning_rate=1.0,
    ...                  scratch=np.empty_like(params))
    >>> params.round(6)  # first step: sqrt(ε) / sqrt(0.5 g² + ε) g
    array([ 0.985858, -2.      ])
    """

    name = "adadelta"
    estimator_params = ()  # ``eps`` is its own, not the estimator's ``epsilon``
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
        scratch: NDArray,
    ) -> AdadeltaState:
        """Take one Adadelta step in place."""
        rho, eps = self.rho, self.eps
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
