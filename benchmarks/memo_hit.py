"""Cost of a cache hit: `@memoize` next to `functools.cache` / `lru_cache`, same run.

Each case times `f(args)` on arguments already cached, `--number` calls per repeat; the
contenders alternate repeat by repeat so machine drift hits both alike. Reported: median
nanoseconds per call over the repeats (the timing loop's own overhead is included in both)
and the ratio memoize / functools.

The rows: one int argument, an int and a str, a bounded cache hit on the same key (already
the most recent) and on two keys in turn (each hit reorders), a `*args` function, then
arguments that are not ints or strs: a float (still looked up without `hash()`), a tuple
and a frozen dataclass (hashed once by `hash()`, see `memograd/memo/_wrappers.py`).

The last row is a floor, not a contender: the least a Python-level wrapper can do on a hit
(`def f(n): r = get(n, MISS); if r is MISS: ...; return r`, no statistics, no trace check)
next to `functools.cache`, whose hit path is C. `@memoize` adds to that floor its hit
counter and the handling of unhashable arguments.

Run:
    python -m benchmarks.memo_hit            # or: python benchmarks/memo_hit.py
    python -m benchmarks.memo_hit --json
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import statistics
import sys
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from memograd.memo import memoize


@dataclass(frozen=True)
class _Point:
    x: int
    y: int


Case = tuple[str, str, Callable[..., Any], Callable[..., Any], list[tuple[Any, ...]]]


def _cases() -> list[Case]:
    def one(n: int) -> int:
        return n

    def two(a: int, b: str) -> int:
        return a

    def star(*args: Any) -> int:
        return 0

    def anything(x: Any) -> Any:
        return x

    table: dict[Any, Any] = {}
    get = table.get
    miss = object()

    def floor(n: int) -> int:
        r = get(n, miss)
        if r is miss:
            r = table[n] = one(n)
        return r

    lru = functools.lru_cache
    return [
        ("f(n) unbounded", "functools.cache", memoize(one), functools.cache(one), [(12345,)]),
        ("f(a, b) unbounded", "functools.cache", memoize(two), functools.cache(two), [(7, "x")]),
        (
            "f(n) maxsize=128",
            "lru_cache(128)",
            memoize(maxsize=128)(one),
            lru(maxsize=128)(one),
            [(12345,)],
        ),
        (
            "f(n) maxsize=128, 2 keys",
            "lru_cache(128)",
            memoize(maxsize=128)(one),
            lru(maxsize=128)(one),
            [(12345,), (678,)],
        ),
        (
            "f(*args) generic path",
            "functools.cache",
            memoize(star),
            functools.cache(star),
            [(1, 2)],
        ),
        ("f(x) float", "functools.cache", memoize(anything), functools.cache(anything), [(0.5,)]),
        (
            "f(t) tuple",
            "functools.cache",
            memoize(anything),
            functools.cache(anything),
            [((3, 4),)],
        ),
        (
            "f(p) frozen dataclass",
            "functools.cache",
            memoize(anything),
            functools.cache(anything),
            [(_Point(3, 4),)],
        ),
        ("floor: bare wrapper", "functools.cache", floor, functools.cache(one), [(12345,)]),
    ]


def _time_per_call(func: Callable[..., Any], calls: list[tuple[Any, ...]], number: int) -> float:
    names = {"f": func}
    statement = []
    for i, args in enumerate(calls):
        arg_names = [f"a{i}_{j}" for j in range(len(args))]
        names.update(zip(arg_names, args, strict=True))
        statement.append(f"f({', '.join(arg_names)})")
    timer = timeit.Timer("; ".join(statement), globals=names)
    return timer.timeit(number) / (number * len(calls))


def measure(repeats: int = 15, number: int = 200_000) -> dict[str, Any]:
    """Median seconds per hit for each case and contender, and their ratios."""
    rows = []
    for name, peer_name, ours, peer, calls in _cases():
        for args in calls:
            ours(*args)
            peer(*args)  # fill both caches: every timed call is a hit
        ours_times: list[float] = []
        peer_times: list[float] = []
        for _ in range(repeats):
            ours_times.append(_time_per_call(ours, calls, number))
            peer_times.append(_time_per_call(peer, calls, number))
        ours_ns = statistics.median(ours_times) * 1e9
        peer_ns = statistics.median(peer_times) * 1e9
        rows.append(
            {
                "case": name,
                "peer": peer_name,
                "memoize_ns": round(ours_ns, 1),
                "peer_ns": round(peer_ns, 1),
                "ratio": round(ours_ns / peer_ns, 2),
                "hits_counted": getattr(ours, "cache_info", lambda: None)(),
            }
        )
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "repeats": repeats,
        "calls_per_repeat": number,
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--number", type=int, default=200_000, help="calls per repeat")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    options = parser.parse_args(argv)
    result = measure(options.repeats, options.number)
    if options.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    print(
        f"Cost per cache hit, median of {result['repeats']} x {result['calls_per_repeat']:,} "
        f"calls, Python {result['python']} ({result['machine']})"
    )
    print(f"{'case':<26}{'peer':<18}{'memoize':>10}{'peer':>10}{'ratio':>8}")
    for row in result["rows"]:
        print(
            f"{row['case']:<26}{row['peer']:<18}{row['memoize_ns']:>8.1f}ns"
            f"{row['peer_ns']:>8.1f}ns{row['ratio']:>7.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
