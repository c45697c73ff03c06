"""Validation data passed to fit and partial_fit, and the validation loss.

``fit(X, y, sample_weight=None, *, X_val=None, y_val=None,
sample_weight_val=None)`` follows scikit-learn's HistGradientBoosting
convention. The checks below recompute every validation figure the
estimator reports with scikit-learn's own metrics on the model it returns,
so a wrong validation set, a lost weight or a mislabelled curve shows.
"""

import copy
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.datasets import load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp.callbacks import EarlyStopping
from skmlp.schedulers import ReduceLROnPlateau

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)
ORDER = np.random.RandomState(0).permutation(len(Y_IRIS))
TRAIN, VAL = ORDER[:100], ORDER[100:]
X_TR, Y_TR, X_VA, Y_VA = X_IRIS[TRAIN], Y_IRIS[TRAIN], X_IRIS[VAL], Y_IRIS[VAL]

X_REG, Y_REG = make_regression(120, 5, noise=5.0, random_state=0)
Y_REG = Y_REG / Y_REG.std()
X_RTR, Y_RTR, X_RVA, Y_RVA = X_REG[:80], Y_REG[:80], X_REG[80:], Y_REG[80:]

CLF = dict(hidden_layer_sizes=(8,), early_stopping=True, random_state=0,
           learning_rate_init=0.01)


def _best_epoch(est) -> int:
    """The epoch whose weights early stopping returns: the first best score."""
    return int(np.argmax(est.validation_scores_))


# == what the validation data is used for ==========================================

def test_classifier_scores_and_losses_are_those_of_the_given_validation_set():
    """At the best epoch (the returned weights), the recorded score and loss
    are scikit-learn's accuracy and log loss of the model on X_val."""
    est = MLPClassifierBP(**CLF, max_iter=30, n_iter_no_change=np.inf).fit(
        X_TR, Y_TR, X_val=X_VA, y_val=Y_VA)
    best = _best_epoch(est)
    assert len(est.validation_scores_) == len(est.validation_loss_curve_) == 30
    assert est.best_validation_score_ == est.validation_scores_[best]
    assert est.validation_scores_[best] == accuracy_score(Y_VA, est.predict(X_VA))
    assert_allclose(est.validation_loss_curve_[best],
                    log_loss(Y_VA, est.predict_proba(X_VA)), rtol=1e-12)
    assert [r["validation_loss"] for r in est.history_] == est.validation_loss_curve_
    assert [r["validation_score"] for r in est.history_] == est.validation_scores_


def test_regressor_validation_loss_is_half_the_mean_squared_error():
    est = MLPRegressorBP(hidden_layer_sizes=(8,), early_stopping=True, random_state=0,
                         max_iter=40, n_iter_no_change=np.inf,
                         learning_rate_init=0.01).fit(
        X_RTR, Y_RTR, X_val=X_RVA, y_val=Y_RVA)
    best = _best_epoch(est)
    assert_allclose(est.validation_scores_[best], r2_score(Y_RVA, est.predict(X_RVA)),
                    rtol=1e-12)
    assert_allclose(est.validation_loss_curve_[best],
                    0.5 * mean_squared_error(Y_RVA, est.predict(X_RVA)), rtol=1e-12)


def test_sample_weight_val_weighs_the_validation_score_and_loss():
    weights = np.where(Y_VA == 2, 5.0, 1.0)
    est = MLPClassifierBP(**CLF, max_iter=20, n_iter_no_change=np.inf).fit(
        X_TR, Y_TR, X_val=X_VA, y_val=Y_VA, sample_weight_val=weights)
    best = _best_epoch(est)
    assert est.validation_scores_[best] == accuracy_score(
        Y_VA, est.predict(X_VA), sample_weight=weights)
    assert_allclose(est.validation_loss_curve_[best],
                    log_loss(Y_VA, est.predict_proba(X_VA), sample_weight=weights),
                    rtol=1e-12)


