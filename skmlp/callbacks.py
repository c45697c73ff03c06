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
``intercepts``, and ``batch_norm`` for networks with batch normalisation)
and assigned to the estimator only when the call ends. With
``solver="lbfgs"`` an epoch is one L-BFGS iteration: ``on_train_begin``,
``on_epoch_end`` and ``on_train_end`` run, and a callback that overrides
``on_grad_computed`` or ``on_batch_end`` is refused (L-BFGS has no
mini-batches).

Built-in callbacks
------------------
:class:`EarlyStopping`
    Stop when a metric of ``history_`` stops improving; restore the weights
    of the best epoch.
:class:`BestWeights`
    Keep copies of the best weights by a metric (and, optionally, every k
    epochs) without changing training.
:class:`ProgressBar`
    A tqdm progress bar over the epochs (optional extra ``skmlp[progress]``).

Like every component, callbacks are specifications: hyperparameters in
``__init__`` (``get_params``/``set_params``, ``clone``, ``pickle``), state only
in attributes ending in ``_``, set during training.
"""

from __future__ import annotations

import importlib
import inspect
import math
import sys
import warnings
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any, ClassVar

from numpy.typing import NDArray
from sklearn.utils._param_validation import Interval, StrOptions

from ._monitor import Monitor
from ._network import BatchNormParams
from ._params import ParamsMixin
from ._persistence import PlainStateMixin

__all__ = ["BestWeights", "Callback", "EarlyStopping", "ProgressBar"]


class Callback(PlainStateMixin, ParamsMixin):
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
                     coefs: Sequence[NDArray], intercepts: Sequence[NDArray],
                     batch_norm: BatchNormParams | None = None) -> bool | None:
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
        batch_norm : named tuple of lists of ndarray, or None
            With ``batch_norm=True``: the current ``scales``, ``offsets``,
            ``running_means`` and ``running_vars`` of every hidden layer
            (what becomes ``batch_norm_scales_`` and so on), under the same
            rules as ``coefs``; ``None`` otherwise. Passed only to hooks that
            declare it (or ``**kwargs``), so callbacks written without it
            keep working.

        Returns
        -------
        stop : bool or None
        """

    def on_train_end(self, estimator, *, coefs: Sequence[NDArray],
                     intercepts: Sequence[NDArray],
                     batch_norm: BatchNormParams | None = None,
                     stop_reason: str | None = None) -> None:
        """Called once after the last epoch, before the weights are assigned.

        Warnings about the call (an unconverged or diverged fit, vanishing
        gradients) are issued after this hook. It is also called when the
        call fails because no epoch gave finite weights, with those weights
        (which are then discarded) and the reason, before the error.

        Parameters
        ----------
        estimator : MLPClassifierBP or MLPRegressorBP
        coefs, intercepts : list of ndarray
            The final weights; this hook may overwrite them in place (for
            instance to restore the best weights seen).
        batch_norm : named tuple of lists of ndarray, or None
            The final batch-normalisation parameters and statistics (see
            :meth:`on_epoch_end`); this hook may overwrite them in place too.
        stop_reason : str or None
            Why training stopped before ``max_iter`` epochs, as a sentence
            (the stopping rule's, a callback's, divergence or an interrupt);
            ``None`` when it ran them all (``partial_fit``: its one epoch).
            Passed, like ``batch_norm``, only to hooks that declare it.
        """


def _declared_kwargs(hook, **optional) -> dict[str, Any]:
    """The keyword arguments of ``optional`` that ``hook`` declares (all of
    them if it takes ``**kwargs``): hooks written before a keyword existed
    don't get it."""
    parameters = inspect.signature(hook).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return optional
    names = {p.name for p in parameters}
    return {name: value for name, value in optional.items() if name in names}


def _copy_weights(arrays: Sequence[NDArray]) -> list[NDArray]:
    return [array.copy() for array in arrays]


def _copy_batch_norm(batch_norm: BatchNormParams | None) -> BatchNormParams | None:
    return None if batch_norm is None else BatchNormParams(
        *(_copy_weights(arrays) for arrays in batch_norm))


