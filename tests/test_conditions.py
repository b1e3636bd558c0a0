"""Every measuring command states the conditions it ran under: BLAS threads, CPUs, load."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import memograd as mg
from memograd._machine import conditions, describe_conditions
from memograd.cli import main


def _check(block: dict[str, Any]) -> None:
    assert block["blas_threads"] == mg.get_num_threads()
    assert block["cpus"] == os.cpu_count()
    assert 1 <= block["usable_cpus"] <= (os.cpu_count() or 1)
    if hasattr(os, "getloadavg"):
        for key in ("load_average", "load_average_end"):
            assert len(block[key]) == 3 and all(x >= 0 for x in block[key])


def test_conditions_snapshot_and_its_line() -> None:
    before = conditions()
    after = conditions(before)
    _check(after)
    line = describe_conditions(after)
    assert f"{after['blas_threads']} BLAS thread" in line and f"{after['cpus']} CPUs" in line
    if after["load_average"]:
        assert f"load average {after['load_average'][0]:g} → " in line


@pytest.mark.parametrize(
    "argv",
    [
        ["fib", "20", "--json"],
        ["backprop", "--layers", "2,2,1", "--json"],
        ["backprop", "--scaling", "depth", "--max", "2", "--json"],
        ["memory", "--depth", "2", "--width", "8", "--batch", "4", "--repeats", "1", "--json"],
    ],
)
def test_measuring_commands_write_their_conditions(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    document = json.loads(capsys.readouterr().out)
    _check(document["conditions"])


def test_measuring_commands_print_their_conditions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fib", "20"]) == 0
    assert f"measured under: {mg.get_num_threads()} BLAS thread" in capsys.readouterr().out


def test_bench_document_states_the_workers_threads_and_the_load() -> None:
    from memograd.bench import run_bench

    def fake(engine: str, workload: str) -> dict[str, Any]:
        return {
            "status": "ok",
            "times_s": [1e-3, 1e-3],
            "peak_rss_mb": 1.0,
            "import_rss_mb": 1.0,
            "threads": 3,  # what the worker process ran with, not this process's count
        }

    result = run_bench(["W1"], ["numpy"], steps=2, quick=True, show_progress=False, worker=fake)
    document = json.loads(json.dumps(result.to_dict()))
    block = document["conditions"]
    assert block["blas_threads"] == 3
    assert document["results"][0]["threads"] == 3
    if hasattr(os, "getloadavg"):
        assert len(block["load_average"]) == len(block["load_average_end"]) == 3


def test_demo_summary_and_page_state_their_conditions(tmp_path: Path) -> None:
    from memograd.report import run_report

    result = run_report(tmp_path, quick=True, sections=["chain_rule"], show_progress=False)
    summary = json.loads((tmp_path / "summary.json").read_text())
    _check(summary["conditions"])
    page = result.html_path.read_text()
    assert describe_conditions(summary["conditions"]) in page.replace("&gt;", ">")
