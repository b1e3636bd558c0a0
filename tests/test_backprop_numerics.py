"""The float64 error study against mpmath, and the scaling rows."""

from __future__ import annotations

import pytest

from memograd.backprop import (
    STRATEGIES,
    mlp_work,
    numerical_study,
    reference_gradients,
    scaling,
    scaling_sizes,
    summarize,
)
from memograd.scalar import MLP


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "linear"])
def test_reference_gradients_match_backward(activation: str) -> None:
    net = MLP([3, 4, 3, 2], activation=activation, seed=5)
    x, y = [0.2, -0.4, 0.9], [0.1, 0.8]
    net.loss(x, y).backward()
    reference = reference_gradients(net, x, y)
    for p, r in zip(net.parameters(), reference, strict=True):
        assert p.grad == pytest.approx(float(r), rel=1e-12, abs=1e-16)


def test_numerical_study_rows_and_summary() -> None:
    rows = numerical_study(widths=(2, 3), depths=(1, 3), trials=2, seed=1)
    assert len(rows) == 2 * 2 * 2
    for row in rows:
        assert set(row["errors"]) == set(STRATEGIES)
        for errors in row["errors"].values():
            assert errors["normwise"] < 1e-13
            assert errors["first_layer_median_relative"] < 1e-12
    summary = summarize(rows)
    assert [(s["width"], s["depth"]) for s in summary] == [(2, 1), (2, 3), (3, 1), (3, 3)]
    assert summary[3]["paths_per_first_layer_weight"] == 9
    assert summary[3]["trials"] == 2


def test_numerical_study_budget_drops_refused_strategies() -> None:
    rows = numerical_study(widths=(4,), depths=(4,), trials=1, seed=0, budget=1_000)
    assert set(rows[0]["errors"]) == {"memoized", "reverse"}


def test_numerical_study_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"Received: widths=\[0\]"):
        numerical_study(widths=(0,), depths=(1,))
    with pytest.raises(ValueError, match="trials"):
        numerical_study(widths=(2,), depths=(1,), trials=0)


def test_scaling_rows_match_closed_forms_and_refuse_over_budget() -> None:
    rows = scaling("depth", max_n=4, width=3, budget=2_000, repeats=1)
    assert [r["n"] for r in rows[::4]] == [1, 2, 3, 4]
    for r in rows:
        assert r["sizes"] == scaling_sizes("depth", r["n"], width=3)
        assert r["predicted"] == r["closed_form"] == mlp_work(r["sizes"])[r["strategy"]].as_dict()
        if r["refused"]:
            assert r["counts"] is None and r["seconds"] is None
            assert r["predicted"]["multiplications"] > 2_000
        else:
            assert r["counts"] == r["predicted"]
            assert r["max_abs_diff"] is not None and r["max_abs_diff"] < 1e-12
    refused = {(r["n"], r["strategy"]) for r in rows if r["refused"]}
    assert (4, "paths") in refused and (4, "reverse") not in refused


def test_scaling_width_and_errors() -> None:
    rows = scaling("width", max_n=2, depth=2, strategies=["reverse"], repeats=1)
    assert [r["sizes"] for r in rows] == [[1, 1, 1, 1], [2, 2, 2, 1]]
    with pytest.raises(ValueError, match="Received: kind='height'"):
        scaling("height")
    with pytest.raises(ValueError, match="Received: max_n=0"):
        scaling("depth", max_n=0)
