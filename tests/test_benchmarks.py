"""Smoke tests for ``benchmarks/bench_mlp.py``: it runs and reports sane numbers.

No timing is asserted: only that the tiniest configuration completes and
that the table and the JSON carry the expected keys with finite, positive
values.
"""

import importlib.util
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_mlp.py"
OVERHEAD_PATH = BENCH_PATH.with_name("bench_overhead.py")
ONNX_PATH = BENCH_PATH.with_name("bench_onnx.py")


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_mlp", BENCH_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_mlp"] = module  # dataclasses need the module registered
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("bench_mlp", None)


def _positive(value):
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def test_gemm_flops_skip_first_layer_backward(bench):
    # layers 4 -> 3 -> 2, 10 rows in batches of 4, 4, 2.
    run, flops = bench.gemm_pass([4, 3, 2], 10, 4, np.float64, training=True)
    forward = 2 * 10 * (4 * 3 + 3 * 2)
    # weight gradients cost as much as the forward pass; the error term is
    # propagated through the second layer only.
    assert flops == forward + forward + 2 * 10 * 3 * 2
    assert run() is None
    _, flops = bench.gemm_pass([4, 3, 2], 10, 10, np.float32, training=False)
    assert flops == forward


def test_rejects_unknown_workload(bench):
    with pytest.raises(SystemExit):
        bench.parse_args(["--workloads", "A,Z"])


def test_tiny_run_table_and_json(bench, tmp_path, capsys):
    path = tmp_path / "results" / "bench.json"
    report = bench.main(["--quick", "--workloads", "C", "--repeats", "1",
                         "--dtype", "float64", "--json", str(path)])
    table = capsys.readouterr().out
    saved = json.loads(path.read_text())
    assert saved == json.loads(json.dumps(report))

    meta = saved["meta"]
    assert meta["threads"] >= 1
    assert meta["quick"] is True and meta["repeats"] == 1
    expected = {"sklearn"} if meta["skmlp_error"] else {"sklearn", "skmlp"}

    (record,) = saved["results"]
    assert record["workload"] == "C" and record["op"] == "fit"
    assert record["dtype"] == "float64"
    assert record["layers"] == [64, 100, 10]
    share = record["other_cpu_share"]  # None where /proc/stat is missing
    assert share is None or 0 <= share <= 1
    for key in ("gemm_flops", "gemm_bound_s", "gemm_bound_best_s",
                "gemm_bound_gflops"):
        assert _positive(record[key]), key
    assert record["gemm_bound_best_s"] <= record["gemm_bound_s"]
    assert set(record["impls"]) == expected
    for name, row in record["impls"].items():
        for key in ("median_s", "min_s", "max_s", "gflops", "x_bound",
                    "x_bound_best", "vs_sklearn", "final_loss", "peak_mib"):
            assert _positive(row[key]), (name, key)
        assert row["min_s"] <= row["median_s"] <= row["max_s"]
        assert len(row["seconds"]) == 1
        assert row["n_iter"] == record["epochs"] == len(row["loss_curve"])
        assert all(map(math.isfinite, row["loss_curve"]))
    if "skmlp" in expected:
        assert _positive(record["ratio_skmlp_sklearn"])
        assert math.isfinite(record["loss_curve_max_abs_diff"])
    else:
        assert record["ratio_skmlp_sklearn"] is None
        assert record["loss_curve_max_abs_diff"] is None

    for word in ("bound", "sklearn", "GFLOP/s", "x bound", "peak MiB", "C fit"):
        assert word in table
    if "skmlp" not in expected:
        assert "skmlp NOT benchmarked" in table
    assert meta["baseline"] is None and "baseline" not in table


def test_fixed_cost_workloads_time_calls_without_a_bound(bench, capsys):
    """E-H: latency on 1 and 10 rows, one fit, one partial_fit and a grid
    search, per call, interleaved, with peak memory and what they computed."""
    report = bench.main(["--quick", "--workloads", "E,F,G,H", "--repeats", "1",
                         "--dtype", "float32"])
    table = capsys.readouterr().out
    records = report["results"]
    assert [(r["workload"], r["op"], r["n_samples"]) for r in records] == [
        ("E", "predict_proba", 1), ("E", "predict", 1),
        ("E", "predict_proba", 10), ("E", "predict", 10),
        ("E", "predict_proba df", 1), ("E", "predict df", 1),
        ("F", "fit", 150), ("G", "partial_fit", 150), ("H", "GridSearchCV", 150)]
    impls = {"sklearn"} if report["meta"]["skmlp_error"] else {"sklearn", "skmlp"}
    for record in records:
        assert record["gemm_bound_s"] is None and record["gemm_flops"] is None
        workload = bench.WORKLOADS[record["workload"]]
        assert record["calls_per_run"] == workload.quick_calls
        assert set(record["impls"]) == impls
        for row in record["impls"].values():
            assert row["gflops"] is None and row["x_bound"] is None
            assert _positive(row["median_s"]) and row["peak_mib"] >= 0
            assert math.isfinite(row["final_loss"])
        if "skmlp" in impls:
            # Equal work: the same predictions, losses and number of fits.
            sk, ours = record["impls"]["sklearn"], record["impls"]["skmlp"]
            assert ours["n_iter"] == sk["n_iter"]
            assert ours["final_loss"] == pytest.approx(sk["final_loss"], rel=1e-3)
    (search,) = [r for r in records if r["workload"] == "H"]
    assert search["impls"]["sklearn"]["n_iter"] == 12 * 3 + 1  # fits, refit included
    assert "E predict_proba 1x20" in table and "H GridSearchCV 150x4" in table
    # Per-call times in the table's units (µs or ms at these sizes; how fast
    # depends on the machine's load).
    for record in records:
        for row in record["impls"].values():
            assert bench._duration(row["median_s"]) in table


