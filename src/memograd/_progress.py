"""Rich progress bars that stay quiet when output is not a terminal or when asked to."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column


def progress(*, enabled: bool = True, stream_is_tty: bool | None = None) -> Progress:
    """A `rich.progress.Progress` for long work; disabled when stderr is not a terminal.

    Put live figures (loss, metrics) in the task description:
    `bar.update(task, description=...)`.

    Example:
        >>> with progress(enabled=False) as bar:
        ...     task = bar.add_task("work", total=3)
        ...     for _ in range(3):
        ...         bar.advance(task)
    """
    is_tty = sys.stderr.isatty() if stream_is_tty is None else stream_is_tty
    return Progress(
        # The description (epoch, loss, metrics) wraps onto more lines when the terminal is
        # narrow; unwrapped, it pushed the bar, count and times out as a lone "…" at 80
        # columns.
        TextColumn("[bold]{task.description}", table_column=Column(overflow="fold")),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not (enabled and is_tty),
        transient=False,
    )
