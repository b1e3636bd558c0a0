"""Store URLs: `sqlite:///relative.db`, `sqlite:////absolute.db`, `redis://host:port/db`.

As in SQLAlchemy, the path of a SQLite URL is what follows `sqlite:///`, so four slashes
make it absolute. One store object per URL per process is shared by every function using it.

Example:
    >>> open_store("sqlite:////tmp/memograd-doctest.db")
    SQLiteStore('/tmp/memograd-doctest.db')
"""

from __future__ import annotations

import threading
from typing import Any

from memograd.memo.store._protocol import MemoStore

_OPEN: dict[str, MemoStore] = {}
_LOCK = threading.Lock()

_EXPECTED = (
    "expected a URL (sqlite:///PATH, redis://HOST:PORT/DB) or a store object with the "
    "memograd store methods (get, put_if_absent, lease, release, delete, scan, record, counts)"
)


def open_store(store: Any) -> MemoStore:
    """The store for a URL (opened once per process) or `store` itself if it is one."""
    if isinstance(store, MemoStore):
        return store
    if not isinstance(store, str):
        raise TypeError(
            f"Received an invalid value for `store`, {_EXPECTED}. Received: store={store!r}"
        )
    with _LOCK:
        opened = _OPEN.get(store)
        if opened is None:
            opened = _OPEN[store] = _from_url(store)
        return opened


def _from_url(url: str) -> MemoStore:
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        from memograd.memo.store._sqlite import SQLiteStore

        return SQLiteStore(url[len("sqlite:///") :])
    if url.startswith(("redis://", "rediss://", "unix://")):
        from memograd.memo.store._redis import RedisStore

        return RedisStore(url)
    raise ValueError(f"Received an invalid value for `store`, {_EXPECTED}. Received: store={url!r}")
