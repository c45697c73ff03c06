r"""Weight initialisers: the starting point of training.

An initialiser draws the weights :math:`W` (shape ``(fan_in, fan_out)``) and
biases :math:`b` of one layer from the estimator's random state. Layers are
initialised in order, weights then biases, so a given ``random_state`` always
yields the same network.

``"sklearn"`` (the default) is scikit-learn's own rule, so that skmlp's
networks start exactly where scikit-learn's do. The others follow Glorot and
Bengio (2010) and He et al. (2015), with zero biases as is usual for them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from numpy.typing import DTypeLike, NDArray

from ._params import ParamsMixin, make_registry
from .activations import Activation, Logistic

__all__ = [
    "INITIALIZERS",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Initializer",
    "SklearnGlorotUniform",
]


class Initializer(ParamsMixin, ABC):
    """Base class of every weight initialiser.

    Attributes
    ----------
    name : str or None
        The registry key of a built-in (``"he_normal"``); ``None`` for your
        own.
    """

    @abstractmethod
    def __call__(
        self,
        fan_in: int,
        fan_out: int,
        *,
        activation: Activation,
        random_state: np.random.RandomState,
        dtype: DTypeLike,
    ) -> tuple[NDArray, NDArray]:
        """Draw the weights and biases of one layer.

        Parameters
        ----------
        fan_in, fan_out : int
            Units feeding into and out of the layer.
        activation : Activation
            The network's hidden activation.
        random_state : numpy.random.RandomState
        dtype : dtype
            The dtype of the returned arrays.

        Returns
        -------
        coef : ndarray of shape (fan_in, fan_out)
        intercept : ndarray of shape (fan_out,)
        """


class SklearnGlorotUniform(Initializer):
    r"""scikit-learn's variant of Glorot's uniform rule (``"sklearn"``).

    Notes
    -----
    Weights *and biases* are drawn from :math:`U(-r, r)` with
    :math:`r = \sqrt{6 / (n_{in} + n_{out})}`, or
    :math:`r = \sqrt{2 / (n_{in} + n_{out})}` when the hidden activation is
    logistic, exactly as ``sklearn.neural_network.MLPClassifier`` does.
    """

    name = "sklearn"

    def __call__(self, fan_in, fan_out, *, activation, random_state, dtype):
        """Draw W then b uniformly in ±r."""
        factor = 2.0 if isinstance(activation, Logistic) else 6.0
        bound = np.sqrt(factor / (fan_in + fan_out))
        coef = random_state.uniform(-bound, bound, (fan_in, fan_out))
        intercept = random_state.uniform(-bound, bound, fan_out)
        return coef.astype(dtype, copy=False), intercept.astype(dtype, copy=False)


class _ZeroBiasInitializer(Initializer):
    """Draw weights from a distribution of given scale; biases are zero."""

    @abstractmethod
    def _draw(self, fan_in: int, fan_out: int, random_state) -> NDArray:
        """Draw the weight matrix in float64."""

    def __call__(self, fan_in, fan_out, *, activation, random_state, dtype):
        """Draw W; b = 0."""
        coef = self._draw(fan_in, fan_out, random_state)
        return coef.astype(dtype, copy=False), np.zeros(fan_out, dtype=dtype)


class GlorotUniform(_ZeroBiasInitializer):
    r"""Glorot (Xavier) uniform: :math:`W \sim U(\pm\sqrt{6/(n_{in}+n_{out})})`.

    References
    ----------
    Glorot, X. and Bengio, Y. (2010). Understanding the difficulty of training
    deep feedforward neural networks. AISTATS.
    """

    name = "glorot_uniform"

    def _draw(self, fan_in, fan_out, random_state):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        return random_state.uniform(-bound, bound, (fan_in, fan_out))


class GlorotNormal(_ZeroBiasInitializer):
    r"""Glorot (Xavier) normal: :math:`W \sim N(0, 2/(n_{in}+n_{out}))`.

    References
    ----------
    Glorot, X. and Bengio, Y. (2010). Understanding the difficulty of training
    deep feedforward neural networks. AISTATS.
    """

    name = "glorot_normal"

    def _draw(self, fan_in, fan_out, random_state):
        std = np.sqrt(2.0 / (fan_in + fan_out))
        return random_state.normal(0.0, std, (fan_in, fan_out))


class HeUniform(_ZeroBiasInitializer):
    r"""He (Kaiming) uniform: :math:`W \sim U(\pm\sqrt{6/n_{in}})`.

    Suited to ReLU-family activations.

    References
    ----------
    He, K., Zhang, X., Ren, S. and Sun, J. (2015). Delving deep into
    rectifiers. ICCV. :arxiv:`1502.01852`
    """

    name = "he_uniform"

    def _draw(self, fan_in, fan_out, random_state):
        bound = np.sqrt(6.0 / fan_in)
        return random_state.uniform(-bound, bound, (fan_in, fan_out))


class HeNormal(_ZeroBiasInitializer):
    r"""He (Kaiming) normal: :math:`W \sim N(0, 2/n_{in})`.

    Suited to ReLU-family activations.

    References
    ----------
    He, K., Zhang, X., Ren, S. and Sun, J. (2015). Delving deep into
    rectifiers. ICCV. :arxiv:`1502.01852`
    """

    name = "he_normal"

    def _draw(self, fan_in, fan_out, random_state):
        std = np.sqrt(2.0 / fan_in)
        return random_state.normal(0.0, std, (fan_in, fan_out))


#: Built-in initialisers by name, for ``weight_init=<name>``.
INITIALIZERS: dict[str, type[Initializer]] = make_registry(
    SklearnGlorotUniform, GlorotUniform, GlorotNormal, HeUniform, HeNormal
)
