"""Every CLI output path is checked before the long work, and errors name the user's path.

`demo --out`, `train --save/--plot`, `memory --plot`, `backprop --plot`, `fib --tree`,
`bench --plot/--output`: a missing or read-only folder, a directory given as a file name, or a
figure name matplotlib cannot write ends the command with one line before anything is trained
or measured (the function doing that work is replaced by one that fails the test).
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

import memograd as mg
from memograd.cli import main

TRAIN = ["train", "--data", "moons", "--layers", "4", "--epochs", "2", "--quiet"]

# (argv before the output option, "module.attribute" of the work that must not start)
COMMANDS = {
    "train --save": ([*TRAIN, "--save"], "memograd.data.load_dataset"),
    "train --plot": ([*TRAIN, "--plot"], "memograd.data.load_dataset"),
    "memory --plot": (
        ["memory", "--depth", "2", "--width", "4", "--plot"],
        "memograd.tradeoff.measure",
    ),
    "backprop --plot": (
        ["backprop", "--scaling", "depth", "--max", "2", "--plot"],
        "memograd.scalar.MLP",
    ),
    "fib --tree": (["fib", "5", "--tree"], "memograd.fib.measure"),
    "bench --plot": (["bench", "--quick", "--steps", "1", "--plot"], "memograd.bench.run_bench"),
    "bench --output": (
        ["bench", "--quick", "--steps", "1", "--output"],
        "memograd.bench.run_bench",
    ),
    "demo --out": (["demo", "--quick", "--out"], "memograd.report.run_report"),
}
FILE_NAME = {"--save": "m.safetensors", "--output": "bench.json", "--out": "report"}


def _never(*args: object, **kwargs: object) -> None:
    raise AssertionError("the long work started before the output path was checked")


def _forbid_work(monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    module, _, attribute = target.rpartition(".")
    monkeypatch.setattr(f"{module}.{attribute}", _never)


def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"memograd {argv[0]}: error: ")
    return lines[0]


@pytest.fixture
def read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder nobody may write to (as root, whom modes do not stop, os.access says so)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if os.access(folder, os.W_OK):  # running as root
        real_access = os.access

        def access(path: object, mode: int, **kwargs: object) -> bool:
            if mode & os.W_OK and Path(os.fspath(path)).resolve() == folder.resolve():  # type: ignore[arg-type]
                return False
            return real_access(path, mode, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "access", access)
    monkeypatch.chdir(tmp_path)
    yield folder
    folder.chmod(stat.S_IRWXU)


def _target(argv: list[str], folder: str) -> str:
    option = argv[-1]
    return f"{folder}/{FILE_NAME.get(option, 'figure.png')}"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_read_only_folder_fails_first_naming_the_users_path(
    command: str,
    read_only: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv, work = COMMANDS[command]
    _forbid_work(monkeypatch, work)
    path = _target(argv, "ro")
    line = _one_line_error(capsys, [*argv, path])
    assert f"{argv[-1]}: cannot write" in line and repr(path) in line
    assert "not writable" in line
    assert "/." not in line  # never the hidden temporary file of the atomic writer
    assert list(read_only.iterdir()) == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_missing_folder_fails_first(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv, work = COMMANDS[command]
    _forbid_work(monkeypatch, work)
    monkeypatch.chdir(tmp_path)
    path = _target(argv, "missing")
    if argv[-1] == "--out":  # demo creates its folder; it fails when a file is in the way
        Path("missing").write_text("a file")
        line = _one_line_error(capsys, [*argv, path])
        assert "'missing' is a file, expected a folder" in line
        return
    line = _one_line_error(capsys, [*argv, path])
    assert f"{argv[-1]}: cannot write {path!r}: the folder 'missing' does not exist" in line


@pytest.mark.parametrize("command", sorted(c for c in COMMANDS if c != "demo --out"))
def test_a_directory_given_as_a_file_name_fails_first(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv, work = COMMANDS[command]
    _forbid_work(monkeypatch, work)
    monkeypatch.chdir(tmp_path)
    # a folder whose name ends like a file of the right kind, so only "is a directory" is wrong
    folder = Path(_target(argv, "out"))
    folder.mkdir(parents=True)
    line = _one_line_error(capsys, [*argv, str(folder)])
    assert f"{str(folder)!r}: it is a directory" in line
    assert "/." not in line  # not the temp file's rename


@pytest.mark.parametrize(
    "command", ["train --plot", "memory --plot", "backprop --plot", "bench --plot"]
)
@pytest.mark.parametrize("name", ["curves", "curves.txt"])
def test_a_figure_name_matplotlib_cannot_write_fails_first(
    command: str,
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # "curves" used to be saved by savefig as ".curves.<hex>.png" beside an empty "curves", or
    # fail naming the temp file's random part as the format; "curves.txt" failed after the work.
    argv, work = COMMANDS[command]
    _forbid_work(monkeypatch, work)
    monkeypatch.chdir(tmp_path)
    line = _one_line_error(capsys, [*argv, name])
    assert "--plot expects a figure file name ending in one of" in line
    assert ".png" in line and ".svg" in line and f"Received: {name!r}" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["a{}.safetensors", "a{foo}.safetensors", "a{epoch}.safetensors"])
def test_train_save_name_is_taken_literally(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # It went through str.format: IndexError / KeyError after epoch 1, or files named by epoch.
    monkeypatch.chdir(tmp_path)
    assert main([*TRAIN, "--save", name, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["saved"] == name
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    assert mg.nn.load(name)._epochs_done == 2
    # and --resume reads that same file
    assert main([*TRAIN, "--epochs", "3", "--resume", name, "--save", name, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["epochs"] == 3
    assert mg.nn.load(name)._epochs_done == 3


@pytest.mark.parametrize("command", ["demo --out", "memory --plot", "backprop --plot"])
def test_a_negative_seed_is_refused_naming_the_option(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # memory and backprop failed with NumPy's "expected non-negative integer"; demo ran every
    # section into that error.
    argv, work = COMMANDS[command]
    _forbid_work(monkeypatch, work)
    line = _one_line_error(capsys, [*argv[:-1], "--seed", "-1"])
    assert "--seed expects a non-negative integer. Received: -1" in line


def test_run_report_checks_its_folder_before_the_sections(
    read_only: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Python API of `demo`: a read-only folder failed only when summary.json was written.
    from memograd.report import _runner, run_report

    monkeypatch.setattr(_runner, "progress", _never)  # the section loop starts with it
    with pytest.raises(
        PermissionError, match=r"cannot write into 'ro': the folder is not writable"
    ):
        run_report("ro", quick=True, sections=["memoization"])
    with pytest.raises(PermissionError, match=r"cannot write 'ro/sub': the folder 'ro' is not"):
        run_report("ro/sub", quick=True, sections=["memoization"])


@pytest.mark.parametrize(
    ("argv", "written"),
    [
        ([*TRAIN, "--save", "out/m.safetensors"], "out/m.safetensors"),
        (["memory", "--depth", "2", "--width", "4", "--plot", "out/m.png"], "out/m.png"),
        (["demo", "--quick", "--sections", "chain_rule", "--out", "out"], "out/summary.json"),
    ],
)  # fmt: skip
def test_a_write_refused_after_the_check_still_names_the_users_path(
    argv: list[str],
    written: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The folder passes the up-front check, then the kernel refuses the atomic writer's temp
    # file (as for a folder made read-only meanwhile). The line used to name that hidden file.
    from memograd import _atomic

    def refuse(target: Path, folder: Path) -> Path:
        hidden = folder / _atomic._temp_name(target)
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(hidden))

    monkeypatch.chdir(tmp_path)
    Path("out").mkdir()
    monkeypatch.setattr(_atomic, "_create_temp_beside", refuse)
    line = _one_line_error(capsys, argv)
    assert f"Permission denied: {written!r}" in line
    assert "memograd-tmp" not in line and "/." not in line
    assert list(Path("out").iterdir()) == []
