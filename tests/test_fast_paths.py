"""The fast paths of prediction and fitting give what the general paths give.

Prediction checks a 2-D float NumPy array itself instead of calling
``validate_data``, reuses one :class:`~skmlp._network.Network` per fitted
model, and decodes labels without ``LabelBinarizer.inverse_transform``'s
input checks; fitting encodes the targets without
``LabelBinarizer.transform``. Each is compared here with the path it
short-cuts: the same values, the same errors and warnings, and a cache that
no refit, ``partial_fit``, ``set_params``, pickle or hand-assigned weights
can make stale.
"""

from __future__ import annotations

import pickle
import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import InvalidParameterError
from test_persistence import outputs

import skmlp._base
from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp._base import _BATCH_NORM_ATTRIBUTES
from skmlp._classifier import _decode, _indicator_matrix
from skmlp._monitor import MonitorState
from skmlp._states import copy_state, replace
from skmlp._trainer import TrainingState
from skmlp.optimizers import Adam

N_FEATURES = 6
NAMES = [f"f{i}" for i in range(N_FEATURES)]
X, Y_MULTICLASS = make_classification(60, N_FEATURES, n_informative=4,
                                      n_redundant=0, n_classes=3, random_state=0)
TARGETS = {
    "multiclass": Y_MULTICLASS,
    "binary": np.where(Y_MULTICLASS == 1, "yes", "no"),
    "multilabel": np.column_stack([Y_MULTICLASS == 0, Y_MULTICLASS != 1]).astype(int),
    "regression": X @ np.arange(1.0, N_FEATURES + 1),
    "two outputs": np.column_stack([X[:, 0], X[:, 1] - X[:, 2]]),
}
PARAMS = dict(hidden_layer_sizes=(7, 5), max_iter=5, random_state=0)


class _Array(np.ndarray):
    """An ndarray subclass: prediction sends it through ``validate_data``."""


def _fit(target, dtype=np.float64, X_fit=None, y_fit=None, **params):
    Estimator = MLPClassifierBP if target in ("multiclass", "binary",
                                              "multilabel") else MLPRegressorBP
    X_fit = X.astype(dtype) if X_fit is None else X_fit
    y_fit = TARGETS[target] if y_fit is None else y_fit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Estimator(**{**PARAMS, **params}).fit(X_fit, y_fit)


def _assert_close(outputs, expected, rtol):
    """Labels equal, probabilities and values close (same dtypes)."""
    for ours, theirs in zip(outputs, expected, strict=True):
        assert ours.dtype == theirs.dtype
        if ours.dtype.kind == "f":
            assert_allclose(ours, theirs, rtol=rtol, atol=1e-7)
        else:
            assert_array_equal(ours, theirs)


# -- the input check ----------------------------------------------------------


