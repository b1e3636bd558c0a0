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

from memograd._errors import invalid_type, invalid_value
from memograd.memo import _trace
from memograd.memo._cache import CacheInfo, Stats, Store
from memograd.memo._keys import MISS, Unkeyable, make_key, unkeyable_error, values_key
from memograd.memo._methods import InstanceStores, is_method, method_wrapper
from memograd.memo._signature import build, function_name, mirror

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
            evicting the least recently used; 0 stores nothing but still counts calls.
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
    _check_options(maxsize, typed, key)

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


def _check_options(maxsize: Any, typed: Any, key: Any) -> None:
    if maxsize is not None and (
        isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 0
    ):
        raise invalid_value("maxsize", "None or an integer >= 0", maxsize)
    if not isinstance(typed, bool):
        raise invalid_type("typed", "a bool", typed)
    if key is not None and not callable(key):
        raise invalid_type("key", "a callable or None", key)


def _decorate(
    func: Callable[..., Any], maxsize: int | None, typed: bool, key: Callable[..., Hashable] | None
) -> Any:
    _check_options(maxsize, typed, key)
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
    wrapper: Callable[..., Any] | None
    if signature is not None and is_method(func, signature):
        wrapper, stores = method_wrapper(func, signature, name, maxsize, typed, key, stats)
    else:
        store = Store(maxsize, stats, name, func)
        stores = _Single(store)
        wrapper = None
        if key is None and not typed and signature is not None:
            wrapper = _mirrored_wrapper(func, signature, name, store)
        if wrapper is None:
            wrapper = _generic_wrapper(func, signature, store, typed, key)

    def cache_info() -> CacheInfo:
        return CacheInfo(stats.hits, stats.misses, maxsize, stores.size())

    def cache_clear() -> None:
        stores.clear()
        stats.reset()

    def cache_parameters() -> dict[str, Any]:
        return {"maxsize": maxsize, "typed": typed, "key": key}

    functools.update_wrapper(wrapper, func)
    controls: Any = wrapper
    controls.cache_info = cache_info
    controls.cache_clear = cache_clear
    controls.cache_parameters = cache_parameters
    return wrapper


class _Single:
    """The one store of a plain function, behind the interface `cache_info` uses."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def size(self) -> int:
        return len(self.store)

    def clear(self) -> None:
        self.store.clear()


def _generic_wrapper(
    func: Callable[..., Any],
    signature: inspect.Signature | None,
    store: Store,
    typed: bool,
    key: Callable[..., Hashable] | None,
) -> Callable[..., Any]:
    lookup = store.lookup

    if key is not None:
        user_key = key

        def keyed_wrapper(*args: Any, **kwargs: Any) -> Any:
            k = user_key(*args, **kwargs)
            try:
                hash(k)
            except TypeError:
                raise TypeError(
                    f"The `key` function given to memoize must return a hashable value. "
                    f"Received: a {type(k).__name__}"
                ) from None
            return lookup(k, args, kwargs)

        return keyed_wrapper

    def build_key(args: tuple[Any, ...], kwargs: dict[str, Any] | None) -> Any:
        try:
            return make_key(args, kwargs, typed)
        except Unkeyable as error:
            raise unkeyable_error(func, signature, error) from None

    if typed:

        def typed_wrapper(*args: Any, **kwargs: Any) -> Any:
            return lookup(build_key(args, kwargs), args, kwargs)

        return typed_wrapper

    get = store.get
    touch = store.touch
    compute = store.compute
    traced_hit = store.traced_hit
    state = _trace.STATE
    store.unhashable = lambda args, kwargs: lookup(build_key(args, kwargs), args, kwargs)
    fast_hits = 0  # hits of the fast path; see _cache.Stats for why `+= 1` is exact
    store.stats.add_fast_hits(lambda: fast_hits)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal fast_hits
        if kwargs:
            return lookup(build_key(args, kwargs), args, kwargs)
        # Fast path: hashable positional arguments are their own key (`make_key` agrees).
        k: Any = args
        try:
            result = get(k, MISS)
        except TypeError:  # unhashable: `compute` hands key=MISS to `store.unhashable`
            result = k = MISS
        if result is MISS:
            return compute(k, args, None)
        if state.active:
            return traced_hit(args, None, result)
        if touch is not None:
            try:  # noqa: SIM105 (contextlib.suppress costs a Python-level call on every hit)
                touch(k)
            except KeyError:  # evicted by another thread since the get
                pass
        fast_hits += 1
        return result

    return wrapper


_TEMPLATE = """\
def __make__({make_params}):
    _mg_hits = 0  # hits of this fast path; see _cache.Stats for why `+= 1` is exact

    def {name}({params}):
        nonlocal _mg_hits
        _mg_k = {key}
        try:
            # `_mg_fast` is the cache's `get`; while tracing, one that always misses, so the
            # miss path finds and records the hit (see _trace.register_switch).
            _mg_r = _mg_fast(_mg_k, _mg_MISS)
        except TypeError:  # unhashable: the miss path builds a content key (key=MISS says so)
            _mg_r = _mg_k = _mg_MISS
        if _mg_r is _mg_MISS:
            return _mg_compute(_mg_k, {args}, {kwargs}){touch}
        _mg_hits += 1
        return _mg_r

    def _mg_read_hits():
        return _mg_hits

    return {name}, _mg_read_hits
"""


_TOUCH = """
        try:
            _mg_touch(_mg_k)  # bounded: mark as most recently used
        except KeyError:  # evicted by another thread since the get: still a valid hit
            pass"""


def _always_miss(key: Hashable, default: Any) -> Any:
    hash(key)  # unhashable keys still raise TypeError, as `dict.get` does
    return default


def _mirrored_wrapper(
    func: Callable[..., Any], signature: inspect.Signature, name: str, store: Store
) -> Callable[..., Any] | None:
    """A wrapper with `func`'s own parameters, or None if the signature does not allow it."""
    fragments = mirror(signature)
    if fragments is None:
        return None

    def slow(args: tuple[Any, ...], kwargs: dict[str, Any] | None) -> Any:
        values = args + tuple(kwargs.values()) if kwargs else args
        try:
            k = values_key(values)
        except Unkeyable as error:
            raise unkeyable_error(func, signature, error) from None
        return store.lookup(k, args, kwargs)

    store.unhashable = slow
    env = {"_mg_touch": store.touch, "_mg_MISS": MISS, "_mg_compute": store.compute}
    touch = "" if store.touch is None else _TOUCH
    wrapper, read_hits = build(
        _TEMPLATE, func, fragments, function_name(name, signature), env, touch=touch
    )
    store.stats.add_fast_hits(read_hits)
    _trace.register_switch(wrapper, store.get, _always_miss)
    return wrapper
