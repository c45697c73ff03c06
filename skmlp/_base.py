"""The estimator base: parameters, validation, components, and the commit.

Reading order for a newcomer: :meth:`BaseMLP._fit` (validate, build the
network and the components, hand over to a trainer, commit), then the
trainer: :class:`skmlp._trainer.StochasticTrainer` (the epoch loop, read top
to bottom) or :class:`skmlp._lbfgs.LbfgsTrainer`, then
:class:`skmlp._network.Network` (the maths of one step).

Every call trains on *copies* of the fitted state and assigns the results to
``self`` in one place, :meth:`BaseMLP._commit`, at the end. A call that
fails, whatever the reason, leaves a fitted model exactly as it was.
"""

from __future__ import annotations

import functools
import inspect
import sys
import weakref
from abc import ABC, abstractmethod
from numbers import Integral, Real
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn import get_config
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from ._docs import DocLinkMixin
from ._guard import NothingFinite
from ._lbfgs import LbfgsTrainer, uses_lbfgs
from ._network import BatchNormParams, Network
from ._params import Component, ParamsMixin, param_names, resolve, validate_params
from ._persistence import PlainStateMixin
from ._sample_weight import check_sample_weight
from ._sklearn_callbacks import CallbackSupportMixin, FitTasks
from ._trainer import FitMode, StochasticTrainer, ValidationSet
from ._user_warnings import warn_user
from .activations import ACTIVATIONS, HIDDEN_ACTIVATIONS, Activation
from .callbacks import Callback
from .initializers import INITIALIZERS, Initializer
from .losses import LOSSES
from .optimizers import OPTIMIZERS, Optimizer
from .schedulers import SCHEDULERS, ConstantLR, Scheduler

#: The fitted attributes of batch normalisation, in BatchNormParams order.
_BATCH_NORM_ATTRIBUTES = ("batch_norm_scales_", "batch_norm_offsets_",
                          "batch_norm_running_means_", "batch_norm_running_vars_")

#: Per estimator, the :class:`Network` its predictions run (with the key it
#: was built for; see :meth:`BaseMLP._prediction_network`). Kept outside the
#: estimators: a prediction changes no attribute, and copies and pickles
#: carry no cache.
_PREDICTION_NETWORKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

#: Per estimator, the parameter values its last validation accepted (see
#: :meth:`BaseMLP._validate_params`).
_VALIDATED_PARAMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

#: scikit-learn's learning-rate names that its Adam solver ignores.
_SKLEARN_SGD_ONLY_SCHEDULES = frozenset({"invscaling", "adaptive"})

#: The parameters that take a component, with the registry of their names.
_COMPONENT_PARAMS = {"solver": OPTIMIZERS, "learning_rate": SCHEDULERS,
                     "activation": ACTIVATIONS, "weight_init": INITIALIZERS}


@functools.cache
def _init_defaults(cls: type) -> dict[str, Any]:
    """The constructor's defaults of ``cls``, read once per class."""
    return {name: p.default
            for name, p in inspect.signature(cls.__init__).parameters.items()}


def _is_plain_float_matrix(X) -> bool:
    """Whether ``X`` is a non-empty 2-D float32 or float64 NumPy array, which
    ``validate_data`` would take as it is."""
    return (type(X) is np.ndarray and X.ndim == 2 and X.shape[0] > 0
            and X.shape[1] > 0 and X.dtype.type in (np.float64, np.float32))


def _frame_values(X, feature_names: NDArray) -> NDArray | None:
    """The values of ``X`` if it is a pandas DataFrame whose columns are
    ``feature_names``, in order, all of one NumPy float dtype (float32 or
    float64): what ``validate_data`` would make of it. ``None`` otherwise."""
    pandas = sys.modules.get("pandas")  # X can only be a DataFrame if imported
    if pandas is None or type(X) is not pandas.DataFrame:
        return None
    if X.columns.tolist() != feature_names.tolist():
        return None
    values = X.to_numpy()
    if values.dtype.type not in (np.float64, np.float32) or any(
            dtype != values.dtype for dtype in X.dtypes):
        return None
    return values


