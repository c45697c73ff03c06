"""The README's Usage block runs, warns of nothing and prints what the
README shows under it."""

import contextlib
import io
import re
import warnings
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _usage_blocks():
    """The Usage section's Python code and the text block that follows it."""
    text = README.read_text(encoding="utf-8")
    section = re.search(r"^## Usage\n(.*?)^## ", text, flags=re.S | re.M)[1]
    blocks = re.findall(r"^```(\w+)\n(.*?)^```$", section, flags=re.S | re.M)
    assert [language for language, _ in blocks] == ["python", "text"]
    return blocks[0][1], blocks[1][1]


def test_the_usage_block_prints_what_the_readme_shows_without_warnings():
    code, shown = _usage_blocks()
    out = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, \
            contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        exec(compile(code, "README.md (Usage)", "exec"), {"__name__": "__readme__"})
    assert [f"{w.category.__name__}: {w.message}" for w in caught] == []
    assert out.getvalue() == shown
