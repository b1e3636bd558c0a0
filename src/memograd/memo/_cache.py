"""The cache behind `@memoize`: storage, LRU order, statistics and one computation per key.

Thread safety, and why the hit path takes no lock:

* An unbounded cache is a plain `dict`. Entries are only added (under the lock) or cleared;
  a hit is one `dict.get`, a single C call that the GIL makes atomic, so a reader sees an
  entry either absent (and takes the locked miss path) or complete.
* A bounded (LRU) cache is an `OrderedDict`. A hit is `get` then `move_to_end`, two C calls
  without a lock; if another thread evicts the key in between, `move_to_end` raises KeyError,
  which is ignored (the value read is still the right one). Inserting and evicting happen
  under the lock.
* Hits on a wrapper's fast path are counted with `hits += 1` on a closure variable: on
  CPython with the GIL, a thread switch happens only where the interpreter checks its "eval
  breaker": on function entry, backward jumps and calls (3.10+). Loading, adding and storing
  an int contains none of these, so no increment is lost (the concurrency test checks it with
  8 threads). Other counts use `itertools.count`, whose `next()` is one C call. A free-
  threaded (no-GIL) build could lose fast-path increments; nothing else depends on them.
  `cache_clear()` records the counts as a new zero (the wrappers keep their counters).
* A miss registers the key in `inflight` with one `dict.setdefault` (atomic): the thread
  whose entry went in owns the computation; it looks at the cache once more (another owner
  may have just finished) and computes. A thread finding another's entry waits for it: the
  first waiter makes a lock (under the store's lock) that the owner releases when done. The
  owner publishes its result or exception (which is not cached), marks the entry finished
  and only then looks for that lock, while a waiter makes the lock and only then checks
  `finished`, so no waiter sleeps through the end. One computation per key; a waiter's
  result counts as a hit, a waiter's exception as a miss: `hits + misses` is the number of
  calls.

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
_THREADS_GET = _deep.THREADS.get
_IN_PLACE = _deep.IN_PLACE
_MODE, _LEVELS = _deep.MODE, _deep.LEVELS
_allocate_lock = threading.Lock
# Fields of a computation in progress, a plain list (cheaper to make than an object, and one
# is made per miss): the owner's thread ident, whether it finished, its result or error, and
# the lock waiters block on (made by the first waiter only; see `Store.compute`).
_OWNER, _FINISHED, _RESULT, _ERROR, _DONE = range(5)


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
        self.inflight: dict[Hashable, list[Any]] = {}
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
        pending: list[Any] | None = None
        if self.maxsize != 0:
            data = self.data
            inflight = self.inflight
            while True:
                mine: list[Any] = [ident, False, None, None, None]
                pending = inflight.setdefault(key, mine)
                if pending is mine:
                    result = data.get(key, MISS)
                    if result is MISS:
                        break  # this thread computes the key
                    # Another owner stored it between our first look and now: a hit.
                    del inflight[key]
                    mine[_RESULT] = result
                    mine[_FINISHED] = True
                    done = mine[_DONE]
                    if done is not None:
                        done.release()
                    return self._hit(key, args, kwargs, result)
                if pending[_OWNER] == ident:
                    # The key calls itself in this thread (a cycle): waiting would deadlock,
                    # so compute without caching, as the bare function would.
                    pending = None
                    break
                with self.lock:  # one waiter makes the lock the others wait on too
                    done = pending[_DONE]
                    if done is None:
                        done = pending[_DONE] = _allocate_lock()
                        done.acquire()
                if not pending[_FINISHED]:
                    done.acquire()
                    done.release()  # wake the next waiter
                error = pending[_ERROR]
                if error is None:
                    return self._hit(key, args, kwargs, pending[_RESULT])
                if not isinstance(error, RecursionError):
                    stats.miss()
                    raise error
                # The owner ran out of stack and retries deeper: look again.

        state = _THREADS_GET(ident)
        outermost = state is None
        if state is None:
            state = _deep.enter(ident, _IN_PLACE)
        in_place = state[_MODE] == _IN_PLACE
        func = self.func
        levels = 0
        token = None
        try:  # everything after registering `pending` is inside: it must always be finished
            if _STATE.active:
                token = _trace.begin(self.name, args, kwargs)
            if in_place and not outermost:
                levels = state[_LEVELS] + 1
                if levels > _deep.IN_PLACE_LEVELS:
                    raise RecursionError("too many nested memoized calls to run in place")
                state[_LEVELS] = levels
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
                state[_LEVELS] = levels - 1
            if pending is not None:
                # Publish, mark finished, then wake waiters (if one made a lock): inline C-level
                # steps only, no Python call, as this may run at the recursion limit.
                del self.inflight[key]
                pending[_ERROR] = error
                pending[_FINISHED] = True
                done = pending[_DONE]
                if done is not None:
                    done.release()
            recursion = isinstance(error, RecursionError)
            # Inside an in-place attempt a RecursionError is retried by the outermost call,
            # which computes this key again: count it then, not now.
            if not (recursion and in_place):
                stats.miss()
            if token is not None:
                if outermost and recursion:
                    _trace.discard(token)
                else:
                    _trace.fail(token, error)
            if outermost:
                try:
                    if recursion:
                        return _deep.run_deep(self.compute, key, args, kwargs)
                finally:
                    _deep.leave(ident)
            raise
        if levels:
            state[_LEVELS] = levels - 1
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
            pending[_RESULT] = result
            pending[_FINISHED] = True
            done = pending[_DONE]
            if done is not None:
                done.release()
        stats.miss()
        if outermost:
            _deep.leave(ident)
        if token is not None:
            _trace.end(token, result)
        return result

    def _hit(
        self, key: Hashable, args: tuple[Any, ...], kwargs: dict[str, Any] | None, result: Any
    ) -> Any:
        if self.touch is not None:
            try:  # noqa: SIM105 (see lookup)
                self.touch(key)
            except KeyError:
                pass
        self.stats.hit()
        if _STATE.active:
            _trace.leaf(self.name, args, kwargs, result)
        return result
