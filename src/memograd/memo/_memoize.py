"""`@memoize`: store a function's results by the content of its arguments.

The wrapper is a plain Python function (not a class with `__call__`): calls to it are
Python-to-Python calls, which keeps hits cheap and lets deep recursions run (see `_deep`).
For a fixed signature (no `*args`/`**kwargs`) the wrapper is generated with the same
parameters as the function, as `dataclasses` generates `__init__`: a hit then builds no
argument tuple or keyword dict, and `f(5)`, `f(n=5)` and a default-filled call share a key.

Methods: a function whose first parameter is `self`, defined in a class body, gets one cache
per instance. The caches live in a dict keyed by `id(instance)` and each is dropped by a
`weakref` callback when its instance dies, so the cache never keeps an instance alive (the
instance must support weak references). Statistics are shared by all instances; `maxsize`
bounds each instance's cache.

Example:
    >>> @memoize
    ... def fib(n: int) -> int:
    ...     return n if n < 2 else fib(n - 1) + fib(n - 2)
    >>> fib(30)
    832040
    >>> fib.cache_info()
    CacheInfo(hits=28, misses=31, maxsize=None, currsize=31)
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Hashable
from typing import Any, Generic, ParamSpec, Protocol, TypeVar, overload

from memograd._errors import invalid_type
from memograd.memo._cache import NOINDEX, Store
from memograd.memo._keys import (
    find_unkeyable,
    make_key,
    unhashable_key_error,
    unkeyable_error,
    values_key,
)
from memograd.memo._methods import InstanceStores, is_method, method_wrapper
from memograd.memo._signature import mirror
from memograd.memo._stats import CacheInfo, Stats
from memograd.memo._wrappers import generate

_hash = hash  # bound at import: memoized code may replace builtins

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class Memoized(Protocol, Generic[P, R_co]):
    """What `@memoize` returns: the function, plus its cache controls."""

    @property
    def __wrapped__(self) -> Callable[P, R_co]: ...

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...
    def cache_info(self) -> CacheInfo: ...
    def cache_clear(self) -> None: ...
    def cache_parameters(self) -> dict[str, Any]: ...


@overload
def memoize(func: Callable[P, R], /) -> Memoized[P, R]: ...
@overload
def memoize(
    maxsize: int | None = None,
    /,
    *,
    typed: bool = False,
    key: Callable[..., Hashable] | None = None,
    store: Any = None,
    lease: float = 60.0,
    ttl: float | None = None,
    max_bytes: int | None = None,
    serializer: Any = None,
) -> Callable[[Callable[P, R]], Memoized[P, R]]: ...
@overload
def memoize(
    *,
    maxsize: int | None = None,
    typed: bool = False,
    key: Callable[..., Hashable] | None = None,
    store: Any = None,
    lease: float = 60.0,
    ttl: float | None = None,
    max_bytes: int | None = None,
    serializer: Any = None,
) -> Callable[[Callable[P, R]], Memoized[P, R]]: ...


def memoize(
    func_or_maxsize: Any = None,
    /,
    *,
    maxsize: int | None = None,
    typed: bool = False,
    key: Callable[..., Hashable] | None = None,
    store: Any = None,
    lease: float = 60.0,
    ttl: float | None = None,
    max_bytes: int | None = None,
    serializer: Any = None,
) -> Any:
    """Cache a function's results; use bare (`@memoize`) or configured (`@memoize(maxsize=128)`).

    Args:
        maxsize: None (default) keeps every result; a positive integer keeps that many,
            evicting the least recently used; 0 (or a negative number, as in
            `functools.lru_cache`) stores nothing but still counts calls.
        typed: if True, arguments of different types (`1` and `1.0`) are cached separately.
        key: a function called with the call's arguments that returns the hashable cache key
            (replaces content keys, e.g. `key=lambda x, *_: x.shape`).
        store: keep results beyond the process too: a URL (`sqlite:///memo.db`,
            `redis://127.0.0.1:6379/0`) or a store object (`memo.SQLiteStore`,
            `memo.RedisStore`); the in-process cache stays in front. See `memo.store`.
        lease, ttl, max_bytes, serializer: with `store=` only: seconds a computing process
            holds a key (renewed while it runs), seconds an entry lives, the store's size
            bound (least recently used evicted), and a serializer for result types the
            store's native format lacks (`memo.PickleSerializer(key)` for signed pickle).

    Arguments are keyed by content: hashable values as themselves; lists, tuples, dicts,
    sets and NumPy arrays (dtype + shape + values) by their elements. Any other unhashable
    argument raises `TypeError` naming the parameter and its type.

    Example:
        >>> @memoize(maxsize=2)
        ... def square(x: int) -> int:
        ...     return x * x
        >>> [square(i) for i in (1, 2, 1, 3)]
        [1, 4, 1, 9]
        >>> square.cache_info()
        CacheInfo(hits=1, misses=3, maxsize=2, currsize=2)
    """
    if store is not None or (lease, ttl, max_bytes, serializer) != (60.0, None, None, None):
        return _with_store(
            func_or_maxsize, maxsize, typed, key, store, lease, ttl, max_bytes, serializer
        )
    if callable(func_or_maxsize) and not isinstance(func_or_maxsize, bool | int):
        return _decorate(func_or_maxsize, maxsize, typed, key)
    if func_or_maxsize is not None:
        if maxsize is not None:
            raise TypeError("memoize() got `maxsize` both positionally and by keyword.")
        maxsize = func_or_maxsize
    maxsize = _check_options(maxsize, typed, key)

    def decorator(func: Callable[P, R]) -> Memoized[P, R]:
        return _decorate(func, maxsize, typed, key)

    return decorator


def _with_store(
    func_or_maxsize: Any, maxsize: Any, typed: Any, key: Any, store: Any, *store_options: Any
) -> Any:
    """`memoize(..., store=...)`: the in-process cache in front of a persistent store."""
    from memograd.memo.store._persistent import check_store_options, decorate_with_store

    if store is None:
        raise TypeError("memoize(): `lease`, `ttl`, `max_bytes` and `serializer` need `store=`.")
    func = func_or_maxsize if callable(func_or_maxsize) else None
    if func_or_maxsize is not None and func is None:
        maxsize = func_or_maxsize
    _check_options(maxsize, typed, key)
    check_store_options(*store_options)
    lease, ttl, max_bytes, serializer = store_options

    def decorator(func: Callable[..., Any]) -> Any:
        return decorate_with_store(
            func,
            lambda f: _decorate(f, maxsize, typed, key),
            store=store,
            typed=typed,
            key=key,
            lease=lease,
            ttl=ttl,
            max_bytes=max_bytes,
            serializer=serializer,
        )

    return decorator if func is None else decorator(func)


def _check_options(maxsize: Any, typed: Any, key: Any) -> int | None:
    """Validate the options; returns `maxsize` with a negative one made 0 (as lru_cache)."""
    if maxsize is not None and (isinstance(maxsize, bool) or not isinstance(maxsize, int)):
        # a TypeError, as lru_cache's for a maxsize that is not an int (a bool is not a size)
        raise invalid_type("maxsize", "None or an integer", maxsize, show_type=True)
    if not isinstance(typed, bool):
        raise invalid_type("typed", "a bool", typed)
    if key is not None and not callable(key):
        raise invalid_type("key", "a callable or None", key)
    return None if maxsize is None else max(maxsize, 0)


def _decorate(
    func: Callable[..., Any], maxsize: int | None, typed: bool, key: Callable[..., Hashable] | None
) -> Any:
    maxsize = _check_options(maxsize, typed, key)
    if not callable(func):
        raise TypeError(
            f"memoize expects a callable to decorate. Received: {func!r} of type "
            f"{type(func).__name__}"
        )
    try:
        signature: inspect.Signature | None = inspect.signature(func)
    except (TypeError, ValueError):  # some builtins have no signature
        signature = None
    name = getattr(func, "__name__", type(func).__name__)
    stats = Stats()
    stores: _Single | InstanceStores
    if signature is not None and is_method(func, signature):
        wrapper, stores = method_wrapper(func, signature, name, maxsize, typed, key, stats)
    else:
        store = Store(maxsize, stats, name, func)
        stores = _Single(store)
        if key is not None:
            wrapper = _keyed_wrapper(store, key)
        elif typed:
            wrapper = _typed_wrapper(func, signature, store)
        else:
            wrapper = _generated_wrapper(func, signature, name, store)

    def cache_info() -> CacheInfo:
        return CacheInfo(stats.hits, stats.misses, maxsize, stores.size())

    def cache_clear() -> None:
        stores.clear()
        stats.reset()

    def cache_parameters() -> dict[str, Any]:
        # As functools: {"maxsize", "typed"}; a key function is reported when there is one.
        parameters: dict[str, Any] = {"maxsize": maxsize, "typed": typed}
        if key is not None:
            parameters["key"] = key
        return parameters

    functools.update_wrapper(wrapper, func)
    controls: Any = wrapper
    for control in (cache_info, cache_clear, cache_parameters):
        control.__annotations__ = {}  # their signature is `()`, as functools' (3.12+ tests it)
    controls.cache_info = cache_info
    controls.cache_clear = cache_clear
    controls.cache_parameters = cache_parameters
    return wrapper


class _Single:
    """The one store of a plain function, behind the interface `cache_info` uses."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def size(self) -> int:
        return self.store.size

    def clear(self) -> None:
        self.store.clear()


