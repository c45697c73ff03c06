"""MLPClassifierBP: a drop-in, extended ``sklearn.neural_network.MLPClassifier``."""

from __future__ import annotations

import copy

import numpy as np
from numpy.typing import NDArray
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import column_or_1d
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_array

from ._base import BaseMLP, _validate_params_every_call
from ._docs import fill_method_docs, fill_shared_docs
from ._lbfgs import uses_lbfgs
from ._sample_weight import check_score_sample_weight

__all__ = ["MLPClassifierBP"]


def _indicator_matrix(binarizer: LabelBinarizer, y) -> NDArray:
    """``binarizer.transform(y).astype(bool)``: the boolean target matrix.

    Single-output labels that are all classes of ``binarizer`` are looked
    up among its sorted ``classes_`` by binary search: one column
    (``y == classes_[1]``) for two classes, one-hot otherwise, in a fraction
    of the time and memory of ``transform`` (which checks ``y`` again and
    goes through an integer matrix). Other targets go through ``transform``,
    via a sparse matrix rather than its dense int64 intermediate (eight
    times the memory of the result).
    """
    classes = binarizer.classes_
    single_output = binarizer.y_type_ in ("binary", "multiclass")
    if y.ndim == 1 and single_output and len(classes) > 1:
        positions = np.searchsorted(classes, y)
        np.minimum(positions, len(classes) - 1, out=positions)
        if (classes[positions] == y).all():
            if len(classes) == 2:
                return (positions == 1)[:, np.newaxis]
            return positions[:, np.newaxis] == np.arange(len(classes))
    sparse_binarizer = copy.copy(binarizer)
    sparse_binarizer.sparse_output = True
    return sparse_binarizer.transform(y).astype(bool).toarray()


def _decode(binarizer: LabelBinarizer, Y: NDArray):
    """``binarizer.inverse_transform`` of a 2-D ``Y``, network outputs or
    an indicator matrix, without its input checks (a few microseconds instead
    of tens): the class of the largest column (multiclass), or the second
    class where the column exceeds 0.5 (binary). Other targets go through
    the binarizer."""
    classes = binarizer.classes_
    if not binarizer.sparse_input_:
        if binarizer.y_type_ == "multiclass":
            return classes.take(Y.argmax(axis=1))
        if binarizer.y_type_ == "binary" and classes.shape[0] == 2:
            return classes.take((Y[:, 0] > 0.5).astype(np.intp))
    return binarizer.inverse_transform(Y.ravel() if Y.shape[1] == 1 else Y)


def _uses_stochastic_solver(estimator) -> bool:
    if uses_lbfgs(estimator):
        raise AttributeError(
            "partial_fit is only available for stochastic optimizers. "
            f"{estimator.solver} is not stochastic."
        )
    return True


