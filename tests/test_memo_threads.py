"""`@memoize` under concurrent callers: one computation per key, exact statistics."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from typing import Any

import pytest

from memograd.memo import CacheInfo, memoize

THREADS = 8


def _run_all(target: Any, count: int = THREADS) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            target()
        except BaseException as error:  # collected and checked by the test
            errors.append(error)

    threads = [threading.Thread(target=guarded) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "a thread is stuck (deadlock?)"
    return errors


@pytest.mark.parametrize("maxsize", [None, 64])
def test_one_computation_per_key_and_exact_stats(maxsize: int | None) -> None:
    keys = list(range(20))
    computed: Counter[int] = Counter()
    count_lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    @memoize(maxsize=maxsize)
    def slow_square(x: int) -> int:
        with count_lock:
            computed[x] += 1
        time.sleep(0.002)  # widen the window in which other threads ask for the same key
        return x * x

    results: list[list[int]] = []

    def worker() -> None:
        barrier.wait()
        mine = [slow_square(k) for k in keys]
        mine += [slow_square(k) for k in reversed(keys)]
        results.append(mine)

    assert _run_all(worker) == []
    expected = [k * k for k in keys] + [k * k for k in reversed(keys)]
    assert results == [expected] * THREADS
    assert computed == Counter(dict.fromkeys(keys, 1))
    calls = THREADS * 2 * len(keys)
    assert slow_square.cache_info() == CacheInfo(
        hits=calls - len(keys), misses=len(keys), maxsize=maxsize, currsize=len(keys)
    )


def test_hits_are_counted_exactly_without_lock() -> None:
    @memoize
    def ident(x: int) -> int:
        return x

    ident(1)
    per_thread = 20_000
    barrier = threading.Barrier(THREADS)

    def worker() -> None:
        barrier.wait()
        for _ in range(per_thread):
            ident(1)

    assert _run_all(worker) == []
    assert ident.cache_info().hits == THREADS * per_thread
    assert ident.cache_info().misses == 1


def test_exception_reaches_every_waiter_and_is_not_cached() -> None:
    started = threading.Event()
    release = threading.Event()
    attempts: list[int] = []

    @memoize
    def fails(x: int) -> int:
        attempts.append(x)
        started.set()
        release.wait(timeout=30)
        raise ValueError(f"cannot compute {x}")

    arrived = threading.Semaphore(0)

    def worker() -> None:
        arrived.release()
        fails(3)

    def releaser() -> None:
        started.wait(timeout=30)
        for _ in range(THREADS):
            arrived.acquire(timeout=30)
        # Every worker has made its call; give the last ones time to block on the owner.
        time.sleep(0.3)
        release.set()

    helper = threading.Thread(target=releaser)
    helper.start()
    errors = _run_all(worker)
    helper.join()
    assert len(errors) == THREADS
    assert all(isinstance(e, ValueError) and str(e) == "cannot compute 3" for e in errors)
    assert attempts == [3]  # one computation; its error went to all waiters
    info = fails.cache_info()
    assert info.currsize == 0
    assert info.hits + info.misses == THREADS
    # The next call computes again (the exception was not cached).
    release.set()
    with pytest.raises(ValueError):
        fails(3)
    assert attempts == [3, 3]


# --- Keys whose __hash__/__eq__ run Python code (issue 12) -------------------------------

_STRESS = textwrap.dedent(
    """
    import json, random, sys, threading, time
    from memograd.memo import memoize

    THREADS, CALLS, VALUES = 8, 1500, 40
    maxsize = None if sys.argv[1] == "none" else int(sys.argv[1])
    raising = sys.argv[2] == "raising"
    comparisons = [0]

    class Key:
        # Python-level hash with many collisions (chains), and an __eq__ that lets other
        # threads run mid-comparison. If `raising`, value 13 fails a few of its comparisons.
        __slots__ = ("value",)

        def __init__(self, value):
            self.value = value

        def __hash__(self):
            return self.value % 7

        def __eq__(self, other):
            time.sleep(0)
            if raising and 13 in (self.value, getattr(other, "value", None)):
                comparisons[0] += 1
                if comparisons[0] % 50 == 1:
                    raise LookupError("comparison failed")
            return isinstance(other, Key) and self.value == other.value

    computed = [0] * VALUES
    lock = threading.Lock()

    @memoize(maxsize=maxsize)
    def double(key):
        with lock:
            computed[key.value] += 1
        time.sleep(0)
        return 2 * key.value

    wrong, failed, errors = [], [0], []
    barrier = threading.Barrier(THREADS)

    def worker(seed):
        try:
            rnd = random.Random(seed)
            barrier.wait()
            for _ in range(CALLS):
                value = rnd.randrange(VALUES)
                try:
                    result = double(Key(value))
                except LookupError:
                    with lock:
                        failed[0] += 1
                    continue
                if result != 2 * value:
                    wrong.append((value, result))
        except BaseException as error:
            errors.append(repr(error))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    info = double.cache_info()
    print(json.dumps({"info": list(info), "calls": THREADS * CALLS, "failed": failed[0],
                      "wrong": wrong[:5], "errors": errors[:5], "computed": computed}))
    """
)


@pytest.mark.parametrize("comparisons", ["plain", "raising"])
@pytest.mark.parametrize("maxsize", ["16", "none"])
def test_python_level_keys_under_8_threads_in_a_subprocess(maxsize: str, comparisons: str) -> None:
    """The cache survives keys whose hash and == run Python code (and sometimes raise).

    In a subprocess: a crash ("Fatal Python error: Segmentation fault") or a hang fails this
    test instead of killing pytest.
    """
    command = [sys.executable, "-c", _STRESS, maxsize, comparisons]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        done = None
    if done is None:
        pytest.fail("the threads did not finish in 120 s: a key stayed in flight (hang)")
    assert done.returncode == 0, f"exit code {done.returncode}: {done.stderr[-2000:]}"
    out = json.loads(done.stdout)
    assert out["errors"] == [] and out["wrong"] == []
    hits, misses, size, currsize = out["info"]
    assert hits + misses == out["calls"]  # every call counted once, failed ones as misses
    assert (out["failed"] > 0) == (comparisons == "raising")
    assert sum(out["computed"]) <= misses
    if maxsize == "none":
        assert size is None
        assert out["computed"] == [1] * 40  # one computation per key
        assert currsize == 40
    else:
        assert size == 16
        assert currsize == 16


def _call_in_thread(func: Any, *args: Any) -> Any:
    """`func(*args)` in another thread; fails the test if it does not return (a hang)."""
    outcome: list[Any] = []
    thread = threading.Thread(target=lambda: outcome.append(func(*args)), daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the call never returned: the key stayed in flight"
    return outcome[0]


class _Armed:
    """A key colliding with every other `_Armed`; once armed, comparing it raises."""

    def __init__(self, value: int, error: type[BaseException]) -> None:
        self.value = value
        self.error = error
        self.armed = False

    def __hash__(self) -> int:
        return 1

    def __eq__(self, other: object) -> bool:
        if self.armed or getattr(other, "armed", False):
            raise self.error("comparison while storing")
        return isinstance(other, _Armed) and other.value == self.value


@pytest.mark.parametrize("error", [LookupError, KeyboardInterrupt])
@pytest.mark.parametrize("maxsize", [None, 8])
def test_comparison_raising_while_storing_does_not_strand_the_key(
    maxsize: int | None, error: type[BaseException]
) -> None:
    # Storing the result of `times_ten(second)` compares it with `first` (same hash). The
    # function arms `second` first, so such a comparison raises (as an `__eq__` failing, or a
    # KeyboardInterrupt arriving, at that moment would).
    @memoize(maxsize=maxsize)
    def times_ten(key: _Armed) -> int:
        if key.value == 2:
            key.armed = True
        return key.value * 10

    first, second = _Armed(1, error), _Armed(2, error)
    assert times_ten(first) == 10
    with contextlib.suppress(error):  # failing is allowed; leaving the key in flight is not
        times_ten(second)
    second.armed = False
    assert _call_in_thread(times_ten, _Armed(2, error)) == 20
    info = times_ten.cache_info()
    assert info.hits + info.misses == 3


def _waiting(func: Any, key: Any) -> bool:
    """Whether another thread waits for `func`'s computation of `key` (internals)."""
    from memograd.memo._cache import DONE, KEY

    store = func.__globals__["_mg_find"].__self__
    return any(
        entry[KEY] == key and entry[DONE] is not None for entry in list(store.inflight.values())
    )


