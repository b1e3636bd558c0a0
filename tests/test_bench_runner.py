"""Worker records, missing engines, aggregation over rounds, ratios, interleaving, report."""

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

import memograd
from memograd.bench import (
    BenchResult,
    EngineResult,
    aggregate,
    compute_ratios,
    load_workloads,
    parse_engines,
    print_report,
    run_bench,
    save_plot,
)
from memograd.bench._results import blas_bound
from memograd.bench._worker import run_worker


def test_worker_process_prints_one_sane_json_line() -> None:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "memograd.bench._worker", "--engine", "numpy"),
            *("--workload", "W1", "--steps", "4", "--warmup", "1"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["status"] == "ok" and record["workload"] == "W1-tiny"
    assert record["steps"] == 4 and len(record["times_s"]) == 4
    assert all(t > 0 for t in record["times_s"])
    assert record["median_s"] == statistics.median(record["times_s"])
    assert record["forward_median_s"] > 0 and len(record["forward_times_s"]) == 4
    assert record["peak_rss_mb"] >= record["import_rss_mb"] > 1
    assert record["step_alloc_peak_mb"] >= 0


def test_missing_library_is_reported_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    record = run_worker("torch", "W1", steps=2, warmup=0)
    assert record["status"] == "missing"
    assert "torch" in record["reason"] and "times_s" not in record


def test_memograd_without_nn_is_unavailable_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "memograd.nn", None)
    for engine in ("memograd", "memograd-jit"):
        record = run_worker(engine, "W1", steps=2, warmup=0)
        assert record["status"] == "unavailable"
        assert "memograd.nn" in record["reason"]


def test_micrograd_is_not_applicable_beyond_w1() -> None:
    record = run_worker("micrograd", "W2", steps=2, warmup=0)
    assert record["status"] == "not-applicable" and "W1" in record["reason"]


def _record(times: list[float], forward: list[float] | None = None, rss: float = 50) -> dict:
    record: dict[str, Any] = {"status": "ok", "times_s": times, "peak_rss_mb": rss}
    record["import_rss_mb"] = 30.0
    if forward is not None:
        record["forward_times_s"] = forward
    return record


def test_aggregate_reports_the_quietest_round_and_keeps_the_others() -> None:
    # round 2 was disturbed (a busy neighbour): its median is 4, round 1's is 2
    rounds = [
        _record([3.0, 4.0, 5.0], [9.0, 9.0, 9.0], rss=60),
        _record([1.0, 2.0, 9.0], [0.5, 0.5, 0.5], rss=40),
    ]
    r = aggregate("W2-digits", "numpy", rounds)
    assert r.status == "ok" and r.reason is None
    assert r.median_s == 2.0  # the quieter round's median
    assert r.round_medians_s == [4.0, 2.0]
    assert r.pooled_median_s == 3.5  # median of the six steps together, kept for reference
    assert (r.steps, r.rounds, r.peak_rss_mb) == (6, 2, 60)
    # forward time from the same (quiet) round as the step time
    assert r.forward_median_s == 0.5 and r.backward_median_s == 1.5
    assert r.to_dict()["backward_forward_ratio"] == 3.0
    assert r.round_spread == 2.0 and r.noisy
    steady = aggregate("W1", "numpy", [_record([1.0]), _record([1.2])])
    assert steady.round_spread == pytest.approx(1.2) and not steady.noisy
    noisy = aggregate("W2-digits", "numpy", [_record([1.0], [2.0])])
    assert noisy.backward_median_s == -1.0  # kept as measured
    assert noisy.to_dict()["backward_forward_ratio"] is None  # but no ratio from noise

    failed = aggregate("W1", "torch", [{"status": "error", "reason": "boom"}, _record([2.0])])
    assert failed.status == "ok" and failed.median_s == 2.0
    assert failed.reason is not None and "1 of 2 rounds failed: boom" in failed.reason
    missing = aggregate("W1", "jax", [{"status": "missing", "reason": "no jax"}])
    assert (missing.status, missing.reason, missing.median_s) == ("missing", "no jax", None)


