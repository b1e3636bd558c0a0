"""`@memoize(store=...)`: the in-process cache in front, a persistent store behind it.

The user function is wrapped by `through_store`, which looks the call up in the store
(computing it under a lease on a miss, see `_lease`), and that wrapper is memoized in
process exactly as a function without a store is. So:

* a repeated call is an in-process hit and costs what it costs without a store;
* an in-process miss asks the store: a store hit is decoded once and promoted into the
  in-process cache; a store miss computes, stores, and fills both;
* `cache_info()` adds `store_hits` and `store_misses` (this process's store lookups) to
  the in-process counts; `cache_clear()` clears only the in-process cache (the store is
  shared: clear it with `memograd cache clear URL`).
"""

from __future__ import annotations

import functools
import inspect
import itertools
from collections.abc import Callable, Hashable
from typing import Any, NamedTuple

from memograd._errors import invalid_type, invalid_value
from memograd.memo.store._call_key import CallKey
from memograd.memo.store._codec import Serializer, decode, encode
from memograd.memo.store._lease import get_or_compute
from memograd.memo.store._open import open_store
from memograd.memo.store._protocol import MemoStore, evict


class StoreCacheInfo(NamedTuple):
    """`CacheInfo` of a memoized function with a store, plus this process's store lookups."""

    hits: int
    misses: int
    maxsize: int | None
    currsize: int
    store_hits: int
    store_misses: int


def check_store_options(lease: Any, ttl: Any, max_bytes: Any, serializer: Any) -> None:
    """Validate the store options of `memoize` (Keras-style messages)."""
    if isinstance(lease, bool) or not isinstance(lease, int | float) or not lease > 0:
        raise invalid_value("lease", "a number of seconds > 0", lease)
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl <= 0):
        raise invalid_value("ttl", "None or a number of seconds > 0", ttl)
    if max_bytes is not None and (
        isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0
    ):
        raise invalid_value("max_bytes", "None or an integer >= 0", max_bytes)
    if serializer is not None and not isinstance(serializer, Serializer):
        raise invalid_type(
            "serializer",
            "an object with `name`, `dumps(value) -> bytes` and `loads(bytes)`",
            serializer,
        )


def decorate_with_store(
    func: Callable[..., Any],
    memoize_in_process: Callable[[Callable[..., Any]], Any],
    *,
    store: Any,
    typed: bool,
    key: Callable[..., Hashable] | None,
    lease: float,
    ttl: float | None,
    max_bytes: int | None,
    serializer: Serializer | None,
) -> Any:
    """Wrap `func` so misses go through `store`; `memoize_in_process` adds the front cache."""
    if not callable(func):
        raise TypeError(
            f"memoize expects a callable to decorate. Received: {func!r} of type "
            f"{type(func).__name__}"
        )
    try:
        params = list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        params = []
    if params[:1] == ["self"] and "." in getattr(func, "__qualname__", ""):
        raise TypeError(
            f"memoize(store=...) does not support methods ({func.__qualname__}): `self` has "
            "no key that another process could compute. Memoize a function of the data."
        )
    opened: MemoStore = open_store(store)
    call_key = CallKey(func, typed=typed, key=key, serializer=serializer)
    name = call_key.name
    store_hits = itertools.count()
    store_misses = itertools.count()

    def after_put() -> None:
        if max_bytes is not None:
            evict(opened, max_bytes=max_bytes)

    def to_bytes(value: Any) -> bytes:
        return encode(value, serializer)

    def from_bytes(blob: bytes | bytearray) -> Any:
        return decode(blob, serializer)

    def through_store(*args: Any, **kwargs: Any) -> Any:
        store_key = call_key(args, kwargs)
        value, from_store = get_or_compute(
            opened,
            store_key,
            functools.partial(func, *args, **kwargs),
            encode=to_bytes,
            decode=from_bytes,
            function=name,
            lease=lease,
            ttl=ttl,
            on_stored=after_put,
        )
        if from_store:
            next(store_hits)
            opened.record(name, hits=1)
        else:
            next(store_misses)
            opened.record(name, misses=1)
        return value

    functools.update_wrapper(through_store, func)
    wrapper = memoize_in_process(through_store)
    wrapper.__wrapped__ = func
    front_info = wrapper.cache_info
    front_parameters = wrapper.cache_parameters

    def cache_info() -> StoreCacheInfo:
        hits, misses, maxsize, currsize = front_info()
        return StoreCacheInfo(
            hits, misses, maxsize, currsize, _read(store_hits), _read(store_misses)
        )

    def cache_parameters() -> dict[str, Any]:
        return {
            **front_parameters(),
            "store": opened.url,
            "lease": lease,
            "ttl": ttl,
            "max_bytes": max_bytes,
            "serializer": None if serializer is None else serializer.name,
        }

    def cache_key(*args: Any, **kwargs: Any) -> str:
        """The store key of the call `f(*args, **kwargs)` (64 hex characters)."""
        return call_key(args, kwargs)

    wrapper.cache_info = cache_info
    wrapper.cache_parameters = cache_parameters
    wrapper.cache_key = cache_key
    wrapper.cache_store = opened
    return wrapper


def _read(counter: itertools.count[int]) -> int:
    return int(repr(counter)[6:-1])  # count(N): reading does not advance it
