"""The cache behind `@memoize`: storage, LRU order, statistics and one computation per key.

Thread safety, and why the hit path takes no lock:

* An unbounded cache is a plain `dict`. Entries are only added (under the lock) or cleared;
  a hit is one `dict.get`, a single C call that the GIL makes atomic, so a reader sees an
  entry either absent (and takes the locked miss path) or complete.
* A bounded (LRU) cache is an `OrderedDict`. A hit is `get` then `move_to_end`, two C calls
  without a lock; if another thread evicts the key in between, `move_to_end` raises KeyError,
  which is ignored (the value read is still the right one). Inserting and evicting happen
  under the lock.
* Counters are `itertools.count` objects: `next()` is one C call, atomic under the GIL, so
  hits counted from many threads without a lock stay exact. `cache_clear()` records the
  counters' values as a new zero instead of replacing them (wrappers hold them in closures).
* A miss takes the lock, looks again, and either registers itself as the key's owner or
  finds another thread computing the same key and waits for it (one computation per key).
  The owner stores the result and wakes the waiters, or hands them its exception (which is
  not cached). A waiter's result counts as a hit, a waiter's exception as a miss, so
  `hits + misses` is always the number of calls.

Example:
    >>> store = Store(None, Stats(), "f", lambda n: n * n)
    >>> store.lookup(3, (3,), None), store.lookup(3, (3,), None)
    (9, 9)
    >>> store.info()
    CacheInfo(hits=1, misses=1, maxsize=None, currsize=1)
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, NamedTuple

from memograd.memo import _deep, _trace
from memograd.memo._keys import MISS

_get_ident = threading.get_ident
_STATE = _trace.STATE
_LOCAL = _deep.LOCAL
_IN_PLACE = _deep.IN_PLACE
_OUTSIDE = _deep.OUTSIDE


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
    """Hit and miss counters, exact under concurrent use without a lock (see module doc)."""

    __slots__ = ("_hit_counter", "_hits_zero", "_miss_counter", "_misses_zero", "hit", "miss")

    def __init__(self) -> None:
        self._hit_counter = itertools.count()
        self._miss_counter = itertools.count()
        self.hit = self._hit_counter.__next__
        self.miss = self._miss_counter.__next__
        self._hits_zero = 0
        self._misses_zero = 0

    @property
    def hits(self) -> int:
        return _count_value(self._hit_counter) - self._hits_zero

    @property
    def misses(self) -> int:
        return _count_value(self._miss_counter) - self._misses_zero

    def reset(self) -> None:
        self._hits_zero = _count_value(self._hit_counter)
        self._misses_zero = _count_value(self._miss_counter)


class _Pending:
    """A computation in progress: waiters block on `done` until the owner releases it."""

    __slots__ = ("done", "error", "owner", "result")

    def __init__(self, owner: int) -> None:
        self.done = threading.Lock()
        self.done.acquire()
        self.owner = owner
        self.result: Any = None
        self.error: BaseException | None = None


def _no_fallback(args: tuple[Any, ...], kwargs: dict[str, Any] | None) -> Any:
    raise AssertionError("a wrapper passed key=MISS without a content-key fallback")


class Store:
    """One cache: `dict` (unbounded) or LRU `OrderedDict` (bounded), with its computations.

    Args:
        maxsize: None for unbounded, 0 for no storage (calls still counted), else the bound.
        stats: the counters (shared by the per-instance stores of a memoized method).
        name: the function's name, for `trace()` nodes.
        func: the function computing a missing value.
    """

    __slots__ = (
        "data",
        "func",
        "get",
        "inflight",
        "lock",
        "maxsize",
        "name",
        "stats",
        "touch",
        "unhashable",
    )

    def __init__(
        self, maxsize: int | None, stats: Stats, name: str, func: Callable[..., Any]
    ) -> None:
        self.maxsize = maxsize
        self.data: dict[Hashable, Any] = {} if maxsize is None else OrderedDict()
        self.stats = stats
        self.name = name
        self.func = func
        self.lock = threading.Lock()
        self.inflight: dict[Hashable, _Pending] = {}
        # The hit path: a lock-free `get`, then for a bounded cache `touch` marks the key as
        # most recently used (None when unbounded).
        self.get: Callable[[Hashable, Any], Any] = self.data.get
        self.touch: Callable[[Hashable], None] | None = (
            None if maxsize is None else self.data.move_to_end  # type: ignore[attr-defined]
        )
        # Called by `compute` for key=MISS: a fast path found the arguments unhashable and
        # leaves it to its wrapper to build a content key (outside its `except` block, so the
        # function's own exceptions are not chained to that TypeError).
        self.unhashable: Callable[[tuple[Any, ...], dict[str, Any] | None], Any] = _no_fallback

    def __len__(self) -> int:
        return len(self.data)

    def info(self) -> CacheInfo:
        return CacheInfo(self.stats.hits, self.stats.misses, self.maxsize, len(self.data))

    def clear(self) -> None:
        with self.lock:
            self.data.clear()

    def lookup(self, key: Hashable, args: tuple[Any, ...], kwargs: dict[str, Any] | None) -> Any:
        """The value for `key`, computing `func(*args, **kwargs)` on a miss."""
        result = self.get(key, MISS)
        if result is MISS:
            return self.compute(key, args, kwargs)
        if self.touch is not None:
            try:  # noqa: SIM105 (contextlib.suppress costs a Python-level call on every hit)
                self.touch(key)
            except KeyError:  # evicted by another thread since the get: still a valid hit
                pass
        self.stats.hit()
        if _STATE.active:
            _trace.leaf(self.name, args, kwargs, result)
        return result

    def traced_hit(self, args: tuple[Any, ...], kwargs: dict[str, Any] | None, result: Any) -> Any:
        """Count a hit found by a wrapper's fast path while a trace is active, and record it."""
        self.stats.hit()
        _trace.leaf(self.name, args, kwargs, result)
        return result

    def compute(self, key: Hashable, args: tuple[Any, ...], kwargs: dict[str, Any] | None) -> Any:
        """The miss path: one computation per key across threads, deep-recursion retry.

        Only C-level operations run between the call and the release of waiters, so an
        exception raised near the recursion limit still cleans up (see `_deep`).
        """
        if key is MISS:
            return self.unhashable(args, kwargs)
        ident = _get_ident()
        stats = self.stats
        pending: _Pending | None = None
        if self.maxsize != 0:
            data = self.data
            lock = self.lock
            while True:
                with lock:
                    result = data.get(key, MISS)
                    if result is MISS:
                        pending = self.inflight.get(key)
                        if pending is None:
                            pending = self.inflight[key] = _Pending(ident)
                            break
                        if pending.owner == ident:
                            # The key calls itself in this thread (a cycle): waiting would
                            # deadlock, so compute without caching, as the bare function would.
                            pending = None
                            break
                    elif self.maxsize is not None:
                        data.move_to_end(key)  # type: ignore[attr-defined]
                if result is not MISS:
                    stats.hit()
                    if _STATE.active:
                        _trace.leaf(self.name, args, kwargs, result)
                    return result
                # Another thread computes this key: wait for it.
                waited = pending
                assert waited is not None
                waited.done.acquire()
                waited.done.release()
                if waited.error is None:
                    stats.hit()
                    if _STATE.active:
                        _trace.leaf(self.name, args, kwargs, waited.result)
                    return waited.result
                if not isinstance(waited.error, RecursionError):
                    stats.miss()
                    raise waited.error
                # The owner ran out of stack and retries deeper: look again.

        local = _LOCAL
        mode = local.mode
        outermost = mode == _OUTSIDE
        if outermost:
            local.mode = _IN_PLACE
            local.levels = 0
            _deep.enter()
        token = _trace.begin(self.name, args, kwargs) if _STATE.active else None
        func = self.func
        levels = 0
        try:
            if mode == _IN_PLACE:
                levels = local.levels + 1
                if levels > _deep.IN_PLACE_LEVELS:
                    raise RecursionError("too many nested memoized calls to run in place")
                local.levels = levels
            if kwargs:
                result = func(*args, **kwargs)
            else:
                # A plain call keeps a recursion through the wrapper free of C recursion.
                n = len(args)
                if n == 1:
                    result = func(args[0])
                elif n == 2:
                    result = func(args[0], args[1])
                elif n == 3:
                    result = func(args[0], args[1], args[2])
                elif n == 0:
                    result = func()
                else:
                    result = func(*args)
        except BaseException as error:
            if levels:
                local.levels = levels - 1
            if pending is not None:
                del self.inflight[key]
                pending.error = error
                pending.done.release()
            recursion = isinstance(error, RecursionError)
            # Inside an in-place attempt a RecursionError is retried by the outermost call,
            # which computes this key again: count it then, not now.
            if not (recursion and (outermost or mode == _IN_PLACE)):
                stats.miss()
            if token is not None:
                if outermost and recursion:
                    _trace.discard(token)
                else:
                    _trace.fail(token, error)
            if outermost:
                local.mode = _OUTSIDE
                try:
                    if recursion:
                        return _deep.run_deep(self.compute, key, args, kwargs)
                finally:
                    _deep.leave()
            raise
        if levels:
            local.levels = levels - 1
        if pending is not None:
            if self.maxsize is None:
                self.data[key] = result
            else:
                with self.lock:
                    data = self.data
                    data[key] = result
                    if len(data) > self.maxsize:
                        data.popitem(last=False)  # type: ignore[call-arg]
            del self.inflight[key]
            pending.result = result
            pending.done.release()
        stats.miss()
        if outermost:
            local.mode = _OUTSIDE
            _deep.leave()
        if token is not None:
            _trace.end(token, result)
        return result
