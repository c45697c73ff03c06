"""MLPRegressorBP: a drop-in, extended ``sklearn.neural_network.MLPRegressor``."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils import column_or_1d
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array

from ._base import BaseMLP, _validate_params_every_call
from ._classifier import _uses_stochastic_solver
from ._docs import fill_method_docs, fill_shared_docs
from ._sample_weight import check_score_sample_weight

__all__ = ["MLPRegressorBP"]


@fill_shared_docs
class MLPRegressorBP(RegressorMixin, BaseMLP):
    """Multilayer perceptron regressor trained by backpropagation.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`:
    the same parameters with the same defaults, the same fitted attributes
    and, for the same ``random_state``, the same weights and loss curve.
    On top of it: any optimizer and learning-rate schedule by name or as an
    object, more activations, and a choice of weight initialisation.

    Parameters
    ----------
    loss : {"squared_error", "poisson"}, default="squared_error"
        The loss: half the squared error with an identity output, or half
        the Poisson deviance with an exponential output (log link), which
        requires ``y >= 0``.

    {common_parameters}

    Attributes
    ----------
    {common_attributes}

    See Also
    --------
    MLPClassifierBP : Multilayer perceptron classifier.
    sklearn.neural_network.MLPRegressor : The scikit-learn estimator this one
        reproduces.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from skmlp import MLPRegressorBP
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=0.1,
    ...                        random_state=0)
    >>> reg = MLPRegressorBP(hidden_layer_sizes=(32,), solver="lbfgs",
    ...                      max_iter=500, random_state=0).fit(X, y)
    >>> bool(reg.score(X, y) > 0.99)
    True
    """

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_init="sklearn",
        batch_norm=False,
        dropout=0.0,
        clip_grad_norm=None,
        clip_grad_value=None,
        callbacks=None,
    ):
        params = {k: v for k, v in locals().items() if k not in {"self", "__class__"}}
        super().__init__(**params)

    def _validate_targets(self, X, y, *, incremental, reset, classes=None):
        X, y = self._check_data(X, y, reset=reset, y_numeric=True)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' requires y >= 0; y has negative values.")
        return X, y.reshape(len(y), -1), {}

    def _encode_validation_targets(self, y_val, target_state, *, n_outputs):
        y_val = check_array(y_val, ensure_2d=False, dtype="numeric",
                            input_name="y_val")
        y_val = y_val.reshape(len(y_val), -1)
        if y_val.shape[1] != n_outputs:
            raise ValueError(
                f"y_val has {y_val.shape[1]} outputs, but y has {n_outputs}."
            )
        if self.loss == "poisson" and np.any(y_val < 0):
            raise ValueError(
                "loss='poisson' requires y_val >= 0; y_val has negative values."
            )
        return y_val

    def _output_spec(self, target_state):
        if self.loss == "poisson":
            return "exp", "poisson"
        return "identity", "squared_error"

    def _score_output(self, output, y, sample_weight, target_state):
        if not np.isfinite(output).all():
            return np.nan
        return r2_score(y, output, sample_weight=sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    @fill_method_docs
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None,
            sample_weight_val=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        {validation_parameters}

        Returns
        -------
        self : MLPRegressorBP
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False, X_val=X_val,
                         y_val=y_val, sample_weight_val=sample_weight_val)

    @available_if(_uses_stochastic_solver)
    @_validate_params_every_call
    @_fit_context(prefer_skip_nested_validation=True)
    @fill_method_docs
    def partial_fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None,
                    sample_weight_val=None):
        """Update the model with a single epoch over the given data.

        {partial_fit_validation}

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        {validation_parameters}

        Returns
        -------
        self : MLPRegressorBP
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, X_val=X_val,
                         y_val=y_val, sample_weight_val=sample_weight_val)

    def score(self, X, y, sample_weight=None) -> float:
        """Coefficient of determination :math:`R^2` of ``self.predict(X)``.

        scikit-learn's ``RegressorMixin.score`` (``r2_score`` averaged
        uniformly over the outputs), with ``sample_weight`` first checked as
        scikit-learn 1.9's ``r2_score`` checks it, on every supported
        scikit-learn version: non-finite, multi-dimensional or all-zero
        weights raise a ``ValueError`` (older versions divide by zero on
        all-zero weights).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The true targets of ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            :math:`R^2` of the predictions; 1.0 is a perfect fit.
        """
        check_score_sample_weight(sample_weight, y)
        return super().score(X, y, sample_weight=sample_weight)

    def predict(self, X):
        """Predict using the multilayer perceptron.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        output = self._forward(X)
        return output.ravel() if output.shape[1] == 1 else output
