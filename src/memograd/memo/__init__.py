"""Memoization: `@memoize`, content keys, deep recursion and call tracing.

Example:
    >>> from memograd.memo import memoize, trace
    >>> @memoize
    ... def fib(n: int) -> int:
    ...     return n if n < 2 else fib(n - 1) + fib(n - 2)
    >>> with trace() as t:
    ...     _ = fib(4)
    >>> t.calls, t.hits, fib.cache_info().currsize
    (7, 2, 5)
"""

from memograd.memo._deep import DEEP_RECURSION_LIMIT, DEEP_STACK_BYTES, run_deep
from memograd.memo._keys import content_key, make_key
from memograd.memo._memoize import Memoized, memoize
from memograd.memo._stats import CacheInfo
from memograd.memo._trace import CallNode, Trace, trace, traced
from memograd.memo.store import (
    MemoStore,
    PickleSerializer,
    RedisStore,
    SQLiteStore,
    StoreCacheInfo,
    fingerprint,
)

__all__ = [
    "DEEP_RECURSION_LIMIT",
    "DEEP_STACK_BYTES",
    "CacheInfo",
    "CallNode",
    "MemoStore",
    "Memoized",
    "PickleSerializer",
    "RedisStore",
    "SQLiteStore",
    "StoreCacheInfo",
    "Trace",
    "content_key",
    "fingerprint",
    "make_key",
    "memoize",
    "run_deep",
    "trace",
    "traced",
]
