"""Stored values: a documented byte format that loading can never turn into running code.

Whoever can write to a shared cache must not be able to run code in the processes that read
it, so values are not pickled. An entry is::

    entry  = b"MGS1" body
    body   = b"N" value                      native format (below)
           | b"U" u16 name-length, name, payload   a user `serializer=` (name checked on load)
           | b"P" 32-byte HMAC-SHA256, payload     opt-in pickle, signed (`PickleSerializer`)

    value  = b"0"                            None
           | b"T" | b"F"                     True, False
           | b"i" u32 n, n bytes             int, two's complement, little-endian
           | b"f" f64                        float
           | b"c" f64 f64                    complex
           | b"s" u64 n, n bytes             str, UTF-8
           | b"b" u64 n, n bytes             bytes
           | b"l" | b"t"  u64 n, n values    list, tuple
           | b"d" u64 n, n (key value)       dict, insertion order kept
           | b"a" dtype, u8 ndim, ndim u64 dims, u64 n, u8 p, p zero bytes, n bytes
                                             NumPy array, C order; `p` pads the data to a
                                             64-byte offset from the entry's start
           | b"g" dtype, u64 n, n bytes      NumPy scalar
    dtype  = u8 n, n ASCII bytes             `numpy.dtype.str`, e.g. "<f4" (never object)

All integers little-endian. Decoding checks every length against the bytes present and that
nothing is left over, so a truncated or padded entry is refused (`CorruptEntry`) rather than
half-read; an object dtype is refused (its raw bytes would be pointers). Decoded arrays are
writable: copies when the entry is `bytes`, aligned views into it when it is a `bytearray`
(which a store hands over for large entries: one allocation and no second copy).

Example:
    >>> import numpy as np
    >>> blob = encode({"w": np.arange(3.0), "epochs": 5}, None)
    >>> decode(blob, None)["w"]
    array([0., 1., 2.])
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import sys
from typing import Any, Protocol, runtime_checkable

MAGIC = b"MGS1"
_u8 = struct.Struct("<B")
_u16 = struct.Struct("<H")
_u32 = struct.Struct("<I")
_u64 = struct.Struct("<Q")
_f64 = struct.Struct("<d")
_c128 = struct.Struct("<dd")


class CorruptEntry(ValueError):
    """A stored entry that is not a whole value in the format (truncated, padded, unknown)."""


class UntrustedEntry(ValueError):
    """An entry refused before loading: unsigned, tampered, or written by another serializer."""


@runtime_checkable
class Serializer(Protocol):
    """What `serializer=` takes: a name (stored with each entry and part of the key), and
    `dumps`/`loads` between a result and bytes."""

    name: str

    def dumps(self, value: Any) -> bytes: ...
    def loads(self, data: bytes) -> Any: ...


class PickleSerializer:
    """Opt-in pickle, signed: entries carry an HMAC-SHA256 made with `key`, and an entry
    whose signature does not verify is refused with `UntrustedEntry`, never unpickled.

    Only processes holding `key` can write entries the others will load; keep it secret (it
    is not part of the cache key, only the name `"pickle-hmac-sha256"` is).

    Example:
        >>> s = PickleSerializer(b"a secret of 16+ bytes")
        >>> s.loads(s.dumps({1, 2}))
        {1, 2}
    """

    name = "pickle-hmac-sha256"

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes | bytearray) or len(key) < 16:
            raise ValueError(
                "Received an invalid value for `key`, expected at least 16 secret bytes. "
                f"Received: a {type(key).__name__}"
                + (f" of length {len(key)}" if isinstance(key, bytes | bytearray) else "")
            )
        self._key = bytes(key)

    def dumps(self, value: Any) -> bytes:
        import pickle

        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        return hmac.new(self._key, payload, hashlib.sha256).digest() + payload

    def loads(self, data: bytes) -> Any:
        import pickle

        mac, payload = data[:32], data[32:]
        expected = hmac.new(self._key, payload, hashlib.sha256).digest()
        if len(mac) != 32 or not hmac.compare_digest(mac, expected):
            raise UntrustedEntry(
                "Refusing to unpickle a stored entry whose HMAC signature does not verify "
                "(tampered, or written with another key)."
            )
        return pickle.loads(payload)

    def __repr__(self) -> str:
        return "PickleSerializer(key=<hidden>)"


def encode(value: Any, serializer: Serializer | None) -> bytes:
    """The entry for `value`: native format, or the serializer's bytes in their envelope.

    Raises TypeError naming the first unsupported part (e.g. `result['model']`) when the
    native format cannot hold `value` and no serializer is given.
    """
    if serializer is None:
        parts = _Parts([MAGIC, b"N"])
        _encode(value, parts, "result")
        return b"".join(parts)
    payload = serializer.dumps(value)
    if not isinstance(payload, bytes | bytearray):
        raise TypeError(
            f"serializer {serializer.name!r}.dumps must return bytes. Received: "
            f"{type(payload).__name__}"
        )
    if isinstance(serializer, PickleSerializer):
        return MAGIC + b"P" + bytes(payload)
    name = serializer.name.encode("utf-8")
    return MAGIC + b"U" + _u16.pack(len(name)) + name + bytes(payload)


def decode(entry: bytes | bytearray, serializer: Serializer | None) -> Any:
    """The value stored in `entry`, refusing any entry the configured reader did not write."""
    if not isinstance(entry, bytes | bytearray):  # e.g. a memoryview from a backend
        entry = bytes(entry)
    if entry[:4] != MAGIC or len(entry) < 5:
        raise CorruptEntry("Stored entry does not start with the memograd store header.")
    kind = entry[4:5]
    if serializer is None:
        if kind != b"N":
            raise UntrustedEntry(
                f"Stored entry was written by a serializer ({kind!r}); this function reads "
                "the native format only."
            )
        try:
            value, end = _decode(entry, 5)
        except (IndexError, struct.error):
            raise CorruptEntry("Stored entry is truncated.") from None
        if end != len(entry):
            raise CorruptEntry(f"Stored entry has {len(entry) - end} bytes after its value.")
        return value
    if isinstance(serializer, PickleSerializer):
        if kind != b"P":
            raise UntrustedEntry("Refusing a stored entry that is not a signed pickle.")
        return serializer.loads(bytes(entry[5:]))
    if kind != b"U" or len(entry) < 7:
        raise UntrustedEntry(f"Stored entry was not written by serializer {serializer.name!r}.")
    (n,) = _u16.unpack_from(entry, 5)
    if entry[7 : 7 + n].decode("utf-8", "replace") != serializer.name:
        raise UntrustedEntry(f"Stored entry was not written by serializer {serializer.name!r}.")
    return serializer.loads(bytes(entry[7 + n :]))


ALIGN = 64


class _Parts(list[Any]):
    """The pieces of an entry, with a running byte count (for aligning array data)."""

    def __init__(self, items: list[Any]) -> None:
        super().__init__(items)
        self.counted = 0
        self.size = 0

    def offset(self) -> int:
        self.size += sum(len(p) for p in self[self.counted :])
        self.counted = len(self)
        return self.size


def _encode(value: Any, parts: _Parts, path: str) -> None:
    if value is None:
        parts.append(b"0")
        return
    kind = type(value)
    if kind is bool:
        parts.append(b"T" if value else b"F")
    elif kind is int:
        data = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
        parts += (b"i", _u32.pack(len(data)), data)
    elif kind is float:
        parts += (b"f", _f64.pack(value))
    elif kind is complex:
        parts += (b"c", _c128.pack(value.real, value.imag))
    elif kind is str:
        data = value.encode("utf-8", "surrogatepass")
        parts += (b"s", _u64.pack(len(data)), data)
    elif kind is bytes:
        parts += (b"b", _u64.pack(len(value)), value)
    elif kind is list or kind is tuple:
        parts += (b"l" if kind is list else b"t", _u64.pack(len(value)))
        for i, item in enumerate(value):
            _encode(item, parts, f"{path}[{i}]")
    elif kind is dict:
        parts += (b"d", _u64.pack(len(value)))
        for k, v in value.items():
            _encode(k, parts, f"{path} key {k!r}")
            _encode(v, parts, f"{path}[{k!r}]")
    else:
        np = sys.modules.get("numpy")
        if np is not None and kind is np.ndarray:
            dtype = _plain_dtype(np, value.dtype, path)
            array = np.ascontiguousarray(value)  # (1-d for a 0-d value: keep value.shape)
            parts += (b"a", dtype, _u8.pack(value.ndim))
            parts += [_u64.pack(d) for d in value.shape]
            parts.append(_u64.pack(array.nbytes))
            pad = -(parts.offset() + 1) % ALIGN
            parts += (_u8.pack(pad), bytes(pad), array.reshape(-1).view(np.uint8).data)
        elif np is not None and isinstance(value, np.generic):
            dtype = _plain_dtype(np, value.dtype, path)
            data = value.tobytes()
            parts += (b"g", dtype, _u64.pack(len(data)), data)
        else:
            raise TypeError(
                f"Cannot store {path} of type {kind.__module__}.{kind.__qualname__} in the "
                "native format (None, bool, int, float, complex, str, bytes, NumPy arrays and "
                "scalars, and lists, tuples and dicts of these). Pass `serializer=` to "
                "memoize to store other types."
            )


def _plain_dtype(np: Any, dtype: Any, path: str) -> bytes:
    text = dtype.str
    if dtype.hasobject or dtype.fields is not None or np.dtype(text) != dtype:
        raise TypeError(
            f"Cannot store {path} with dtype {dtype} in the native format (object and "
            "structured dtypes are not supported). Pass `serializer=` to memoize."
        )
    data = text.encode("ascii")
    return _u8.pack(len(data)) + data


def _read_dtype(data: bytes | bytearray, at: int) -> tuple[Any, int]:
    import numpy as np

    n = data[at]
    stop = at + 1 + n
    if stop > len(data):
        raise CorruptEntry("Stored entry is truncated.")
    try:
        dtype = np.dtype(data[at + 1 : stop].decode("ascii"))
    except (TypeError, ValueError, UnicodeDecodeError):
        raise CorruptEntry("Stored entry names an unknown dtype.") from None
    if dtype.hasobject or dtype.fields is not None:
        raise UntrustedEntry(f"Refusing a stored array of dtype {dtype} (object or structured).")
    return dtype, stop


def _span(data: bytes | bytearray, at: int, n: int) -> int:
    """The end of `n` bytes starting at `at`, refusing to run past the entry."""
    end = at + n
    if end > len(data):
        raise CorruptEntry("Stored entry is truncated.")
    return end


# Tags as the integers `data[at]` yields.
_T_NONE, _T_TRUE, _T_FALSE, _T_INT, _T_FLOAT, _T_COMPLEX = b"0TFifc"
_T_STR, _T_BYTES, _T_LIST, _T_TUPLE, _T_DICT, _T_ARRAY, _T_SCALAR = b"sbltdag"
_unpack_u32 = _u32.unpack_from
_unpack_u64 = _u64.unpack_from
_unpack_f64 = _f64.unpack_from


def _decode(data: bytes | bytearray, at: int) -> tuple[Any, int]:
    """Read one value at `at`; returns it and the offset after it. Indexing past the end
    raises IndexError/struct.error, which `decode` turns into CorruptEntry."""
    tag = data[at]
    at += 1
    if tag in (_T_STR, _T_BYTES):
        (n,) = _unpack_u64(data, at)
        last = _span(data, at + 8, n)
        raw = data[at + 8 : last]
        return (raw.decode("utf-8", "surrogatepass") if tag == _T_STR else bytes(raw)), last
    if tag == _T_FLOAT:
        return _unpack_f64(data, at)[0], at + 8
    if tag == _T_INT:
        (n,) = _unpack_u32(data, at)
        last = _span(data, at + 4, n)
        return int.from_bytes(data[at + 4 : last], "little", signed=True), last
    if tag == _T_NONE:
        return None, at
    if tag == _T_TRUE:
        return True, at
    if tag == _T_FALSE:
        return False, at
    if tag in (_T_LIST, _T_TUPLE):
        (n,) = _unpack_u64(data, at)
        at += 8
        _span(data, at, n)  # each item takes at least one byte
        items = []
        for _ in range(n):
            item, at = _decode(data, at)
            items.append(item)
        return (items if tag == _T_LIST else tuple(items)), at
    if tag == _T_DICT:
        (n,) = _unpack_u64(data, at)
        at += 8
        _span(data, at, 2 * n)
        out: dict[Any, Any] = {}
        for _ in range(n):
            k, at = _decode(data, at)
            v, at = _decode(data, at)
            try:
                out[k] = v
            except TypeError:
                raise CorruptEntry("Stored entry has an unhashable dict key.") from None
        return out, at
    if tag == _T_COMPLEX:
        real, imag = _c128.unpack_from(data, at)
        return complex(real, imag), at + 16
    if tag == _T_ARRAY:
        import numpy as np

        dtype, at = _read_dtype(data, at)
        ndim = data[at]
        shape = struct.unpack_from(f"<{ndim}Q", data, at + 1)
        at += 1 + 8 * ndim
        (nbytes,) = _unpack_u64(data, at)
        at += 9 + data[at + 8]  # the length, the padding's length, the padding
        last = _span(data, at, nbytes)
        count = 1
        for d in shape:
            count *= d
        if count * dtype.itemsize != nbytes:
            raise CorruptEntry("Stored array's shape does not match its byte count.")
        array = np.frombuffer(data, dtype=dtype, count=count, offset=at).reshape(shape)
        # Writable either way, as a freshly computed result: a view into a bytearray entry
        # (this decode's own buffer), else a copy of the read-only bytes.
        return (array if isinstance(data, bytearray) else array.copy()), last
    if tag == _T_SCALAR:
        import numpy as np

        dtype, at = _read_dtype(data, at)
        (n,) = _unpack_u64(data, at)
        at += 8
        last = _span(data, at, n)
        if n != dtype.itemsize:
            raise CorruptEntry("Stored NumPy scalar has the wrong byte count.")
        return np.frombuffer(data, dtype=dtype, count=1, offset=at)[0], last
    raise CorruptEntry(f"Stored entry has an unknown tag {bytes([tag])!r}.")
