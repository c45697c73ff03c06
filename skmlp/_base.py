"""The estimator base: validation, the fit lifecycle and the training loops.

Reading order for a newcomer: :meth:`BaseMLP._fit` (validate, resolve the
components, build working copies, train, commit), then
:meth:`BaseMLP._train_stochastic` (the epoch and mini-batch loop), then
:class:`skmlp._network.Network` (the maths of one step).

Every call trains on *copies* of the fitted state and assigns the results to
``self`` in one place, :meth:`BaseMLP._commit`, at the end. A call that
fails, whatever the reason, leaves a fitted model exactly as it was.
"""

from __future__ import annotations

import copy
import functools
import time
import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._diagnostics import gradient_warnings
from ._lbfgs import train_lbfgs
from ._network import BatchNormParams, Network
from ._params import resolve
from ._training import Checkpoint, Diverged, EpochRunner, TrainingState, as_targets
from .activations import ACTIVATIONS, HIDDEN_ACTIVATIONS
from .callbacks import Callback, _batch_norm_kwargs
from .initializers import INITIALIZERS
from .losses import LOSSES
from .optimizers import OPTIMIZERS
from .schedulers import SCHEDULERS, ConstantLR

#: The fitted attributes of batch normalisation, in BatchNormParams order.
_BATCH_NORM_ATTRIBUTES = ("batch_norm_scales_", "batch_norm_offsets_",
                          "batch_norm_running_means_", "batch_norm_running_vars_")

#: scikit-learn's learning-rate names that its Adam solver ignores.
_SKLEARN_SGD_ONLY_SCHEDULES = frozenset({"invscaling", "adaptive"})


def _max_abs(X) -> float:
    """The largest magnitude of an entry of dense or sparse ``X`` (0 if empty)."""
    data = X.data if sp.issparse(X) else X
    return max(float(data.max()), -float(data.min())) if data.size else 0.0


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


