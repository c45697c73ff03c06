"""ONNX export (skmlp.onnx): onnxruntime reproduces predict and predict_proba.

The expected values are always the estimator's own ``predict`` /
``predict_proba``, computed by skmlp's NumPy code; the ONNX graph is run by
onnxruntime.
"""

import doctest
import functools
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp.activations import (
    ACTIVATIONS,
    ELU,
    GELU,
    HIDDEN_ACTIVATIONS,
    LeakyReLU,
    ReLU,
)

skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")
skmlp_onnx = pytest.importorskip("skmlp.onnx")

from skl2onnx.common.data_types import FloatTensorType  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: The tolerance of the issue: onnxruntime in float32 against predict.
FLOAT32_TOLERANCE = 1e-5
#: A float64 graph computes what predict computes, in the same precision ...
FLOAT64_TOLERANCE = 1e-12
#: ... except exact GELU, whose Erf onnxruntime evaluates in float32 only
#: (skmlp.onnx's _gelu docstring).
FLOAT64_ERF_TOLERANCE = 1e-6

#: Every hidden activation by name (a new one joins the tests by itself),
#: and the built-ins with non-default parameters.
HIDDEN_SPECS = [*HIDDEN_ACTIVATIONS, LeakyReLU(negative_slope=0.2), ELU(alpha=0.5),
                GELU(approximate="tanh")]

#: Target families: estimator, its output activation, and the targets.
FAMILIES = {
    "binary": (MLPClassifierBP, "logistic"),
    "multiclass": (MLPClassifierBP, "softmax"),
    "multilabel": (MLPClassifierBP, "logistic"),
    "regression": (MLPRegressorBP, "identity"),
    "multioutput": (MLPRegressorBP, "identity"),
    "poisson": (MLPRegressorBP, "exp"),
}

N_FEATURES = 4
REPO_ROOT = Path(__file__).resolve().parents[1]
ORT_OPTIONS = {"providers": ["CPUExecutionProvider"]}


def _spec_id(spec):
    return spec if isinstance(spec, str) else repr(spec)


def _features(n_rows=60, seed=0):
    return np.random.default_rng(seed).normal(size=(n_rows, N_FEATURES))


def _targets(family, X):
    signal = X @ np.array([1.0, -0.8, 0.5, 0.3])
    if family == "binary":  # string labels
        return np.where(signal > 0, "yes", "no")
    if family == "multiclass":  # integer labels that are not indices
        return np.array([3, 7, 11])[np.argmax(X[:, :3], axis=1)]
    if family == "multilabel":
        return (X[:, :3] > 0).astype(int)
    if family == "regression":
        return signal
    if family == "multioutput":
        return np.column_stack([signal, X[:, 1] * X[:, 2], -X[:, 0]])
    return np.random.default_rng(1).poisson(np.exp(0.4 * signal))  # poisson


@functools.cache
def _fitted(spec_id, family, batch_norm):
    """A small fitted model (cached: several tests export the same one)."""
    spec = next(s for s in HIDDEN_SPECS if _spec_id(s) == spec_id)
    estimator_class, _ = FAMILIES[family]
    extra = {"loss": "poisson"} if family == "poisson" else {}
    X = _features()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator_class(hidden_layer_sizes=(6, 5), activation=spec,
                               batch_norm=batch_norm, max_iter=25,
                               learning_rate_init=0.05, random_state=0,
                               **extra).fit(X, _targets(family, X))


def _session(onnx_model):
    return ort.InferenceSession(onnx_model.SerializeToString(), **ORT_OPTIONS)


def _run(onnx_model, X):
    session = _session(onnx_model)
    return session.run(None, {session.get_inputs()[0].name: X})


def _test_rows(dtype):
    # Rows beyond the training range too, where activations saturate.
    return (2.0 * _features(n_rows=50, seed=5)).astype(dtype)


