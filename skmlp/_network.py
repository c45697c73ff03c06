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
from itertools import accumulate, pairwise
from typing import NamedTuple

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .activations import ACTIVATIONS, Activation
from .losses import Loss

# Rows per chunk when predicting: bounds memory to about this many values
# per layer buffer (1 MiB in float32), whatever the number of samples. Small
# enough for a chunk's elementwise passes to run in cache, large enough for
# full-speed matrix products (measured in benchmarks/).
_PREDICT_CHUNK_VALUES = 2**18


def _matmul(a, b: NDArray, out: NDArray) -> NDArray:
    """``out = a @ b`` for a dense or sparse ``a``, without a temporary."""
    if isinstance(a, np.ndarray):  # checked first: the cheaper test
        return np.matmul(a, b, out=out)
    out[...] = a @ b
    return out


class Workspace:
    """Preallocated per-layer buffers for up to ``n_rows`` samples.

    Attributes
    ----------
    z : list of ndarray
        Pre-activations :math:`z^{(l)}` (after batch normalisation, when on).
        The same array as ``a[l]`` when the activation is computed in place.
    a : list of ndarray
        Activations :math:`a^{(l)}` (``a[-1]`` is the network's output).
    delta : list of ndarray
        Error terms :math:`\\delta^{(l)} = \\partial L / \\partial z^{(l)}`
        (training), views of one block that :meth:`spare` lends out between
        backward passes.
    z_hat, inv_std : list of (ndarray or None)
        Batch normalisation: the normalised linear outputs and
        :math:`1/\\sqrt{\\sigma^2_B + \\epsilon}` per hidden layer (training).
    mask, dropped : list of (ndarray or None)
        Dropout: the scaled keep-mask and :math:`a^{(l)} \\odot` mask, the
        next layer's input, per hidden layer (training).
    """

    def __init__(self, network: Network, n_rows: int, dtype: DTypeLike, *,
                 training: bool):
        self.n_rows = n_rows
        self.z, self.a, self.delta = [], [], []
        self.z_hat, self.inv_std, self.mask, self.dropped = [], [], [], []
        self._delta_block = (np.empty(n_rows * sum(network.layer_units[1:]), dtype)
                             if training else None)
        delta_offsets = accumulate(network.layer_units[1:], initial=0)
        last = len(network.activations) - 1
        for layer, (units, activation, offset) in enumerate(
            zip(network.layer_units[1:], network.activations, delta_offsets)
        ):
            z = np.empty((n_rows, units), dtype=dtype)
            keep_z = training and activation.derivative_needs_input
            self.z.append(z)
            self.a.append(np.empty_like(z) if keep_z else z)
            if training:
                self.delta.append(self._delta_block[
                    n_rows * offset:n_rows * (offset + units)].reshape(n_rows, units))
            normalised = training and network.batch_norm and layer < last
            self.z_hat.append(np.empty_like(z) if normalised else None)
            self.inv_std.append(np.empty(units, dtype=dtype) if normalised else None)
            dropped = training and network.dropout > 0 and layer < last
            self.mask.append(np.empty_like(z) if dropped else None)
            self.dropped.append(np.empty_like(z) if dropped else None)


    def spare(self, size: int) -> NDArray:
        """A work vector of ``size`` values, for what follows a backward pass.

        The error terms are dead from the end of one backward pass to the
        next forward pass, where the gradient is finished and the optimizer
        steps: their memory is lent when it is large enough (a training step
        then needs no vector of its own), else a new vector is allocated.
        """
        block = self._delta_block
        if block is not None and block.size >= size:
            return block[:size]
        return np.empty(size, dtype=self.z[0].dtype)


class BatchNormParams(NamedTuple):
    """Per hidden layer: learnable scale γ and shift β, running statistics."""

    scales: list[NDArray]
    offsets: list[NDArray]
    running_means: list[NDArray]
    running_vars: list[NDArray]


