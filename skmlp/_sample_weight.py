"""Sample-weight validation: scikit-learn 1.9's rules on every supported version.

scikit-learn 1.9 refuses all-zero sample weights (in its estimators and its
metrics) and non-finite ones (in its metrics too); earlier versions let an
all-zero ``sample_weight`` through to training, where Adam "trained" on a
zero loss and L-BFGS divided by zero, and let ``score`` return ``nan`` for
non-finite weights. skmlp does not depend on the installed version for
this: it checks the weights itself, with scikit-learn 1.9's messages.

Negative weights are allowed, as scikit-learn's MLPs allow them.
"""

from __future__ import annotations

from numbers import Number

import numpy as np
from numpy.typing import DTypeLike, NDArray
from sklearn.utils.validation import _num_samples, check_array

__all__ = ["check_sample_weight", "check_score_sample_weight"]


def check_sample_weight(sample_weight, n_samples: int, *,
                        dtype: DTypeLike | None = None,
                        input_name: str = "sample_weight") -> NDArray:
    """Validate the ``sample_weight`` of a fit as scikit-learn 1.9 does.

    The rules and messages of scikit-learn 1.9's ``_check_sample_weight``
    (without ``ensure_non_negative``), in its order: a number stands for
    that weight on every sample; an array must be finite ("Input
    sample_weight contains NaN.", "Input sample_weight contains infinity
    ..."), one-dimensional and of length ``n_samples``; and the weights
    must not all be zero.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or number
        The weights to check.
    n_samples : int
        The number of samples they weigh.
    dtype : dtype, default=None
        The dtype of the result; None keeps float32 and float64 and converts
        anything else to float64.
    input_name : str, default="sample_weight"
        The parameter's name in the messages (``"sample_weight_val"`` for
        validation weights).

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,)
        The weights, C-contiguous.

    Raises
    ------
    ValueError
        If the weights break one of the rules.
    """
    if isinstance(sample_weight, Number):
        sample_weight = np.full(n_samples, sample_weight, dtype=dtype)
    else:
        sample_weight = check_array(
            sample_weight, accept_sparse=False, ensure_2d=False,
            dtype=[np.float64, np.float32] if dtype is None else dtype,
            order="C", input_name=input_name,
        )
        _check_one_dimensional(sample_weight, n_samples)
        if sample_weight.shape != (n_samples,):
            raise ValueError(
                f"{input_name}.shape == {sample_weight.shape}, expected "
                f"{(n_samples,)}!"
            )
    _check_not_all_zero(sample_weight, input_name)
    return sample_weight


def check_score_sample_weight(sample_weight, y) -> None:
    """Check the ``sample_weight`` of ``score`` as scikit-learn 1.9's metrics do.

    What scikit-learn 1.9's ``accuracy_score`` and ``r2_score`` refuse and
    earlier versions let through, with 1.9's messages: non-finite weights,
    weights that are not one-dimensional, all-zero weights. What every
    supported version refuses alike is left to the metric: a number (not an
    array-like) and a length other than ``y``'s.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
        The weights to check; None passes.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The true targets they weigh.

    Raises
    ------
    ValueError
        If the weights break one of the rules.
    """
    if sample_weight is None or isinstance(sample_weight, Number):
        return
    n_samples = _num_samples(y)
    if _num_samples(sample_weight) != n_samples:
        return
    sample_weight = check_array(sample_weight, accept_sparse=False,
                                ensure_2d=False, dtype=None,
                                input_name="sample_weight")
    _check_one_dimensional(sample_weight, n_samples)
    _check_not_all_zero(sample_weight)


def _check_one_dimensional(sample_weight: NDArray, n_samples: int) -> None:
    if sample_weight.ndim != 1:
        raise ValueError(
            f"Sample weights must be 1D array or scalar, got "
            f"{sample_weight.ndim}D array. Expected either a scalar value "
            f"or a 1D array of length {n_samples}."
        )


def _check_not_all_zero(sample_weight: NDArray,
                        input_name: str = "sample_weight") -> None:
    if np.all(sample_weight == 0):
        what = ("Sample weights" if input_name == "sample_weight"
                else f"The weights in {input_name}")
        raise ValueError(f"{what} must contain at least one non-zero number.")
