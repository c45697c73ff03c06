r"""Activation functions σ and their derivatives, side by side.

Each activation computes :math:`a = \sigma(z)` in :meth:`Activation.forward`
and multiplies an error signal by :math:`\sigma'(z)` in
:meth:`Activation.backward`, both in place to avoid allocations during
training. Where :math:`\sigma'` is a function of the output :math:`a` alone
(logistic, tanh, ReLU, ...) the pre-activation :math:`z` is not kept: the
network stores it only for activations that declare
``derivative_needs_input = True`` (GELU).

Writing your own activation
---------------------------
Subclass :class:`Activation`, implement :meth:`~Activation.forward` and
:meth:`~Activation.backward`, and pass an instance as ``activation=``.
Overriding :meth:`~Activation.output_bound` is optional: without it the
network's cheap proof that its outputs are finite answers "not proven" for
networks that use the activation. Set ``hidden = False`` for an
output-only activation.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from numbers import Real
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray
from scipy.special import erf, expit
from sklearn.utils._param_validation import Interval, StrOptions

from ._params import ParamsMixin, make_registry

__all__ = [
    "ACTIVATIONS",
    "ELU",
    "GELU",
    "HIDDEN_ACTIVATIONS",
    "Activation",
    "Exp",
    "Identity",
    "LeakyReLU",
    "Logistic",
    "ReLU",
    "Softmax",
    "Tanh",
]


def _row(value: float, like: NDArray) -> NDArray:
    """``value`` as a row shaped like the last axis of ``like``.

    NumPy vectorises binary ufuncs such as ``maximum`` only when the operand
    has a contiguous last axis: against this row instead of the scalar they
    run 2-4 times faster, with the same results.
    """
    return np.full(like.shape[-1:], value, dtype=like.dtype)


class Activation(ParamsMixin, ABC):
    """Base class of every activation function.

    Attributes
    ----------
    name : str or None
        The registry key of a built-in (``"relu"``); ``None`` for your own.
    hidden : bool
        Whether the activation may be used in hidden layers (``activation=``);
        output-only activations (softmax, exp) say ``False``.
    derivative_needs_input : bool
        Whether :meth:`backward` needs the pre-activation ``z``. When false,
        the network passes ``z=None`` and may compute ``forward`` in place.
    """

    hidden: ClassVar[bool] = True
    derivative_needs_input: ClassVar[bool] = False

    @abstractmethod
    def forward(self, z: NDArray, out: NDArray) -> NDArray:
        """Compute :math:`a = \\sigma(z)`.

        Parameters
        ----------
        z : ndarray of shape (n_samples, n_units)
            Pre-activations. Not modified unless ``out is z``.
        out : ndarray of shape (n_samples, n_units)
            Where to write the result; may be ``z`` itself.

        Returns
        -------
        a : ndarray
            ``out``.
        """

    @abstractmethod
    def backward(self, z: NDArray | None, a: NDArray, delta: NDArray) -> NDArray:
        """Multiply ``delta`` by the derivative in place: δ ← δ ⊙ σ′(z).

        Parameters
        ----------
        z : ndarray or None
            Pre-activations (``None`` unless ``derivative_needs_input``).
        a : ndarray of shape (n_samples, n_units)
            Activations returned by :meth:`forward`. The network needs them
            no more: ``backward`` may overwrite them. The built-ins do not:
            inside the training loop, where the BLAS threads have just read
            them, writing into them measured slower than a temporary.
        delta : ndarray of shape (n_samples, n_units)
            ∂L/∂a on entry, ∂L/∂z on exit.

        Returns
        -------
        delta : ndarray
        """

    def output_bound(self, input_bound: float) -> float | None:
        """A bound on the outputs, given a bound on the inputs.

        Parameters
        ----------
        input_bound : float
            A number :math:`B \\ge 0` with :math:`|z| \\le B` for every
            pre-activation.

        Returns
        -------
        bound : float or None
            A number :math:`B'` with :math:`|\\sigma(z)| \\le B'` for every
            :math:`|z| \\le B`, for the values :meth:`forward` computes
            (rounding included); ``math.inf`` when it overflows. ``None``
            (the default) when no bound is known: the network's cheap proof
            that its outputs are finite then answers "not proven".
        """
        return None


class Identity(Activation):
    r"""The identity :math:`\sigma(z) = z`, :math:`\sigma'(z) = 1`."""

    name = "identity"

    def forward(self, z: NDArray, out: NDArray) -> NDArray:
        """Copy ``z`` to ``out`` (nothing to do in place)."""
        if out is not z:
            out[...] = z
        return out

    def backward(self, z: NDArray | None, a: NDArray, delta: NDArray) -> NDArray:
        """Leave ``delta`` unchanged."""
        return delta

    def output_bound(self, input_bound: float) -> float:
        r""":math:`|\sigma(z)| = |z| \le B`."""
        return input_bound


class Logistic(Activation):
    r"""The logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`.

    Its derivative is :math:`\sigma'(z) = a (1 - a)`.
    """

    name = "logistic"

    def forward(self, z: NDArray, out: NDArray) -> NDArray:
        """Compute the sigmoid, stably for large ``|z|``."""
        return expit(z, out=out)

    def backward(self, z: NDArray | None, a: NDArray, delta: NDArray) -> NDArray:
        """δ ← δ ⊙ a(1 − a), through one temporary (see :meth:`Tanh.backward`)."""
        delta *= a
        delta *= 1 - a
        return delta

    def output_bound(self, input_bound: float) -> float:
        """0 ≤ σ(z) ≤ 1, whatever z."""
        return 1.0


class Tanh(Activation):
    r"""The hyperbolic tangent, with :math:`\sigma'(z) = 1 - a^2`."""

    name = "tanh"

    def forward(self, z: NDArray, out: NDArray) -> NDArray:
        """Compute tanh."""
        return np.tanh(z, out=out)

    def backward(self, z: NDArray | None, a: NDArray, delta: NDArray) -> NDArray:
        """δ ← δ ⊙ (1 − a²), through one temporary.

        Not in ``a``: the network's backward pass has just had the BLAS
        threads read it, and writing into it made the call about 1.5 times
        slower inside the training loop (measured), for the memory of one
        layer.
        """
        derivative = np.square(a)
        delta *= np.subtract(1, derivative, out=derivative)
        return delta

    def output_bound(self, input_bound: float) -> float:
        r""":math:`|\tanh z| \le 1`, whatever :math:`z`."""
        return 1.0


class ReLU(Activation):
    r"""The rectified linear unit :math:`\sigma(z) = \max(0, z)`.

    Its derivative is 1 for :math:`z > 0` and 0 otherwise (0 at the kink).
    """

    name = "relu"

    def forward(self, z: NDArray, out: NDArray) -> NDArray:
        """Compute max(0, z)."""
        return np.maximum(z, _row(0, z), out=out)

    def backward(self, z: NDArray | None, a: NDArray, delta: NDArray) -> NDArray:
        """Zero δ where the unit is inactive.

        Through a boolean mask (one byte per value, as scikit-learn's
        ``delta[Z == 0] = 0``). Writing the mask into ``a`` instead saves
        that memory but made the call three times slower inside the training
        loop (measured on 256-unit layers: about 60 µs against 20 µs).
        """
        return np.multiply(delta, a > 0, out=delta)

    def output_bound(self, input_bound: float) -> float:
        r""":math:`0 \le \max(0, z) \le |z| \le B`."""
        return input_bound


class LeakyReLU(Activation):
    r"""Leaky ReLU: :math:`\sigma(z) = z` for :math:`z > 0`, else :math:`sz`.

    Parameters
    ----------
    negative_slope : float, default=0.01
        The slope :math:`s` for negative inputs, in ``[0, 1)``.

    Notes
    -----
    :math:`\sigma'(z) = 1` for :math:`z > 0` and :math:`s` otherwise; since
    :math:`s \ge 0` the sign of :math:`a` tells which, so the derivative is
    computed from the output.
    """

    name = "leaky_relu"
    _parameter_constraints: ClassVar[dict[str, list]] = {
        "negative_slope": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(self, negative_slope: float = 0.01):
        self.negative_slope = negative_slope

    def forward(self, z: NDArray, out: NDArray) -> NDArray:
        """Compute max(z, s·z) (valid because 0 ≤ s < 1)."""
        return np.maximum(z, self.negative_slope * z, out=out)

    def backward(self, z: NDArray | None, a: NDArray, delta: NDArray) -> NDArray:
        """δ ← δ ⊙ (1 if a > 0 else s), through a boolean mask and one
        temporary (see :meth:`ReLU.backward` and :meth:`Tanh.backward`)."""
        slope = (a > 0).astype(delta.dtype)  # 1 or 0, then max(·, s): 1 or s
        np.maximum(slope, _row(self.negative_slope, slope), out=slope)
        return np.multiply(delta, slope, out=delta)

    def output_bound(self, input_bound: float) -> float:
        r""":math:`|\sigma(z)| \le \max(1, |s|) \, |z|`."""
        return max(1.0, abs(self.negative_slope)) * input_bound


class ELU(Activation):
    r"""Exponential linear unit.

    :math:`\sigma(z) = z` for :math:`z > 0`, else :math:`\alpha (e^z - 1)`.

    Parameters
    ----------
    alpha : float, default=1.0
        Saturation value :math:`\alpha > 0` for negative inputs.

    Notes
    -----
    For :math:`z \le 0`, :math:`\sigma'(z) = \alpha e^z = a + \alpha`, so the
    derivative is computed from the output.

    References
    ----------
    Clevert, D.-A., Unterthiner, T. and Hochreiter, S. (2016). Fast and
    accurate deep network learning by exponential linear units (ELUs). ICLR.
    """

    name = "elu"
    _parameter_constraints: ClassVar[dict[str, list]] = {
        "alpha": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def forward(self, z: NDArray, out: NDArray) -> NDArray:
        """Compute the ELU as max(z, 0) + α·expm1(min(z, 0)).

        One of the two terms is exactly 0 for every z, so this is z or
        α(eᶻ − 1) exactly, without a masked (branching) selection;
        ``expm1`` keeps precision near zero.
        """
        zeros = _row(0, z)
        negative = np.minimum(z, zeros)  # before ``out``, which may be ``z``
        np.maximum(z, zeros, out=out)
        np.expm1(negative, out=negative)
        negative *= self.alpha
        out += negative
        return out

    def backward(self, z: NDArray | None, a: NDArray, delta: NDArray) -> NDArray:
        """δ ← δ ⊙ (1 if a > 0 else a + α)."""
        positive = a > 0
        slope = np.add(a, self.alpha, dtype=delta.dtype)
        slope *= ~positive  # a + α where a ≤ 0, 0 elsewhere ...
        slope += positive  # ... and 1 where a > 0
        return np.multiply(delta, slope, out=delta)

    def output_bound(self, input_bound: float) -> float:
        r""":math:`z \le B` for :math:`z > 0`, and :math:`\alpha |e^z - 1| \le \alpha`
        (``expm1`` :math:`\ge -1`) otherwise."""
        return max(input_bound, self.alpha)


class GELU(Activation):
    r"""Gaussian error linear unit :math:`\sigma(z) = z\,\Phi(z)`.

    Parameters
    ----------
    approximate : {"none", "tanh"}, default="none"
        ``"none"`` uses the exact normal CDF
        :math:`\Phi(z) = \tfrac12(1 + \operatorname{erf}(z/\sqrt2))`;
        ``"tanh"`` uses :math:`\Phi(z) \approx \tfrac12(1 + \tanh(\sqrt{2/\pi}
        (z + 0.044715 z^3)))` as in Hendrycks and Gimpel.

    Notes
    -----
    Exact derivative: :math:`\sigma'(z) = \Phi(z) + z\,\varphi(z)` with
    :math:`\varphi` the standard normal density. GELU's derivative is not a
    function of its output, so the network keeps :math:`z`.

    References
    ----------
    Hendrycks, D. and Gimpel, K. (2016). Gaussian error linear units (GELUs).
    :arxiv:`1606.08415`
    """

    name = "gelu"
    derivative_needs_input: ClassVar[bool] = True
    _parameter_constraints: ClassVar[dict[str, list]] = {
        "approximate": [StrOptions({"none", "tanh"})],
    }

    _TANH_SCALE = math.sqrt(2.0 / math.pi)
    _TANH_CUBIC = 0.044715

    def __init__(self, approximate: str = "none"):
        self.approximate = approximate

    def _cdf(self, z: NDArray) -> NDArray:
        if self.approximate == "tanh":
            inner = self._TANH_SCALE * (z + self._TANH_CUBIC * z**3)
            return 0.5 * (1.0 + np.tanh(inner))
        return 0.5 * (1.0 + erf(z / math.sqrt(2.0)))

    def forward(self, z: NDArray, out: NDArray) -> NDArray:
        """Compute z·Φ(z)."""
        return np.multiply(z, self._cdf(z), out=out)

    def backward(self, z: NDArray | None, a: NDArray, delta: NDArray) -> NDArray:
        """δ ← δ ⊙ (Φ(z) + z Φ′(z))."""
        if self.approximate == "tanh":
            inner = self._TANH_SCALE * (z + self._TANH_CUBIC * z**3)
            t = np.tanh(inner)
            d_inner = self._TANH_SCALE * (1.0 + 3.0 * self._TANH_CUBIC * z**2)
            derivative = 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t**2) * d_inner
        else:
            density = np.exp(-0.5 * z**2) / math.sqrt(2.0 * math.pi)
            derivative = self._cdf(z) + z * density
        delta *= derivative.astype(delta.dtype, copy=False)
        return delta

    def output_bound(self, input_bound: float) -> float:
        r""":math:`|z \, \Phi(z)| \le |z|`: both forms of :math:`\Phi` lie in [0, 1]."""
        return input_bound


class Softmax(Activation):
    r"""Softmax over units: :math:`a_k = e^{z_k} / \sum_j e^{z_j}`.

    Used as the output activation of multiclass classifiers; output only.

    Notes
    -----
    Its Jacobian is :math:`\partial a_k/\partial z_j = a_k(\delta_{kj} - a_j)`,
    so the backward pass is the vector-Jacobian product
    :math:`\delta \leftarrow a \odot (\delta - \sum_k \delta_k a_k)`.
    """

    name = "softmax"
    hidden = False

    def forward(self, z: NDArray, out: NDArray) -> NDArray:
        """Compute the softmax, shifted by the row maximum for stability."""
        # The row maxima as a reduction over the rows of a transposed copy:
        # the same (exact) values as z.max(axis=1), several times faster
        # when there are few units.
        row_max = np.maximum.reduce(z.T.copy(), axis=0)
        np.subtract(z, row_max[:, np.newaxis], out=out)
        np.exp(out, out=out)
        out /= np.add.reduce(out, axis=1)[:, np.newaxis]
        return out

    def backward(self, z: NDArray | None, a: NDArray, delta: NDArray) -> NDArray:
        """δ ← a ⊙ (δ − ⟨δ, a⟩)."""
        delta -= np.einsum("ij,ij->i", delta, a)[:, np.newaxis]
        delta *= a
        return delta

    def output_bound(self, input_bound: float) -> float:
        """Every a_k is a share of the row's sum: 0 ≤ a_k ≤ 1."""
        return 1.0


