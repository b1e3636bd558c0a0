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

# Builtins bound at import: memoized code may replace them (`builtins.len = memoize(len)`),
# and the key functions must not call such a replacement (as functools binds its own).
_hash, _len, _type, _isinstance = hash, len, type, isinstance
_tuple, _frozenset, _zip, _enumerate = tuple, frozenset, zip, enumerate
_modules = sys.modules


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
    key = _content(value)
    try:
        _hash(key)
    except TypeError:
        raise _NoKey(_unkeyable_type(value)) from None
    return key


def _content(value: Any) -> Any:
    """`content_key` without checking hashability: the caller hashes the whole key once.

    A value that is no supported container is returned as it is (the caller's hash finds an
    unhashable one); a tuple whose elements all stay as they are is returned itself, so a
    hashable tuple is its own key.
    """
    kind = _type(value)
    if kind is int or kind is str:  # the common case, without isinstance calls
        return value
    # NumPy is imported only if the caller has imported it: no array can exist otherwise.
    np = _modules.get("numpy")
    if np is not None and _isinstance(value, np.ndarray):
        return _array_key(value)
    if _isinstance(value, list):
        return (_LIST, _tuple([_content(item) for item in value]))
    if _isinstance(value, tuple):
        items = [_content(item) for item in value]
        for item, original in _zip(items, value, strict=True):
            if item is not original:
                return (_TUPLE, _tuple(items))
        return value
    if _isinstance(value, dict):
        # Dict keys are hashable already; equal dicts are equal whatever their insertion order.
        return (_DICT, _frozenset([(k, _content(v)) for k, v in value.items()]))
    if _isinstance(value, set):
        return _frozenset(value)  # equal to the frozenset of the same elements, as in Python
    return value


def _unkeyable_type(value: Any) -> type:
    """The type inside `value` that has no content key (`value` has none)."""
    np = _modules.get("numpy")
    if np is not None and _isinstance(value, np.ndarray) and value.dtype.hasobject:
        items: Any = value.ravel(order="C").tolist()
    elif _isinstance(value, list | tuple):
        items = value
    elif _isinstance(value, dict):
        items = value.values()
    else:
        return _type(value)
    for item in items:
        try:
            _hash(_content(item))
        except TypeError:
            return _unkeyable_type(item)
    return _type(value)


def _array_key(array: Any) -> Hashable:
    if array.dtype.hasobject:
        items = _tuple([_content(item) for item in array.ravel(order="C").tolist()])
        return (_ARRAY, array.dtype.str, array.shape, items)
    # tobytes() copies in C order whatever the layout: equal values give equal bytes.
    return (_ARRAY, array.dtype.str, array.shape, array.tobytes(order="C"))


def _keyed(value: Any, position: int | str) -> Any:
    try:
        return _content(value)
    except RecursionError:
        raise Unkeyable(position, _type(value), _type(value)) from None


def make_key(args: tuple[Any, ...], kwargs: dict[str, Any] | None, typed: bool) -> Hashable:
    """The cache key of a call `f(*args, **kwargs)` (signatures with `*args`/`**kwargs`).

    Without keywords and `typed`, a call whose arguments are all their own key is keyed by
    the `args` tuple itself; otherwise by a tuple of content keys. Keyword arguments follow a
    private marker, in call order (as `functools.lru_cache` does). `typed=True` appends the
    argument types, so `f(1)` and `f(1.0)` get different keys. Nothing is hashed here: the
    caller hashes the key once (a `TypeError` then means an argument has no key, see
    `find_unkeyable`).

    Example:
        >>> make_key((1, "a"), None, False)
        (1, 'a')
    """
    parts: list[Any] = [_keyed(value, i) for i, value in _enumerate(args)]
    if not kwargs and not typed:
        for part, value in _zip(parts, args, strict=True):
            if part is not value:
                return _tuple(parts)
        return args
    if kwargs:
        parts.append(_KWARGS)
        for name, value in kwargs.items():
            parts.append(name)
            parts.append(_keyed(value, name))
    if typed:
        parts.append(_TYPES)
        parts.extend([_type(value) for value in args])
        if kwargs:
            parts.extend([_type(value) for value in kwargs.values()])
    return _tuple(parts)


def values_key(values: Sequence[Any]) -> Hashable:
    """The key of a call given its bound parameter values, in signature order.

    Used by wrappers that mirror a fixed signature: one parameter is keyed by its value,
    several by the tuple of their values (content keys where a value is unhashable), so
    `f(5)`, `f(n=5)` and a default-filled call all share one key. Nothing is hashed here.

    Example:
        >>> values_key([5]), values_key([1, 2])
        (5, (1, 2))
    """
    keys = [_keyed(value, i) for i, value in _enumerate(values)]
    return keys[0] if _len(keys) == 1 else _tuple(keys)


def unhashable_key_error(k: Any) -> TypeError:
    """The error for a `key=` function that returned something unhashable."""
    return TypeError(
        f"The `key` function given to memoize must return a hashable value. "
        f"Received: a {type(k).__name__}"
    )


def find_unkeyable(args: Sequence[Any], kwargs: dict[str, Any] | None) -> Unkeyable:
    """Why a call's key could not be hashed: the first argument without a content key."""
    named: list[tuple[int | str, Any]] = list(enumerate(args))
    if kwargs:
        named += list(kwargs.items())
    for position, value in named:
        try:
            content_key(value)
        except _NoKey as error:
            return Unkeyable(position, type(value), error.inner)
        except RecursionError:
            return Unkeyable(position, type(value), type(value))
    # Every argument hashes alone (a `__hash__` that fails only sometimes): blame the first.
    first = named[0] if named else (0, None)
    return Unkeyable(first[0], type(first[1]), type(first[1]))


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
