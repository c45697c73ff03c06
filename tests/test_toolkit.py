"""The training toolkit: ``history_``, gradient clipping, ``class_weight``,
``verbose`` and the gradient diagnostics.

Expected values come from independent computations: finite differences of a
loss written here, the update rule of plain SGD applied by hand, sample
weights computed by hand, scikit-learn's own verbose output, and synthetic
histories whose verdict is known by construction.
"""

import re
import time
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp._diagnostics import (
    EXPLODING_GROWTH,
    EXPLODING_NORM,
    VANISHING_RATIO,
    _column_medians,
    gradient_warnings,
)
from skmlp.callbacks import Callback
from skmlp.optimizers import OPTIMIZERS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RECORD_KEYS = {"epoch", "loss", "validation_score", "validation_loss",
               "learning_rate", "time", "grad_norms"}


def _digits(n=200):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16, y[:n]


X, Y = _digits()
N = X.shape[0]
CLASSES = np.arange(10)


class GradientRecorder(Callback):
    """Copies of every gradient the hooks see, and the weights after each epoch."""

    def on_train_begin(self, estimator, *, X, y):
        self.coef_grads_, self.intercept_grads_, self.weights_ = [], [], {}

    def on_grad_computed(self, estimator, *, epoch, batch, coef_grads,
                         intercept_grads):
        self.coef_grads_.append([g.copy() for g in coef_grads])
        self.intercept_grads_.append([g.copy() for g in intercept_grads])

    def on_epoch_end(self, estimator, *, epoch, record, coefs, intercepts):
        self.weights_[epoch] = np.concatenate(
            [c.ravel() for c in coefs] + [b.ravel() for b in intercepts])

    def flat_grads(self):
        return [np.concatenate([g.ravel() for g in cg] + [g.ravel() for g in ig])
                for cg, ig in zip(self.coef_grads_, self.intercept_grads_)]


# -- docstring examples ------------------------------------------------------------

