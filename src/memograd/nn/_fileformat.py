"""The model file: named arrays plus a JSON document, stored as safetensors (never pickle).

Layout (safetensors): an 8-byte little-endian header length, a JSON header describing each
tensor (dtype, shape, byte offsets) with a string-to-string ``__metadata__`` map, then the raw
tensor bytes. memograd keeps one metadata entry, ``"memograd"``, holding a JSON document::

    {"format_version": 1, "memograd_version": "0.1.0", "sha256": "...", "metadata": {...}}

``metadata`` is whatever the caller saved (layer config, classes, ...). ``sha256`` covers the
tensor names, dtypes, shapes and bytes, so a flipped bit in the data region is caught too.

Loading parses and checks the header before handing the bytes to safetensors, so every broken
file (missing, truncated, tampered, foreign, from a newer memograd) ends in one `ValueError`
or `OSError` that names the file and says what is wrong.

Example:
    >>> import numpy as np, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "m.safetensors"
    >>> save_model_file(path, {"w": np.eye(2, dtype=np.float32)}, {"units": [2]})
    >>> tensors, metadata = load_model_file(path)
    >>> tensors["w"].dtype, metadata
    (dtype('float32'), {'units': [2]})
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from importlib import metadata as _importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from memograd._atomic import atomic_path

__all__ = ["FORMAT_VERSION", "METADATA_KEY", "load_model_file", "save_model_file"]

#: The version of the memograd document this code writes and reads.
FORMAT_VERSION = 1
#: The safetensors ``__metadata__`` key that marks a memograd model file.
METADATA_KEY = "memograd"

# dtypes safetensors stores and safetensors.numpy reads back as the same NumPy dtype.
_DTYPES = frozenset(
    {"bool", "uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64"}
    | {"float16", "float32", "float64"}
)


def _memograd_version() -> str:
    try:
        return _importlib_metadata.version("memograd")
    except _importlib_metadata.PackageNotFoundError:
        return "unknown"


def _checksum(tensors: Mapping[str, NDArray[Any]]) -> str:
    """SHA-256 over every tensor's name, dtype, shape and little-endian bytes, by name."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        arr = tensors[name]
        little = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
        h.update(json.dumps([name, arr.dtype.name, list(arr.shape)]).encode())
        h.update(np.ascontiguousarray(little).tobytes())
    return h.hexdigest()


def _check_tensors(tensors: Mapping[str, Any]) -> dict[str, NDArray[Any]]:
    if not isinstance(tensors, Mapping):
        raise TypeError(
            "Received an invalid value for `tensors`, expected a dict of name -> numpy array. "
            f"Received: tensors of type {type(tensors).__name__}"
        )
    out: dict[str, NDArray[Any]] = {}
    for name, arr in tensors.items():
        if not isinstance(name, str) or not name or name == "__metadata__":
            raise ValueError(
                "Received an invalid tensor name, expected a non-empty string other than "
                f"'__metadata__'. Received: {name!r}"
            )
        if isinstance(arr, np.generic):  # a NumPy scalar is a 0-d array
            arr = np.asarray(arr)
        if not isinstance(arr, np.ndarray):
            raise TypeError(
                f"Tensor {name!r} must be a numpy array, got {type(arr).__name__}. "
                "Convert framework tensors with np.asarray first."
            )
        if arr.dtype.name not in _DTYPES:
            raise TypeError(
                f"Tensor {name!r} has dtype {arr.dtype}, which a model file cannot store; "
                f"supported: {', '.join(sorted(_DTYPES))}."
            )
        # safetensors reads raw memory from the data pointer: it must be one dense block.
        # (Not np.ascontiguousarray: it turns 0-d arrays into 1-d ones.)
        out[name] = arr if arr.flags.c_contiguous else arr.copy(order="C")
    return out


def save_model_file(
    path: str | os.PathLike[str],
    tensors: Mapping[str, NDArray[Any] | np.generic],
    metadata: Mapping[str, Any],
) -> None:
    """Write `tensors` and the JSON-serializable `metadata` to `path` atomically.

    Args:
        path: the target file (conventionally ``*.safetensors``); its folder must exist.
        tensors: name -> array (or NumPy scalar, stored 0-d); dtype and shape are stored
            exactly (bool, (u)int8..64, float16/32/64).
        metadata: a JSON-serializable mapping (strict JSON: no NaN or infinity). It comes back
            from `load_model_file` as JSON gives it: tuples become lists, keys become strings.

    Raises:
        TypeError: a tensor is not a numpy array or has an unsupported dtype, or the metadata
            is not JSON-serializable.
        ValueError: a bad tensor name, or NaN/infinity in the metadata.
        OSError: the file cannot be written (the old file, if any, is left untouched).

    Example:
        >>> save_model_file("m.safetensors", {"w": np.zeros((2, 3))}, {})  # doctest: +SKIP
    """
    from safetensors.numpy import save_file  # keep `import memograd` light

    arrays = _check_tensors(tensors)
    if not isinstance(metadata, Mapping):
        raise TypeError(
            "Received an invalid value for `metadata`, expected a dict. "
            f"Received: metadata of type {type(metadata).__name__}"
        )
    document = {
        "format_version": FORMAT_VERSION,
        "memograd_version": _memograd_version(),
        "sha256": _checksum(arrays),
        "metadata": dict(metadata),
    }
    try:
        text = json.dumps(document, allow_nan=False)
    except TypeError as exc:
        raise TypeError(f"Model metadata is not JSON-serializable: {exc}") from exc
    except ValueError as exc:
        raise ValueError(
            f"Model metadata contains NaN or infinity, which JSON cannot store: {exc}"
        ) from exc
    with atomic_path(path) as tmp:
        save_file(arrays, tmp, metadata={METADATA_KEY: text})


