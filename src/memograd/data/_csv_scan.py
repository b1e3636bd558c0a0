"""One streaming pass over a CSV file: header checks, row widths, feature numbers, target text.

Records are checked as they are read, so a malformed file fails at its first bad row without
being held in memory, and a good one costs 8 bytes per feature cell (float64 while reading,
float32 after) plus its target cells, not a Python string per cell.

Messages name the file and the line (the line a record starts on) and never quote more than
40 characters of a cell: a quote left open must not pour the rest of the file into an error.

Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "toy.csv"
    >>> _ = path.write_text("a,b,kind\\n1,2,cat\\n\\n3,4,dog\\n")
    >>> scan(path, lambda header, where: ([0, 1], 2)).lines
    [2, 4]
"""

from __future__ import annotations

import codecs
import csv
import os
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from memograd.data._csv_cells import BadCell, feature_values, is_number, show

__all__ = ["Scan", "columns_list", "scan"]

_COLUMNS_SHOWN = 10  # header names listed in a message

#: (header, "CSV file '<path>'") -> (feature columns, target column or None); may raise.
ChooseColumns = Callable[[list[str], str], tuple[list[int], int | None]]


@dataclass(frozen=True, eq=False)
class Scan:
    """A file read by `scan`."""

    where: str  # "CSV file '<path>'", the start of every message
    header: list[str]  # stripped names
    features: list[int]  # the columns of X, in order
    target: int | None
    X: NDArray[np.float32]  # (N, len(features))
    target_cells: list[str]  # empty without a target column
    lines: list[int]  # lines[r]: the line data row r starts on

    def cell_error(self, row: int, column: int, problem: str) -> ValueError:
        kind = "target column" if column == self.target else "column"
        return ValueError(
            f"{self.where}, line {self.lines[row]}, {kind} {self.header[column]!r}: "
            f"the cell {problem}."
        )


def columns_list(header: list[str]) -> str:
    """The header's names for a message: the first 10, each at most 40 characters."""
    names = ", ".join(show(h) for h in header[:_COLUMNS_SHOWN])
    more = len(header) - _COLUMNS_SHOWN
    return names + (f", ... ({more} more)" if more > 0 else "")


def scan(path: str | os.PathLike[str], choose: ChooseColumns) -> Scan:
    """Read `path`; `choose` picks the feature and target columns once the header is known."""
    where = f"CSV file {str(path)!r}"
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            return _scan(csv.reader(f, strict=True), where, choose)
    except UnicodeDecodeError:
        raise ValueError(f"{where} is not UTF-8 text: {_first_invalid_utf8(path)}.") from None


def _scan(reader: Any, where: str, choose: ChooseColumns) -> Scan:
    header: list[str] | None = None
    features: list[int] = []
    target: int | None = None
    values = array("d")  # the feature numbers, row after row
    target_cells: list[str] = []
    lines: list[int] = []
    header_line = start = 1  # start: the line the next record starts on
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not record or (not record[0].strip() and not any(c.strip() for c in record)):
                continue  # a blank line
            if header is None:
                header, header_line = [name.strip() for name in record], line
                _check_header(header, line, where)
                features, target = choose(header, where)
                continue
            if len(record) != len(header):
                raise ValueError(
                    f"{where}, line {line}: found {len(record)} field(s), expected "
                    f"{len(header)} (the header has columns {columns_list(header)})."
                )
            try:
                values.extend(feature_values([record[c] for c in features]))
            except BadCell as bad:
                name = header[features[bad.index]]
                raise ValueError(
                    f"{where}, line {line}, column {name!r}: the cell {bad.problem}."
                ) from None
            if target is not None:
                target_cells.append(record[target])
            lines.append(line)
    except csv.Error as exc:
        raise ValueError(f"{where}, line {start}: {_csv_problem(str(exc))}") from None
    if header is None:
        raise ValueError(f"{where} is empty; expected a header row followed by data rows.")
    if not lines:
        raise ValueError(f"{where} has a header (line {header_line}) but no data rows.")
    X = np.frombuffer(values, dtype=np.float64).reshape(len(lines), len(features))
    return Scan(where, header, features, target, X.astype(np.float32), target_cells, lines)


def _check_header(header: list[str], line: int, where: str) -> None:
    if all(is_number(name) for name in header):
        raise ValueError(
            f"{where}, line {line}: the first row holds only numbers ({columns_list(header)}), "
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
