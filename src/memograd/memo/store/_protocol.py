"""The store protocol: what `@memoize(store=...)` needs from a backend, and nothing more.

A store maps keys (64 hex characters, see `_call_key`) to entries (bytes in the `_codec`
format) and hands out leases, so one process computes a missing key while the others wait.
`SQLiteStore` and `RedisStore` implement it; a third backend is a class with these methods:

=====================================  ==========================================================
`get(key) -> bytes | None`             the entry (bytes, or a bytearray the caller may keep),
                                       or None if absent or expired; records the use (last
                                       use, hit count: may be batched, see `Pending`)
`put_if_absent(key, value, *,          store `value` unless the key holds an unexpired entry;
function, ttl) -> bool`                True if stored. Atomic: a reader sees all or nothing
`lease(key, owner, seconds) -> bool`   take the key's lease for `seconds` if it is free or
                                       expired, or renew it if `owner` holds it; else False
`release(key, owner)`                  give the lease back (no-op if `owner` does not hold it)
`delete(keys) -> int`                  remove these entries; returns how many existed
`scan() -> Iterator[Entry]`            every entry's metadata (not its value)
`record(function, *, hits, misses)`    add to the per-function counters (may be batched)
`counts() -> {function: (hits, misses)}`  the counters, everything recorded so far included
`close()`                              write what is batched; release connections
=====================================  ==========================================================

Optional: `remove_orphans() -> int` deletes data no entry refers to any more (`SQLiteStore`:
side files of writers that died before their commit); `prune` and `memograd cache clear`
call it when a store has it.

`prune(store, max_bytes=)` (TTL expiry, then least recently used first) is written once
against `scan` and `delete`, so every backend gets it.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from memograd._errors import invalid_value


@dataclass(frozen=True)
class Entry:
    """An entry's metadata: times are Unix seconds; `expires` is None without a TTL."""

    key: str
    function: str
    size: int
    created: float
    last_used: float
    expires: float | None
    hits: int


@runtime_checkable
class MemoStore(Protocol):
    """A persistent memo store (see the module docstring for each method's contract)."""

    url: str

    def get(self, key: str) -> bytes | bytearray | None: ...
    def put_if_absent(
        self, key: str, value: bytes, *, function: str, ttl: float | None = None
    ) -> bool: ...
    def lease(self, key: str, owner: str, seconds: float) -> bool: ...
    def release(self, key: str, owner: str) -> None: ...
    def delete(self, keys: Iterable[str]) -> int: ...
    def scan(self) -> Iterator[Entry]: ...
    def record(self, function: str, *, hits: int = 0, misses: int = 0) -> None: ...
    def counts(self) -> dict[str, tuple[int, int]]: ...
    def close(self) -> None: ...


FLUSH_SECONDS = 1.0
"""How long uses and counters may wait in memory before a store writes them."""

_LIVE: weakref.WeakSet[Pending] = weakref.WeakSet()


class Pending:
    """Bookkeeping a store batches instead of writing on every hit: last use and hit count
    per key, hits and misses per function. A hit then costs one read, not a write
    transaction. Written every `FLUSH_SECONDS`, on `close()` and at interpreter exit; a
    process killed before that loses its last second of statistics, never an entry.

    `flush` is the backend's writer: `flush(uses, counts)` with `uses = {key: (last_use,
    hits)}` and `counts = {function: (hits, misses)}`.
    """

    def __init__(self, flush: Callable[[dict[str, tuple[float, int]], dict[str, list[int]]], None]):
        self._write = flush
        self._lock = threading.Lock()
        self._uses: dict[str, tuple[float, int]] = {}
        self._counts: dict[str, list[int]] = {}
        self._last = time.monotonic()
        _LIVE.add(self)

    def use(self, key: str) -> None:
        with self._lock:
            old = self._uses.get(key)
            self._uses[key] = (time.time(), 1 if old is None else old[1] + 1)
        self.maybe_flush()

    def count(self, function: str, hits: int, misses: int) -> None:
        with self._lock:
            pair = self._counts.setdefault(function, [0, 0])
            pair[0] += hits
            pair[1] += misses
        self.maybe_flush()

    def maybe_flush(self) -> None:
        if time.monotonic() - self._last >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            uses, counts = self._uses, self._counts
            self._uses, self._counts = {}, {}
            self._last = time.monotonic()
        if uses or counts:
            try:
                self._write(uses, counts)
            except Exception:  # statistics must never fail a call: keep them for later
                with self._lock:
                    for key, (when, n) in uses.items():
                        old = self._uses.get(key)
                        self._uses[key] = (when, n + (old[1] if old else 0))
                    for function, (h, m) in counts.items():
                        pair = self._counts.setdefault(function, [0, 0])
                        pair[0] += h
                        pair[1] += m

    def _forget(self) -> None:
        # After fork the child must not write the parent's pending records a second time.
        self._lock = threading.Lock()
        self._uses, self._counts = {}, {}


def _flush_all() -> None:
    for pending in list(_LIVE):
        pending.flush()


atexit.register(_flush_all)


def _forget_all() -> None:
    for pending in list(_LIVE):
        pending._forget()


os.register_at_fork(after_in_child=_forget_all)


def prune(store: MemoStore, *, max_bytes: int | None = None, now: float | None = None) -> int:
    """Delete expired entries, then the least recently used until at most `max_bytes` remain,
    then orphaned data (`remove_orphans`, when the store has it).

    Returns the number of entries deleted.

    Example:
        >>> from memograd.memo.store import SQLiteStore
        >>> import tempfile, os
        >>> s = SQLiteStore(os.path.join(tempfile.mkdtemp(), "m.db"))
        >>> s.put_if_absent("a" * 64, b"x" * 10, function="f")
        True
        >>> prune(s, max_bytes=0)
        1
    """
    deleted = evict(store, max_bytes=max_bytes, now=now)
    remove_orphans(store)
    return deleted


def remove_orphans(store: MemoStore) -> int:
    """`store.remove_orphans()` if the store has one (see the module docstring), else 0."""
    method = getattr(store, "remove_orphans", None)
    return int(method()) if callable(method) else 0


def evict(store: MemoStore, *, max_bytes: int | None = None, now: float | None = None) -> int:
    """`prune` without the orphan sweep: what runs after every store write under
    `max_bytes=` (a sweep lists the store's files; eviction reads only the entries)."""
    if max_bytes is not None and (isinstance(max_bytes, bool) or max_bytes < 0):
        raise invalid_value("max_bytes", "None or an integer >= 0", max_bytes)
    now = time.time() if now is None else now
    live: list[Entry] = []
    doomed: list[str] = []
    for entry in store.scan():
        if entry.expires is not None and entry.expires <= now:
            doomed.append(entry.key)
        else:
            live.append(entry)
    if max_bytes is not None:
        total = sum(e.size for e in live)
        for entry in sorted(live, key=lambda e: e.last_used):
            if total <= max_bytes:
                break
            doomed.append(entry.key)
            total -= entry.size
    return store.delete(doomed) if doomed else 0
