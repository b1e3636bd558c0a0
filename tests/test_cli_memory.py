"""`memograd memory`: the JSON document, the table with the closed form, the plot, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memograd.cli import main
from memograd.tradeoff import closed_form_saved_bytes

SMALL = ["--depth", "2,5", "--width", "8,12", "--batch", "4", "--repeats", "1"]


def test_json_rows_for_every_policy_depth_and_width(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["memory", *SMALL, "--policies", "all,sqrt,none,2,binomial:1", "--json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = doc["results"]
    assert [(r["depth"], r["width"]) for r in rows[::5]] == [(2, 8), (2, 12), (5, 8), (5, 12)]
    assert [r["policy"] for r in rows[:5]] == ["all", "sqrt", "none", "2", "binomial:1"]
    for r in rows:
        for key in (
            "peak_saved_bytes",
            "seconds",
            "recomputed_layers",
            "max_abs_grad_diff",
            "tracemalloc_peak_bytes",
        ):
            assert key in r
        assert r["max_abs_grad_diff"] <= 1e-6
        if r["policy"] == "all":
            closed = closed_form_saved_bytes(4, r["width"], [r["width"]] * r["depth"], 10)
            assert r["peak_saved_bytes"] == r["closed_form_bytes"] == closed
    deep_none = next(r for r in rows if r["policy"] == "none" and r["depth"] == 5)
    assert deep_none["recomputed_layers"] == 6 * 5 // 2 - 1  # quadratic in depth
    assert doc["machine"]["cpus"] >= 1


def test_table_prints_the_closed_form_beside_the_measurement(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plot = tmp_path / "memory.png"
    assert main(["memory", *SMALL, "--policies", "all,none", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert out.count("✓") == 4 + 1 and "✗" not in out  # one per "all" row, one in the note
    assert 'closed form for "all"' in out and "load" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--policies", "all,most"], "--policies expects"),
        (["--policies", "binomial:0"], "'binomial:<slots>'"),
        (["--depth", "0"], "--depth"),
        (["--width", "a,b"], "--width"),
        (["--batch", "0"], "--batch"),
        (["--repeats", "0"], "--repeats"),
    ],
)
def test_bad_arguments_exit_1_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["memory", *argv, "--json"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("memograd memory: error:") and message in err
    assert err.count("\n") == 1
