"""Components given by name or as objects: no setting is silently ignored.

Estimator level: which estimator parameters reach a named component, what
happens when an object would override a flat parameter, nested parameters
on names, and the errors for invalid names.
"""

import pickle
import re
from typing import ClassVar

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp._params import resolve
from skmlp.optimizers import OPTIMIZERS, SGD, Adam, EmptyState, Optimizer
from skmlp.schedulers import SCHEDULERS, StepLR, WarmupLR

X, Y = load_iris(return_X_y=True)
X = (X - X.mean(axis=0)) / X.std(axis=0)
FAST = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0)


class Lion(Optimizer):
    """A new optimizer whose beta_2 means something else than Adam's."""

    name = "lion"
    _parameter_constraints: ClassVar[dict] = {}

    def __init__(self, beta_1=0.9, beta_2=0.99):
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def init_state(self, params):
        return EmptyState()

    def step(self, params, grads, state, *, learning_rate, scratch):
        params -= learning_rate * np.sign(grads)
        return state


def test_a_new_named_optimizer_inherits_nothing_it_does_not_declare(monkeypatch):
    """The regression: Lion added by name silently got beta_2=0.999."""
    monkeypatch.setitem(OPTIMIZERS, "lion", Lion)
    estimator_params = MLPClassifierBP().get_params()
    assert resolve("lion", OPTIMIZERS, estimator_params=estimator_params).beta_2 == 0.99
    monkeypatch.setattr(Lion, "estimator_params", ("beta_2",))
    assert resolve("lion", OPTIMIZERS,
                   estimator_params=estimator_params).beta_2 == 0.999


@pytest.mark.parametrize("param, value, component", [
    ("beta_1", 0.8, {"solver": Adam(beta_1=0.5)}),
    ("epsilon", 1e-6, {"solver": Adam()}),
    ("momentum", 0.5, {"solver": SGD()}),
    ("nesterovs_momentum", False, {"solver": SGD()}),
    ("power_t", 0.25, {"learning_rate": SCHEDULERS["invscaling"]()}),
])
def test_a_flat_parameter_an_object_overrides_is_an_error(param, value, component):
    est = MLPClassifierBP(**FAST, **component, **{param: value})
    (slot, obj), = component.items()
    message = (f"{param}={value!r} would be ignored: {slot} is a "
               f"{type(obj).__name__} object")
    with pytest.raises(ValueError, match=re.escape(message)):
        est.fit(X, Y)
    assert not hasattr(est, "coefs_")
    # At its default the flat parameter is not in the way.
    assert MLPClassifierBP(**FAST, **component).fit(X, Y).n_iter_ == 3


def test_flat_parameters_scikit_learn_ignores_stay_ignored():
    """Drop-in: scikit-learn ignores momentum with adam, beta_1 with sgd, and
    so does skmlp with those names (both are scikit-learn's solvers)."""
    for solver, ignored in [("adam", {"momentum": 0.1}), ("sgd", {"beta_1": 0.1})]:
        plain = MLPClassifierBP(**FAST, solver=solver).fit(X, Y)
        other = MLPClassifierBP(**FAST, solver=solver, **ignored).fit(X, Y)
        assert plain.loss_curve_ == other.loss_curve_


def test_grid_search_over_a_flat_parameter_with_an_object_fails_loudly():
    """It used to search nothing: every candidate trained Adam(beta_1=0.9)."""
    search = GridSearchCV(MLPClassifierBP(**FAST, solver=Adam()),
                          {"beta_1": [0.8, 0.85]}, cv=2, error_score="raise")
    with pytest.raises(ValueError, match=r"beta_1=0\.8 would be ignored"):
        search.fit(X, Y)


def test_grid_search_over_a_nested_parameter_of_an_object():
    search = GridSearchCV(MLPClassifierBP(**FAST, solver=Adam()),
                          {"solver__beta_1": [0.8, 0.85]}, cv=2).fit(X, Y)
    assert search.best_estimator_.solver.beta_1 in (0.8, 0.85)
    fits = [MLPClassifierBP(**FAST, solver=Adam(beta_1=b)).fit(X, Y)
            for b in (0.8, 0.85)]
    assert not np.array_equal(fits[0].coefs_[0], fits[1].coefs_[0])


@pytest.mark.parametrize("key, value, fix", [
    ("solver__beta_1", 0.8, "solver=Adam()"),
    ("learning_rate__gamma", 0.5, "learning_rate=ConstantLR()"),
    ("activation__negative_slope", 0.1, "activation=ReLU()"),
])
def test_a_nested_parameter_on_a_name_says_to_pass_an_object(key, value, fix):
    """It used to fail with AttributeError: 'str' object has no attribute
    'set_params'."""
    est = MLPClassifierBP()
    before = pickle.dumps(est)
    with pytest.raises(ValueError, match=re.escape(fix)):
        est.set_params(**{key: value})
    assert pickle.dumps(est) == before
    search = GridSearchCV(MLPClassifierBP(**FAST), {key: [value]}, cv=2,
                          error_score="raise")
    with pytest.raises(ValueError, match=f"Cannot set {key}"):
        search.fit(X, Y)


def test_a_nested_parameter_set_with_its_object_in_the_same_call():
    est = MLPClassifierBP().set_params(solver=Adam(), solver__beta_1=0.7)
    assert est.solver.beta_1 == 0.7


@pytest.mark.parametrize("param, typo, closest", [
    ("solver", "adm", "adam"),
    ("solver", "lbgfs", "lbfgs"),
    ("learning_rate", "cosin", "cosine"),
    ("activation", "Relu", "relu"),
    ("weight_init", "he_normall", "he_normal"),
])
def test_invalid_names_are_sorted_with_the_closest(param, typo, closest):
    est = MLPRegressorBP(**{param: typo})
    with pytest.raises(InvalidParameterError) as error:
        est.fit(X, Y)
    message = str(error.value)
    assert message.endswith(f"Did you mean {closest!r}?")
    names = re.findall(r"'([a-z_0-9]+)'", message.split("must be one of ")[1]
                       .split(", or ")[0])
    assert names == sorted(names) and closest in names
    assert "implementing" not in message and "init_state" not in message


def test_names_work_wherever_components_are_accepted():
    """WarmupLR(scheduler="step") used to be rejected."""
    by_name = MLPClassifierBP(**FAST, solver="sgd",
                              learning_rate=WarmupLR("step", warmup_epochs=1)).fit(X, Y)
    by_object = MLPClassifierBP(**FAST, solver="sgd",
                                learning_rate=WarmupLR(StepLR(), warmup_epochs=1)
                                ).fit(X, Y)
    assert by_name.learning_rate_curve_ == by_object.learning_rate_curve_
    np.testing.assert_array_equal(by_name.coefs_[0], by_object.coefs_[0])
    with pytest.raises(InvalidParameterError, match="Did you mean 'step'"):
        MLPClassifierBP(**FAST, learning_rate=WarmupLR("stpe")).fit(X, Y)


def test_an_output_only_activation_object_cannot_be_hidden():
    from skmlp.activations import Softmax

    with pytest.raises(InvalidParameterError, match="output-only activation"):
        MLPClassifierBP(**FAST, activation=Softmax()).fit(X, Y)
