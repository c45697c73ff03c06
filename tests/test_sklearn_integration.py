"""skmlp's estimators inside scikit-learn's tooling (and Python's own).

Expected values come from scikit-learn (its own MLPs, metrics and
splitters) or from doing by hand what the tool does.
"""

import inspect
import io
import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp.optimizers import SGD, Adam

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = dict(hidden_layer_sizes=(8,), max_iter=20, random_state=0)


@pytest.fixture(scope="module")
def classification():
    X, y = make_classification(120, 6, n_informative=4, n_classes=3, random_state=0)
    return X * 10 + 3, y  # unscaled on purpose: the pipeline scales it


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(120, 6, noise=1.0, random_state=0)
    return X, y / y.std()


def _fitted(Estimator, data, **params):
    X, y = data
    return Estimator(**{**FAST, **params}).fit(StandardScaler().fit_transform(X), y)


# -- Pipeline ------------------------------------------------------------------


@pytest.mark.parametrize("Estimator, data", [(MLPClassifierBP, "classification"),
                                             (MLPRegressorBP, "regression")])
def test_pipeline_equals_scaling_by_hand(Estimator, data, request):
    X, y = request.getfixturevalue(data)
    pipe = make_pipeline(StandardScaler(), Estimator(**FAST)).fit(X, y)
    scaler = StandardScaler().fit(X)
    by_hand = Estimator(**FAST).fit(scaler.transform(X), y)
    assert_array_equal(pipe.predict(X), by_hand.predict(scaler.transform(X)))
    assert pipe.score(X, y) == by_hand.score(scaler.transform(X), y)
    # The pipeline reaches the step's parameters.
    pipe.set_params(**{f"{type(pipe[-1]).__name__.lower()}__alpha": 0.5})
    assert pipe[-1].alpha == 0.5


def test_pipeline_matches_sklearn_pipeline(classification):
    X, y = classification
    ours = make_pipeline(StandardScaler(), MLPClassifierBP(**FAST)).fit(X, y)
    theirs = make_pipeline(StandardScaler(), MLPClassifier(**FAST)).fit(X, y)
    assert_array_equal(ours.predict_proba(X), theirs.predict_proba(X))


# -- model selection -----------------------------------------------------------


def _cv_scores_by_hand(estimator, X, y, cv):
    scores = []
    for train, test in cv.split(X, y):
        fitted = clone(estimator).fit(X[train], y[train])
        scores.append(accuracy_score(y[test], fitted.predict(X[test])))
    return np.array(scores)


def test_cross_val_score_equals_the_loop_by_hand(classification):
    X, y = classification
    X = StandardScaler().fit_transform(X)
    est, cv = MLPClassifierBP(**FAST), KFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(est, X, y, cv=cv)
    assert_array_equal(scores, _cv_scores_by_hand(est, X, y, cv))
    # ... and scikit-learn's MLP gets the very same scores.
    assert_array_equal(scores, cross_val_score(MLPClassifier(**FAST), X, y, cv=cv))


def test_grid_search_over_architecture_and_alpha(classification):
    X, y = classification
    X = StandardScaler().fit_transform(X)
    cv = KFold(3, shuffle=True, random_state=0)
    grid = {"hidden_layer_sizes": [(4,), (8, 4)], "alpha": [1e-4, 1.0]}
    search = GridSearchCV(MLPClassifierBP(**FAST), grid, cv=cv, n_jobs=2).fit(X, y)
    theirs = GridSearchCV(MLPClassifier(**FAST), grid, cv=cv, n_jobs=2).fit(X, y)
    assert_array_equal(search.cv_results_["mean_test_score"],
                       theirs.cv_results_["mean_test_score"])
    assert search.best_params_ == theirs.best_params_
    for i, params in enumerate(search.cv_results_["params"]):
        expected = _cv_scores_by_hand(MLPClassifierBP(**{**FAST, **params}),
                                      X, y, cv)
        assert search.cv_results_["mean_test_score"][i] == pytest.approx(
            expected.mean(), rel=1e-12)
    best = search.best_estimator_
    assert best.hidden_layer_sizes == search.best_params_["hidden_layer_sizes"]
    assert_array_equal(best.predict(X), MLPClassifierBP(
        **{**FAST, **search.best_params_}).fit(X, y).predict(X))


