"""Output paths checked before the long work, so a bad one fails at once and names the user's path.

Training, the report and the benchmarks write their files at the end; a folder that is missing,
read-only, or a file name that is a directory would otherwise fail only then (losing the work)
and in the words of the temporary file the atomic writer uses. The checks here look at the
folder only (no probe file is written), the same way the atomic writer will use it.

Example:
    >>> check_output_file("/no-such/m.png")
    Traceback (most recent call last):
    ...
    FileNotFoundError: cannot write '/no-such/m.png': the folder '/no-such' does not exist
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["check_output_file", "check_output_folder"]


def check_output_file(path: str | os.PathLike[str]) -> Path:
    """Raise an OSError naming `path` unless a file can be written there; return it as a Path.

    Checks: `path` is not a directory, its folder exists, and the folder is writable (a file
    is replaced by renaming a new one into the folder, so the folder is what must be writable).
    """
    target = Path(path)
    shown = os.fspath(path)
    if target.is_dir():
        raise IsADirectoryError(f"cannot write {shown!r}: it is a directory, expected a file name")
    folder = target.parent
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"cannot write {shown!r}: {str(folder)!r} is a file, not a folder")
    if not folder.is_dir():
        raise FileNotFoundError(
            f"cannot write {shown!r}: the folder {str(folder)!r} does not exist"
        )
    _require_writable(folder, shown)
    return target


def check_output_folder(path: str | os.PathLike[str]) -> Path:
    """Raise an OSError naming `path` unless files can be written into that folder.

    A folder that does not exist yet passes if it can be created: its nearest existing
    ancestor is a writable folder.
    """
    folder = Path(path)
    shown = os.fspath(path)
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise NotADirectoryError(
            f"cannot write into {shown!r}: {str(existing)!r} is a file, expected a folder"
        )
    _require_writable(existing, shown)
    return folder


def _require_writable(folder: Path, shown: str) -> None:
    # W_OK to create entries, X_OK to reach them. os.access answers for the real user, and a
    # read-only mount answers "no" (EROFS) as well.
    if os.access(folder, os.W_OK | os.X_OK):
        return
    if os.fspath(folder) == os.fspath(Path(shown)):
        raise PermissionError(f"cannot write into {shown!r}: the folder is not writable")
    raise PermissionError(f"cannot write {shown!r}: the folder {str(folder)!r} is not writable")
