"""What machine this is, and what it was doing: written next to every measured number."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo where there is one, else what `platform` says.

    Example:
        >>> isinstance(cpu_name(), str)
        True
    """
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> list[float] | None:
    """The 1-, 5- and 15-minute load averages (runnable processes), or None where unknown."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):  # not on this platform
        return None


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def conditions(start: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a measurement ran under: BLAS threads and library, CPUs, load average.

    Taken once before measuring; pass that snapshot back as `start` afterwards to get the
    same fields plus `load_average_end`. Every measuring command writes this block into its
    JSON (`conditions`) and prints `describe_conditions` of it.

    Example:
        >>> before = conditions()
        >>> after = conditions(before)
        >>> sorted(after) == sorted([*before, "load_average_end"])
        True
    """
    from memograd import _mkl
    from memograd._threads import blas_library, get_num_threads

    if start is not None:
        return {**start, "load_average_end": load_average()}
    return {
        "blas_threads": get_num_threads(),
        "blas": blas_library(),
        "products": _mkl.describe() or "NumPy's BLAS",  # the library memograd's GEMMs call
        "cpus": os.cpu_count(),
        "usable_cpus": usable_cpus(),
        "load_average": load_average(),
    }


def describe_conditions(c: dict[str, Any]) -> str:
    """One line for a page or a terminal: `1 BLAS thread · 2 CPUs · load 1.2 → 3.4`.

    Example:
        >>> describe_conditions({"blas_threads": 1, "cpus": 2, "load_average": [1.2, 1.0, 0.9],
        ...                      "load_average_end": [3.4, 1.5, 1.0]})
        '1 BLAS thread · 2 CPUs · 1-min load average 1.2 → 3.4'
    """
    threads = c.get("blas_threads")
    parts = [f"{threads} BLAS thread{'s' if threads != 1 else ''}"]
    if c.get("products", "").startswith("MKL"):  # (older records have no such field)
        parts.append(f"products: {c['products']}")
    if c.get("cpus"):
        parts.append(f"{c['cpus']} CPUs")
    start, end = c.get("load_average"), c.get("load_average_end")
    if start:
        load = f"1-min load average {start[0]:g}"
        parts.append(load + (f" → {end[0]:g}" if end else ""))
    return " · ".join(parts)