def _assert_matches(model, onnx_model, X, tolerance):
    """onnxruntime's outputs against predict (and predict_proba)."""
    outputs = _run(onnx_model, X)
    if isinstance(model, MLPRegressorBP):
        (values,) = outputs
        assert values.shape == (len(X), model.n_outputs_)
        assert values.dtype == X.dtype
        assert_allclose(values, model.predict(X).reshape(len(X), -1),
                        rtol=tolerance, atol=tolerance)
        return
    labels, probabilities = outputs
    assert probabilities.dtype == X.dtype
    assert_allclose(probabilities, model.predict_proba(X), rtol=tolerance,
                    atol=tolerance)
    assert_array_equal(labels, model.predict(X))


def _float64_tolerance(model):
    activation = model._hidden_activation
    exact_gelu = isinstance(activation, GELU) and activation.approximate == "none"
    return FLOAT64_ERF_TOLERANCE if exact_gelu else FLOAT64_TOLERANCE


@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batch_norm"])
@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("activation", HIDDEN_SPECS, ids=_spec_id)
def test_onnxruntime_matches_predict(activation, family, batch_norm):
    model = _fitted(_spec_id(activation), family, batch_norm)
    assert model.out_activation_ == FAMILIES[family][1]
    options = {"zipmap": False} if family in {"binary", "multiclass",
                                              "multilabel"} else None
    for dtype, tolerance in [(np.float32, FLOAT32_TOLERANCE),
                             (np.float64, _float64_tolerance(model))]:
        X = _test_rows(dtype)
        onnx_model = skmlp_onnx.to_onnx(model, X[:1], options=options)
        _assert_matches(model, onnx_model, X, tolerance)


@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batch_norm"])
@pytest.mark.parametrize("activation", HIDDEN_SPECS, ids=_spec_id)
def test_older_opset_matches_predict(activation, batch_norm):
    model = _fitted(_spec_id(activation), "multioutput", batch_norm)
    for dtype, tolerance in [(np.float32, FLOAT32_TOLERANCE),
                             (np.float64, _float64_tolerance(model))]:
        X = _test_rows(dtype)
        onnx_model = skmlp_onnx.to_onnx(model, X[:1], target_opset=13)
        assert {o.version for o in onnx_model.opset_import if o.domain == ""} == {13}
        _assert_matches(model, onnx_model, X, tolerance)


def test_every_activation_is_covered():
    # Hidden activations are in HIDDEN_SPECS by name; the output-only ones
    # must each be the output of a tested family.
    outputs = {activation for _, activation in FAMILIES.values()}
    output_only = {name for name, cls in ACTIVATIONS.items() if not cls.hidden}
    assert output_only <= outputs
    assert set(HIDDEN_ACTIVATIONS) <= set(HIDDEN_SPECS)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_is_one_node_from_opset_20_and_decomposed_before(approximate):
    spec = "gelu" if approximate == "none" else GELU(approximate="tanh")
    model = _fitted(_spec_id(spec), "regression", False)
    X = _test_rows(np.float32)
    default = skmlp_onnx.to_onnx(model, X[:1])  # skl2onnx's newest tested opset
    assert skl2onnx.get_latest_tested_opset_version() >= 20
    n_hidden_layers = len(model.coefs_) - 1
    assert [n.op_type for n in default.graph.node].count("Gelu") == n_hidden_layers
    _assert_matches(model, default, X, FLOAT32_TOLERANCE)
    older = skmlp_onnx.to_onnx(model, X[:1], target_opset=19)
    op_types = [n.op_type for n in older.graph.node]
    assert "Gelu" not in op_types
    assert ("Erf" if approximate == "none" else "Tanh") in op_types
    _assert_matches(model, older, X, FLOAT32_TOLERANCE)


def _zipmap_probabilities(rows, classes):
    return np.array([[row[label] for label in classes] for row in rows])


