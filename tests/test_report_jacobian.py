"""The report section "Which end to memoize from": its numbers equal their predictions."""

from __future__ import annotations

import json
from pathlib import Path

from memograd.backprop import mlp_graph_size, mlp_work
from memograd.report import run_report


def test_section_numbers_equal_their_predictions(tmp_path: Path) -> None:
    result = run_report(tmp_path, quick=True, sections=["jacobian_orders"], show_progress=False)
    summary = json.loads((tmp_path / "summary.json").read_text())
    section = summary["sections"]["jacobian_orders"]
    assert section["status"] == "ok", section["errors"]
    numbers = section["numbers"]
    figures = sum(1 for s in result.sections for p in s.parts if type(p).__name__ == "FigurePart")
    assert figures == 3
    # gradient of one loss: the sweeps were run and counted, and equal their closed forms
    for row in numbers["gradient_work"]:
        widths = [2, row["width"], row["width"], 1]
        size = mlp_graph_size(widths)
        closed = mlp_work(widths)
        assert row["parameters"] == size["parameters"]
        assert row["reverse"] == row["predicted_reverse"] == size["edges"]
        assert row["forward"] == row["predicted_forward"] == closed["forward"].multiplications
        assert row["forward"] > row["reverse"]
        assert row["forward_seconds"] > 0 and row["reverse_seconds"] > 0  # they ran
    # the Griewank-Walther constant, counted, on the lesson's networks
    for row in numbers["cheap_gradient"]:
        assert 2 <= row["reverse_ratio"] <= 5
        assert row["forward_sweeps"] == row["parameters"]
    # tall Jacobians favour forward, wide ones reverse; optimal is never worse
    for row in numbers["shapes"]:
        assert row["optimal"] <= min(row["forward"], row["reverse"], row["markowitz"])
        if row["n"] < row["m"]:
            assert row["forward"] < row["reverse"]
        if row["n"] > row["m"]:
            assert row["reverse"] < row["forward"]
    # the bottleneck 64-64-4-64-64: from either end every product stays 64 wide
    counts = {r["order"]: r["multiplications"] for r in numbers["bottleneck"]["results"]}
    assert counts["forward"] == counts["reverse"] == 64**3 + 2 * 4 * 64 * 64
    assert counts["optimal"] == 64 * 64 * 4 + 4 * 64 * 64 + 64 * 4 * 64
    assert numbers["bottleneck"]["optimal_saving"] == counts["forward"] / counts["optimal"]
    for row in numbers["dp_calls"]:
        assert row["calls_without_memo"] == row["predicted_without_memo"]
        assert row["calls_with_memo"] == row["predicted_with_memo"]