def test_given_validation_data_replaces_the_random_split():
    """All of X is trained on (t_ counts every sample of every epoch), and
    the result does not depend on validation_fraction."""
    fitted = [MLPClassifierBP(**CLF, max_iter=5, validation_fraction=fraction).fit(
        X_TR, Y_TR, X_val=X_VA, y_val=Y_VA) for fraction in (0.1, 0.5)]
    assert fitted[0].t_ == fitted[0].n_iter_ * len(Y_TR)
    assert_array_equal(fitted[0].coefs_[0], fitted[1].coefs_[0])
    split = MLPClassifierBP(**CLF, max_iter=5).fit(X_TR, Y_TR)
    assert split.t_ == split.n_iter_ * 90


def test_stopping_follows_the_given_validation_data():
    """Validation labels that the model cannot learn stop training early."""
    stopped = MLPClassifierBP(**CLF, max_iter=200, n_iter_no_change=3).fit(
        X_TR, Y_TR, X_val=X_VA, y_val=np.roll(Y_VA, 1))
    learning = MLPClassifierBP(**CLF, max_iter=200, n_iter_no_change=3).fit(
        X_TR, Y_TR, X_val=X_VA, y_val=Y_VA)
    assert stopped.n_iter_ < learning.n_iter_


def test_the_random_split_records_a_validation_loss_too():
    est = MLPClassifierBP(**CLF, max_iter=8).fit(X_TR, Y_TR)
    assert len(est.validation_loss_curve_) == est.n_iter_ == 8
    assert all(np.isfinite(est.validation_loss_curve_))


@pytest.mark.parametrize("params", [dict(early_stopping=False),
                                    dict(solver="lbfgs", early_stopping=True)])
def test_no_validation_data_no_validation_curves(params):
    est = MLPClassifierBP((8,), max_iter=5, random_state=0, **params).fit(X_TR, Y_TR)
    assert est.validation_loss_curve_ is None and est.validation_scores_ is None
    assert all(r["validation_loss"] is None for r in est.history_)


def test_plateau_schedule_and_callbacks_watch_the_validation_loss():
    """ReduceLROnPlateau and EarlyStopping accept "validation_loss"; the
    callback stops where the recorded curve says it must."""
    est = MLPClassifierBP(
        **dict(CLF, hidden_layer_sizes=(32,), learning_rate_init=0.05),
        max_iter=300, n_iter_no_change=np.inf, solver="sgd",
        learning_rate=ReduceLROnPlateau(monitor="validation_loss", patience=1,
                                        factor=0.5),
        callbacks=[EarlyStopping("validation_loss", patience=4)],
    ).fit(X_TR[:30], Y_TR[:30], X_val=X_VA, y_val=Y_VA)  # 30 rows: it overfits
    curve = np.asarray(est.validation_loss_curve_)
    stopper = est.callbacks_[0]
    assert stopper.stopped_epoch_ == est.n_iter_ < 300
    assert stopper.best_value_ == curve.min()
    assert np.all(curve[stopper.best_epoch_:] >= curve.min())  # no later best
    assert len(set(est.learning_rate_curve_)) > 1  # the plateau rule acted


def test_warm_start_continues_the_validation_curves():
    est = MLPClassifierBP(**CLF, max_iter=4, n_iter_no_change=np.inf).fit(
        X_TR, Y_TR, X_val=X_VA, y_val=Y_VA)
    first = list(est.validation_loss_curve_)
    est.set_params(warm_start=True).fit(X_TR, Y_TR, X_val=X_VA, y_val=Y_VA)
    assert len(est.validation_loss_curve_) == 8
    assert est.validation_loss_curve_[:4] == first


# == partial_fit ========================================================

