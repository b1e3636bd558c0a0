"""Read a numeric CSV file into features, targets and their names, with line-numbered errors.

The rules are few and strict, so a mistake in the file is reported where it is:

- comma-separated, UTF-8 (a byte-order mark is fine), first non-blank row is the header (a
  first row of numbers only is refused: it looks like data, not names);
- every feature cell is a finite number that fits float32; blank lines are skipped;
- the target column (by name or index; the last column by default) may hold numbers or text.
  Text or integer targets become classes 0..k-1 (sorted); other numbers are regression targets.
  What a cell may hold is in `memograd.data._csv_cells`.

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

import codecs
import csv
import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from memograd.data._csv_cells import BadCell, encode_target, is_number, parse_features, show

__all__ = ["CSVTable", "read_csv", "read_csv_features"]

_COLUMNS_SHOWN = 10  # header names listed in a message


@dataclass(frozen=True, eq=False)
class CSVTable:
    """What `read_csv` returns: X (N, D) float32, y (N,) int64 classes or float32 targets."""

    X: NDArray[np.float32]
    y: NDArray[Any]
    feature_names: tuple[str, ...]
    target_name: str
    classes: tuple[str, ...] | None  # None: regression targets


@dataclass(frozen=True)
class _Rows:
    """A file's header and data records, each with the line it starts on."""

    where: str  # "CSV file '<path>'"
    header: list[str]
    lines: list[int]  # lines[r]: the line data record r starts on
    records: list[list[str]]

    def problem(self, bad: BadCell, target: int | None = None) -> ValueError:
        kind = "target column" if bad.column == target else "column"
        return ValueError(
            f"{self.where}, line {self.lines[bad.row]}, {kind} {self.header[bad.column]!r}: "
            f"the cell {bad.problem}."
        )


def _columns(header: list[str]) -> str:
    names = ", ".join(show(h) for h in header[:_COLUMNS_SHOWN])
    more = len(header) - _COLUMNS_SHOWN
    return names + (f", ... ({more} more)" if more > 0 else "")


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
                f"{_columns(header)}."
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
        raise ValueError(
            "Received an invalid value for `task`, expected 'classification', 'regression' "
            f"or None. Received: task={task!r}"
        )
    rows = _read(path)
    if len(rows.header) < 2:
        raise ValueError(
            f"{rows.where} has a single column {show(rows.header[0])}; expected at least one "
            "feature column and a target column."
        )
    t = _resolve_target(target, rows.header, rows.where)
    feature_cols = [c for c in range(len(rows.header)) if c != t]
    try:
        X = parse_features(rows.records, feature_cols)  # (N, D)
        y, classes = encode_target([record[t] for record in rows.records], column=t, task=task)
    except BadCell as bad:
        raise rows.problem(bad, target=t) from None
    return CSVTable(
        X=X,
        y=y,
        feature_names=tuple(rows.header[c] for c in feature_cols),
        target_name=rows.header[t],
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
    rows = _read(path)
    skip = None if ignore is None else _resolve_target(ignore, rows.header, rows.where)
    columns = [c for c in range(len(rows.header)) if c != skip]
    if not columns:
        raise ValueError(f"{rows.where} has no feature column left after ignoring {ignore!r}.")
    try:
        X = parse_features(rows.records, columns)
    except BadCell as bad:
        raise rows.problem(bad) from None
    return X, tuple(rows.header[c] for c in columns)


def _read(path: str | os.PathLike[str]) -> _Rows:
    """The header and the records of a well-formed, headed CSV file with data rows."""
    where = f"CSV file {str(path)!r}"
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            lines, records = _records(csv.reader(f, strict=True), where)
    except UnicodeDecodeError:
        raise ValueError(f"{where} is not UTF-8 text: {_first_invalid_utf8(path)}.") from None
    if not records:
        raise ValueError(f"{where} is empty; expected a header row followed by data rows.")
    header = [h.strip() for h in records[0]]
    _check_header(header, lines[0], where)
    if len(records) == 1:
        raise ValueError(f"{where} has a header (line {lines[0]}) but no data rows.")
    for line, record in zip(lines[1:], records[1:], strict=True):
        if len(record) != len(header):
            raise ValueError(
                f"{where}, line {line}: found {len(record)} field(s), expected {len(header)} "
                f"(the header has columns {_columns(header)})."
            )
    return _Rows(where, header, lines[1:], records[1:])


def _records(reader: Any, where: str) -> tuple[list[int], list[list[str]]]:
    """Non-blank records and the line each starts on; csv errors become short ValueErrors."""
    lines: list[int] = []
    records: list[list[str]] = []
    start = 1
    try:
        for record in reader:
            if record and any(cell.strip() for cell in record):
                lines.append(start)
                records.append(record)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ValueError(f"{where}, line {start}: {_csv_problem(str(exc))}") from None
    return lines, records


def _csv_problem(message: str) -> str:
    """The csv module's error, said for a person; none of them quotes the file's content."""
    if message.startswith("field larger than field limit"):
        return (
            f"a cell is longer than {csv.field_size_limit():,} characters (the csv module's "
            "field_size_limit); is a quote left open?"
        )
    if message == "unexpected end of data":
        return (
            "a quoted cell in the record starting on this line is never closed (the file "
            "ends inside the quotes)"
        )
    return message


def _first_invalid_utf8(path: str | os.PathLike[str]) -> str:
    """Where the first byte that is not UTF-8 is: byte offset and line, read in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = newlines = 0  # bytes fed to the decoder so far, and the newlines among them
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 16)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                # exc.object is the decoder's pending bytes (from before `offset`) + chunk
                position = offset - (len(exc.object) - len(chunk)) + exc.start
                newlines += chunk[: max(position - offset, 0)].count(b"\n")
                bad = bytes(exc.object[exc.start : exc.end]).hex(" ")
                return f"byte {position:,} (line {newlines + 1}) is 0x{bad} ({exc.reason})"
            if not chunk:
                return "the text could not be decoded"  # changed since it was first read
            offset += len(chunk)
            newlines += chunk.count(b"\n")


def _check_header(header: list[str], line: int, where: str) -> None:
    if all(is_number(h) for h in header):
        raise ValueError(
            f"{where}, line {line}: the first row holds only numbers ({_columns(header)}), "
            "so it looks like data; add a header row naming the columns."
        )
    for c, name in enumerate(header):
        if not name:
            raise ValueError(f"{where}, line {line}: column {c} has an empty name.")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise ValueError(f"{where}, line {line}: the column name {show(name)} appears twice.")
        seen.add(name)
