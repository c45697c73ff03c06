"""Memory of ``fit``: what it holds does not grow with the data's one-hot
width in int64, nor with the number of epochs.

Measured with ``tracemalloc``, which sees NumPy's data buffers; only memory
allocated during the call counts (the data passed in is not).
"""

from __future__ import annotations

import gc
import tracemalloc
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skmlp import MLPClassifierBP, MLPRegressorBP


def fit_peak_bytes(estimator, X, y) -> int:
    """Peak memory allocated while ``estimator.fit(X, y)`` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X, y)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_class_targets_never_exist_as_int64_one_hot(dtype):
    """The one-hot targets are built as booleans: the int64 matrix that
    ``LabelBinarizer.transform`` returns would alone take 8·n·k bytes."""
    n_samples, n_classes = 20_000, 10
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_samples, 4)).astype(dtype)
    y = rng.integers(0, n_classes, n_samples)
    clf = MLPClassifierBP(hidden_layer_sizes=(3,), max_iter=1, random_state=0)
    peak = fit_peak_bytes(clf, X, y)
    assert peak < 8 * n_samples * n_classes
    assert clf.score(X, y) > 0  # it did train


@pytest.mark.parametrize("batch_norm", [False, True])
def test_restore_points_do_not_pile_up_over_epochs(batch_norm):
    """The best epoch is kept as a restore point, copied when the next epoch
    starts, and older copies are freed: more epochs peak within less than
    one copy of the training state (weights and Adam's two moments) of
    fewer. A call's last epoch is kept without a copy: one epoch peaks well
    below two.
    """
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 50))
    y = X[:, 0] - X[:, 1]
    peaks = []
    for max_iter in (1, 2, 6):
        reg = MLPRegressorBP(hidden_layer_sizes=(300, 300), max_iter=max_iter,
                             batch_size=64, tol=0.0, n_iter_no_change=100,
                             random_state=0, batch_norm=batch_norm)
        peaks.append(fit_peak_bytes(reg, X, y))
        assert reg.n_iter_ == max_iter
    n_params = sum(c.size for c in reg.coefs_) + sum(b.size for b in reg.intercepts_)
    state_bytes = 3 * n_params * X.itemsize
    assert peaks[2] - peaks[1] < 0.5 * state_bytes
    assert peaks[1] - peaks[0] > 0.5 * state_bytes
