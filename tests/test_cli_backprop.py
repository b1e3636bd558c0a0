"""`memograd backprop`: tables, --json numbers, --explain, --scaling with a plot, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from memograd.backprop import mlp_work
from memograd.cli import main


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:  # type: ignore[type-arg]
    assert main(["backprop", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_compare_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backprop", "--layers", "2,3,3,1", "--compare"]) == 0
    out = capsys.readouterr().out
    for name in ("paths", "recursive", "memoized", "reverse", "forward"):
        assert name in out
    assert "40 nodes, 45 edges" in out
    assert "Griewank–Walther" in out and "79 = 3.04×" in out  # (26 + 8 + 45) / 26


def test_compare_json_numbers_match_closed_forms(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, "--layers", "2,3,3,1", "--activation", "tanh")
    strategies = {s["name"]: s for s in doc["compare"]["strategies"]}
    closed = mlp_work([2, 3, 3, 1], "tanh")
    assert (
        set(strategies) == set(closed) == {"paths", "recursive", "memoized", "reverse", "forward"}
    )
    for name, s in strategies.items():
        assert s["counts"] == s["predicted"] == closed[name].as_dict()
        assert s["max_abs_diff_to_reverse"] < 1e-12
    assert doc["compare"]["graph"]["parameters"] == len(doc["compare"]["gradients"]) == 25
    assert strategies["memoized"]["counts"]["memo_hits"] == 30
    cheap = doc["compare"]["cheap_gradient"]  # the Griewank–Walther constant of this network
    reverse = strategies["reverse"]["counts"]["multiplications"]
    overhead = cheap["evaluation"] + cheap["local_derivatives"]
    assert cheap["reverse"] == overhead + reverse
    assert cheap["reverse_ratio"] == cheap["reverse"] / cheap["evaluation"] <= 5
    assert cheap["forward_sweeps"] == cheap["parameters"] == 25


def test_budget_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, "--layers", "4,4,4,4,4,1", "--budget", "1000")
    strategies = {s["name"]: s for s in doc["compare"]["strategies"]}
    assert strategies["paths"]["refused"] and strategies["paths"]["counts"] is None
    assert strategies["paths"]["predicted"]["multiplications"] > 1000
    assert not strategies["reverse"]["refused"]


def test_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backprop", "--layers", "2,2,2,1", "--explain", "w1_11"]) == 0
    out = capsys.readouterr().out
    assert "∂L/∂ŷ · [∂ŷ/∂o₂₁ · ∂o₂₁/∂o₁₁ + ∂ŷ/∂o₂₂ · ∂o₂₂/∂o₁₁] · ∂o₁₁/∂w¹₁₁" in out
    doc = run_json(capsys, "--layers", "2,2,2,1", "--explain", "w1_11")
    assert doc["explain"]["repeated"] == [["∂L/∂ŷ", 2], ["∂o₁₁/∂w¹₁₁", 2]]
    assert "compare" not in doc


def test_scaling_json_and_plot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plot = tmp_path / "scaling.png"
    doc = run_json(
        capsys, "--scaling", "depth", "--max", "3", "--width", "2", "--budget", "100",
        "--plot", str(plot),
    )  # fmt: skip
    rows = doc["scaling"]["rows"]
    assert len(rows) == 3 * 4 and any(r["refused"] for r in rows)
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert list(tmp_path.iterdir()) == [plot]  # written atomically: no temp file left
    assert main(["backprop", "--scaling", "width", "--max", "2", "--depth", "1"]) == 0
    assert "multiplications as width grows" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--layers", "2,0,1"], "--layers expects integers >= 1"),
        (["--layers", "2,-3"], "--layers expects integers >= 1"),
        (["--layers", "2,x"], "comma-separated integers"),
        (["--layers", "2.5,1"], "comma-separated integers"),
        (["--layers", "3"], "at least 2 values"),
        (["--explain", "w9_11"], "Received: layer=9"),
        (["--explain", "q1"], "Unknown parameter name"),
        (["--plot", "x.png"], "--plot draws the scaling figure"),
        (["--budget", "0"], "--budget expects a positive integer"),
        (["--layers", "2,8,8,8,8,1", "--explain", "w1_11"], "more than max_paths=64"),
    ],
)
def test_bad_arguments_exit_1_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backprop", *argv]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_subprocess_bad_layers_exits_1() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "memograd", "backprop", "--layers", "0,2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "memograd backprop: error: --layers expects integers >= 1. Received: '0,2'"
    ]