def test_ratios_divide_by_the_reference_median() -> None:
    results = [
        EngineResult("W1", "memograd", "ok", median_s=4.0),
        EngineResult("W1", "numpy", "ok", median_s=1.0),
        EngineResult("W1", "jax", "missing"),
        EngineResult("W2", "numpy", "ok", median_s=3.0),
        EngineResult("W2", "memograd", "unavailable"),
    ]
    ratios = compute_ratios(results)
    assert ratios["W1"] == {"memograd": 1.0, "numpy": 0.25, "jax": None}
    assert ratios["W2"] == {"numpy": None, "memograd": None}
    assert compute_ratios(results, reference="numpy")["W2"]["numpy"] == 1.0
    assert compute_ratios(results, reference="numpy")["W1"]["memograd"] == 4.0


def test_blas_bound_is_flops_over_best_gemm_rate() -> None:
    workloads = load_workloads()[:2]
    rounds = [{"status": "ok", "flops_per_s": r / 2, "best_flops_per_s": r} for r in (1e9, 3e9)]
    rows = blas_bound(workloads, [*rounds, {"status": "error", "reason": "killed"}])
    assert [r.engine for r in rows] == ["blas-bound", "blas-bound"]
    # the fastest GEMM of the run sets the bound
    assert rows[0].median_s == pytest.approx(workloads[0].flops / 3e9)
    assert rows[1].median_s == pytest.approx(workloads[1].flops / 3e9)
    assert rows[0].rounds == 2
    assert blas_bound(workloads, [{"status": "error", "reason": "x"}])[0].status == "error"


def test_run_bench_interleaves_rounds_and_skips_absent_engines() -> None:
    calls: list[tuple[str, str]] = []

    def fake(engine: str, workload: str) -> dict:
        calls.append((engine, workload))
        if engine == "gemm":
            return {"status": "ok", "flops_per_s": 1e10, "best_flops_per_s": 2e10}
        if engine == "jax":
            return {"status": "missing", "reason": "jax is not installed"}
        return _record([0.002 if engine == "memograd" else 0.001], rss=10)

    result = run_bench(
        ["W1", "W2"],
        ["memograd", "numpy", "jax", "blas-bound"],
        rounds=2,
        steps=3,
        quick=True,
        show_progress=False,
        worker=fake,
    )
    round1 = [
        (e, w) for w in ("W1-tiny", "W2-digits") for e in ("memograd", "numpy", "jax", "gemm")
    ]
    # round 2: order rotated by one; jax, missing in round 1, is not asked again
    round2 = [(e, w) for w in ("W1-tiny", "W2-digits") for e in ("numpy", "gemm", "memograd")]
    assert calls == round1 + round2
    assert not result.reportable
    doc = result.to_dict()
    assert doc["ratios"]["values"]["W1-tiny"]["numpy"] == 0.5
    jax = result.get("W2-digits", "jax")
    assert jax is not None and jax.status == "missing"
    numpy_row = result.get("W1-tiny", "numpy")
    assert numpy_row is not None and numpy_row.rounds == 2


def test_run_bench_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="at least 50"):
        run_bench(["W1"], ["numpy"], steps=10)
    with pytest.raises(ValueError, match=r"memograd, memograd-jit, numpy.*Received: engines='tf'"):
        run_bench(["W1"], ["tf"], steps=3, quick=True)
    with pytest.raises(ValueError, match="rounds"):
        run_bench(["W1"], ["numpy"], rounds=0)
    assert parse_engines(["JAX-jit", "numpy-hand"]) == ["jax", "numpy"]


def _synthetic() -> BenchResult:
    workloads = load_workloads()[:2]
    results = [
        EngineResult("W1-tiny", "memograd", "unavailable", "memograd.nn is not importable yet"),
        EngineResult("W1-tiny", "numpy", "ok", median_s=1e-4, peak_rss_mb=40.0),
        EngineResult("W1-tiny", "torch", "ok", median_s=3e-4, forward_median_s=1e-4),
        EngineResult(
            "W2-digits", "memograd", "ok", median_s=2e-3, peak_rss_mb=90.0, step_alloc_peak_mb=1.5
        ),
        EngineResult("W2-digits", "numpy", "ok", median_s=1e-3, round_medians_s=[1e-3, 1.8e-3]),
        EngineResult("W2-digits", "torch", "missing", "torch needs `torch`"),
    ]
    settings = {"engines": ["memograd", "numpy", "torch"], "rounds": 2, "steps": 50}
    settings["reportable"] = True
    machine = {"cpu": "Test CPU", "cores": 2, "date": "today", "load_average_start": [0.5]}
    return BenchResult(machine, settings, workloads, results)


