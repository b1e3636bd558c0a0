"""`@memoize` under concurrent callers: one computation per key, exact statistics."""

from __future__ import annotations

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