@pytest.mark.parametrize("family", ["binary", "multiclass"])
def test_pipeline_with_scaler_through_skl2onnx(family):
    X = 10.0 * _features() + 3.0
    y = _targets(family, X)
    pipeline = make_pipeline(StandardScaler(), MLPClassifierBP(
        hidden_layer_sizes=(8,), activation="gelu", batch_norm=True,
        dropout=0.2, max_iter=30, random_state=0)).fit(X, y)
    X32 = X.astype(np.float32)
    # skl2onnx's own entry point, default options: a zipmap of probabilities.
    labels, rows = _run(skl2onnx.to_onnx(pipeline, X32[:1]), X32)
    classes = pipeline.classes_.tolist()
    assert_array_equal(labels, pipeline.predict(X32))
    assert_allclose(_zipmap_probabilities(rows, classes),
                    pipeline.predict_proba(X32), atol=FLOAT32_TOLERANCE)


def test_regressor_pipeline_and_convert_sklearn():
    X = 10.0 * _features() + 3.0
    y = _targets("multioutput", X)
    pipeline = make_pipeline(StandardScaler(), MLPRegressorBP(
        hidden_layer_sizes=(8, 4), activation="elu", max_iter=30,
        random_state=0)).fit(X, y)
    onnx_model = skl2onnx.convert_sklearn(
        pipeline, initial_types=[("X", FloatTensorType([None, N_FEATURES]))])
    X32 = X.astype(np.float32)
    (values,) = _run(onnx_model, X32)
    assert_allclose(values, pipeline.predict(X32), rtol=FLOAT32_TOLERANCE,
                    atol=FLOAT32_TOLERANCE)


@pytest.mark.parametrize("family", ["binary", "multiclass", "multilabel"])
def test_zipmap_and_nocl_options(family):
    model = _fitted("relu", family, True)
    X = _test_rows(np.float32)
    expected_labels, expected = model.predict(X), model.predict_proba(X)
    classes = model.classes_.tolist()

    labels, rows = _run(skmlp_onnx.to_onnx(model, X[:1]), X)  # zipmap=True
    assert_array_equal(labels, expected_labels)
    assert sorted(rows[0]) == sorted(classes)
    assert_allclose(_zipmap_probabilities(rows, classes), expected,
                    atol=FLOAT32_TOLERANCE)

    labels, *columns = _run(
        skmlp_onnx.to_onnx(model, X[:1], options={"zipmap": "columns"}), X)
    assert_array_equal(labels, expected_labels)
    assert_allclose(np.column_stack(columns), expected, atol=FLOAT32_TOLERANCE)

    # nocl: labels become class indices, probabilities are unchanged.
    onnx_model = skmlp_onnx.to_onnx(model, X[:1],
                                    options={"nocl": True, "zipmap": False})
    indices, probabilities = _run(onnx_model, X)
    assert indices.dtype == np.int64
    assert_allclose(probabilities, expected, atol=FLOAT32_TOLERANCE)
    if family == "multilabel":
        assert_array_equal(indices, expected_labels)
    else:
        assert_array_equal(model.classes_[indices], expected_labels)
    _, rows = _run(skmlp_onnx.to_onnx(model, X[:1], options={"nocl": True}), X)
    assert sorted(rows[0]) == list(range(len(classes)))


@pytest.mark.parametrize("y", [
    pytest.param([False, True], id="bool"),
    pytest.param([1.0, 2.0, 4.0], id="float"),
    pytest.param(["cat", "dog", "emu"], id="str"),
    pytest.param([-5, 0], id="negative-int"),
])
def test_label_types(y):
    X = _features()
    labels = np.asarray(y)[np.argmax(X[:, :len(y)], axis=1)]
    model = MLPClassifierBP(hidden_layer_sizes=(5,), max_iter=20,
                            random_state=0).fit(X, labels)
    X32 = _test_rows(np.float32)
    onnx_labels, probabilities = _run(
        skmlp_onnx.to_onnx(model, X32[:1], options={"zipmap": False}), X32)
    predicted = model.predict(X32)
    assert len(set(predicted.tolist())) > 1  # the check is not vacuous
    assert onnx_labels.tolist() == predicted.tolist()
    assert_allclose(probabilities, model.predict_proba(X32), atol=FLOAT32_TOLERANCE)