@pytest.mark.parametrize("width", [200, 40])
def test_report_tables_show_times_ratios_and_reasons(width: int) -> None:
    out = Console(record=True, width=width)
    print_report(_synthetic(), out)
    lines = out.export_text().splitlines()
    text = "\n".join(lines)
    assert "Test CPU" in text and "missing" in text and "[1.5]" in text
    assert "~1.00 ms" in text and "busy machine" in " ".join(text.split())  # rounds 1.8× apart
    assert "unavailable: memograd.nn is not importable" in " ".join(text.split())
    # numpy on W2: 1 ms, half of memograd's 2 ms; the ratio sits under the time
    row = next(i for i, line in enumerate(lines) if "1.00 ms" in line)
    column = lines[row].index("1.00 ms")
    assert "×0.5" in lines[row + 1][column - 2 : column + 8]
    header = next(line for line in lines if "workload" in line or "engine" in line)
    if width == 200:  # engines across
        assert "numpy" in header and "torch" in header
    else:  # too narrow: workloads across, engines down
        assert "W1-tiny" in header and "W2-digits" in header


def test_rounds_that_disagree_make_the_result_and_the_run_not_reportable() -> None:
    # The W2 NumPy: one round 895 µs, the other 79,847 µs (BLAS threads fighting
    # two busy neighbours). The quieter round must not be quoted as the step time.
    rounds = [_record([8.95e-4] * 3), _record([7.9847e-2] * 3)]
    numpy_w2 = aggregate("W2-digits", "numpy", rounds)
    assert numpy_w2.disagrees and numpy_w2.to_dict()["reportable"] is False
    steady = aggregate("W2-digits", "memograd", [_record([1.0e-3] * 3), _record([1.9e-3] * 3)])
    assert not steady.disagrees and steady.to_dict()["reportable"] is True  # 1.9× ≤ 2×
    settings = {"engines": ["memograd", "numpy"], "rounds": 2, "steps": 50, "reportable": True}
    result = BenchResult({}, settings, load_workloads()[1:2], [steady, numpy_w2])
    assert not result.reportable
    (reason,) = result.not_reportable_reasons()
    assert reason == (
        "W2-digits numpy: round medians 895 µs and 79.8 ms are 89× apart (more than 2×)"
    )
    document = json.loads(json.dumps(result.to_dict()))
    assert document["reportable"] is False
    assert document["not_reportable_because"] == [reason]
    out = Console(record=True, width=200)
    print_report(result, out)
    text = " ".join(out.export_text().split())
    assert "!895 µs" in text and "not reportable: W2-digits numpy: round medians" in text
    # the same run with agreeing rounds is reportable
    assert BenchResult({}, settings, load_workloads()[1:2], [steady]).reportable


def test_one_round_or_few_steps_is_not_reportable() -> None:
    def fake(engine: str, workload: str) -> dict:
        return _record([1e-3] * 50)

    one = run_bench(["W1"], ["numpy"], rounds=1, show_progress=False, worker=fake)
    assert not one.reportable
    assert one.not_reportable_reasons() == [
        "one round: no second round to show the machine was steady"
    ]
    two = run_bench(["W1"], ["numpy"], rounds=2, show_progress=False, worker=fake)
    assert two.reportable and two.to_dict()["not_reportable_because"] == []
    quick = run_bench(["W1"], ["numpy"], steps=5, quick=True, show_progress=False, worker=fake)
    assert quick.not_reportable_reasons()[0].startswith("quick run: 5 steps per round")


def test_plot_is_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "bench.png"
    save_plot(_synthetic(), target)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["bench.png"]


def test_memograd_engine_times_train_on_batch_and_forward() -> None:
    record = run_worker("memograd", "W1", steps=2, warmup=1)
    assert record["status"] == "ok", record.get("reason")
    assert len(record["times_s"]) == 2 and record["forward_median_s"] > 0


