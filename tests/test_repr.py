"""The text and HTML reprs: components follow scikit-learn's
``print_changed_only`` as estimators do, on their own and nested, and the
HTML repr links each estimator to its page in skmlp's API reference, built
from the one setting ``skmlp._docs.DOC_URL_TEMPLATE``.
"""

from __future__ import annotations

import importlib.util
import inspect
import re

import pytest
import sklearn
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_html_repr

import skmlp
from skmlp import MLPClassifierBP, MLPRegressorBP, _docs
from skmlp.activations import ACTIVATIONS, LeakyReLU
from skmlp.callbacks import BestWeights, EarlyStopping, ProgressBar
from skmlp.initializers import INITIALIZERS
from skmlp.losses import LOSSES
from skmlp.optimizers import OPTIMIZERS, Adam
from skmlp.schedulers import SCHEDULERS, StepLR, WarmupLR

ESTIMATORS = [MLPClassifierBP, MLPRegressorBP]
COMPONENT_CLASSES = [*OPTIMIZERS.values(), *SCHEDULERS.values(), *ACTIVATIONS.values(),
                     *INITIALIZERS.values(), *LOSSES.values(), EarlyStopping,
                     BestWeights, ProgressBar]

ADAM_IN_FULL = "Adam(beta_1=0.8, beta_2=0.999, epsilon=1e-08, epsilon_mode='sklearn')"


@pytest.fixture(params=["set_config", "config_context"])
def print_all(request):
    """A context in which scikit-learn prints every parameter, set either way."""
    if request.param == "config_context":
        return lambda: sklearn.config_context(print_changed_only=False)

    class SetConfig:
        def __enter__(self):
            sklearn.set_config(print_changed_only=False)

        def __exit__(self, *exc):
            sklearn.set_config(print_changed_only=True)

    return SetConfig


# -- print_changed_only ---------------------------------------------------------


@pytest.mark.parametrize("cls", COMPONENT_CLASSES, ids=lambda cls: cls.__name__)
def test_every_component_prints_all_its_parameters_when_asked(cls):
    defaults = {name: p.default for name, p in
                inspect.signature(cls.__init__).parameters.items()
                if p.default is not inspect.Parameter.empty}
    arguments = ", ".join(f"{k}={v!r}" for k, v in sorted(defaults.items()))
    full = f"{cls.__name__}({arguments})"
    with sklearn.config_context(print_changed_only=False):
        assert repr(cls()) == full
    assert repr(cls()) == f"{cls.__name__}()"


def test_a_component_alone(print_all):
    assert repr(Adam(beta_1=0.8)) == "Adam(beta_1=0.8)"
    with print_all():
        assert repr(Adam(beta_1=0.8)) == ADAM_IN_FULL
    assert repr(Adam(beta_1=0.8)) == "Adam(beta_1=0.8)"


NESTED = [
    ("solver", Adam(beta_1=0.8), "Adam(beta_1=0.8)", ADAM_IN_FULL),
    ("activation", LeakyReLU(), "LeakyReLU()", "LeakyReLU(negative_slope=0.01)"),
    ("learning_rate", WarmupLR(StepLR(step_size=3)),
     "WarmupLR(scheduler=StepLR(step_size=3))",
     "WarmupLR(scheduler=StepLR(gamma=0.1, step_size=3), "
     "start_factor=0.3333333333333333, warmup_epochs=5)"),
    ("callbacks", [EarlyStopping(patience=2)], "[EarlyStopping(patience=2)]",
     "[EarlyStopping(min_delta=0.0, mode='auto', monitor='loss', patience=2, "
     "restore_best_weights=True)]"),
]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("param, value, changed, full", NESTED,
                         ids=[nested[0] for nested in NESTED])
def test_components_nested_in_an_estimator(Estimator, param, value, changed, full,
                                           print_all):
    est = Estimator(**{param: value})
    assert " ".join(repr(est).split()) == f"{Estimator.__name__}({param}={changed})"
    with print_all():
        everything = " ".join(repr(est).split())
    assert f"{param}={full}," in everything
    assert "alpha=0.0001," in everything  # the estimator's own, scikit-learn's doing


