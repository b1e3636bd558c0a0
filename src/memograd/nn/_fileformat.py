"""The model file: named arrays plus a JSON document, stored as safetensors (never pickle).

Layout (safetensors): an 8-byte little-endian header length, a JSON header describing each
tensor (dtype, shape, byte offsets) with a string-to-string ``__metadata__`` map, then the raw
tensor bytes. memograd keeps one metadata entry, ``"memograd"``, holding a JSON document::

    {"format_version": 2, "memograd_version": "0.1.0", "sha256": "...", "metadata": {...}}

``metadata`` is whatever the caller saved (layer config, classes, ...). ``sha256`` covers
everything else in the document (in a canonical JSON encoding) and every tensor's name, dtype,
shape and bytes, so a flipped bit or an edited field anywhere is caught. It detects corruption
and accidental edits; it is not a signature (anyone can recompute it). A file without it is
refused unless the caller passes ``verify=False``. Format 1 (memograd 0.1 before this) had a
checksum of the tensors only: such files load with ``verify=False`` and should be saved again.

Loading reads the header first and checks it against the file's size (`_fileheader`), lets
the caller validate the metadata and tensor shapes (`check=`) before any tensor is allocated,
then reads the tensors. Every broken file (missing, truncated, tampered, foreign, from a newer
memograd) ends in one `ValueError` or `OSError` that names the file and says what is wrong.

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
import io
import json
import os
import re
import stat
from collections.abc import Callable, Mapping
from importlib import metadata as _importlib_metadata
from typing import Any

import numpy as np
from numpy.typing import NDArray

from memograd._atomic import write_bytes
from memograd.nn._fileheader import Header, parse_json, read_header

__all__ = ["FORMAT_VERSION", "METADATA_KEY", "load_model_file", "save_model_file"]

#: The version of the memograd document this code writes (and reads with verification).
FORMAT_VERSION = 2
#: Format 1: the same layout, but its checksum covers only the tensors.
_UNVERIFIABLE_VERSIONS = (1,)
#: The safetensors ``__metadata__`` key that marks a memograd model file.
METADATA_KEY = "memograd"

#: A check of the metadata and the tensors' (dtype name, shape) before they are read.
Check = Callable[[dict[str, Any], dict[str, tuple[str, tuple[int, ...]]]], None]

_SHA256 = re.compile(r"[0-9a-f]{64}")
_DTYPE_NAMES = frozenset(
    {"bool", "uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64"}
    | {"float16", "float32", "float64"}
)


def _memograd_version() -> str:
    try:
        return _importlib_metadata.version("memograd")
    except _importlib_metadata.PackageNotFoundError:
        return "unknown"


def _canonical(document: Mapping[str, Any]) -> bytes:
    """One byte string per JSON value: sorted keys, no spaces, ASCII (exact float repr)."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=True
    ).encode("ascii")


def _checksum(document: Mapping[str, Any], tensors: Mapping[str, NDArray[Any]]) -> str:
    """SHA-256 over the document without its ``sha256`` field, then every tensor by name:
    its name, dtype and shape as JSON and its little-endian bytes."""
    h = hashlib.sha256()
    head = _canonical({k: v for k, v in document.items() if k != "sha256"})
    h.update(len(head).to_bytes(8, "little"))
    h.update(head)
    for name in sorted(tensors):
        arr = tensors[name]
        little = np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("<"), copy=False))
        h.update(json.dumps([name, arr.dtype.name, list(arr.shape)]).encode())
        h.update(little.reshape(-1).view(np.uint8).data)
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
        if arr.dtype.name not in _DTYPE_NAMES:
            raise TypeError(
                f"Tensor {name!r} has dtype {arr.dtype}, which a model file cannot store; "
                f"supported: {', '.join(sorted(_DTYPE_NAMES))}."
            )
        # safetensors reads raw memory from the data pointer: it must be one dense block.
        # (Not np.ascontiguousarray: it turns 0-d arrays into 1-d ones.)
        out[name] = arr if arr.flags.c_contiguous else arr.copy(order="C")
    return out


def save_model_file(
    path: str | os.PathLike[str],
    tensors: Mapping[str, NDArray[Any] | np.generic],
    metadata: Mapping[str, Any],
    *,
    check: Check | None = None,
) -> None:
    """Write `tensors` and the JSON-serializable `metadata` to `path` atomically.

    The file gets the mode a plain ``open(path, "w")`` would give it (0666 minus the umask);
    the temp file of a killed save is deleted by the next save of the same path.

    Args:
        path: the target file (conventionally ``*.safetensors``); its folder must exist.
        tensors: name -> array (or NumPy scalar, stored 0-d); dtype and shape are stored
            exactly (bool, (u)int8..64, float16/32/64).
        metadata: a JSON-serializable mapping (strict JSON: no NaN or infinity). It comes back
            from `load_model_file` as JSON gives it: tuples become lists, keys become strings.
        check: the `check` the file will be loaded with, run here on the metadata as it will
            be read, so that nothing is written that would not load.

    Raises:
        TypeError: a tensor is not a numpy array or has an unsupported dtype, or the metadata
            is not JSON-serializable.
        ValueError: a bad tensor name, or NaN/infinity in the metadata.
        OSError: the file cannot be written (the old file, if any, is left untouched).

    Example:
        >>> save_model_file("m.safetensors", {"w": np.zeros((2, 3))}, {})  # doctest: +SKIP
    """
    from safetensors.numpy import save  # keep `import memograd` light

    arrays = _check_tensors(tensors)
    if not isinstance(metadata, Mapping):
        raise TypeError(
            "Received an invalid value for `metadata`, expected a dict. "
            f"Received: metadata of type {type(metadata).__name__}"
        )
    document: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "memograd_version": _memograd_version(),
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
    # The checks and the checksum see what a reader will parse (tuples are lists, ...).
    document = json.loads(text)
    if check is not None:
        check(document["metadata"], {n: (a.dtype.name, a.shape) for n, a in arrays.items()})
    document["sha256"] = _checksum(document, arrays)
    write_bytes(path, save(arrays, metadata={METADATA_KEY: json.dumps(document)}))


