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
from skmlp._network import Network, Workspace
from skmlp._trainer import UFUNC_BUFFER_SIZE, BatchSampler
from skmlp.activations import Identity, ReLU
from skmlp.callbacks import Callback
from skmlp.losses import LOSSES


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


def _allocated_bytes(fn) -> int:
    """Peak bytes allocated while ``fn()`` runs."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_gathering_a_batch_allocates_nothing():
    """Rows are gathered straight into the batch buffers (``take`` in its
    default mode would go through a temporary as large as the batch)."""
    rng = np.random.default_rng(0)
    X, Y, sw = rng.random((500, 40)), rng.random((500, 3)) > 0.5, rng.random(500)
    sampler = BatchSampler(X, Y, sw, batch_size=200)
    index = rng.permutation(500)[:200]
    assert _allocated_bytes(lambda: sampler.take(index)) < 1000
    X_b, Y_b, sw_b = sampler.take(index)
    np.testing.assert_array_equal(X_b, X[index])
    np.testing.assert_array_equal(Y_b, Y[index])
    np.testing.assert_array_equal(sw_b, sw[index])


@pytest.mark.parametrize("name, n_outputs, n_temporaries", [
    ("log_loss", 10, 1),  # the clipped copy of the probabilities
    ("log_loss", 1, 3),  # one column: the clipped P(1), [P(0), P(1)], [1-y, y]
    ("binary_log_loss", 3, 3),  # clipped copy, its complement, 1 - y
    ("squared_error", 3, 1),  # the residuals
])
def test_loss_values_need_few_temporaries(name, n_outputs, n_temporaries):
    """A loss value costs a few arrays of the outputs' size, computed in
    place, plus NumPy's cast buffers for boolean targets: less than half
    an output array (133 KB of 480 KB on NumPy 2.2), so one more temporary
    shows."""
    rng = np.random.default_rng(0)
    a = rng.uniform(0.01, 0.99, (20_000, n_outputs))
    y = rng.random((20_000, n_outputs)) > 0.5
    loss = LOSSES[name]()
    allowed = (n_temporaries * (2 if n_outputs == 1 else 1) + 0.5) * a.nbytes
    assert _allocated_bytes(lambda: loss.value(y, a)) < allowed


def test_epochs_run_with_small_ufunc_buffers():
    """An epoch runs with NumPy's ufunc buffers at UFUNC_BUFFER_SIZE, and the
    setting ends with the epoch."""
    seen = []

    class BufferSpy(Callback):
        def on_batch_end(self, estimator, **kwargs):
            seen.append(np.getbufsize())

    before = np.getbufsize()
    X = np.random.default_rng(0).standard_normal((50, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPRegressorBP(max_iter=2, batch_size=10, callbacks=[BufferSpy()]).fit(
            X, X[:, 0])
    assert seen == [UFUNC_BUFFER_SIZE] * 10
    assert np.getbufsize() == before != UFUNC_BUFFER_SIZE


def test_the_optimizer_scratch_lives_in_the_error_terms_when_they_are_large():
    network = Network([20, 30, 5], ReLU(), Identity())
    roomy = Workspace(network, 64, np.float64, training=True)
    scratch = roomy.spare(network.n_params)
    assert scratch.shape == (network.n_params,)
    assert np.shares_memory(scratch, roomy.delta[0])
    cramped = Workspace(network, 4, np.float64, training=True)  # 140 < 785 values
    assert not any(np.shares_memory(cramped.spare(network.n_params), delta)
                   for delta in cramped.delta)


def _retained_bytes(fn) -> int:
    """Memory still allocated after ``fn()`` returns, its result dropped.

    No garbage collection runs in between: a full collection also empties
    CPython's free lists, which is what this looks for.
    """
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("learning_rate", ["constant", "invscaling", "adaptive"])
def test_fit_leaves_nothing_behind_that_grows_with_its_mini_batches(learning_rate):
    """Training state is rebuilt a few times per mini-batch; a fit of 800
    mini-batches leaves no more behind than one of 8.

    ``NamedTuple._replace`` would leave one tuple per update in CPython's
    tuple free list (``skmlp._states``): 2000 per length, about 250 KB here.
    """
    X = np.random.default_rng(0).standard_normal((40, 2))
    y = X[:, 0] > 0

    def fit(max_iter):
        def run():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                MLPClassifierBP(hidden_layer_sizes=(2,), solver="sgd", batch_size=5,
                                learning_rate=learning_rate, max_iter=max_iter,
                                tol=0.0, n_iter_no_change=max_iter,
                                random_state=0).fit(X, y)
        return run

    fit(1)()  # first-call caches
    assert _retained_bytes(fit(100)) - _retained_bytes(fit(1)) < 16_000
