"""The cache behind `@memoize`: entries, LRU order and one computation per key.

Layout. A stored result is an *entry*, a plain list (fields `KEY`... below). `table` maps
`hash(key)` to the entries with that hash, chained through `CNEXT`/`CPREV` (more than one
only on a hash collision); a lookup compares keys with `is`, then `==`, as a dict does. The
key is hashed once per call, by the caller, and never again: the tables are keyed by that
int, so storing, evicting and cleaning up run no `__hash__` or `__eq__` of the user.
`index` maps keys made only of ints, strs, floats, bools and None (hashing those is C code:
invisible, cheap) straight to their entry, or for an unbounded cache to the result;
generated wrappers look those up without calling `hash()`. A bounded cache also keeps
`order`, an `OrderedDict` of its entries, least recently used first, under a `TOKEN` each
(a plain `object()`: its hash and `==` are C code, so no `OrderedDict` operation ever runs
user code, or sees another one half done). Computations in progress are entries in
`inflight`, chained as in `table`.

Thread safety, and why nothing takes a lock:

* CPython (with the GIL) switches threads, delivers signals such as KeyboardInterrupt, and
  on 3.12+ collects garbage only at an "eval breaker" check: function entry, a backward
  jump, the end of a call. A run of statements made only of loads, stores, `is` tests,
  int arithmetic and subscripts of lists and of dicts keyed by such plain values contains
  no such check, so no other thread sees it half done. Every change of `table`, `index` and
  `inflight` is such a run, a *step* (marked `# --- step`), which also allocates nothing
  (3.11 collects garbage on allocation, running finalizers) and keeps what it unlinks in
  locals until it ends (freeing a result can run its `__del__`). User code (`__hash__`,
  `__eq__`, the function) runs only between steps. A lock would cost more than a whole hit
  (an uncontended acquire and release measured 100-250 ns on the 2-core test machine).
* A hit reads without a lock. A bounded hit moves its token to the end of `order` (one
  C call, `move_to_end`); if the entry was evicted meanwhile, that raises KeyError, and the
  result read is still a valid hit.
* A miss walks the chain of its hash in `table` and in `inflight` (calling `__eq__`, so
  other threads may run), then in one step registers its entry in `inflight`, unless a
  chain head changed meanwhile: entries are only ever added at the head, so an unchanged
  head means no equal key arrived; else it looks again. Finding an equal key in flight, it
  waits (see `_wait`): the owner's result counts as a hit, its exception (not cached) is
  raised as a miss; if the owner hit the recursion limit or was interrupted
  (KeyboardInterrupt), the waiter looks again and may compute itself.
* The owner publishes its result in one step (inflight -> table, index, order), then
  evicts while over `maxsize`: `order.popitem(last=False)`, then one step unlinking the
  victim (unless a `cache_clear()` came in between: its `ROOT` is then an old one).
  If anything fails, the `except` clause runs one step before any call: the entry leaves
  `inflight` and is marked finished with the error, even at the recursion limit; the
  waiters are then woken (and poll, should that wake-up be lost). Every call is counted:
  `hits + misses` is the number of calls.
* `cache_clear()` starts a new generation (`root`): an entry is in the cache only while its
  `ROOT` is the store's, so one found before a concurrent clear is not indexed again.
* Limits: the steps rely on the GIL. A free-threaded build, or a Python-level trace function
  (`sys.settrace`: a debugger) running in several threads, can interleave them: results stay
  right (an entry's key and result never change), but LRU order and `currsize` may drift.

Example:
    >>> from memograd.memo._stats import Stats
    >>> store = Store(None, Stats(), "f", lambda n: n * n)
    >>> store.find(3, hash(3), NOINDEX, (3,), None), store.find(3, hash(3), NOINDEX, (3,), None)
    (9, 9)
    >>> store.info()
    CacheInfo(hits=1, misses=1, maxsize=None, currsize=1)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Final

from memograd.memo import _deep, _trace
from memograd.memo._keys import MISS, _Tag
from memograd.memo._stats import CacheInfo, Stats

# Fields of an entry. The key, its result (MISS while computing), the hash chain, its key in
# `order` (bounded), the generation it was stored in (None once evicted), the hash, the key
# it is indexed under; while computing: the owner thread, whether it finished, its error, the
# lock waiters block on.
KEY, RESULT, CNEXT, CPREV, TOKEN, ROOT, HASH, INDEXED = range(8)
OWNER, FINISHED, ERROR, DONE = range(8, 12)

NOINDEX: Final = _Tag("noindex")
"""`INDEXED` of an entry no `index` key points to (its key is not made of plain values)."""

# Bound at import: memoized code may replace builtins (`builtins.len = memoize(len)`).
_len, _isinstance = len, isinstance
_new_token = object
_get_ident = threading.get_ident
_allocate_lock = threading.Lock
_STATE = _trace.STATE
_THREADS_GET = _deep.THREADS.get
_IN_PLACE = _deep.IN_PLACE
_MODE, _LEVELS = _deep.MODE, _deep.LEVELS
_POLL_SECONDS = 0.05  # a waiter re-checks this often, should its wake-up never come


class Store:
    """One cache: entries by hash, an index of plain keys, LRU order, computations.

    Args:
        maxsize: None for unbounded, 0 for no storage (calls still counted), else the bound.
        stats: the counters (shared by the per-instance stores of a memoized method).
        name: the function's name, for `trace()` nodes.
        func: the function computing a missing value.
    """

    __slots__ = (
        "bounded",
        "func",
        "index",
        "inflight",
        "maxsize",
        "name",
        "order",
        "root",
        "size",
        "stats",
        "table",
    )

    def __init__(
        self, maxsize: int | None, stats: Stats, name: str, func: Callable[..., Any]
    ) -> None:
        self.maxsize = maxsize
        self.bounded = maxsize is not None
        self.stats = stats
        self.name = name
        self.func = func
        self.table: dict[int, list[Any]] = {}
        self.index: dict[Hashable, Any] = {}
        self.inflight: dict[int, list[Any]] = {}
        self.order: OrderedDict[object, list[Any]] = OrderedDict()
        self.root = object()  # this generation of the cache (see `clear`)
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def info(self) -> CacheInfo:
        return CacheInfo(self.stats.hits, self.stats.misses, self.maxsize, self.size)

    def clear(self) -> None:
        """Drop every stored result (computations in progress still publish theirs)."""
        self.order.clear()
        root = object()
        # --- step: a new generation, and the table emptied (dict.clear empties, then frees)
        self.root = root
        self.size = 0
        self.table.clear()
        # Published between the two clears: an entry whose token is in `order` but which is
        # not in `table` (its ROOT is the old one: evicting it changes nothing), and index
        # entries that are cleared now. Both harmless.
        self.index.clear()

    def find(
        self,
        key: Hashable,
        h: int,
        indexed: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any] | None,
    ) -> Any:
        """The result for `key` (whose hash is `h`): stored, or computed once across threads.

        `indexed` is `key` if it may go into `index` (made of plain values), else NOINDEX.
        Calls `func(*args, **kwargs)` on a miss; retries a computation that hit the
        recursion limit deeper (see `_deep`).
        """
        stats = self.stats
        table = self.table
        inflight = self.inflight
        ident = _get_ident()
        mine: list[Any] | None = None
        state: list[int] | None = None
        outermost = in_place = False
        levels = 0
        token = None
        if self.maxsize != 0:
            hit = None
            try:  # a call failing here (an `__eq__` raised, interrupted) still counts: a miss
                while True:
                    head = table.get(h)
                    entry = head
                    while entry is not None:
                        found = entry[KEY]
                        if found is key or found == key:
                            break
                        entry = entry[CNEXT]
                    if entry is not None:
                        hit = entry
                        break
                    first = inflight.get(h)
                    entry = first
                    while entry is not None:
                        found = entry[KEY]
                        if found is key or found == key:
                            break
                        entry = entry[CNEXT]
                    if entry is not None:
                        if entry[OWNER] == ident:
                            # The key calls itself in this thread (a cycle): waiting would
                            # deadlock, so compute without caching, as the bare function would.
                            break
                        _wait(entry)
                        error = entry[ERROR]
                        if error is None:
                            hit = entry
                            break
                        if _isinstance(error, Exception) and not _isinstance(error, RecursionError):
                            raise error
                        continue  # the owner retries deeper, or was interrupted: look again
                    mark = _new_token() if self.bounded else None
                    entry = [
                        key,
                        MISS,
                        None,
                        None,
                        mark,
                        None,
                        h,
                        indexed,
                        ident,
                        False,
                        None,
                        None,
                    ]
                    # --- step: register, unless a chain changed while keys were compared
                    now_head = table[h] if h in table else None  # noqa: SIM401 (a call ends a step)
                    now_first = inflight[h] if h in inflight else None  # noqa: SIM401
                    if now_head is head and now_first is first:
                        entry[CNEXT] = first
                        if first is not None:
                            first[CPREV] = entry
                        inflight[h] = entry
                        mine = entry
                        break
            except BaseException:
                stats.miss()
                raise
            if hit is not None:
                return self._hit(hit, indexed, args, kwargs)
        # From here on `mine` is registered: everything is inside the `try`.
        func = self.func
        try:
            state = _THREADS_GET(ident)
            if state is None:
                outermost = True
                state = _deep.enter(ident, _IN_PLACE)
            in_place = state[_MODE] == _IN_PLACE
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
                n = _len(args)
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
            if mine is not None:
                # --- step: publish (inflight -> table, index, order); what it replaces stays
                # referenced by locals until the step ends
                before = mine[CPREV]
                after = mine[CNEXT]
                if after is not None:
                    after[CPREV] = before
                if before is not None:
                    before[CNEXT] = after
                elif h in inflight and inflight[h] is mine:
                    if after is None:
                        del inflight[h]
                    else:
                        inflight[h] = after
                head = table[h] if h in table else None  # noqa: SIM401 (a call ends a step)
                mine[CPREV] = None
                mine[CNEXT] = head
                if head is not None:
                    head[CPREV] = mine
                table[h] = mine
                mine[RESULT] = result
                mine[ROOT] = self.root
                if indexed is not NOINDEX:
                    index = self.index
                    replaced = index[indexed] if indexed in index else None  # noqa: F841, SIM401
                    index[indexed] = mine if self.bounded else result
                if self.bounded:
                    self.order[mine[TOKEN]] = mine  # C code only: the token's hash and ==
                self.size += 1
                mine[FINISHED] = True
                # --- end of step
                if self.bounded and self.size > self.maxsize:  # type: ignore[operator]
                    self._evict()
        except BaseException as error:
            if mine is not None and not mine[FINISHED]:
                # --- step, before any call (it must run even at the recursion limit):
                # leave `inflight`, publish the error to the waiters
                before = mine[CPREV]
                after = mine[CNEXT]
                if after is not None:
                    after[CPREV] = before
                if before is not None:
                    before[CNEXT] = after
                elif h in inflight and inflight[h] is mine:
                    if after is None:
                        del inflight[h]
                    else:
                        inflight[h] = after
                mine[ERROR] = error
                mine[FINISHED] = True
            if levels:
                state[_LEVELS] = levels - 1  # type: ignore[index]
            try:
                recursion = _isinstance(error, RecursionError)
                # Inside an in-place attempt a RecursionError is retried by the outermost
                # call, which computes this key again: count it then, not now.
                if not (recursion and in_place):
                    stats.miss()
                if token is not None:
                    if outermost and recursion:
                        _trace.discard(token)
                    else:
                        _trace.fail(token, error)
            finally:
                if mine is not None:
                    done = mine[DONE]
                    if done is not None:
                        done.release()
            if outermost:
                try:
                    if recursion:
                        return _deep.run_deep(self.find, key, h, indexed, args, kwargs)
                finally:
                    _deep.leave(ident)
            raise
        if levels:
            state[_LEVELS] = levels - 1
        try:
            stats.miss()
            if token is not None:
                _trace.end(token, result)
        finally:
            if mine is not None:
                done = mine[DONE]
                if done is not None:
                    done.release()
            if outermost:
                _deep.leave(ident)
        return result

    def _evict(self) -> None:
        """Evict least recently used entries while the cache holds more than `maxsize`."""
        order = self.order
        while self.size > self.maxsize:  # type: ignore[operator]
            try:
                victim = order.popitem(last=False)[1]
            except KeyError:  # emptied by a concurrent clear
                break
            self._unlink(victim)

    def _unlink(self, victim: list[Any]) -> None:
        """Remove an entry popped from `order` from the table and the index."""
        table = self.table
        index = self.index
        # --- step (the caller keeps `victim` alive past it)
        if victim[ROOT] is not self.root:  # stored before a cache_clear(): not counted
            return
        victim[ROOT] = None
        h = victim[HASH]
        before = victim[CPREV]
        after = victim[CNEXT]
        if after is not None:
            after[CPREV] = before
        if before is not None:
            before[CNEXT] = after
        elif h in table and table[h] is victim:
            if after is None:
                del table[h]
            else:
                table[h] = after
        key = victim[INDEXED]
        if key is not NOINDEX and key in index and index[key] is victim:
            del index[key]
        self.size -= 1

    def _hit(
        self,
        entry: list[Any],
        indexed: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any] | None,
    ) -> Any:
        """A hit found by `find`: index the key, mark as most recent, count and trace it."""
        index = self.index
        # --- step
        if indexed is not NOINDEX and entry[ROOT] is self.root:  # (not evicted nor cleared)
            replaced = index[indexed] if indexed in index else None  # noqa: F841, SIM401
            index[indexed] = entry if self.bounded else entry[RESULT]
            entry[INDEXED] = indexed
        if self.bounded:
            try:  # noqa: SIM105 (contextlib.suppress costs a Python-level call)
                self.order.move_to_end(entry[TOKEN])
            except KeyError:  # evicted meanwhile: still a valid hit
                pass
        self.stats.hit()
        result = entry[RESULT]
        if _STATE.active:
            _trace.leaf(self.name, args, kwargs, result)
        return result


def _wait(pending: list[Any]) -> None:
    """Block until the computation `pending` finished (woken by its owner, or polling)."""
    if pending[FINISHED]:
        return
    lock = _allocate_lock()
    lock.acquire()
    # --- step: the first waiter's lock is the one the owner releases
    done = pending[DONE]
    if done is None:
        pending[DONE] = done = lock
    while not pending[FINISHED]:
        if done.acquire(timeout=_POLL_SECONDS):
            done.release()  # pass the wake-up on to the next waiter
            return
