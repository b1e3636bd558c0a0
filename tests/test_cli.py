"""The `memograd` command's frame: version, help, one-line errors."""

import subprocess
import sys

import pytest

from memograd import __version__
from memograd.cli import main
from memograd.cli._common import CLIError, int_list


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: memograd" in capsys.readouterr().out


def test_int_list_parses_and_rejects() -> None:
    assert int_list("2, 3,3,1", name="--layers", min_items=2) == [2, 3, 3, 1]
    with pytest.raises(CLIError, match=r"--layers expects comma-separated integers.*'2,x'"):
        int_list("2,x", name="--layers")
    with pytest.raises(CLIError, match=">= 1"):
        int_list("2,0", name="--layers")
    with pytest.raises(CLIError, match="at least 2"):
        int_list("5", name="--layers", min_items=2)


def test_console_script_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "memograd", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"memograd {__version__}"
