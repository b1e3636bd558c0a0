"""Read a numeric CSV file into features, targets and their names, with line-numbered errors.

The rules are few and strict, so a mistake in the file is reported where it is:

- comma-separated, UTF-8 (a byte-order mark is fine), first non-blank row is the header;
- every feature cell is a finite number; blank lines are skipped;
- the target column (by name or index; the last column by default) may hold numbers or text.
  Text or integer targets become classes 0..k-1 (sorted); other numbers are regression targets.

Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "toy.csv"
    >>> _ = path.write_text("a,b,kind\\n1,2,cat\\n3,4,dog\\n")
    >>> table = read_csv(path, target="kind")
    >>> table.X.tolist(), table.y.tolist(), table.classes
    ([[1.0, 2.0], [3.0, 4.0]], [0, 1], ('cat', 'dog'))
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["CSVTable", "read_csv"]


@dataclass(frozen=True, eq=False)
class CSVTable:
    """What `read_csv` returns: X (N, D) float32, y (N,) int64 classes or float32 targets."""

    X: NDArray[np.float32]
    y: NDArray[Any]
    feature_names: tuple[str, ...]
    target_name: str
    classes: tuple[str, ...] | None  # None: regression targets


def _parse_number(cell: str) -> float | None:
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


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
        if stripped.lstrip("-").isdigit():  # "3" from a command line means index 3
            target = int(stripped)
        else:
            available = ", ".join(repr(h) for h in header)
            raise ValueError(
                f"Target column {target!r} not found in {where}; available columns: {available}."
            )
    if isinstance(target, bool) or not isinstance(target, int):
        raise TypeError(
            "Received an invalid value for `target`, expected a column name or an integer "
            f"index. Received: target={target!r}"
        )
    if not -width <= target < width:
        raise ValueError(
            f"Received an invalid value for `target`, expected a column name or an index in "
            f"[{-width}, {width}) for {where} with {width} columns. Received: target={target}"
        )
    return target % width


def _encode_target(values: list[str]) -> tuple[NDArray[Any], tuple[str, ...] | None]:
    numbers = [_parse_number(v) for v in values]
    if all(n is not None for n in numbers):
        floats = np.array(numbers, dtype=np.float64)
        if not np.all(floats == np.round(floats)):
            return floats.astype(np.float32), None  # regression
        uniques, index = np.unique(floats, return_inverse=True)
        classes = tuple(str(int(u)) for u in uniques)
        return index.astype(np.int64), classes
    uniques_s, index = np.unique(np.array(values, dtype=str), return_inverse=True)
    return index.astype(np.int64), tuple(str(u) for u in uniques_s)


def read_csv(path: str | os.PathLike[str], target: int | str | None = None) -> CSVTable:
    """Read a CSV file with a header row; every column but `target` is a numeric feature.

    Args:
        path: the file.
        target: the target column, by header name or index (negative counts from the end);
            None means the last column. A string of digits that is not a column name is an
            index, so command-line values work as they are.

    Raises:
        OSError: the file cannot be opened.
        ValueError: the file is empty, has no data rows, a row has the wrong number of fields,
            a feature cell is not a finite number, or the target column does not exist; the
            message names the file, the line and the column.

    Example:
        >>> read_csv("measurements.csv", target="label")  # doctest: +SKIP
    """
    where = repr(str(path))
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = _read_rows(csv.reader(f, strict=True), where)
    except UnicodeDecodeError as exc:
        raise ValueError(f"CSV file {where} is not UTF-8 text: {exc}") from exc
    if not rows:
        raise ValueError(f"CSV file {where} is empty; expected a header row followed by data rows.")
    header_line, header = rows[0]
    header = [h.strip() for h in header]
    _check_header(header, header_line, where)
    if len(rows) == 1:
        raise ValueError(f"CSV file {where} has a header (line {header_line}) but no data rows.")
    if len(header) < 2:
        raise ValueError(
            f"CSV file {where} has a single column {header[0]!r}; expected at least one "
            "feature column and a target column."
        )
    t = _resolve_target(target, header, f"CSV file {where}")
    feature_cols = [c for c in range(len(header)) if c != t]
    X = np.empty((len(rows) - 1, len(feature_cols)), dtype=np.float32)  # (N, D)
    target_values: list[str] = []
    for r, (line, row) in enumerate(rows[1:]):
        if len(row) != len(header):
            raise ValueError(
                f"CSV file {where}, line {line}: found {len(row)} field(s), expected "
                f"{len(header)} (the header has columns {', '.join(header)})."
            )
        for j, c in enumerate(feature_cols):
            value = _parse_number(row[c])
            if value is None:
                cell = row[c].strip()
                problem = "is empty" if not cell else f"holds {cell!r}, not a finite number"
                raise ValueError(
                    f"CSV file {where}, line {line}, column {header[c]!r}: the cell {problem}. "
                    "Feature columns must be numeric with no missing values."
                )
            X[r, j] = value
        cell = row[t].strip()
        if not cell:
            raise ValueError(
                f"CSV file {where}, line {line}, target column {header[t]!r}: the cell is empty."
            )
        target_values.append(cell)
    y, classes = _encode_target(target_values)
    return CSVTable(
        X=X,
        y=y,
        feature_names=tuple(header[c] for c in feature_cols),
        target_name=header[t],
        classes=classes,
    )


def _read_rows(reader: Any, where: str) -> list[tuple[int, list[str]]]:
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue  # blank line
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise ValueError(f"CSV file {where}, line {reader.line_num}: {exc}") from exc
    return rows


def _check_header(header: list[str], line: int, where: str) -> None:
    if all(_parse_number(h) is not None for h in header):
        raise ValueError(
            f"CSV file {where}, line {line}: the first row holds only numbers; a header row "
            "with column names is required."
        )
    for c, name in enumerate(header):
        if not name:
            raise ValueError(f"CSV file {where}, line {line}: column {c} has an empty name.")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise ValueError(
                f"CSV file {where}, line {line}: the column name {name!r} appears twice."
            )
        seen.add(name)
