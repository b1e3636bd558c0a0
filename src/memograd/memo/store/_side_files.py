"""Large values of a `SQLiteStore` in files of their own, beside the database, checked on read.

A large value read from a file is one `readinto`; from an SQLite blob it is a walk over a
chain of 4 KiB overflow pages (about 2x slower at 1 MiB, 4x at 16 MiB here). So values of
`SIDE_FILE_MIN` bytes or more live in `<db>-values/<key[:2]>/<key>-<nonce>`, and their row
in `entries` holds the file's name, length and XXH3-128 checksum instead of the bytes.

Why nothing torn or half-written is ever read:

* Files are immutable. A writer writes `.tmp-<pid>-<nonce>` in the target folder, then,
  inside the write transaction that inserts the row, renames it to its final name, so a row
  is only ever committed with its whole file in place. A crash before the commit leaves a
  file without a row: never read, removed by `sweep` (see below).
* Deleting is the reverse: the row is deleted and committed, then the file unlinked. A
  reader that found the row before the delete either opened the file (an unlinked file stays
  readable through its descriptor) or finds it gone: a miss, as the entry is.
* Every read checks the file's length and checksum before the codec sees a byte; a file
  that fails is `SideFileCorrupt` (bit rot, a power loss that kept the rename but not the
  data, a hand edit), never a wrong value. The codec then checks the structure as for any
  entry. The checksum guards against damage, not against an attacker: whoever can write the
  file can write the database beside it, so the safety of loading rests on the codec, which
  never runs code.
* `sweep(names)` (under the database's write lock, so no rename is in flight) deletes final
  files that no row names, and temporary files whose writer is gone (its pid is dead, or the
  file is over an hour old).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import xxhash

from memograd._atomic import _process_is_gone

SIDE_FILE_MIN = 64 * 1024
"""Values of this many bytes or more are kept in side files (smaller ones in the database)."""

TMP_PREFIX = ".tmp-"
STALE_TMP_S = 3600.0
_checksum = xxhash.xxh3_128_digest


def _zeroed_bytearray(size: int) -> bytearray:
    return bytearray(size)


def _unfilled_bytearray_maker() -> Callable[[int], bytearray]:
    """`bytearray(n)` zero-fills: one more pass over memory than reading needs (a tenth of a
    hit at 1 MiB here). CPython's C API makes one without filling it (as pickle does for its
    bytearrays); `read` fills every byte or raises, so no unfilled byte is ever handed out."""
    api = getattr(ctypes, "pythonapi", None)
    if api is None:  # not CPython
        return _zeroed_bytearray
    make = api.PyByteArray_FromStringAndSize
    make.restype = ctypes.py_object
    make.argtypes = [ctypes.c_void_p, ctypes.c_ssize_t]
    return lambda size: make(None, size)


_unfilled_bytearray = _unfilled_bytearray_maker()


class SideFileCorrupt(ValueError):
    """A side file whose length or checksum does not match its row."""


class Staged:
    """A value written to a temporary file, waiting to be published under `name`."""

    def __init__(self, folder: Path, key: str, data: bytes) -> None:
        self.name = f"{key[:2]}/{key}-{uuid.uuid4().hex[:16]}"
        self.checksum = _checksum(data)
        sub = folder / key[:2]
        sub.mkdir(parents=True, exist_ok=True)
        self.tmp = sub / f"{TMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:16]}"
        self.final = folder / self.name
        try:
            with open(self.tmp, "xb") as out:
                out.write(data)
        except BaseException:
            self.discard()
            raise

    def publish(self) -> None:
        """Give the file its final name (call inside the transaction that inserts the row)."""
        os.rename(self.tmp, self.final)

    def discard(self) -> None:
        """Remove the file, published or not (the row was not inserted)."""
        for path in (self.tmp, self.final):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


class SideFiles:
    """The folder of side files of one database."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._prefix = str(folder) + os.sep

    def stage(self, key: str, data: bytes) -> Staged:
        return Staged(self.folder, key, data)

    def read(self, name: str, size: int, checksum: bytes) -> bytearray:
        """The file's bytes, checked against `size` and `checksum`.

        Raises FileNotFoundError if it is gone, SideFileCorrupt if it does not match.
        """
        path = self._prefix + name
        with open(path, "rb", buffering=0) as file:
            if os.fstat(file.fileno()).st_size != size:
                raise SideFileCorrupt(f"side file {path} is not {size} bytes long")
            # One allocation, filled in place: the codec makes arrays views into it.
            out = _unfilled_bytearray(size)
            view = memoryview(out)
            done = 0
            while done < size:
                n = file.readinto(view[done:])
                if not n:
                    break
                done += n
            view.release()
        if done != size or _checksum(out) != checksum:
            raise SideFileCorrupt(f"side file {path} does not match its entry's checksum")
        return out

    def remove(self, names: list[str]) -> None:
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.folder / name)

    def sweep(self, names: set[str]) -> int:
        """Delete files no row names and abandoned temporary files; returns how many.

        Call with the database's write lock held and `names` read under it.
        """
        if not self.folder.is_dir():
            return 0
        removed = 0
        now = time.time()
        for sub in self.folder.iterdir():
            if not sub.is_dir():
                continue
            for path in sub.iterdir():
                if path.name.startswith(TMP_PREFIX):
                    if not _abandoned(path, now):
                        continue
                elif f"{sub.name}/{path.name}" in names:
                    continue
                try:
                    path.unlink()
                    removed += 1
                except FileNotFoundError:
                    pass
        return removed


def _abandoned(path: Path, now: float) -> bool:
    """A temporary file whose writer died (same machine: SQLite is local-only) or is stale."""
    try:
        pid = int(path.name[len(TMP_PREFIX) :].split("-", 1)[0])
        return _process_is_gone(pid) or now - path.stat().st_mtime > STALE_TMP_S
    except (ValueError, OSError):  # a foreign name, or already gone: leave it
        return False
