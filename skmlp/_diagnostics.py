"""Vanishing and exploding gradients, detected from ``history_``.

:func:`gradient_warnings` reads the per-layer gradient norms that stochastic
training records in every ``history_`` entry (``"grad_norms"``: for each
layer, the L2 norm of ∂J/∂W⁽ˡ⁾ averaged over the epoch's mini-batches) and
returns a message for each problem it finds; the estimator emits them as
``ConvergenceWarning`` at the end of ``fit``/``partial_fit``. The thresholds
are deliberately far from anything a healthy network produces, so that the
warnings mean something when they appear:

* **Vanishing** (:data:`VANISHING_RATIO` = 1e-4): a hidden layer whose
  gradient norm is below 1e-4 times the output layer's (the median of the
  per-epoch ratios). With plain SGD such a layer moves ten thousand times
  more slowly than the output layer: it is frozen near its initial values.
  Four orders of magnitude leave ample room for what layer sizes alone do to
  Frobenius norms (a factor √(entries ratio), about 10 for usual widths) and
  for the gentle decay across depth of healthy ReLU, tanh or shallow logistic
  networks (within about 10x); a logistic derivative is at most 1/4, so it
  takes about seven Glorot-initialised logistic layers to get there.
* **Exploding**, either

  - *huge* (:data:`EXPLODING_NORM` = 1e6): a layer's gradient norm above
    1e6 (or not finite) in some epoch. The loss is an average over samples,
    so on scaled data gradients are of order 1 or below; at 1e6 even a
    learning rate of 1e-4 moves a weight of order 1 by a hundred in a single
    SGD step. (Unscaled regression targets get there too; the remedy is the
    same family.)
  - *growing* (:data:`EXPLODING_GROWTH` = 1e3): the global gradient norm
    grew a thousandfold from the first epoch of the call while the loss did
    not decrease. Healthy training shrinks gradients as the loss falls; a
    network leaving a plateau may grow them, but then its loss falls, which
    the second condition rules out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "EXPLODING_GROWTH",
    "EXPLODING_NORM",
    "VANISHING_RATIO",
    "gradient_warnings",
]

#: A hidden layer vanishes when its gradient norm is below this fraction of
#: the output layer's (median over the epochs).
VANISHING_RATIO = 1e-4
#: A gradient norm above this, in any layer and epoch, is exploding.
EXPLODING_NORM = 1e6
#: Growth factor of the global gradient norm (first epoch to its peak), with
#: a loss that did not decrease, that counts as exploding.
EXPLODING_GROWTH = 1e3

_VANISHING_REMEDY = (
    "Use a ReLU-family activation (activation='relu', 'leaky_relu' or 'elu'), "
    "a variance-preserving initialisation (weight_init='he_normal' for ReLU, "
    "'glorot_uniform' (Xavier) for tanh or logistic), fewer layers, or "
    "batch_norm=True."
)
_EXPLODING_REMEDY = (
    "Clip the gradients (e.g. clip_grad_norm=1.0), lower learning_rate_init, "
    "scale the inputs and targets, use a variance-preserving initialisation "
    "(weight_init='he_normal' for ReLU, 'glorot_uniform' for tanh or "
    "logistic), or batch_norm=True."
)


def _layer_name(layer: int, n_layers: int) -> str:
    """1-based name of weight layer ``layer`` (0-based) of ``n_layers``."""
    if layer == n_layers - 1:
        return f"the output layer (layer {layer + 1})"
    return f"hidden layer {layer + 1}"


def _layer_list(layers: Sequence[int]) -> str:
    numbers = [layer + 1 for layer in layers]
    if len(numbers) == 1:
        return f"hidden layer {numbers[0]}"
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"hidden layers {numbers[0]}-{numbers[-1]}"
    return "hidden layers " + ", ".join(map(str, numbers))


def _column_medians(values: np.ndarray) -> np.ndarray:
    """``np.median(values, axis=0)`` for NaN-free values, the same numbers in
    a fraction of its overhead (a fit calls this once, on few epochs)."""
    values = np.sort(values, axis=0)
    middle = values.shape[0] // 2
    if values.shape[0] % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2


@np.errstate(invalid="ignore", over="ignore", divide="ignore")
def _vanishing(norms: np.ndarray, epochs: list[int]) -> str | None:
    """Hidden layers whose gradients are tiny next to the output layer's."""
    n_layers = norms.shape[1]
    output = norms[:, -1:]
    usable = (np.isfinite(norms).all(axis=1) & (output[:, 0] > 0))
    if n_layers < 2 or not usable.any():
        return None
    ratios = _column_medians(norms[usable, :-1] / output[usable])
    small = np.flatnonzero(ratios < VANISHING_RATIO)
    if not small.size:
        return None
    worst = small[np.argmin(ratios[small])]
    span = (f"epoch {epochs[0]}" if len(epochs) == 1
            else f"median over epochs {epochs[0]}-{epochs[-1]}")
    return (
        f"Vanishing gradients: the weight gradients of {_layer_list(small)} are "
        f"below {VANISHING_RATIO:g} times those of the output layer "
        f"({_layer_name(worst, n_layers)}: {ratios[worst]:.1e} times, {span}), "
        f"so {'it barely learns' if small.size == 1 else 'they barely learn'}. "
        + _VANISHING_REMEDY
    )


