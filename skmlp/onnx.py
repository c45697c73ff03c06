r"""ONNX export of :class:`~skmlp.MLPClassifierBP` and :class:`~skmlp.MLPRegressorBP`.

Importing this module registers both estimators with
`skl2onnx <https://onnx.ai/sklearn-onnx/>`_, so that ``skl2onnx.to_onnx`` and
``skl2onnx.convert_sklearn`` convert them, alone or inside a
:class:`~sklearn.pipeline.Pipeline`, like scikit-learn's own MLPs. It needs
the optional dependencies: ``pip install "skmlp[onnx]"`` (skl2onnx, onnx and,
to run the models, onnxruntime).

The exported graph computes what ``predict`` and ``predict_proba`` compute:

- every layer is one ``Gemm`` node, :math:`z = a W + b`; with
  ``batch_norm=True`` the inference-time normalisation
  :math:`\gamma (z - \mu) / \sqrt{\sigma^2 + \epsilon} + \beta` (running
  averages :math:`\mu, \sigma^2`) is folded into :math:`W` and :math:`b`;
  dropout does nothing at inference and leaves no trace;
- the hidden and output activations are translated node for node
  (:func:`register_onnx_activation` adds translations for your own
  :class:`~skmlp.activations.Activation` subclasses);
- a classifier outputs ``label`` and ``probabilities``, as skl2onnx's
  classifiers do, and accepts skl2onnx's classifier options ``zipmap``
  (``True``, ``False`` or ``"columns"``), ``nocl`` and
  ``output_class_labels`` (with ``zipmap=False``: a third output,
  ``class_labels``, holds ``classes_``); a regressor outputs ``variable`` of
  shape ``(n_samples, n_outputs)``.

A ``FloatTensorType`` input computes in float32, a ``DoubleTensorType`` input
in float64.

Examples
--------
>>> import numpy as np
>>> import onnxruntime as ort
>>> from skmlp import MLPClassifierBP
>>> from skmlp.onnx import to_onnx
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(40, 3)).astype(np.float32)
>>> y = (X[:, 0] > 0).astype(int)
>>> model = MLPClassifierBP(max_iter=20, random_state=0).fit(X, y)
>>> onx = to_onnx(model, X[:1], options={"zipmap": False})
>>> session = ort.InferenceSession(onx.SerializeToString(),
...                                providers=["CPUExecutionProvider"])
>>> labels, probabilities = session.run(None, {"X": X})
>>> bool(np.array_equal(labels, model.predict(X)))
True
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray
from sklearn.utils.validation import check_is_fitted

try:
    from onnx import TensorProto
    from skl2onnx import to_onnx as _skl2onnx_to_onnx
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
    from skl2onnx.common.utils import (
        check_input_and_output_numbers,
        check_input_and_output_types,
    )
    from skl2onnx.common.utils_classifier import get_label_classes
except ImportError as exc:  # pragma: no cover - exercised with a monkeypatch
    raise ImportError(
        f"skmlp.onnx needs skl2onnx and onnx, which are not installed ({exc}). "
        'Install them with: pip install "skmlp[onnx]"'
    ) from exc

from . import activations as act
from ._classifier import MLPClassifierBP
from ._network import Network
from ._regressor import MLPRegressorBP
from .activations import ACTIVATIONS, Activation

__all__ = ["OnnxGraphBuilder", "register_onnx_activation", "to_onnx"]

#: The ONNX opset in which ``Gelu`` appeared; below it GELU is decomposed.
GELU_OPSET = 20


class OnnxGraphBuilder:
    """Adds nodes to the ONNX graph of one skmlp model being converted.

    The object an activation translation receives (see
    :func:`register_onnx_activation`). Tensors are referred to by name.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        The conversion's scope (hands out unique names).
    container : skl2onnx.common._container.ModelComponentContainer
        The graph under construction.
    dtype : {numpy.float32, numpy.float64}
        The floating-point type the network computes in.

    Attributes
    ----------
    opset : int
        The target opset of the main ONNX domain: an operator introduced
        after it cannot be used.
    dtype : numpy.dtype
        The floating-point type the network computes in.
    """

    def __init__(self, scope, container, dtype: DTypeLike):
        self._scope = scope
        self._container = container
        self.dtype = np.dtype(dtype)
        self.opset = int(container.target_opset)

    def constant(self, value: ArrayLike) -> str:
        """Add a constant tensor to the graph; return its name.

        Parameters
        ----------
        value : array-like
            Floating-point values are stored in :attr:`dtype`, integers and
            booleans as int64, strings as ONNX strings.

        Returns
        -------
        name : str
        """
        value = np.asarray(value)
        name = self._scope.get_unique_variable_name("constant")
        if value.dtype.kind in "OSU":
            contents = [str(item).encode("utf-8") for item in value.ravel()]
            element_type = TensorProto.STRING
        elif value.dtype.kind in "biu":
            contents = value.astype(np.int64).ravel()
            element_type = TensorProto.INT64
        else:
            contents = value.astype(self.dtype).ravel()
            element_type = _proto_type(self.dtype)
        self._container.add_initializer(name, element_type, list(value.shape),
                                        contents)
        return name

    def node(self, op_type: str, *inputs: str, domain: str = "",
             output: str | None = None, **attributes) -> str:
        """Add a node with one output; return the output's name.

        Parameters
        ----------
        op_type : str
            The ONNX operator (``"Relu"``, ``"Mul"``, ...). Its newest
            version up to :attr:`opset` is used.
        *inputs : str
            The names of the input tensors, in the operator's order.
        domain : str, default=""
            The operator's domain (``""``: the main ONNX domain).
        output : str, default=None
            The name of the output; a new unique name when ``None``.
        **attributes
            The operator's attributes (``alpha=0.1``, ``axis=1``, ...).

        Returns
        -------
        name : str
            The name of the node's output tensor.
        """
        if output is None:
            output = self._scope.get_unique_variable_name(op_type.lower())
        self._container.add_node(
            op_type, list(inputs), output, op_domain=domain,
            name=self._scope.get_unique_operator_name(op_type), **attributes,
        )
        return output


#: ``translate(builder, x, activation) -> name``: adds the nodes computing
#: ``activation`` of the tensor named ``x`` and returns the result's name.
ActivationTranslation = Callable[[OnnxGraphBuilder, str, Activation], str]


def _operator(op_type: str, **attributes) -> ActivationTranslation:
    """The translation of an activation that is one ONNX operator."""
    def translate(builder: OnnxGraphBuilder, x: str, activation: Activation) -> str:
        return builder.node(op_type, x, **attributes)
    return translate


# onnxruntime implements LeakyRelu, Elu and Erf (which its Gelu expands to)
# for float32 only: float64 graphs use decompositions into operators it
# implements in float64.


def _leaky_relu(builder: OnnxGraphBuilder, x: str, activation: act.LeakyReLU) -> str:
    slope = float(activation.negative_slope)
    if builder.dtype == np.float32:
        return builder.node("LeakyRelu", x, alpha=slope)
    # max(z, s·z), as skmlp computes it (0 ≤ s < 1)
    return builder.node("Max", x, builder.node("Mul", x, builder.constant(slope)))


def _elu(builder: OnnxGraphBuilder, x: str, activation: act.ELU) -> str:
    alpha = float(activation.alpha)
    if builder.dtype == np.float32:
        return builder.node("Elu", x, alpha=alpha)
    # max(z, 0) + α(exp(min(z, 0)) − 1), as skmlp computes it
    negative = builder.node("Min", x, builder.constant(0.0))
    expm1 = builder.node("Sub", builder.node("Exp", negative), builder.constant(1.0))
    return builder.node("Add", builder.node("Relu", x),
                        builder.node("Mul", expm1, builder.constant(alpha)))


def _gelu(builder: OnnxGraphBuilder, x: str, activation: act.GELU) -> str:
    """``Gelu`` from opset 20 in float32; otherwise z·Φ(z), decomposed.

    In a float64 graph, exact GELU evaluates ``Erf`` in float32 (the
    only type onnxruntime has it in): its outputs are then within float32
    precision, about 1e-7 relative, of ``predict``'s.
    """
    if builder.opset >= GELU_OPSET and builder.dtype == np.float32:
        return builder.node("Gelu", x, approximate=activation.approximate)
    if activation.approximate == "tanh":
        # 2Φ(z) ≈ 1 + tanh(√(2/π)(z + 0.044715 z³))
        cube = builder.node("Mul", x, builder.node("Mul", x, x))
        inner = builder.node("Add", x, builder.node(
            "Mul", cube, builder.constant(act.GELU._TANH_CUBIC)))
        odd_part = builder.node("Tanh", builder.node(
            "Mul", inner, builder.constant(act.GELU._TANH_SCALE)))
    else:
        # 2Φ(z) = 1 + erf(z/√2)
        scaled = builder.node("Div", x, builder.constant(math.sqrt(2.0)))
        if builder.dtype == np.float32:
            odd_part = builder.node("Erf", scaled)
        else:
            odd_part = builder.node("Cast", builder.node(
                "Erf", builder.node("Cast", scaled, to=TensorProto.FLOAT)),
                to=TensorProto.DOUBLE)
    cdf = builder.node("Mul", builder.node("Add", odd_part, builder.constant(1.0)),
                       builder.constant(0.5))
    return builder.node("Mul", x, cdf)


def _identity(builder: OnnxGraphBuilder, x: str, activation: act.Identity) -> str:
    return x


_TRANSLATIONS: dict[type[Activation], ActivationTranslation] = {
    act.Identity: _identity,
    act.Logistic: _operator("Sigmoid"),
    act.Tanh: _operator("Tanh"),
    act.ReLU: _operator("Relu"),
    act.LeakyReLU: _leaky_relu,
    act.ELU: _elu,
    act.GELU: _gelu,
    act.Softmax: _operator("Softmax", axis=1),
    act.Exp: _operator("Exp"),
}


def register_onnx_activation(activation_class: type[Activation],
                             translate: ActivationTranslation) -> None:
    """Teach the ONNX export how to compute an activation.

    Every built-in activation has a translation; register one for your own
    :class:`~skmlp.activations.Activation` subclass before converting a
    model that uses it. Translations are looked up by exact class: a
    subclass of a built-in (which may compute something else) needs its
    own. Registering a class again replaces its translation.

    Parameters
    ----------
    activation_class : type
        A subclass of :class:`skmlp.activations.Activation`.
    translate : callable
        ``translate(builder, x, activation) -> str``: adds the nodes that
        compute ``activation`` (the fitted model's instance) of the tensor
        named ``x`` through ``builder`` (an :class:`OnnxGraphBuilder`) and
        returns the name of the result, a tensor of ``x``'s shape and type.

    Examples
    --------
    >>> import numpy as np
    >>> from skmlp.activations import Activation
    >>> from skmlp.onnx import register_onnx_activation
    >>> class Softplus(Activation):
    ...     def forward(self, z, out):
    ...         return np.logaddexp(0, z, out=out)
    ...     def backward(self, z, a, delta):
    ...         delta *= -np.expm1(-a)  # σ'(z) = 1 - e^(-a)
    ...         return delta
    >>> register_onnx_activation(
    ...     Softplus, lambda builder, x, activation: builder.node("Softplus", x))
    """
    if not (isinstance(activation_class, type)
            and issubclass(activation_class, Activation)):
        raise TypeError(
            "activation_class must be a subclass of skmlp.activations.Activation; "
            f"got {activation_class!r}."
        )
    if not callable(translate):
        raise TypeError(
            "translate must be a callable translate(builder, x, activation) -> str; "
            f"got {translate!r}."
        )
    _TRANSLATIONS[activation_class] = translate


def _translation(activation: Activation) -> ActivationTranslation:
    """The registered translation of ``activation``, or a helpful error."""
    try:
        return _TRANSLATIONS[type(activation)]
    except KeyError:
        name = type(activation).__qualname__
        raise TypeError(
            f"Cannot export the activation {activation!r} to ONNX: skmlp has no "
            f"ONNX translation for {name}. Register one before converting: "
            f"skmlp.onnx.register_onnx_activation({name}, translate), where "
            "translate(builder, x, activation) adds the nodes computing the "
            "activation of the tensor named x with builder.node(...) and "
            "returns the name of the result."
        ) from None


def _proto_type(dtype: np.dtype) -> int:
    return TensorProto.DOUBLE if dtype == np.float64 else TensorProto.FLOAT


def _compute_dtype(input_type) -> type:
    """float64 for a ``DoubleTensorType`` input, float32 otherwise."""
    return np.float64 if isinstance(input_type, DoubleTensorType) else np.float32


def _inference_layers(model) -> list[tuple[NDArray, NDArray]]:
    r"""The fitted ``(W, b)`` of every layer, batch normalisation folded in.

    At inference a normalised hidden layer computes
    :math:`\gamma (xW + b - \mu) / \sqrt{\sigma^2 + \epsilon} + \beta`, that
    is :math:`x (W s) + ((b - \mu) s + \beta)` with
    :math:`s = \gamma / \sqrt{\sigma^2 + \epsilon}` per unit. :math:`s` is
    computed in the fitted parameters' own type, as ``predict`` computes it,
    the folding in float64.
    """
    layers = [(np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64))
              for W, b in zip(model.coefs_, model.intercepts_)]
    batch_norm = model._fitted_batch_norm()
    if batch_norm is None:
        return layers
    for layer, (gamma, beta, mean, var) in enumerate(zip(*batch_norm)):
        W, b = layers[layer]
        scale = (gamma / np.sqrt(var + Network.BATCH_NORM_EPSILON)).astype(np.float64)
        layers[layer] = (W * scale, (b - mean) * scale + beta)
    return layers


def _network_output(builder: OnnxGraphBuilder, model, x: str) -> str:
    """Add the fitted network's forward pass over ``x``; return its output."""
    activations = [model._hidden_activation] * (len(model.coefs_) - 1)
    activations.append(ACTIVATIONS[model.out_activation_]())
    translations = [_translation(activation) for activation in activations]
    for (W, b), activation, translate in zip(_inference_layers(model), activations,
                                             translations):
        z = builder.node("Gemm", x, builder.constant(W), builder.constant(b))
        x = translate(builder, z, activation)
    return x


def _network_input(builder: OnnxGraphBuilder, operator) -> str:
    """The operator's input, cast to the computation type if needed."""
    variable = operator.inputs[0]
    if _compute_dtype(variable.type) == builder.dtype and isinstance(
            variable.type, (FloatTensorType, DoubleTensorType)):
        return variable.full_name
    return builder.node("Cast", variable.full_name, to=_proto_type(builder.dtype))


def _is_multilabel(model) -> bool:
    return model._label_binarizer.y_type_.startswith("multilabel")


def _label_values(scope, model) -> NDArray:
    """The labels the graph outputs, as int64 or str (``nocl``: indices).

    Classifiers accept integral labels only (floats such as ``1.0`` too):
    every numeric label is an int64.
    """
    classes = np.asarray(get_label_classes(scope, model))
    return classes.astype(str if classes.dtype.kind in "OSU" else np.int64)


def _n_probability_columns(model) -> int:
    """``predict_proba``'s columns: two for one logistic unit."""
    return 2 if model.n_outputs_ == 1 else model.n_outputs_


def _check_operator_types(operator, n_outputs: int) -> None:
    check_input_and_output_numbers(operator, input_count_range=1,
                                   output_count_range=n_outputs)
    check_input_and_output_types(
        operator, good_input_types=[FloatTensorType, DoubleTensorType])


def _classifier_shapes(operator) -> None:
    """Output types of a classifier: labels, then probabilities."""
    _check_operator_types(operator, n_outputs=2)
    model = operator.raw_operator
    scope = operator.scope_inst
    if (len(model.classes_) == 1
            and scope.get_options(model, {"zipmap": True})["zipmap"] is not False):
        raise ValueError(
            f"Cannot export {type(model).__name__} fitted on the single class "
            f"{model.classes_.tolist()[0]!r} with a zipmap: its predict_proba has two "
            "columns for one class. Pass options={'zipmap': False}."
        )
    n_rows = operator.inputs[0].get_first_dimension()
    labels = _label_values(scope, model)
    label_type = StringTensorType if labels.dtype.kind == "U" else Int64TensorType
    label_shape = [n_rows, len(labels)] if _is_multilabel(model) else [n_rows]
    operator.outputs[0].type = label_type(label_shape)
    probability_type = (DoubleTensorType if _compute_dtype(operator.inputs[0].type)
                        is np.float64 else FloatTensorType)
    operator.outputs[1].type = probability_type(
        [n_rows, _n_probability_columns(model)])


def _regressor_shapes(operator) -> None:
    """Output type of a regressor: ``(n_samples, n_outputs)``."""
    _check_operator_types(operator, n_outputs=1)
    n_rows = operator.inputs[0].get_first_dimension()
    output_type = (DoubleTensorType if _compute_dtype(operator.inputs[0].type)
                   is np.float64 else FloatTensorType)
    operator.outputs[0].type = output_type([n_rows, operator.raw_operator.n_outputs_])


def _convert_classifier(scope, operator, container) -> None:
    """Labels and probabilities, as ``predict`` and ``predict_proba``."""
    model = operator.raw_operator
    builder = OnnxGraphBuilder(scope, container,
                               _compute_dtype(operator.inputs[0].type))
    output = _network_output(builder, model, _network_input(builder, operator))
    labels_name, probabilities_name = (variable.full_name
                                       for variable in operator.outputs)
    labels = _label_values(scope, model)
    if _is_multilabel(model):
        builder.node("Identity", output, output=probabilities_name)
        positive = builder.node("Greater", output, builder.constant(0.5))
        builder.node("Cast", positive, output=labels_name, to=TensorProto.INT64)
        return
    if model.n_outputs_ == 1:
        # One logistic unit p: probabilities [1 - p, p]; the label is the
        # second class where p > 0.5. A model fitted on a single class
        # predicts it everywhere: both entries of the table are that class.
        labels = labels[[0, -1]]
        negative = builder.node("Sub", builder.constant([1.0]), output)
        builder.node("Concat", negative, output, output=probabilities_name, axis=1)
    else:
        builder.node("Identity", output, output=probabilities_name)
    # ArgMax keeps the first of tied maxima, as numpy's argmax does.
    index = builder.node("ArgMax", probabilities_name, axis=1, keepdims=0)
    builder.node("Gather", builder.constant(labels), index, output=labels_name,
                 axis=0)


def _convert_regressor(scope, operator, container) -> None:
    """The outputs of ``predict``, always as ``(n_samples, n_outputs)``."""
    builder = OnnxGraphBuilder(scope, container,
                               _compute_dtype(operator.inputs[0].type))
    output = _network_output(builder, operator.raw_operator,
                             _network_input(builder, operator))
    builder.node("Identity", output, output=operator.outputs[0].full_name)


def to_onnx(model, X: ArrayLike, **kwargs):
    """Convert a fitted skmlp estimator, or a pipeline holding one, to ONNX.

    ``skl2onnx.to_onnx`` with the skmlp converters registered; it checks
    first that ``model`` is fitted.

    Parameters
    ----------
    model : estimator
        A fitted :class:`~skmlp.MLPClassifierBP`,
        :class:`~skmlp.MLPRegressorBP`, or any estimator skl2onnx converts
        (a :class:`~sklearn.pipeline.Pipeline` ending in one, ...).
    X : array-like of shape (n_samples, n_features)
        Sample input; one row suffices. Its type sets the graph's input
        type: float32 data computes in float32, float64 data in float64.
    **kwargs
        Passed to ``skl2onnx.to_onnx``: ``target_opset`` (default:
        skl2onnx's newest tested opset), ``options`` (classifiers:
        ``{"zipmap": False}``, ``{"nocl": True}``, ...), ``name``, ...

    Returns
    -------
    onnx_model : onnx.ModelProto
        The graph has one input named ``"X"`` of shape
        ``(None, n_features)``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``model`` is not fitted.
    TypeError
        If the model uses an activation without an ONNX translation (see
        :func:`register_onnx_activation`).
    """
    check_is_fitted(model)
    return _skl2onnx_to_onnx(model, X, **kwargs)


update_registered_converter(
    MLPClassifierBP, "SkmlpMLPClassifierBP", _classifier_shapes,
    _convert_classifier,
    # skl2onnx's classifier parser handles these options.
    options={"zipmap": [True, False, "columns"], "nocl": [True, False],
             "output_class_labels": [False, True]},
)
update_registered_converter(
    MLPRegressorBP, "SkmlpMLPRegressorBP", _regressor_shapes, _convert_regressor,
)
