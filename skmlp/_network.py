r"""The backpropagation core: forward pass, error terms δ, gradients.

A :class:`Network` knows the architecture (layer sizes and activations) and
the layout of the **flat parameter vector**: every weight matrix
:math:`W^{(l)}` then every bias :math:`b^{(l)}`, in scikit-learn's
``coefs_ + intercepts_`` order. It holds no weights: arrays are always passed
in, and intermediate results go to a preallocated :class:`Workspace`, so a
training step allocates (almost) nothing.

With :math:`a^{(0)} = X`, for layers :math:`l = 1, \dots, L`:

.. math::

    z^{(l)} &= a^{(l-1)} W^{(l)} + b^{(l)}, \qquad a^{(l)} = \sigma_l(z^{(l)}) \\
    \delta^{(L)} &= \partial L / \partial z^{(L)}
        \;(= a^{(L)} - y \text{ for a canonical loss/output pair}) \\
    \delta^{(l)} &= \delta^{(l+1)} W^{(l+1)\top} \odot \sigma_l'(z^{(l)}) \\
    \partial L / \partial W^{(l)} &= (a^{(l-1)\top} \delta^{(l)}
        + \alpha W^{(l)}) / n, \qquad
    \partial L / \partial b^{(l)} = \textstyle\sum_i \delta^{(l)}_i / n
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import scipy.sparse as sp
from numpy.typing import DTypeLike, NDArray

from .activations import (
    ACTIVATIONS,
    Activation,
    Exp,
    Identity,
    Logistic,
    ReLU,
    Softmax,
    Tanh,
)
from .losses import Loss

# For outputs_surely_finite: activations with |σ(z)| ≤ |z|, and activations
# bounded by 1 for any finite z.
_NON_EXPANDING = (Identity, ReLU)
_BOUNDED = (Logistic, Tanh, Softmax)

# Rows per chunk when predicting: bounds memory to about this many values
# per layer buffer (4 MiB in float32), whatever the number of samples.
_PREDICT_CHUNK_VALUES = 2**20


def _matmul(a, b: NDArray, out: NDArray) -> NDArray:
    """``out = a @ b`` for a dense or sparse ``a``, without a temporary."""
    if sp.issparse(a):
        out[...] = a @ b
        return out
    return np.matmul(a, b, out=out)


class Workspace:
    """Preallocated per-layer buffers for up to ``n_rows`` samples.

    Attributes
    ----------
    z : list of ndarray
        Pre-activations :math:`z^{(l)}`. The same array as ``a[l]`` when the
        layer's activation is computed in place.
    a : list of ndarray
        Activations :math:`a^{(l)}` (``a[-1]`` is the network's output).
    delta : list of ndarray
        Error terms :math:`\\delta^{(l)} = \\partial L / \\partial z^{(l)}`.
    """

    def __init__(self, network: Network, n_rows: int, dtype: DTypeLike, *,
                 training: bool):
        self.n_rows = n_rows
        self.z, self.a, self.delta = [], [], []
        for units, activation in zip(network.layer_units[1:], network.activations):
            z = np.empty((n_rows, units), dtype=dtype)
            keep_z = training and activation.derivative_needs_input
            self.z.append(z)
            self.a.append(np.empty_like(z) if keep_z else z)
            if training:
                self.delta.append(np.empty_like(z))


class Network:
    """Architecture and flat-parameter layout of a multilayer perceptron.

    Parameters
    ----------
    layer_units : sequence of int
        ``[n_features, *hidden_layer_sizes, n_outputs]``.
    hidden_activation : Activation
        The activation of every hidden layer.
    output_activation : Activation
        The activation of the output layer.
    """

    def __init__(
        self,
        layer_units: Sequence[int],
        hidden_activation: Activation,
        output_activation: Activation,
    ):
        self.layer_units = tuple(int(u) for u in layer_units)
        self.hidden_activation = hidden_activation
        self.output_activation = output_activation
        n_layers = len(self.layer_units) - 1
        self.activations = [hidden_activation] * (n_layers - 1) + [output_activation]
        self.coef_shapes = list(pairwise(self.layer_units))
        coef_sizes = [fan_in * fan_out for fan_in, fan_out in self.coef_shapes]
        self.n_coef_params = sum(coef_sizes)
        self.n_params = self.n_coef_params + sum(self.layer_units[1:])
        self._coef_offsets = np.cumsum([0, *coef_sizes])
        self._intercept_offsets = self.n_coef_params + np.cumsum(
            [0, *self.layer_units[1:]]
        )

    # -- parameter layout ---------------------------------------------------

    def unpack(self, flat: NDArray) -> tuple[list[NDArray], list[NDArray]]:
        """Views of ``flat`` as per-layer weight matrices and bias vectors."""
        coefs = [
            flat[start:end].reshape(shape)
            for start, end, shape in zip(
                self._coef_offsets[:-1], self._coef_offsets[1:], self.coef_shapes
            )
        ]
        intercepts = [
            flat[start:end]
            for start, end in pairwise(self._intercept_offsets)
        ]
        return coefs, intercepts

    def pack(self, coefs: Sequence[NDArray], intercepts: Sequence[NDArray],
             dtype: DTypeLike) -> NDArray:
        """A new flat vector holding copies of ``coefs`` and ``intercepts``."""
        return np.concatenate(
            [np.ravel(c) for c in coefs] + [np.ravel(b) for b in intercepts]
        ).astype(dtype, copy=False)

    # -- passes -------------------------------------------------------------

    def forward(self, coefs: Sequence[NDArray], intercepts: Sequence[NDArray],
                X, workspace: Workspace) -> NDArray:
        """Forward pass over ``X``; returns the output activations.

        Every layer's :math:`z^{(l)}` and :math:`a^{(l)}` are left in
        ``workspace`` for :meth:`backward`.
        """
        n = X.shape[0]
        a = X
        for layer, (W, b, activation) in enumerate(
            zip(coefs, intercepts, self.activations)
        ):
            z = _matmul(a, W, out=workspace.z[layer][:n])  # z⁽ˡ⁾ = a⁽ˡ⁻¹⁾W⁽ˡ⁾ + b⁽ˡ⁾
            z += b
            a = activation.forward(z, out=workspace.a[layer][:n])
        return a

    def backward(self, coefs: Sequence[NDArray], X, workspace: Workspace,
                 coef_grads: Sequence[NDArray],
                 intercept_grads: Sequence[NDArray]) -> None:
        """Backward pass from the output error ``workspace.delta[-1]``.

        Writes the *unnormalised* data gradients
        :math:`a^{(l-1)\\top}\\delta^{(l)}` and :math:`\\sum_i\\delta^{(l)}_i`
        into ``coef_grads`` and ``intercept_grads`` (views of one flat
        vector); :meth:`loss_and_gradient` adds the L2 term and divides.
        """
        n = X.shape[0]
        for layer in range(len(coefs) - 1, -1, -1):
            delta = workspace.delta[layer][:n]
            a_prev = X if layer == 0 else workspace.a[layer - 1][:n]
            _matmul(a_prev.T, delta, out=coef_grads[layer])
            np.sum(delta, axis=0, out=intercept_grads[layer])
            if layer > 0:
                # δ⁽ˡ⁻¹⁾ = δ⁽ˡ⁾ W⁽ˡ⁾ᵀ ⊙ σ′(z⁽ˡ⁻¹⁾)
                delta_prev = np.matmul(
                    delta, coefs[layer].T, out=workspace.delta[layer - 1][:n]
                )
                z_prev = workspace.z[layer - 1][:n]
                self.hidden_activation.backward(
                    z_prev if self.hidden_activation.derivative_needs_input else None,
                    a_prev,
                    delta_prev,
                )

    def output_delta(self, loss: Loss, y: NDArray, workspace: Workspace,
                     n: int) -> NDArray:
        """Write :math:`\\delta^{(L)} = \\partial \\ell/\\partial z^{(L)}`.

        For the canonical pairs (identity + squared error, logistic + binary
        cross-entropy, softmax + categorical cross-entropy, exp + Poisson) the
        chain rule collapses to :math:`a^{(L)} - y`; otherwise
        :math:`\\partial \\ell/\\partial a \\odot \\sigma'(z^{(L)})`.
        """
        a_out = workspace.a[-1][:n]
        delta = workspace.delta[-1][:n]
        if type(self.output_activation) is ACTIVATIONS[loss.canonical_activation]:
            return np.subtract(a_out, y, out=delta)
        delta[...] = loss.gradient(y, a_out)
        z_out = workspace.z[-1][:n]
        needs_z = self.output_activation.derivative_needs_input
        return self.output_activation.backward(z_out if needs_z else None, a_out,
                                               delta)

    def loss_and_gradient(
        self,
        params: NDArray,
        X,
        y: NDArray,
        sample_weight: NDArray | None,
        *,
        loss: Loss,
        alpha: float,
        workspace: Workspace,
        grads: NDArray,
        scratch: NDArray,
    ) -> float:
        r"""The regularised loss at ``params`` and its gradient, into ``grads``.

        .. math::

            J = L(y, a^{(L)}) + \frac{\alpha}{2 n} \sum_l \lVert W^{(l)}
            \rVert_F^2, \qquad n = \textstyle\sum_i w_i

        Parameters
        ----------
        params : ndarray of shape (n_params,)
        X : ndarray or sparse matrix of shape (n_samples, n_features)
        y : ndarray of shape (n_samples, n_outputs)
        sample_weight : ndarray of shape (n_samples,) or None
        loss : Loss
        alpha : float
            L2 penalty on the weights (not the biases).
        workspace : Workspace
            Buffers for at least ``n_samples`` rows.
        grads : ndarray of shape (n_params,)
            Receives :math:`\partial J / \partial \theta`.
        scratch : ndarray of shape (n_params,)
            Work space.

        Returns
        -------
        loss : float
        """
        n = X.shape[0]
        coefs, intercepts = self.unpack(params)
        output = self.forward(coefs, intercepts, X, workspace)
        weight_sum = n if sample_weight is None else sample_weight.sum()
        weights = params[: self.n_coef_params]
        value = loss.value(y, output, sample_weight)
        value += (0.5 * alpha) * np.dot(weights, weights) / weight_sum

        delta = self.output_delta(loss, y, workspace, n)
        if sample_weight is not None:
            delta *= sample_weight[:, np.newaxis]
        coef_grads, intercept_grads = self.unpack(grads)
        self.backward(coefs, X, workspace, coef_grads, intercept_grads)
        # ∂J/∂W = (a⁽ˡ⁻¹⁾ᵀδ⁽ˡ⁾ + αW⁽ˡ⁾) / n for every layer at once.
        grads[: self.n_coef_params] += np.multiply(
            weights, alpha, out=scratch[: self.n_coef_params]
        )
        grads /= weight_sum
        return float(value)

    @np.errstate(over="ignore", invalid="ignore")  # overflow just means False
    def outputs_surely_finite(self, params: NDArray, input_bound: float) -> bool:
        """A cheap, sufficient test that the outputs are finite.

        Propagates a bound on the magnitudes, :math:`|z_j| \\le B \\sum_k
        |W_{kj}| + |b_j|`, through the layers, for inputs whose entries lie in
        ``[-input_bound, input_bound]``. Costs O(n_params), not a forward
        pass. ``False`` means "not proven" (large weights, or an activation
        it knows no bound for), not "non-finite".
        """
        limit = float(np.finfo(params.dtype).max) * 1e-3  # room for rounding
        coefs, intercepts = self.unpack(params)
        bound = float(input_bound)
        for W, b, activation in zip(coefs, intercepts, self.activations):
            column_sums = np.abs(W).sum(axis=0, dtype=np.float64)
            bound = bound * float(column_sums.max()) + float(np.abs(b).max())
            if not bound < limit:  # also catches nan
                return False
            if isinstance(activation, _BOUNDED):
                bound = 1.0
            elif isinstance(activation, Exp):
                if not bound < np.log(limit):
                    return False
                bound = float(np.exp(bound))
            elif type(activation) not in _NON_EXPANDING:
                return False
        return True

    def predict(self, coefs: Sequence[NDArray], intercepts: Sequence[NDArray],
                X) -> NDArray:
        """Output activations for ``X``, computed in bounded-memory chunks."""
        n = X.shape[0]
        dtype = np.result_type(X.dtype, coefs[0].dtype)
        chunk = max(1, _PREDICT_CHUNK_VALUES // max(self.layer_units[1:]))
        workspace = Workspace(self, min(n, chunk), dtype, training=False)
        if n <= chunk:
            return self.forward(coefs, intercepts, X, workspace)
        output = np.empty((n, self.layer_units[-1]), dtype=dtype)
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            output[start:stop] = self.forward(
                coefs, intercepts, X[start:stop], workspace
            )
        return output