def test_partial_fit_tracks_validation_and_stops_across_calls():
    """Each call records one validation score; the latest weights are kept
    until the stopping rule ends training; then the best call's weights are
    restored and later calls leave the model unchanged, with a warning."""
    est = MLPClassifierBP(**CLF, n_iter_no_change=2)
    calls = 0
    while True:
        est.partial_fit(X_TR, Y_TR, classes=[0, 1, 2], X_val=X_VA, y_val=Y_VA)
        calls += 1
        assert len(est.validation_scores_) == calls
        scores = est.validation_scores_
        if est.stopped_epoch_ is not None:  # the rule fired
            assert est.stopped_epoch_ == calls
            assert est._no_improvement_count > est.n_iter_no_change
            break
        assert est._no_improvement_count <= est.n_iter_no_change
        # not stopped: the model holds the latest weights
        assert accuracy_score(Y_VA, est.predict(X_VA)) == scores[-1]
        assert calls < 300
    best = _best_epoch(est)
    assert best < calls - 1  # the last call was not the best one ...
    assert accuracy_score(Y_VA, est.predict(X_VA)) == scores[best]  # ... restored
    frozen = pickle.dumps((est.coefs_, est.intercepts_, est.loss_curve_))
    with pytest.warns(ConvergenceWarning, match="Training stopped"):
        est.partial_fit(X_TR, Y_TR, X_val=X_VA, y_val=Y_VA)
    assert est.n_iter_ == 0
    assert pickle.dumps((est.coefs_, est.intercepts_, est.loss_curve_)) == frozen
    # a fit starts afresh
    est.fit(X_TR, Y_TR, X_val=X_VA, y_val=Y_VA)
    assert est.n_iter_ > 0


@pytest.mark.parametrize("params, stops", [
    (dict(early_stopping=True, n_iter_no_change=2), True),
    (dict(early_stopping=False, n_iter_no_change=2, tol=10.0), True),
    (dict(early_stopping=True, n_iter_no_change=np.inf), False),
    (dict(solver="lbfgs"), False),
])
def test_stopped_epoch_says_whether_the_stopping_rule_ended_training(params, stops):
    est = MLPClassifierBP(**dict(CLF, **params), max_iter=300).fit(X_TR, Y_TR)
    assert est.stopped_epoch_ == (est.n_iter_ if stops else None)
    assert (est.n_iter_ < 300) is stops or params.get("solver") == "lbfgs"


def test_partial_fit_without_validation_data_never_stops():
    """As in scikit-learn: the training-loss rule does not stop partial_fit."""
    est = MLPClassifierBP(**dict(CLF, early_stopping=False), tol=10.0,
                          n_iter_no_change=1)
    for _ in range(4):
        est.partial_fit(X_TR, Y_TR, classes=[0, 1, 2])
        assert est.stopped_epoch_ is None and est.n_iter_ == 1


def test_partial_fit_early_stopping_needs_validation_data():
    est = MLPClassifierBP(**CLF)
    with pytest.raises(ValueError, match="partial_fit needs validation data for "
                       "early_stopping=True: pass X_val and y_val"):
        est.partial_fit(X_TR, Y_TR, classes=[0, 1, 2])


# == bad input: clear errors, nothing changed =================================

BAD_VALIDATION = {
    "X_val without y_val": (dict(X_val=X_VA), "X_val is provided, but y_val was not"),
    "y_val without X_val": (dict(y_val=Y_VA), "y_val is provided, but X_val was not"),
    "weights alone": (dict(sample_weight_val=np.ones(50)),
                      "sample_weight_val is provided, but X_val and y_val were not"),
    "unknown class": (dict(X_val=X_VA, y_val=Y_VA + 3),
                      r"y_val has classes not in y: \[3 4 5\]"),
    "too few features": (dict(X_val=X_VA[:, :3], y_val=Y_VA),
                         "X has 3 features, but MLPClassifierBP is expecting 4"),
    "lengths differ": (dict(X_val=X_VA, y_val=Y_VA[:40]),
                       "inconsistent numbers of samples"),
    "weights too short": (dict(X_val=X_VA, y_val=Y_VA, sample_weight_val=np.ones(3)),
                          r"sample_weight_val.shape == \(3,\), expected \(50,\)"),
    "zero weights": (dict(X_val=X_VA, y_val=Y_VA, sample_weight_val=np.zeros(50)),
                     "The weights in sample_weight_val must contain at least one "
                     "non-zero"),
    "NaN in X_val": (dict(X_val=np.where(X_VA > 1, np.nan, X_VA), y_val=Y_VA),
                     "Input X contains NaN"),
}


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("case", BAD_VALIDATION)
def test_bad_validation_data_raises_and_changes_nothing(case, method):
    kwargs, message = BAD_VALIDATION[case]
    est = MLPClassifierBP(**CLF, max_iter=3).fit(X_TR, Y_TR)
    before = pickle.dumps(vars(est))
    with pytest.raises(ValueError, match=message):
        getattr(est, method)(X_TR, Y_TR, **kwargs)
    assert pickle.dumps(vars(est)) == before


