"""Memoized methods: one cache per instance, dropped when the instance dies.

A function decorated with `@memoize` whose first parameter is `self` and that is defined in a
class body gets one cache per instance. The caches live in a dict keyed by `id(instance)`;
each is removed by a `weakref` callback when its instance dies (the callback runs while the
instance is freed, before its id can be reused), so the cache never keeps an instance alive.
The instance must support weak references. Statistics are shared by all instances;
`maxsize` bounds each instance's cache. A cached *result* that refers to its instance does
keep it alive (the cache holds the result).

Example:
    >>> import gc, weakref
    >>> from memograd.memo import memoize
    >>> class Model:
    ...     @memoize
    ...     def score(self, x: int) -> int:
    ...         return 2 * x
    >>> m = Model(); alive = weakref.ref(m)
    >>> m.score(3), Model.score.cache_info().currsize
    (6, 1)
    >>> del m; _ = gc.collect()
    >>> alive() is None, Model.score.cache_info().currsize
    (True, 0)
"""

from __future__ import annotations

import inspect
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any

from memograd.memo._cache import NOINDEX, Store
from memograd.memo._keys import (
    Unkeyable,
    find_unkeyable,
    make_key,
    unhashable_key_error,
    unkeyable_error,
)
from memograd.memo._stats import Stats

_hash = hash  # bound at import: memoized code may replace builtins


def is_method(func: Callable[..., Any], signature: inspect.Signature) -> bool:
    params = list(signature.parameters.values())
    qualname = getattr(func, "__qualname__", "")
    parts = qualname.split(".")
    return (
        bool(params)
        and params[0].name == "self"
        and params[0].kind in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD)
        and len(parts) >= 2
        and parts[-2] != "<locals>"
    )


def method_wrapper(
    func: Callable[..., Any],
    signature: inspect.Signature,
    name: str,
    maxsize: int | None,
    typed: bool,
    key: Callable[..., Hashable] | None,
    stats: Stats,
) -> tuple[Callable[..., Any], InstanceStores]:
    stores = InstanceStores(maxsize, stats, name, func)
    store_for = stores.store_for
    user_key = key

    def method_wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        store = store_for(self)
        if user_key is not None:
            k = user_key(self, *args, **kwargs)
            try:
                h = _hash(k)
            except TypeError:
                raise unhashable_key_error(k) from None
        else:
            try:
                k = make_key(args, kwargs, typed)
                h = _hash(k)
            except TypeError:
                error = find_unkeyable(args, kwargs)
                shifted = error.position + 1 if isinstance(error.position, int) else error.position
                raise unkeyable_error(
                    func, signature, Unkeyable(shifted, error.outer, error.inner)
                ) from None
        return store.find(k, h, NOINDEX, (self, *args), kwargs)

    return method_wrapper, stores


class InstanceStores:
    """Per-instance caches of a memoized method, dropped when their instance dies."""

    def __init__(
        self, maxsize: int | None, stats: Stats, name: str, func: Callable[..., Any]
    ) -> None:
        self.maxsize = maxsize
        self.stats = stats
        self.name = name
        self.func = func
        self.by_id: dict[int, tuple[Store, weakref.ref[Any]]] = {}
        self.lock = threading.Lock()

    def store_for(self, instance: Any) -> Store:
        entry = self.by_id.get(id(instance))
        if entry is not None:
            return entry[0]
        with self.lock:
            entry = self.by_id.get(id(instance))
            if entry is None:
                ident = id(instance)
                by_id = self.by_id
                try:
                    # The callback runs while the instance is being freed, before its id can
                    # be reused, and removes its cache.
                    ref = weakref.ref(instance, lambda _ref: by_id.pop(ident, None))
                except TypeError:
                    raise TypeError(
                        f"memoize on the method {self.name!r} keeps one cache per instance and "
                        "drops it when the instance dies, which needs weak references: "
                        f"instances of {type(instance).__name__} do not support them (add "
                        "'__weakref__' to __slots__)."
                    ) from None
                entry = (Store(self.maxsize, self.stats, self.name, self.func), ref)
                by_id[ident] = entry
        return entry[0]

    def size(self) -> int:
        return sum(store.size for store, _ in list(self.by_id.values()))

    def clear(self) -> None:
        for store, _ in list(self.by_id.values()):
            store.clear()