def test_interrupted_owner_lets_a_waiter_compute() -> None:
    attempts: list[int] = []
    results: list[int] = []

    @memoize
    def slow_double(x: int) -> int:
        attempts.append(x)
        if len(attempts) == 1:  # the owner: start a second caller, let it wait, fail
            waiter.start()
            deadline = time.monotonic() + 30
            while not _waiting(slow_double, x) and time.monotonic() < deadline:
                time.sleep(0.001)
            raise KeyboardInterrupt
        return 2 * x

    waiter = threading.Thread(target=lambda: results.append(slow_double(5)), daemon=True)
    with pytest.raises(KeyboardInterrupt):
        slow_double(5)
    waiter.join(timeout=30)
    assert not waiter.is_alive()
    # The interrupt was the owner's: the waiter was not interrupted, it computed instead.
    assert results == [10]
    assert attempts == [5, 5]
    assert slow_double.cache_info() == CacheInfo(hits=0, misses=2, maxsize=None, currsize=1)
    assert slow_double(5) == 10
    assert slow_double.cache_info().hits == 1


def test_interrupt_after_storing_keeps_the_result_and_the_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from memograd.memo._cache import Store

    @memoize(maxsize=1)
    def square(x: int) -> int:
        return x * x

    assert square(2) == 4

    def interrupted(self: Store) -> None:
        raise KeyboardInterrupt  # arrives after the result is stored, before eviction

    with monkeypatch.context() as patch:
        patch.setattr(Store, "_evict", interrupted)
        with pytest.raises(KeyboardInterrupt):
            square(3)
    assert _call_in_thread(square, 3) == 9  # stored, not stranded in flight
    assert square.cache_info() == CacheInfo(hits=1, misses=2, maxsize=1, currsize=2)
    assert square(4) == 16  # the next store evicts back down to maxsize
    assert square.cache_info() == CacheInfo(hits=1, misses=3, maxsize=1, currsize=1)


def test_comparison_raising_in_a_lookup_counts_the_call() -> None:
    @memoize(maxsize=4)
    def ident(key: _Armed) -> int:
        return key.value

    stored = _Armed(1, LookupError)
    assert ident(stored) == 1
    probe = _Armed(2, LookupError)
    probe.armed = True
    with pytest.raises(LookupError):
        ident(probe)  # compared with `stored` (same hash) on the way in
    probe.armed = False
    assert _call_in_thread(ident, probe) == 2
    info = ident.cache_info()
    assert (info.hits, info.misses, info.currsize) == (0, 3, 2)
