"""Atomic writes: the target is replaced whole, and a failed write leaves the old file alone."""

import errno
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from memograd._atomic import atomic_open, atomic_path, remove_stale_temps, write_text


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


def test_temp_file_name_is_recognisable(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "m.safetensors") as tmp:
        assert re.fullmatch(
            rf"\.m\.memograd-tmp-{os.getpid()}-[0-9a-f]{{12}}\.safetensors", tmp.name
        )
        tmp.write_bytes(b"x")


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid  # reaped: no such process any more


def test_a_write_removes_only_stale_temps_of_its_own_target(tmp_path: Path) -> None:
    dead, alive = _dead_pid(), os.getppid()
    stale = tmp_path / f".a.memograd-tmp-{dead}-0123456789ab.txt"
    live = tmp_path / f".a.memograd-tmp-{alive}-0123456789ab.txt"  # a writer still at work
    other = tmp_path / f".b.memograd-tmp-{dead}-0123456789ab.txt"  # another target's
    mine = tmp_path / f".a.memograd-tmp-{dead}-0123456789ab.json"  # another suffix
    user = tmp_path / ".a.memograd-tmp-notes.txt"  # not our pattern at all
    for path in (stale, live, other, mine, user):
        path.write_text("left over")
    write_text(tmp_path / "a.txt", "new")
    assert not stale.exists()
    assert all(p.exists() for p in (live, other, mine, user))
    assert remove_stale_temps(tmp_path / "b.txt") == [other]


def test_errors_name_the_target_never_the_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(IsADirectoryError) as info:
        write_text(tmp_path / "out", "x")
    assert info.value.filename == str(tmp_path / "out") and "memograd-tmp" not in str(info.value)

    real_open = os.open

    def read_only_folder(path: Any, *args: Any) -> int:
        if ".memograd-tmp-" in str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args)

    monkeypatch.setattr(os, "open", read_only_folder)
    target = tmp_path / "summary.json"
    with pytest.raises(PermissionError, match=r"Permission denied: '.*/summary\.json'$"):
        write_text(target, "{}")
    monkeypatch.undo()

    def cross_device(src: Any, dst: Any) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link", str(src), None, str(dst))

    monkeypatch.setattr(os, "replace", cross_device)
    with pytest.raises(OSError, match=r"cross-device link: '.*/summary\.json'$") as failed:
        write_text(target, "{}")
    assert failed.value.errno == errno.EXDEV and failed.value.filename == str(target)
    assert failed.value.filename2 is None and "memograd-tmp" not in str(failed.value)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temp file left behind


def test_errors_of_the_writer_about_other_files_are_left_alone(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="elsewhere"), atomic_path(tmp_path / "a") as tmp:
        tmp.write_text("x")
        open(tmp_path / "elsewhere")  # noqa: SIM115 - the writer's own, unrelated error