def test_grid_search_over_optimizer_objects_and_their_parameters(classification):
    X, y = classification
    X = StandardScaler().fit_transform(X)
    cv = KFold(3, shuffle=True, random_state=0)
    adam = Adam()
    grid = [
        {"solver": [adam], "solver__beta_1": [0.5, 0.9]},
        {"solver": [SGD(momentum=0.5), SGD(momentum=0.9)],
         "learning_rate_init": [0.05]},
    ]
    search = GridSearchCV(MLPClassifierBP(**FAST), grid, cv=cv, n_jobs=2)
    search.fit(X, y)
    assert adam.get_params()["beta_1"] == 0.9  # the user's object is untouched
    results = search.cv_results_
    assert len(results["params"]) == 4
    # Each candidate scores as the equivalent scikit-learn MLP does.
    equivalents = [
        MLPClassifier(**FAST, solver="adam", beta_1=0.5),
        MLPClassifier(**FAST, solver="adam", beta_1=0.9),
        MLPClassifier(**FAST, solver="sgd", momentum=0.5, learning_rate_init=0.05),
        MLPClassifier(**FAST, solver="sgd", momentum=0.9, learning_rate_init=0.05),
    ]
    for i, equivalent in enumerate(equivalents):
        expected = cross_val_score(equivalent, X, y, cv=cv).mean()
        assert results["mean_test_score"][i] == pytest.approx(expected, rel=1e-12)
    best_solver = search.best_estimator_.solver
    assert best_solver is not adam and type(best_solver) in (Adam, SGD)


# -- clone ---------------------------------------------------------------------


def test_clone_drops_fitted_state_and_copies_components(classification):
    adam = Adam(beta_1=0.8)
    est = _fitted(MLPClassifierBP, classification, solver=adam)
    copy = clone(est)
    assert not any(name.endswith("_") and not name.startswith("__")
                   for name in vars(copy))
    assert not any(name.startswith("_") and not name.startswith("__")
                   for name in vars(copy))
    assert copy.get_params()["solver__beta_1"] == 0.8
    assert copy.solver is not adam and type(copy.solver) is Adam
    assert set(copy.get_params()) == set(est.get_params())
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        copy.predict(classification[0])
    # A fit of the clone is the fit of the original.
    X = StandardScaler().fit_transform(classification[0])
    assert_array_equal(copy.fit(X, classification[1]).coefs_[0], est.coefs_[0])


# -- persistence -----------------------------------------------------------------


@pytest.mark.parametrize("Estimator, data, solver", [
    (MLPClassifierBP, "classification", "adam"),
    (MLPClassifierBP, "classification", "lbfgs"),
    (MLPRegressorBP, "regression", Adam(beta_1=0.8)),
])
@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_persistence_round_trip(Estimator, data, solver, how, request):
    X, y = request.getfixturevalue(data)
    est = _fitted(Estimator, (X, y), solver=solver)
    if how == "pickle":
        restored = pickle.loads(pickle.dumps(est))
    else:
        buffer = io.BytesIO()
        joblib.dump(est, buffer)
        buffer.seek(0)
        restored = joblib.load(buffer)
    assert_array_equal(restored.predict(X), est.predict(X), strict=True)
    if hasattr(est, "predict_proba"):
        assert_array_equal(restored.predict_proba(X), est.predict_proba(X))
    for ours, theirs in zip(restored.coefs_ + restored.intercepts_,
                            est.coefs_ + est.intercepts_):
        assert_array_equal(ours, theirs, strict=True)
    assert restored.get_params().keys() == est.get_params().keys()


# -- pandas and feature names ----------------------------------------------------


def _frame(X, names=None):
    return pd.DataFrame(X, columns=names or [f"f{i}" for i in range(X.shape[1])])


@pytest.mark.parametrize("ours, theirs", [(MLPClassifierBP, MLPClassifier),
                                          (MLPRegressorBP, MLPRegressor)])