@pytest.mark.parametrize("params, message", [
    (dict(early_stopping=False), "X_val and y_val are passed while early_stopping "
     "is False.* set early_stopping=True"),
    (dict(solver="lbfgs", early_stopping=True),
     r"solver='lbfgs' cannot use validation data \(X_val, y_val\)"),
])
def test_validation_data_that_would_be_ignored_is_refused(params, message):
    est = MLPClassifierBP((8,), random_state=0, **params)
    with pytest.raises(ValueError, match=message):
        est.fit(X_TR, Y_TR, X_val=X_VA, y_val=Y_VA)
    assert not hasattr(est, "coefs_")


@pytest.mark.parametrize("y_val, message", [
    (np.c_[Y_RVA, Y_RVA], "y_val has 2 outputs, but y has 1"),
    (-np.abs(Y_RVA), "loss='poisson' requires y_val >= 0"),
])
def test_regressor_validation_targets_are_checked(y_val, message):
    est = MLPRegressorBP(hidden_layer_sizes=(8,), early_stopping=True, loss="poisson")
    with pytest.raises(ValueError, match=message):
        est.fit(X_RTR, np.abs(Y_RTR), X_val=X_RVA, y_val=y_val)


def test_multilabel_validation_targets_need_the_same_columns():
    Y_multi = np.c_[Y_TR == 0, Y_TR == 1].astype(int)
    est = MLPClassifierBP((8,), early_stopping=True)
    with pytest.raises(ValueError, match="label-indicator matrix with 2 columns"):
        est.fit(X_TR, Y_multi, X_val=X_VA, y_val=(Y_VA == 0).astype(int))
    est.set_params(max_iter=3).fit(X_TR, Y_multi, X_val=X_VA,
                                   y_val=np.c_[Y_VA == 0, Y_VA == 1].astype(int))
    assert len(est.validation_loss_curve_) == 3


# == metadata routing and pipelines ==================================================

def test_pipeline_transforms_x_val_with_transform_input():
    """Pipeline(..., transform_input=["X_val"]) scales X_val as X: the same
    model as scaling both by hand."""
    raw_train, raw_val = X_TR * 10 + 3, X_VA * 10 + 3
    params = dict(CLF, max_iter=6)
    with config_context(enable_metadata_routing=True):
        pipe = Pipeline(
            [("scale", StandardScaler()),
             ("mlp", MLPClassifierBP(**params).set_fit_request(X_val=True,
                                                               y_val=True))],
            transform_input=["X_val"],
        ).fit(raw_train, Y_TR, X_val=raw_val, y_val=Y_VA)
    scaler = StandardScaler().fit(raw_train)
    by_hand = MLPClassifierBP(**params).fit(
        scaler.transform(raw_train), Y_TR, X_val=scaler.transform(raw_val),
        y_val=Y_VA)
    assert pipe[-1].validation_scores_ == by_hand.validation_scores_
    assert_array_equal(pipe[-1].coefs_[0], by_hand.coefs_[0])


def test_validation_data_in_a_deep_copy_and_pickle_round_trip():
    est = MLPClassifierBP(**CLF, max_iter=4).fit(X_TR, Y_TR, X_val=X_VA, y_val=Y_VA)
    for clone_ in (copy.deepcopy(est), pickle.loads(pickle.dumps(est))):
        assert clone_.validation_loss_curve_ == est.validation_loss_curve_


def test_validation_set_with_feature_names_is_checked_like_predict_input():
    pd = pytest.importorskip("pandas")
    names = [f"f{i}" for i in range(4)]
    est = MLPClassifierBP(**CLF, max_iter=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(pd.DataFrame(X_TR, columns=names), Y_TR,
                X_val=pd.DataFrame(X_VA, columns=names), y_val=Y_VA)
    assert not [w for w in caught if "feature names" in str(w.message)]
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        est.fit(pd.DataFrame(X_TR, columns=names), Y_TR, X_val=X_VA, y_val=Y_VA)
    with pytest.raises(ValueError, match="feature names"):
        est.fit(pd.DataFrame(X_TR, columns=names), Y_TR,
                X_val=pd.DataFrame(X_VA, columns=names[::-1]), y_val=Y_VA)
