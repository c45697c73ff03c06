r"""Loss functions: the value reported in ``loss_curve_`` and ∂L/∂a.

Each loss has a *canonical* output activation (its link): paired with it, the
error at the output layer simplifies to :math:`\delta^L = a^L - y`, which is
what the network uses. With any other output activation the general chain
rule :math:`\delta^L = \partial L/\partial a^L \odot \sigma'(z^L)` applies,
from :meth:`Loss.gradient` and the activation's ``backward``.

The values follow scikit-learn's ``sklearn.neural_network._base`` exactly
(they are what ``loss_curve_`` reports), including its conventions: the
squared error is *half* the mean squared error, averaged over outputs, and
the Poisson loss is half the Poisson deviance.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray
from scipy.special import xlogy

from ._params import ParamsMixin, make_registry

__all__ = [
    "LOSSES",
    "BinaryLogLoss",
    "LogLoss",
    "Loss",
    "PoissonLoss",
    "SquaredError",
]


def _output_means(values: NDArray, sample_weight: NDArray | None) -> NDArray:
    """Per-output (weighted) mean over the samples, as
    ``np.average(values, weights=sample_weight, axis=0)``: unweighted, the
    ``mean`` that ``np.average`` would call, without its overhead."""
    if sample_weight is None:  # what ndarray.mean computes: sum, then divide
        return np.add.reduce(values, axis=0) / values.shape[0]
    return np.average(values, weights=sample_weight, axis=0)


def _clip_probabilities(a: NDArray) -> NDArray:
    """A copy of ``a`` clipped to [ε, 1 − ε], ε the dtype's machine epsilon
    (what ``np.clip`` computes, in two direct ufunc calls)."""
    eps = np.finfo(a.dtype).eps
    clipped = np.maximum(a, eps)
    return np.minimum(clipped, 1 - eps, out=clipped)


class Loss(ParamsMixin, ABC):
    """Base class of every loss.

    Attributes
    ----------
    name : str or None
        The registry key of a built-in (``"log_loss"``); ``None`` for your
        own.
    canonical_activation : str
        Name (in :data:`skmlp.activations.ACTIVATIONS`) of the output
        activation for which δᴸ = a − y.
    """

    canonical_activation: ClassVar[str]

    @abstractmethod
    def value(
        self, y: NDArray, a: NDArray, sample_weight: NDArray | None = None
    ) -> float:
        """The loss of predictions ``a`` against targets ``y``.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
        a : ndarray of shape (n_samples, n_outputs)
            Output-layer activations.
        sample_weight : ndarray of shape (n_samples,), default=None

        Returns
        -------
        loss : float
        """

    @abstractmethod
    def gradient(self, y: NDArray, a: NDArray) -> NDArray:
        """∂ℓ/∂a for each sample (not averaged, unweighted).

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
        a : ndarray of shape (n_samples, n_outputs)

        Returns
        -------
        grad : ndarray of shape (n_samples, n_outputs)
        """


class SquaredError(Loss):
    r"""Half squared error, the regressor's default.

    Notes
    -----
    .. math:: L = \frac{1}{2 K} \sum_k \frac{\sum_i w_i (y_{ik} - a_{ik})^2}
              {\sum_i w_i}

    with :math:`K` outputs. The per-sample gradient is :math:`a - y`: as in
    scikit-learn, training follows :math:`K L` (the sum over outputs), whose
    gradient this is; ``loss_curve_`` reports :math:`L`.
    """

    name = "squared_error"
    canonical_activation = "identity"

    def value(self, y, a, sample_weight=None):
        squared = np.subtract(y, a)
        return 0.5 * _output_means(np.square(squared, out=squared),
                                   sample_weight).mean()

    def gradient(self, y, a):
        return a - y


class PoissonLoss(Loss):
    r"""Half Poisson deviance with the log link (``loss="poisson"``).

    Notes
    -----
    .. math:: L = \sum_k \frac{\sum_i w_i\,(y_{ik}\log(y_{ik}/a_{ik})
              - y_{ik} + a_{ik})}{\sum_i w_i},
              \qquad \frac{\partial \ell}{\partial a} = 1 - \frac{y}{a}.
    """

    name = "poisson"
    canonical_activation = "exp"

    def value(self, y, a, sample_weight=None):
        return _output_means(xlogy(y, y / a) - y + a, sample_weight).sum()

    def gradient(self, y, a):
        return 1 - y / a


class BinaryLogLoss(Loss):
    r"""Binary cross-entropy, per output (binary and multilabel classifiers).

    Notes
    -----
    With probabilities clipped to :math:`[\epsilon, 1-\epsilon]`,

    .. math:: L = -\sum_k \frac{\sum_i w_i\,(y_{ik}\log a_{ik} + (1-y_{ik})
              \log(1-a_{ik}))}{\sum_i w_i},
              \qquad \frac{\partial \ell}{\partial a} = \frac{a - y}{a(1-a)}.
    """

    name = "binary_log_loss"
    canonical_activation = "logistic"

    def value(self, y, a, sample_weight=None):
        a = _clip_probabilities(a)  # a copy: the terms are computed in place
        complement = np.subtract(1, a)
        values = xlogy(y, a, out=a)
        values += xlogy(1 - y, complement, out=complement)
        return -_output_means(values, sample_weight).sum()

    def gradient(self, y, a):
        return (a - y) / (a * (1 - a))


class LogLoss(Loss):
    r"""Categorical cross-entropy (multiclass classifiers, softmax outputs).

    Notes
    -----
    With one-hot targets and probabilities clipped to
    :math:`[\epsilon, 1-\epsilon]` (a single column is read as the
    probability of the positive class, as in scikit-learn),

    .. math:: L = -\frac{\sum_i w_i \sum_k y_{ik}\log a_{ik}}{\sum_i w_i},
              \qquad \frac{\partial \ell}{\partial a} = -\frac{y}{a}.
    """

    name = "log_loss"
    canonical_activation = "softmax"

    def value(self, y, a, sample_weight=None):
        a = _clip_probabilities(a)
        if a.shape[1] == 1:
            a = np.append(1 - a, a, axis=1)
        if y.shape[1] == 1:
            y = np.append(1 - y, y, axis=1)
        # ``a`` is a copy (clipped): the terms are computed in place.
        return -_output_means(xlogy(y, a, out=a), sample_weight).sum()

    def gradient(self, y, a):
        if a.shape[1] == 1:  # one column holds P(class 1); see ``value``
            return BinaryLogLoss().gradient(y, a)
        return -y / a


#: Every loss by name.
LOSSES: dict[str, type[Loss]] = make_registry(
    SquaredError, PoissonLoss, BinaryLogLoss, LogLoss
)
