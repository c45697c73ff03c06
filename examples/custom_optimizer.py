"""Write your own optimizer and search its hyperparameters in GridSearchCV
=======================================================================

``Lion`` (Chen et al., 2023, "Symbolic discovery of optimization
algorithms") keeps one momentum buffer and steps by the *sign* of an
interpolation between momentum and gradient:

    u = sign(β₁ m + (1 − β₁) g),   θ ← θ − η u,   m ← β₂ m + (1 − β₂) g

A custom optimizer subclasses :class:`skmlp.optimizers.Optimizer`, stores its
hyperparameters in ``__init__``, returns its state (a NamedTuple of arrays)
from ``init_state`` and updates the flat parameter vector and the state's
arrays in place in ``step``, with ``scratch`` (a buffer shaped like the
parameters, handed in by the trainer) as work space. It is defined at module
level so it pickles for joblib workers.

Run: ``python examples/custom_optimizer.py``
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierBP
from skmlp.optimizers import Optimizer


class LionState(NamedTuple):
    """Lion's momentum buffer."""

    m: np.ndarray


class Lion(Optimizer):
    """The Lion optimizer (sign of an interpolated momentum).

    Parameters
    ----------
    beta_1 : float, default=0.9
        Interpolation between momentum and gradient for the step direction.
    beta_2 : float, default=0.99
        Decay of the momentum buffer.
    """

    def __init__(self, beta_1: float = 0.9, beta_2: float = 0.99):
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def init_state(self, params):
        """Zero momentum."""
        return LionState(m=np.zeros_like(params))

    def step(self, params, grads, state, *, learning_rate, scratch):
        """θ ← θ − η·sign(β₁m + (1−β₁)g); m ← β₂m + (1−β₂)g."""
        m = state.m  # NamedTuple fields can't be reassigned: update via a name
        direction = np.multiply(m, self.beta_1, out=scratch)
        direction += (1 - self.beta_1) * grads
        params -= learning_rate * np.sign(direction, out=direction)
        m *= self.beta_2
        m += (1 - self.beta_2) * grads
        return state


def main() -> GridSearchCV:
    """Grid-search Lion's betas and the learning rate on digits."""
    X, y = load_digits(return_X_y=True)
    model = make_pipeline(
        StandardScaler(),
        MLPClassifierBP(hidden_layer_sizes=(32,), solver=Lion(), max_iter=20,
                        random_state=0),
    )
    grid = {
        "mlpclassifierbp__solver__beta_1": [0.8, 0.9],
        "mlpclassifierbp__learning_rate_init": [1e-3, 3e-3],
    }
    search = GridSearchCV(model, grid, cv=3, n_jobs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    for params, score in zip(search.cv_results_["params"],
                             search.cv_results_["mean_test_score"]):
        print(f"{score:.4f}  {params}")
    print(f"best: {search.best_params_} -> {search.best_score_:.4f}")
    return search


if __name__ == "__main__":
    main()
