"""scikit-learn's callback API (``sklearn.callback``, scikit-learn >= 1.9).

The estimators inherit :class:`CallbackSupportMixin`, so they have
``set_callbacks`` wherever scikit-learn has it; a fit is a task whose
subtasks are its epochs (L-BFGS iterations), which :class:`FitTasks` opens
and closes for the trainers. On an older scikit-learn the mixin is an empty
stand-in and :class:`FitTasks` does nothing, so everything else works the
same. skmlp's own ``callbacks=`` parameter (:mod:`skmlp.callbacks`) is
independent of this and works on every version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numpy.typing import NDArray

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9: no callback API, no set_callbacks
    class CallbackSupportMixin:  # type: ignore[no-redef]
        """Stand-in for scikit-learn's mixin where it does not exist."""

__all__ = ["CallbackSupportMixin", "FitTasks"]

#: ``attributes(params, norm_stats)``: the fitted attributes that make a copy
#: of the estimator predict with those weights.
Reconstruct = Callable[[NDArray, NDArray], dict[str, Any]]


class FitTasks:
    """The task tree of one ``fit``/``partial_fit`` call: the call, then its
    epochs as subtasks.

    Opening the root task calls scikit-learn's ``_init_callback_context``
    (which also links a fit inside a meta-estimator into the outer tree);
    :meth:`begin_epoch` and :meth:`end_epoch` wrap each epoch, and
    :meth:`finish` ends the call. Epoch subtasks are only opened when the
    estimator has scikit-learn callbacks, so a fit without them pays
    nothing per epoch.

    Parameters
    ----------
    estimator : MLPClassifierBP or MLPRegressorBP
    X, y, sample_weight
        The training data as the user passed it: callbacks such as
        ``ScoringMonitor`` score a fitted copy on it.
    max_epochs : int
        The most epochs this call can run (``max_iter``; 1 for
        ``partial_fit``).
    """

    def __init__(self, estimator, X, y, sample_weight, *, max_epochs: int):
        self.estimator = estimator
        self.hook_data = {
            "X": X, "y": y,
            "metadata": (None if sample_weight is None
                         else {"sample_weight": sample_weight}),
        }
        self.root = None
        self.epoch = None
        self.attributes: Reconstruct | None = None
        if hasattr(estimator, "_init_callback_context"):
            self.root = estimator._init_callback_context(max_subtasks=max_epochs)
            self.root.call_on_fit_task_begin(estimator=estimator, **self.hook_data)

    @property
    def per_epoch(self) -> bool:
        """Whether any scikit-learn callback listens to this call."""
        return self.root is not None and bool(
            getattr(self.estimator, "_skl_callbacks", None))

    def bind(self, attributes: Reconstruct) -> None:
        """Set how to turn weights into a predict-ready copy's attributes
        (known once the network is built)."""
        self.attributes = attributes

    def _reconstruction(self, params: NDArray, norm_stats: NDArray):
        """The lazy ``reconstruction_attributes`` of weights that training
        will overwrite in place: copied only if a callback asks."""
        return lambda: self.attributes(params.copy(), norm_stats.copy())

    def begin_epoch(self, params: NDArray, norm_stats: NDArray) -> None:
        """Open the next epoch's subtask; the weights are its starting point."""
        if not self.per_epoch:
            return
        self.epoch = self.root.subcontext(task_name="epoch")
        self.epoch.call_on_fit_task_begin(
            estimator=self.estimator, **self.hook_data,
            reconstruction_attributes=self._reconstruction(params, norm_stats))

    def end_epoch(self, params: NDArray, norm_stats: NDArray) -> bool:
        """Close the open epoch's subtask; whether a callback asks to stop."""
        if self.epoch is None:
            return False
        epoch, self.epoch = self.epoch, None
        return epoch.call_on_fit_task_end(
            estimator=self.estimator, **self.hook_data,
            reconstruction_attributes=self._reconstruction(params, norm_stats))

    def finish(self) -> None:
        """End the call's task (and an epoch left open by a divergence or
        an L-BFGS run that converged), once the fitted state is committed."""
        if self.epoch is not None:  # it never completed: nothing to report
            self.epoch.call_on_fit_task_end(estimator=self.estimator)
            self.epoch = None
        if self.root is not None:
            self.root.call_on_fit_task_end(estimator=self.estimator,
                                           **self.hook_data,
                                           reconstruction_attributes={})