def test_jit_that_falls_back_to_eager_is_reported_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from memograd import nn

    original = nn.Sequential.compile

    def compile_without_jit(self: Any, *args: Any, jit_compile: bool = False, **kw: Any) -> None:
        if jit_compile:
            import warnings

            warnings.warn("jit_compile=True: not available yet", RuntimeWarning, stacklevel=2)
        original(self, *args, **kw)

    monkeypatch.setattr(nn.Sequential, "compile", compile_without_jit)
    record = run_worker("memograd-jit", "W1", steps=2, warmup=0)
    assert record["status"] == "unavailable"
    assert record["reason"] == "jit_compile=True: not available yet"
    assert run_worker("memograd", "W1", steps=1, warmup=0)["status"] == "ok"


def test_worker_environment_caps_threads_only_when_asked() -> None:
    from memograd.bench._runner import worker_environment

    capped = worker_environment(1)
    assert capped["OMP_NUM_THREADS"] == capped["OPENBLAS_NUM_THREADS"] == "1"
    assert capped["MEMOGRAD_NUM_THREADS"] == "1"  # memograd's policy in the worker too
    src = Path(memograd.__file__).resolve().parent.parent  # the folder holding the package
    assert capped["PYTHONPATH"].split(os.pathsep)[0] == str(src)
    assert worker_environment(None).get("OMP_NUM_THREADS") == os.environ.get("OMP_NUM_THREADS")


def test_machine_info_names_cpu_cores_and_versions() -> None:
    from memograd.bench._machine import machine_info

    info = machine_info()
    assert info["cores"] == os.cpu_count() and info["cpu"]
    assert info["versions"]["numpy"] and info["versions"]["memograd"]
    json.dumps(info)  # JSON-ready


def test_result_round_trips_through_json() -> None:
    original = _synthetic()
    document = json.loads(json.dumps(original.to_dict()))
    again = BenchResult.from_dict(document)
    assert again.to_dict() == original.to_dict()
    with pytest.raises(ValueError, match="Not a memograd bench document"):
        BenchResult.from_dict({"results": []})


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs sched_setaffinity")
def test_worker_pins_itself_to_the_requested_cpus() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "memograd.bench._worker", "--engine", "gemm", "--cpus", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    record = json.loads(done.stdout)
    assert len(record["cpus"]) == 1 and record["cpus"][0] in os.sched_getaffinity(0)


@pytest.mark.parametrize("threads", ["1", "2"])
def test_torch_worker_runs_with_memograds_thread_count(threads: str) -> None:
    pytest.importorskip("torch")
    env = {**os.environ, "MEMOGRAD_NUM_THREADS": threads}
    done = subprocess.run(
        [
            *(sys.executable, "-m", "memograd.bench._worker", "--engine", "torch"),
            *("--workload", "W1", "--steps", "2", "--warmup", "0"),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    record = json.loads(done.stdout)
    assert record["threads"] == int(threads) and record["note"] == f"{threads} threads"
    assert record["conditions"]["blas_threads"] == int(threads)


def test_without_threads_jax_alone_is_pinned_to_the_policys_cpu_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # XLA has no thread-count setting; the CPUs it may run on are its pool size. Left free it
    # would run W4 on two cores against memograd's and torch's one thread.
    from memograd.bench import _runner

    commands: list[list[str]] = []

    def fake_run(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        return subprocess.CompletedProcess(command, 0, '{"status": "ok"}', "")

    monkeypatch.setattr(_runner.subprocess, "run", fake_run)
    call = _runner.subprocess_worker(steps=1, warmup=0, seed=0)
    for engine in ("jax", "memograd", "torch"):
        assert call(engine, "W1") == {"status": "ok"}
    cpus = [c[c.index("--cpus") + 1] if "--cpus" in c else None for c in commands]
    assert cpus == [str(memograd.get_num_threads()), None, None]
    commands.clear()
    _runner.subprocess_worker(steps=1, warmup=0, seed=0, threads=2)("memograd", "W1")
    assert commands[0][commands[0].index("--cpus") + 1] == "2"  # --threads pins every engine


def test_the_runs_conditions_name_the_library_the_workers_products_ran_on() -> None:
    # The workers' own record, not this process's policy: at --threads 2 they run NumPy's BLAS.
    def fake(engine: str, workload: str) -> dict:
        record = _record([1e-3] * 50)
        record["conditions"] = {"products": "NumPy's BLAS" if engine == "memograd" else "?"}
        return record

    result = run_bench(["W1"], ["memograd", "numpy"], rounds=1, show_progress=False, worker=fake)
    assert result.conditions["products"] == "NumPy's BLAS"  # (numpy's worker is not memograd)
