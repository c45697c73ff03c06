"""Persistence: pickle and joblib round trips keep predictions bit-identical,
training goes on after loading exactly as without the round trip, and a
pickle loads in a fresh Python process and predicts the same there.

``tests/test_sklearn_integration.py`` checks the basic round trip of three
models; ``tests/test_state.py`` the partial_fit continuity of sgd/adam
through pickle. Here: every optimizer, stateful schedules, float32, joblib
files (compressed too), warm starts, and a fresh interpreter.
"""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification, make_regression

from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp.optimizers import OPTIMIZERS, Adam, RMSProp
from skmlp.schedulers import CyclicLR, ReduceLROnPlateau, StepLR, WarmupLR

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N = 48
X_CLF, Y_CLF = make_classification(N, 5, n_informative=3, n_classes=3,
                                   random_state=0)
_X_REG, _y_reg = make_regression(N, 5, noise=1.0, random_state=0)
Y_REG = _y_reg / _y_reg.std()
DATA = {"classifier": (MLPClassifierBP, X_CLF, Y_CLF),
        "regressor": (MLPRegressorBP, _X_REG, Y_REG)}
FAST = dict(hidden_layer_sizes=(6,), max_iter=3, batch_size=16, random_state=0)
STATE = ["coefs_", "intercepts_", "loss_curve_", "t_", "n_iter_",
         "learning_rate_curve_", "_optimizer_state", "_scheduler_state"]


def round_trip(est, how, tmp_path=None):
    if how == "pickle":
        return pickle.loads(pickle.dumps(est, protocol=pickle.HIGHEST_PROTOCOL))
    if how == "joblib":
        buffer = io.BytesIO()
        joblib.dump(est, buffer)
        buffer.seek(0)
        return joblib.load(buffer)
    path = tmp_path / "model.joblib"  # a file, compressed
    joblib.dump(est, path, compress=3)
    return joblib.load(path)


def outputs(est, X):
    result = [est.predict(X)]
    if hasattr(est, "predict_proba"):
        result += [est.predict_proba(X), est.predict_log_proba(X)]
    return result


def assert_same_outputs(a, b, X):
    for ours, theirs in zip(outputs(a, X), outputs(b, X), strict=True):
        assert_array_equal(ours, theirs, strict=True)


def assert_same_state(a, b):
    for name in STATE:
        assert pickle.dumps(getattr(a, name)) == pickle.dumps(getattr(b, name)), name


HOWS = ["pickle", "joblib", "joblib-file"]
SCHEDULES = ["constant", "invscaling", ReduceLROnPlateau(patience=1),
             WarmupLR(StepLR(step_size=2), warmup_epochs=2),
             CyclicLR(step_size=2, per_batch=True)]


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("kind", DATA)
@pytest.mark.parametrize("solver", OPTIMIZERS)
def test_partial_fit_after_loading_equals_uninterrupted(solver, kind, how, tmp_path):
    Estimator, X, y = DATA[kind]
    est = Estimator(**FAST, solver=solver, learning_rate_init=0.01).fit(X, y)
    loaded = round_trip(est, how, tmp_path)
    assert_same_outputs(loaded, est, X)
    assert_same_state(loaded, est)
    for model in (est, loaded):
        for chunk in (slice(0, 20), slice(20, N), slice(0, N)):
            model.partial_fit(X[chunk], y[chunk])
    assert_same_state(loaded, est)
    assert_same_outputs(loaded, est, X)


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("learning_rate", SCHEDULES, ids=repr)
@pytest.mark.parametrize("kind", DATA)
def test_schedule_state_survives_the_round_trip(kind, learning_rate, how, tmp_path):
    Estimator, X, y = DATA[kind]
    est = Estimator(**FAST, solver="sgd", learning_rate=learning_rate,
                    learning_rate_init=0.01).fit(X, y)
    loaded = round_trip(est, how, tmp_path)
    for model in (est, loaded):
        for _ in range(3):
            model.partial_fit(X, y)
    assert_same_state(loaded, est)
    assert_same_outputs(loaded, est, X)


@pytest.mark.parametrize("kind", DATA)
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_warm_start_after_loading_equals_uninterrupted(solver, kind):
    Estimator, X, y = DATA[kind]
    est = Estimator(**FAST, solver=solver).fit(X, y)
    loaded = round_trip(est, "pickle")
    for model in (est, loaded):
        model.set_params(warm_start=True, max_iter=2).fit(X, y)
    for ours, theirs in zip(loaded.coefs_ + loaded.intercepts_,
                            est.coefs_ + est.intercepts_, strict=True):
        assert_array_equal(ours, theirs, strict=True)
    assert loaded.loss_curve_ == est.loss_curve_
    assert_same_outputs(loaded, est, X)


