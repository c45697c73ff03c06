"""The documentation site's sources against the package they document.

Building the site needs Sphinx (the ``docs`` extra; ``.ci/run`` builds it
with warnings as errors). These checks need none of it: the API reference
lists every public name, the user guide's formula tables every registered
optimizer and schedule, the guide's code runs and prints what the pages
show, and the Sphinx helpers draw one rate curve per schedule and hand
sphinx-gallery the figures the examples save.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
import re
from pathlib import Path

import numpy as np
import pytest

import skmlp
from skmlp import MLPClassifierBP, MLPRegressorBP
from skmlp._docs import DOC_URL_TEMPLATE, doc_url_params
from skmlp.optimizers import OPTIMIZERS
from skmlp.schedulers import SCHEDULERS

DOCS = Path(__file__).parent.parent / "docs"
API = DOCS / "api" / "index.rst"
#: skmlp and its public modules (no leading underscore), found on disk.
PUBLIC_MODULES = ["skmlp", *(
    f"skmlp.{module.name}" for module in pkgutil.iter_modules(skmlp.__path__)
    if not module.name.startswith("_"))]


def _documented_names(rst: str) -> set[str]:
    """``module.Name`` for every entry of the autosummary tables, each read
    under the ``currentmodule`` in force where it appears."""
    names, module, in_table = set(), None, False
    for line in rst.splitlines():
        if match := re.match(r"\.\. currentmodule:: (\S+)", line):
            module = match[1]
        elif line.startswith(".. autosummary::"):
            in_table = True
        elif in_table and (match := re.match(r"   ([A-Za-z_]\w*)$", line)):
            names.add(f"{module}.{match[1]}")
        elif in_table and line and not line.startswith(" "):
            in_table = False
    return names


def test_the_api_reference_has_a_section_per_public_module():
    api = API.read_text(encoding="utf-8")
    sections = re.findall(r"^\.\. currentmodule:: (\S+)$", api, flags=re.M)
    assert sorted(set(sections)) == sorted(PUBLIC_MODULES)


def test_the_api_reference_lists_every_public_name():
    public = {f"{name}.{obj}" for name in PUBLIC_MODULES
              for obj in importlib.import_module(name).__all__
              if obj != "__version__"}
    documented = _documented_names(API.read_text(encoding="utf-8"))
    assert public - documented == set(), "missing from docs/api/index.rst"
    assert documented - public == set(), "not public, or misspelt, there"


def test_the_estimators_link_to_their_api_pages():
    # The HTML repr's "?" (skmlp._docs.DOC_URL_TEMPLATE) points at the pages
    # that the API reference's autosummary tables generate, in api/generated.
    assert "/api/generated/{module}.{name}.html" in DOC_URL_TEMPLATE
    assert ":toctree: generated" in API.read_text(encoding="utf-8")
    documented = _documented_names(API.read_text(encoding="utf-8"))
    for estimator in (MLPClassifierBP, MLPRegressorBP):
        fields = doc_url_params(estimator)
        assert f"{fields['module']}.{fields['name']}" in documented


def _first_column(rst: str, header: str) -> list[str]:
    """The names (``"name"``) opening the rows of the list-table whose header
    is ``header``: the table ends at the first unindented line."""
    table = re.split(r"^\S", rst.split(f"   * - {header}\n", 1)[1], flags=re.M)[0]
    return re.findall(r'^   \* - ``"(\w+)"``$', table, flags=re.M)


def test_the_formula_tables_list_every_registered_name():
    guide = (DOCS / "user_guide" / "optimizers.rst").read_text(encoding="utf-8")
    assert _first_column(guide, "``solver=``") == [*OPTIMIZERS, "lbfgs"]
    assert _first_column(guide, "``learning_rate=``") == list(SCHEDULERS)


PAGES = sorted(path for path in DOCS.rglob("*.rst")
               if ">>>" in path.read_text(encoding="utf-8"))


def test_the_pages_with_code_are_found():
    names = {path.name for path in PAGES}
    assert {"migrating.rst", "index.rst", "optimizers.rst", "reliability.rst"} <= names


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_the_code_on_each_page_runs_as_shown(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # deployment.rst writes a file
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testfile(str(page), module_relative=False, verbose=False,
                              optionflags=flags)
    assert result.attempted > 0
    assert result.failed == 0, f"{page.name}: see the doctest report above"


def _figures():
    """docs/sphinxext/skmlp_figures.py, which needs no Sphinx."""
    spec = importlib.util.spec_from_file_location(
        "skmlp_figures", DOCS / "sphinxext" / "skmlp_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_schedule_gets_its_rate_curve(tmp_path):
    pytest.importorskip("matplotlib")
    figures = _figures()
    drawn = {name: figures.draw_schedule(name, tmp_path / f"{name}.png")
             for name in SCHEDULERS}
    assert sorted(p.stem for p in tmp_path.glob("*.png")) == sorted(SCHEDULERS)
    assert all((tmp_path / f"{name}.png").stat().st_size > 5_000 for name in SCHEDULERS)
    # Each figure shows its own schedule: 0.1 x 0.95^e for "exponential", ...
    epochs = np.arange(figures.EPOCHS)
    np.testing.assert_allclose(drawn["exponential"].rates, 0.1 * 0.95**epochs)
    np.testing.assert_allclose(drawn["step"].rates, 0.1 * 0.1 ** (epochs // 30))
    assert np.all(drawn["constant"].rates == 0.1)
    assert len({tuple(d.rates) for d in drawn.values()}) == len(SCHEDULERS) - 1
    # ... ("adaptive" is constant too: preview does not simulate plateaus.)
    # Only the plateau schedule reads the loss: its figure draws the loss too.
    assert {name for name, d in drawn.items() if d.follows_loss} == {"plateau"}


def test_the_plateau_schedule_acts_within_the_previewed_fit():
    figures = _figures()
    losses = figures.loss_curve(figures.EPOCHS)
    rates = SCHEDULERS["plateau"]().preview(0.1, epochs=len(losses),
                                            metrics=[{"loss": v} for v in losses])
    assert losses[-1] == losses[-20]  # the loss has levelled off ...
    assert rates[-1] < rates[0]  # ... and the figure shows the rate drop


def test_the_gallery_gets_the_figure_each_example_saves(tmp_path):
    figures = _figures()
    examples = Path(__file__).parent.parent / "examples"
    no_figure = {"src_file": str(examples / "custom_optimizer.py")}
    assert figures.example_argv({}, no_figure) == []
    # sphinx-gallery runs an example in its folder: the figure lands beside it.
    script = tmp_path / "batch_norm.py"
    script.write_text((examples / "batch_norm.py").read_text(encoding="utf-8"),
                      encoding="utf-8")
    assert figures.example_argv({}, {"src_file": str(script)}) == [
        "--output", "batch_norm.png"]
    target = tmp_path / "images" / "sphx_glr_batch_norm_001.png"
    target.parent.mkdir()
    block = {"src_file": str(script), "image_path_iterator": iter([target])}
    assert figures.collect_saved_figure(block) is None  # nothing saved yet
    (tmp_path / "batch_norm.png").write_bytes(b"png")  # the example's savefig
    assert figures.collect_saved_figure(block) == target
    assert target.read_bytes() == b"png"
    assert not (tmp_path / "batch_norm.png").exists()
