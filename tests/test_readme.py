"""The README's Usage block runs, warns of nothing and prints what the
README shows under it; its two commands are those the installation page
shows and CI runs."""

import contextlib
import io
import re
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


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


def test_the_two_commands_are_the_same_everywhere():
    readme = README.read_text(encoding="utf-8")
    block = re.search(r"^```bash\n(.*?)^```$", readme, flags=re.S | re.M)[1]
    commands = [line for line in block.splitlines()
                if line and not line.startswith("#")]
    assert commands == ['python -m pip install . && python -m skmlp',
                        'python -m pip install ".[test]" && python -m pytest -n auto']
    install = (ROOT / "docs" / "install.rst").read_text(encoding="utf-8")
    assert all(f"   {command}\n" in install for command in commands)
    # CI's first leg runs the second command exactly.
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f"{{ {commands[1]}; }} 2>&1 | tee" in ci
