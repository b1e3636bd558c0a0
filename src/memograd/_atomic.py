"""Atomic file writes: a temp file in the target's folder, then `os.replace`.

A reader (or a crash) never sees a half-written file: either the old file or the new one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def _create_temp_beside(target: Path, folder: Path) -> Path:
    """Create a new empty file with a random name next to `target` and return its path.

    Made with mode 0666 and O_EXCL, so the kernel applies the umask as a plain open() would
    (mkstemp's 0600 would leak into the final file) and no existing file is ever reused.
    The real suffix stays last so writers that infer a format from it (savefig) still work.
    """
    while True:
        candidate = folder / f".{target.stem}.{secrets.token_hex(6)}{target.suffix}"
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return candidate


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
    tmp = _create_temp_beside(target, folder)
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
