"""Plots of training: loss, learning rate and per-layer gradient norms.

:class:`LossCurveDisplay` follows scikit-learn's Display convention: build
it from a fitted estimator with :meth:`LossCurveDisplay.from_estimator` (or
from arrays with the constructor and :meth:`LossCurveDisplay.plot`); the
matplotlib objects are left on it as ``ax_``, ``figure_`` and ``lines_``.
matplotlib is an optional dependency (``pip install "skmlp[plot]"``),
imported only when something is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils.validation import check_is_fitted

from ._lbfgs import uses_lbfgs

__all__ = ["LossCurveDisplay"]

_KINDS = ("loss", "learning_rate", "grad_norms")
_LINE_STYLES = ("-", "--", "-.", ":")


def _pyplot():
    """matplotlib.pyplot, or an ImportError that names the extra to install."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "LossCurveDisplay needs matplotlib, an optional dependency of skmlp: "
            "pip install 'skmlp[plot]' (or pip install matplotlib)."
        ) from error
    return plt


def _layer_names(n_layers: int) -> list[str]:
    """Names of the weight layers: ``"hidden layer 1"``, ..., ``"output layer"``.

    Parameters
    ----------
    n_layers : int
        The number of weight layers (hidden layers + 1).

    Returns
    -------
    names : list of str
    """
    return [f"hidden layer {k}" for k in range(1, n_layers)] + ["output layer"]


