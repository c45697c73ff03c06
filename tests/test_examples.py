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


def _figure_written(path):
    pytest.importorskip("matplotlib")
    assert path.stat().st_size > 10_000


def test_vanishing_gradients_sigmoid_vanishes_relu_does_not(tmp_path, capsys):
    output = tmp_path / "vanishing.png"
    results = _load("vanishing_gradients").main(["--epochs", "8", "--output",
                                                 str(output)])
    ratio = {label: r["grad_norms"][0] / r["grad_norms"][-1]
             for label, r in results.items()}
    for label in ("sigmoid, Xavier init", "sigmoid, He init"):
        assert ratio[label] < 1e-3, label  # orders of magnitude below the output
        assert results[label]["accuracy"] < 0.2  # chance level: nothing learnt
    for label in ("ReLU, Xavier init", "ReLU, He init"):
        assert 0.2 < ratio[label] < 5, label  # level across the layers
        assert results[label]["accuracy"] > 0.8
        assert results[label]["warnings"] == []
    assert any(m.startswith("Vanishing gradients")
               for m in results["sigmoid, Xavier init"]["warnings"])
    assert "Vanishing gradients" in capsys.readouterr().out
    _figure_written(output)


def test_gradient_clipping_rescues_the_diverging_run(tmp_path):
    output = tmp_path / "clipping.png"
    results = _load("gradient_clipping").main(["--epochs", "20", "--output",
                                               str(output)])
    unclipped = results["no clipping"]
    assert len(unclipped["loss_curve"]) < 5  # diverged early
    assert any("diverged" in m for m in unclipped["warnings"])
    assert unclipped["r2"] < 0
    for label in ("clip_grad_norm=30", "clip_grad_norm=100"):
        clipped = results[label]
        assert len(clipped["loss_curve"]) == 20 and clipped["warnings"] == []
        assert clipped["loss_curve"][-1] < 0.15 * clipped["loss_curve"][0]
        assert clipped["r2"] > 0.5
        # The pre-clipping norms stay above the threshold: clipping binds.
        assert np.all(clipped["grad_norms"] > clipped["threshold"])
    _figure_written(output)


def test_learning_rates_show_what_the_docstring_says(tmp_path, capsys):
    output = tmp_path / "rates.png"
    models = _load("learning_rates").main(["--output", str(output)])
    curves = {label: np.array(m.loss_curve_) for label, m in models.items()}
    assert curves["too high: 1.5"][-1] > 1e3 * curves["too high: 1.5"][0]
    assert "Exploding gradients" in capsys.readouterr().out
    too_low = curves["too low: 1e-4"]
    assert too_low[-1] > 0.8 * too_low[0]  # hardly moved
    high = curves["high: 1.0"]
    assert high[-10:].min() > 0.05 and np.any(np.diff(high[-10:]) > 0)  # bounces
    scheduled = curves["scheduled: 1.0 × 0.85^epoch"]
    assert scheduled[-1] < min(c[-1] for label, c in curves.items()
                               if not label.startswith("scheduled"))
    rates = models["scheduled: 1.0 × 0.85^epoch"].learning_rate_curve_
    np.testing.assert_allclose(rates, 0.85 ** np.arange(30))
    _figure_written(output)


def test_batch_norm_makes_both_deep_networks_learn(tmp_path):
    output = tmp_path / "batch_norm.png"
    results = _load("batch_norm").main(["--epochs", "10", "--output", str(output)])
    for setting in ("sigmoid, lr 0.05", "ReLU, lr 0.5"):
        plain, normed = results[setting], results[f"{setting}, batch_norm"]
        assert plain["accuracy"] < 0.2 < 0.9 < normed["accuracy"], setting
        assert normed["loss_curve"][-1] < 0.3 * plain["loss_curve"][-1]
    sigmoid = results["sigmoid, lr 0.05"]["grad_norms"]
    assert sigmoid[0] < 1e-3 * sigmoid[-1]  # vanishing without batch norm
    normed = results["sigmoid, lr 0.05, batch_norm"]["grad_norms"]
    assert normed.min() > 0.1 * normed.max()  # level with it
    _figure_written(output)
