"""Atomic writes: the target is replaced whole, and a failed write leaves the old file alone."""

import os
import stat
from pathlib import Path

import pytest

from memograd._atomic import atomic_open, atomic_path, write_text


def test_write_text_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    write_text(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]  # no temp file left behind


def test_failed_write_keeps_old_file_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_open(target) as f:
        f.write("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_temp_path_keeps_suffix(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "plot.png") as tmp:
        assert tmp.suffix == ".png"
        tmp.write_bytes(b"x")
    assert (tmp_path / "plot.png").read_bytes() == b"x"


def test_written_file_gets_umask_mode_not_0600(tmp_path: Path) -> None:
    old_mask = os.umask(0o022)
    try:
        write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(old_mask)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_text(tmp_path / "nope" / "a.txt", "x")


def test_bad_mode_names_argument(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="`mode`"), atomic_open(tmp_path / "a", mode="a"):
        pass
