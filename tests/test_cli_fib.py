"""`memograd fib`: table, JSON numbers, refusals, one-line errors, call-tree drawing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from memograd.cli import main


def _fib(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def _memograd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memograd", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_table_lists_every_method(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fib", "20", "--method", "all"]) == 0
    out = capsys.readouterr().out
    for method in ("naive", "memo-dict", "memoized", "bottom-up", "constant-memory"):
        assert method in out
    assert "6765" in out
    assert f"{2 * _fib(21) - 1:,}" in out  # naive calls: 21,891


def test_json_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    n = 25
    assert main(["fib", str(n), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["n"] == n
    results = {r["method"]: r for r in document["results"]}
    assert set(results) == {"naive", "memo-dict", "memoized", "bottom-up", "constant-memory"}
    for r in results.values():
        assert r["result"] == str(_fib(n))
        assert r["result_digits"] == len(str(_fib(n)))
        assert r["seconds"] >= 0
    assert results["naive"]["calls"] == 2 * _fib(n + 1) - 1
    assert results["naive"]["cache_hits"] == 0
    assert (results["memoized"]["calls"], results["memoized"]["cache_hits"]) == (2 * n - 1, n - 2)


def test_long_results_are_shortened_in_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    n = 1_000
    assert main(["fib", str(n), "--method", "bottom-up"]) == 0
    out = capsys.readouterr().out
    digits = str(_fib(n))
    assert f"{digits[:5]}…{digits[-5:]}" in out
    assert str(len(digits)) in out
    assert digits not in out


def test_json_gives_the_full_result_beyond_python_str_limit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    n = 25_000  # 5,225 digits: over the default 4,300-digit int-to-str limit
    assert main(["fib", str(n), "--method", "constant-memory", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    (result,) = document["results"]
    assert result["result_digits"] == 5_225
    assert sys.get_int_max_str_digits() == 4_300  # the guard is restored
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        assert result["result"] == str(_fib(n))
    finally:
        sys.set_int_max_str_digits(limit)


def test_naive_above_35_is_refused_without_force() -> None:
    done = _memograd("fib", "40", "--method", "naive")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"{2 * _fib(41) - 1:,}" in lines[0]  # predicted calls: 331,160,281
    assert "predicted" in lines[0] and "--force" in lines[0]
    assert "Traceback" not in done.stderr


def test_all_skips_naive_above_35(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fib", "40", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert "naive" not in {r["method"] for r in document["results"]}
    assert document["skipped"][0]["method"] == "naive"


@pytest.mark.parametrize("bad", ["-5", "abc", "3.5", "10000000"])
def test_bad_n_exits_1_with_one_line(bad: str) -> None:
    done = _memograd("fib", bad, "--method", "memoized")
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_too_large_for_every_method() -> None:
    done = _memograd("fib", "5000000")
    assert done.returncode == 1
    assert "constant-memory" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_tree_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "calls.png"
    assert main(["fib", "5", "--tree", str(target)]) == 0
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "calls.png" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["calls.png"]  # no temp file left


def test_tree_refused_above_12_and_for_other_formats(tmp_path: Path) -> None:
    done = _memograd("fib", "13", "--tree", str(tmp_path / "t.png"))
    assert done.returncode == 1
    assert "753" in done.stderr  # naive fib(13) makes 753 calls
    done = _memograd("fib", "5", "--tree", str(tmp_path / "t.jpg"))
    assert done.returncode == 1
    assert ".png or .svg" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_side_by_side_marks_repeated_subtrees() -> None:
    from memograd import fib
    from memograd.cli.fib import draw_side_by_side
    from memograd.memo import trace

    with trace() as naive_trace:
        fib.naive(5)
    with trace() as memo_trace:
        fib.memoized(5)
    figure = draw_side_by_side(naive_trace.roots[0], memo_trace.roots[0])
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    assert legend == ["fib(3) computed 2× by naive", "fib(2) computed 3× by naive", "memo hit"]
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == ["naive fib(5): 15 calls", "@memoize fib(5): 9 calls, 3 memo hits"]
    import matplotlib.pyplot as plt

    plt.close(figure)
