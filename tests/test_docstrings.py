"""Every public class documents every constructor parameter, on every Python.

Read through :func:`inspect.getdoc`, as ``help()`` and Sphinx do, so the test
means the same whether or not the interpreter strips docstring indentation
(Python 3.13 does: the shared estimator docs once kept their
``{common_parameters}`` placeholders there).
"""

import inspect
import re

import pytest

import skmlp
from skmlp import (
    activations,
    callbacks,
    initializers,
    losses,
    optimizers,
    plotting,
    schedulers,
)


def _public_classes():
    modules = [skmlp, activations, callbacks, initializers, losses, optimizers,
               plotting, schedulers]
    found = {}
    for module in modules:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isclass(obj) and not issubclass(obj, tuple):  # states
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


CLASSES = _public_classes()


def test_the_public_classes_are_found():
    names = {cls.__name__ for cls in CLASSES.values()}
    assert {"MLPClassifierBP", "MLPRegressorBP", "Adam", "StepLR", "ReLU",
            "EarlyStopping", "LossCurveDisplay"} <= names


@pytest.mark.parametrize("cls", CLASSES.values(), ids=CLASSES.keys())
def test_no_placeholder_is_left(cls):
    doc = inspect.getdoc(cls)
    assert doc, cls
    # A placeholder stands on its own line ("{common_parameters}"); braces
    # inside maths (n_{in}) are not placeholders.
    left = re.findall(r"^\s*\{[a-z_]+\}\s*$", doc, flags=re.M)
    assert not left, left


@pytest.mark.parametrize("cls", CLASSES.values(), ids=CLASSES.keys())
def test_every_constructor_parameter_is_documented(cls):
    parameters = [name for name, p in inspect.signature(cls).parameters.items()
                  if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    doc = inspect.getdoc(cls)
    names = set()
    # "a, b : type" documents both a and b.
    for line in re.findall(r"^([\w, ]+) :", doc, flags=re.M):
        names.update(part.strip() for part in line.split(","))
    missing = [name for name in parameters if name not in names]
    assert not missing, f"{cls.__name__} does not document {missing}"


def test_the_shared_estimator_docs_are_in_place():
    for estimator in (skmlp.MLPClassifierBP, skmlp.MLPRegressorBP):
        doc = inspect.getdoc(estimator)
        assert re.search(r"^hidden_layer_sizes : ", doc, flags=re.M)
        assert re.search(r"^coefs_ : ", doc, flags=re.M)
        assert len(doc) > 9000