@pytest.mark.parametrize("module", ["skmlp.callbacks", "skmlp._diagnostics",
                                    "skmlp.plotting"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    if module == "skmlp.plotting":
        pytest.importorskip("matplotlib")
    result = doctest.testmod(importlib.import_module(module), verbose=False)
    assert result.attempted > 0 and result.failed == 0


# -- history_ -------------------------------------------------------------------

def test_history_records_what_it_claims():
    start = time.perf_counter()
    est = MLPClassifierBP((8, 6), max_iter=5, random_state=0).fit(X, Y)
    elapsed = time.perf_counter() - start
    assert [r["epoch"] for r in est.history_] == [1, 2, 3, 4, 5]
    for record in est.history_:
        assert set(record) == RECORD_KEYS
        assert record["validation_score"] is record["validation_loss"] is None
        assert len(record["grad_norms"]) == est.n_layers_ - 1 == 3
        assert all(np.isfinite(record["grad_norms"]))
        assert min(record["grad_norms"]) > 0
        assert isinstance(record["time"], float) and record["time"] > 0
    assert sum(r["time"] for r in est.history_) <= elapsed
    assert [r["loss"] for r in est.history_] == est.loss_curve_
    assert [r["learning_rate"] for r in est.history_] == est.learning_rate_curve_


def test_history_numbers_epochs_across_partial_fit_and_warm_start():
    est = MLPClassifierBP((8,), random_state=0)
    for _ in range(3):
        est.partial_fit(X, Y, classes=CLASSES)
    assert [r["epoch"] for r in est.history_] == [1, 2, 3]
    assert [r["loss"] for r in est.history_] == est.loss_curve_
    est.set_params(warm_start=True, max_iter=2).fit(X, Y)
    assert [r["epoch"] for r in est.history_] == [1, 2, 3, 4, 5]
    assert [r["loss"] for r in est.history_] == est.loss_curve_
    est.set_params(warm_start=False).fit(X, Y)  # a fresh fit starts over
    assert [r["epoch"] for r in est.history_] == [1, 2]


def test_lbfgs_refit_does_not_keep_a_stale_history():
    est = MLPClassifierBP((8,), max_iter=5, random_state=0,
                          callbacks=[GradientRecorder()]).fit(X, Y)
    # L-BFGS has no mini-batches: a callback with on_grad_computed is refused.
    with pytest.raises(ValueError, match="solver='lbfgs' cannot honour a callback "
                       "with on_grad_computed"):
        est.set_params(solver="lbfgs", max_iter=3).fit(X, Y)
    est.set_params(callbacks=None).fit(X, Y)
    assert len(est.loss_curve_) == est.n_iter_ == len(est.history_) == 3
    assert [r["loss"] for r in est.history_] == est.loss_curve_
    assert est.learning_rate_curve_ == []
    assert est.callbacks_ == []


def test_history_learning_rate_follows_the_schedule():
    est = MLPClassifierBP((8,), solver="sgd", learning_rate="invscaling",
                          learning_rate_init=0.5, power_t=0.5, batch_size=N,
                          max_iter=4, random_state=0).fit(X, Y)
    rates = [r["learning_rate"] for r in est.history_]
    assert rates == est.learning_rate_curve_
    # scikit-learn's invscaling: η₀ / (samples seen + 1)^power_t.
    assert_allclose(rates, [0.5 / (e * N + 1) ** 0.5 for e in range(4)])


def test_history_validation_score_matches_scikit_learn():
    params = dict(hidden_layer_sizes=(8,), max_iter=6, early_stopping=True,
                  random_state=0, solver="sgd", learning_rate_init=0.1)
    est = MLPClassifierBP(**params).fit(X, Y)
    reference = MLPClassifier(**params).fit(X, Y)
    assert [r["validation_score"] for r in est.history_] == \
        est.validation_scores_ == reference.validation_scores_


def _reference_loss(coefs, intercepts, X, y, alpha):
    """Mean log-loss of a tanh network with softmax output, plus L2 penalty."""
    a = X
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        a = np.tanh(a @ W + b)
    z = a @ coefs[-1] + intercepts[-1]
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    data_loss = -log_p[np.arange(len(y)), y].mean()
    return data_loss + alpha / (2 * len(y)) * sum((W ** 2).sum() for W in coefs)


def _finite_difference_weight_gradients(coefs, intercepts, X, y, alpha, h=1e-6):
    grads = []
    for W in coefs:
        grad = np.empty_like(W)
        for index in np.ndindex(W.shape):
            saved = W[index]
            W[index] = saved + h
            up = _reference_loss(coefs, intercepts, X, y, alpha)
            W[index] = saved - h
            down = _reference_loss(coefs, intercepts, X, y, alpha)
            W[index] = saved
            grad[index] = (up - down) / (2 * h)
        grads.append(grad)
    return grads


def test_grad_norms_are_the_norms_of_the_true_gradient():
    """Full batch: epoch e's gradient is taken at the weights after epoch e-1,
    which a fit with max_iter=e-1 returns; finite differences give it."""
    X_small, y_small = X[:60, ::4], Y[:60]  # 16 features: cheap differences
    params = dict(hidden_layer_sizes=(6, 5), activation="tanh", solver="sgd",
                  learning_rate_init=0.2, batch_size=60, alpha=1e-2,
                  random_state=0)
    est = MLPClassifierBP(**params, max_iter=3,
                          callbacks=[GradientRecorder()]).fit(X_small, y_small)
    for epoch in (2, 3):
        before = MLPClassifierBP(**params, max_iter=epoch - 1).fit(X_small, y_small)
        record = est.history_[epoch - 1]
        assert_allclose(record["loss"], _reference_loss(
            before.coefs_, before.intercepts_, X_small, y_small, 1e-2), rtol=1e-12)
        expected = _finite_difference_weight_gradients(
            before.coefs_, before.intercepts_, X_small, y_small, 1e-2)
        assert_allclose(record["grad_norms"],
                        [np.linalg.norm(g) for g in expected], rtol=1e-6)
        # on_grad_computed is handed the same gradient.
        for seen, reference in zip(est.callbacks_[0].coef_grads_[epoch - 1],
                                   expected):
            assert_allclose(seen, reference, rtol=1e-5, atol=1e-9)


def test_grad_norms_average_the_batch_gradient_norms():
    est = MLPClassifierBP((8, 6), batch_size=50, shuffle=False, max_iter=3,
                          random_state=0, callbacks=[GradientRecorder()]).fit(X, Y)
    grads = est.callbacks_[0].coef_grads_
    assert len(grads) == 3 * 4  # 200 samples, batches of 50
    for epoch, record in enumerate(est.history_):
        batches = grads[4 * epoch: 4 * epoch + 4]
        expected = np.mean([[np.linalg.norm(g) for g in batch]
                            for batch in batches], axis=0)
        assert_allclose(record["grad_norms"], expected, rtol=1e-12)


# -- clipping -------------------------------------------------------------------

PLAIN_SGD = dict(hidden_layer_sizes=(8,), solver="sgd", momentum=0.0,
                 learning_rate_init=0.5, batch_size=N, max_iter=5, random_state=0)


def _steps(est):
    """(update, gradient) of epochs 2..n: full batch, one step per epoch."""
    recorder = est.callbacks_[0]
    grads = recorder.flat_grads()
    weights = recorder.weights_
    return [(weights[e] - weights[e - 1], grads[e - 1])
            for e in range(2, est.n_iter_ + 1)]


def test_clip_grad_value_bounds_every_update_component():
    est = MLPClassifierBP(**PLAIN_SGD, clip_grad_value=0.01,
                          callbacks=[GradientRecorder()]).fit(X, Y)
    lr, limit = 0.5, 0.01
    for update, grad in _steps(est):
        assert np.abs(grad).max() > limit  # the bound binds
        assert np.abs(update).max() <= lr * limit * (1 + 1e-9)
        assert_allclose(update, -lr * np.clip(grad, -limit, limit), rtol=1e-7,
                        atol=1e-12)


def test_clip_grad_norm_bounds_the_global_norm():
    est = MLPClassifierBP(**PLAIN_SGD, clip_grad_norm=0.05,
                          callbacks=[GradientRecorder()]).fit(X, Y)
    lr, limit = 0.5, 0.05
    for update, grad in _steps(est):
        norm = np.linalg.norm(grad)
        assert norm > limit
        assert_allclose(np.linalg.norm(update), lr * limit, rtol=1e-7)
        assert_allclose(update, -lr * grad * (limit / norm), rtol=1e-7, atol=1e-12)


def test_clipping_by_value_then_by_norm():
    est = MLPClassifierBP(**PLAIN_SGD, clip_grad_value=0.01, clip_grad_norm=0.02,
                          callbacks=[GradientRecorder()]).fit(X, Y)
    for update, grad in _steps(est):
        clipped = np.clip(grad, -0.01, 0.01)
        clipped *= min(1.0, 0.02 / np.linalg.norm(clipped))
        assert_allclose(update, -0.5 * clipped, rtol=1e-7, atol=1e-12)


def _unclipped_extremes(params):
    """Largest global gradient norm and component over all steps, unclipped."""
    est = MLPClassifierBP(**params, callbacks=[GradientRecorder()]).fit(X, Y)
    grads = est.callbacks_[0].flat_grads()
    return (est, max(np.linalg.norm(g) for g in grads),
            max(np.abs(g).max() for g in grads))


@pytest.mark.parametrize("solver", list(OPTIMIZERS))
def test_clipping_changes_training_only_when_it_binds(solver):
    params = dict(hidden_layer_sizes=(8,), solver=solver, batch_size=50,
                  max_iter=3, random_state=0,
                  learning_rate_init=1.0 if solver == "adadelta" else 0.01)
    plain, max_norm, max_value = _unclipped_extremes(params)

    def fit(**clip):
        return MLPClassifierBP(**params, **clip).fit(X, Y)

    for loose in (fit(clip_grad_norm=max_norm * 1.001),
                  fit(clip_grad_value=max_value * 1.001)):
        for ours, theirs in zip(loose.coefs_ + loose.intercepts_,
                                plain.coefs_ + plain.intercepts_):
            assert_array_equal(ours, theirs)
        assert loose.history_[-1]["grad_norms"] == plain.history_[-1]["grad_norms"]
    for tight in (fit(clip_grad_norm=max_norm * 0.3),
                  fit(clip_grad_value=max_value * 0.3)):
        assert not np.array_equal(tight.coefs_[0], plain.coefs_[0])
        assert np.isfinite(tight.loss_curve_).all()
        assert tight.loss_curve_[-1] < tight.loss_curve_[0]  # still learns


def test_history_and_hooks_see_gradients_before_clipping():
    est = MLPClassifierBP(**PLAIN_SGD, clip_grad_norm=1e-3,
                          callbacks=[GradientRecorder()]).fit(X, Y)
    grads = est.callbacks_[0].coef_grads_
    for record, layers in zip(est.history_, grads):
        assert_allclose(record["grad_norms"], [np.linalg.norm(g) for g in layers],
                        rtol=1e-12)
        assert np.linalg.norm(np.concatenate([g.ravel() for g in layers])) > 1e-3


def test_clipping_rescues_a_diverging_regression():
    X_r, y_r = make_regression(200, 5, noise=1.0, random_state=0)
    X_r = StandardScaler().fit_transform(X_r)
    params = dict(hidden_layer_sizes=(32, 32), solver="sgd",
                  learning_rate_init=0.01, max_iter=30, random_state=0)
    with pytest.warns(ConvergenceWarning,
                      match="diverged .* the epoch with the lowest training loss"):
        unclipped = MLPRegressorBP(**params).fit(X_r, y_r)
    assert unclipped.n_iter_ < 30
    # The best epoch is kept: the last loss of the curve is its lowest.
    assert unclipped.loss_ == min(unclipped.loss_curve_)
    clipped = MLPRegressorBP(**params, clip_grad_norm=100.0).fit(X_r, y_r)
    assert clipped.n_iter_ == 30 and np.isfinite(clipped.loss_curve_).all()
    assert clipped.loss_ < 0.05 * clipped.loss_curve_[0]


# -- class_weight --------------------------------------------------------------

def _imbalanced():
    X_c, y_c = make_classification(150, 5, n_informative=3, n_classes=3,
                                   weights=[0.6, 0.3, 0.1], random_state=0)
    return X_c, np.array(["a", "b", "c"])[y_c]


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_balanced_class_weight_equals_the_equivalent_sample_weight(solver):
    X_c, y_c = _imbalanced()
    labels, counts = np.unique(y_c, return_counts=True)
    assert len(set(counts)) == 3  # really imbalanced
    per_class = dict(zip(labels, len(y_c) / (len(labels) * counts)))
    sample_weight = np.array([per_class[label] for label in y_c])
    params = dict(hidden_layer_sizes=(6,), solver=solver, max_iter=8,
                  random_state=0)
    weighted = MLPClassifierBP(**params, class_weight="balanced").fit(X_c, y_c)
    reference = MLPClassifierBP(**params).fit(X_c, y_c, sample_weight=sample_weight)
    plain = MLPClassifierBP(**params).fit(X_c, y_c)
    for ours, theirs in zip(weighted.coefs_ + weighted.intercepts_,
                            reference.coefs_ + reference.intercepts_):
        assert_array_equal(ours, theirs)
    assert weighted.loss_curve_ == reference.loss_curve_
    assert not np.array_equal(weighted.coefs_[0], plain.coefs_[0])


def test_dict_class_weight_multiplies_sample_weight():
    X_c, y_c = _imbalanced()
    class_weight = {"a": 0.5, "b": 2.0}  # "c" keeps weight 1
    sample_weight = np.linspace(0.5, 1.5, len(y_c))
    expected = sample_weight * np.array([{"a": 0.5, "b": 2.0}.get(c, 1.0)
                                         for c in y_c])
    params = dict(hidden_layer_sizes=(6,), solver="sgd", max_iter=5,
                  random_state=0)
    weighted = MLPClassifierBP(**params, class_weight=class_weight).fit(
        X_c, y_c, sample_weight=sample_weight)
    reference = MLPClassifierBP(**params).fit(X_c, y_c, sample_weight=expected)
    for ours, theirs in zip(weighted.coefs_, reference.coefs_):
        assert_array_equal(ours, theirs)


def test_dict_class_weight_in_partial_fit():
    X_c, y_c = _imbalanced()
    weights = {"a": 0.2, "b": 1.0, "c": 5.0}
    sample_weight = np.array([weights[c] for c in y_c])
    ours = MLPClassifierBP((6,), random_state=0, class_weight=weights)
    theirs = MLPClassifierBP((6,), random_state=0)
    for _ in range(3):
        ours.partial_fit(X_c, y_c, classes=["a", "b", "c"])
        theirs.partial_fit(X_c, y_c, classes=["a", "b", "c"],
                           sample_weight=sample_weight)
    for a, b in zip(ours.coefs_, theirs.coefs_):
        assert_array_equal(a, b)


def test_class_weight_errors():
    X_c, y_c = _imbalanced()
    with pytest.raises(ValueError, match=r"partial_fit.*pass a dict"):
        MLPClassifierBP((4,), class_weight="balanced").partial_fit(
            X_c, y_c, classes=["a", "b", "c"])
    y_multilabel = np.column_stack([y_c == "a", y_c == "b"]).astype(int)
    for class_weight in ("balanced", {0: 2.0}):
        with pytest.raises(ValueError, match="multilabel"):
            MLPClassifierBP((4,), max_iter=2, class_weight=class_weight).fit(
                X_c, y_multilabel)
    with pytest.raises(ValueError, match="class_weight"):
        MLPClassifierBP((4,), max_iter=2, class_weight="uniform").fit(X_c, y_c)


# -- verbose --------------------------------------------------------------------

@pytest.mark.parametrize("Ours, Theirs, params", [
    (MLPClassifierBP, MLPClassifier, dict(solver="sgd")),
    (MLPClassifierBP, MLPClassifier, dict(solver="adam", early_stopping=True)),
    (MLPRegressorBP, MLPRegressor, dict(solver="sgd", early_stopping=True)),
])
def test_verbose_prints_like_scikit_learn(Ours, Theirs, params, capsys):
    y = Y if Ours is MLPClassifierBP else Y / 9.0
    params = dict(hidden_layer_sizes=(8,), max_iter=4, random_state=0,
                  verbose=True, **params)
    ours = Ours(**params).fit(X, y)
    printed = capsys.readouterr().out
    Theirs(**params).fit(X, y)
    assert printed == capsys.readouterr().out
    iterations = re.findall(r"^Iteration (\d+), loss = (\S+)$", printed, re.M)
    assert iterations == [(str(k), f"{loss:.8f}")
                          for k, loss in enumerate(ours.loss_curve_, start=1)]
    scores = re.findall(r"^Validation score: (\S+)$", printed, re.M)
    if params.get("early_stopping"):
        assert scores == [f"{s:f}" for s in ours.validation_scores_]
    else:
        assert scores == []


def test_not_verbose_prints_nothing(capsys):
    MLPClassifierBP((4,), max_iter=2, random_state=0).fit(X, Y)
    assert capsys.readouterr().out == ""


# -- gradient diagnostics --------------------------------------------------------

def _history(norms, losses=None):
    losses = losses if losses is not None else [1.0 / (e + 1) for e in
                                                range(len(norms))]
    return [{"epoch": e + 1, "loss": loss, "validation_score": None,
             "learning_rate": 0.01, "time": 0.01, "grad_norms": list(layer_norms)}
            for e, (layer_norms, loss) in enumerate(zip(norms, losses))]


def test_thresholds_are_the_documented_ones():
    assert (VANISHING_RATIO, EXPLODING_NORM, EXPLODING_GROWTH) == (1e-4, 1e6, 1e3)


@pytest.mark.parametrize("norms", [
    [[0.3, 0.2, 0.1]] * 5,  # flat
    [[1.0, 0.5, 0.3], [0.5, 0.3, 0.2], [0.1, 0.05, 0.02]],  # shrinking
    [[2e-4, 1e-3, 1.0]] * 4,  # attenuated, but above 1e-4
    [[5e5, 3e5]] * 3,  # large but below 1e6
    [[0.0, 0.0, 0.0]],  # nothing to learn (a perfect fit)
    [[0.1]],  # no hidden layer to compare
])
def test_diagnostics_are_silent_on_healthy_histories(norms):
    assert gradient_warnings(_history(norms)) == []


@pytest.mark.parametrize("norms, expected", [
    ([0.3, 0.2, 0.1], ""),
    ([1e-4, 1.0], ""),  # 1e-4 itself is not below 1e-4
    ([np.nextafter(1e-4, 0), 1.0], "Vanishing"),
    ([1e-7, 0.5, 1.0], "Vanishing"),
    ([200.0, 1e6], ""),  # 1e6 itself is not above 1e6
    ([200.0, np.nextafter(1e6, 2e6)], "Exploding"),
    ([np.inf, 1.0], "Exploding"),
    ([1e-9, 2e6], "Vanishing Exploding"),
    ([np.nan, 1.0], ""),  # not finite: no ratio, and nan is no norm
    ([0.1, 0.0], ""),  # no output gradient: no ratio
    ([0.1], ""),
], ids=repr)
def test_a_single_epoch_follows_the_rules(norms, expected):
    """One epoch (a partial_fit) is screened without NumPy: the same rules."""
    messages = gradient_warnings(_history([norms]))
    assert [message.split()[0] for message in messages] == expected.split()


@pytest.mark.parametrize("n_epochs", [1, 2, 3, 4, 7])
def test_column_medians_equal_numpy_median(n_epochs):
    ratios = np.random.default_rng(n_epochs).lognormal(size=(n_epochs, 3))
    ratios[0, 1] = np.inf  # a ratio that overflowed
    np.testing.assert_array_equal(_column_medians(ratios), np.median(ratios, axis=0),
                                  strict=True)


def test_diagnostics_are_silent_on_empty_histories():
    assert gradient_warnings([]) == []
    assert gradient_warnings([{"epoch": 1, "loss": 1.0, "grad_norms": []}]) == []


def test_vanishing_names_the_layers_and_suggests_remedies():
    norms = [[1e-7, 5e-6, 5e-5, 1e-2, 0.5]] * 3  # ratios 2e-7, 1e-5, 1e-4, 0.02
    messages = gradient_warnings(_history(norms))
    assert len(messages) == 1
    message = messages[0]
    assert message.startswith("Vanishing gradients")
    assert "hidden layers 1-2 " in message  # 1e-4 itself is not below 1e-4
    assert "hidden layer 1: 2.0e-07 times" in message
    assert "median over epochs 1-3" in message
    for remedy in ("relu", "he_normal", "glorot_uniform", "batch_norm=True"):
        assert remedy in message


def test_vanishing_uses_the_median_epoch():
    # One bad epoch out of three is not enough; two are.
    assert gradient_warnings(_history([[1e-6, 1.0], [0.1, 1.0], [0.1, 1.0]])) == []
    messages = gradient_warnings(_history([[1e-6, 1.0], [1e-6, 1.0], [0.1, 1.0]]))
    assert len(messages) == 1 and "hidden layer 1 " in messages[0]


def test_vanishing_lists_scattered_layers():
    messages = gradient_warnings(_history([[1e-6, 0.1, 1e-7, 1.0]]))
    assert "hidden layers 1, 3 " in messages[0]
    assert "hidden layer 3: 1.0e-07 times, epoch 1" in messages[0]


def test_exploding_huge_norm_names_layer_and_epoch():
    norms = [[0.1, 0.1, 0.1], [0.2, 3e7, 0.1], [0.1, 0.1, 0.1]]
    messages = gradient_warnings(_history(norms))
    assert len(messages) == 1
    message = messages[0]
    assert message.startswith("Exploding gradients")
    assert "hidden layer 2 reached 3.0e+07 in epoch 2" in message
    for remedy in ("clip_grad_norm", "learning_rate_init", "he_normal",
                   "batch_norm=True"):
        assert remedy in message


def test_exploding_infinite_norm_and_output_layer_name():
    messages = gradient_warnings(_history([[0.1, 0.2], [0.1, np.inf]]))
    assert "the output layer (layer 2) reached inf in epoch 2" in messages[0]


def test_exploding_growth_needs_a_loss_that_did_not_fall():
    norms = [[1e-3, 1e-3], [1e-2, 1e-2], [2.0, 3.0]]  # about 2550-fold growth
    rising = gradient_warnings(_history(norms, losses=[1.0, 1.5, 40.0]))
    assert len(rising) == 1
    assert "grew 2.5e+03-fold from epoch 1 to epoch 3" in rising[0]
    assert "most in the output layer (layer 2)" in rising[0]
    assert "loss went from 1 to 40" in rising[0]
    # The same growth while the loss falls: a network leaving a plateau.
    assert gradient_warnings(_history(norms, losses=[1.0, 0.5, 0.2])) == []
    # Growth below 1e3 is not explosion.
    assert gradient_warnings(_history([[1e-3], [0.5]], losses=[1, 2])) == []


def test_vanishing_and_exploding_together():
    norms = [[1e-9, 1.0], [1e-9 * 5e3, 5e3]]
    messages = gradient_warnings(_history(norms, losses=[1.0, 9.0]))
    assert [m.split(":")[0] for m in messages] == ["Vanishing gradients",
                                                   "Exploding gradients"]


_ANY_FLOAT = st.one_of(st.floats(0, 1e300), st.sampled_from([0.0, np.inf, np.nan]))


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5).flatmap(lambda n_layers: st.lists(
    st.tuples(st.lists(_ANY_FLOAT, min_size=n_layers, max_size=n_layers),
              st.one_of(st.floats(allow_nan=True), st.just(np.inf))),
    min_size=1, max_size=6)))
