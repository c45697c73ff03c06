"""Out of core: ``partial_fit`` over chunks of a memory-mapped file
================================================================

Trains on a data set that is never in memory as a whole.

1. A synthetic 3-class problem (labels from a fixed random "teacher"
   network, features on mixed scales) is written to ``.npy`` files on disk
   chunk by chunk: no more than one chunk is ever generated at a time.
2. A first streaming pass fits a ``StandardScaler`` with ``partial_fit``.
3. Every epoch visits the chunks in a new random order; each chunk is read
   from the memory map (only its pages are loaded), scaled, and given to
   ``MLPClassifierBP.partial_fit`` (one epoch over the chunk, in
   mini-batches).
4. For comparison, the same model is fitted on the whole training set in
   memory with ``fit`` (skip it with ``--no-baseline`` when the data does not
   fit in memory), and both are scored on a held-out test file.

With ``dask_ml`` installed (it is not a dependency of skmlp), the same
stream also goes through ``dask_ml.wrappers.Incremental`` over a dask array
backed by the memory map.

Run: ``python examples/out_of_core.py [--n-samples N] [--chunk-size C]
[--epochs E] [--directory DIR] [--no-baseline]``
"""

from __future__ import annotations

import argparse
import importlib.util
import pathlib
import tempfile
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierBP

N_FEATURES, N_CLASSES = 20, 3
MODEL = dict(hidden_layer_sizes=(32,), solver="adam", learning_rate_init=0.003,
             batch_size=100, random_state=0)


def write_dataset(directory: pathlib.Path, name: str, n_samples: int, *,
                  chunk_size: int, seed: int) -> tuple[np.memmap, np.memmap]:
    """Write ``n_samples`` rows to ``<name>_X.npy``/``<name>_y.npy``, one
    chunk at a time; return them opened as read-only memory maps."""
    teacher = np.random.RandomState(12345)  # the same problem for every file
    W1 = teacher.standard_normal((N_FEATURES, 16))
    W2 = teacher.standard_normal((16, N_CLASSES))
    scales = 10.0 ** teacher.uniform(-2, 3, N_FEATURES)  # unscaled features
    offsets = teacher.uniform(-100, 100, N_FEATURES)

    X_path, y_path = directory / f"{name}_X.npy", directory / f"{name}_y.npy"
    X_file = np.lib.format.open_memmap(X_path, mode="w+", dtype=np.float64,
                                       shape=(n_samples, N_FEATURES))
    y_file = np.lib.format.open_memmap(y_path, mode="w+", dtype=np.int64,
                                       shape=(n_samples,))
    rng = np.random.RandomState(seed)
    for start in range(0, n_samples, chunk_size):
        stop = min(start + chunk_size, n_samples)
        Z = rng.standard_normal((stop - start, N_FEATURES))
        y_file[start:stop] = np.argmax(np.tanh(Z @ W1) @ W2, axis=1)
        X_file[start:stop] = Z * scales + offsets
    X_file.flush()
    y_file.flush()
    del X_file, y_file
    return np.load(X_path, mmap_mode="r"), np.load(y_path, mmap_mode="r")


def iter_chunks(X: np.ndarray, y: np.ndarray, chunk_size: int,
                rng: np.random.RandomState | None = None):
    """Yield ``(X_chunk, y_chunk)`` in memory, one chunk at a time (in a
    random order of chunks when ``rng`` is given)."""
    starts = np.arange(0, X.shape[0], chunk_size)
    if rng is not None:
        rng.shuffle(starts)
    for start in starts:
        yield (np.array(X[start:start + chunk_size]),
               np.array(y[start:start + chunk_size]))


def train_streaming(X, y, *, chunk_size: int, epochs: int, classes) -> tuple:
    """Scaler and classifier fitted chunk by chunk; return both."""
    scaler = StandardScaler()
    for X_chunk, _ in iter_chunks(X, y, chunk_size):
        scaler.partial_fit(X_chunk)
    model = MLPClassifierBP(**MODEL)
    order = np.random.RandomState(0)
    for _ in range(epochs):
        for X_chunk, y_chunk in iter_chunks(X, y, chunk_size, order):
            model.partial_fit(scaler.transform(X_chunk), y_chunk, classes=classes)
    return scaler, model