def _is_plain_target(y, n_samples: int, numeric: bool) -> bool:
    """Whether ``y`` is a 1-D or 2-D NumPy array of ``n_samples`` rows of
    numbers (or strings, unless ``numeric``), which ``validate_data`` would
    take as it is."""
    return (type(y) is np.ndarray and 1 <= y.ndim <= 2 and y.shape[0] == n_samples
            and y.size > 0 and y.dtype.kind in ("biuf" if numeric else "biufU"))


def _finite_or_assumed(arrays) -> bool:
    """Whether every array is finite, or scikit-learn is told to assume so
    (``assume_finite``); ``False`` under array-API dispatch, which
    ``validate_data`` handles. scikit-learn's first test: a finite sum."""
    config = get_config()
    if config["array_api_dispatch"]:
        return False
    if config["assume_finite"]:
        return True
    with np.errstate(over="ignore"):
        return all(np.isfinite(array.sum()) for array in arrays
                   if array.dtype.kind == "f")


#: ``_check_data``'s default for ``y``: no targets (prediction), unlike a
#: ``y=None`` passed to ``fit``, which scikit-learn's validation refuses.
_NO_TARGETS = object()


def _checked_layer(drawn, layer: int, fan_in: int, fan_out: int):
    """The ``(coef, intercept)`` an initialiser drew for ``layer``, checked:
    finite arrays of shapes ``(fan_in, fan_out)`` and ``(fan_out,)``."""
    expected = ((fan_in, fan_out), (fan_out,))
    try:
        coef, intercept = (np.asarray(array, dtype=float) for array in drawn)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"weight_init must return (coef, intercept) arrays for layer {layer}; "
            f"got {drawn!r:.80}."
        ) from exc
    if (coef.shape, intercept.shape) != expected:
        raise ValueError(
            f"weight_init returned arrays of shapes {coef.shape} and "
            f"{intercept.shape} for layer {layer}; expected {expected[0]} and "
            f"{expected[1]}."
        )
    if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
        raise ValueError(
            f"weight_init returned non-finite values for layer {layer}."
        )
    return drawn


def _validate_params_every_call(partial_fit):
    """Validate the parameters on every call to ``partial_fit``.

    scikit-learn's ``_fit_context`` skips validation in ``partial_fit`` once
    the estimator is fitted, so parameters set since then (``set_params``)
    would go unchecked. Goes outside ``_fit_context``, which turns validation
    off for what it wraps.
    """
    @functools.wraps(partial_fit)
    def wrapper(self, *args, **kwargs):
        if not get_config()["skip_parameter_validation"]:
            self._validate_params()
        return partial_fit(self, *args, **kwargs)

    return wrapper


