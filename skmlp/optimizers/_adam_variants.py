"""Adam variants with update rules of their own: Adamax and NAdam.

Part of :mod:`skmlp.optimizers`; import from there.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import ClassVar, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sklearn.utils._param_validation import Interval

from ._base import Optimizer


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
    >>> state = opt.step(params, np.array([0.5, -4.0]), state, learning_rate=0.1,
    ...                  scratch=np.empty_like(params))
    >>> params  # the first step has size η whatever the gradient's scale
    array([ 0.9, -1.9])
    """

    name = "adamax"
    estimator_params = ("beta_1", "beta_2", "epsilon")
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
        scratch: NDArray,
    ) -> AdamaxState:
        """Take one Adamax step in place."""
        t, m, u = state.t + 1, state.m, state.u
        m *= self.beta_1
        m += np.multiply(grads, 1 - self.beta_1, out=scratch)
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
    >>> state = opt.step(params, np.array([0.5, -4.0]), state, learning_rate=0.1,
    ...                  scratch=np.empty_like(params))
    >>> params.round(6)  # η (1 + 0.1 μ₂ / (1 − μ₁μ₂)) sign(g), μ ≈ 0.45
    array([ 0.894355, -1.894355])
    """

    name = "nadam"
    estimator_params = ("beta_1", "beta_2", "epsilon")
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
        scratch: NDArray,
    ) -> NAdamState:
        """Take one NAdam step in place."""
        t, m, v = state.t + 1, state.m, state.v
        mu, mu_next = self._mu(t), self._mu(t + 1)
        mu_product = state.mu_product * mu
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
