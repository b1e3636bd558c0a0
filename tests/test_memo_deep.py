"""Deep recursion through `@memoize` under default interpreter settings."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading

import pytest

from memograd.memo import DEEP_RECURSION_LIMIT, _deep, memoize, run_deep, trace


def _fib_iterative(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def test_fib_100_000_in_a_fresh_interpreter() -> None:
    script = textwrap.dedent(
        """
        import json, sys, threading
        limit_before = sys.getrecursionlimit()
        import memograd as mg

        @mg.memoize
        def fib(n):
            return n if n < 2 else fib(n - 1) + fib(n - 2)

        value = fib(100_000)
        print(json.dumps({
            "limit_before": limit_before,
            "limit_after": sys.getrecursionlimit(),
            "stack_size_after": threading.stack_size(),
            "info": list(fib.cache_info()),
            "hex": hex(value),  # decimal str() of 20,899 digits is refused by default
            "threads": threading.active_count(),
        }))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    expected = _fib_iterative(100_000)
    assert out["limit_before"] == 1000  # default settings
    assert out["limit_after"] == out["limit_before"]  # restored
    assert out["stack_size_after"] == 0  # default thread stack size restored
    assert int(out["hex"], 16) == expected
    hits, misses, maxsize, currsize = out["info"]
    assert (misses, currsize, maxsize) == (100_001, 100_001, None)
    # As for any n: n + 1 values computed once, n - 2 hits. The aborted first attempt only
    # descended (no hits) and its unfinished computations are not counted.
    assert hits == 100_000 - 2
    assert out["threads"] == 1  # the helper thread is gone


def test_deep_recursion_in_process_restores_limit() -> None:
    @memoize
    def depth(n: int) -> int:
        return 0 if n == 0 else 1 + depth(n - 1)

    before = sys.getrecursionlimit()
    assert depth(20_000) == 20_000
    assert sys.getrecursionlimit() == before
    assert depth.cache_info().currsize == 20_001


def test_run_deep_reraises_and_restores() -> None:
    def boom(n: int) -> int:
        if n == 0:
            raise KeyError("bottom")
        return boom(n - 1)

    before = sys.getrecursionlimit()
    with pytest.raises(KeyError, match="bottom"):
        run_deep(boom, 10_000)
    assert sys.getrecursionlimit() == before


def test_infinite_recursion_still_raises_recursion_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_deep, "DEEP_RECURSION_LIMIT", 60_000)  # fail fast

    @memoize
    def forever(n: int) -> int:
        return forever(n + 1)

    before = sys.getrecursionlimit()
    with pytest.raises(RecursionError):
        forever(0)
    assert sys.getrecursionlimit() == before
    assert before < DEEP_RECURSION_LIMIT
    assert forever.cache_info().currsize == 0


def test_concurrent_deep_runs_keep_the_limit_consistent() -> None:
    @memoize
    def depth(n: int) -> int:
        return 0 if n == 0 else 1 + depth(n - 1)

    @memoize
    def other(n: int) -> int:
        return 0 if n == 0 else 1 + other(n - 1)

    before = sys.getrecursionlimit()
    results: dict[str, int] = {}

    def run(name: str, f: object, n: int) -> None:
        results[name] = f(n)  # type: ignore[operator]

    threads = [
        threading.Thread(target=run, args=("a", depth, 30_000)),
        threading.Thread(target=run, args=("b", other, 25_000)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results == {"a": 30_000, "b": 25_000}
    assert sys.getrecursionlimit() == before


def test_deep_call_is_traced_under_the_caller() -> None:
    @memoize
    def depth(n: int) -> int:
        return 0 if n == 0 else 1 + depth(n - 1)

    with trace() as t:
        assert depth(3_000) == 3_000
    # The aborted in-place attempt is discarded; the deep run is recorded once.
    assert len(t.roots) == 1
    assert t.calls == 3_001
    assert t.hits == 0
    assert t.roots[0].args == (3_000,)


def test_limit_is_restored_only_after_every_outermost_computation() -> None:
    # Thread A's deep run raises the interpreter-wide limit; meanwhile thread B recurses in
    # place past the default depth. A ends first: lowering the limit under B would make
    # CPython 3.11 abort ("Cannot recover from stack overflow"), so it must wait for B.
    script = textwrap.dedent(
        """
        import sys, threading
        import memograd as mg
        a_bottom, b_deep, a_done = threading.Event(), threading.Event(), threading.Event()

        @mg.memoize
        def depth_a(n):
            if n == 0:
                a_bottom.set()
                b_deep.wait(60)
                return 0
            return 1 + depth_a(n - 1)

        @mg.memoize
        def depth_b(n):
            if n == 0:
                b_deep.set()
                a_done.wait(60)
                return 0
            return 1 + depth_b(n - 1)

        out = {}
        def a():
            out["a"] = depth_a(30_000)
        def b():
            a_bottom.wait(60)
            out["b"] = depth_b(1_500)
        ta, tb = threading.Thread(target=a), threading.Thread(target=b)
        ta.start(); tb.start(); ta.join()
        while_b_runs = sys.getrecursionlimit()
        a_done.set(); tb.join()
        print(out["a"], out["b"], while_b_runs > 1000, sys.getrecursionlimit())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-1500:]
    assert done.stdout.split() == ["30000", "1500", "True", "1000"]