def test_durations_keep_four_decimals_down_to_ten_milliseconds(bench):
    assert [bench._duration(s) for s in (1.23456, 0.0123, 0.00123, 4.56e-5)] == [
        "1.2346", "0.0123", "1.230ms", "45.6µs"]


def test_baseline_checkout_runs_interleaved(bench, capsys):
    """``--baseline DIR`` adds another checkout's skmlp as a third
    implementation; this checkout as its own baseline does the same work."""
    repo = BENCH_PATH.parents[1]
    try:
        report = bench.main(["--quick", "--workloads", "C", "--repeats", "1",
                             "--dtype", "float64", "--baseline", str(repo)])
    finally:
        sys.modules.pop("skmlp_baseline", None)
    table = capsys.readouterr().out
    meta = report["meta"]
    assert meta["baseline"]["path"] == str(repo)
    assert meta["baseline"]["skmlp_version"] == meta["skmlp_version"]
    (record,) = report["results"]
    impls = record["impls"]
    assert list(impls) == ["sklearn", "skmlp", "baseline"]
    assert impls["baseline"]["loss_curve"] == impls["skmlp"]["loss_curve"]
    assert _positive(impls["baseline"]["vs_sklearn"])
    assert impls["sklearn"]["vs_sklearn"] == 1.0
    assert record["ratio_skmlp_baseline"] == (
        impls["skmlp"]["seconds"][0] / impls["baseline"]["seconds"][0])
    assert ("skmlp / baseline (median of each round's ratio): C fit 1797x64 "
            f"float64 {record['ratio_skmlp_baseline']:.2f}") in table
    assert f"baseline: skmlp {meta['skmlp_version']}" in table
    assert sum(line.split()[1:2] == ["baseline"] for line in table.splitlines()) == 1


def test_ratios_to_scikit_learn_pair_the_rounds(bench):
    """``vs_sklearn`` is the median of each round's ratio, so that a machine
    whose speed drifts between rounds cancels out (the ratio of the medians,
    kept alongside, is here 1.0)."""
    rounds = {"sklearn": [1.0, 2.0, 4.0], "skmlp": [0.5, 3.0, 2.0]}
    rows = {name: {**bench._summary(seconds, None, None), "loss_curve": None}
            for name, seconds in rounds.items()}
    record = bench._record(None, None, rows)
    assert record["ratio_skmlp_baseline"] is None  # no baseline
    assert rows["skmlp"]["vs_sklearn"] == 0.5  # median of 0.5, 1.5, 0.5
    assert rows["skmlp"]["vs_sklearn_of_medians"] == 1.0
    assert rows["sklearn"]["vs_sklearn"] == 1.0
    assert record["ratio_skmlp_sklearn"] == 0.5


def test_baseline_must_be_an_skmlp_checkout(bench, tmp_path):
    with pytest.raises(SystemExit, match="no skmlp package"):
        bench.main(["--quick", "--workloads", "C", "--baseline", str(tmp_path)])


def test_overhead_benchmark_runs(capsys):
    spec = importlib.util.spec_from_file_location("bench_overhead", OVERHEAD_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.main(["--repeats", "1", "--epochs", "1"])
    assert [row["hidden_layers"] for row in rows] == [1, 2]
    for row in rows:
        assert _positive(row["sklearn"]) and _positive(row["skmlp"])
        assert math.isclose(row["ratio"], row["skmlp"] / row["sklearn"])
    table = capsys.readouterr().out
    assert "hidden layers" in table and len(table.splitlines()) == 3


def test_onnx_benchmark_runs(capsys):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    spec = importlib.util.spec_from_file_location("bench_onnx", ONNX_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(["--calls", "2", "--repeats", "1", "--hidden", "8"])
    times = result["microseconds"]
    assert list(times) == ["predict", "predict_proba", "onnxruntime"]
    for name, value in times.items():
        assert _positive(value)
        assert math.isclose(result["ratio_to_onnxruntime"][name],
                            value / times["onnxruntime"])
    table = capsys.readouterr().out
    assert "hidden_layer_sizes=(8,)" in table and len(table.splitlines()) == 5
