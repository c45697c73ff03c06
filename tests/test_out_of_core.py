"""Out-of-core training: ``partial_fit`` over chunks of a data set that is
never in memory as a whole (a memory-mapped ``.npy`` file written chunk by
chunk in ``tmp_path``) reaches the quality of an in-memory ``fit``.

The stated margin: on a held-out set, the streamed model's accuracy (R² for
the regressor) is at most ``MARGIN = 0.03`` below that of ``fit`` on the
whole training set with the same hyperparameters and number of epochs, and
well above chance.
"""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierBP, MLPRegressorBP

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

MARGIN = 0.03
N_FEATURES, CHUNK = 10, 1000
EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"


def _teacher():
    rng = np.random.RandomState(7)
    return (rng.standard_normal((N_FEATURES, 8)), rng.standard_normal((8, 3)),
            10.0 ** rng.uniform(-1, 2, N_FEATURES))


def write_memmap(path_prefix: pathlib.Path, n_samples: int, kind: str, seed: int):
    """Write a data set chunk by chunk (never all of it in memory) and open it
    again as read-only memory maps."""
    W1, W2, scales = _teacher()
    X_path = path_prefix.with_name(path_prefix.name + "_X.npy")
    y_path = path_prefix.with_name(path_prefix.name + "_y.npy")
    X_out = np.lib.format.open_memmap(X_path, mode="w+", shape=(n_samples, N_FEATURES))
    y_out = np.lib.format.open_memmap(y_path, mode="w+", shape=(n_samples,),
                                      dtype=np.int64 if kind == "classifier"
                                      else np.float64)
    rng = np.random.RandomState(seed)
    for start in range(0, n_samples, CHUNK):
        Z = rng.standard_normal((min(CHUNK, n_samples - start), N_FEATURES))
        scores = np.tanh(Z @ W1) @ W2
        y_out[start:start + len(Z)] = (scores.argmax(axis=1) if kind == "classifier"
                                       else scores[:, 0] + 0.1 * rng.standard_normal(
                                           len(Z)))
        X_out[start:start + len(Z)] = Z * scales
    X_out.flush()
    y_out.flush()
    del X_out, y_out
    return np.load(X_path, mmap_mode="r"), np.load(y_path, mmap_mode="r")


def chunks(X, y, *, order=None):
    """The data, one chunk in memory at a time."""
    starts = np.arange(0, X.shape[0], CHUNK)
    if order is not None:
        order.shuffle(starts)
    for start in starts:
        yield np.array(X[start:start + CHUNK]), np.array(y[start:start + CHUNK])


@pytest.fixture
def rows_per_call(monkeypatch):
    """The number of rows of every partial_fit call; fit is forbidden."""
    seen = []
    for Estimator in (MLPClassifierBP, MLPRegressorBP):
        original = Estimator.partial_fit

        def partial_fit(self, X, y, *args, _original=original, **kwargs):
            seen.append(len(X))
            return _original(self, X, y, *args, **kwargs)

        monkeypatch.setattr(Estimator, "partial_fit", partial_fit)
    return seen


MODEL = dict(hidden_layer_sizes=(24,), solver="adam", learning_rate_init=0.003,
             batch_size=100, random_state=0)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_streaming_reaches_in_memory_quality(kind, tmp_path, rows_per_call):
    Estimator = MLPClassifierBP if kind == "classifier" else MLPRegressorBP
    n_train, epochs = 12 * CHUNK, 6
    X, y = write_memmap(tmp_path / "train", n_train, kind, seed=0)
    X_test, y_test = write_memmap(tmp_path / "test", 3 * CHUNK, kind, seed=1)
    assert isinstance(X, np.memmap)

    scaler = StandardScaler()
    for X_chunk, _ in chunks(X, y):
        scaler.partial_fit(X_chunk)
    streamed = Estimator(**MODEL)
    extra = {"classes": np.arange(3)} if kind == "classifier" else {}
    order = np.random.RandomState(0)
    for _ in range(epochs):
        for X_chunk, y_chunk in chunks(X, y, order=order):
            streamed.partial_fit(scaler.transform(X_chunk), y_chunk, **extra)
    assert max(rows_per_call) == CHUNK and len(rows_per_call) == epochs * 12
    assert streamed.t_ == epochs * n_train

    # The baseline holds everything in memory.
    full_scaler = StandardScaler().fit(np.asarray(X))
    in_memory = Estimator(**MODEL, max_iter=epochs).fit(full_scaler.transform(X), y)
    streamed_score = streamed.score(scaler.transform(X_test), y_test)
    in_memory_score = in_memory.score(full_scaler.transform(X_test), y_test)
    assert streamed_score >= in_memory_score - MARGIN, (streamed_score,
                                                        in_memory_score)
    assert streamed_score > (0.75 if kind == "classifier" else 0.8)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_memory_mapped_chunks_train_like_arrays(kind, tmp_path):
    """Memory-mapped slices go straight into partial_fit, with the very same
    result as the same rows held in memory."""
    Estimator = MLPClassifierBP if kind == "classifier" else MLPRegressorBP
    X, y = write_memmap(tmp_path / "data", 4 * CHUNK, kind, seed=0)
    extra = {"classes": np.arange(3)} if kind == "classifier" else {}
    from_map, from_memory = Estimator(**MODEL), Estimator(**MODEL)
    X_memory, y_memory = np.array(X), np.array(y)
    for start in range(0, X.shape[0], CHUNK):
        rows = slice(start, start + CHUNK)
        from_map.partial_fit(X[rows], y[rows], **extra)
        from_memory.partial_fit(X_memory[rows], y_memory[rows], **extra)
    for ours, theirs in zip(from_map.coefs_ + from_map.intercepts_,
                            from_memory.coefs_ + from_memory.intercepts_, strict=True):
        assert_array_equal(ours, theirs, strict=True)
    assert_array_equal(from_map.predict(X), from_memory.predict(X_memory))


def _load_example():
    spec = importlib.util.spec_from_file_location("out_of_core",
                                                  EXAMPLES / "out_of_core.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_out_of_core_example_runs(tmp_path, capsys, rows_per_call):
    results = _load_example().main(["--n-samples", "12000", "--chunk-size", "1500",
                                    "--epochs", "4", "--directory", str(tmp_path)])
    output = capsys.readouterr().out
    assert (tmp_path / "train_X.npy").stat().st_size >= 12000 * 20 * 8
    # Streamed one chunk at a time, every epoch (the baseline uses fit).
    assert set(rows_per_call) == {1500} and len(rows_per_call) == 4 * 8 * (
        2 if "dask_ml" in results else 1)
    assert results["streaming"] >= results["in_memory"] - MARGIN
    assert results["streaming"] > 0.7
    assert "partial_fit over chunks" in output and "fit in memory" in output
    if importlib.util.find_spec("dask_ml") is None:
        assert "dask_ml is not installed" in output and "dask_ml" not in results
    else:
        assert results["dask_ml"] >= results["in_memory"] - MARGIN
