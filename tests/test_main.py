"""``python -m skmlp``: the demo, and ``--help`` that describes it instead."""

import subprocess
import sys

import pytest

import skmlp
from skmlp import __main__ as demo


def test_help_describes_the_demo_and_trains_nothing(capsys, monkeypatch):
    def no_training(*args):
        raise AssertionError("--help must not train")

    monkeypatch.setattr(demo, "_row", no_training)
    with pytest.raises(SystemExit) as exit_:
        demo.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m skmlp [-h] [--version]")
    for words in ("digits", "diabetes", "MLPClassifier", "MLPRegressor",
                  "https://skmlp.readthedocs.io"):
        assert words in " ".join(out.split()), words


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        demo.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"skmlp {skmlp.__version__}\n"


def test_an_unknown_option_is_an_error_that_names_it(capsys):
    with pytest.raises(SystemExit) as exit_:
        demo.main(["--epochs", "3"])
    assert exit_.value.code == 2
    assert "unrecognized arguments: --epochs 3" in capsys.readouterr().err


def test_no_arguments_runs_the_demo(capsys, monkeypatch):
    rows = []
    monkeypatch.setattr(demo, "_row", lambda task, name, *rest: rows.append(
        (task, name)) or f"{task}|{name}")
    demo.main([])
    out = capsys.readouterr().out
    assert out.startswith(f"skmlp {skmlp.__version__}: ")
    assert rows[:2] == [("digits (accuracy)", "sklearn MLPClassifier"),
                        ("digits (accuracy)", "skmlp MLPClassifierBP")]
    assert len(rows) == 7 and all(f"{task}|{name}" in out for task, name in rows)


def test_the_module_entry_point_reads_the_command_line():
    result = subprocess.run([sys.executable, "-m", "skmlp", "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m skmlp")
    assert "task" not in result.stdout  # the demo's table did not start
