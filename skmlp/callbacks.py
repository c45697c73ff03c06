"""Callbacks: code that runs at fixed points of stochastic training.

Pass a list of :class:`Callback` instances as ``callbacks=``. Each ``fit`` or
``partial_fit`` call works on clones of them (the user's objects are never
mutated); the clones used are left on the estimator as ``callbacks_``, so a
callback can expose what it saw as attributes ending in ``_``.

The hooks are called in this order::

    on_train_begin
    for each epoch:
        for each mini-batch:
            on_grad_computed   (read-only view of the gradients)
            on_batch_end
        on_epoch_end           (a truthy return value stops training)
    on_train_end               (may write the final weights in place)

During training the estimator's fitted attributes are those from before the
call: the new weights are passed to the hooks as arrays (``coefs``,
``intercepts``) and assigned to the estimator only when the call ends.
Callbacks apply to the stochastic solvers (not ``solver="lbfgs"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from numpy.typing import NDArray

from ._params import ParamsMixin

__all__ = ["Callback"]


class Callback(ParamsMixin):
    """Base class of every callback; every hook does nothing by default.

    Subclass it, store hyperparameters in ``__init__`` (as for any
    scikit-learn parameter) and override the hooks you need. Define the class
    at module level so that it pickles.
    """

    def on_train_begin(self, estimator, *, X, y) -> None:
        """Called once before the first epoch.

        Parameters
        ----------
        estimator : MLPClassifierBP or MLPRegressorBP
            The estimator being fitted.
        X : ndarray or sparse matrix of shape (n_samples, n_features)
            The training data (validated).
        y : ndarray of shape (n_samples, n_outputs)
            The training targets, as the network sees them.
        """

    def on_grad_computed(self, estimator, *, epoch: int, batch: int,
                         coef_grads: Sequence[NDArray],
                         intercept_grads: Sequence[NDArray]) -> None:
        """Called after backpropagation, before clipping and the optimizer.

        Parameters
        ----------
        estimator : MLPClassifierBP or MLPRegressorBP
        epoch : int
            The epoch number (1-based, counting earlier calls).
        batch : int
            The mini-batch number within the epoch (0-based).
        coef_grads, intercept_grads : list of ndarray
            ∂J/∂W⁽ˡ⁾ and ∂J/∂b⁽ˡ⁾ for every layer. Read them; do not modify.
        """

    def on_batch_end(self, estimator, *, epoch: int, batch: int,
                     loss: float) -> None:
        """Called after each optimizer step.

        Parameters
        ----------
        estimator : MLPClassifierBP or MLPRegressorBP
        epoch : int
        batch : int
        loss : float
            The mini-batch loss (before the step).
        """

    def on_epoch_end(self, estimator, *, epoch: int, record: Mapping[str, Any],
                     coefs: Sequence[NDArray],
                     intercepts: Sequence[NDArray]) -> bool | None:
        """Called after each epoch; return ``True`` to stop training.

        Parameters
        ----------
        estimator : MLPClassifierBP or MLPRegressorBP
        epoch : int
        record : mapping
            This epoch's entry of ``history_``: ``"epoch"``, ``"loss"``,
            ``"validation_score"``, ``"learning_rate"``, ``"time"``,
            ``"grad_norms"``.
        coefs, intercepts : list of ndarray
            The current weights. Copy them to keep them; do not modify.

        Returns
        -------
        stop : bool or None
        """

    def on_train_end(self, estimator, *, coefs: Sequence[NDArray],
                     intercepts: Sequence[NDArray]) -> None:
        """Called once after the last epoch, before the weights are assigned.

        Parameters
        ----------
        estimator : MLPClassifierBP or MLPRegressorBP
        coefs, intercepts : list of ndarray
            The final weights; this hook may overwrite them in place (for
            instance to restore the best weights seen).
        """