class LayerViews(NamedTuple):
    """A flat vector (parameters or gradients) and its per-layer views.

    Built once per vector with :meth:`Network.views`: a training loop passes
    the same parameter and gradient vectors at every step.
    """

    flat: NDArray
    coefs: list[NDArray]
    intercepts: list[NDArray]
    batch_norm: BatchNormParams | None


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

    #: Batch normalisation: ε in √(σ² + ε), and the weight of the newest batch
    #: in the running averages (PyTorch's defaults).
    BATCH_NORM_EPSILON = 1e-5
    BATCH_NORM_MOMENTUM = 0.1

    def __init__(
        self,
        layer_units: Sequence[int],
        hidden_activation: Activation,
        output_activation: Activation,
        *,
        batch_norm: bool = False,
        dropout: float = 0.0,
    ):
        self.layer_units = tuple(int(u) for u in layer_units)
        self.hidden_activation = hidden_activation
        self.output_activation = output_activation
        self.batch_norm, self.dropout = bool(batch_norm), float(dropout)
        n_layers = len(self.layer_units) - 1
        self.activations = [hidden_activation] * (n_layers - 1) + [output_activation]
        self.coef_shapes = list(pairwise(self.layer_units))
        coef_sizes = [fan_in * fan_out for fan_in, fan_out in self.coef_shapes]
        self.n_coef_params = sum(coef_sizes)
        hidden_units = list(self.layer_units[1:-1]) if self.batch_norm else []
        # Python ints (accumulate, not np.cumsum): a network is built for
        # every fit, and NumPy's overhead on a few numbers dominates.
        self._coef_offsets = list(accumulate(coef_sizes, initial=0))
        self._intercept_offsets = list(accumulate(self.layer_units[1:],
                                                  initial=self.n_coef_params))
        # γ then β of every hidden layer follow the intercepts.
        self._norm_offsets = list(accumulate([*hidden_units, *hidden_units],
                                             initial=self._intercept_offsets[-1]))
        self.n_params = self._norm_offsets[-1]
        self.n_norm_stats = 2 * sum(hidden_units)

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

    def _norm_views(self, flat: NDArray, offsets) -> list[NDArray]:
        return [flat[start:end] for start, end in pairwise(offsets)]

    def unpack_batch_norm(self, params: NDArray, norm_stats: NDArray
                          ) -> BatchNormParams | None:
        """Views of the batch-norm parameters and running statistics.

        ``norm_stats`` is the flat vector of running means then running
        variances of every hidden layer (see :meth:`init_norm_stats`).
        ``None`` when the network has no batch normalisation.
        """
        if not self.batch_norm:
            return None
        n_hidden = len(self.layer_units) - 2
        gammas_betas = self._norm_views(params, self._norm_offsets)
        stat_offsets = [offset - self._norm_offsets[0] for offset in self._norm_offsets]
        means_vars = self._norm_views(norm_stats, stat_offsets)
        return BatchNormParams(gammas_betas[:n_hidden], gammas_betas[n_hidden:],
                               means_vars[:n_hidden], means_vars[n_hidden:])

    def views(self, flat: NDArray, norm_stats: NDArray | None = None) -> LayerViews:
        """``flat`` with its per-layer views (batch-norm ones need
        ``norm_stats``, the running statistics)."""
        return LayerViews(flat, *self.unpack(flat),
                          self.unpack_batch_norm(flat, norm_stats))

    def pack(self, coefs: Sequence[NDArray], intercepts: Sequence[NDArray],
             dtype: DTypeLike, *, scales: Sequence[NDArray] | None = None,
             offsets: Sequence[NDArray] | None = None) -> NDArray:
        """A new flat vector holding copies of the given parameters.

        With batch normalisation, missing ``scales`` and ``offsets`` start at
        γ = 1 and β = 0.
        """
        parts = [np.ravel(c) for c in coefs] + [np.ravel(b) for b in intercepts]
        if self.batch_norm:
            hidden = self.layer_units[1:-1]
            parts += (list(scales) if scales is not None
                      else [np.ones(units) for units in hidden])
            parts += (list(offsets) if offsets is not None
                      else [np.zeros(units) for units in hidden])
        return np.concatenate(parts).astype(dtype, copy=False)

    def init_norm_stats(self, dtype: DTypeLike) -> NDArray:
        """Running means 0 and variances 1 (empty without batch norm)."""
        half = self.n_norm_stats // 2
        return np.concatenate([np.zeros(half), np.ones(half)]).astype(dtype)

    # -- passes -------------------------------------------------------------

    def forward(self, coefs: Sequence[NDArray], intercepts: Sequence[NDArray],
                X, workspace: Workspace, *,
                batch_norm: BatchNormParams | None = None, training: bool = False,
                rng: np.random.Generator | None = None) -> NDArray:
        """Forward pass over ``X``; returns the output activations.

        Every layer's :math:`z^{(l)}` and :math:`a^{(l)}` are left in
        ``workspace`` for :meth:`backward`. With ``training=True``, batch
        normalisation uses (and updates the running averages with) the
        batch's statistics and dropout draws its masks from ``rng``;
        otherwise it uses the running averages and no dropout.
        """
        n = X.shape[0]
        a = X
        last = len(coefs) - 1
        for layer, (W, b, activation) in enumerate(
            zip(coefs, intercepts, self.activations)
        ):
            z = _matmul(a, W, out=workspace.z[layer][:n])  # z⁽ˡ⁾ = a⁽ˡ⁻¹⁾W⁽ˡ⁾ + b⁽ˡ⁾
            z += b
            if batch_norm is not None and layer < last:
                self._normalize(layer, z, batch_norm, workspace, training)
            a = activation.forward(z, out=workspace.a[layer][:n])
            if training and self.dropout > 0 and layer < last:
                a = self._drop(layer, a, workspace, rng)
        return a

    def _normalize(self, layer: int, z: NDArray, batch_norm: BatchNormParams,
                   workspace: Workspace, training: bool) -> None:
        r"""Batch normalisation in place: :math:`z \leftarrow \gamma \hat z + \beta`.

        Training: :math:`\hat z = (z - \mu_B)/\sqrt{\sigma_B^2 + \epsilon}`
        with the batch mean and (biased) variance, and the running averages
        move towards them. Prediction: the running averages replace
        :math:`\mu_B, \sigma_B^2`, so outputs don't depend on the batch.
        """
        gamma, beta = batch_norm.scales[layer], batch_norm.offsets[layer]
        running_mean = batch_norm.running_means[layer]
        running_var = batch_norm.running_vars[layer]
        if not training:
            z -= running_mean
            z *= gamma / np.sqrt(running_var + self.BATCH_NORM_EPSILON)
            z += beta
            return
        n = z.shape[0]
        mean, var = z.mean(axis=0), z.var(axis=0)
        inv_std = np.divide(1.0, np.sqrt(var + self.BATCH_NORM_EPSILON),
                            out=workspace.inv_std[layer])
        z_hat = np.subtract(z, mean, out=workspace.z_hat[layer][:n])
        z_hat *= inv_std
        momentum = self.BATCH_NORM_MOMENTUM
        running_mean *= 1 - momentum
        running_mean += momentum * mean
        running_var *= 1 - momentum
        running_var += momentum * var * (n / (n - 1) if n > 1 else 1.0)  # unbiased
        np.multiply(z_hat, gamma, out=z)
        z += beta

    def _drop(self, layer: int, a: NDArray, workspace: Workspace,
              rng: np.random.Generator) -> NDArray:
        """Inverted dropout: zero each unit with probability p, scale by 1/(1-p)."""
        n = a.shape[0]
        keep = 1.0 - self.dropout
        mask = workspace.mask[layer][:n]
        rng.random(dtype=mask.dtype, out=mask)  # float32 masks for float32 data
        mask += keep
        np.floor(mask, out=mask)  # 1 with probability keep (u ≥ p), else 0
        mask *= 1.0 / keep
        return np.multiply(a, mask, out=workspace.dropped[layer][:n])

    def backward(self, coefs: Sequence[NDArray], X, workspace: Workspace,
                 coef_grads: Sequence[NDArray],
                 intercept_grads: Sequence[NDArray], *,
                 batch_norm: BatchNormParams | None = None,
                 batch_norm_grads: BatchNormParams | None = None) -> None:
        """Backward pass from the output error ``workspace.delta[-1]``.

        Writes the *unnormalised* data gradients
        :math:`a^{(l-1)\\top}\\delta^{(l)}` and :math:`\\sum_i\\delta^{(l)}_i`
        into ``coef_grads`` and ``intercept_grads`` (and those of γ and β into
        ``batch_norm_grads.scales``/``.offsets``), views of one flat vector;
        :meth:`loss_and_gradient` adds the L2 term and divides.
        """
        n = X.shape[0]
        last = len(coefs) - 1
        for layer in range(last, -1, -1):
            delta = workspace.delta[layer][:n]
            if batch_norm is not None and layer < last:
                self._normalize_backward(layer, delta, batch_norm, batch_norm_grads,
                                         workspace)
            a_prev = X if layer == 0 else self._layer_output(layer - 1, workspace, n)
            _matmul(a_prev.T, delta, out=coef_grads[layer])
            np.add.reduce(delta, axis=0, out=intercept_grads[layer])  # Σᵢ δᵢ
            if layer > 0:
                # δ⁽ˡ⁻¹⁾ = δ⁽ˡ⁾ W⁽ˡ⁾ᵀ ⊙ σ′(z⁽ˡ⁻¹⁾)  (⊙ the dropout mask, if any)
                delta_prev = np.matmul(
                    delta, coefs[layer].T, out=workspace.delta[layer - 1][:n]
                )
                if workspace.mask[layer - 1] is not None:
                    delta_prev *= workspace.mask[layer - 1][:n]
                z_prev = workspace.z[layer - 1][:n]
                self.hidden_activation.backward(
                    z_prev if self.hidden_activation.derivative_needs_input else None,
                    workspace.a[layer - 1][:n],
                    delta_prev,
                )

    @staticmethod
    def _layer_output(layer: int, workspace: Workspace, n: int) -> NDArray:
        """What layer ``layer`` feeds forward: its activations, after dropout."""
        dropped = workspace.dropped[layer]
        return (workspace.a[layer] if dropped is None else dropped)[:n]

    @staticmethod
    def _normalize_backward(layer: int, delta: NDArray, batch_norm: BatchNormParams,
                            grads: BatchNormParams, workspace: Workspace) -> None:
        r"""Turn ∂L/∂(γẑ+β) into ∂L/∂z in place; write ∂L/∂γ and ∂L/∂β.

        With :math:`g = \partial L/\partial \hat z = \gamma\,\delta`,

        .. math::

            \frac{\partial L}{\partial z} = \frac{1}{m\sqrt{\sigma_B^2+\epsilon}}
            \Big(m g - \sum_i g_i - \hat z \sum_i g_i \hat z_i\Big),
            \qquad \frac{\partial L}{\partial \gamma} = \sum_i \delta_i
            \hat z_i, \qquad \frac{\partial L}{\partial \beta} = \sum_i
            \delta_i.
        """
        m = delta.shape[0]
        z_hat = workspace.z_hat[layer][:m]
        gamma = batch_norm.scales[layer]
        d_gamma = np.einsum("ij,ij->j", delta, z_hat, out=grads.scales[layer])
        np.sum(delta, axis=0, out=grads.offsets[layer])
        delta *= gamma  # g = ∂L/∂ẑ
        sum_g = delta.sum(axis=0)
        sum_g_z_hat = gamma * d_gamma  # Σ gᵢẑᵢ = γ Σ δᵢẑᵢ
        delta *= m
        delta -= sum_g
        delta -= z_hat * sum_g_z_hat
        delta *= workspace.inv_std[layer] / m

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
        params: LayerViews,
        X,
        y: NDArray,
        sample_weight: NDArray | None,
        *,
        loss: Loss,
        alpha: float,
        workspace: Workspace,
        grads: LayerViews,
        scratch: NDArray,
        rng: np.random.Generator | None = None,
    ) -> float:
        r"""The regularised loss at ``params`` and its gradient, into ``grads``.

        .. math::

            J = L(y, a^{(L)}) + \frac{\alpha}{2 n} \sum_l \lVert W^{(l)}
            \rVert_F^2, \qquad n = \textstyle\sum_i w_i

        Parameters
        ----------
        params : LayerViews
            The flat parameter vector and its views (:meth:`views`); with
            batch normalisation, the running statistics in its views are
            updated in place.
        X : ndarray or sparse matrix of shape (n_samples, n_features)
        y : ndarray of shape (n_samples, n_outputs)
        sample_weight : ndarray of shape (n_samples,) or None
        loss : Loss
        alpha : float
            L2 penalty on the weights (not the biases).
        workspace : Workspace
            Buffers for at least ``n_samples`` rows.
        grads : LayerViews
            Receives :math:`\partial J / \partial \theta` (views of a
            vector shaped like ``params.flat``).
        scratch : ndarray of shape (n_params,)
            Work space, used after the backward pass (it may share memory
            with the error terms: :meth:`Workspace.spare`).
        rng : numpy.random.Generator, default=None
            Draws the dropout masks.

        Returns
        -------
        loss : float
        """
        n = X.shape[0]
        _, coefs, intercepts, batch_norm = params
        output = self.forward(coefs, intercepts, X, workspace, batch_norm=batch_norm,
                              training=True, rng=rng)
        weight_sum = n if sample_weight is None else sample_weight.sum()
        value = loss.value(y, output, sample_weight)
        # Σₗ‖W⁽ˡ⁾‖², summed layer by layer as scikit-learn does (one dot
        # product over all the weights would round differently).
        squared_norm = sum(np.dot(W.ravel(), W.ravel()) for W in coefs)
        value += (0.5 * alpha) * squared_norm / weight_sum

        delta = self.output_delta(loss, y, workspace, n)
        if sample_weight is not None:
            delta *= sample_weight[:, np.newaxis]
        self.backward(coefs, X, workspace, grads.coefs, grads.intercepts,
                      batch_norm=batch_norm, batch_norm_grads=grads.batch_norm)
        # ∂J/∂W = (a⁽ˡ⁻¹⁾ᵀδ⁽ˡ⁾ + αW⁽ˡ⁾) / n for every layer at once.
        weights = params.flat[: self.n_coef_params]
        grads.flat[: self.n_coef_params] += np.multiply(
            weights, alpha, out=scratch[: self.n_coef_params]
        )
        np.divide(grads.flat, weight_sum, out=grads.flat)
        return float(value)

    def predict(self, coefs: Sequence[NDArray], intercepts: Sequence[NDArray],
                X, *, batch_norm: BatchNormParams | None = None) -> NDArray:
        """Output activations for ``X``, computed in bounded-memory chunks."""
        n = X.shape[0]
        dtype = np.result_type(X.dtype, coefs[0].dtype)
        chunk = max(1, _PREDICT_CHUNK_VALUES // max(self.layer_units[1:]))
        workspace = Workspace(self, min(n, chunk), dtype, training=False)
        if n <= chunk:
            return self.forward(coefs, intercepts, X, workspace, batch_norm=batch_norm)
        output = np.empty((n, self.layer_units[-1]), dtype=dtype)
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            output[start:stop] = self.forward(
                coefs, intercepts, X[start:stop], workspace, batch_norm=batch_norm
            )
        return output

    def predict_params(self, params: NDArray, X, norm_stats: NDArray | None = None
                       ) -> NDArray:
        """:meth:`predict` from the flat parameter vector (and statistics)."""
        return self.predict(*self.unpack(params), X,
                            batch_norm=self.unpack_batch_norm(params, norm_stats))
