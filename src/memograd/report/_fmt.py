"""Number formatting for the report's text and tables (one place, so every section agrees).

Example:
    >>> seconds(0.00123), count(1234567), ratio(2.5e4)
    ('1.23 ms', '1,234,567', '25,000×')
"""

from __future__ import annotations

import math


def seconds(value: float | None) -> str:
    """A duration with a unit that keeps 3 significant digits."""
    if value is None or not math.isfinite(value):
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if value >= scale or unit == "ns":
            return f"{value / scale:.3g} {unit}"
    return f"{value:.3g} s"  # pragma: no cover


def count(value: float | int | None) -> str:
    """An integer with thousands separators; huge ones in scientific notation."""
    if value is None:
        return "—"
    if isinstance(value, float) and not math.isfinite(value):
        return "—"
    if abs(value) >= 1e15:
        return f"{float(value):.3g}"
    return f"{round(value):,}"


def ratio(value: float | None) -> str:
    """A speed-up or ratio: ``25,000×``, ``3.4×``, ``0.52×``."""
    if value is None or not math.isfinite(value):
        return "—"
    if value >= 100:
        return f"{count(value)}×"
    return f"{value:.2g}×" if value < 10 else f"{value:.3g}×"


def number(value: float | None, digits: int = 4) -> str:
    """A float with `digits` significant digits."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}g}"


def percent(value: float | None) -> str:
    """A fraction in [0, 1] as a percentage with one decimal."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{100 * value:.1f}%"