def _read(path: str | os.PathLike[str], where: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"Model file {where} does not exist.") from exc
    except IsADirectoryError as exc:
        raise IsADirectoryError(f"Model file {where} is a directory, not a file.") from exc
    except OSError as exc:
        raise type(exc)(f"Cannot read model file {where}: {exc.strerror or exc}") from exc


def _parse_header(data: bytes, where: str) -> tuple[dict[str, Any], int]:
    """Return the safetensors JSON header and the offset where tensor data starts."""
    if len(data) < 8:
        raise ValueError(
            f"Model file {where} is truncated or not a safetensors file: it has {len(data)} "
            "byte(s), fewer than the 8-byte header length."
        )
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8:
        raise ValueError(
            f"Model file {where} is truncated or not a safetensors file: its header length "
            f"says {n} bytes, but only {len(data) - 8} follow."
        )
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(
            f"Model file {where} is corrupted: its safetensors header is not valid JSON ({exc})."
        ) from exc
    if not isinstance(header, dict):
        raise ValueError(
            f"Model file {where} is corrupted: its safetensors header is a "
            f"{type(header).__name__}, not a JSON object."
        )
    return header, 8 + n


def _parse_document(header: dict[str, Any], where: str) -> dict[str, Any]:
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or METADATA_KEY not in meta:
        raise ValueError(
            f"Model file {where} is a safetensors file but not a memograd model: its metadata "
            f"has no {METADATA_KEY!r} entry."
        )
    try:
        document = json.loads(meta[METADATA_KEY])
    except (TypeError, json.JSONDecodeError) as exc:
        raise ValueError(
            f"Model file {where} is corrupted: its {METADATA_KEY!r} metadata is not valid JSON "
            f"({exc})."
        ) from exc
    if not isinstance(document, dict):
        raise ValueError(
            f"Model file {where} is corrupted: its {METADATA_KEY!r} metadata is not a JSON object."
        )
    version = document.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(
            f"Model file {where} is corrupted: its format_version is {version!r}, expected an "
            "integer."
        )
    if version != FORMAT_VERSION:
        newer = (
            " (written by a newer memograd; upgrade to read it)" if version > FORMAT_VERSION else ""
        )
        raise ValueError(
            f"Model file {where} has format_version {version}{newer}; this memograd reads "
            f"format_version {FORMAT_VERSION}."
        )
    if not isinstance(document.get("metadata"), dict):
        raise ValueError(f"Model file {where} is corrupted: its metadata is missing.")
    return document


def _check_data_length(header: dict[str, Any], available: int, where: str) -> None:
    """Name truncation precisely when the tensor entries are well-formed."""
    ends = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2):
            return  # malformed: safetensors' own check reports it
        ends.append(offsets[1])
    if ends and all(isinstance(e, int) for e in ends) and max(ends) > available:
        raise ValueError(
            f"Model file {where} is truncated: its header describes {max(ends)} bytes of "
            f"tensor data, but only {available} are present."
        )


def load_model_file(
    path: str | os.PathLike[str],
) -> tuple[dict[str, NDArray[Any]], dict[str, Any]]:
    """Read a file written by `save_model_file`: ``(tensors, metadata)``.

    Nothing is unpickled: the header is JSON and the tensors are raw bytes. The arrays are
    fresh, writable copies with the saved dtype and shape, bit for bit.

    Raises:
        OSError: the file is missing or unreadable (FileNotFoundError, IsADirectoryError, ...).
        ValueError: the file is truncated, corrupted, not a memograd model, or has a format
            version this memograd does not read. The message names the file.

    Example:
        >>> tensors, metadata = load_model_file("m.safetensors")  # doctest: +SKIP
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load

    where = repr(str(path))
    data = _read(path, where)
    header, start = _parse_header(data, where)
    document = _parse_document(header, where)
    _check_data_length(header, len(data) - start, where)
    try:
        views = load(data)
    except (SafetensorError, KeyError, ValueError, TypeError) as exc:
        reason = f"unsupported dtype {exc}" if isinstance(exc, KeyError) else str(exc)
        raise ValueError(f"Model file {where} is corrupted: {reason}.") from exc
    tensors = {name: np.array(view) for name, view in views.items()}  # own, writable copies
    expected = document.get("sha256")
    if expected is not None and expected != _checksum(tensors):
        raise ValueError(
            f"Model file {where} is corrupted: the tensor data does not match its checksum."
        )
    metadata: dict[str, Any] = document["metadata"]
    return tensors, metadata
