"""scikit-learn's estimator checks, all of them, with no expected failures.

The instances mirror scikit-learn's own test set-up for its MLPs
(``sklearn/utils/_test_common/instance_generator.py``): ``max_iter=100`` for
every check (``INIT_PARAMS``), and the per-check parameters of
``PER_ESTIMATOR_CHECK_PARAMS`` for the sample-weight equivalence check.
scikit-learn lists no expected failures for its MLPs and neither do we.
"""

import os
import subprocess
import sys
import textwrap

import pytest
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils._test_common.instance_generator import (
    INIT_PARAMS,
    PER_ESTIMATOR_CHECK_PARAMS,
    PER_ESTIMATOR_XFAIL_CHECKS,
)
from sklearn.utils.estimator_checks import (
    check_sample_weight_equivalence_on_dense_data,
    check_sample_weight_equivalence_on_sparse_data,
    parametrize_with_checks,
)

from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp.optimizers import Adam
from skmlp.schedulers import CosineAnnealingWarmRestarts

# max_iter=100 stops short of convergence on the checks' data, as it does for
# scikit-learn's MLPs; the warning is expected there.
pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)

# What scikit-learn's instance generator uses for its MLPs (asserted below).
SKLEARN_INIT_PARAMS = {"max_iter": 100}
SKLEARN_SAMPLE_WEIGHT_PARAMS = {
    MLPClassifierBP: [{"solver": "lbfgs"}],
    MLPRegressorBP: [{"solver": "sgd", "tol": 1e-2, "random_state": 42}],
}

ESTIMATORS = [
    # scikit-learn's configuration.
    MLPClassifierBP(**SKLEARN_INIT_PARAMS),
    MLPRegressorBP(**SKLEARN_INIT_PARAMS),
    # The full-batch solver, a different code path (scipy).
    MLPClassifierBP(solver="lbfgs", **SKLEARN_INIT_PARAMS),
    MLPRegressorBP(solver="lbfgs", **SKLEARN_INIT_PARAMS),
    # Components given as objects, and a schedule scikit-learn does not have
    # (with its length set: the checks call partial_fit, which has no horizon).
    MLPClassifierBP(solver=Adam(beta_1=0.8),
                    learning_rate=CosineAnnealingWarmRestarts(T_0=10),
                    **SKLEARN_INIT_PARAMS),
    MLPRegressorBP(solver=Adam(beta_1=0.8),
                   learning_rate=CosineAnnealingWarmRestarts(T_0=10),
                   **SKLEARN_INIT_PARAMS),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=None)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_mirrors_sklearn_instance_generator():
    """Fails when scikit-learn changes how it tests its own MLPs."""
    assert INIT_PARAMS[MLPClassifier] == SKLEARN_INIT_PARAMS
    assert INIT_PARAMS[MLPRegressor] == SKLEARN_INIT_PARAMS
    for ours, theirs in [(MLPClassifierBP, MLPClassifier),
                         (MLPRegressorBP, MLPRegressor)]:
        expected = PER_ESTIMATOR_CHECK_PARAMS[theirs][
            "check_sample_weight_equivalence_on_dense_data"]
        expected = [expected] if isinstance(expected, dict) else expected
        assert SKLEARN_SAMPLE_WEIGHT_PARAMS[ours] == expected
        assert theirs not in PER_ESTIMATOR_XFAIL_CHECKS


@pytest.mark.parametrize(
    "check",
    [check_sample_weight_equivalence_on_dense_data,
     check_sample_weight_equivalence_on_sparse_data],
)
@pytest.mark.parametrize(
    "estimator",
    [Estimator(**SKLEARN_INIT_PARAMS, **params)
     for Estimator, param_sets in SKLEARN_SAMPLE_WEIGHT_PARAMS.items()
     for params in param_sets],
    ids=lambda est: type(est).__name__,
)
def test_sample_weight_equivalence_with_sklearn_per_check_params(estimator, check):
    # parametrize_with_checks only applies PER_ESTIMATOR_CHECK_PARAMS to
    # scikit-learn's own classes; run the check with them explicitly.
    check(type(estimator).__name__, estimator)


def test_array_api_input_check_runs_with_scipy_array_api():
    """``check_array_api_input`` is skipped above unless SCIPY_ARRAY_API=1 is
    set before scipy is imported, so run it in a fresh interpreter."""
    code = textwrap.dedent("""
        import warnings
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.utils.estimator_checks import check_array_api_input
        from skmlp import MLPClassifierBP, MLPRegressorBP
        warnings.simplefilter("ignore", ConvergenceWarning)
        for est in (MLPClassifierBP(max_iter=100), MLPRegressorBP(max_iter=100)):
            check_array_api_input(type(est).__name__, est,
                                  array_namespace="numpy")
        print("array api checks passed")
    """)
    env = {**os.environ, "SCIPY_ARRAY_API": "1"}
    result = subprocess.run([sys.executable, "-c", code], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "array api checks passed" in result.stdout