class BaseMLP(DocLinkMixin, PlainStateMixin, CallbackSupportMixin, BaseEstimator,
              ABC):
    """Shared machinery of :class:`MLPClassifierBP` and :class:`MLPRegressorBP`.

    Do not use directly.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [Component({name: ACTIVATIONS[name]
                                  for name in HIDDEN_ACTIVATIONS}, Activation)],
        "solver": [Component(OPTIMIZERS, Optimizer, extra_names={"lbfgs"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [Component(SCHEDULERS, Scheduler)],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "weight_init": [Component(INITIALIZERS, Initializer), callable],
        "batch_norm": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "clip_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "clip_grad_value": [Interval(Real, 0, None, closed="neither"), None],
        "callbacks": [list, tuple, None],
    }

    @abstractmethod
    def __init__(self, **params: Any):
        for name, value in params.items():
            setattr(self, name, value)

    _get_param_names = classmethod(param_names)

    # -- parameters -----------------------------------------------------------

    def _validate_params(self) -> None:
        """scikit-learn's validation, then what it cannot express.

        Component names get sorted lists and "did you mean" (see
        :func:`skmlp._params.validate_params`); an output-only activation
        cannot be hidden; and an estimator parameter that a component
        *object* would override is refused unless it is at its default, so
        that no setting is silently ignored.

        Every one of these checks reads the values' types and immutable
        values (numbers, strings, tuples) only: parameters that are the very
        objects of the last validation of this estimator need none
        (``partial_fit`` validates on every call).
        """
        params = self.get_params(deep=False)
        values = tuple(params.values())
        validated = _VALIDATED_PARAMS.get(self)
        if validated is not None and len(validated) == len(values) and all(
                value is previous for value, previous in zip(values, validated)):
            return
        validate_params(self._parameter_constraints, params,
                        caller_name=type(self).__name__)
        if isinstance(self.activation, Activation) and not self.activation.hidden:
            raise InvalidParameterError(
                f"The 'activation' parameter of {type(self).__name__} got "
                f"{self.activation!r}, an output-only activation: it cannot be "
                "used in the hidden layers."
            )
        defaults = _init_defaults(type(self))
        for param in _COMPONENT_PARAMS:
            component = params[param]
            if not isinstance(component, ParamsMixin):
                continue
            for name in type(component).estimator_params:
                value = params[name]
                if value is not defaults[name] and value != defaults[name]:
                    raise ValueError(
                        f"{name}={value!r} would be ignored: {param} is a "
                        f"{type(component).__name__} object, whose own {name} "
                        f"({getattr(component, name)!r}) is used. Set it on the "
                        f"object ({param}={type(component).__name__}({name}="
                        f"{value!r}), or {param}__{name} in a grid search), or "
                        f"leave {name} at its default ({defaults[name]!r})."
                    )
        _VALIDATED_PARAMS[self] = values

    def set_params(self, **params: Any):
        """Set the parameters of this estimator (scikit-learn's contract).

        Nested parameters (``solver__beta_1``) need the component to be an
        object: a name has no parameters to set.
        """
        for key in params:
            param, _, nested = key.partition("__")
            component = params.get(param, getattr(self, param, None))
            if nested and param in _COMPONENT_PARAMS and isinstance(component, str):
                raise ValueError(
                    f"Cannot set {key}: {param}={component!r} is a name. Pass "
                    f"the component as an object ({param}="
                    f"{type(resolve(component, _COMPONENT_PARAMS[param])).__name__}"
                    f"()) to set or search its parameters as {param}__<name>."
                )
        return super().set_params(**params)

    # -- hooks for the subclasses --------------------------------------------

    @abstractmethod
    def _validate_targets(self, X, y, *, incremental: bool, reset: bool,
                          classes=None):
        """Validate ``X`` and ``y``; return ``(X, Y, target_state)``.

        ``Y`` is 2-D; ``target_state`` holds the fitted attributes that
        describe the targets (``classes_`` ...), committed with the weights.
        """

    def _weigh_classes(self, sample_weight, Y, target_state, *, incremental, dtype):
        """Sample weights with per-class weights folded in (classifiers)."""
        return sample_weight

    @abstractmethod
    def _encode_validation_targets(self, y_val, target_state: dict, *,
                                   n_outputs: int):
        """Check ``y_val`` against the training targets; return it 2-D,
        encoded as ``_validate_targets`` encodes ``y``."""

    @abstractmethod
    def _output_spec(self, target_state: dict) -> tuple[str, str]:
        """Names of the output activation and of the loss."""

    @abstractmethod
    def _score_output(self, output, y, sample_weight, target_state) -> float:
        """Score raw network outputs against ``y`` (for early stopping)."""

    # -- the fit lifecycle ------------------------------------------------

    def _fit(self, X, y, sample_weight=None, *, incremental: bool = False,
             classes=None, X_val=None, y_val=None, sample_weight_val=None):
        """Fit (or continue fitting) the network; the one path for all calls."""
        fitted = hasattr(self, "coefs_")
        mode = FitMode(incremental=incremental,
                       new_weights=not fitted or not (self.warm_start or incremental))
        # Opened first: a failed call restores what it saw, and scikit-learn
        # must still find its callback context to tear the callbacks down.
        tasks = FitTasks(self, X, y, sample_weight,
                         max_epochs=1 if incremental else self.max_iter)
        saved = self.__dict__.copy()  # validate_data may set n_features_in_
        try:
            new_state = self._train(X, y, sample_weight, mode, classes, tasks,
                                    validation=(X_val, y_val, sample_weight_val))
        except NothingFinite as exc:
            self.__dict__.clear()
            self.__dict__.update(saved)
            if mode.new_weights:
                raise ValueError(str(exc)) from None
            warn_user(f"{exc} Kept the model from before this call.",
                      ConvergenceWarning)
            tasks.finish()
            return self
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise
        self._commit(new_state, fresh=mode.new_weights)
        tasks.finish()
        return self

    def _train(self, X, y, sample_weight, mode: FitMode, classes, tasks: FitTasks,
               *, validation: tuple) -> dict:
        """Validate, train on working copies, and return the new fitted state."""
        hidden_layer_sizes = self._hidden_layer_sizes()
        has_validation_data = self._check_validation_args(*validation)
        X, Y, target_state = self._validate_targets(
            X, y, incremental=mode.incremental, reset=mode.new_weights,
            classes=classes,
        )
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X.shape[0],
                                                dtype=X.dtype)
        sample_weight = self._weigh_classes(sample_weight, Y, target_state,
                                            incremental=mode.incremental,
                                            dtype=X.dtype)
        if not mode.new_weights and self.coefs_[0].shape[0] != X.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but the network was fitted with "
                f"{self.coefs_[0].shape[0]} features."
            )
        validation_set = (self._validation_set(*validation, X=X, n_outputs=Y.shape[1],
                                               target_state=target_state, mode=mode)
                          if has_validation_data else None)
        random_state = check_random_state(self.random_state)
        out_activation, loss_name = self._output_spec(target_state)
        layer_units = [X.shape[1], *hidden_layer_sizes, Y.shape[1]]
        hidden = resolve(self.activation, ACTIVATIONS)
        network = Network(layer_units, hidden, ACTIVATIONS[out_activation](),
                          batch_norm=self.batch_norm, dropout=self.dropout)
        trainer = self._trainer(network, LOSSES[loss_name]())

        def fitted_model(params, norm_stats) -> dict:
            """The attributes that make a model predict with these weights."""
            model = {**target_state, "n_outputs_": Y.shape[1],
                     "n_layers_": len(layer_units), "out_activation_": out_activation,
                     "_hidden_activation": hidden}
            model["coefs_"], model["intercepts_"] = network.unpack(params)
            batch_norm = network.unpack_batch_norm(params, norm_stats)
            model.update(zip(_BATCH_NORM_ATTRIBUTES,
                             batch_norm or [None] * len(_BATCH_NORM_ATTRIBUTES)))
            return model

        tasks.bind(fitted_model)
        if mode.new_weights:
            params = self._initial_params(network, hidden, random_state, X.dtype)
            norm_stats = network.init_norm_stats(X.dtype)
        else:
            self._check_architecture(network)
            params, norm_stats = self._fitted_params(network, X.dtype)
        params, norm_stats, new_state = trainer.train(
            X, Y, sample_weight, params=params, norm_stats=norm_stats, mode=mode,
            random_state=random_state, validation=validation_set, tasks=tasks,
            score=lambda output, y_val, sw_val: self._score_output(
                output, y_val, sw_val, target_state),
        )
        new_state.update(fitted_model(params, norm_stats))
        return new_state

    def _check_validation_args(self, X_val, y_val, sample_weight_val) -> bool:
        """Whether validation data was passed; refuse incomplete or unusable
        validation data (scikit-learn's ``HistGradientBoosting`` rules)."""
        if X_val is None and y_val is None:
            if sample_weight_val is not None:
                raise ValueError("sample_weight_val is provided, but X_val and "
                                 "y_val were not provided.")
            return False
        if y_val is None:
            raise ValueError("X_val is provided, but y_val was not provided.")
        if X_val is None:
            raise ValueError("y_val is provided, but X_val was not provided.")
        if uses_lbfgs(self):
            raise ValueError(
                "solver='lbfgs' cannot use validation data (X_val, y_val): "
                "L-BFGS has no early stopping. Use a stochastic solver "
                "(solver='adam', 'sgd', ...), or leave X_val and y_val out."
            )
        if not self.early_stopping:
            raise ValueError(
                "X_val and y_val are passed while early_stopping is False. When "
                "passing X_val and y_val, set early_stopping=True: they replace "
                "the random validation_fraction split (n_iter_no_change=np.inf "
                "tracks the validation curves without stopping)."
            )
        return True

    def _validation_set(self, X_val, y_val, sample_weight_val, *, X, n_outputs: int,
                        target_state: dict, mode: FitMode) -> ValidationSet:
        """``X_val``, ``y_val`` and ``sample_weight_val`` checked as the
        training data is, and encoded as its targets are."""
        X_val = validate_data(self, X_val, accept_sparse=["csr", "csc"],
                              reset=False, dtype=X.dtype)
        Y_val = self._encode_validation_targets(y_val, target_state,
                                                n_outputs=n_outputs)
        check_consistent_length(X_val, Y_val)
        if sample_weight_val is not None:
            sample_weight_val = check_sample_weight(
                sample_weight_val, X_val.shape[0], dtype=X.dtype,
                input_name="sample_weight_val")
        sample_weight_val = self._weigh_classes(sample_weight_val, Y_val, target_state,
                                                incremental=mode.incremental,
                                                dtype=X.dtype)
        return ValidationSet(X_val, Y_val, sample_weight_val)

    def _trainer(self, network: Network, loss):
        """The trainer of ``solver``, with fresh copies of the components."""
        callbacks = self._resolve_callbacks()
        if uses_lbfgs(self):
            return LbfgsTrainer(self, network, loss, callbacks)
        return StochasticTrainer(self, network, loss, self._resolve_optimizer(),
                                 self._resolve_scheduler(), callbacks)

    def _initial_params(self, network: Network, hidden: Activation, random_state,
                        dtype):
        """Fresh weights from ``weight_init``, packed into one vector."""
        initializer = resolve(self.weight_init, INITIALIZERS)
        layers = [
            _checked_layer(initializer(fan_in, fan_out, activation=hidden,
                                       random_state=random_state, dtype=dtype),
                           layer, fan_in, fan_out)
            for layer, (fan_in, fan_out) in enumerate(network.coef_shapes)
        ]
        return network.pack(*zip(*layers), dtype=dtype)

    def _fitted_params(self, network: Network, dtype):
        """Copies of the fitted weights (and batch-norm statistics)."""
        fitted_norm = self._fitted_batch_norm()
        params = network.pack(
            self.coefs_, self.intercepts_, dtype=dtype,
            scales=fitted_norm and fitted_norm.scales,
            offsets=fitted_norm and fitted_norm.offsets,
        )
        norm_stats = (network.init_norm_stats(dtype)
                      if fitted_norm is None or not fitted_norm.running_means
                      else np.concatenate([*fitted_norm.running_means,
                                           *fitted_norm.running_vars]))
        return params, norm_stats

    def _fitted_batch_norm(self) -> BatchNormParams | None:
        """The fitted batch-normalisation parameters and statistics, if any."""
        values = [getattr(self, name, None) for name in _BATCH_NORM_ATTRIBUTES]
        return None if values[0] is None else BatchNormParams(*values)

    def _hidden_layer_sizes(self) -> list[int]:
        """``hidden_layer_sizes`` as a list; its entries must be integers."""
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if np.iterable(sizes) else [sizes]
        if not all(isinstance(size, Integral) and not isinstance(size, bool)
                   for size in sizes):
            raise InvalidParameterError(
                f"The 'hidden_layer_sizes' parameter of {type(self).__name__} "
                "must be an int or a sequence of ints (the number of units of "
                f"each hidden layer). Got {self.hidden_layer_sizes!r} instead."
            )
        if any(size <= 0 for size in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(size) for size in sizes]

    def _check_architecture(self, network: Network) -> None:
        shapes = [c.shape for c in self.coefs_]
        if network.batch_norm != (self._fitted_batch_norm() is not None):
            raise ValueError(
                f"batch_norm={self.batch_norm} differs from the fitted network's; "
                "refit with warm_start=False."
            )
        if shapes != network.coef_shapes:
            raise ValueError(
                "The network's layer sizes changed since the last fit "
                f"(fitted weight shapes {shapes}, now {network.coef_shapes}). "
                "Refit with warm_start=False."
            )

    def _commit(self, fitted: dict, *, fresh: bool) -> None:
        """Assign the new fitted state to ``self``: the only place that does.

        A fresh fit also removes what an earlier fit left that this one does
        not set (an L-BFGS refit has no optimizer state, for instance).
        """
        previous = getattr(self, "_fitted_names", frozenset())
        if fresh:
            for name in previous - fitted.keys():
                vars(self).pop(name, None)
            previous = frozenset()
        for name, value in fitted.items():
            setattr(self, name, value)
        self._fitted_names = previous | fitted.keys()

    # -- components ---------------------------------------------------------

    def _resolve_optimizer(self):
        return resolve(self.solver, OPTIMIZERS,
                       estimator_params=self.get_params(deep=False))

    def _resolve_callbacks(self) -> list:
        """Fresh clones of the callbacks (the user's objects stay untouched)."""
        callbacks = list(self.callbacks or [])
        for callback in callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    "The 'callbacks' parameter must be a list of "
                    f"skmlp.callbacks.Callback instances. Got {callback!r}."
                )
        return [clone(callback, safe=False) for callback in callbacks]

    def _resolve_scheduler(self):
        # scikit-learn's Adam ignores the SGD-only schedule names; keep parity.
        if self.solver == "adam" and self.learning_rate in _SKLEARN_SGD_ONLY_SCHEDULES:
            return ConstantLR()
        return resolve(self.learning_rate, SCHEDULERS,
                       estimator_params=self.get_params(deep=False))

    # -- prediction ---------------------------------------------------------

    def __sklearn_is_fitted__(self) -> bool:
        """Whether the estimator has fitted weights (scikit-learn's protocol)."""
        return "coefs_" in vars(self)

    def _forward(self, X, *, check_input: bool = True):
        """Output activations of the fitted network."""
        if not self.__sklearn_is_fitted__():
            check_is_fitted(self)  # raises scikit-learn's NotFittedError
        if check_input:
            X = self._check_data(X, reset=False)
        return self._prediction_network().predict(
            self.coefs_, self.intercepts_, X, batch_norm=self._fitted_batch_norm())

    def _check_data(self, X, y=_NO_TARGETS, *, reset: bool, y_numeric: bool = False):
        """``validate_data`` with skmlp's options: ``X`` (and ``y``) checked
        and converted, ``n_features_in_`` and ``feature_names_in_`` set
        (``reset=True``) or compared with the fitted ones.

        The common case is checked here in microseconds (about 30 for a
        DataFrame) instead of the tens to hundreds ``validate_data`` takes
        (about 600 for a one-row DataFrame): ``X`` a 2-D float32 or float64
        NumPy array (of the fitted width when ``reset=False``) and no feature
        names, fitted or given; or, once fitted with feature names, a
        DataFrame with exactly those columns, in order, all float32 or all
        float64; ``y`` a 1-D or 2-D NumPy array of as many numbers (or, for a
        classifier, strings). The checks are scikit-learn's: shapes, dtypes
        and, unless scikit-learn's ``assume_finite`` is set, finiteness (its
        O(1)-memory test, a finite sum). Any other input,
        and any input that fails a check, goes through ``validate_data``,
        which converts it or raises scikit-learn's error.
        """
        no_targets = y is _NO_TARGETS  # prediction; fit's y=None is an error
        feature_names = getattr(self, "feature_names_in_", None)
        if feature_names is None:
            values = X
        elif reset:
            values = None  # validate_data replaces or forgets the names
        else:
            values = _frame_values(X, feature_names)
        arrays = (values,) if no_targets else (values, y)
        if (_is_plain_float_matrix(values)
                and (reset or values.shape[1] == getattr(self, "n_features_in_", None))
                and (no_targets or _is_plain_target(y, values.shape[0], y_numeric))
                and _finite_or_assumed(arrays)):
            if reset:
                self.n_features_in_ = values.shape[1]
            return values if no_targets else arrays
        if no_targets:
            return validate_data(self, X, accept_sparse=["csr", "csc"], reset=reset,
                                 dtype=(np.float64, np.float32))
        return validate_data(self, X, y, accept_sparse=["csr", "csc"], reset=reset,
                             dtype=(np.float64, np.float32), multi_output=True,
                             y_numeric=y_numeric)

    def _prediction_network(self) -> Network:
        """The fitted architecture as a :class:`Network`, built once per model.

        Cached in :data:`_PREDICTION_NETWORKS` with a key of everything the
        network is built from (layer widths and activations; the weights
        and batch-normalisation parameters are passed at every call), so
        that no refit, ``partial_fit``, ``set_params`` or weights assigned
        by hand can meet a stale one. A network holds neither weights nor
        buffers: concurrent predictions can share it.
        """
        key = (tuple(W.shape for W in self.coefs_), self._hidden_activation,
               self.out_activation_)
        cached = _PREDICTION_NETWORKS.get(self)
        if cached is not None and cached[0] == key:
            return cached[1]
        shapes, hidden, output = key
        network = Network([shapes[0][0], *(fan_out for _, fan_out in shapes)],
                          hidden, ACTIVATIONS[output]())
        _PREDICTION_NETWORKS[self] = (key, network)
        return network

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