def _generated_wrapper(
    func: Callable[..., Any], signature: inspect.Signature | None, name: str, store: Store
) -> Callable[..., Any]:
    """The generated fast-path wrapper (see `_wrappers`), with its content-key fallbacks."""
    find = store.find

    def by_values(args: tuple[Any, ...], kwargs: dict[str, Any] | None) -> Any:
        # A mirrored signature: the key of the parameter values, in signature order.
        values = args + tuple(kwargs.values()) if kwargs else args
        try:
            k = values_key(values)
            h = _hash(k)
        except TypeError:
            raise unkeyable_error(func, signature, find_unkeyable(values, None)) from None
        return find(k, h, NOINDEX, args, kwargs)

    def by_call(args: tuple[Any, ...], kwargs: dict[str, Any] | None) -> Any:
        # A `(*args, **kwargs)` signature: positional content keys, then keywords.
        try:
            k = make_key(args, kwargs, False)
            h = _hash(k)
        except TypeError:
            raise unkeyable_error(func, signature, find_unkeyable(args, kwargs)) from None
        return find(k, h, NOINDEX, args, kwargs)

    if signature is not None and mirror(signature) is not None:
        return generate(func, signature, name, store, by_values)
    return generate(func, None, name, store, by_call, by_call)


def _typed_wrapper(
    func: Callable[..., Any], signature: inspect.Signature | None, store: Store
) -> Callable[..., Any]:
    find = store.find

    def typed_wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            k = make_key(args, kwargs, True)
            h = _hash(k)
        except TypeError:
            error = unkeyable_error(func, signature, find_unkeyable(args, kwargs))
        else:
            return find(k, h, NOINDEX, args, kwargs)
        raise error  # outside the `except`: nothing to chain

    return typed_wrapper


def _keyed_wrapper(store: Store, key: Callable[..., Hashable]) -> Callable[..., Any]:
    find = store.find

    def keyed_wrapper(*args: Any, **kwargs: Any) -> Any:
        k = key(*args, **kwargs)
        try:
            h = _hash(k)
        except TypeError:
            raise unhashable_key_error(k) from None
        return find(k, h, NOINDEX, args, kwargs)

    return keyed_wrapper