def score_streaming(scaler, model, X, y, chunk_size: int) -> float:
    """Accuracy over a memory-mapped test set, chunk by chunk."""
    correct = sum(int((model.predict(scaler.transform(X_chunk)) == y_chunk).sum())
                  for X_chunk, y_chunk in iter_chunks(X, y, chunk_size))
    return correct / X.shape[0]


def train_with_dask_ml(X, y, *, chunk_size: int, epochs: int, classes, scaler):
    """The same stream through ``dask_ml.wrappers.Incremental``."""
    import dask.array as da
    from dask_ml.wrappers import Incremental

    X_dask = da.from_array(X, chunks=(chunk_size, X.shape[1]))
    y_dask = da.from_array(y, chunks=chunk_size)
    X_scaled = X_dask.map_blocks(scaler.transform, dtype=np.float64)
    incremental = Incremental(MLPClassifierBP(**MODEL), scoring="accuracy",
                              shuffle_blocks=True, random_state=0)
    for _ in range(epochs):
        incremental.partial_fit(X_scaled, y_dask, classes=classes)
    return incremental


def main(argv=None) -> dict[str, float]:
    """Run the comparison; return the scores and sizes by name."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--n-samples", type=int, default=100_000)
    parser.add_argument("--chunk-size", type=int, default=5_000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--directory", default=None,
                        help="where to write the data (default: a temporary "
                             "directory, removed afterwards)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the in-memory fit")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        directory = pathlib.Path(args.directory or scratch)
        directory.mkdir(parents=True, exist_ok=True)
        return _run(args, directory)


def _run(args, directory: pathlib.Path) -> dict[str, float]:
    chunk = args.chunk_size
    X_train, y_train = write_dataset(directory, "train", args.n_samples,
                                     chunk_size=chunk, seed=0)
    X_test, y_test = write_dataset(directory, "test", max(args.n_samples // 5, 1),
                                   chunk_size=chunk, seed=1)
    classes = np.arange(N_CLASSES)
    size_mb = X_train.nbytes / 1e6
    print(f"training data: {X_train.shape} in {directory} ({size_mb:.1f} MB on "
          f"disk), in memory one chunk of {chunk} rows "
          f"({chunk * N_FEATURES * 8 / 1e6:.2f} MB) at a time")
    results = {"n_samples": args.n_samples, "chunk_size": chunk}

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scaler, model = train_streaming(X_train, y_train, chunk_size=chunk,
                                        epochs=args.epochs, classes=classes)
    results["streaming"] = score_streaming(scaler, model, X_test, y_test, chunk)
    print(f"partial_fit over chunks : accuracy {results['streaming']:.4f} "
          f"({time.perf_counter() - start:.1f} s)")

    if not args.no_baseline:
        start = time.perf_counter()
        full_scaler = StandardScaler().fit(X_train)
        in_memory = MLPClassifierBP(**MODEL, max_iter=args.epochs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            in_memory.fit(full_scaler.transform(X_train), y_train)
        results["in_memory"] = in_memory.score(full_scaler.transform(X_test), y_test)
        print(f"fit in memory           : accuracy {results['in_memory']:.4f} "
              f"({time.perf_counter() - start:.1f} s)")

    if importlib.util.find_spec("dask_ml") is not None:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            incremental = train_with_dask_ml(X_train, y_train, chunk_size=chunk,
                                             epochs=args.epochs, classes=classes,
                                             scaler=scaler)
        results["dask_ml"] = score_streaming(scaler, incremental.estimator_, X_test,
                                             y_test, chunk)
        print(f"dask_ml Incremental     : accuracy {results['dask_ml']:.4f} "
              f"({time.perf_counter() - start:.1f} s)")
    else:
        print("dask_ml is not installed: skipping dask_ml.wrappers.Incremental.")
    return results


if __name__ == "__main__":
    main()
