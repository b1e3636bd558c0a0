"""Helpers shared by the subcommands: argument parsing, JSON output, the console."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console


class CLIError(Exception):
    """A user error found by a subcommand; printed as one line, exit status 1."""


def console() -> Console:
    """The console tables and summaries are printed on (stdout)."""
    return Console()


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """Add `--json`: print one JSON document on stdout instead of tables."""
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document instead of tables"
    )


def print_json(document: Any) -> None:
    """Print `document` as JSON on stdout (NumPy scalars and arrays converted)."""
    json.dump(document, sys.stdout, indent=2, default=_to_jsonable)
    sys.stdout.write("\n")


def _to_jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"Cannot write a value of type {type(value).__name__} as JSON.")


def non_negative(value: int, option: str) -> int:
    """`value` if it is >= 0 (seeds), else a CLIError naming `option` and `value`."""
    if value < 0:
        raise CLIError(f"{option} expects a non-negative integer. Received: {value}")
    return value


def int_list(text: str, *, name: str, minimum: int = 1, min_items: int = 1) -> list[int]:
    """Parse a comma-separated list of integers such as `2,3,3,1`.

    Raises CLIError naming the option, what was expected and what was received.
    """
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise CLIError(
            f"{name} expects comma-separated integers such as 2,3,3,1. Received: {text!r}"
        ) from None
    if len(values) < min_items:
        raise CLIError(f"{name} expects at least {min_items} values. Received: {text!r}")
    bad = [v for v in values if v < minimum]
    if bad:
        raise CLIError(f"{name} expects integers >= {minimum}. Received: {text!r}")
    return values


def output_file(path: str, option: str) -> str:
    """`path` if a file can be written there, else a CLIError naming `option` and `path`.

    Call it before the long work, so a missing or read-only folder (or a directory given as a
    file name) fails at once instead of after training or measuring.
    """
    from memograd._paths import check_output_file

    try:
        check_output_file(path)
    except OSError as error:
        raise CLIError(f"{option}: {error}") from None
    return path


def output_folder(path: str, option: str) -> str:
    """`path` if files can be written into that folder (or it can be created), else CLIError."""
    from memograd._paths import check_output_folder

    try:
        check_output_folder(path)
    except OSError as error:
        raise CLIError(f"{option}: {error}") from None
    return path


def figure_file(path: str, option: str) -> str:
    """`output_file`, and its extension must name a format matplotlib writes (.png, .svg, ...).

    Without this, a name like `curves` or `curves.txt` fails inside `savefig` after the work.
    """
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in formats:
        raise CLIError(
            f"{option} expects a figure file name ending in one of "
            f"{', '.join('.' + f for f in sorted(formats))}. Received: {path!r}"
        )
    return output_file(path, option)
