"""Read a numeric CSV file into features, targets and their names, with line-numbered errors.

The rules are few and strict, so a mistake in the file is reported where it is:

- comma-separated, UTF-8 (a byte-order mark is fine), first non-blank row is the header (a
  first row of numbers only is refused: it looks like data, not names);
- every feature cell is a finite number that fits float32; blank lines are skipped;
- the target column (by name or index; the last column by default) may hold numbers or text.
  Text or integer targets become classes 0..k-1 (sorted); other numbers are regression targets.
  What a cell may hold is in `memograd.data._csv_cells`; the pass over the file in `_csv_scan`.

Every problem is a `ValueError` (`OSError` when the file cannot be opened) whose message names
the file, the line and, for a cell, the column; cells are quoted at most 40 characters long.

Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "toy.csv"
    >>> _ = path.write_text("a,b,kind\\n1,2,cat\\n3,4,dog\\n")
    >>> table = read_csv(path, target="kind")
    >>> table.X.tolist(), table.y.tolist(), table.classes
    ([[1.0, 2.0], [3.0, 4.0]], [0, 1], ('cat', 'dog'))
    >>> X, names = read_csv_features(path, ignore="kind")
    >>> X.shape, names
    ((2, 2), ('a', 'b'))
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from memograd._errors import invalid_type, invalid_value
from memograd.data._csv_cells import BadCell, encode_target, show
from memograd.data._csv_scan import columns_list, scan

__all__ = ["CSVTable", "read_csv", "read_csv_features"]


@dataclass(frozen=True, eq=False)
class CSVTable:
    """What `read_csv` returns: X (N, D) float32, y (N,) int64 classes or float32 targets."""

    X: NDArray[np.float32]
    y: NDArray[Any]
    feature_names: tuple[str, ...]
    target_name: str
    classes: tuple[str, ...] | None  # None: regression targets


def _resolve_target(target: int | str | None, header: list[str], where: str) -> int:
    width = len(header)
    if target is None:
        return width - 1
    if isinstance(target, str):
        if target in header:
            return header.index(target)
        stripped = target.strip()
        if stripped in header:
            return header.index(stripped)
        if re.fullmatch(r"-?[0-9]{1,18}", stripped):  # "3" from a command line means index 3
            target = int(stripped)
        else:
            raise ValueError(
                f"Target column {show(target)} not found in {where}; available columns: "
                f"{columns_list(header)}."
            )
    if isinstance(target, bool) or not isinstance(target, int):
        raise invalid_type("target", "a column name or an integer index", target)
    if not -width <= target < width:
        raise ValueError(
            f"Received an invalid value for `target`, expected a column name or an index in "
            f"[{-width}, {width}) for {where} with {width} columns. Received: target={target}"
        )
    return target % width


def read_csv(
    path: str | os.PathLike[str], target: int | str | None = None, *, task: str | None = None
) -> CSVTable:
    """Read a CSV file with a header row; every column but `target` is a numeric feature.

    Args:
        path: the file.
        target: the target column, by header name or index (negative counts from the end);
            None means the last column. A string of digits that is not a column name is an
            index, so command-line values work as they are.
        task: ``"classification"`` reads the target as class labels, ``"regression"`` as
            numbers; None decides from the values (integers or text: classes).

    Raises:
        OSError: the file cannot be opened.
        ValueError: the file is not UTF-8 or not well-formed CSV, is empty, has no header
            or no data rows, a row has the wrong number of fields, a feature cell is not a
            finite float32 number, a target cell is empty, ``nan`` or overflows, or the
            target column does not exist; the message names the file, the line and the column.

    Example:
        >>> read_csv("measurements.csv", target="label")  # doctest: +SKIP
    """
    if task not in (None, "classification", "regression"):
        raise invalid_value("task", "'classification', 'regression' or None", task)

    def choose(header: list[str], where: str) -> tuple[list[int], int | None]:
        if len(header) < 2:
            raise ValueError(
                f"{where} has a single column {show(header[0])}; expected at least one "
                "feature column and a target column."
            )
        t = _resolve_target(target, header, where)
        return [c for c in range(len(header)) if c != t], t

    table = scan(path, choose)
    assert table.target is not None
    try:
        y, classes = encode_target(table.target_cells, task=task)
    except BadCell as bad:
        raise table.cell_error(bad.index, table.target, bad.problem) from None
    return CSVTable(
        X=table.X,
        y=y,
        feature_names=tuple(table.header[c] for c in table.features),
        target_name=table.header[table.target],
        classes=classes,
    )


def read_csv_features(
    path: str | os.PathLike[str], ignore: int | str | None = None
) -> tuple[NDArray[np.float32], tuple[str, ...]]:
    """Every column of a CSV file with a header row as float32 features (N, D), and their names.

    The rules and errors are those of `read_csv`; `ignore` names one column (by name or index)
    that is skipped unread, such as a target column in a file used for prediction.

    Example:
        >>> X, names = read_csv_features("new_rows.csv")  # doctest: +SKIP
    """

    def choose(header: list[str], where: str) -> tuple[list[int], int | None]:
        skip = None if ignore is None else _resolve_target(ignore, header, where)
        columns = [c for c in range(len(header)) if c != skip]
        if not columns:
            raise ValueError(f"{where} has no column left after ignoring {ignore!r}.")
        return columns, None

    table = scan(path, choose)
    return table.X, tuple(table.header[c] for c in table.features)
