"""What a CSV cell means: the number grammar, float32 features, and exact target labels.

A number in a CSV file is written the way CSV readers agree on, with optional spaces or tabs
around it::

    [+-] digits [. digits] [(e|E) [+-] digits]        (also ".5" and "5.")

Python's ``float()`` accepts more (``"1_000"``, ``"٣"``, ``"infinity"``, ``"\\x0c1"``), so
every cell is matched against this grammar before it is converted.

- Features are finite float32 numbers. ``nan``/``inf`` spellings are refused (the file has no
  missing values), and so is a number whose magnitude overflows float32 (``1e39``); a number
  too small for float32 rounds to zero, as every float parser does (``1e-50`` -> 0.0).
- Targets: if every cell is an integer (exactly: ``"1e20"``, ``"3.0"`` and ``"-0"`` are
  integers) they are class labels keyed by their exact value, sorted by value and named by
  their decimal digits, so ``1e20`` and ``100000000000000000001`` stay two classes. If every
  cell is a number but some are not integers, they are float32 regression targets (overflow
  refused). Otherwise every cell is a text label, kept exactly as written (trimmed), sorted by
  text. A ``nan``/``inf`` spelling is refused in a target: a missing value is not a class.

Problems are raised as `BadCell` (row and column inside the block, and what is wrong); the
reader turns them into a `ValueError` naming the file, the line and the column.

Example:
    >>> parse_features([["1", " -2.5e1"]], [0, 1]).tolist()
    [[1.0, -25.0]]
    >>> encode_target(["1e20", "100000000000000000001", "1E20"], column=0)[1]
    ('100000000000000000000', '100000000000000000001')
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["BadCell", "encode_target", "is_number", "parse_features", "show"]

_NUMBER = re.compile(r"[ \t]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*")
_NON_FINITE = re.compile(r"[ \t]*[+-]?(?:nan|inf|infinity)[ \t]*", re.IGNORECASE)
_FLOAT32_MAX = float(np.finfo(np.float32).max)
#: Python's own default limit for converting between int and text (sys.int_info).
_MAX_LABEL_DIGITS = 4300
_SHOWN = 40  # characters of a cell quoted in a message


class BadCell(Exception):
    """A cell that breaks the rules: `row` and `column` index the block; `problem` says why."""

    def __init__(self, row: int, column: int, problem: str) -> None:
        super().__init__(problem)
        self.row, self.column, self.problem = row, column, problem


def show(cell: str) -> str:
    """A cell quoted for a message: at most 40 characters, with a hint for line breaks."""
    text = repr(cell) if len(cell) <= _SHOWN else f"{cell[:_SHOWN]!r}... ({len(cell):,} characters)"
    if "\n" in cell or "\r" in cell:
        text += " (it spans several lines: is a quote left open?)"
    return text


def is_number(cell: str) -> bool:
    """True for a cell that reads as a number, ``nan``/``inf`` spellings included."""
    return _NUMBER.fullmatch(cell) is not None or _NON_FINITE.fullmatch(cell) is not None


def _not_a_number(cell: str) -> str:
    if not cell.strip():
        return "is empty"
    if _NON_FINITE.fullmatch(cell):
        return f"holds {show(cell)}, not a finite number"
    return (
        f"holds {show(cell)}, not a number (numbers are written like 12, -0.5 or 1e-3, "
        "with no digit separators)"
    )


def _to_float32(values: NDArray[np.float64]) -> tuple[NDArray[np.float32], tuple[int, int] | None]:
    """`values` cast to float32, and the (row, column) of the first one that overflows it."""
    with np.errstate(over="ignore"):
        out = values.astype(np.float32)
    overflow = np.argwhere(np.isinf(out))
    first = None if not overflow.size else (int(overflow[0][0]), int(overflow[0][1]))
    return out, first


def _too_large(cell: str) -> str:
    return f"holds {show(cell)}, a number too large for float32 (largest {_FLOAT32_MAX:.8g})"


def parse_features(rows: list[list[str]], columns: list[int]) -> NDArray[np.float32]:
    """The cells ``rows[r][c]`` for c in `columns` as a float32 array (len(rows), len(columns))."""
    values = np.empty((len(rows), len(columns)), dtype=np.float64)
    for r, row in enumerate(rows):
        for j, c in enumerate(columns):
            cell = row[c]
            if _NUMBER.fullmatch(cell) is None:
                hint = ". Feature columns must be numeric with no missing values"
                raise BadCell(r, c, _not_a_number(cell) + hint)
            values[r, j] = float(cell)  # "1e999" is inf here: the overflow check refuses it
    out, overflow = _to_float32(values)
    if overflow is not None:
        r, c = overflow[0], columns[overflow[1]]
        raise BadCell(r, c, _too_large(rows[r][c]))
    return out


def _integer_digits(cell: str) -> tuple[str, int] | None:
    """The integer `cell` denotes exactly, as (sign and digits, count of trailing zeros) or None."""
    sign, digits, exponent = Decimal(cell.strip(" \t")).as_tuple()
    assert isinstance(exponent, int)  # the grammar admits finite numbers only
    if exponent < 0:
        whole = max(len(digits) + exponent, 0)
        if any(digits[whole:]):
            return None  # a fractional part
        digits, exponent = digits[:whole], 0
    text = "".join(map(str, digits)).lstrip("0")
    if not text:
        return "0", 0
    return ("-" if sign else "") + text, exponent


def encode_target(
    cells: list[str], column: int, task: str | None = None
) -> tuple[NDArray[Any], tuple[str, ...] | None]:
    """Class indices (int64) and class names, or float32 regression targets and None.

    `column` is the target's column index, used in `BadCell`. `task` ``"classification"``
    or ``"regression"`` overrides the choice made from the values (None).
    """
    numeric = True
    for r, cell in enumerate(cells):
        if not cell.strip():
            raise BadCell(r, column, "is empty")
        if _NON_FINITE.fullmatch(cell):
            raise BadCell(
                r,
                column,
                f"holds {show(cell)}, a missing or non-finite value; a target must be a class "
                "label or a finite number",
            )
        if _NUMBER.fullmatch(cell) is None:
            if task == "regression":
                raise BadCell(r, column, _not_a_number(cell) + " (a regression target)")
            numeric = False
    if task == "regression":
        return _regression(cells, column), None
    if not numeric:
        return _classes([cell.strip() for cell in cells], key=None)
    integers = [_integer_digits(cell) for cell in cells]
    if any(i is None for i in integers):  # a fraction
        if task == "classification":
            return _classes([cell.strip() for cell in cells], key=None)
        return _regression(cells, column), None
    labels: list[str] = []
    for r, integer in enumerate(integers):
        assert integer is not None
        digits, zeros = integer
        if len(digits.lstrip("-")) + zeros > _MAX_LABEL_DIGITS:
            raise BadCell(
                r,
                column,
                f"holds {show(cells[r])}, an integer label with more than {_MAX_LABEL_DIGITS} "
                "digits, too large to keep exactly",
            )
        labels.append(digits + "0" * zeros)
    return _classes(labels, key=Decimal)


def _regression(cells: list[str], column: int) -> NDArray[np.float32]:
    out, overflow = _to_float32(np.array([float(c) for c in cells], dtype=np.float64)[:, None])
    if overflow is not None:
        raise BadCell(overflow[0], column, _too_large(cells[overflow[0]]))
    return out[:, 0]


def _classes(labels: list[str], key: Any) -> tuple[NDArray[np.int64], tuple[str, ...]]:
    """Index every label into its sorted distinct values (exact: no rounding, no wrap-around)."""
    names = sorted(set(labels), key=key)
    index = {name: k for k, name in enumerate(names)}
    return np.array([index[label] for label in labels], dtype=np.int64), tuple(names)
