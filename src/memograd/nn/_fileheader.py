"""Reading a safetensors header without trusting it: bounded, and checked before any allocation.

A safetensors file is an 8-byte little-endian length N, N bytes of JSON, then the data region::

    {"__metadata__": {"memograd": "<JSON text>"},
     "param/0.kernel": {"dtype": "F32", "shape": [6, 12], "data_offsets": [0, 288]}, ...}

`read_header` reads the 8 bytes first and bounds N by the file's size and `MAX_HEADER_BYTES`
before reading the JSON; `parse_json` bounds its nesting; every tensor entry is checked
(known dtype, shape, offsets, byte count = shape x item size, entries tiling the data region
exactly) against the file's real length. Only then may a caller allocate the tensors, and
their total size is at most the file's. Every problem is a `ValueError` naming the file.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

#: Headers larger than this are refused (ours are kilobytes; the history grows ~100 B/epoch).
MAX_HEADER_BYTES = 16 * 2**20
#: JSON nested deeper than this is refused (model metadata is at most ~6 levels deep).
MAX_JSON_DEPTH = 64
#: NumPy's own limit on dimensions.
MAX_NDIM = 32

#: safetensors dtype codes memograd writes and reads, as NumPy dtypes (little-endian on disk).
DTYPES: dict[str, np.dtype[Any]] = {
    code: np.dtype(name)
    for code, name in {
        "BOOL": "bool",
        "U8": "uint8",
        "I8": "int8",
        "U16": "uint16",
        "I16": "int16",
        "U32": "uint32",
        "I32": "int32",
        "U64": "uint64",
        "I64": "int64",
        "F16": "float16",
        "F32": "float32",
        "F64": "float64",
    }.items()
}


@dataclass(frozen=True)
class TensorEntry:
    """One tensor of the header: where its bytes are, relative to the data region."""

    name: str
    dtype: np.dtype[Any]
    shape: tuple[int, ...]
    begin: int
    end: int


@dataclass(frozen=True)
class Header:
    """A checked header: the tensors, the string metadata, and where the data region starts."""

    tensors: dict[str, TensorEntry]
    metadata: dict[str, str]
    data_start: int


def parse_json(text: str, what: str, where: str) -> Any:
    """`json.loads` with bounded nesting; errors are ValueErrors naming the file and `what`.

    NaN and Infinity parse as floats (Python's json does); schemas reject them by field.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        value = None
        deep = True
    except ValueError as exc:  # JSONDecodeError, or an integer over the digit limit
        raise ValueError(
            f"Model file {where} is corrupted: {what} is not valid JSON ({exc})."
        ) from exc
    else:
        deep = _too_deep(value)
    if deep:
        raise ValueError(
            f"Model file {where} is corrupted: {what} is nested more than "
            f"{MAX_JSON_DEPTH} levels deep."
        )
    return value


def _too_deep(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def read_header(f: IO[bytes], size: int, where: str) -> Header:
    """Read and check the header of the open file `f` of `size` bytes (positioned at 0)."""
    if size < 8:
        raise ValueError(
            f"Model file {where} is truncated or not a safetensors file: it has {size} "
            "byte(s), fewer than the 8-byte header length."
        )
    n = int.from_bytes(f.read(8), "little")
    if n > size - 8:
        raise ValueError(
            f"Model file {where} is truncated or not a safetensors file: its header length "
            f"says {n} bytes, but only {size - 8} follow."
        )
    if n > MAX_HEADER_BYTES:
        raise ValueError(
            f"Model file {where} is corrupted or not a memograd model: its header length says "
            f"{n} bytes, more than the {MAX_HEADER_BYTES} a model file's header may have."
        )
    raw = f.read(n)
    if len(raw) != n:
        raise ValueError(f"Model file {where} is truncated: it shrank while being read.")
    try:
        text = raw.decode("utf-8")  # safetensors headers are UTF-8 (json.loads would guess)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"Model file {where} is corrupted: its safetensors header is not UTF-8 text ({exc})."
        ) from exc
    header = parse_json(text, "its safetensors header", where)
    if not isinstance(header, dict):
        raise ValueError(
            f"Model file {where} is corrupted: its safetensors header is a "
            f"{type(header).__name__}, not a JSON object."
        )
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError(
            f"Model file {where} is corrupted: its __metadata__ is not a map of strings."
        )
    entries = [_entry(name, value, where) for name, value in header.items()]
    _check_layout(entries, size - 8 - n, where)
    return Header({e.name: e for e in entries}, metadata, 8 + n)


def _entry(name: str, value: Any, where: str) -> TensorEntry:
    def bad(reason: str) -> ValueError:
        return ValueError(f"Model file {where} is corrupted: tensor {name!r} {reason}.")

    if not isinstance(value, dict) or set(value) != {"dtype", "shape", "data_offsets"}:
        raise bad("is not described by exactly dtype, shape and data_offsets")
    code, shape, offsets = value["dtype"], value["shape"], value["data_offsets"]
    if code not in DTYPES:
        known = ", ".join(DTYPES)
        raise bad(f"has dtype {code!r}, which memograd model files do not use ({known})")
    if (
        not isinstance(shape, list)
        or len(shape) > MAX_NDIM
        or not all(_is_int(d) and d >= 0 for d in shape)
    ):
        raise bad(f"has shape {shape!r}, expected a list of at most {MAX_NDIM} sizes >= 0")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(_is_int(o) for o in offsets)
        or not 0 <= offsets[0] <= offsets[1]
    ):
        raise bad(f"has data_offsets {offsets!r}, expected [begin, end] with 0 <= begin <= end")
    return TensorEntry(name, DTYPES[code], tuple(shape), offsets[0], offsets[1])


def _check_layout(entries: list[TensorEntry], available: int, where: str) -> None:
    """The entries must fit the data region, match their shapes, and tile it exactly."""
    end = max((e.end for e in entries), default=0)
    if end > available:
        raise ValueError(
            f"Model file {where} is truncated: its header describes {end} bytes of tensor data, "
            f"but only {available} are present."
        )
    position = 0
    for e in sorted(entries, key=lambda e: (e.begin, e.end)):
        expected = math.prod(e.shape) * e.dtype.itemsize
        if e.end - e.begin != expected:
            raise ValueError(
                f"Model file {where} is corrupted: tensor {e.name!r} of shape {list(e.shape)} "
                f"needs {expected} bytes, its data_offsets span {e.end - e.begin}."
            )
        if e.begin != position:
            raise ValueError(
                f"Model file {where} is corrupted: tensor {e.name!r} starts at byte {e.begin} "
                f"of the data, expected {position} (tensors overlap or leave a gap)."
            )
        position = e.end
    if position != available:
        raise ValueError(
            f"Model file {where} is corrupted: {available - position} bytes follow the last "
            "tensor's data."
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


__all__ = ["DTYPES", "MAX_HEADER_BYTES", "Header", "TensorEntry", "parse_json", "read_header"]
