"""The examples run and show what they claim."""

import importlib.util
import pathlib

import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compare_optimizers_covers_every_component(tmp_path, capsys):
    from skmlp.optimizers import OPTIMIZERS
    from skmlp.schedulers import SCHEDULERS

    output = tmp_path / "curves.png"
    curves = _load("compare_optimizers").main(["--epochs", "4", "--output",
                                               str(output)])
    assert len(curves) == len(OPTIMIZERS) + len(SCHEDULERS)
    for label, curve in curves.items():
        assert len(curve) == 4 and np.isfinite(curve).all(), label
        assert curve[-1] < curve[0], label  # every run learns something
    table = capsys.readouterr().out
    assert all(label in table for label in curves)
    pytest.importorskip("matplotlib")
    assert output.stat().st_size > 10_000


def test_custom_optimizer_is_searchable():
    search = _load("custom_optimizer").main()
    assert search.best_score_ > 0.8
    assert type(search.best_estimator_[-1].solver).__name__ == "Lion"
