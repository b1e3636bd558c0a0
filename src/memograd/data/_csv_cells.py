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

Problems are raised as `BadCell` (what is wrong and, for a target, which row); the reader
turns them into a `ValueError` naming the file, the line and the column.

Example:
    >>> feature_value(" -2.5e1")
    -25.0
    >>> encode_target(["1e20", "100000000000000000001", "1E20"])[1]
    ('100000000000000000000', '100000000000000000001')
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["BadCell", "encode_target", "feature_value", "feature_values", "is_number", "show"]

_NUMBER = re.compile(r"[ \t]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*")
#: Numbers joined by \x1f (never part of one): a whole row checked in one match.
_NUMBERS = re.compile(rf"(?:{_NUMBER.pattern})(?:\x1f(?:{_NUMBER.pattern}))*")
_PLAIN_INTEGER = re.compile(r"[ \t]*[+-]?[0-9]{1,18}[ \t]*")  # well inside int's text limit
_NON_FINITE = re.compile(r"[ \t]*[+-]?(?:nan|inf|infinity)[ \t]*", re.IGNORECASE)
_FLOAT32_MAX = float(np.finfo(np.float32).max)
#: float32 rounds every float64 at least this large to infinity (FLT_MAX + half an ulp).
_FLOAT32_OVERFLOW = 2.0**128 - 2.0**103
#: Python's own default limit for converting between int and text (sys.int_info).
_MAX_LABEL_DIGITS = 4300
_SHOWN = 40  # characters of a cell quoted in a message


class BadCell(Exception):
    """A cell that breaks the rules: `problem` says why; `index` is its place in the list given."""

    def __init__(self, problem: str, index: int = 0) -> None:
        super().__init__(problem)
        self.problem, self.index = problem, index


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


def _float32_value(cell: str) -> float:
    value = float(cell)  # "1e999" is inf here, refused below with the rest
    if not -_FLOAT32_OVERFLOW < value < _FLOAT32_OVERFLOW:
        raise BadCell(
            f"holds {show(cell)}, a number too large for float32 (largest {_FLOAT32_MAX:.8g})"
        )
    return value


def feature_value(cell: str) -> float:
    """The number a feature cell holds; it fits float32 (the value is a float64)."""
    if _NUMBER.fullmatch(cell) is None:
        raise BadCell(
            _not_a_number(cell) + ". Feature columns must be numeric with no missing values"
        )
    return _float32_value(cell)


def feature_values(cells: list[str]) -> list[float]:
    """`feature_value` of every cell; a bad one raises `BadCell` with its index in `cells`.

    The common case (every cell fine) takes one regex match and C-level loops per row.
    """
    if _NUMBERS.fullmatch("\x1f".join(cells)) is not None:
        try:
            values = list(map(float, cells))
        except ValueError:  # a cell holding the separator: the slow path says which
            pass
        else:
            if not values or max(map(abs, values)) < _FLOAT32_OVERFLOW:
                return values
    for index, cell in enumerate(cells):
        try:
            feature_value(cell)
        except BadCell as bad:
            raise BadCell(bad.problem, index) from None
    raise AssertionError("a row failed the fast check but passed every cell")  # pragma: no cover


def _integer_digits(cell: str) -> tuple[str, int] | None:
    """The integer `cell` denotes exactly, as (sign and digits, count of trailing zeros) or None."""
    if _PLAIN_INTEGER.fullmatch(cell) is not None:  # the common case, without Decimal
        return str(int(cell)), 0
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
    cells: list[str], task: str | None = None
) -> tuple[NDArray[Any], tuple[str, ...] | None]:
    """Class indices (int64) and class names, or float32 regression targets and None.

    `task` ``"classification"`` or ``"regression"`` overrides the choice the values make (None).
    """
    numeric = True
    for r, cell in enumerate(cells):
        if _NUMBER.fullmatch(cell) is not None:
            continue
        if not cell.strip():
            raise BadCell("is empty", r)
        if _NON_FINITE.fullmatch(cell):
            raise BadCell(
                f"holds {show(cell)}, a missing or non-finite value; a target must be a class "
                "label or a finite number",
                r,
            )
        if task == "regression":
            raise BadCell(_not_a_number(cell) + " (a regression target)", r)
        numeric = False
    if task == "regression":
        return _regression(cells), None
    if not numeric:
        return _classes([cell.strip() for cell in cells], key=None)
    integers = [_integer_digits(cell) for cell in cells]
    if any(i is None for i in integers):  # a fraction
        if task == "classification":
            return _classes([cell.strip() for cell in cells], key=None)
        return _regression(cells), None
    labels: list[str] = []
    for r, integer in enumerate(integers):
        assert integer is not None
        digits, zeros = integer
        if len(digits.lstrip("-")) + zeros > _MAX_LABEL_DIGITS:
            raise BadCell(
                f"holds {show(cells[r])}, an integer label with more than {_MAX_LABEL_DIGITS} "
                "digits, too large to keep exactly",
                r,
            )
        labels.append(digits + "0" * zeros)
    return _classes(labels, key=Decimal)


def _regression(cells: list[str]) -> NDArray[np.float32]:
    values = np.empty(len(cells), dtype=np.float32)
    for r, cell in enumerate(cells):
        try:
            values[r] = _float32_value(cell)
        except BadCell as bad:
            raise BadCell(bad.problem, r) from None
    return values


def _classes(labels: list[str], key: Any) -> tuple[NDArray[np.int64], tuple[str, ...]]:
    """Index every label into its sorted distinct values (exact: no rounding, no wrap-around)."""
    names = sorted(set(labels), key=key)
    index = {name: k for k, name in enumerate(names)}
    return np.array([index[label] for label in labels], dtype=np.int64), tuple(names)
