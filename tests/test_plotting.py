"""LossCurveDisplay: the right lines with the right data, and a clear error
without matplotlib."""

import sys

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError

from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp.plotting import LossCurveDisplay

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X, Y = load_digits(return_X_y=True)
X, Y = X[:200] / 16, Y[:200]


@pytest.fixture
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


@pytest.fixture(scope="module")
def fitted():
    return MLPClassifierBP((8, 6), solver="sgd", learning_rate="step",
                           learning_rate_init=0.1, max_iter=7, random_state=0,
                           early_stopping=True, n_iter_no_change=100).fit(X, Y)


def _xy(line):
    return list(line.get_xdata()), list(line.get_ydata())


def test_loss_curve_with_validation_scores(pyplot, fitted):
    display = LossCurveDisplay.from_estimator(fitted)
    assert len(display.lines_) == 3
    loss, validation_loss, validation = display.lines_
    assert _xy(loss) == (list(range(1, 8)), fitted.loss_curve_)
    assert _xy(validation_loss) == (list(range(1, 8)), fitted.validation_loss_curve_)
    assert _xy(validation) == (list(range(1, 8)), fitted.validation_scores_)
    assert validation.axes is display.ax_validation_ is not display.ax_
    assert loss.axes is validation_loss.axes is display.ax_
    assert display.figure_ is display.ax_.figure
    # The two losses share an axis and a colour; the validation loss is dashed.
    assert validation_loss.get_color() == loss.get_color()
    assert (loss.get_linestyle(), validation_loss.get_linestyle()) == ("-", "--")
    assert display.ax_.get_xlabel() == "epoch"
    assert display.ax_.get_title() == "MLPClassifierBP"
    # No legend box (it would cover a curve): each y axis is coloured as its
    # line and named by its label.
    assert display.ax_.get_legend() is None
    assert display.ax_validation_.get_legend() is None
    for axis, line, name in ((display.ax_, loss,
                              "loss (solid: training, dashed: validation)"),
                             (display.ax_validation_, validation,
                              "validation score")):
        assert axis.get_ylabel() == name
        assert axis.yaxis.label.get_color() == line.get_color()
        assert all(tick.label2.get_color() == line.get_color() if
                   axis is display.ax_validation_ else
                   tick.label1.get_color() == line.get_color()
                   for tick in axis.yaxis.get_major_ticks())
    assert loss.get_color() != validation.get_color()