_MONITOR_CONSTRAINTS = {
    "monitor": [str],
    "mode": [StrOptions({"auto", "min", "max"})],
    "min_delta": [Interval(Real, 0, None, closed="left")],
}


class _BestTracker(Callback):
    """Tracks the best value of one ``history_`` metric and keeps copies of
    that epoch's weights: the one place callbacks keep best weights.

    Follows the rule of :mod:`skmlp._monitor` (scikit-learn's). Needs the
    hyperparameters ``monitor``, ``mode`` and ``min_delta`` (and, for a
    patience, ``patience``).
    """

    def _monitor(self) -> Monitor:
        if self.mode != "auto":
            maximize = self.mode == "max"
        else:
            name = self.monitor.lower()
            maximize = name.endswith("score") or name.endswith("accuracy")
        return Monitor(maximize=maximize, min_delta=self.min_delta,
                       patience=getattr(self, "patience", math.inf))

    def _start(self) -> None:
        self._validate_params()
        self._state = self._monitor().start()
        self.best_value_ = self._state.best
        self.best_epoch_ = None
        self.wait_ = 0
        self.best_coefs_ = self.best_intercepts_ = self.best_batch_norm_ = None

    def _monitored(self, record: Mapping[str, Any], epoch: int) -> float:
        if self.monitor not in record:
            raise ValueError(
                f"{type(self).__name__}(monitor={self.monitor!r}): the history "
                f"record of epoch {epoch} has no {self.monitor!r}; it has "
                f"{sorted(record)}."
            )
        value = record[self.monitor]
        if value is None:
            hint = (" Set early_stopping=True on the estimator to record it."
                    if self.monitor.startswith("validation_") else "")
            raise ValueError(
                f"{type(self).__name__}(monitor={self.monitor!r}): "
                f"{self.monitor!r} was not recorded in epoch {epoch}." + hint
            )
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"{type(self).__name__}(monitor={self.monitor!r}) needs a "
                f"number; the record of epoch {epoch} holds {value!r}."
            ) from None

    def _track(self, record, epoch, coefs, intercepts, batch_norm) -> bool:
        """Update the best value and copies; whether patience ran out."""
        monitor = self._monitor()
        self._state = monitor.update(self._state, self._monitored(record, epoch),
                                     epoch)
        self.best_value_, self.best_epoch_ = self._state.best, self._state.best_epoch
        self.wait_ = self._state.wait
        if self._state.is_best:
            self.best_coefs_ = _copy_weights(coefs)
            self.best_intercepts_ = _copy_weights(intercepts)
            self.best_batch_norm_ = _copy_batch_norm(batch_norm)
        return monitor.exhausted(self._state)