class Exp(Activation):
    r"""The exponential :math:`\sigma(z) = e^z`: the Poisson log-link output.

    Output only.
    """

    name = "exp"
    hidden = False

    def forward(self, z: NDArray, out: NDArray) -> NDArray:
        """Compute exp(z)."""
        return np.exp(z, out=out)

    def backward(self, z: NDArray | None, a: NDArray, delta: NDArray) -> NDArray:
        """δ ← δ ⊙ a."""
        delta *= a
        return delta

    def output_bound(self, input_bound: float) -> float:
        """e^B, widened by 2⁻²⁰ for rounding; ``math.inf`` on overflow.

        ``np.exp`` may round up past e^B (in float32, exp(1) does); the
        margin covers several ulps of float32.
        """
        try:
            return math.exp(input_bound) * (1 + 2.0**-20)
        except OverflowError:
            return math.inf


#: Every activation by name (``out_activation_`` takes these names).
ACTIVATIONS: dict[str, type[Activation]] = make_registry(
    Identity, Logistic, Tanh, ReLU, LeakyReLU, ELU, GELU, Softmax, Exp
)

#: The names accepted for hidden layers (``activation=``): those declaring
#: ``hidden``.
HIDDEN_ACTIVATIONS: tuple[str, ...] = tuple(
    name for name, cls in ACTIVATIONS.items() if cls.hidden
)
