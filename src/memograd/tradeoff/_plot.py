"""Figures of `measure` results: saved bytes vs depth and vs width, and time vs memory.

Example:
    >>> from memograd.tradeoff import measure, memory_figure
    >>> rows = measure([2, 4], [8], 4, ["all", "none"], repeats=1, use_tracemalloc=False)
    >>> len(memory_figure(rows).axes)
    3
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

_MIB = 1024 * 1024


def _policies(rows: Sequence[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(str(r["policy"]) for r in rows))


def memory_figure(rows: Sequence[dict[str, Any]]) -> Any:
    """A matplotlib Figure with three panels (needs rows for at least one configuration).

    Left: peak saved MiB against depth at the largest width; middle: against width at the
    largest depth (the closed form of "all" dashed); right: median step time against peak
    saved MiB, one curve per depth at the largest width — the space–time trade-off.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    if not rows:
        raise ValueError("memory_figure needs at least one measured row. Received: []")
    width_max = max(r["width"] for r in rows)
    depth_max = max(r["depth"] for r in rows)
    fig = Figure(figsize=(14, 4.2), layout="constrained")
    by_depth, by_width, tradeoff = fig.subplots(1, 3)
    colors = {p: f"C{i}" for i, p in enumerate(_policies(rows))}
    for policy, color in colors.items():
        mine = [r for r in rows if str(r["policy"]) == policy]
        line = sorted(
            (r["depth"], r["peak_saved_bytes"] / _MIB) for r in mine if r["width"] == width_max
        )
        by_depth.plot(*zip(*line, strict=True), "o-", color=color, label=policy)
        line = sorted(
            (r["width"], r["peak_saved_bytes"] / _MIB) for r in mine if r["depth"] == depth_max
        )
        by_width.plot(*zip(*line, strict=True), "o-", color=color, label=policy)
    for axes, key, fixed in ((by_depth, "depth", "width"), (by_width, "width", "depth")):
        value = width_max if fixed == "width" else depth_max
        closed = sorted(
            (r[key], r["closed_form_bytes"] / _MIB)
            for r in rows
            if r["closed_form_bytes"] is not None and r[fixed] == value
        )
        if closed:
            axes.plot(*zip(*closed, strict=True), "k--", lw=1, label='closed form ("all")')
        axes.set_xscale("log", base=2)
        axes.set_yscale("log")
        axes.set_xlabel(f"{key} ({fixed} {value})")
        axes.set_ylabel("peak MiB held for backward")
        axes.set_title(f"saved memory vs {key}")
        axes.legend(fontsize=8)
    for depth in sorted({r["depth"] for r in rows}):
        points = sorted(
            (r["peak_saved_bytes"] / _MIB, r["seconds"], str(r["policy"]))
            for r in rows
            if r["depth"] == depth and r["width"] == width_max
        )
        tradeoff.plot([p[0] for p in points], [p[1] for p in points], "-", color="0.7", lw=1)
        for mib, seconds, policy in points:
            tradeoff.plot(mib, seconds, "o", color=colors[policy])
        tradeoff.annotate(f"depth {depth}", (points[-1][0], points[-1][1]), fontsize=7)
    for policy, color in colors.items():
        tradeoff.plot([], [], "o", color=color, label=policy)
    tradeoff.set_xscale("log")
    tradeoff.set_yscale("log")
    tradeoff.set_xlabel("peak MiB held for backward")
    tradeoff.set_ylabel("median step time (s)")
    tradeoff.set_title(f"time vs memory (width {width_max})")
    tradeoff.legend(fontsize=8)
    for axes in (by_depth, by_width):
        _plain_log_ticks(axes.yaxis)
    _plain_log_ticks(tradeoff.xaxis)
    _plain_log_ticks(tradeoff.yaxis)
    return fig


def _plain_log_ticks(axis: Any) -> None:
    """Label a base-10 log axis with plain numbers at 1, 2, 5 × 10^k (at 10^k only when it
    spans more than 2.5 decades, at every k × 10^k below half a decade); unlabelled minor
    ticks in between.

    On an axis spanning less than a decade matplotlib labels the minor ticks 2, 3, 4 and 6
    × 10^k as "3×10⁰", and those run into each other ("3×10⁰4×10⁰").
    """
    import math

    from matplotlib.ticker import LogLocator, NullFormatter, NullLocator, StrMethodFormatter

    lo, hi = sorted(axis.get_view_interval())
    decades = math.log10(hi / lo) if lo > 0 else math.inf
    labelled: tuple[float, ...] = (1.0, 2.0, 5.0)
    if decades > 2.5:
        labelled = (1.0,)
    elif decades < 0.5:  # 1, 2, 5 could leave a single label: label every integer multiple
        labelled = tuple(float(k) for k in range(1, 10))
    axis.set_major_locator(LogLocator(base=10, subs=labelled))
    axis.set_major_formatter(StrMethodFormatter("{x:g}"))
    rest = tuple(float(k) for k in range(2, 10) if k not in labelled)
    axis.set_minor_locator(LogLocator(base=10, subs=rest) if rest else NullLocator())
    axis.set_minor_formatter(NullFormatter())


def save_plot(rows: Sequence[dict[str, Any]], path: str | os.PathLike[str]) -> None:
    """Write `memory_figure(rows)` to `path` atomically (format from the suffix)."""
    from memograd._atomic import atomic_path

    fig = memory_figure(rows)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)


__all__ = ["memory_figure", "save_plot"]
