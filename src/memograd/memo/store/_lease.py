"""One computation per key across processes: read, else lease, compute, put, release.

A caller that finds no entry tries to take the key's lease. The one that gets it reads once
more (an owner may have just finished), computes, stores the entry and releases the lease;
a thread renews the lease every third of its length while the computation runs, so a long
computation keeps it. The others poll (5 ms, doubling up to 200 ms) until the entry appears
or the lease is free again:

* the owner died (SIGKILL, a lost machine): its lease expires after `lease` seconds and the
  next waiter to ask takes it and computes;
* the owner raised: the exception propagates in the owner's process only and is not stored;
  the lease is released, and the next waiter computes in its turn (and sees the exception
  itself if it recurs). Waiters never receive another process's exception object.

If an owner is paused longer than its lease (renewals cannot run), a second process may
compute the same key; `put_if_absent` keeps the first entry, so readers still agree.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from memograd.memo.store._protocol import MemoStore

POLL_FIRST_S = 0.005
POLL_MAX_S = 0.2


def owner_token() -> str:
    """A lease owner name unique to this call: host, process, random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class _Renewer:
    """Renews a lease every `seconds / 3` until stopped (a daemon thread)."""

    def __init__(self, store: MemoStore, key: str, owner: str, seconds: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run,
            args=(store, key, owner, seconds),
            daemon=True,
            name="memograd-lease",
        )
        self._thread.start()

    def _run(self, store: MemoStore, key: str, owner: str, seconds: float) -> None:
        while not self._stop.wait(seconds / 3):
            # A failed renewal only risks a second computation elsewhere; keep computing.
            with contextlib.suppress(Exception):
                store.lease(key, owner, seconds)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def get_or_compute(
    store: MemoStore,
    key: str,
    compute: Callable[[], Any],
    *,
    encode: Callable[[Any], bytes],
    decode: Callable[[bytes | bytearray], Any],
    function: str,
    lease: float,
    ttl: float | None,
    on_stored: Callable[[], None] | None = None,
) -> tuple[Any, bool]:
    """The value for `key` and whether it came from the store (True) or was computed here."""
    delay = POLL_FIRST_S
    while True:
        entry = store.get(key)
        if entry is not None:
            return decode(entry), True
        owner = owner_token()
        if store.lease(key, owner, lease):
            renewer = None
            try:
                entry = store.get(key)
                if entry is not None:
                    return decode(entry), True
                renewer = _Renewer(store, key, owner, lease)
                value = compute()
                blob = encode(value)
                store.put_if_absent(key, blob, function=function, ttl=ttl)
            finally:
                if renewer is not None:
                    renewer.stop()
                store.release(key, owner)
            if on_stored is not None:
                on_stored()
            return value, False
        time.sleep(delay)
        delay = min(delay * 2, POLL_MAX_S)
