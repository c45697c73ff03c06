"""skmlp: scikit-learn-native multilayer perceptrons in pure NumPy.

``MLPClassifierBP`` and ``MLPRegressorBP`` are drop-in replacements for
scikit-learn's ``MLPClassifier`` and ``MLPRegressor`` (same parameters,
defaults and fitted attributes, same results), built on an explicit
backpropagation core, with pluggable optimizers (:mod:`skmlp.optimizers`),
learning-rate schedules (:mod:`skmlp.schedulers`), activations
(:mod:`skmlp.activations`) and weight initialisers
(:mod:`skmlp.initializers`).
"""

from ._classifier import MLPClassifierBP
from ._regressor import MLPRegressorBP

__version__ = "0.1.0"

__all__ = ["MLPClassifierBP", "MLPRegressorBP", "__version__"]
