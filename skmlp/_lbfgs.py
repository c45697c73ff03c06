"""Full-batch training with scipy's L-BFGS-B, as scikit-learn's ``"lbfgs"``.

:class:`LbfgsTrainer` has the interface of
:class:`~skmlp._trainer.StochasticTrainer`. L-BFGS works on the whole data
at once and chooses its own step sizes, so the mini-batch settings have no
meaning for it. scikit-learn's own parameters keep scikit-learn's behaviour
(``learning_rate``'s three names, ``early_stopping``, ``batch_size`` ... are
ignored, as there); each skmlp-only setting either takes effect or is
refused before training:

- take effect: ``activation`` and ``weight_init`` (names or objects), and
  ``callbacks``, whose ``on_train_begin``, ``on_epoch_end`` (after every
  L-BFGS iteration; a truthy return stops) and ``on_train_end`` run;
- refused: ``batch_norm``, ``dropout``, ``clip_grad_norm``,
  ``clip_grad_value``, a schedule other than scikit-learn's three names,
  and callbacks that override ``on_grad_computed`` or ``on_batch_end``.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import scipy.optimize
from numpy.typing import NDArray
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.optimize import _check_optimize_result

from ._network import Network, Workspace
from ._sklearn_callbacks import FitTasks
from ._trainer import (
    FitMode,
    TrainingLog,
    as_targets,
    notify_epoch_end,
    notify_train_end,
)
from ._user_warnings import warn_user
from .callbacks import Callback, _print_verbose
from .losses import Loss

#: scikit-learn's schedule names, which its L-BFGS ignores.
SKLEARN_SCHEDULES = frozenset({"constant", "invscaling", "adaptive"})


def uses_lbfgs(estimator) -> bool:
    """Whether ``estimator`` trains with L-BFGS (``solver="lbfgs"``)."""
    return isinstance(estimator.solver, str) and estimator.solver == "lbfgs"


class LbfgsTrainer:
    """Minimise the regularised loss over the flat parameter vector.

    Parameters
    ----------
    estimator : MLPClassifierBP or MLPRegressorBP
        Read for its hyperparameters, and passed to the callbacks.
    network : Network
    loss : Loss
    callbacks : list of Callback

    Raises
    ------
    ValueError
        For every skmlp-only setting L-BFGS cannot honour (see the module).
    """

    def __init__(self, estimator, network: Network, loss: Loss, callbacks: list):
        refused = [
            (estimator.batch_norm, "batch_norm=True", "they work on mini-batches"),
            (estimator.dropout, f"dropout={estimator.dropout}",
             "they work on mini-batches"),
            (estimator.clip_grad_norm is not None,
             f"clip_grad_norm={estimator.clip_grad_norm}",
             "L-BFGS chooses its own steps by line search"),
            (estimator.clip_grad_value is not None,
             f"clip_grad_value={estimator.clip_grad_value}",
             "L-BFGS chooses its own steps by line search"),
            (not (isinstance(estimator.learning_rate, str)
                  and estimator.learning_rate in SKLEARN_SCHEDULES),
             f"learning_rate={estimator.learning_rate!r}",
             "L-BFGS has no learning rate"),
        ]
        for callback in callbacks:
            for hook in ("on_grad_computed", "on_batch_end"):
                if getattr(type(callback), hook) is not getattr(Callback, hook):
                    refused.append((True, f"a callback with {hook} "
                                    f"({type(callback).__name__})",
                                    "L-BFGS has no mini-batches"))
        for is_set, setting, reason in refused:
            if is_set:
                raise ValueError(
                    f"solver='lbfgs' cannot honour {setting}: {reason}. Use a "
                    "stochastic solver (solver='adam', 'sgd', ...), or remove it."
                )
        self.estimator, self.network, self.loss = estimator, network, loss
        self.callbacks = callbacks

    def train(self, X, Y: NDArray, sample_weight: NDArray | None, *,
              params: NDArray, norm_stats: NDArray, mode: FitMode,
              random_state: np.random.RandomState, validation, tasks: FitTasks,
              score) -> tuple:
        """Train; return ``(params, norm_stats, fitted_attributes)``.

        The parameter vector is already in scikit-learn's packed order, so it
        is handed to scipy as it is. scipy works in float64; the network
        computes in the dtype of ``params`` (float32 stays float32). The
        arguments are those of :meth:`StochasticTrainer.train`;
        ``validation`` is always ``None`` (the estimator refuses validation
        data for L-BFGS).
        """
        est, network = self.estimator, self.network
        Y = as_targets(Y, params.dtype)
        workspace = Workspace(network, X.shape[0], params.dtype, training=True)
        params_views = network.views(params)
        grads = network.views(np.empty_like(params))
        scratch = workspace.spare(params.size)
        log = TrainingLog.resume(est, fresh=mode.new_weights, validation=False)
        for callback in self.callbacks:
            callback.on_train_begin(est, X=X, y=Y)

        def loss_and_grad(x):
            np.copyto(params, x, casting="same_kind")
            value = network.loss_and_gradient(
                params_views, X, Y, sample_weight, loss=self.loss, alpha=est.alpha,
                workspace=workspace, grads=grads, scratch=scratch,
            )
            return value, grads.flat.astype(np.float64)

        started = time.perf_counter()
        stop_reason = None

        def end_of_iteration(intermediate_result):
            nonlocal started, stop_reason
            loss = float(intermediate_result.fun)
            epoch = len(log.history) + 1
            record = {"epoch": epoch, "loss": loss, "validation_score": None,
                      "validation_loss": None, "learning_rate": None,
                      "time": time.perf_counter() - started, "grad_norms": None}
            log.loss_curve.append(loss)
            log.history.append(record)
            if est.verbose:
                _print_verbose(self.callbacks,
                               f"Iteration {len(log.loss_curve)}, loss = {loss:.8f}")
            np.copyto(params, intermediate_result.x, casting="same_kind")
            stop_reason = notify_epoch_end(self.callbacks, est, network, params,
                                           norm_stats, epoch=epoch, record=record)
            if tasks.end_epoch(params, norm_stats):
                stop_reason = stop_reason or "A scikit-learn callback asked to stop."
            if stop_reason is not None:
                raise StopIteration
            if epoch - epochs_before < est.max_iter:
                tasks.begin_epoch(params, norm_stats)
            started = time.perf_counter()

        epochs_before = len(log.history)
        tasks.begin_epoch(params, norm_stats)
        result = scipy.optimize.minimize(
            loss_and_grad, params.astype(np.float64), method="L-BFGS-B", jac=True,
            callback=end_of_iteration,
            options={"maxfun": est.max_fun, "maxiter": est.max_iter, "gtol": est.tol},
        )
        final = result.x.astype(params.dtype)
        if not np.isfinite(final).all():
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed."
            )
        if not np.isfinite(result.fun):  # finite weights, overflowing outputs
            raise ValueError(
                "L-BFGS diverged: the loss at its solution is not finite (the "
                "network's outputs overflow on the training data), so nothing "
                "finite could be kept from this call. Scale the input data "
                "(e.g. StandardScaler)."
            )
        if stop_reason is None and result.nit < est.max_iter:
            stop_reason = f"L-BFGS-B stopped: {result.message}."
        notify_train_end(self.callbacks, est, network, final, norm_stats,
                         stop_reason=stop_reason)
        # After on_train_end (once a progress bar is closed): it may warn,
        # and the warning belongs at the user's line.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            n_iter = _check_optimize_result("lbfgs", result, est.max_iter)
        for warning in caught:
            warn_user(str(warning.message), warning.category)
        fitted = {**log.attributes(), "callbacks_": self.callbacks,
                  "n_iter_": n_iter, "loss_": float(result.fun),
                  "stopped_epoch_": None,
                  "t_": 0 if mode.new_weights else getattr(est, "t_", 0)}
        return final, norm_stats, fitted

