"""Atomic file writes: a temp file in the target's folder, then `os.replace`.

A reader (or a crash) never sees a half-written file: either the old file or the new one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def _current_umask() -> int:
    # The umask can only be read by setting it; set it straight back.
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` atomically.

    Use it with writers that want a file name (matplotlib's `savefig`, safetensors).

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
    # Keep the real suffix last so writers that infer a format from it (savefig) still work.
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.stem}.", suffix=target.suffix)
    # mkstemp creates the file 0600; give it the mode a plain open() would (0666 minus umask).
    os.fchmod(fd, 0o666 & ~_current_umask())
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


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
        raise ValueError(
            f"Received an invalid value for `mode`, expected 'w' or 'wb'. Received: mode={mode!r}"
        )
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
