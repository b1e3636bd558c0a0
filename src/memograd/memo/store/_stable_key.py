"""Argument keys that mean the same thing in every process: a canonical byte encoding, hashed.

The in-process cache keys a call by Python objects (their `hash` and `==`), which is neither
stable across interpreters (`PYTHONHASHSEED` changes `hash(str)`) nor defined for arbitrary
objects in another process. A persistent store needs a key another machine computes alike,
so each argument is written into a SHA-256 as tagged bytes, following the same notion of
equality as the in-process content keys (`memo._keys`):

* numbers that compare equal share a key unless `typed` (`1`, `1.0`, `True`, `np.int64(1)`),
  as they share a dict entry in process; floats by their IEEE bits (all NaNs alike);
* `str` as UTF-8, `bytes`/`bytearray` as bytes;
* lists and tuples by their elements, tagged apart (`[1]` is not `(1,)`);
* dicts by their items in a canonical order (insertion order does not matter, as for `==`);
  sets and frozensets by their sorted element encodings (equal sets, equal keys);
* NumPy arrays by dtype, shape and C-order bytes (layout does not matter); object arrays
  element by element; NumPy scalars as the Python number they equal;
* `Enum` members by class path and member name; `pathlib` paths by their string.

Anything else (an arbitrary object, a function, an open file) has no meaning outside this
process, so it is refused: `Unstable` carries where in the argument it sits, and the caller
turns it into a `TypeError` naming the parameter.

Example:
    >>> h = hashlib.sha256()
    >>> encode_into(h, [1, 2.0, "a"], typed=False)
    >>> h2 = hashlib.sha256()
    >>> encode_into(h2, [1.0, 2, "a"], typed=False)
    >>> h.hexdigest() == h2.hexdigest()
    True
"""

from __future__ import annotations

import enum
import hashlib
import math
import struct
import sys
from pathlib import PurePath
from typing import Any, Protocol


class _Hash(Protocol):
    def update(self, data: bytes | memoryview, /) -> None: ...


class Unstable(TypeError):
    """A value with no stable encoding; `path` says where inside the argument (e.g. `[2]['w']`)."""

    def __init__(self, value_type: type, path: str) -> None:
        super().__init__(value_type, path)
        self.value_type = value_type
        self.path = path


_pack_q = struct.Struct("<q").pack
_pack_d = struct.Struct("<d").pack


def _length(h: _Hash, n: int) -> None:
    h.update(_pack_q(n))