@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batch_norm"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("target", TARGETS)
def test_array_fast_path_equals_validate_data_path(target, dtype, batch_norm):
    est = _fit(target, dtype, batch_norm=batch_norm)
    X_ = X.astype(dtype)
    for rows in (slice(3, 4), slice(10, 20), slice(None)):
        fast = outputs(est, X_[rows])
        general = outputs(est, X_[rows].view(_Array))
        for ours, theirs in zip(fast, general, strict=True):
            assert_array_equal(ours, theirs, strict=True)
            assert ours.shape[0] == X_[rows].shape[0]
    # Fortran order and strided views are taken as they are (the matrix
    # products may round differently).
    for view in (np.asfortranarray(X_), X_[::2], X_[:, :][::-1]):
        _assert_close(outputs(est, view), outputs(est, np.ascontiguousarray(view)),
                      rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("target", ["multiclass", "binary", "regression"])
def test_single_row_equals_its_row_in_a_batch_and_other_inputs(target, dtype):
    est = _fit(target, dtype)
    X_ = X.astype(dtype)
    batch = outputs(est, X_)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for i in (0, 17, 59):
        row = X_[i:i + 1]
        single = outputs(est, row)
        _assert_close(single, [whole[i:i + 1] for whole in batch], rtol)
        for other in (sp.csr_matrix(row), sp.csc_matrix(row)):
            _assert_close(single, outputs(est, other), rtol)
        # A list is converted to float64.
        _assert_close(outputs(est, row.astype(np.float64)),
                      outputs(est, row.tolist()), rtol=0)


def test_pandas_with_feature_names_equals_array():
    est = _fit("multiclass", X_fit=pd.DataFrame(X, columns=NAMES))
    frame = pd.DataFrame(X, columns=NAMES)
    for rows in (slice(0, 1), slice(None)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no feature-name warning for a frame
            named = outputs(est, frame.iloc[rows])
        with pytest.warns(UserWarning, match="X does not have valid feature names"):
            unnamed = outputs(est, X[rows])
        # A frame's values are in Fortran order: its products may round
        # differently.
        _assert_close(named, unnamed, rtol=1e-12)


def _general_path_outputs(est, X_, monkeypatch):
    """``outputs(est, X_)`` with the DataFrame fast path turned off."""
    with monkeypatch.context() as patched:
        patched.setattr(skmlp._base, "_frame_values", lambda X, names: None)
        return outputs(est, X_)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("target", TARGETS)
def test_pandas_fast_path_equals_validate_data_path(target, dtype, monkeypatch):
    frame = pd.DataFrame(X.astype(dtype), columns=NAMES)
    est = _fit(target, X_fit=frame)
    for rows in (slice(3, 4), slice(10, 20), slice(None)):
        fast = outputs(est, frame.iloc[rows])
        general = _general_path_outputs(est, frame.iloc[rows], monkeypatch)
        for ours, theirs in zip(fast, general, strict=True):
            assert_array_equal(ours, theirs, strict=True)
    # The fast path is taken: validate_data is not called.
    monkeypatch.setattr(skmlp._base, "validate_data", None)
    assert_array_equal(est.predict(frame.iloc[:1]), general[0][:1])


def _frame(dtype=np.float64, **columns):
    frame = pd.DataFrame(X[:5].astype(dtype), columns=NAMES)
    for name, convert in columns.items():
        frame[name] = convert(frame[name])
    return frame


@pytest.mark.filterwarnings("ignore:pandas.DataFrame with sparse columns")
@pytest.mark.parametrize("frame", [
    _frame(f0=lambda c: c.astype(np.float32)),  # mixed: float64 values
    _frame(np.float32, f1=lambda c: c.round().astype(np.int64)),
    # Frames of float32 values that validate_data converts to float64:
    _frame(np.float32, f2=pd.Categorical),
    _frame(np.float32, f3=lambda c: c.astype(pd.SparseDtype(np.float32, 0.0))),
    _frame(np.float32).astype("Float32"),  # nullable floats
], ids=["mixed floats", "an int column", "categorical", "sparse", "nullable"])
def test_pandas_frames_the_fast_path_leaves_to_validate_data(frame, monkeypatch):
    """Frames whose values ``validate_data`` converts are converted as
    before, to the same dtype (float32 weights: the outputs have the
    input's dtype)."""
    est = _fit("multiclass", X_fit=pd.DataFrame(X.astype(np.float32), columns=NAMES))
    general = _general_path_outputs(est, frame, monkeypatch)
    for ours, theirs in zip(outputs(est, frame), general, strict=True):
        assert_array_equal(ours, theirs, strict=True)


@pytest.mark.parametrize("columns, error, match", [
    (NAMES[::-1], ValueError, "must be in the same order as they were in fit"),
    (["g0", *NAMES[1:]], ValueError, "Feature names unseen at fit time"),
    (NAMES[:-1], ValueError, "Feature names seen at fit time, yet now missing"),
    ([*NAMES, "f6"], ValueError, "Feature names unseen at fit time"),
])
def test_pandas_frames_with_other_columns_raise_scikit_learn_errors(columns, error,
                                                                    match):
    est = _fit("multiclass", X_fit=pd.DataFrame(X, columns=NAMES))
    values = np.resize(X[:3], (3, len(columns)))
    with pytest.raises(error, match=match):
        est.predict(pd.DataFrame(values, columns=columns))


def test_a_frame_for_a_model_fitted_without_names_warns_as_before():
    est = _fit("multiclass")
    with pytest.warns(UserWarning, match="X has feature names, but MLPClassifierBP "
                                         "was fitted without feature names"):
        proba = est.predict_proba(pd.DataFrame(X[:2], columns=NAMES))
    assert_array_equal(proba, est.predict_proba(X[:2]))


@pytest.mark.parametrize("value, message", [(np.nan, "Input X contains NaN"),
                                            (np.inf, "Input X contains infinity")])
def test_pandas_frames_with_non_finite_values_raise(value, message):
    est = _fit("multiclass", X_fit=pd.DataFrame(X, columns=NAMES))
    frame = pd.DataFrame(X[:3], columns=NAMES)
    frame.iloc[1, 2] = value
    with pytest.raises(ValueError, match=message):
        est.predict_proba(frame)


@pytest.mark.parametrize("value, message", [(np.nan, "Input X contains NaN"),
                                            (np.inf, "Input X contains infinity")])
@pytest.mark.parametrize("make_input", [np.asarray, sp.csr_matrix],
                         ids=["array", "sparse"])
def test_non_finite_input_raises_unless_assume_finite(make_input, value, message):
    est = _fit("multiclass")
    bad = X[:3].copy()
    bad[1, 2] = value
    for method in (est.predict, est.predict_proba):
        with pytest.raises(ValueError, match=message):
            method(make_input(bad))
        with config_context(assume_finite=False), pytest.raises(ValueError,
                                                                 match=message):
            method(make_input(bad))
    # assume_finite=True skips the scan, as in scikit-learn: the value goes
    # through the network, and only its row is affected.
    with config_context(assume_finite=True), np.errstate(invalid="ignore"):
        proba = est.predict_proba(make_input(bad))
    assert np.isnan(proba[1]).all()
    assert_allclose(proba[[0, 2]], est.predict_proba(X[[0, 2]]), rtol=1e-12)


def test_finite_values_whose_sum_overflows_are_accepted():
    # The O(1)-memory finiteness test is a finite sum; values whose sum
    # overflows must still be accepted after the element-wise check.
    est = _fit("regression", np.float32)
    huge = np.full((2, N_FEATURES), np.finfo(np.float32).max / 2, dtype=np.float32)
    with np.errstate(over="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow warning leaks
        assert est.predict(huge).shape == (2,)


@pytest.mark.parametrize("bad, error, match", [
    (X[:, :-1], ValueError, "X has 5 features, but MLPClassifierBP is expecting 6"),
    (X[0], ValueError, "Expected 2D array, got 1D array"),
    (X[:0], ValueError, "0 sample"),
    (X.astype(np.complex128), ValueError, "Complex data not supported"),
])
def test_bad_arrays_raise_scikit_learn_errors(bad, error, match):
    est = _fit("multiclass")
    with pytest.raises(error, match=match):
        est.predict_proba(bad)


def test_integer_and_float16_input_is_converted_as_before():
    est = _fit("multiclass")
    X_int = np.round(X * 3).astype(np.int64)
    assert_array_equal(est.predict_proba(X_int), est.predict_proba(X_int.astype(float)))
    X_16 = X.astype(np.float16)
    assert_array_equal(est.predict_proba(X_16),
                       est.predict_proba(X_16.astype(np.float64)))


def test_unfitted_model_raises_not_fitted_error():
    for est in (MLPClassifierBP(), MLPRegressorBP()):
        with pytest.raises(NotFittedError, match="is not fitted yet"):
            est.predict(X)


def _fitted_state(est):
    return pickle.dumps({name: value for name, value in vars(est).items()
                         if name not in ("callbacks_", "history_")})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("target", TARGETS)
def test_fit_fast_path_equals_validate_data_path(target, dtype):
    X_ = X.astype(dtype)
    y = TARGETS[target]
    fast = _fit(target, dtype)
    for X_other, y_other in [(X_.view(_Array), y), (X_, y.view(_Array)),
                             (X_, y.tolist())]:
        general = _fit(target, dtype, X_fit=X_other, y_fit=y_other)
        assert _fitted_state(general) == _fitted_state(fast)
    assert fast.n_features_in_ == N_FEATURES
    assert not hasattr(fast, "feature_names_in_")


def test_string_labels_in_an_object_array_fit_like_a_string_array():
    labels = np.array(["no", "yes", "maybe"])[Y_MULTICLASS]
    fast = _fit("multiclass", y_fit=labels)
    general = _fit("multiclass", y_fit=labels.astype(object))
    assert_array_equal(fast.classes_, general.classes_)
    for ours, theirs in zip(fast.coefs_, general.coefs_, strict=True):
        assert_array_equal(ours, theirs)


@pytest.mark.parametrize("target", ["multiclass", "regression"])
@pytest.mark.parametrize("where, value, message", [
    ("X", np.nan, "Input X contains NaN"),
    ("X", np.inf, "Input X contains infinity"),
    ("y", np.nan, "Input y contains NaN"),
    ("y", -np.inf, "Input y contains infinity"),
])
def test_fit_rejects_non_finite_data_unless_assume_finite(target, where, value,
                                                         message):
    X_bad, y_bad = X.copy(), TARGETS[target].astype(float)
    (X_bad[3] if where == "X" else y_bad)[3] = value
    est = _fit(target)
    for method in ("fit", "partial_fit"):
        with pytest.raises(ValueError, match=message):
            getattr(est, method)(X_bad, y_bad)
    if where == "X":
        # assume_finite=True: no scan; the value reaches the network, whose
        # loss is not finite (a different error, from training itself).
        with config_context(assume_finite=True), pytest.raises(
                ValueError, match="Training diverged"):
            _fit(target, X_fit=X_bad)


@pytest.mark.parametrize("X_bad, y_bad, match", [
    (X, TARGETS["regression"][:-1], "inconsistent numbers of samples"),
    (X, TARGETS["regression"].reshape(-1, 1, 1), "Found array with dim 3"),
    (X, TARGETS["regression"] + 1j, "Complex data not supported"),
    (X[:, :0], TARGETS["regression"], "0 feature"),
    (X, np.empty((60, 0)), "0 feature"),
    (X[:0], TARGETS["regression"][:0], "0 sample"),
])
def test_fit_rejects_bad_shapes_with_scikit_learn_errors(X_bad, y_bad, match):
    with pytest.raises(ValueError, match=match):
        MLPRegressorBP(max_iter=1).fit(X_bad, y_bad)


def test_partial_fit_checks_the_fitted_width():
    est = _fit("regression")
    with pytest.raises(ValueError, match="X has 5 features, but MLPRegressorBP is "
                       "expecting 6 features"):
        est.partial_fit(X[:, :5], TARGETS["regression"])


# -- parameter validation -----------------------------------------------------


def _invalidations():
    """Ways to make a validated estimator's parameters invalid, each with the
    error the next call must raise."""
    def attribute(est):
        est.alpha = -1.0

    def equal_but_invalid(est):
        est.shuffle = 1  # == True, but not a boolean

    def in_place_list(est):
        est.hidden_layer_sizes.append(0)

    def component_in_place(est):
        est.solver.set_params(beta_1=2.0)

    def ignored_setting(est):
        est.set_params(beta_1=0.5)  # Adam object's own beta_1 would win

    def callbacks_in_place(est):
        est.callbacks.append("not a callback")

    return [
        (lambda est: est.set_params(solver="adma"), InvalidParameterError, "adam"),
        (attribute, InvalidParameterError, "'alpha' parameter"),
        (equal_but_invalid, InvalidParameterError, "'shuffle' parameter"),
        (in_place_list, ValueError, "hidden_layer_sizes must be > 0"),
        (component_in_place, InvalidParameterError, "'beta_1' parameter of Adam"),
        (ignored_setting, ValueError, "beta_1=0.5 would be ignored"),
        (callbacks_in_place, TypeError, "Callback instances"),
    ]


@pytest.mark.parametrize("entry", ["fit", "partial_fit"])
@pytest.mark.parametrize("invalidate, error, match", _invalidations())
def test_parameters_changed_after_a_validation_are_validated(invalidate, error,
                                                            match, entry):
    est = MLPRegressorBP(hidden_layer_sizes=[4], solver=Adam(), callbacks=[],
                         max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, TARGETS["regression"])
        est.partial_fit(X, TARGETS["regression"])  # validated again: unchanged
    invalidate(est)
    with pytest.raises(error, match=match):
        getattr(est, entry)(X, TARGETS["regression"])


# -- the cached network -------------------------------------------------------


def test_prediction_changes_no_attribute_and_pickles_carry_no_cache():
    est = _fit("multiclass", batch_norm=True)
    before = pickle.dumps(vars(est))
    outputs(est, X)
    assert pickle.dumps(vars(est)) == before
    restored = pickle.loads(pickle.dumps(est))
    for ours, theirs in zip(outputs(restored, X), outputs(est, X), strict=True):
        assert_array_equal(ours, theirs, strict=True)


@pytest.mark.parametrize("change", [
    {"hidden_layer_sizes": (4,)},
    {"activation": "tanh"},
    {"batch_norm": True},
])
def test_refit_after_set_params_predicts_with_the_new_network(change):
    est = _fit("multiclass")
    est.predict_proba(X)  # builds the cached network
    unchanged = est.set_params(**change).predict_proba(X)
    assert_array_equal(unchanged, _fit("multiclass").predict_proba(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, TARGETS["multiclass"])
    assert_array_equal(est.predict_proba(X),
                       _fit("multiclass", **change).predict_proba(X))


def test_binary_refit_as_multiclass_switches_the_output_layer():
    est = _fit("binary")
    assert est.predict_proba(X).shape == (60, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, TARGETS["multiclass"])
    assert_array_equal(est.predict_proba(X),
                       _fit("multiclass").predict_proba(X))


def test_partial_fit_predictions_follow_the_new_weights():
    est = _fit("multiclass")
    est.predict(X)
    twin = pickle.loads(pickle.dumps(est))
    est.partial_fit(X, TARGETS["multiclass"])
    twin.partial_fit(X, TARGETS["multiclass"])
    assert not np.array_equal(est.predict_proba(X), _fit("multiclass").predict_proba(X))
    assert_array_equal(est.predict_proba(X), twin.predict_proba(X))


@pytest.mark.parametrize("other_params", [{"hidden_layer_sizes": (3, 9, 4)},
                                          {"batch_norm": True}])
def test_weights_assigned_by_hand_of_another_architecture(other_params):
    est, other = _fit("multiclass"), _fit("multiclass", **other_params)
    est.predict(X)
    for name in ("coefs_", "intercepts_", *_BATCH_NORM_ATTRIBUTES):
        setattr(est, name, getattr(other, name))
    assert_array_equal(est.predict_proba(X), other.predict_proba(X))


def test_output_activation_assigned_by_hand():
    est = _fit("regression")
    identity = est.predict(X)
    est.out_activation_ = "exp"
    assert_allclose(est.predict(X), np.exp(identity), rtol=1e-12)


# -- decoding the labels ------------------------------------------------------


@pytest.mark.parametrize("labels", [
    [3, 1, 2], ["b", "a", "c"], [0.0, -1.0, 2.0],     # multiclass
    [1, 0], ["yes", "no"], [True, False],           # binary
    [[1, 0, 1], [0, 1, 1]],                         # multilabel
], ids=["int", "str", "float", "binary int", "binary str", "bool",
        "multilabel"])
def test_decode_equals_label_binarizer_inverse_transform(labels):
    binarizer = LabelBinarizer().fit(labels)
    n_columns = len(binarizer.transform(labels)[0])
    rng = np.random.default_rng(0)
    scores = rng.random((50, n_columns))
    scores[:5] = 0.5  # ties, and the binary threshold itself
    scores[5:10, 0] = scores[5:10, -1]
    indicator = binarizer.transform(
        np.asarray(labels)[rng.integers(0, len(labels), 20)]).astype(bool)
    for Y in (scores, scores.astype(np.float32), indicator):
        expected = binarizer.inverse_transform(Y.ravel() if Y.shape[1] == 1 else Y)
        assert_array_equal(_decode(binarizer, Y), expected, strict=True)


# -- encoding the targets -----------------------------------------------------

LABEL_SETS = {
    "int": np.array([3, 1, 2, 3, 1]),
    "uint8": np.array([3, 1, 2, 3, 1], dtype=np.uint8),
    "float": np.array([0.0, -1.0, 2.0, 2.0]),
    "str": np.array(["b", "a", "c", "a"]),
    "object str": np.array(["b", "a", "c", "a"], dtype=object),
    "binary int": np.array([1, 0, 0, 1, 1]),
    "binary str": np.array(["yes", "no", "no"]),
    "bool": np.array([True, False, False]),
    "one class": np.array([4, 4, 4]),
    "multilabel": np.array([[1, 0, 1], [0, 1, 1], [0, 0, 0]]),
}


@pytest.mark.parametrize("labels", LABEL_SETS.values(), ids=LABEL_SETS)
def test_indicator_matrix_equals_label_binarizer_transform(labels):
    binarizer = LabelBinarizer().fit(labels)
    expected = binarizer.transform(labels).astype(bool)
    assert_array_equal(_indicator_matrix(binarizer, labels), expected, strict=True)
    # partial_fit: the binarizer knows more classes than the chunk has.
    subset = labels[:2]
    assert_array_equal(_indicator_matrix(binarizer, subset),
                       binarizer.transform(subset).astype(bool), strict=True)


@pytest.mark.parametrize("classes, chunk", [
    ([1, 2, 3], [1, 3, 5]),        # a label that is not a class: a zero row
    (["a", "b"], ["a", "c"]),
    ([1, 2, 3], [2, 2]),           # a binary chunk of a multiclass problem
])
def test_indicator_matrix_with_labels_outside_the_classes(classes, chunk):
    binarizer = LabelBinarizer().fit(classes)
    chunk = np.asarray(chunk)
    assert_array_equal(_indicator_matrix(binarizer, chunk),
                       binarizer.transform(chunk).astype(bool), strict=True)


# -- restore points -------------------------------------------------------------


class _Inner(NamedTuple):
    t: int
    m: np.ndarray
    extra: list


def test_copy_state_is_a_deep_copy_that_keeps_aliases():
    params = np.arange(4.0)
    shared = np.ones(3)
    state = TrainingState(params, np.empty(0),
                          optimizer_state=_Inner(3, shared, [shared, {"k": [1]}]),
                          scheduler_state=(shared, 0.5),
                          stopping=MonitorState(best=1.0), samples_seen=7)
    copied = copy_state(state)
    assert type(copied) is TrainingState and type(copied.optimizer_state) is _Inner
    for original, copy_ in [(state.params, copied.params),
                            (shared, copied.optimizer_state.m)]:
        assert_array_equal(copy_, original)
        assert not np.shares_memory(copy_, original)
    # An array met twice is copied once, inside NamedTuples and out.
    assert copied.optimizer_state.m is copied.optimizer_state.extra[0]
    assert copied.scheduler_state[0] is copied.optimizer_state.m
    assert copied.optimizer_state.extra[1] == {"k": [1]}
    assert copied.optimizer_state.extra is not state.optimizer_state.extra
    assert (copied.stopping, copied.samples_seen) == (state.stopping, 7)


def test_replace_is_namedtuple_replace():
    state = _Inner(3, np.ones(2), [])
    for changes in [{}, {"t": 4}, {"extra": [1], "t": 0}]:
        updated = replace(state, **changes)
        expected = state._replace(**changes)
        assert type(updated) is _Inner
        assert updated.t == expected.t and updated.extra == expected.extra
        assert updated.m is state.m  # fields are shared, not copied
    record = MonitorState(best=1.0)
    assert replace(record, wait=2) == record._replace(wait=2)
    with pytest.raises(ValueError, match=r"unexpected field names: \['tt'\]"):
        replace(state, tt=1)