def test_components_nested_in_meta_estimators(print_all):
    pipeline = make_pipeline(StandardScaler(), MLPClassifierBP(solver=Adam(beta_1=0.8)))
    search = GridSearchCV(pipeline, {"mlpclassifierbp__solver__beta_2": [0.99, 0.999]})
    assert "solver=Adam(beta_1=0.8)" in " ".join(repr(search).split())
    with print_all():
        assert f"solver={ADAM_IN_FULL}" in " ".join(repr(search).split())


def test_a_long_list_of_components_is_cut_as_scikit_learn_cuts_lists():
    """scikit-learn shows 30 items of a list, and about 700 non-blank
    characters of a repr, with ellipses."""
    est = MLPClassifierBP(callbacks=[EarlyStopping(patience=k) for k in range(1, 41)])
    text = repr(est)
    assert "EarlyStopping(patience=30), ...]" in " ".join(text.split())
    assert "EarlyStopping(patience=31)" not in text
    with sklearn.config_context(print_changed_only=False):
        text = repr(est)
    lines = text.splitlines()
    assert lines[2].strip() == (
        "callbacks=[EarlyStopping(min_delta=0.0, mode='auto', monitor='loss', "
        "patience=1, restore_best_weights=True),")
    assert "..." in text and len("".join(text.split())) < 800
    assert lines[-1].strip().endswith("weight_init='sklearn')")


# -- documentation links in the HTML repr -----------------------------------


def doc_links(html: str) -> set[str]:
    """The "?" links of an HTML repr (parameter links carry a #fragment)."""
    return set(re.findall(r'href="([^"#]+)"', html))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("version, version_url",
                         [("0.1.0", "stable"), ("1.2.3", "stable"),
                          ("0.2.0.dev0", "latest"), ("1.0.dev3", "latest")])
def test_the_html_repr_links_to_the_api_reference(Estimator, version, version_url,
                                                  monkeypatch):
    monkeypatch.setattr(skmlp, "__version__", version)
    expected = _docs.DOC_URL_TEMPLATE.format(version_url=version_url, module="skmlp",
                                             name=Estimator.__name__)
    assert expected == (f"https://skmlp.readthedocs.io/en/{version_url}/api/generated/"
                        f"skmlp.{Estimator.__name__}.html")
    assert doc_links(estimator_html_repr(Estimator())) == {expected}
    est = Estimator(hidden_layer_sizes=(3,), max_iter=1).fit([[0.0], [1.0]], [0, 1])
    assert doc_links(est._repr_html_()) == {expected}


@pytest.mark.skipif(importlib.util.find_spec("sklearn.utils._repr_html.common") is None,
                    reason="this scikit-learn's parameter table has no links")
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_the_parameter_table_links_to_the_parameters_docs(Estimator, monkeypatch):
    monkeypatch.setattr(skmlp, "__version__", "1.0.0")
    page = _docs.DOC_URL_TEMPLATE.format(version_url="stable", module="skmlp",
                                         name=Estimator.__name__)
    html = estimator_html_repr(Estimator(solver=Adam()))
    for param in ("hidden_layer_sizes", "solver", "weight_init"):
        assert f'href="{page}#:~:text={param},-' in html


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_the_links_follow_the_one_setting(Estimator, monkeypatch):
    monkeypatch.setattr(skmlp, "__version__", "1.0.0")
    monkeypatch.setattr(_docs, "DOC_URL_TEMPLATE",
                        "https://docs.example/{version_url}/{module}/{name}")
    pipeline = make_pipeline(StandardScaler(), Estimator())
    links = doc_links(estimator_html_repr(pipeline))
    assert f"https://docs.example/stable/skmlp/{Estimator.__name__}" in links


def test_a_subclass_defined_elsewhere_gets_no_link_to_skmlp():
    class MyClassifier(MLPClassifierBP):
        pass

    assert MyClassifier()._get_doc_link() == ""
    assert not any("skmlp" in link for link in doc_links(estimator_html_repr(
        MyClassifier())))
