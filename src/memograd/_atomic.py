"""Atomic file writes: a temp file in the target's folder, then `os.replace`.

A reader (or a crash) never sees a half-written file: either the old file or the new one.

Temp files are named ``.<stem>.memograd-tmp-<pid>-<hex><suffix>`` (the real suffix last, so
writers that infer a format from it, such as `savefig`, still work). A process killed mid-write
leaves its temp file behind; the next successful write of the same target deletes the ones
whose process is gone. Every `OSError` names the target the caller asked for, never the temp.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from memograd._errors import invalid_value

_TEMP_TAG = ".memograd-tmp-"


def _temp_name(target: Path) -> str:
    return f".{target.stem}{_TEMP_TAG}{os.getpid()}-{secrets.token_hex(6)}{target.suffix}"


def _create_temp_beside(target: Path, folder: Path) -> Path:
    """Create a new empty file with a recognisable name next to `target` and return its path.

    Made with mode 0666 and O_EXCL, so the kernel applies the umask as a plain open() would
    (mkstemp's 0600 would leak into the final file) and no existing file is ever reused.
    """
    while True:
        candidate = folder / _temp_name(target)
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return candidate


def _process_is_gone(pid: int) -> bool:
    if pid == os.getpid():
        return False  # another thread of ours may be writing the same target right now
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, ValueError):
        return False  # alive under another user (or not a pid we can ask about): keep it
    return False


def remove_stale_temps(path: str | os.PathLike[str]) -> list[Path]:
    """Delete the temp files that killed writers of `path` left in its folder; return them.

    Only files named like this module's temps *for this target* whose writing process no
    longer exists on this machine are removed, so a concurrent writer is never disturbed.
    """
    if os.name != "posix":  # liveness is checked with os.kill(pid, 0)
        return []
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    pattern = re.compile(
        re.escape(f".{target.stem}{_TEMP_TAG}")
        + r"(\d{1,10})-[0-9a-f]{12}"
        + re.escape(target.suffix)
    )
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match and entry.is_file(follow_symlinks=False) and _process_is_gone(int(match[1])):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _naming_target(exc: OSError, tmp: Path | None, target: Path) -> OSError:
    """`exc` naming the user's `target` instead of our temp file (or no file at all)."""
    if exc.errno is None:
        return exc  # not a system error, e.g. OSError("disk full") raised by a writer
    if tmp is not None and exc.filename not in (None, tmp, str(tmp)):
        return exc  # about some other file the writer touched: leave it as it is
    return type(exc)(exc.errno, exc.strerror or os.strerror(exc.errno), str(target))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` atomically.

    Use it with writers that want a file name (matplotlib's `savefig`). On success, temp
    files of `path` left by killed writers are deleted (see `remove_stale_temps`).

    Raises:
        FileNotFoundError: the folder does not exist.
        IsADirectoryError: `path` is a directory.
        OSError: the file cannot be written; the message names `path`, not the temp file.

    Example:
        >>> with atomic_path("out.txt") as tmp:  # doctest: +SKIP
        ...     tmp.write_text("hello")
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(
            f"Cannot write {str(target)!r}: the folder {str(folder)!r} does not exist."
        )
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
    try:
        tmp = _create_temp_beside(target, folder)
    except OSError as exc:
        raise _naming_target(exc, None, target) from exc
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            renamed = _naming_target(exc, tmp, target)
            if renamed is not exc:
                raise renamed from exc
        raise
    remove_stale_temps(target)


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike[str], mode: str = "w"
) -> Iterator[IO[str]] | Iterator[IO[bytes]]:
    """Open a temporary file for writing that atomically replaces `path` on close.

    Example:
        >>> with atomic_open("summary.json") as f:  # doctest: +SKIP
        ...     f.write("{}")
    """
    if mode not in ("w", "wb"):
        raise invalid_value("mode", "'w' or 'wb'", mode)
    with atomic_path(path) as tmp, open(tmp, mode, encoding=None if "b" in mode else "utf-8") as f:
        yield f
        f.flush()
        os.fsync(f.fileno())


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` to `path` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
