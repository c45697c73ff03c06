"""Every family of components against its own declarations and its docs.

For activations, losses, initialisers, optimizers and schedulers: each
built-in declares its registry key as ``name``; its ``estimator_params``
are constructor parameters of both estimators and of its own class; the
README's catalogue table (and the module docstring's, where there is one)
lists exactly the registered names, each with its class; and the
estimators' docstrings list exactly the names they accept and, for each
estimator parameter a component declares, exactly the components that read
it.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import skmlp.optimizers
import skmlp.schedulers
from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS
from skmlp.initializers import INITIALIZERS
from skmlp.losses import LOSSES
from skmlp.optimizers import OPTIMIZERS
from skmlp.schedulers import SCHEDULERS

#: family: (registry, first header cell of its README table, names the
#: table lists besides the registry's).
FAMILIES = {
    "activations": (ACTIVATIONS, "activation", ()),
    "losses": (LOSSES, "loss", ()),
    "initializers": (INITIALIZERS, "`weight_init=`", ()),
    # "lbfgs" is the estimators' own solver, not an Optimizer.
    "optimizers": (OPTIMIZERS, "`solver=`", ("lbfgs",)),
    "schedulers": (SCHEDULERS, "`learning_rate=`", ()),
}

README = Path(__file__).resolve().parents[1] / "README.md"


def _cells(line: str) -> list[str]:
    """The cells of a Markdown table row (``\\|`` is a literal bar)."""
    if not line.startswith("|"):
        return []
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip()[1:-1])]


def _readme_table(header: str) -> dict[str, str]:
    """{name: class cell} of the README table whose first header is ``header``."""
    lines = README.read_text(encoding="utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if _cells(line)[:1] == [header]]
    assert len(starts) == 1, f"expected one README table headed {header!r}"
    rows: dict[str, str] = {}
    for line in lines[starts[0] + 2:]:  # past the header and its rule
        cells = _cells(line)
        if not cells:
            break
        match = re.fullmatch(r'`"(\w+)"`', cells[0])
        assert match, f"a row that names no component: {line!r}"
        assert match[1] not in rows, f"{match[1]!r} listed twice"
        rows[match[1]] = cells[1]
    return rows


def _names_a_class(cell: str, cls: type) -> bool:
    """Whether a table cell names ``cls`` (alone or with its parameters)."""
    return re.match(rf"`{cls.__name__}[`(]", cell) is not None


@pytest.mark.parametrize("family", FAMILIES)
def test_readme_table_lists_exactly_the_registry(family):
    registry, header, extra = FAMILIES[family]
    rows = _readme_table(header)
    assert set(rows) == {*registry, *extra}
    for name, cls in registry.items():
        assert _names_a_class(rows[name], cls), (name, rows[name])


@pytest.mark.parametrize(("module", "registry"), [
    (skmlp.optimizers, OPTIMIZERS),
    (skmlp.schedulers, SCHEDULERS),
], ids=["optimizers", "schedulers"])
def test_module_catalogue_lists_exactly_the_registry(module, registry):
    catalogue = module.__doc__.split("\nCatalogue\n", 1)[1]
    rows = re.findall(r'^``"(\w+)"``\s+:class:`(\w+)`', catalogue, flags=re.M)
    assert len(rows) == len(set(rows))
    assert dict(rows) == {name: cls.__name__ for name, cls in registry.items()}


@pytest.mark.parametrize("family", FAMILIES)
def test_declared_name_is_the_registry_key(family):
    registry = FAMILIES[family][0]
    for key, cls in registry.items():
        # Declared in the class itself: a subclass (AMSGrad of Adam) that
        # inherited its parent's name would claim the parent's key.
        assert vars(cls).get("name") == key, cls.__name__


ESTIMATOR_PARAMS = (set(inspect.signature(MLPClassifierBP).parameters)
                    & set(inspect.signature(MLPRegressorBP).parameters))


@pytest.mark.parametrize("family", FAMILIES)
def test_estimator_params_are_parameters_of_the_estimators_and_the_class(family):
    registry = FAMILIES[family][0]
    for cls in registry.values():
        declared = cls.estimator_params
        assert isinstance(declared, tuple)
        assert len(set(declared)) == len(declared), cls.__name__
        assert set(declared) <= ESTIMATOR_PARAMS, cls.__name__
        assert set(declared) <= set(cls._get_param_names()), cls.__name__


def _documented_names(estimator: type, parameter: str) -> list[str]:
    """The names on a parameter's numpydoc type line, in order."""
    match = re.search(rf"^{parameter} : \{{([^}}]*)\}}",
                      inspect.getdoc(estimator), flags=re.M)
    assert match, parameter
    return re.findall(r'"(\w+)"', match[1])


@pytest.mark.parametrize("estimator", [MLPClassifierBP, MLPRegressorBP])
def test_estimator_docstrings_list_exactly_the_accepted_names(estimator):
    assert _documented_names(estimator, "activation") == list(HIDDEN_ACTIVATIONS)
    assert _documented_names(estimator, "solver") == ["lbfgs", *OPTIMIZERS]
    assert _documented_names(estimator, "learning_rate") == list(SCHEDULERS)
    assert _documented_names(estimator, "weight_init") == list(INITIALIZERS)


def _documented_readers(estimator: type, parameter: str) -> dict[str, list[str]]:
    """{"solver": [names]} from the "Read by" sentence of a parameter."""
    match = re.search(rf"^{parameter} : .*?\n((?:    .*\n)+)",
                      inspect.getdoc(estimator), flags=re.M)
    assert match, parameter
    description = " ".join(match[1].split())
    return {keyword: re.findall(r'"(\w+)"', names) for keyword, names in
            re.findall(r"``(\w+)`` in \{([^}]*)\}", description)}


@pytest.mark.parametrize("estimator", [MLPClassifierBP, MLPRegressorBP])
def test_estimator_docstrings_say_which_components_read_each_parameter(estimator):
    families = {"solver": OPTIMIZERS, "learning_rate": SCHEDULERS}
    declared = {param for registry in families.values()
                for cls in registry.values() for param in cls.estimator_params}
    assert {"momentum", "beta_1", "power_t"} <= declared
    for param in declared:
        expected = {
            keyword: names for keyword, registry in families.items()
            if (names := [name for name, cls in registry.items()
                          if param in cls.estimator_params])
        }
        assert _documented_readers(estimator, param) == expected, param