def test_feature_names_like_sklearn(ours, theirs, classification):
    X, y = classification
    X = StandardScaler().fit_transform(X)
    frame = _frame(X)
    ours_fitted = ours(**FAST).fit(frame, y)
    theirs_fitted = theirs(**FAST).fit(frame, y)
    assert_array_equal(ours_fitted.feature_names_in_, frame.columns.to_numpy())
    assert_array_equal(ours_fitted.predict(frame), theirs_fitted.predict(frame))

    # Renamed or reordered columns: both raise the same error.
    for bad in (_frame(X, [f"g{i}" for i in range(X.shape[1])]),
                frame[frame.columns[::-1]]):
        with pytest.raises(ValueError, match="feature names should match") as e1:
            ours_fitted.predict(bad)
        with pytest.raises(ValueError) as e2:
            theirs_fitted.predict(bad)
        assert str(e1.value) == str(e2.value)

    # An array where names were seen, and names where none were: both warn.
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        assert_array_equal(ours_fitted.predict(X), ours_fitted.predict(frame))
    unnamed = ours(**FAST).fit(X, y)
    assert not hasattr(unnamed, "feature_names_in_")
    with pytest.warns(UserWarning, match="X has feature names, but"):
        unnamed.predict(frame)


def test_refit_on_array_forgets_feature_names(classification):
    X, y = classification
    est = MLPClassifierBP(**FAST).fit(_frame(X), y)
    est.fit(X, y)
    assert not hasattr(est, "feature_names_in_")


def test_pandas_targets_and_string_classes(classification):
    X, y = classification
    X = StandardScaler().fit_transform(X)
    labels = pd.Series(np.array(["ant", "bee", "cat"])[y], name="animal")
    ours = MLPClassifierBP(**FAST).fit(_frame(X), labels)
    theirs = MLPClassifier(**FAST).fit(_frame(X), labels)
    assert_array_equal(ours.classes_, ["ant", "bee", "cat"])
    assert_array_equal(ours.predict(_frame(X)), theirs.predict(_frame(X)))


# -- prediction API ----------------------------------------------------------------


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_predict_proba_log_proba_and_score(target, classification):
    X = StandardScaler().fit_transform(classification[0])
    y = {"binary": classification[1] % 2, "multiclass": classification[1],
         "multilabel": np.stack([classification[1] == k for k in range(3)]
                                + [X[:, 0] > 0], axis=1).astype(int)}[target]
    est = MLPClassifierBP(**FAST).fit(X, y)
    proba = est.predict_proba(X)
    n_columns = 4 if target == "multilabel" else len(np.unique(y))
    assert proba.shape == (len(X), n_columns)
    assert np.all((proba >= 0) & (proba <= 1))
    if target != "multilabel":  # independent labels need not sum to one
        assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
        assert_array_equal(est.predict(X), est.classes_[proba.argmax(axis=1)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no log(0) here
        assert_allclose(est.predict_log_proba(X), np.log(proba), rtol=1e-12)
    assert est.score(X, y) == accuracy_score(y, est.predict(X))
    weights = np.linspace(0.5, 2.0, len(X))
    assert est.score(X, y, sample_weight=weights) == accuracy_score(
        y, est.predict(X), sample_weight=weights)


def test_regressor_score_is_r2(regression):
    X, y = regression
    est = MLPRegressorBP(**FAST).fit(X, y)
    assert est.score(X, y) == r2_score(y, est.predict(X))
    Y = np.column_stack([y, -y])
    multi = MLPRegressorBP(**FAST).fit(X, Y)
    assert multi.predict(X).shape == Y.shape
    assert multi.score(X, Y) == r2_score(Y, multi.predict(X))


def test_no_warnings_beyond_convergence(classification):
    X, y = classification
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = MLPClassifierBP(**FAST).fit(_frame(X), y)
        est.predict_proba(_frame(X))
        est.score(_frame(X), y)


@pytest.mark.parametrize("package", ["optimizers", "schedulers"])
def test_inspect_getsource_never_reads_the_wrong_lines(package):
    """The component classes say they live in their package (pickles name
    that path), not in the private module that defines them. Python 3.13's
    ``inspect.getsource`` reads a class at its ``__firstlineno__`` in the
    module's file: it must then find no source, as earlier Pythons do,
    rather than read the package's lines (autodoc's signatures failed on
    them with a TokenError)."""
    module = __import__(f"skmlp.{package}", fromlist=["__all__"])
    classes = [obj for obj in map(module.__dict__.get, module.__all__)
               if isinstance(obj, type)]
    assert len(classes) >= 8
    for cls in classes:
        assert cls.__module__ == module.__name__
        try:
            source = inspect.getsource(cls)
        except OSError:
            continue
        assert source.lstrip().startswith(f"class {cls.__name__}"), cls