@pytest.mark.parametrize("kind", DATA)
def test_float32_model_round_trip(kind):
    Estimator, X, y = DATA[kind]
    X = X.astype(np.float32)
    est = Estimator(**FAST, solver=Adam(beta_1=0.8)).fit(X, y)
    loaded = round_trip(est, "joblib")
    assert all(w.dtype == np.float32 for w in loaded.coefs_ + loaded.intercepts_)
    assert_same_outputs(loaded, est, X)
    for model in (est, loaded):
        model.partial_fit(X, y)
    assert_same_state(loaded, est)


def test_the_users_component_objects_are_not_shared_after_loading():
    solver = RMSProp(rho=0.8)
    est = MLPClassifierBP(**FAST, solver=solver).fit(X_CLF, Y_CLF)
    loaded = round_trip(est, "pickle")
    assert loaded.solver is not solver and loaded.solver.get_params() == (
        solver.get_params())
    loaded.set_params(solver__rho=0.5)
    assert est.solver.rho == 0.8 and solver.rho == 0.8


# -- a fresh interpreter ------------------------------------------------------------


def _models():
    """Models of several kinds, fitted here; the child process gets them
    pickled."""
    frame = pd.DataFrame(X_CLF, columns=[f"f{i}" for i in range(5)])
    labels = np.array(["ant", "bee", "cat"])[Y_CLF]
    return {
        "classifier-adam": (MLPClassifierBP(**FAST).fit(X_CLF, Y_CLF), X_CLF, Y_CLF),
        "classifier-lbfgs-strings": (MLPClassifierBP(**FAST, solver="lbfgs").fit(
            X_CLF, labels), X_CLF, labels),
        "classifier-frame-plateau": (MLPClassifierBP(
            **FAST, solver="sgd", learning_rate=ReduceLROnPlateau()).fit(
                frame, Y_CLF), frame, Y_CLF),
        "regressor-float32-step": (MLPRegressorBP(
            **FAST, solver=RMSProp(), learning_rate=StepLR(step_size=1)).fit(
                _X_REG.astype(np.float32), Y_REG), _X_REG.astype(np.float32), Y_REG),
    }


CHILD = textwrap.dedent("""
    import pickle, sys, warnings
    from sklearn.exceptions import ConvergenceWarning
    from skmlp import MLPClassifierBP
    warnings.simplefilter("ignore", ConvergenceWarning)
    with open(sys.argv[1], "rb") as f:
        models = pickle.load(f)
    results = {}
    for name, (est, X, y) in models.items():
        out = [est.predict(X)]
        if hasattr(est, "predict_proba"):
            out.append(est.predict_proba(X))
        if hasattr(est, "partial_fit"):
            est.partial_fit(X, y)
            out += est.coefs_ + est.intercepts_
        results[name] = out
    # The same seed gives the same model in this process too.
    fresh = MLPClassifierBP(hidden_layer_sizes=(6,), max_iter=3, batch_size=16,
                            random_state=0).fit(*models["classifier-adam"][1:])
    results["fresh-fit"] = fresh.coefs_ + fresh.intercepts_
    with open(sys.argv[2], "wb") as f:
        pickle.dump(results, f)
""")


def test_pickle_loads_and_predicts_identically_in_a_fresh_process(tmp_path):
    models = _models()
    source, target = tmp_path / "models.pkl", tmp_path / "results.pkl"
    source.write_bytes(pickle.dumps(models))
    process = subprocess.run([sys.executable, "-c", CHILD, str(source), str(target)],
                             capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, process.stderr[-3000:]
    results = pickle.loads(target.read_bytes())

    for name, (est, X, y) in models.items():
        expected = [est.predict(X)]
        if hasattr(est, "predict_proba"):
            expected.append(est.predict_proba(X))
        if hasattr(est, "partial_fit"):
            est.partial_fit(X, y)
            expected += est.coefs_ + est.intercepts_
        assert len(results[name]) == len(expected), name
        for ours, theirs in zip(results[name], expected, strict=True):
            assert_array_equal(ours, theirs, strict=True, err_msg=name)
    here = MLPClassifierBP(**FAST).fit(X_CLF, Y_CLF)
    for ours, theirs in zip(results["fresh-fit"], here.coefs_ + here.intercepts_,
                            strict=True):
        assert_array_equal(ours, theirs, strict=True)