def test_single_class_model():
    X = _features()
    model = MLPClassifierBP(hidden_layer_sizes=(5,), max_iter=5,
                            random_state=0).fit(X, ["only"] * len(X))
    X32 = _test_rows(np.float32)
    _assert_matches(model, skmlp_onnx.to_onnx(model, X32[:1],
                                              options={"zipmap": False}),
                    X32, FLOAT32_TOLERANCE)
    with pytest.raises(ValueError, match=r"single class 'only'.*'zipmap': False"):
        skmlp_onnx.to_onnx(model, X32[:1])


@pytest.mark.parametrize("hidden_layer_sizes", [(), (7,), (6, 5, 4)],
                         ids=["no-hidden", "one", "three"])
@pytest.mark.parametrize("fit_dtype", [np.float32, np.float64])
def test_architectures_dropout_and_fit_dtype(hidden_layer_sizes, fit_dtype):
    X = _features().astype(fit_dtype)
    model = MLPClassifierBP(hidden_layer_sizes=hidden_layer_sizes, dropout=0.3,
                            batch_norm=True, activation="tanh", max_iter=25,
                            random_state=0).fit(X, _targets("multiclass", X))
    assert model.coefs_[0].dtype == fit_dtype
    for dtype, tolerance in [(np.float32, FLOAT32_TOLERANCE),
                             (np.float64, FLOAT64_TOLERANCE)]:
        X_test = _test_rows(dtype)
        _assert_matches(model, skmlp_onnx.to_onnx(
            model, X_test[:1], options={"zipmap": False}), X_test, tolerance)


class Square(ReLU):
    """z²: a subclass of a built-in that computes something else, so it needs
    a translation of its own."""

    derivative_needs_input = True

    def forward(self, z, out):
        return np.square(z, out=out)

    def backward(self, z, a, delta):
        delta *= 2 * z
        return delta


def test_untranslatable_activation_says_how_to_fix_it(monkeypatch):
    monkeypatch.setattr(skmlp_onnx, "_TRANSLATIONS", dict(skmlp_onnx._TRANSLATIONS))
    X = _features()
    model = MLPRegressorBP(hidden_layer_sizes=(5,), activation=Square(), max_iter=10,
                           random_state=0).fit(X, _targets("regression", X))
    X32 = _test_rows(np.float32)
    with pytest.raises(TypeError, match=(
            r"Cannot export the activation Square\(\) to ONNX.*no ONNX translation "
            r"for Square.*register_onnx_activation\(Square, translate\)")):
        skmlp_onnx.to_onnx(model, X32[:1])

    skmlp_onnx.register_onnx_activation(
        Square, lambda builder, x, activation: builder.node("Mul", x, x))
    _assert_matches(model, skmlp_onnx.to_onnx(model, X32[:1]), X32,
                    FLOAT32_TOLERANCE)


def test_registered_translation_gets_the_builder(monkeypatch):
    monkeypatch.setattr(skmlp_onnx, "_TRANSLATIONS", dict(skmlp_onnx._TRANSLATIONS))
    seen = []

    def scaled_relu(builder, x, activation):
        seen.append((builder.opset, builder.dtype, activation))
        # A built-in replaced: relu computed as max(x, 0) with a constant.
        return builder.node("Max", x, builder.constant(0.0))

    skmlp_onnx.register_onnx_activation(ReLU, scaled_relu)
    model = _fitted("relu", "regression", False)
    X = _test_rows(np.float64)
    onnx_model = skmlp_onnx.to_onnx(model, X[:1], target_opset=15)
    assert "Relu" not in [n.op_type for n in onnx_model.graph.node]
    assert [(opset, dtype) for opset, dtype, _ in seen] == [(15, np.float64)] * 2
    assert all(activation is model._hidden_activation for *_, activation in seen)
    _assert_matches(model, onnx_model, X, FLOAT64_TOLERANCE)