def test_loss_curve_without_validation_scores(pyplot):
    est = MLPRegressorBP(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    est.fit(X, Y / 9.0)
    display = LossCurveDisplay.from_estimator(est, name="regressor")
    assert len(display.lines_) == 1
    assert _xy(display.lines_[0]) == ([1, 2, 3], est.loss_curve_)
    assert display.ax_validation_ is None
    assert display.ax_.get_title() == "regressor"


def test_loss_curve_of_lbfgs(pyplot):
    est = MLPClassifierBP((4,), solver="lbfgs", max_iter=5, random_state=0)
    est.fit(X, Y)
    display = LossCurveDisplay.from_estimator(est)
    assert _xy(display.lines_[0])[1] == est.loss_curve_
    assert display.ax_.get_xlabel() == "L-BFGS iteration"
    for kind in ("learning_rate", "grad_norms"):
        with pytest.raises(ValueError, match="stochastic solver"):
            LossCurveDisplay.from_estimator(est, kind=kind)


def test_learning_rate_curve(pyplot, fitted):
    display = LossCurveDisplay.from_estimator(fitted, kind="learning_rate")
    assert len(display.lines_) == 1
    assert _xy(display.lines_[0]) == (list(range(1, 8)),
                                      fitted.learning_rate_curve_)
    assert display.ax_.get_ylabel() == "learning rate"
    assert display.ax_.get_yscale() == "linear"  # spans less than 100x


def test_learning_rate_spanning_orders_of_magnitude_is_log_scaled(pyplot):
    display = LossCurveDisplay(epochs=[1, 2, 3], learning_rates=[1.0, 0.1, 1e-3],
                               kind="learning_rate").plot()
    assert display.ax_.get_yscale() == "log"


def test_grad_norms_one_line_per_layer(pyplot, fitted):
    display = LossCurveDisplay.from_estimator(fitted, kind="grad_norms")
    assert [line.get_label() for line in display.lines_] == [
        "hidden layer 1", "hidden layer 2", "output layer"]
    for layer, line in enumerate(display.lines_):
        assert _xy(line) == (list(range(1, 8)),
                             [r["grad_norms"][layer] for r in fitted.history_])
    assert display.ax_.get_yscale() == "log"
    # Layers' norms are often close: a line style each.
    assert [line.get_linestyle() for line in display.lines_] == ["-", "--", "-."]


def test_plot_on_given_axes_with_line_keywords(pyplot, fitted):
    fig, (left, right) = pyplot.subplots(1, 2)
    first = LossCurveDisplay.from_estimator(fitted, kind="grad_norms", ax=right,
                                            linestyle="--")
    assert first.ax_ is right and first.figure_ is fig
    assert all(line.get_linestyle() == "--" for line in first.lines_)
    assert len(left.lines) == 0


def test_several_runs_share_axes_with_their_labels(pyplot, fitted):
    other = MLPClassifierBP((4,), max_iter=3, random_state=0).fit(X, Y)
    _, ax = pyplot.subplots()
    LossCurveDisplay.from_estimator(other, ax=ax, label="small", name="")
    LossCurveDisplay.from_estimator(other, ax=ax, label="again", name="")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["small", "again"]
    assert ax.get_title() == ""
    display = LossCurveDisplay.from_estimator(fitted, kind="grad_norms",
                                              label="deep")
    assert display.lines_[0].get_label() == "deep: hidden layer 1"
    display = LossCurveDisplay.from_estimator(fitted, label="deep")
    assert [line.get_label() for line in display.lines_] == [
        "deep", "deep: validation loss", "deep: validation score"]
    display = LossCurveDisplay.from_estimator(fitted, kind="learning_rate",
                                              label="step")
    assert display.lines_[0].get_label() == "step"


def test_display_from_arrays_and_replot(pyplot):
    display = LossCurveDisplay(epochs=[1, 2, 3], loss_curve=[3.0, 2.0, 1.5],
                               validation_scores=[0.5, 0.7], estimator_name="mine")
    display.plot()
    loss, validation = display.lines_
    assert _xy(loss) == ([1, 2, 3], [3.0, 2.0, 1.5])
    # Scores recorded from a later epoch on (a warm start) end with the loss.
    assert _xy(validation) == ([2, 3], [0.5, 0.7])
    first_ax = display.ax_
    display.plot()
    assert display.ax_ is not first_ax


def test_validation_loss_alone_and_lbfgs(pyplot):
    display = LossCurveDisplay(epochs=[1, 2, 3], loss_curve=[3.0, 2.0, 1.5],
                               validation_loss_curve=[2.5, 2.2]).plot()
    _, validation_loss = display.lines_
    assert _xy(validation_loss) == ([2, 3], [2.5, 2.2])  # ends with the loss
    assert display.ax_validation_ is None and display.ax_.get_legend() is None
    est = MLPClassifierBP((4,), solver="lbfgs", max_iter=5, random_state=0).fit(X, Y)
    assert len(LossCurveDisplay.from_estimator(est).lines_) == 1


def test_partial_fit_history_is_plotted_whole(pyplot):
    est = MLPClassifierBP((4,), random_state=0)
    for _ in range(4):
        est.partial_fit(X, Y, classes=np.arange(10))
    display = LossCurveDisplay.from_estimator(est, kind="grad_norms")
    assert_array_equal(display.lines_[0].get_xdata(), [1, 2, 3, 4])


def test_bad_kind_and_unfitted(pyplot, fitted):
    with pytest.raises(ValueError, match="kind must be one of"):
        LossCurveDisplay.from_estimator(fitted, kind="accuracy")
    with pytest.raises(ValueError, match="kind must be one of"):
        LossCurveDisplay(epochs=[1], kind="nope").plot()
    with pytest.raises(ValueError, match="needs grad_norms"):
        LossCurveDisplay(epochs=[1], loss_curve=[1.0], kind="grad_norms").plot()
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(MLPClassifierBP())


def test_without_matplotlib_the_error_names_the_extra(monkeypatch, fitted):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"skmlp\[plot\]"):
        LossCurveDisplay.from_estimator(fitted)
    # Importing the module needs no matplotlib.
    monkeypatch.delitem(sys.modules, "skmlp.plotting")
    import skmlp.plotting  # noqa: F401


def _lines_under_legends(figure):
    """The labels of the lines that a legend box of ``figure`` covers, as
    drawn (a legend on one axes can cover the line of its twin)."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    covered = []
    for legend in filter(None, (ax.get_legend() for ax in figure.axes)):
        box = legend.get_window_extent(renderer)
        for ax in figure.axes:
            for line in ax.get_lines():
                path = line.get_transform().transform_path(line.get_path())
                if path.intersects_bbox(box, filled=False):
                    covered.append(line.get_label())
    return covered


@pytest.mark.parametrize("kind", ["loss", "learning_rate", "grad_norms"])
@pytest.mark.parametrize("early_stopping", [True, False])
def test_legends_cover_no_curve(pyplot, kind, early_stopping):
    est = MLPClassifierBP((16, 16), max_iter=40, early_stopping=early_stopping,
                          n_iter_no_change=100, random_state=0).fit(X, Y)
    display = LossCurveDisplay.from_estimator(est, kind=kind)
    assert _lines_under_legends(display.figure_) == []


def test_the_validation_scores_are_not_covered(pyplot):
    # The usual shapes: the loss falls, the score rises to a plateau, so the
    # upper right corner, free of the loss, holds the scores.
    epochs = np.arange(1, 61)
    display = LossCurveDisplay(
        epochs=epochs, loss_curve=2.2 * np.exp(-epochs / 10) + 0.1,
        validation_scores=0.95 - 0.7 * np.exp(-epochs / 5)).plot()
    assert _lines_under_legends(display.figure_) == []


def test_the_legend_check_sees_a_covered_line(pyplot):
    _, ax = pyplot.subplots()
    ax.plot([0, 1], [0, 1], label="diagonal")
    ax.legend(loc="center")
    assert _lines_under_legends(ax.figure) == ["diagonal"]
