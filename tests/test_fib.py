"""Fibonacci methods, call counts, and the doctests of memo and fib."""

from __future__ import annotations

import doctest
import importlib
import math
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memograd import fib, memo


def _reference(n: int) -> int:
    """F(n) by Binet's formula with exact rounding, in mpmath at sufficient precision."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(int(n * 0.21) + 30):
        phi = (1 + mpmath.sqrt(5)) / 2
        return int(mpmath.nint(phi**n / mpmath.sqrt(5)))


def _iterative(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


ALL = [fib.naive, fib.memo_dict, fib.memoized, fib.bottom_up, fib.bottom_up_constant_memory]


@pytest.mark.parametrize("method", ALL, ids=lambda f: f.__name__)
def test_methods_match_binet(method: object) -> None:
    for n in [0, 1, 2, 3, 10, 20]:
        assert method(n) == _reference(n)  # type: ignore[operator]


@pytest.mark.parametrize(
    "method",
    [fib.memo_dict, fib.memoized, fib.bottom_up, fib.bottom_up_constant_memory],
    ids=lambda f: f.__name__,
)
def test_large_n(method: object) -> None:
    assert method(1_000) == _reference(1_000)  # type: ignore[operator]


def test_memo_dict_large_n_uses_the_deep_runner() -> None:
    before = sys.getrecursionlimit()
    table = {0: 0, 1: 1}
    value = fib.memo_dict(30_000, table)
    assert value == _iterative(30_000)
    assert len(table) == 30_001
    assert sys.getrecursionlimit() == before


def test_memoized_frees_its_table() -> None:
    fib.memoized(500)
    assert fib._memoized_fib.cache_info().currsize == 0


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 300))
def test_naive_calls_closed_form_matches_recurrence(n: int) -> None:
    calls = [1, 1]
    for _ in range(2, n + 1):
        calls.append(1 + calls[-1] + calls[-2])
    assert fib.naive_calls(n) == calls[n] == 2 * _iterative(n + 1) - 1


@pytest.mark.parametrize("n", [0, 1, 2, 5, 12])
def test_traced_trees_have_the_counted_calls(n: int) -> None:
    with memo.trace() as naive_trace:
        assert fib.naive(n) == _iterative(n)
    assert naive_trace.calls == fib.naive_calls(n)
    assert fib.measure("naive", n).calls == naive_trace.calls
    with memo.trace() as dict_trace:
        fib.memo_dict(n)
    run = fib.measure("memo-dict", n)
    assert (run.calls, run.cache_hits) == (dict_trace.calls, _dict_hits(dict_trace))
    with memo.trace() as memo_trace:
        fib.memoized(n)
    run = fib.measure("memoized", n)
    assert (run.calls, run.cache_hits) == (memo_trace.calls, memo_trace.hits)


def _dict_hits(t: memo.Trace) -> int:
    # In the lesson's function a call without children returned d[num] without computing.
    return sum(1 for node in t.walk() if not node.children)


def test_trace_sees_repeated_subtrees_of_naive_fib5() -> None:
    with memo.trace() as t:
        fib.naive(5)
    computed = [node.args[0] for node in t.walk()]
    assert computed.count(3) == 2 and computed.count(2) == 3
    assert {node.name for node in t.walk()} == {"fib"}


def test_measure_counts() -> None:
    n = 30
    expected = _iterative(n)
    runs = {m: fib.measure(m, n) for m in fib.METHODS}
    assert all(r.result == expected for r in runs.values())
    assert runs["naive"].calls == 2 * _iterative(n + 1) - 1
    assert (runs["memoized"].calls, runs["memoized"].cache_hits) == (2 * n - 1, n - 2)
    assert (runs["memo-dict"].calls, runs["memo-dict"].cache_hits) == (2 * n - 1, n)
    assert (runs["bottom-up"].calls, runs["bottom-up"].cache_hits) == (1, 2 * (n - 1))
    assert runs["constant-memory"].cache_hits == 0
    assert all(r.seconds >= 0 for r in runs.values())
    with pytest.raises(ValueError, match="`method`"):
        fib.measure("quantum", 3)


@pytest.mark.parametrize("bad", [-1, 2.0, "3", True, None])
def test_bad_n(bad: object) -> None:
    with pytest.raises((TypeError, ValueError), match="`n`"):
        fib.naive(bad)  # type: ignore[arg-type]
    with pytest.raises((TypeError, ValueError), match="`n`"):
        fib.bottom_up(bad)  # type: ignore[arg-type]


def test_digit_count_and_estimates() -> None:
    for value in [0, 1, 9, 10, 99, 100, 10**50 - 1, 10**50, _iterative(5_000)]:
        assert fib.digit_count(value) == len(str(value))
    for n in [10, 100, 1_000, 5_000]:
        assert abs(fib.fib_digits(n) - len(str(_iterative(n)))) <= 1
    assert fib.table_bytes(100_000) > 100 * fib.table_bytes(1_000)


def test_predict_naive_seconds_scales_with_calls() -> None:
    small, large = fib.predict_naive_seconds(25), fib.predict_naive_seconds(35)
    ratio = fib.naive_calls(35) / fib.naive_calls(25)
    assert small > 0
    # Each prediction is its own calibration run: same order of magnitude as the call ratio.
    assert ratio / 10 < large / small < ratio * 10
    assert math.isfinite(large)


@pytest.mark.parametrize(
    "module",
    [
        "memograd.fib",
        "memograd.memo",
        "memograd.memo._keys",
        "memograd.memo._trace",
        "memograd.memo._deep",
        "memograd.memo._cache",
        "memograd.memo._memoize",
        "memograd.memo._signature",
        "memograd.memo._methods",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