@fill_shared_docs
class MLPClassifierBP(ClassifierMixin, BaseMLP):
    """Multilayer perceptron classifier trained by backpropagation.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`:
    the same parameters with the same defaults, the same fitted attributes
    and, for the same ``random_state``, the same weights and loss curve.
    On top of it: any optimizer and learning-rate schedule by name or as an
    object, more activations, and a choice of weight initialisation.

    The output layer is softmax for multiclass targets and logistic for
    binary and multilabel targets, trained on the cross-entropy.

    Parameters
    ----------
    {common_parameters}
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``: a dict
        ``{class_label: weight}``, or ``"balanced"`` for
        ``n_samples / (n_classes * np.bincount(y))``. Single-output targets
        only; ``partial_fit`` needs a dict. New in skmlp.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels for each output.

    {common_attributes}

    See Also
    --------
    MLPRegressorBP : Multilayer perceptron regressor.
    sklearn.neural_network.MLPClassifier : The scikit-learn estimator this
        one reproduces.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skmlp import MLPClassifierBP
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifierBP(hidden_layer_sizes=(16,), solver="lbfgs",
    ...                       random_state=0).fit(X, y)
    >>> clf.predict(X[:2])
    array([0, 0])
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
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
        class_weight=None,
    ):
        params = {k: v for k, v in locals().items() if k not in {"self", "__class__"}}
        super().__init__(**params)

    # -- targets --------------------------------------------------------------

    def _validate_targets(self, X, y, *, incremental, reset, classes=None):
        X, y = self._check_data(X, y, reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)

        fitted_before = hasattr(self, "classes_")
        if incremental and not fitted_before:
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit."
                )
            known, y_classes = unique_labels(classes), unique_labels(y)
            if len(np.setdiff1d(y_classes, known, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{known}. 'y' has {y_classes}."
                )
            binarizer = LabelBinarizer().fit(
                y if type_of_target(y).startswith("multilabel") else classes
            )
        elif not fitted_before or (not self.warm_start and not incremental):
            binarizer = LabelBinarizer().fit(y)
        else:
            binarizer = self._label_binarizer
            self._check_known_classes(unique_labels(y), classes, incremental)
        return X, _indicator_matrix(binarizer, y), {
            "_label_binarizer": binarizer,
            "classes_": binarizer.classes_,
        }

    def _check_known_classes(self, y_classes, classes, incremental) -> None:
        if incremental and classes is not None and not np.array_equal(
            self.classes_, unique_labels(classes)
        ):
            raise ValueError(
                f"`classes={classes!r}` is not the same as on last call to "
                f"partial_fit, was: {self.classes_!r}"
            )
        if self.warm_start and not incremental:
            if set(y_classes) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes "
                    f"as in the previous call to fit. Previously got "
                    f"{self.classes_}, `y` has {y_classes}"
                )
        elif len(np.setdiff1d(y_classes, self.classes_, assume_unique=True)):
            raise ValueError(
                f"`y` has classes not in `self.classes_`. `self.classes_` has "
                f"{self.classes_}. 'y' has {y_classes}."
            )

    def _encode_validation_targets(self, y_val, target_state, *, n_outputs):
        y_val = check_array(y_val, ensure_2d=False, dtype=None, input_name="y_val")
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val, warn=True)
        binarizer = target_state["_label_binarizer"]
        if binarizer.y_type_.startswith("multilabel"):
            if y_val.ndim != 2 or y_val.shape[1] != n_outputs:
                raise ValueError(
                    f"y_val must be a label-indicator matrix with {n_outputs} "
                    f"columns, as y is; got shape {y_val.shape}."
                )
        else:
            unknown = np.setdiff1d(unique_labels(y_val), binarizer.classes_)
            if len(unknown):
                raise ValueError(
                    f"y_val has classes not in y: {unknown}. The classes of y "
                    f"are {binarizer.classes_}."
                )
        return _indicator_matrix(binarizer, y_val)

    def _weigh_classes(self, sample_weight, Y, target_state, *, incremental, dtype):
        if self.class_weight is None:
            return sample_weight
        binarizer = target_state["_label_binarizer"]
        if binarizer.y_type_.startswith("multilabel"):
            raise ValueError("class_weight is not supported for multilabel targets.")
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit (one "
                "chunk's class frequencies are not the data's); pass a dict."
            )
        labels = _decode(binarizer, Y)
        weights = compute_sample_weight(self.class_weight, labels).astype(dtype)
        if sample_weight is not None:
            weights *= sample_weight
        if not np.any(weights):
            raise ValueError(
                f"With class_weight={self.class_weight!r}, every sample has a "
                "weight of zero: sample weights must contain at least one "
                "non-zero number."
            )
        return weights

    def _output_spec(self, target_state):
        if target_state["_label_binarizer"].y_type_ == "multiclass":
            return "softmax", "log_loss"
        return "logistic", "binary_log_loss"

    def _score_output(self, output, y, sample_weight, target_state):
        if not np.isfinite(output).all():
            return np.nan
        binarizer = target_state["_label_binarizer"]
        return accuracy_score(_decode(binarizer, y), _decode(binarizer, output),
                              sample_weight=sample_weight)

    # -- public API -----------------------------------------------------------

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
            Class labels, or a label-indicator matrix for multilabel targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        {validation_parameters}

        Returns
        -------
        self : MLPClassifierBP
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False, X_val=X_val,
                         y_val=y_val, sample_weight_val=sample_weight_val)

    @available_if(_uses_stochastic_solver)
    @_validate_params_every_call
    @_fit_context(prefer_skip_nested_validation=True)
    @fill_method_docs
    def partial_fit(self, X, y, sample_weight=None, classes=None, *, X_val=None,
                    y_val=None, sample_weight_val=None):
        """Update the model with a single epoch over the given data.

        {partial_fit_validation}

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        classes : array of shape (n_classes,), default=None
            Classes across all calls to partial_fit; required on the first
            call, optional afterwards.
        {validation_parameters}

        Returns
        -------
        self : MLPClassifierBP
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes,
                         X_val=X_val, y_val=y_val,
                         sample_weight_val=sample_weight_val)

    def score(self, X, y, sample_weight=None) -> float:
        """Mean accuracy of ``self.predict(X)`` against ``y``.

        scikit-learn's ``ClassifierMixin.score``, with ``sample_weight``
        first checked as scikit-learn 1.9's ``accuracy_score`` checks it, on
        every supported scikit-learn version: non-finite, multi-dimensional
        or all-zero weights raise a ``ValueError`` (older versions let some
        through, to a ``nan`` score or a division by zero).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The true labels of ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            The (weighted) fraction of samples whose labels are predicted
            exactly; for multilabel targets, whose label sets are.
        """
        check_score_sample_weight(sample_weight, y)
        return super().score(X, y, sample_weight=sample_weight)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        output = self._forward(X)  # first: it raises NotFittedError
        return _decode(self._label_binarizer, output)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of ``classes_``.
        """
        output = self._forward(X)
        if self.n_outputs_ == 1:
            return np.hstack([1 - output, output])
        return output

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        y_prob = self.predict_proba(X)
        return np.log(y_prob, out=y_prob)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