class EarlyStopping(_BestTracker):
    """Stop training when a metric stops improving; restore the best weights.

    After every epoch the callback reads ``monitor`` from the epoch's
    ``history_`` record and applies scikit-learn's stopping rule to it (the
    one rule of :mod:`skmlp._monitor`, shared with the estimator's
    ``tol``/``n_iter_no_change``): an epoch *improves* when it is at least
    ``min_delta`` better than the best value so far (a tie counts when
    ``min_delta=0``), and training stops once more than ``patience`` epochs
    in a row did not improve. So ``EarlyStopping("validation_score",
    patience=n, min_delta=tol)`` stops at exactly the epoch where the
    estimator's ``early_stopping=True, n_iter_no_change=n, tol=tol`` stops.
    With ``restore_best_weights`` the weights of the best epoch are copied
    when it happens and written back when training ends, so the fitted model
    is the best one seen.

    This complements the estimator's own ``early_stopping``/``tol``/
    ``n_iter_no_change`` rule (scikit-learn's), which stays in force: set
    ``n_iter_no_change=np.inf`` to leave the decision to this callback.

    Parameters
    ----------
    monitor : str, default="loss"
        The key of the ``history_`` record to watch: ``"loss"`` (training
        loss), ``"validation_score"`` (needs ``early_stopping=True`` on the
        estimator), or any other numeric entry.
    mode : {"auto", "min", "max"}, default="auto"
        Whether lower or higher is better. ``"auto"`` maximises metrics whose
        name ends in ``"score"`` or ``"accuracy"`` and minimises the others.
    patience : int, default=10
        Epochs without improvement tolerated (as scikit-learn's
        ``n_iter_no_change``): training stops after ``patience + 1`` of them
        in a row, ``>= 1``.
    min_delta : float, default=0.0
        The least change that counts as an improvement, ``>= 0`` (as
        scikit-learn's ``tol``).
    restore_best_weights : bool, default=True
        Write the weights of the best epoch back when training ends (whether
        or not this callback stopped it), with ``batch_norm=True`` its
        batch-normalisation parameters and running statistics too.

    Attributes
    ----------
    best_value_ : float
        The best value of the metric seen (±inf before any).
    best_epoch_ : int or None
        The epoch (1-based, counting earlier calls, as in ``history_``) that
        reached ``best_value_``.
    stopped_epoch_ : int or None
        The epoch after which this callback stopped training; ``None`` if it
        did not.
    wait_ : int
        Epochs since the last improvement.
    restored_ : bool
        Whether the weights of ``best_epoch_`` were written back (``False``
        when the last epoch was the best one: nothing to restore).

    Notes
    -----
    Every ``fit``/``partial_fit`` call works on a fresh clone, so the
    patience count does not carry over between ``partial_fit`` calls (one
    epoch each): use it with ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skmlp import MLPClassifierBP
    >>> from skmlp.callbacks import EarlyStopping
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifierBP((32,), early_stopping=True, n_iter_no_change=np.inf,
    ...                       max_iter=200, random_state=0,
    ...     callbacks=[EarlyStopping(monitor="validation_score", patience=5,
    ...                              min_delta=1e-4)])
    >>> clf = clf.fit(X / 16, y)
    >>> stopper = clf.callbacks_[0]
    >>> bool(stopper.stopped_epoch_ == clf.n_iter_)
    True

    It stops where scikit-learn's rule (here the estimator's own) stops:

    >>> own = MLPClassifierBP((32,), early_stopping=True, n_iter_no_change=5,
    ...                       tol=1e-4, max_iter=200, random_state=0)
    >>> own.fit(X / 16, y).n_iter_ == clf.n_iter_
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        **_MONITOR_CONSTRAINTS,
        "patience": [Interval(Integral, 1, None, closed="left")],
        "restore_best_weights": ["boolean"],
    }

    def __init__(self, monitor: str = "loss", *, mode: str = "auto",
                 patience: int = 10, min_delta: float = 0.0,
                 restore_best_weights: bool = True):
        self.monitor = monitor
        self.mode = mode
        self.patience = patience
        self.min_delta = min_delta
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, estimator, *, X, y) -> None:
        """Validate the hyperparameters and reset the state."""
        self._start()
        self.stopped_epoch_ = None
        self.restored_ = False
        self._last_epoch = None

    def on_epoch_end(self, estimator, *, epoch, record, coefs, intercepts,
                     batch_norm=None) -> bool:
        """Track the metric; return ``True`` once patience has run out."""
        self._last_epoch = epoch
        if self._track(record, epoch, coefs, intercepts, batch_norm):
            self.stopped_epoch_ = epoch
            return True
        return False

    def on_train_end(self, estimator, *, coefs, intercepts, batch_norm=None) -> None:
        """Write the best epoch's weights (and batch-normalisation
        parameters) into the final ones."""
        if (self.restore_best_weights and self.best_coefs_ is not None
                and self.best_epoch_ != self._last_epoch):
            groups = [(coefs, self.best_coefs_), (intercepts, self.best_intercepts_)]
            if batch_norm is not None and self.best_batch_norm_ is not None:
                groups += zip(batch_norm, self.best_batch_norm_)
            for targets, bests in groups:
                for target, best in zip(targets, bests):
                    target[...] = best
            self.restored_ = True
        # The estimator holds the restored weights now; drop the copies.
        self.best_coefs_ = self.best_intercepts_ = self.best_batch_norm_ = None


class BestWeights(_BestTracker):
    """Keep a copy of the best weights seen, and optionally checkpoints.

    Training is not affected: the estimator ends with its last weights, and
    this callback (``estimator.callbacks_[i]``) holds the weights of the
    epoch with the best ``monitor`` value, plus, with ``save_every=k``, the
    weights after every k-th epoch.

    Parameters
    ----------
    monitor : str, default="loss"
        The key of the ``history_`` record that decides "best" (see
        :class:`EarlyStopping`).
    mode : {"auto", "min", "max"}, default="auto"
        Whether lower or higher is better; ``"auto"`` maximises names ending
        in ``"score"`` or ``"accuracy"``.
    min_delta : float, default=0.0
        Kept for symmetry with :class:`EarlyStopping`: "best" means strictly
        better than every earlier epoch, whatever ``min_delta``, which only
        decides what counts as an improvement (``wait_``).
    save_every : int or None, default=None
        Also keep the weights after every epoch whose number is a multiple of
        it (epochs numbered as in ``history_``).

    Attributes
    ----------
    best_coefs_, best_intercepts_ : list of ndarray or None
        Copies of the weights and biases at ``best_epoch_``.
    best_batch_norm_ : named tuple of lists of ndarray, or None
        With ``batch_norm=True``, copies of the batch-normalisation
        ``scales``, ``offsets``, ``running_means`` and ``running_vars`` at
        ``best_epoch_``; ``None`` otherwise.
    best_epoch_ : int or None
        The epoch with the best value.
    best_value_ : float
        The best value of the metric.
    wait_ : int
        Epochs since the last improvement by ``min_delta``.
    checkpoints_ : dict of int to tuple of (list of ndarray, list of ndarray)
        ``{epoch: (coefs, intercepts)}`` every ``save_every`` epochs (empty
        without ``save_every``).

    Notes
    -----
    The checkpoints hold the weights and biases only; with
    ``batch_norm=True`` the best epoch's batch-normalisation parameters are
    kept as well (``best_batch_norm_``).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skmlp import MLPClassifierBP
    >>> from skmlp.callbacks import BestWeights
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifierBP(solver="sgd", learning_rate_init=0.5, max_iter=20,
    ...                       random_state=0, callbacks=[BestWeights(save_every=5)])
    >>> clf = clf.fit(X / 16, y)
    >>> keeper = clf.callbacks_[0]
    >>> sorted(keeper.checkpoints_)
    [5, 10, 15, 20]
    >>> keeper.best_value_ == min(clf.loss_curve_)
    True

    To predict with the best weights, assign them to the fitted model:

    >>> clf.coefs_, clf.intercepts_ = keeper.best_coefs_, keeper.best_intercepts_
    """

    _parameter_constraints: ClassVar[dict] = {
        **_MONITOR_CONSTRAINTS,
        "save_every": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, monitor: str = "loss", *, mode: str = "auto",
                 min_delta: float = 0.0, save_every: int | None = None):
        self.monitor = monitor
        self.mode = mode
        self.min_delta = min_delta
        self.save_every = save_every

    def on_train_begin(self, estimator, *, X, y) -> None:
        """Validate the hyperparameters and reset the state."""
        self._start()
        self.checkpoints_ = {}

    def on_epoch_end(self, estimator, *, epoch, record, coefs, intercepts,
                     batch_norm=None) -> None:
        """Copy the weights when they are the best so far or due a checkpoint."""
        self._track(record, epoch, coefs, intercepts, batch_norm)
        if self.save_every is not None and epoch % self.save_every == 0:
            self.checkpoints_[epoch] = (_copy_weights(coefs),
                                        _copy_weights(intercepts))


#: Whether ProgressBar has said, in a terminal, that tqdm is missing.
_no_tqdm_said = False


class ProgressBar(Callback):
    """A progress bar over the epochs, with the loss (needs tqdm).

    Shows one bar per ``fit`` call (``max_iter`` epochs) with the latest loss
    and validation score. When training stops before ``max_iter`` epochs
    (the stopping rule, a callback, divergence, an interrupt), a line under
    the closed bar says why. tqdm is an optional dependency (``pip install
    "skmlp[progress]"``), imported only when training starts. The bar is
    shown when standard error (where tqdm writes) is a terminal, or always
    with ``force=True``; elsewhere (a log file, a pipe) it stays silent. In a
    terminal without tqdm it says so once, in a warning, and training goes
    on without a bar.

    The bar shares the terminal with the estimator's output: ``verbose``
    lines are printed above it, and the warnings a call issues at its end
    come after the closed bar.

    Parameters
    ----------
    force : bool, default=False
        Show the bar even when standard error is not a terminal (a notebook,
        a log file); raise :class:`ImportError` if tqdm is missing.
    leave : bool, default=True
        Keep the finished bar on screen.
    desc : str or None, default=None
        The bar's label; the estimator's class name if ``None``.

    Attributes
    ----------
    enabled_ : bool
        Whether a bar was shown.
    bar_ : tqdm.tqdm or None
        The bar while training runs; ``None`` once it ends (so that the
        fitted estimator pickles).

    Notes
    -----
    The bar's length is ``max_iter``; a ``partial_fit`` call trains one
    epoch, so its bar shows 1 of ``max_iter``.

    Examples
    --------
    >>> from skmlp import MLPRegressorBP
    >>> from skmlp.callbacks import ProgressBar
    >>> reg = MLPRegressorBP(callbacks=[ProgressBar()])  # a bar in a terminal
    """

    _parameter_constraints: ClassVar[dict] = {
        "force": ["boolean"],
        "leave": ["boolean"],
        "desc": [str, None],
    }

    def __init__(self, *, force: bool = False, leave: bool = True,
                 desc: str | None = None):
        self.force = force
        self.leave = leave
        self.desc = desc

    @staticmethod
    def _tqdm():
        """The tqdm class, or None when tqdm is not installed."""
        try:
            return importlib.import_module("tqdm.auto").tqdm
        except ImportError:
            return None

    def on_train_begin(self, estimator, *, X, y) -> None:
        """Open the bar (if tqdm is installed and stderr is a terminal)."""
        global _no_tqdm_said
        self._validate_params()
        self.bar_ = None
        self.enabled_ = False
        if not (self.force or _isatty(sys.stderr)):
            return
        tqdm = self._tqdm()
        if tqdm is None:
            if self.force:
                raise ImportError(
                    "ProgressBar(force=True) needs tqdm: pip install "
                    "'skmlp[progress]' (or pip install tqdm)."
                )
            if not _no_tqdm_said:  # once per process, not once per fit
                warnings.warn(
                    "ProgressBar shows no bar: tqdm is not installed. Install "
                    "it with pip install 'skmlp[progress]' (or pip install "
                    "tqdm); training is not affected.", UserWarning, stacklevel=1,
                )
                _no_tqdm_said = True
            return
        self.bar_ = tqdm(total=estimator.max_iter, unit="epoch", leave=self.leave,
                         desc=self._label(estimator))
        self.enabled_ = True

    def on_epoch_end(self, estimator, *, epoch, record, coefs, intercepts) -> None:
        """Advance the bar by one epoch and show the latest metrics."""
        if self.bar_ is None:
            return
        postfix = {"loss": f"{record['loss']:.4g}"}
        if record.get("validation_score") is not None:
            postfix["val"] = f"{record['validation_score']:.4g}"
        self.bar_.set_postfix(postfix, refresh=False)
        self.bar_.update(1)

    def on_train_end(self, estimator, *, coefs, intercepts,
                     stop_reason: str | None = None) -> None:
        """Close the bar; say why training stopped early, if it did."""
        if self.bar_ is None:
            return
        self.bar_.close()
        if stop_reason is not None:
            self.bar_.write(
                f"{self._label(estimator)} stopped after {self.bar_.n} of "
                f"{self.bar_.total} epochs: {stop_reason}", file=sys.stderr)
        self.bar_ = None

    def _label(self, estimator) -> str:
        return self.desc or type(estimator).__name__


def _print_verbose(callbacks: Sequence[Callback], line: str) -> None:
    """Print a line of ``verbose`` output above any open :class:`ProgressBar`.

    tqdm clears the bar, prints the line and redraws the bar, so the two
    never share a terminal line.
    """
    for callback in callbacks:
        bar = getattr(callback, "bar_", None)
        if isinstance(callback, ProgressBar) and bar is not None:
            bar.write(line, file=sys.stdout)
            return
    print(line)


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no such method, or a closed stream
        return False
