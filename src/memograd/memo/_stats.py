"""Hit and miss counters of a memoized function, exact under concurrent use without a lock.

Hits on a wrapper's fast path are counted with `hits += 1` on a closure variable: on CPython
with the GIL, a thread switch happens only where the interpreter checks its "eval breaker"
(function entry, backward jumps, the end of a call). Loading, adding and storing an int
contains none of these, so no increment is lost (the concurrency tests check it with 8
threads). Other counts use `itertools.count`, whose `next()` is one C call. A free-threaded
(no-GIL) build could lose fast-path increments; nothing else depends on them.
`cache_clear()` records the counts as a new zero (the wrappers keep their counters).

Example:
    >>> stats = Stats()
    >>> stats.hit(); stats.miss(); stats.miss()
    0
    0
    1
    >>> stats.hits, stats.misses
    (1, 2)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import NamedTuple


class CacheInfo(NamedTuple):
    """Statistics of a memoized function, as `functools.lru_cache` reports them."""

    hits: int
    misses: int
    maxsize: int | None
    currsize: int


def _count_value(counter: itertools.count[int]) -> int:
    # repr is "count(N)"; reading it does not advance the counter.
    return int(repr(counter)[6:-1])


class Stats:
    """Hit and miss counters (see the module doc for why they need no lock)."""

    __slots__ = (
        "_fast_hits",
        "_hit_counter",
        "_hits_zero",
        "_miss_counter",
        "_misses_zero",
        "hit",
        "miss",
    )

    def __init__(self) -> None:
        self._hit_counter = itertools.count()
        self._miss_counter = itertools.count()
        self.hit = self._hit_counter.__next__
        self.miss = self._miss_counter.__next__
        self._fast_hits: list[Callable[[], int]] = []
        self._hits_zero = 0
        self._misses_zero = 0

    def add_fast_hits(self, read: Callable[[], int]) -> None:
        """Include the hits a wrapper counts itself (`read` returns its running total)."""
        self._fast_hits.append(read)

    def _all_hits(self) -> int:
        return _count_value(self._hit_counter) + sum(read() for read in self._fast_hits)

    @property
    def hits(self) -> int:
        return self._all_hits() - self._hits_zero

    @property
    def misses(self) -> int:
        return _count_value(self._miss_counter) - self._misses_zero

    def reset(self) -> None:
        self._hits_zero = self._all_hits()
        self._misses_zero = _count_value(self._miss_counter)