@pytest.mark.parametrize("activation_class, translate, message", [
    (ReLU(), len, "activation_class must be a subclass of "
                  "skmlp.activations.Activation; got ReLU()"),
    (int, len, "activation_class must be a subclass"),
    (ReLU, "Relu", "translate must be a callable"),
])
def test_register_onnx_activation_checks_its_arguments(activation_class, translate,
                                                       message, monkeypatch):
    before = dict(skmlp_onnx._TRANSLATIONS)
    with pytest.raises(TypeError, match=re.escape(message)):
        skmlp_onnx.register_onnx_activation(activation_class, translate)
    assert skmlp_onnx._TRANSLATIONS == before


def test_integer_input_is_refused():
    model = _fitted("relu", "binary", False)
    with pytest.raises(RuntimeError, match=(
            r"SkmlpMLPClassifierBP.*wrong type.*Int64TensorType.*Only.*"
            r"FloatTensorType.*DoubleTensorType.*allowed")):
        skmlp_onnx.to_onnx(model, np.zeros((1, N_FEATURES), dtype=np.int64))


def test_unfitted_model_is_refused():
    with pytest.raises(NotFittedError):
        skmlp_onnx.to_onnx(MLPClassifierBP(), np.zeros((1, 3), dtype=np.float32))


def test_missing_skl2onnx_names_the_extra(monkeypatch):
    monkeypatch.delitem(sys.modules, "skmlp.onnx")
    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # import fails
    with pytest.raises(ImportError, match=r'pip install "skmlp\[onnx\]"'):
        import skmlp.onnx  # noqa: F401


def test_importing_skmlp_does_not_import_onnx():
    code = ("import sys, skmlp; "
            "print(sorted({'skmlp.onnx', 'skl2onnx', 'onnx'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, check=True, cwd=REPO_ROOT)
    assert result.stdout.strip() == "[]"


def test_docstring_examples_run(monkeypatch):
    # register_onnx_activation's example registers a translation: undone.
    monkeypatch.setattr(skmlp_onnx, "_TRANSLATIONS", dict(skmlp_onnx._TRANSLATIONS))
    result = doctest.testmod(skmlp_onnx, verbose=False)
    assert result.attempted >= 8 and result.failed == 0


def test_readme_deployment_example_runs(tmp_path, monkeypatch, capsys):
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Deployment (ONNX)\n", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)  # it writes iris_mlp.onnx
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "iris_mlp.onnx").stat().st_size > 0
    assert float(capsys.readouterr().out) < FLOAT32_TOLERANCE


@pytest.mark.parametrize("family", ["binary", "multiclass", "multilabel"])
def test_output_class_labels_option(family):
    """skl2onnx's ``output_class_labels`` adds an output of ``classes_``;
    like skl2onnx's own classifiers, it needs ``zipmap=False``."""
    model = _fitted("relu", family, True)
    X = _test_rows(np.float32)
    onnx_model = skmlp_onnx.to_onnx(
        model, X[:1], options={"zipmap": False, "output_class_labels": True})
    labels, probabilities, class_labels = _run(onnx_model, X)
    assert_array_equal(class_labels, model.classes_)
    assert_array_equal(labels, model.predict(X))
    assert_allclose(probabilities, model.predict_proba(X), atol=FLOAT32_TOLERANCE)
    with pytest.raises(RuntimeError, match="not compatible with option 'zipmap'"):
        skmlp_onnx.to_onnx(model, X[:1], options={"output_class_labels": True})
