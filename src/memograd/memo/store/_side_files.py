"""Large values of a `SQLiteStore` in files of their own, beside the database, checked on read.

A large value read from a file is one `read`; from an SQLite blob it is a walk over a chain
of 4 KiB overflow pages (about 2x slower at 1 MiB, 4x at 16 MiB here). So values of
`SIDE_FILE_MIN` bytes or more live in `<db>-values/<key[:2]>/<key>-<nonce>`, and their row in
`entries` holds the file's name, length, XXH3-128 checksum and stamp instead of the bytes.

Why nothing torn, half-written or altered is ever read:

* Files are immutable. A writer writes `.tmp-<pid>-<nonce>` in the target folder; then,
  inside the write transaction that inserts the row, it renames the file to its final name,
  sets its modification time to 0 and records its stamp (inode, modification and change
  times, from `stat`). So a row is only ever committed with its whole file in place. A
  crash before the commit leaves a file without a row: never read, removed by `sweep` (see
  below). Nothing is fsynced, as SQLite commits nothing with fsync at synchronous=NORMAL:
  after a power loss, a file whose data did not reach the disk comes back shorter (on file
  systems that write data before metadata: ext4's default, XFS, btrfs) or with another
  stamp, and is then a miss; an fsync would cost 4 ms per stored value here.
* Deleting is the reverse: the row is deleted and committed, then the file unlinked. A
  reader that found the row before the delete either opened the file (an unlinked file stays
  readable through its descriptor) or finds it gone: a miss, as the entry is.
* Every read checks the open file's length and stamp before the codec sees a byte. A write
  to the file sets its modification time to the present, a replacement changes its inode,
  and both change its change time (which cannot be set back); so an unchanged stamp means
  these are the bytes that were committed. A changed stamp (a hand edit, a replaced file, a
  copied store) makes the read check the bytes against the checksum: a match is used (and
  its new stamp recorded), a mismatch is `SideFileCorrupt`, never a wrong value. The codec
  then checks the structure as for any entry. Hashing on every read instead would cost a
  quarter of a 1 MiB hit. Not detected: damage below the file system (bit rot) that leaves
  the stamp alone, as for values inside the SQLite file, which has no checksums either.
  None of this defends against an attacker: whoever can write the files can write the
  database beside them; the safety of loading rests on the codec, which never runs code.
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

SIDE_FILE_MIN = 32 * 1024
"""Values of this many bytes or more are kept in side files (smaller ones in the database)."""

_O_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
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
        self.stamp = ""
        try:
            with open(self.tmp, "xb") as out:
                out.write(data)
        except BaseException:
            self.discard()
            raise

    def publish(self) -> None:
        """Give the file its final name and take its stamp (call inside the transaction
        that inserts the row: the rename changes the file's change time).

        Its modification time is set to 0 (the epoch): any later write sets it to the
        present, however coarse the file system's clock, so a write is always seen."""
        os.rename(self.tmp, self.final)
        os.utime(self.final, ns=(time.time_ns(), 0))
        self.stamp = stamp(os.stat(self.final))

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

    def read(
        self, name: str, size: int, checksum: bytes, expected: str
    ) -> tuple[bytearray, str | None]:
        """The file's bytes, and its new stamp if it changed since `expected` (then the
        bytes were checked against `checksum`), else None.

        Raises FileNotFoundError if it is gone, SideFileCorrupt if it does not match.
        """
        path = self._prefix + name
        fd = os.open(path, _O_READ)  # os-level calls: a third less than a FileIO at 64 KiB
        try:
            info = os.fstat(fd)
            if info.st_size != size:
                raise SideFileCorrupt(f"side file {path} is not {size} bytes long")
            # One allocation, filled in place: the codec makes arrays views into it.
            out = _unfilled_bytearray(size)
            done = 0
            with memoryview(out) as view:
                while done < size:
                    with view[done:] as rest:
                        n = os.readv(fd, [rest])
                    if not n:
                        break
                    done += n
        finally:
            os.close(fd)
        if done != size:
            raise SideFileCorrupt(f"side file {path} ended after {done} of {size} bytes")
        now = stamp(info)
        if now == expected:
            return out, None
        if _checksum(out) != checksum:
            raise SideFileCorrupt(f"side file {path} does not match its entry's checksum")
        return out, now

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


def stamp(info: os.stat_result) -> str:
    """What changes whenever a file is written or replaced: inode, modification and change
    times (nanoseconds). Not the device: it may be numbered anew at each mount."""
    return f"{info.st_ino}:{info.st_mtime_ns}:{info.st_ctime_ns}"


def _abandoned(path: Path, now: float) -> bool:
    """A temporary file whose writer died (same machine: SQLite is local-only) or is stale."""
    try:
        pid = int(path.name[len(TMP_PREFIX) :].split("-", 1)[0])
        return _process_is_gone(pid) or now - path.stat().st_mtime > STALE_TMP_S
    except (ValueError, OSError):  # a foreign name, or already gone: leave it
        return False