def _open(path: str | os.PathLike[str], where: str) -> io.BufferedReader:
    """Open a regular file for reading; OSErrors name the file as the user gave it."""
    try:
        mode = os.stat(path).st_mode  # before open(): opening a FIFO would block
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"Model file {where} does not exist.") from exc
    except OSError as exc:
        raise type(exc)(f"Cannot read model file {where}: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"Model file {where} is a directory, not a file.")
    if not stat.S_ISREG(mode):
        raise ValueError(f"Model file {where} is not a regular file (a device, pipe or socket).")
    try:
        return open(path, "rb")
    except OSError as exc:
        raise type(exc)(f"Cannot read model file {where}: {exc.strerror or exc}") from exc


def _parse_document(header: Header, where: str, verify: bool) -> dict[str, Any]:
    if METADATA_KEY not in header.metadata:
        raise ValueError(
            f"Model file {where} is a safetensors file but not a memograd model: its metadata "
            f"has no {METADATA_KEY!r} entry."
        )
    document = parse_json(header.metadata[METADATA_KEY], f"its {METADATA_KEY!r} metadata", where)
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
    if version in _UNVERIFIABLE_VERSIONS and verify:
        raise ValueError(
            f"Model file {where} has format_version {version}, whose checksum does not cover "
            "the architecture and training state, so it cannot be verified. If you trust the "
            "file, load it with mg.nn.load(path, verify=False) and save it again."
        )
    if version != FORMAT_VERSION and version not in _UNVERIFIABLE_VERSIONS:
        newer = (
            " (written by a newer memograd; upgrade to read it)" if version > FORMAT_VERSION else ""
        )
        raise ValueError(
            f"Model file {where} has format_version {version}{newer}; this memograd reads "
            f"format_version {FORMAT_VERSION}."
        )
    if not isinstance(document.get("metadata"), dict):
        raise ValueError(f"Model file {where} is corrupted: its metadata is missing.")
    if verify:
        digest = document.get("sha256")
        if digest is None:
            raise ValueError(
                f"Model file {where} has no sha256 checksum, so it cannot be verified. If you "
                "trust the file, load it with verify=False (mg.nn.load(path, verify=False)) "
                "and save it again."
            )
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise ValueError(
                f"Model file {where} is corrupted: its sha256 field is not 64 hex digits."
            )
    return document


def _read_tensors(f: io.BufferedReader, header: Header, where: str) -> dict[str, NDArray[Any]]:
    """Read each tensor straight into its own array, from offsets `read_header` checked.

    (safetensors' readers take a path, which would be opened again after our checks, or the
    whole file as bytes, which costs three times its size in memory.)
    """
    tensors: dict[str, NDArray[Any]] = {}
    for name, entry in header.tensors.items():
        array = np.empty(entry.shape, dtype=entry.dtype.newbyteorder("<"))
        f.seek(header.data_start + entry.begin)
        if f.readinto(array.reshape(-1).view(np.uint8).data) != entry.end - entry.begin:
            raise ValueError(f"Model file {where} is truncated: it shrank while being read.")
        tensors[name] = array.astype(entry.dtype, copy=False)  # native byte order
    return tensors


def load_model_file(
    path: str | os.PathLike[str], *, verify: bool = True, check: Check | None = None
) -> tuple[dict[str, NDArray[Any]], dict[str, Any]]:
    """Read a file written by `save_model_file`: ``(tensors, metadata)``.

    Nothing is unpickled: the header is JSON and the tensors are raw bytes. The arrays are
    fresh, writable copies with the saved dtype and shape, bit for bit. Memory use is bounded
    by the file's real size, whatever its header claims.

    Args:
        verify: check the sha256 checksum (default). False loads a file without one (or one
            written by format 1, or edited on purpose); every structural check still runs.
        check: called as ``check(metadata, {name: (dtype name, shape)})`` after the header is
            validated and before any tensor is read; it raises to refuse the file.

    Raises:
        OSError: the file is missing or unreadable (FileNotFoundError, IsADirectoryError, ...).
        ValueError: the file is truncated, corrupted, not a memograd model, has no checksum
            (with verify), or has a format version this memograd does not read. The message
            names the file.

    Example:
        >>> tensors, metadata = load_model_file("m.safetensors")  # doctest: +SKIP
    """
    where = repr(str(path))
    with _open(path, where) as f:
        try:
            size = os.fstat(f.fileno()).st_size
            header = read_header(f, size, where)
            document = _parse_document(header, where, verify)
            metadata: dict[str, Any] = document["metadata"]
            if check is not None:
                shapes = {n: (e.dtype.name, e.shape) for n, e in header.tensors.items()}
                check(metadata, shapes)
            tensors = _read_tensors(f, header, where)
        except OSError as exc:
            raise type(exc)(f"Cannot read model file {where}: {exc.strerror or exc}") from exc
    if verify and document["sha256"] != _checksum(document, tensors):
        raise ValueError(
            f"Model file {where} does not match its sha256 checksum: it was corrupted or "
            "edited after it was saved. If you changed it on purpose, load it with "
            "verify=False (mg.nn.load(path, verify=False)) and save it again."
        )
    return tensors, metadata
