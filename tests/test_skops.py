"""skops.io: a fitted model loads trusting only the types the README lists
("Saving models"), plus the class of each component passed as an object,
and the loaded model is the same model: identical predictions, identical
state, and training continues identically.

The README's list is the one source: this module reads it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification, make_regression

from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp._params import ParamsMixin
from skmlp._persistence import plain_state, restored_state
from skmlp.activations import LeakyReLU
from skmlp.callbacks import BestWeights, EarlyStopping, ProgressBar
from skmlp.initializers import HeNormal
from skmlp.optimizers import OPTIMIZERS, Adam, Optimizer
from skmlp.schedulers import SCHEDULERS, CyclicLR, ReduceLROnPlateau, StepLR, WarmupLR

sio = pytest.importorskip("skops.io")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning",
                                        "ignore:WarmupLR:UserWarning")

README = Path(__file__).resolve().parents[1] / "README.md"

N = 60
X_CLF, Y_CLF = make_classification(N, 5, n_informative=3, n_classes=3, random_state=0)
_X_REG, _y_reg = make_regression(N, 5, noise=1.0, random_state=0)
DATA = {"classifier": (MLPClassifierBP, X_CLF, Y_CLF),
        "regressor": (MLPRegressorBP, _X_REG, _y_reg / _y_reg.std())}
FAST = dict(hidden_layer_sizes=(4,), max_iter=5, batch_size=20, random_state=0)


def readme_trusted_types() -> list[str]:
    """The types listed in README's "Saving models" section."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- skops-trusted-types.*?-->(.*?)<!-- end skops-trusted",
                      text, flags=re.DOTALL)
    assert block is not None, "README has no skops-trusted-types list"
    return re.findall(r"^- `([\w.]+)`$", block.group(1), flags=re.MULTILINE)


class SignState(NamedTuple):
    steps: int


class Sign(Optimizer):
    """An optimizer of the user's own, with a state type of its own."""

    name = "sign"
    _parameter_constraints: ClassVar[dict] = {}

    def init_state(self, params):
        return SignState(0)

    def step(self, params, grads, state, *, learning_rate, scratch):
        params -= learning_rate * np.sign(grads)
        return SignState(state.steps + 1)


CONFIGS = {
    "default": {},
    **{f"solver={name}": {"solver": name} for name in [*OPTIMIZERS, "lbfgs"]},
    **{f"learning_rate={name}": {"solver": "sgd", "learning_rate": name}
       for name in SCHEDULERS},
    "batch_norm": {"batch_norm": True, "dropout": 0.2},
    "early_stopping": {"early_stopping": True},
    "callbacks": {"batch_norm": True,
                  "callbacks": [EarlyStopping(patience=1), BestWeights(save_every=2),
                                ProgressBar()]},
    "lbfgs+callbacks": {"solver": "lbfgs", "callbacks": [EarlyStopping(patience=1)]},
    "objects": {"solver": Adam(beta_1=0.8), "activation": LeakyReLU(),
                "learning_rate": WarmupLR(StepLR(step_size=1), warmup_epochs=1),
                "weight_init": HeNormal()},
    "stateful schedule": {"solver": "sgd",
                          "learning_rate": ReduceLROnPlateau(patience=1)},
    "per-batch schedule": {"solver": "sgd",
                           "learning_rate": CyclicLR(step_size=2, per_batch=True)},
    "own optimizer": {"solver": Sign()},
    "partial_fit": {},
    "validation data": {"early_stopping": True},
    "partial_fit, validation data": {"early_stopping": True},
    "scikit-learn callbacks": {},
    "float32 frame, string labels": {},
}

try:  # scikit-learn's callback API, scikit-learn >= 1.9
    from sklearn import callback as sklearn_callback
except ImportError:
    sklearn_callback = None


def fitted(kind: str, config: str):
    Estimator, X, y = DATA[kind]
    est = Estimator(**FAST, **CONFIGS[config])
    if config == "float32 frame, string labels":
        X = pd.DataFrame(X.astype(np.float32), columns=[f"f{i}" for i in range(5)])
        if kind == "classifier":
            y = np.array(["ant", "bee", "cat"])[y]
    if config == "scikit-learn callbacks":
        if sklearn_callback is None:
            pytest.skip("this scikit-learn has no callback API (sklearn.callback)")
        est.set_callbacks(sklearn_callback.ProgressBar())
    validation = ({"X_val": X[45:], "y_val": y[45:]} if "validation data" in config
                  else {})
    if config.startswith("partial_fit"):
        for chunk in (slice(0, 20), slice(20, 45), slice(0, 45)):
            est.partial_fit(X[chunk], y[chunk], **validation, **(
                {"classes": np.unique(y)} if kind == "classifier" else {}))
    else:
        est.fit(X[:45] if validation else X, y[:45] if validation else y, **validation)
    return est, X, y


def class_path(obj) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def component_types(value) -> set[str]:
    """The classes of the component objects among the parameters ``value``."""
    if isinstance(value, dict):
        return set().union(*map(component_types, value.values()))
    if isinstance(value, list | tuple):
        return set().union(*map(component_types, value))
    if isinstance(value, ParamsMixin):
        return {class_path(value)} | component_types(value.get_params(deep=False))
    return set()


