"""Schedules know the fit's horizon (estimator level).

The schedule-level rules (lengths, warnings, preview) are in
test_schedulers.py; here the estimator hands the schedule its horizon, the
recorded rates equal the schedule's ``preview``, and reaching ``max_iter``
is the plan for a schedule that ends there.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp.schedulers import (
    CosineAnnealingWarmRestarts,
    OneCycleLR,
    PolynomialLR,
    StepLR,
)

X, Y = load_iris(return_X_y=True)
X = (X - X.mean(axis=0)) / X.std(axis=0)
BATCH = 50  # 150 samples: 3 batches per epoch
PARAMS = dict(hidden_layer_sizes=(8,), batch_size=BATCH, random_state=0,
              n_iter_no_change=np.inf)

HORIZON_SCHEDULES = {
    "one_cycle": OneCycleLR(),
    "one_cycle per batch": OneCycleLR(per_batch=True),
    "polynomial": PolynomialLR(),
    "cosine": CosineAnnealingWarmRestarts(),
}


def _fit(schedule, max_iter, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return MLPClassifierBP(**PARAMS, learning_rate=schedule, max_iter=max_iter,
                               **params).fit(X, Y)


@pytest.mark.parametrize("max_iter", [30, 300])
@pytest.mark.parametrize("name", HORIZON_SCHEDULES)
def test_recorded_rates_are_the_preview_over_the_fit(name, max_iter):
    """The schedule spans exactly the fit: the rates the estimator used are
    the schedule's preview for max_iter epochs of 3 batches, and reaching
    max_iter raises no ConvergenceWarning (it is the plan)."""
    schedule = HORIZON_SCHEDULES[name]
    est = _fit(schedule, max_iter)
    assert est.n_iter_ == max_iter
    preview = schedule.preview(est.learning_rate_init, epochs=max_iter,
                               batches_per_epoch=3, batch_size=BATCH)
    assert preview.shape == (3 * max_iter,)
    # learning_rate_curve_ holds each epoch's first rate.
    np.testing.assert_array_equal(est.learning_rate_curve_, preview[::3])


@pytest.mark.parametrize("max_iter", [30, 300])
def test_one_cycle_peaks_and_ends_within_the_fit(max_iter):
    """The regression: with max_iter=30 one-cycle only warmed up; with 300 it
    spent 100 epochs at its floor."""
    est = _fit("one_cycle", max_iter)
    rates = np.asarray(est.learning_rate_curve_)
    peak = est.learning_rate_init
    start, end = peak / 25.0, peak / 25.0 / 1e4
    assert rates[0] == pytest.approx(start, rel=1e-12)
    assert rates.max() == pytest.approx(peak, rel=1e-12)
    assert rates[-1] == pytest.approx(end, rel=1e-12)
    # The floor is reached in the last epoch, not before.
    assert rates[-2] > 2 * end


def test_polynomial_reaches_its_end_in_the_last_epoch():
    rates = _fit("polynomial", 40).learning_rate_curve_
    assert rates[-1] == pytest.approx(0.0, abs=1e-18) and rates[-2] > 0


def test_an_open_ended_schedule_still_warns_at_max_iter():
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        MLPClassifierBP(**PARAMS, learning_rate=StepLR(step_size=5),
                        max_iter=5).fit(X, Y)


def test_a_schedule_ending_before_the_fit_warns():
    with pytest.warns(UserWarning, match="total_steps"):
        MLPClassifierBP(**PARAMS, learning_rate=OneCycleLR(total_steps=10),
                        max_iter=20).fit(X, Y)


@pytest.mark.parametrize("Estimator", [MLPClassifierBP, MLPRegressorBP])
@pytest.mark.parametrize("name, param", [("one_cycle", "total_steps"),
                                         ("polynomial", "total_iters"),
                                         ("cosine", "T_0")])
def test_partial_fit_without_a_horizon_says_what_to_set(Estimator, name, param):
    est = Estimator(**PARAMS, learning_rate=name)
    kwargs = {"classes": np.unique(Y)} if Estimator is MLPClassifierBP else {}
    with pytest.raises(ValueError, match=f"needs {param} when the fit has no "
                       "horizon"):
        est.partial_fit(X, Y, **kwargs)
    assert not hasattr(est, "coefs_")


def test_partial_fit_with_a_set_length_runs_the_schedule_to_its_end():
    schedule = OneCycleLR(total_steps=6)
    est = MLPClassifierBP(**PARAMS, learning_rate=schedule)
    for _ in range(6):
        est.partial_fit(X, Y, classes=np.unique(Y))
    expected = schedule.preview(est.learning_rate_init, epochs=6,
                                batches_per_epoch=3, batch_size=BATCH)[::3]
    np.testing.assert_array_equal(est.learning_rate_curve_, expected)
