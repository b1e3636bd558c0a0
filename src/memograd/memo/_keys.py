"""Cache keys by content: equal arguments give equal keys, whatever their memory layout.

A hashable argument is its own key (as in `functools.lru_cache`). An unhashable one is turned
into a hashable *content key*: lists, tuples, dicts and sets by their elements, NumPy arrays by
dtype + shape + values (C-order bytes, so C/Fortran order and strided views of equal values give
equal keys). Container kinds are tagged with private `_Tag` objects, so a user value can never
collide with a content key, and a list never collides with a tuple of the same elements.

Example:
    >>> import numpy as np
    >>> a = np.arange(6.0).reshape(2, 3)
    >>> content_key(a) == content_key(np.asfortranarray(a))
    True
    >>> content_key([1, 2]) == content_key((1, 2))
    False
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Final


class _Tag:
    """A private marker put at the front of a content key; equal only to itself."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


_LIST: Final = _Tag("list")
_TUPLE: Final = _Tag("tuple")
_DICT: Final = _Tag("dict")
_ARRAY: Final = _Tag("ndarray")
_KWARGS: Final = _Tag("kwargs")
_TYPES: Final = _Tag("types")

MISS: Final = _Tag("miss")
"""Sentinel returned by a cache lookup that found nothing (`None` is a valid cached result)."""


class Unkeyable(TypeError):
    """An argument that has no content key; `position` is its index (int) or keyword (str)."""

    def __init__(self, position: int | str, outer: type, inner: type) -> None:
        super().__init__(position, outer, inner)
        self.position = position
        self.outer = outer  # the argument's type
        self.inner = inner  # the type that could not be keyed (the argument or an element)


class _NoKey(Exception):
    """Raised inside `content_key` with the offending type; turned into `Unkeyable`."""

    def __init__(self, inner: type) -> None:
        super().__init__(inner)
        self.inner = inner


def content_key(value: Any) -> Hashable:
    """A hashable key equal for arguments of equal content.

    Raises `_NoKey` (internal) for values that are neither hashable nor a supported container.
    """
    try:
        hash(value)
    except TypeError:
        pass
    else:
        return value
    # NumPy is imported only if the caller has imported it: no array can exist otherwise.
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        return _array_key(value)
    if isinstance(value, list):
        return (_LIST, tuple([content_key(item) for item in value]))
    if isinstance(value, tuple):
        return (_TUPLE, tuple([content_key(item) for item in value]))
    if isinstance(value, dict):
        # Dict keys are hashable already; equal dicts are equal whatever their insertion order.
        return (_DICT, frozenset([(k, content_key(v)) for k, v in value.items()]))
    if isinstance(value, set):
        return frozenset(value)  # equal to the frozenset of the same elements, as in Python
    raise _NoKey(type(value))


def _array_key(array: Any) -> Hashable:
    if array.dtype.hasobject:
        items = tuple([content_key(item) for item in array.ravel(order="C").tolist()])
        return (_ARRAY, array.dtype.str, array.shape, items)
    # tobytes() copies in C order whatever the layout: equal values give equal bytes.
    return (_ARRAY, array.dtype.str, array.shape, array.tobytes(order="C"))


def _keyed(value: Any, position: int | str) -> Hashable:
    try:
        return content_key(value)
    except _NoKey as error:
        raise Unkeyable(position, type(value), error.inner) from None
    except RecursionError:
        raise Unkeyable(position, type(value), type(value)) from None


def make_key(args: tuple[Any, ...], kwargs: dict[str, Any] | None, typed: bool) -> Hashable:
    """The cache key of a call `f(*args, **kwargs)` (signatures with `*args`/`**kwargs`).

    Without keywords and `typed`, a call whose arguments are all hashable is keyed by the
    `args` tuple itself (the fast path); otherwise by a tuple of content keys. Keyword
    arguments follow a private marker, in call order (as `functools.lru_cache` does).
    `typed=True` appends the argument types, so `f(1)` and `f(1.0)` get different keys.

    Example:
        >>> make_key((1, "a"), None, False)
        (1, 'a')
    """
    if not kwargs and not typed:
        try:
            hash(args)
        except TypeError:
            pass
        else:
            return args
    parts: list[Any] = [_keyed(value, i) for i, value in enumerate(args)]
    if kwargs:
        parts.append(_KWARGS)
        for name, value in kwargs.items():
            parts.append(name)
            parts.append(_keyed(value, name))
    if typed:
        parts.append(_TYPES)
        parts.extend([type(value) for value in args])
        if kwargs:
            parts.extend([type(value) for value in kwargs.values()])
    return tuple(parts)


def values_key(values: Sequence[Any]) -> Hashable:
    """The key of a call given its bound parameter values, in signature order.

    Used by wrappers that mirror a fixed signature: one parameter is keyed by its value,
    several by the tuple of their values (content keys where a value is unhashable), so
    `f(5)`, `f(n=5)` and a default-filled call all share one key.

    Example:
        >>> values_key([5]), values_key([1, 2])
        (5, (1, 2))
    """
    keys = [_keyed(value, i) for i, value in enumerate(values)]
    return keys[0] if len(keys) == 1 else tuple(keys)


def unkeyable_error(
    func: Callable[..., Any], signature: inspect.Signature | None, error: Unkeyable
) -> TypeError:
    param = _parameter_name(signature, error.position)
    what = (
        f"of type {error.outer.__name__}"
        if error.inner is error.outer
        else f"of type {error.outer.__name__} containing a {error.inner.__name__}"
    )
    return TypeError(
        f"Cannot memoize the call of {getattr(func, '__qualname__', func)!r}: argument "
        f"`{param}` {what}, which is not hashable and has no content key (expected hashable "
        "values, lists, tuples, dicts, sets or NumPy arrays). Pass `key=` to memoize to key "
        "such calls yourself."
    )


def _parameter_name(signature: inspect.Signature | None, position: int | str) -> str:
    if isinstance(position, str):
        return position
    if signature is None:
        return f"#{position}"
    positional = []
    for param in signature.parameters.values():
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            positional.append(param.name)
        elif param.kind is param.VAR_POSITIONAL:
            if position >= len(positional):
                return f"{param.name}[{position - len(positional)}]"
        elif param.kind is param.KEYWORD_ONLY and position >= len(positional):
            # Mirrored wrappers number keyword-only values after the positional ones.
            positional.append(param.name)
    return positional[position] if position < len(positional) else f"#{position}"
