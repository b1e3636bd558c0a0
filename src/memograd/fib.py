"""Fibonacci four ways: the lesson's example of memoization, measured.

F(0) = 0, F(1) = 1, F(n) = F(n-1) + F(n-2). (Some lessons start the table at `{0: 1, 1: 1}`,
which gives F(n+1) for `fib(n)`: the same sequence shifted by one index.)

* `naive(n)`: the plain recursion. It makes `naive_calls(n) = 2·F(n+1) − 1` calls: exponential.
* `memo_dict(n)`: the lesson's code, `fib(num, d)` with an explicit dictionary passed along.
* `memoized(n)`: the same recursion under `@memoize`: n + 1 values computed, n − 2 cache hits.
* `bottom_up(n)`: a table filled from 0 upward (no recursion at all).
* `bottom_up_constant_memory(n)`: the same with two variables instead of the table.

`naive` and `memo_dict` recurse through `@memo.traced` functions and `memoized` through a
`@memoize`d one, so `memo.trace()` records their call trees. `measure(method, n)` runs one
method and reports its result, calls, cache hits and seconds.

Example:
    >>> naive(10), memo_dict(10), memoized(10), bottom_up(10), bottom_up_constant_memory(10)
    (55, 55, 55, 55, 55)
    >>> naive_calls(10)
    177
    >>> r = measure("memoized", 10)
    >>> (r.result, r.calls, r.cache_hits)
    (55, 19, 8)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from memograd import memo
from memograd._errors import invalid_type, invalid_value

METHODS: Final = ("naive", "memo-dict", "memoized", "bottom-up", "constant-memory")
"""Method names, as the CLI spells them."""

_IN_PLACE_DEPTH: Final = 250  # memo_dict recursions deeper than this go through memo.run_deep
_LOG2_PHI: Final = math.log2((1 + math.sqrt(5)) / 2)


def _check_n(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise invalid_type("n", "a non-negative integer", n, show_type=True)
    if n < 0:
        raise invalid_value("n", "a non-negative integer", n)  # an int: repr is str
    return n


# --- naive -----------------------------------------------------------------------------


# The recursive functions are built in factories so that each is called `fib` in traces.
def _make_naive() -> Callable[[int], int]:
    @memo.traced
    def fib(n: int) -> int:
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    return fib


_naive_fib = _make_naive()


def naive(n: int) -> int:
    """F(n) by the plain recursion: `naive_calls(n)` calls (about 1.6**n), no storage.

    Example:
        >>> naive(20)
        6765
    """
    return _naive_fib(_check_n(n))


# --- the lesson's dictionary ------------------------------------------------------------


def _make_memo_dict() -> Callable[[int, dict[int, int]], int]:
    @memo.traced
    def fib(num: int, d: dict[int, int]) -> int:
        if num in d:
            return d[num]
        d[num] = fib(num - 1, d) + fib(num - 2, d)
        return d[num]

    return fib


_memo_dict_fib = _make_memo_dict()


def memo_dict(n: int, table: dict[int, int] | None = None) -> int:
    """F(n) with an explicit memo dictionary passed along each call, as the lesson writes it.

    Args:
        n: the index.
        table: the dictionary to fill (default `{0: 0, 1: 1}`); pass one to inspect it after.

    Recursions deeper than a few hundred levels run through `memo.run_deep`, so large `n`
    (100,000 and more) works under default interpreter settings.

    Example:
        >>> d = {0: 0, 1: 1}
        >>> memo_dict(10, d), len(d)
        (55, 11)
    """
    n = _check_n(n)
    d = {0: 0, 1: 1} if table is None else table
    if n - max(d, default=0) > _IN_PLACE_DEPTH:
        return memo.run_deep(_memo_dict_fib, n, d)
    return _memo_dict_fib(n, d)


# --- @memoize ---------------------------------------------------------------------------


def _make_memoized() -> memo.Memoized[[int], int]:
    @memo.memoize
    def fib(n: int) -> int:
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    return fib


_memoized_fib = _make_memoized()


def memoized(n: int) -> int:
    """F(n) by the recursion under `@memoize` (a fresh cache each call, freed after).

    Example:
        >>> memoized(90)
        2880067194370816120
    """
    return _run_memoized(_check_n(n))[0]


def _run_memoized(n: int) -> tuple[int, memo.CacheInfo]:
    _memoized_fib.cache_clear()
    try:
        value = _memoized_fib(n)
        return value, _memoized_fib.cache_info()
    finally:
        _memoized_fib.cache_clear()  # the table of n big integers is not kept alive


# --- bottom-up --------------------------------------------------------------------------


def bottom_up(n: int) -> int:
    """F(n) from a table filled from 0 upward: n − 1 additions, n + 1 stored values.

    Example:
        >>> bottom_up(50)
        12586269025
    """
    n = _check_n(n)
    table = [0, 1] + [0] * max(0, n - 1)
    for k in range(2, n + 1):
        table[k] = table[k - 1] + table[k - 2]
    return table[n]


def bottom_up_constant_memory(n: int) -> int:
    """F(n) keeping only the last two values: the table reduced to two variables.

    Example:
        >>> bottom_up_constant_memory(50)
        12586269025
    """
    n = _check_n(n)
    previous, current = 1, 0  # F(-1), F(0)
    for _ in range(n):
        previous, current = current, previous + current
    return current


# --- counts -----------------------------------------------------------------------------


def _pair(n: int) -> tuple[int, int]:
    """(F(n), F(n+1)) by fast doubling: O(log n) multiplications."""
    if n == 0:
        return 0, 1
    a, b = _pair(n >> 1)
    c = a * (2 * b - a)  # F(2k)
    d = a * a + b * b  # F(2k + 1)
    return (d, c + d) if n & 1 else (c, d)


def naive_calls(n: int) -> int:
    """Number of calls naive fib(n) makes: 2·F(n+1) − 1, computed without running it.

    (c(0) = c(1) = 1 and c(n) = 1 + c(n−1) + c(n−2) give c(n) + 1 = 2·F(n+1).)

    Example:
        >>> [naive_calls(n) for n in range(6)]
        [1, 1, 3, 5, 9, 15]
    """
    return 2 * _pair(_check_n(n))[1] - 1


def digit_count(value: int) -> int:
    """Decimal digits of a non-negative integer, without converting it to a string.

    Example:
        >>> digit_count(0), digit_count(9), digit_count(10), digit_count(10**400)
        (1, 1, 2, 401)
    """
    if value < 10:
        return 1
    digits = int((value.bit_length() - 1) * math.log10(2))  # 10**digits <= value
    while value >= 10 ** (digits + 1):
        digits += 1
    while value < 10**digits:
        digits -= 1
    return digits + 1


def fib_digits(n: int) -> int:
    """Decimal digits of F(n), estimated as n·log10(φ) (about 0.209·n), for size checks."""
    return max(1, int(_check_n(n) * _LOG2_PHI * math.log10(2)) + 1)


def table_bytes(n: int) -> int:
    """Estimated memory of a table holding F(0) … F(n) (Python ints plus a dict entry each).

    F(k) has about 0.694·k bits; a Python int takes 28 bytes plus 4 per 30 bits.
    """
    n = _check_n(n)
    per_entry = 28 + 100  # int header + a dict entry / list slot, rounded up
    digit_words = _LOG2_PHI * n * (n + 1) / 2 / 30  # Σ bits(F(k)) / 30
    return int(per_entry * (n + 1) + 4 * digit_words)


# --- measuring --------------------------------------------------------------------------


@dataclass(frozen=True)
class FibRun:
    """One method's run: `calls` of the recursive function (1 for the loops) and
    `cache_hits`, values taken from the memo table instead of computed again."""

    method: str
    n: int
    result: int
    calls: int
    cache_hits: int
    seconds: float


def measure(method: str, n: int) -> FibRun:
    """Run one method on `n` and count its calls and cache hits.

    How each count is obtained: `naive` makes `naive_calls(n)` calls (exact, by the
    recurrence; its tree is checked against `memo.trace()` in the tests); `memo-dict` counts
    from the filled dictionary (each computed entry made two calls, plus the first call; the
    calls not computing were hits); `memoized` reads `cache_info()`; the loops are one call
    each; bottom-up's hits are its table reads, F(k−1) and F(k−2) for every k ≥ 2, and the
    two-variable loop has no table (0 hits).

    Example:
        >>> measure("memo-dict", 10).calls
        19
    """
    n = _check_n(n)
    if method not in METHODS:
        raise invalid_value("method", f"one of {', '.join(METHODS)}", method)
    start = time.perf_counter()
    if method == "naive":
        value = naive(n)
        seconds = time.perf_counter() - start
        return FibRun(method, n, value, naive_calls(n), 0, seconds)
    if method == "memo-dict":
        table = {0: 0, 1: 1}
        value = memo_dict(n, table)
        seconds = time.perf_counter() - start
        computed = len(table) - 2
        calls = 2 * computed + 1
        return FibRun(method, n, value, calls, calls - computed, seconds)
    if method == "memoized":
        value, info = _run_memoized(n)
        seconds = time.perf_counter() - start
        return FibRun(method, n, value, info.hits + info.misses, info.hits, seconds)
    loop: Callable[[int], int] = bottom_up if method == "bottom-up" else bottom_up_constant_memory
    value = loop(n)
    seconds = time.perf_counter() - start
    # The table is read twice per k >= 2; the two-variable loop keeps no table.
    hits = 2 * max(0, n - 1) if method == "bottom-up" else 0
    return FibRun(method, n, value, 1, hits, seconds)


def predict_naive_seconds(n: int, calibration_n: int = 20, repeats: int = 3) -> float:
    """Predicted time of `naive(n)`: seconds per call timed on a small `naive(calibration_n)`
    (best of `repeats`) times `naive_calls(n)`.

    Example:
        >>> predict_naive_seconds(40) > predict_naive_seconds(30)
        True
    """
    n = _check_n(n)
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        naive(calibration_n)
        best = min(best, time.perf_counter() - start)
    return best / naive_calls(calibration_n) * naive_calls(n)