# inf and nan norms are possible (an overflowing epoch): no warnings about them.
@np.errstate(invalid="ignore", over="ignore", divide="ignore")
def _exploding(norms: np.ndarray, losses: np.ndarray,
               epochs: list[int]) -> str | None:
    """Gradients that are huge, or that grew by orders of magnitude."""
    n_layers = norms.shape[1]
    findings = []
    huge = ~(norms <= EXPLODING_NORM) & ~np.isnan(norms)  # inf counts
    if huge.any():
        epoch, layer = np.unravel_index(
            np.argmax(np.where(huge, norms, -np.inf)), norms.shape)
        findings.append(
            f"the gradient norm of {_layer_name(layer, n_layers)} reached "
            f"{norms[epoch, layer]:.1e} in epoch {epochs[epoch]} (above "
            f"{EXPLODING_NORM:g})"
        )
    total = np.sqrt(np.sum(np.square(norms), axis=1))
    if len(total) > 1 and np.isfinite(total[0]) and total[0] > 0:
        peak = int(np.nanargmax(np.where(np.isnan(total), -np.inf, total)))
        growth = total[peak] / total[0]
        if growth >= EXPLODING_GROWTH and not losses[peak] < losses[0]:
            layer = int(np.argmax(norms[peak] / np.where(norms[0] > 0, norms[0],
                                                         np.inf)))
            findings.append(
                f"the global gradient norm grew {growth:.1e}-fold from epoch "
                f"{epochs[0]} to epoch {epochs[peak]} (most in "
                f"{_layer_name(layer, n_layers)}) while the loss went from "
                f"{losses[0]:.3g} to {losses[peak]:.3g}"
            )
    if not findings:
        return None
    return "Exploding gradients: " + "; ".join(findings) + ". " + _EXPLODING_REMEDY


def _healthy(norms: Sequence[float]) -> bool:
    """Whether one epoch's norms trigger no rule: the rules for a single
    epoch (a ``partial_fit``) in plain Python, the same comparisons without
    NumPy's overhead. Growth needs two epochs."""
    output = norms[-1]
    return (all(norm <= EXPLODING_NORM for norm in norms)  # False for inf, nan
            and output > 0
            and all(norm / output >= VANISHING_RATIO for norm in norms[:-1]))


def gradient_warnings(history: Sequence[Mapping[str, Any]]) -> list[str]:
    """Messages about vanishing or exploding gradients in ``history``.

    Parameters
    ----------
    history : sequence of mapping
        The ``history_`` records of the epochs just trained (each with
        ``"epoch"``, ``"loss"`` and ``"grad_norms"``, the per-layer gradient
        norms).

    Returns
    -------
    messages : list of str
        One message per problem found (vanishing, exploding), naming the
        layers (1-based: "hidden layer k", "the output layer (layer L)") and
        suggesting remedies; empty for a healthy network. The criteria and
        their thresholds are described in the module docstring.

    Examples
    --------
    >>> from skmlp._diagnostics import gradient_warnings
    >>> healthy = [{"epoch": e, "loss": 1.0 / e, "grad_norms": [0.5, 0.3]}
    ...            for e in (1, 2, 3)]
    >>> gradient_warnings(healthy)
    []
    >>> deep = [{"epoch": 1, "loss": 2.3, "grad_norms": [1e-7, 1e-4, 0.2]}]
    >>> print(gradient_warnings(deep)[0][:69])
    Vanishing gradients: the weight gradients of hidden layer 1 are below
    """
    records = [r for r in history if len(r.get("grad_norms") or ()) > 0]
    if not records or (len(records) == 1 and _healthy(records[0]["grad_norms"])):
        return []
    norms = np.array([r["grad_norms"] for r in records], dtype=np.float64)
    losses = np.array([r.get("loss", np.nan) for r in records], dtype=np.float64)
    epochs = [r.get("epoch", i + 1) for i, r in enumerate(records)]
    messages = [_vanishing(norms, epochs), _exploding(norms, losses, epochs)]
    return [message for message in messages if message is not None]

