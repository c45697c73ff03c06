"""Warnings from inside a fit name the user's line, not skmlp's or
scikit-learn's, whatever the path to the fit."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierBP

X, Y = load_iris(return_X_y=True)

CALLS = {
    "fit": lambda est: est.fit(X, Y),
    "partial_fit": lambda est: est.set_params(batch_size=1000).partial_fit(
        X, Y, classes=[0, 1, 2]),
    "lbfgs": lambda est: est.set_params(solver="lbfgs").fit(X, Y),
    "pipeline": lambda est: make_pipeline(StandardScaler(), est).fit(X, Y),
    "cross_val_score": lambda est: cross_val_score(est, X, Y, cv=2),
    "partial_fit after a stop": lambda est: _stopped(est).partial_fit(
        X, Y, X_val=X, y_val=Y),
}


def _stopped(est):
    est.set_params(early_stopping=True, n_iter_no_change=1, tol=1e3)
    for _ in range(3):
        est.partial_fit(X, Y, classes=[0, 1, 2], X_val=X, y_val=Y)
    return est


@pytest.mark.parametrize("call", CALLS)
def test_warnings_point_at_the_callers_line(call):
    est = MLPClassifierBP((4,), max_iter=2, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CALLS[call](est)
    ours = [w for w in caught
            if issubclass(w.category, (ConvergenceWarning, UserWarning))]
    assert ours, "the call was meant to warn"
    assert {w.filename for w in ours} == {__file__}


def test_no_warning_no_noise():
    est = MLPClassifierBP((4,), max_iter=300, random_state=0, tol=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(StandardScaler().fit_transform(X), Y)
    assert np.isfinite(est.loss_)
