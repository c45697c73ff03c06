"""The Adam family built on Adam's moment updates: Adam, AMSGrad, AdamW.

The helpers :func:`_update_moments` and :func:`_adam_update` hold the
arithmetic the three share (scikit-learn's order of operations, and the
``epsilon_mode`` placements). Part of :mod:`skmlp.optimizers`; import from
there.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import ClassVar, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import Optimizer


def _update_moments(grads, m, v, beta_1, beta_2, scratch):
    """m ← β₁m + (1 − β₁)g and v ← β₂v + (1 − β₂)g², in place; grads and
    the work buffer ``scratch`` are overwritten. The order of operations is
    scikit-learn's."""
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

    This is the efficient form of Kingma and Ba (2015, section 2), whose
    constant :math:`\hat\epsilon` is this :math:`\epsilon`. With
    :math:`\hat m_t = m_t / (1 - \beta_1^t)` and
    :math:`\hat v_t = v_t / (1 - \beta_2^t)` it is the bias-corrected rule

    .. math::

        \theta_t = \theta_{t-1} - \eta\,\hat m_t / (\sqrt{\hat v_t} +
            \hat\epsilon_t), \qquad
        \hat\epsilon_t = \epsilon / \sqrt{1 - \beta_2^t},

    with a constant that starts larger (:math:`\hat\epsilon_1 \approx
    31.6\,\epsilon` for :math:`\beta_2 = 0.999`) and tends to
    :math:`\epsilon`. This is
    ``epsilon_mode="sklearn"``, the default, so that ``solver="adam"``
    reproduces scikit-learn. The other placements are

    .. math::

        \text{outside:}\quad \theta_t &= \theta_{t-1} - \eta\,
            \hat m_t / (\sqrt{\hat v_t} + \epsilon), \\
        \text{inside:}\quad \theta_t &= \theta_{t-1} - \eta\,
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
    >>> state = opt.step(params, np.array([0.5, -4.0]), state, learning_rate=0.1,
    ...                  scratch=np.empty_like(params))
    >>> params  # the first step has size η whatever the gradient's scale
    array([ 0.9, -1.9])
    """

    name = "adam"
    estimator_params = ("beta_1", "beta_2", "epsilon")
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
        scratch: NDArray,
    ) -> AdamState:
        """Take one Adam step in place."""
        t, m, v = state.t + 1, state.m, state.v
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


class AMSGrad(Adam):
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
    ...     state = opt.step(params, np.array([g, 0.0]), state,
    ...                      learning_rate=0.1, scratch=np.empty_like(params))
    >>> params.round(6)  # second step η m̂ / sqrt(v̂_max); Adam's is 0.082045
    array([ 0.841986, -2.      ])
    """

    name = "amsgrad"

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
        scratch: NDArray,
    ) -> AMSGradState:
        """Take one AMSGrad step in place."""
        t, m, v, v_max = state.t + 1, state.m, state.v, state.v_max
        _update_moments(grads, m, v, self.beta_1, self.beta_2, scratch)
        np.maximum(v_max, v, out=v_max)
        _adam_update(params, m, v_max, t, learning_rate, self, grads, scratch)
        return AMSGradState(t=t, m=m, v=v, v_max=v_max)


class AdamW(Adam):
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
    >>> state = opt.step(params, np.array([0.5, 0.0]), state, learning_rate=0.1,
    ...                  scratch=np.empty_like(params))
    >>> params  # 1 - 0.1 * 0.5 * 1 - 0.1 and -2 - 0.1 * 0.5 * (-2)
    array([ 0.85, -1.9 ])
    """

    name = "adamw"
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
        super().__init__(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         epsilon_mode=epsilon_mode)
        self.weight_decay = weight_decay

    def step(
        self,
        params: NDArray,
        grads: NDArray,
        state: AdamState,
        *,
        learning_rate: float,
        scratch: NDArray,
    ) -> AdamState:
        """Decay the parameters, then take one Adam step, in place."""
        # Adam's moments depend on the gradients only, so decaying first is
        # the same as decaying between the moment and parameter updates.
        if self.weight_decay:
            params *= 1 - learning_rate * self.weight_decay
        return super().step(params, grads, state, learning_rate=learning_rate,
                            scratch=scratch)
