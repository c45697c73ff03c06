"""The package's metadata, read from setup.cfg, and the files it ships.

These read the sources (setup.cfg, LICENSE, skmlp/py.typed) rather than an
installed distribution's metadata, which in an editable checkout may be
stale or another checkout's. The installed wheel itself is checked by
``.ci/run`` (py.typed, LICENSE, Home-page, Author) after each of its
non-editable installs.
"""

import configparser
import re
from pathlib import Path

import pytest

import skmlp

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def metadata():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    return config


def _lines(value):
    return [line.strip() for line in value.strip().splitlines() if line.strip()]


def test_the_project_urls_point_at_the_canonical_places(metadata):
    urls = dict(line.split(" = ", 1) for line in
                _lines(metadata["metadata"]["project_urls"]))
    assert urls == {
        "Homepage": "https://github.com/skmlp/skmlp",
        "Documentation": "https://skmlp.readthedocs.io",
        "Source": "https://github.com/skmlp/skmlp",
        "Issue tracker": "https://github.com/skmlp/skmlp/issues",
        "Changelog": "https://github.com/skmlp/skmlp/blob/main/CHANGELOG.md",
    }
    assert metadata["metadata"]["url"] == urls["Homepage"]  # pip show's Home-page
    assert (ROOT / "CHANGELOG.md").is_file()


def test_authors_and_license(metadata):
    assert metadata["metadata"]["author"] == "The skmlp developers"
    assert metadata["metadata"]["maintainer"] == "The skmlp developers"
    assert metadata["metadata"]["license_expression"] == "BSD-3-Clause"
    assert _lines(metadata["metadata"]["license_files"]) == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("BSD 3-Clause License\n")
    assert "Copyright (c) 2026, the skmlp developers" in text
    assert "3. Neither the name of the copyright holder" in text
    # PEP 639: the license is the expression; "License ::" classifiers are
    # deprecated and must not contradict it.
    classifiers = _lines(metadata["metadata"]["classifiers"])
    assert not [c for c in classifiers if c.startswith("License ::")]


def test_classifiers_name_every_supported_python_and_the_typing(metadata):
    classifiers = _lines(metadata["metadata"]["classifiers"])
    floor = re.fullmatch(r">=3\.(\d+)", metadata["options"]["python_requires"])
    minors = sorted(int(c.rsplit(".", 1)[1]) for c in classifiers
                    if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c))
    # Contiguous from the python_requires floor (README: 3.11 to 3.13).
    assert minors == list(range(int(floor[1]), int(floor[1]) + len(minors)))
    assert minors[-1] >= 13
    assert {"Programming Language :: Python :: 3 :: Only",
            "Operating System :: OS Independent",
            "Typing :: Typed"} <= set(classifiers)
    assert [c for c in classifiers if c.startswith("Development Status :: ")]


def test_the_type_hints_are_shipped_with_a_py_typed_marker(metadata):
    package = Path(skmlp.__file__).parent
    assert package == ROOT / "skmlp"
    assert (package / "py.typed").is_file()  # PEP 561
    assert dict(metadata["options.package_data"]) == {"skmlp": "py.typed"}
