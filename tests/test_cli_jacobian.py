"""`memograd jacobian`: the orders' table, --json counts and conditions, bad input."""

from __future__ import annotations

import json

import pytest

from memograd.cli import main


def test_table_lists_every_order_and_the_bracketings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["jacobian", "--layers", "64,8,64,8,64", "--order", "all"]) == 0
    out = capsys.readouterr().out
    for name in ("forward", "reverse", "markowitz", "optimal"):
        assert name in out
    assert "J4·(J3·(J2·J1))" in out and "((J4·J3)·J2)·J1" in out
    assert "98,304" in out and "40,960" in out and "BLAS thread" in out


def test_json_counts_follow_the_convention(capsys: pytest.CaptureFixture[str]) -> None:
    dims = [5, 3, 7, 2]
    assert main(["jacobian", "--layers", "5,3,7,2", "--order", "forward,reverse", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    counts = {r["strategy"]: r["multiplications"] for r in doc["results"]}
    assert counts == {
        "forward": dims[2] * dims[1] * dims[0] + dims[3] * dims[2] * dims[0],
        "reverse": dims[3] * dims[2] * dims[1] + dims[3] * dims[1] * dims[0],
    }
    assert doc["shape"] == [2, 5] and doc["max_abs_difference"] < 1e-12
    assert {"blas_threads", "load_average", "load_average_end"} <= set(doc["conditions"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--layers", "64"], "--layers expects at least 2"),
        (["--layers", "4,x"], "--layers expects comma-separated integers"),
        (["--order", "sideways"], "--order expects all or names among"),
    ],
)
def test_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["jacobian", *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
