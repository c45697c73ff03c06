"""Sphinx configuration of skmlp's documentation.

Build it (README, "Documentation"; docs/install.rst) with::

    python -m pip install ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

``-D plot_gallery=0`` skips running the examples (CI builds it that way).
"""

from __future__ import annotations

import pathlib
import sys

import skmlp

DOCS = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "sphinxext"))

project = "skmlp"
author = "the skmlp developers"
copyright = "the skmlp developers, BSD-3-Clause"
version = release = skmlp.__version__

extlinks = {"arxiv": ("https://arxiv.org/abs/%s", "arXiv:%s")}

extensions = [
    "sphinx.ext.extlinks",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "matplotlib.sphinxext.plot_directive",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "skmlp_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json",
                    "auto_examples/*.md5"]
default_role = "literal"

# -- API reference -----------------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"  # numpydoc's type lines say it in words
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- Gallery -----------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(DOCS.parent / "examples"),
    "gallery_dirs": "auto_examples",
    # Every example is run (not only plot_*.py) and keeps its file name, the
    # one the README and the tests use.
    "filename_pattern": r".*\.py$",
    "within_subsection_order": "FileNameSortKey",
    # The examples save their figure to --output and close it; the scraper
    # collects that file instead of open matplotlib figures.
    "reset_argv": "skmlp_figures.example_argv",
    "image_scrapers": ("skmlp_figures.saved_figure_scraper",),
    "doc_module": ("skmlp",),
    "backreferences_dir": "api/generated/backreferences",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_signature": False,
}

# -- Figures drawn by the user guide's code (``.. plot::``) ------------------
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skmlp {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    # The schedule figures and the benchmark tables need the width of the
    # page's right-hand column.
    "secondary_sidebar_items": {"**": ["page-toc"], "user_guide/optimizers": [],
                                "user_guide/performance": []},
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"changelog": [], "install": [], "migrating": []}
html_static_path = ["_static"]
html_css_files = ["skmlp.css"]
html_show_sourcelink = False