def test_diagnostics_never_fail_or_warn_on_any_history(epochs):
    norms, losses = zip(*epochs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning either
        messages = gradient_warnings(_history(norms, losses=list(losses)))
    assert len(messages) <= 2
    assert all(isinstance(m, str) for m in messages)


def _fit_warnings(estimator, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator.fit(X, y)
    return [str(w.message) for w in caught
            if issubclass(w.category, ConvergenceWarning)]


@pytest.fixture(scope="module")
def digits_scaled():
    X_d, y_d = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X_d), y_d


DEEP = dict(hidden_layer_sizes=(32,) * 10, solver="sgd", learning_rate_init=0.05,
            max_iter=8, random_state=0)


def test_a_deep_logistic_network_warns_of_vanishing_gradients(digits_scaled):
    est = MLPClassifierBP(**DEEP, activation="logistic",
                          weight_init="glorot_normal")
    messages = _fit_warnings(est, *digits_scaled)
    vanishing = [m for m in messages if m.startswith("Vanishing gradients")]
    assert len(vanishing) == 1
    assert re.search(r"hidden layers 1-\d", vanishing[0])
    # The history shows it: the first layer's gradient is tiny next to the last.
    first, last = np.array([[r["grad_norms"][0], r["grad_norms"][-1]]
                            for r in est.history_]).T
    assert np.all(first / last < 1e-4)


@pytest.mark.parametrize("activation, weight_init", [
    ("relu", "he_normal"), ("relu", "sklearn"), ("tanh", "glorot_normal")])
def test_a_healthy_deep_network_does_not_warn(digits_scaled, activation,
                                              weight_init):
    est = MLPClassifierBP(**DEEP, activation=activation, weight_init=weight_init)
    messages = _fit_warnings(est, *digits_scaled)
    assert [m for m in messages if "gradients" in m] == []
    assert est.loss_curve_[-1] < 0.8 * est.loss_curve_[0]  # it does learn


def test_an_exploding_network_warns(digits_scaled):
    est = MLPClassifierBP((64,) * 6, solver="sgd", learning_rate_init=1.0,
                          max_iter=30, random_state=0)
    messages = _fit_warnings(est, *digits_scaled)
    exploding = [m for m in messages if m.startswith("Exploding gradients")]
    assert len(exploding) == 1
    assert re.search(r"the gradient norm of hidden layer \d reached", exploding[0])
    assert max(max(r["grad_norms"]) for r in est.history_) > 1e6


def test_a_too_high_learning_rate_explodes_without_diverging(digits_scaled):
    est = MLPClassifierBP((64,), solver="sgd", learning_rate_init=1.5,
                          max_iter=30, n_iter_no_change=100, random_state=0)
    messages = _fit_warnings(est, *digits_scaled)
    assert est.n_iter_ == 30 and np.isfinite(est.loss_curve_).all()
    assert est.loss_ > 1e3 * est.loss_curve_[0]
    exploding = [m for m in messages if m.startswith("Exploding gradients")]
    assert len(exploding) == 1
    assert "reached" in exploding[0] and "grew" in exploding[0]


def test_huge_targets_warn_of_huge_gradients_without_diverging():
    X_r, y_r = make_regression(200, 5, noise=1.0, random_state=0)
    params = dict(hidden_layer_sizes=(16, 16), max_iter=10, random_state=0)
    scaled = _fit_warnings(MLPRegressorBP(**params), X_r, y_r)
    assert [m for m in scaled if "gradients" in m] == []
    est = MLPRegressorBP(**params)
    huge = _fit_warnings(est, X_r, y_r * 1e4)
    assert [m.split(":")[0] for m in huge if "gradients" in m] == [
        "Exploding gradients"]
    assert est.n_iter_ == 10 and np.isfinite(est.loss_curve_).all()


def test_partial_fit_diagnoses_only_its_own_epoch(digits_scaled):
    X_d, y_d = digits_scaled
    est = MLPClassifierBP(**{**DEEP, "max_iter": 1}, activation="logistic",
                          weight_init="glorot_normal")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.partial_fit(X_d, y_d, classes=CLASSES)
        est.partial_fit(X_d, y_d)
    vanishing = [str(w.message) for w in caught
                 if str(w.message).startswith("Vanishing")]
    assert len(vanishing) == 2
    assert "epoch 1)" in vanishing[0] and "epoch 2)" in vanishing[1]
