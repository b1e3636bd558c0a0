"""Persistent memo stores: `@memoize(store=...)` results that outlive the process.

`SQLiteStore` (one file, every process on a machine) and `RedisStore` (a server, every
machine) implement one small protocol (`MemoStore`, see `_protocol`). Keys hash the
function's identity, its code fingerprint (`fingerprint`) and the normalised arguments;
values are stored in a documented format without pickle (`_codec`).

Example:
    >>> import tempfile, os
    >>> import memograd as mg
    >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "memo.db")
    >>> @mg.memoize(store=url)
    ... def square(x: int) -> int:
    ...     return x * x
    >>> square(4), square.cache_info().store_misses
    (16, 1)
"""

from memograd.memo.store._codec import (
    CorruptEntry,
    PickleSerializer,
    Serializer,
    UntrustedEntry,
    decode,
    encode,
)
from memograd.memo.store._fingerprint import Fingerprint, Part, fingerprint
from memograd.memo.store._open import open_store
from memograd.memo.store._persistent import StoreCacheInfo
from memograd.memo.store._protocol import Entry, MemoStore, prune, remove_orphans
from memograd.memo.store._redis import RedisStore
from memograd.memo.store._sqlite import SQLiteStore

__all__ = [
    "CorruptEntry",
    "Entry",
    "Fingerprint",
    "MemoStore",
    "Part",
    "PickleSerializer",
    "RedisStore",
    "SQLiteStore",
    "Serializer",
    "StoreCacheInfo",
    "UntrustedEntry",
    "decode",
    "encode",
    "fingerprint",
    "open_store",
    "prune",
    "remove_orphans",
]