def assert_same(ours: Any, theirs: Any, where: str = "") -> None:
    """Recursively equal, types and array dtypes included."""
    assert type(ours) is type(theirs), where
    if isinstance(ours, np.ndarray):
        assert_array_equal(ours, theirs, strict=True, err_msg=where)
    elif isinstance(ours, dict):
        assert ours.keys() == theirs.keys(), where
        for key in ours:
            assert_same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(ours, list | tuple):
        assert len(ours) == len(theirs), where
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_same(a, b, f"{where}[{index}]")
    elif isinstance(ours, float) and math.isnan(ours):
        assert math.isnan(theirs), where
    elif hasattr(ours, "__dict__") and not isinstance(ours, type):
        assert_same(vars(ours), vars(theirs), f"{where}.__dict__")
    else:
        assert ours == theirs, where


def trained_state(est) -> dict:
    """The fitted state, without the epochs' durations (they vary)."""
    state = dict(vars(est))
    state["history_"] = [{key: value for key, value in record.items() if key != "time"}
                         for record in state["history_"]]
    return state


def continue_training(est, X, y) -> None:
    if est.solver == "lbfgs" or est.early_stopping:
        est.set_params(warm_start=True, max_iter=2).fit(X, y)
    else:
        est.partial_fit(X, y)


def test_the_readme_lists_exactly_the_estimators():
    assert readme_trusted_types() == ["skmlp._classifier.MLPClassifierBP",
                                      "skmlp._regressor.MLPRegressorBP"]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("kind", DATA)
def test_a_model_loads_trusting_the_documented_types(kind, config):
    est, X, y = fitted(kind, config)
    data = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=data)

    documented = [name for name in readme_trusted_types()
                  if name.rpartition(".")[2] == type(est).__name__]
    passed = component_types(est.get_params(deep=False))
    if config == "scikit-learn callbacks":  # the objects given to set_callbacks
        passed.add(class_path(sklearn_callback.ProgressBar()))
    users_own = {class_path(Sign()), class_path(SignState(0))}
    if config == "own optimizer":  # its class, and its state's
        passed |= users_own
    assert untrusted == sorted({*documented, *passed})
    for name in passed:  # skmlp's components, under public names
        if name.startswith("skmlp"):
            assert re.fullmatch(r"skmlp(\.[a-z]+)+\.[A-Z]\w+", name), name

    loaded = sio.loads(data, trusted=untrusted)
    assert_same(vars(loaded), vars(est))
    for model in (est, loaded):
        continue_training(model, X, y)
    assert_same(trained_state(loaded), trained_state(est))
    assert_array_equal(loaded.predict(X), est.predict(X), strict=True)
    if kind == "classifier":
        assert_array_equal(loaded.predict_proba(X), est.predict_proba(X), strict=True)


def test_the_training_state_is_saved_as_plain_data():
    """No skmlp object in the saved internals: they are dicts, lists and arrays."""
    est = fitted("classifier", "callbacks")[0]
    state = est.__getstate__()
    for name in ("_optimizer_state", "_scheduler_state", "_stopping",
                 "_hidden_activation"):
        assert type(state[name]) is dict, name
    assert type(vars(est)["_optimizer_state"]).__name__ == "AdamState"
    early_stopping = est.callbacks_[0].__getstate__()
    assert type(early_stopping["_state"]) is dict


def test_only_components_without_state_are_saved_as_their_parameters():
    est = fitted("classifier", "callbacks")[0]
    stateful = est.callbacks_[0]  # EarlyStopping, with best_value_ and the like
    state = plain_state({"_stateful": stateful, "_spec": EarlyStopping(patience=3)})
    assert state["_stateful"] is stateful
    assert state["_spec"] == {"__skmlp_class__": "skmlp.callbacks.EarlyStopping",
                              "arguments": EarlyStopping(patience=3).get_params()}
    assert_same(restored_state(state)["_spec"], EarlyStopping(patience=3))


def test_a_pickle_from_before_plain_states_still_loads():
    """Pickles written by earlier versions hold the NamedTuples themselves."""
    est, X, y = fitted("classifier", "callbacks")
    old = MLPClassifierBP.__new__(MLPClassifierBP)
    old.__setstate__(dict(vars(est)))
    assert_same(vars(old), vars(est))
    for model in (est, old):
        continue_training(model, X, y)
    assert_same(trained_state(old), trained_state(est))


@pytest.mark.parametrize("path", ["os.system", "builtins.eval", "inspect.FullArgSpec",
                                  "skmlp._base.BaseMLP", "skmlp.missing.Thing",
                                  "skmlp.optimizers.NoSuchState"])
def test_a_saved_state_rebuilds_only_skmlp_named_tuples_and_components(path):
    with pytest.raises(ValueError, match=re.escape(path)):
        restored_state({"_state": {"__skmlp_class__": path, "arguments": {}}})