class BaseMLP(BaseEstimator, ABC):
    """Shared machinery of :class:`MLPClassifierBP` and :class:`MLPRegressorBP`.

    Do not use directly.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [
            StrOptions(set(HIDDEN_ACTIVATIONS)),
            HasMethods(["forward", "backward"]),
        ],
        "solver": [
            StrOptions({"lbfgs", *OPTIMIZERS}),
            HasMethods(["init_state", "step"]),
        ],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [
            StrOptions(set(SCHEDULERS)),
            HasMethods(["init_state", "on_batch_end", "on_epoch_end", "on_plateau"]),
        ],
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
        "weight_init": [StrOptions(set(INITIALIZERS)), callable],
        "batch_norm": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "clip_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "clip_grad_value": [Interval(Real, 0, None, closed="neither"), None],
        "callbacks": [list, tuple, None],
    }

    #: The flat scikit-learn parameters that feed named built-in components.
    _FLAT_COMPONENT_PARAMS = (
        "momentum",
        "nesterovs_momentum",
        "beta_1",
        "beta_2",
        "epsilon",
        "power_t",
    )

    @abstractmethod
    def __init__(self, **params: Any):
        for name, value in params.items():
            setattr(self, name, value)

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
    def _output_spec(self, target_state: dict) -> tuple[str, str]:
        """Names of the output activation and of the loss."""

    @abstractmethod
    def _score_output(self, output, y, sample_weight, target_state) -> float:
        """Score raw network outputs against ``y`` (for early stopping)."""

    # -- the fit lifecycle ------------------------------------------------

    def _fit(self, X, y, sample_weight=None, *, incremental: bool = False,
             classes=None):
        """Fit (or continue fitting) the network; the one path for all calls."""
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        saved = self.__dict__.copy()  # validate_data may set n_features_in_
        try:
            fitted = self._train(X, y, sample_weight, incremental, first_pass,
                                 classes)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise
        self._commit(fitted, fresh=first_pass)
        return self

    def _train(self, X, y, sample_weight, incremental, first_pass, classes) -> dict:
        """Validate, train on working copies, and return the new fitted state."""
        hidden_layer_sizes = self._hidden_layer_sizes()
        if np.any(np.array(hidden_layer_sizes) <= 0):
            raise ValueError(
                f"hidden_layer_sizes must be > 0, got {hidden_layer_sizes}."
            )
        if self.early_stopping and incremental and self.solver != "lbfgs":
            raise ValueError("partial_fit does not support early_stopping=True")

        X, Y, target_state = self._validate_targets(
            X, y, incremental=incremental, reset=first_pass, classes=classes
        )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        sample_weight = self._weigh_classes(sample_weight, Y, target_state,
                                            incremental=incremental, dtype=X.dtype)
        if not first_pass and self.coefs_[0].shape[0] != X.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but the network was fitted with "
                f"{self.coefs_[0].shape[0]} features."
            )
        random_state = check_random_state(self.random_state)
        out_activation, loss_name = self._output_spec(target_state)
        layer_units = [X.shape[1], *hidden_layer_sizes, Y.shape[1]]
        hidden = resolve(self.activation, ACTIVATIONS)
        network = Network(layer_units, hidden, ACTIVATIONS[out_activation](),
                          batch_norm=self.batch_norm, dropout=self.dropout)
        if self.solver == "lbfgs" and (self.batch_norm or self.dropout):
            raise ValueError(
                "batch_norm=True and dropout > 0 need a stochastic solver (they "
                "work on mini-batches); got solver='lbfgs'."
            )
        fitted = {**target_state, "n_outputs_": Y.shape[1],
                  "n_layers_": len(layer_units), "out_activation_": out_activation,
                  "_hidden_activation": hidden}

        if first_pass:
            initializer = resolve(self.weight_init, INITIALIZERS)
            layers = [
                _checked_layer(initializer(fan_in, fan_out, activation=hidden,
                                           random_state=random_state,
                                           dtype=X.dtype), layer, fan_in, fan_out)
                for layer, (fan_in, fan_out) in enumerate(network.coef_shapes)
            ]
            params = network.pack(*zip(*layers), dtype=X.dtype)
            norm_stats = network.init_norm_stats(X.dtype)
            progress = {"n_iter_": 0, "t_": 0}
        else:
            self._check_architecture(network)
            fitted_norm = self._fitted_batch_norm()
            params = network.pack(
                self.coefs_, self.intercepts_, dtype=X.dtype,
                scales=fitted_norm and fitted_norm.scales,
                offsets=fitted_norm and fitted_norm.offsets,
            )
            norm_stats = (network.init_norm_stats(X.dtype)
                          if fitted_norm is None or not fitted_norm.running_means
                          else np.concatenate([*fitted_norm.running_means,
                                               *fitted_norm.running_vars]))
            progress = {"n_iter_": self.n_iter_, "t_": getattr(self, "t_", 0)}
        fitted.update(progress)

        if self.solver == "lbfgs":
            self._resolve_scheduler()  # unused, but validated as for the others
            fitted.update(train_lbfgs(
                network, params, X, Y, sample_weight, LOSSES[loss_name](),
                alpha=self.alpha, max_iter=self.max_iter, max_fun=self.max_fun,
                tol=self.tol, verbose=self.verbose,
            ))
        else:
            fitted.update(self._train_stochastic(
                network, params, norm_stats, X, Y, sample_weight,
                LOSSES[loss_name](), random_state=random_state,
                target_state=target_state, incremental=incremental,
                first_pass=first_pass,
            ))
        params = fitted.pop("_params")
        norm_stats = fitted.pop("_norm_stats", norm_stats)
        fitted["coefs_"], fitted["intercepts_"] = network.unpack(params)
        batch_norm = network.unpack_batch_norm(params, norm_stats)
        for name, value in zip(_BATCH_NORM_ATTRIBUTES,
                               batch_norm or [None] * len(_BATCH_NORM_ATTRIBUTES)):
            fitted[name] = value
        return fitted

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
        not set (an L-BFGS refit has no ``history_``, for instance).
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
        flat = {name: getattr(self, name) for name in self._FLAT_COMPONENT_PARAMS}
        return resolve(self.solver, OPTIMIZERS, flat_params=flat)

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
        flat = {name: getattr(self, name) for name in self._FLAT_COMPONENT_PARAMS}
        return resolve(self.learning_rate, SCHEDULERS, flat_params=flat)

    # -- stochastic solvers -------------------------------------------------

    def _train_stochastic(self, network, params, norm_stats, X, Y, sample_weight,
                          loss, *, random_state, target_state, incremental,
                          first_pass):
        """Mini-batch training; returns the fitted state to commit."""
        optimizer = self._resolve_optimizer()
        scheduler = self._resolve_scheduler()
        callbacks = self._resolve_callbacks()
        state = self._initial_training_state(optimizer, scheduler, params,
                                             norm_stats, incremental)
        record = self._initial_record(first_pass, state)
        X_val = y_val = sw_val = None
        X_all = X  # outputs must stay finite on all of it, validation rows too
        if self.early_stopping:
            X, X_val, Y, y_val, sample_weight, sw_val = self._validation_split(
                X, Y, sample_weight, random_state
            )
        runner = EpochRunner(
            network, loss, optimizer, scheduler, X,
            as_targets(Y, params.dtype), sample_weight,
            batch_size=self._batch_size(X.shape[0]), alpha=self.alpha,
            shuffle=self.shuffle, random_state=random_state, dtype=params.dtype,
            clip_grad_norm=self.clip_grad_norm, clip_grad_value=self.clip_grad_value,
            callbacks=callbacks, estimator=self,
            dropout_rng=(np.random.default_rng(random_state.randint(2**31 - 1))
                         if self.dropout else None),
        )
        for callback in callbacks:
            callback.on_train_begin(self, X=X, y=Y)
        samples_seen = 0 if first_pass else self.t_
        n_iter = 0
        # Restore points for divergence and interruption: where this call
        # started, and the last completed epochs back to one whose outputs
        # are proven finite (at most two).
        start = Checkpoint.take(state, record, 0, samples_seen)
        input_bound = _max_abs(X_all)
        epochs_before = len(record["history_"])
        checkpoints = [start]
        diverged_in = None  # the epoch whose loss or weights became non-finite
        try:
            for _ in range(self.max_iter):
                learning_rate = state.scheduler_state.learning_rate
                record["learning_rate_curve_"].append(learning_rate)
                epoch = len(record["history_"]) + 1
                started = time.perf_counter()
                epoch_loss, state, grad_norms = runner.run_epoch(
                    state, samples_seen=samples_seen, epoch=epoch
                )
                n_iter += 1
                samples_seen += X.shape[0]
                record["loss_curve_"].append(epoch_loss)
                if self.verbose:
                    print(f"Iteration {n_iter}, loss = {epoch_loss:.8f}")
                validation_score = self._update_no_improvement(
                    record, state, network, X_val, y_val, sw_val, target_state
                )
                entry = {"epoch": epoch, "loss": epoch_loss,
                         "validation_score": validation_score,
                         "learning_rate": learning_rate,
                         "time": time.perf_counter() - started,
                         "grad_norms": grad_norms}
                record["history_"].append(entry)
                state = state._replace(scheduler_state=scheduler.on_epoch_end(
                    state.scheduler_state, samples_seen=samples_seen,
                    metrics={"loss": epoch_loss, "validation_score": validation_score},
                ))
                stop, state = self._handle_plateau(record, scheduler, state)
                coefs, intercepts = network.unpack(state.params)
                batch_norm = network.unpack_batch_norm(state.params,
                                                       state.norm_stats)
                for callback in callbacks:
                    stop |= bool(callback.on_epoch_end(
                        self, epoch=epoch, record=entry, coefs=coefs,
                        intercepts=intercepts,
                        **_batch_norm_kwargs(callback.on_epoch_end, batch_norm),
                    ))
                # Older restore points can't be chosen once a newer one is
                # proven finite (see _last_finite_checkpoint): free them first.
                if self._surely_finite(record, state, network, input_bound):
                    del checkpoints[1:]
                checkpoints = [start, *checkpoints[1:][-1:], Checkpoint.take(
                    state, record, n_iter, samples_seen)]
                if stop or incremental:
                    break
            else:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                    "reached and the optimization hasn't converged yet.",
                    ConvergenceWarning, stacklevel=4,
                )
        except Diverged:
            diverged_in = n_iter + 1
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=4)

        chosen = self._last_finite_checkpoint(checkpoints, network, X_all,
                                              input_bound)
        if chosen is not checkpoints[-1] and diverged_in is None:
            diverged_in = checkpoints[-1].n_iter  # its outputs are not finite
        if diverged_in is not None:
            if chosen is start and first_pass:
                raise ValueError(
                    f"Training diverged in epoch {diverged_in} (non-finite loss, "
                    "weights or outputs) and nothing finite could be kept. Scale "
                    "the input data (e.g. StandardScaler), lower "
                    "learning_rate_init, or clip the gradients."
                )
            kept = (f"epoch {chosen.n_iter}" if chosen is not start
                    else "the weights from before this call")
            warnings.warn(
                f"Training diverged (non-finite loss, weights or outputs) in epoch "
                f"{diverged_in}; kept {kept}. Lower learning_rate_init or scale "
                "the input data.",
                ConvergenceWarning, stacklevel=4,
            )
        record, state = chosen.restore(record), chosen.state
        for message in gradient_warnings(record["history_"][epochs_before:]):
            warnings.warn(message, ConvergenceWarning, stacklevel=4)
        final_params, final_norm_stats = self._returned_weights(record, state)
        final_coefs, final_intercepts = network.unpack(final_params)
        final_batch_norm = network.unpack_batch_norm(final_params, final_norm_stats)
        for callback in callbacks:
            callback.on_train_end(
                self, coefs=final_coefs, intercepts=final_intercepts,
                **_batch_norm_kwargs(callback.on_train_end, final_batch_norm),
            )
        return {
            **record,
            "callbacks_": callbacks,
            "_params": final_params,
            "_norm_stats": final_norm_stats,
            "_optimizer_state": state.optimizer_state,
            "_scheduler_state": state.scheduler_state,
            "n_iter_": chosen.n_iter,
            "t_": chosen.samples_seen,
            "loss_": record["loss_curve_"][-1] if record["loss_curve_"] else np.nan,
        }

    def _returned_weights(self, record, state):
        """The parameters and batch-norm statistics a stochastic call ends
        with (the best ones under early stopping)."""
        if self.early_stopping:
            return record["_best_params"], record["_best_norm_stats"]
        return state.params, state.norm_stats

    def _surely_finite(self, record, state, network, input_bound) -> bool:
        """Whether the outputs of the weights a call would return from this
        point are proven finite without a forward pass
        (:meth:`Network.outputs_surely_finite`)."""
        params, _ = self._returned_weights(record, state)
        return network.outputs_surely_finite(params, input_bound)

    def _last_finite_checkpoint(self, checkpoints, network, X, input_bound):
        """The newest checkpoint whose network gives finite outputs on ``X``
        (whose entries are at most ``input_bound`` in magnitude).

        Finite weights can still overflow in the forward pass; an epoch whose
        weights do is not kept. The starting point is trusted as it is.
        """
        for checkpoint in reversed(checkpoints[1:]):
            if self._surely_finite(checkpoint.record, checkpoint.state, network,
                                   input_bound):
                return checkpoint  # proven without a forward pass
            params, norm_stats = self._returned_weights(checkpoint.record,
                                                        checkpoint.state)
            with np.errstate(over="ignore", invalid="ignore"):
                output = network.predict_params(params, X, norm_stats)
            if np.isfinite(output).all():
                return checkpoint
        return checkpoints[0]

    def _initial_training_state(self, optimizer, scheduler, params, norm_stats,
                                incremental):
        """Continue the stored optimizer/schedule state, or start afresh.

        ``partial_fit`` continues (when the stored optimizer state fits the
        current optimizer); ``fit`` starts afresh, warm or not, as in
        scikit-learn.
        """
        stored = getattr(self, "_optimizer_state", None)
        if incremental and stored is not None and optimizer.is_state_compatible(
            stored, params
        ):
            return TrainingState(params, copy.deepcopy(stored),
                                 copy.deepcopy(self._scheduler_state), norm_stats)
        return TrainingState(params, optimizer.init_state(params),
                             scheduler.init_state(self.learning_rate_init),
                             norm_stats)

    def _initial_record(self, first_pass, state) -> dict:
        """The per-epoch bookkeeping: fresh, or a copy of the fitted one."""
        if not first_pass:
            defaults = {"loss_curve_": [], "learning_rate_curve_": [], "history_": [],
                        "_no_improvement_count": 0, "validation_scores_": None,
                        "best_validation_score_": None, "best_loss_": np.inf,
                        "_best_params": None, "_best_norm_stats": None}
            record = {name: copy.copy(getattr(self, name, default))
                      for name, default in defaults.items()}
            # The previous call may have tracked the other quantity.
            if self.early_stopping and record["_best_params"] is None:
                record.update(validation_scores_=[], best_validation_score_=-np.inf,
                              _best_params=state.params.copy(),
                              _best_norm_stats=state.norm_stats.copy())
            if not self.early_stopping and record["best_loss_"] is None:
                record["best_loss_"] = np.inf
            return record
        record = {"loss_curve_": [], "learning_rate_curve_": [], "history_": [],
                  "_no_improvement_count": 0}
        if self.early_stopping:
            record.update(validation_scores_=[], best_validation_score_=-np.inf,
                          best_loss_=None, _best_params=state.params.copy(),
                              _best_norm_stats=state.norm_stats.copy())
        else:
            record.update(validation_scores_=None, best_validation_score_=None,
                          best_loss_=np.inf)
        return record

    def _handle_plateau(self, record, scheduler, state):
        """Ask the schedule what to do once ``n_iter_no_change`` is exceeded."""
        if record["_no_improvement_count"] <= self.n_iter_no_change:
            return False, state
        what = "Validation score" if self.early_stopping else "Training loss"
        message = (f"{what} did not improve more than tol={self.tol:f} for "
                   f"{self.n_iter_no_change} consecutive epochs.")
        sched_state, stop = scheduler.on_plateau(state.scheduler_state)
        if self.verbose:
            print(message + (" Stopping." if stop else " Setting learning rate to "
                             f"{sched_state.learning_rate:f}"))
        if not stop:
            record["_no_improvement_count"] = 0
        return stop, state._replace(scheduler_state=sched_state)

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is "
                "going to be clipped",
                stacklevel=5,
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _validation_split(self, X, Y, sample_weight, random_state):
        """Hold out ``validation_fraction`` of the data, as scikit-learn does."""
        # As in scikit-learn: stratify single-output (binary) classification only.
        stratify = Y if is_classifier(self) and Y.shape[1] == 1 else None
        arrays = (X, Y) if sample_weight is None else (X, Y, sample_weight)
        try:
            split = train_test_split(*arrays, random_state=random_state,
                                     test_size=self.validation_fraction,
                                     stratify=stratify)
        except ValueError as error:
            raise ValueError(
                f"Cannot hold out validation_fraction={self.validation_fraction} "
                f"of {X.shape[0]} samples for early_stopping: {error}"
            ) from error
        X_train, X_val, Y_train, Y_val = split[:4]
        sw_train, sw_val = split[4:] if sample_weight is not None else (None, None)
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        return X_train, X_val, Y_train, Y_val, sw_train, sw_val

    def _update_no_improvement(self, record, state, network, X_val, y_val, sw_val,
                               target_state):
        """Track the best loss or validation score, as scikit-learn does."""
        if not self.early_stopping:
            last = record["loss_curve_"][-1]
            if last > record["best_loss_"] - self.tol:
                record["_no_improvement_count"] += 1
            else:
                record["_no_improvement_count"] = 0
            record["best_loss_"] = min(record["best_loss_"], last)
            return None
        output = network.predict_params(state.params, X_val, state.norm_stats)
        score = self._score_output(output, y_val, sw_val, target_state)
        record["validation_scores_"].append(score)
        if self.verbose:
            print(f"Validation score: {score:f}")
        if score < record["best_validation_score_"] + self.tol:
            record["_no_improvement_count"] += 1
        else:
            record["_no_improvement_count"] = 0
        if score > record["best_validation_score_"]:
            record["best_validation_score_"] = score
            record["_best_params"] = state.params.copy()
            record["_best_norm_stats"] = state.norm_stats.copy()
        return score

    # -- prediction ---------------------------------------------------------

    def _forward(self, X, *, check_input: bool = True):
        """Output activations of the fitted network."""
        check_is_fitted(self)
        if check_input:
            X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                              dtype=(np.float64, np.float32))
        batch_norm = self._fitted_batch_norm()
        network = Network(
            [self.coefs_[0].shape[0], *(b.shape[0] for b in self.intercepts_)],
            self._hidden_activation,
            ACTIVATIONS[self.out_activation_](),
            batch_norm=batch_norm is not None,
        )
        return network.predict(self.coefs_, self.intercepts_, X,
                               batch_norm=batch_norm)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