def _number(h: _Hash, value: int | float | complex, typed: bool, type_name: str) -> None:
    """Equal numbers give equal bytes (as `==` and `hash` treat them), unless `typed`."""
    if typed:
        h.update(b"T")
        _text(h, type_name)
    if isinstance(value, complex):
        if value.imag != 0:
            h.update(b"c")
            _float_bits(h, value.real)
            _float_bits(h, value.imag)
            return
        value = value.real
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            value = int(value)
        else:
            h.update(b"f")
            _float_bits(h, value)
            return
    # int (bool included: True == 1); arbitrary size, two's complement, length-prefixed.
    data = int(value).to_bytes((int(value).bit_length() + 8) // 8 or 1, "little", signed=True)
    h.update(b"i")
    _length(h, len(data))
    h.update(data)


def _float_bits(h: _Hash, value: float) -> None:
    if math.isnan(value):
        value = math.nan  # one NaN pattern: the sign and payload bits are not part of `==`
    elif value == 0.0:
        value = 0.0  # -0.0 == 0.0
    h.update(_pack_d(value))


def _text(h: _Hash, text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    _length(h, len(data))
    h.update(data)


def _sorted_parts(items: Any, typed: bool, path: str) -> list[bytes]:
    """Encode each item on its own, for containers whose order must not matter."""
    parts = []
    for item in items:
        sub = _Collect()
        encode_into(sub, item, typed, path)
        parts.append(b"".join(sub.chunks))
    parts.sort()
    return parts


class _Collect:
    """A hash stand-in that keeps the bytes, to sort encodings before hashing them."""

    __slots__ = ("chunks",)

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def update(self, data: bytes | memoryview, /) -> None:
        self.chunks.append(bytes(data))


def encode_into(h: _Hash, value: Any, typed: bool, path: str = "") -> None:
    """Write `value`'s canonical encoding into `h` (a hashlib object); `Unstable` if none."""
    if value is None:
        h.update(b"N")
        return
    kind = type(value)
    if kind is str:
        h.update(b"s")
        _text(h, value)
        return
    if kind is int or kind is float or kind is bool or kind is complex:
        _number(h, value, typed, kind.__name__)
        return
    if kind is tuple or kind is list:
        h.update(b"t" if kind is tuple else b"l")
        _length(h, len(value))
        for i, item in enumerate(value):
            encode_into(h, item, typed, f"{path}[{i}]")
        return
    if kind is bytes or kind is bytearray:
        h.update(b"b")
        _length(h, len(value))
        h.update(value)
        return
    if kind is dict:
        h.update(b"d")
        entries = []
        for k, v in value.items():
            key_part = _sorted_parts([k], typed, f"{path}.keys()")[0]
            sub = _Collect()
            encode_into(sub, v, typed, f"{path}[{k!r}]")
            entries.append(key_part + b"".join(sub.chunks))
        entries.sort()
        _length(h, len(entries))
        for entry in entries:
            h.update(entry)
        return
    if kind is set or kind is frozenset:
        h.update(b"S")
        parts = _sorted_parts(value, typed, f"{path}{{...}}")
        _length(h, len(parts))
        for part in parts:
            h.update(part)
        return
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(value, np.ndarray):
            _array(h, np, value, typed, path)
            return
        if isinstance(value, np.generic) and value.dtype.kind in "biufc":
            _number(h, value.item(), typed, f"numpy.{value.dtype.name}")
            return
        if isinstance(value, np.generic) and value.dtype.kind in "SU":
            encode_into(h, value.item(), typed, path)
            return
    if isinstance(value, enum.Enum):
        h.update(b"E")
        _text(h, f"{kind.__module__}.{kind.__qualname__}.{value.name}")
        return
    if isinstance(value, PurePath):
        h.update(b"P")
        _text(h, f"{kind.__name__}:{value}")
        return
    # Subclasses of the basic types (a namedtuple, a str subclass) compare equal to their base
    # values in process, so they share their keys (with the type name when `typed`).
    for base in (bool, int, float, complex, str, bytes, tuple, list, dict, set, frozenset):
        if isinstance(value, base):
            if typed:
                h.update(b"T")
                _text(h, f"{kind.__module__}.{kind.__qualname__}")
            encode_into(h, base(value), typed, path)  # type: ignore[arg-type]
            return
    raise Unstable(kind, path)


def _array(h: _Hash, np: Any, array: Any, typed: bool, path: str) -> None:
    dtype = array.dtype
    h.update(b"A")
    _text(h, dtype.str)
    _length(h, array.ndim)
    for dim in array.shape:
        _length(h, dim)
    if dtype.hasobject:
        for i, item in enumerate(array.ravel(order="C").tolist()):
            encode_into(h, item, typed, f"{path}.flat[{i}]")
        return
    if dtype.fields is not None:
        _text(h, repr(dtype.descr))  # field names and layout of a structured dtype
    # C-order bytes whatever the layout (a copy only when the array is not C-contiguous).
    h.update(np.ascontiguousarray(array).reshape(-1).view(np.uint8).data)


def digest(value: Any, typed: bool = False) -> str:
    """The SHA-256 (hex) of `value`'s canonical encoding.

    Example:
        >>> digest({"a": 1, "b": 2}) == digest({"b": 2, "a": 1.0})
        True
    """
    h = hashlib.sha256()
    encode_into(h, value, typed)
    return h.hexdigest()