class LossCurveDisplay:
    """Training curves of a multilayer perceptron.

    Three kinds of plot, one figure each:

    - ``"loss"``: the training loss per epoch (``loss_curve_``), with the
      validation loss (``validation_loss_curve_``, dashed) on the same axis
      and the validation scores (``validation_scores_``) on a second y axis
      whenever there was validation data (``early_stopping=True`` or
      ``X_val``); each y axis is coloured as its lines (and no legend box,
      which would cover one of the curves);
    - ``"learning_rate"``: the learning rate of every epoch
      (``learning_rate_curve_``);
    - ``"grad_norms"``: for every layer, the mean L2 norm of ∂J/∂W⁽ˡ⁾ per
      epoch (``history_``), on a log scale: the picture of vanishing or
      exploding gradients.

    Create it with :meth:`from_estimator`; the constructor stores the data
    and :meth:`plot` draws it.

    Parameters
    ----------
    epochs : array-like of shape (n_epochs,)
        The x values (epoch or L-BFGS iteration numbers).
    loss_curve : array-like of shape (n_epochs,) or None, default=None
        The training loss (``kind="loss"``).
    validation_scores : array-like of shape (n_epochs,) or None, default=None
        Held-out scores (``kind="loss"``, optional).
    validation_loss_curve : array-like of shape (n_epochs,) or None, \
            default=None
        Held-out loss (``kind="loss"``, optional).
    learning_rates : array-like of shape (n_epochs,) or None, default=None
        The learning rates (``kind="learning_rate"``).
    grad_norms : array-like of shape (n_epochs, n_layers) or None, default=None
        Per-layer gradient norms (``kind="grad_norms"``).
    kind : {"loss", "learning_rate", "grad_norms"}, default="loss"
        What to draw.
    estimator_name : str or None, default=None
        Shown in the title.
    xlabel : str, default="epoch"
        The x axis label.

    Attributes
    ----------
    ax_ : matplotlib.axes.Axes
        The axes drawn on.
    ax_validation_ : matplotlib.axes.Axes or None
        The second y axis of the validation scores (``kind="loss"``).
    figure_ : matplotlib.figure.Figure
        The figure holding ``ax_``.
    lines_ : list of matplotlib.lines.Line2D
        The lines drawn: the training loss, then the validation loss and
        the validation scores (those given); the learning rate; or one line
        per layer, first hidden layer first.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : scikit-learn's display of
        scores against training-set size.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skmlp import MLPClassifierBP
    >>> from skmlp.plotting import LossCurveDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifierBP((32, 32), max_iter=15, early_stopping=True,
    ...                       random_state=0).fit(X / 16, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> [line.get_label() for line in display.lines_]
    ['training loss', 'validation loss', 'validation score']
    >>> display = LossCurveDisplay.from_estimator(clf, kind="grad_norms")
    >>> [line.get_label() for line in display.lines_]
    ['hidden layer 1', 'hidden layer 2', 'output layer']
    """

    def __init__(self, *, epochs: ArrayLike, loss_curve: ArrayLike | None = None,
                 validation_scores: ArrayLike | None = None,
                 validation_loss_curve: ArrayLike | None = None,
                 learning_rates: ArrayLike | None = None,
                 grad_norms: ArrayLike | None = None, kind: str = "loss",
                 estimator_name: str | None = None, xlabel: str = "epoch"):
        self.epochs = epochs
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.validation_loss_curve = validation_loss_curve
        self.learning_rates = learning_rates
        self.grad_norms = grad_norms
        self.kind = kind
        self.estimator_name = estimator_name
        self.xlabel = xlabel

    def plot(self, ax=None, *, name: str | None = None, **kwargs):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            Where to draw; a new figure and axes if ``None``.
        name : str or None, default=None
            Overrides ``estimator_name`` in the title.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for every line. A
            ``label`` names the lines (the run, when several share ``ax``);
            per-layer and validation lines get it as a prefix.

        Returns
        -------
        display : LossCurveDisplay
            ``self``, with ``ax_``, ``figure_`` and ``lines_`` set.
        """
        if self.kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}; got {self.kind!r}.")
        plt = _pyplot()
        if ax is None:  # labels and ticks kept inside the figure
            _, ax = plt.subplots(layout="constrained")
        epochs = np.asarray(self.epochs)
        label = kwargs.pop("label", None)
        self.ax_validation_ = None
        if self.kind == "loss":
            lines = self._plot_loss(ax, epochs, label, kwargs)
        elif self.kind == "learning_rate":
            lines = ax.plot(epochs, self._required("learning_rates"),
                            label=label or "learning rate", **kwargs)
            ax.set_ylabel("learning rate")
            rates = np.asarray(self.learning_rates, dtype=float)
            if rates.size and rates.min() > 0 and rates.max() > 100 * rates.min():
                ax.set_yscale("log")  # the rate spans orders of magnitude
            if label is not None:  # one run needs no legend: the y label says it
                ax.legend(fontsize="small")
        else:
            norms = np.atleast_2d(np.asarray(self._required("grad_norms"),
                                             dtype=float))
            names = [name if label is None else f"{label}: {name}"
                     for name in _layer_names(norms.shape[1])]
            # Layers' norms are often close: a line style each, as well as a
            # colour, unless the caller sets one.
            lines = [ax.plot(epochs, norms[:, layer], label=names[layer],
                             **{"linestyle": _LINE_STYLES[layer % 4], **kwargs})[0]
                     for layer in range(norms.shape[1])]
            ax.set_yscale("log")
            ax.set_ylabel("mean gradient norm ‖∂J/∂W‖")
            ax.legend(fontsize="small")
        ax.set_xlabel(self.xlabel)
        title = name if name is not None else self.estimator_name
        if title:
            ax.set_title(title)
        self.ax_, self.figure_, self.lines_ = ax, ax.figure, list(lines)
        return self

    def _required(self, field: str):
        value = getattr(self, field)
        if value is None:
            raise ValueError(f"kind={self.kind!r} needs {field}; it is None.")
        return value

    def _plot_loss(self, ax, epochs, label, kwargs) -> list:
        def named(what: str) -> str:
            return what if label is None else f"{label}: {what}"

        def last_epochs(values) -> tuple:
            """``values`` with their epochs: a warm start may have begun
            recording them after the loss, so they end with it."""
            values = np.asarray(values, dtype=float)
            return epochs[len(epochs) - len(values):], values

        lines = ax.plot(epochs, self._required("loss_curve"),
                        label=label or "training loss", **kwargs)
        ax.set_ylabel("training loss")
        if self.validation_loss_curve is not None:
            lines += ax.plot(*last_epochs(self.validation_loss_curve),
                             label=named("validation loss"),
                             **{"color": lines[0].get_color(), "linestyle": "--",
                                **kwargs})
            ax.set_ylabel("loss (solid: training, dashed: validation)")
        if self.validation_scores is None:
            if label is not None:  # one run needs no legend: the y label says it
                ax.legend(fontsize="small")  # every labelled line of ax
            return lines
        twin = ax.twinx()
        lines += twin.plot(*last_epochs(self.validation_scores),
                           label=named("validation score"),
                           **{"color": "C1", **kwargs})
        twin.set_ylabel("validation score")
        self.ax_validation_ = twin
        # No legend box: matplotlib's placement ignores the other axes' line,
        # so a box would cover one of the curves. Each y axis is coloured as
        # its lines instead, and names them.
        for axis, line in ((ax, lines[0]), (twin, lines[-1])):
            axis.yaxis.label.set_color(line.get_color())
            axis.tick_params(axis="y", colors=line.get_color())
        return lines

    @classmethod
    def from_estimator(cls, estimator, *, kind: str = "loss", ax=None,
                       name: str | None = None, **kwargs):
        """Plot the training curves of a fitted estimator.

        Parameters
        ----------
        estimator : MLPClassifierBP or MLPRegressorBP
            A fitted estimator. ``kind="learning_rate"`` and
            ``kind="grad_norms"`` need a stochastic solver (not ``"lbfgs"``).
        kind : {"loss", "learning_rate", "grad_norms"}, default="loss"
            What to draw (see the class docstring).
        ax : matplotlib.axes.Axes or None, default=None
            Where to draw; a new figure and axes if ``None``.
        name : str or None, default=None
            The title; the estimator's class name if ``None``.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for every line (a
            ``label`` names the run, see :meth:`plot`).

        Returns
        -------
        display : LossCurveDisplay
        """
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}; got {kind!r}.")
        check_is_fitted(estimator)
        lbfgs = uses_lbfgs(estimator)
        data = {"estimator_name": type(estimator).__name__, "kind": kind,
                "xlabel": "L-BFGS iteration" if lbfgs else "epoch"}
        if kind == "loss":
            data["loss_curve"] = list(estimator.loss_curve_)
            for field in ("validation_scores", "validation_loss_curve"):
                values = None if lbfgs else getattr(estimator, field + "_", None)
                data[field] = None if values is None else list(values)
            n_values = len(data["loss_curve"])
        elif lbfgs:
            raise ValueError(
                f"kind={kind!r} needs a stochastic solver: solver='lbfgs' records "
                "no learning rates or gradient norms."
            )
        elif kind == "learning_rate":
            data["learning_rates"] = list(estimator.learning_rate_curve_)
            n_values = len(data["learning_rates"])
        else:
            data["grad_norms"] = _stack([r["grad_norms"] for r in estimator.history_])
            n_values = len(data["grad_norms"])
        display = cls(epochs=np.arange(1, n_values + 1), **data)
        return display.plot(ax=ax, name=name, **kwargs)


def _stack(rows: Sequence[Sequence[float]]) -> np.ndarray:
    return np.array(rows, dtype=float).reshape(len(rows), -1)
