"""Shared plotting helpers: figures without pyplot, log-scale lines, atomic saving, encoding.

Every figure of the project is a `matplotlib.figure.Figure` made here (no pyplot: no global
state, no GUI backend, safe in threads and in tests). A figure leaves this module as a file
written atomically, as PNG bytes, or as SVG text.

Example:
    >>> fig, ax = new_figure(4, 3)
    >>> _ = log_lines(ax, {"naive": ([1, 2, 3], [1, 10, 100])}, xlabel="n", ylabel="calls")
    >>> png_bytes(fig)[:4]
    b'\\x89PNG'
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from typing import Any

from memograd._atomic import atomic_path
from memograd._errors import invalid_value

#: One colour per meaning, used by every figure (colour-blind safe Okabe–Ito palette).
COLORS: dict[str, str] = {
    "naive": "#D55E00",
    "paths": "#D55E00",
    "recursive": "#E69F00",
    "memoized": "#0072B2",
    "reverse": "#009E73",
    "tensor": "#CC79A7",
    "bottom_up": "#009E73",
    "accent": "#D55E00",
    "neutral": "#555555",
    "highlight": "#F0E442",
}
_CYCLE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

Series = Mapping[str, tuple[Sequence[float], Sequence[float]]]


def color_for(name: str, index: int = 0) -> str:
    """The project colour of `name`, or the `index`-th colour of the cycle."""
    return COLORS.get(name, _CYCLE[index % len(_CYCLE)])


def new_figure(width: float = 6.4, height: float = 4.0, *, ncols: int = 1) -> tuple[Any, Any]:
    """A constrained-layout `Figure` and its axes (an array of axes when `ncols` > 1).

    Example:
        >>> fig, (left, right) = new_figure(8, 3, ncols=2)
    """
    from matplotlib.figure import Figure

    if not isinstance(ncols, int) or ncols < 1:
        raise invalid_value("ncols", "a positive integer", ncols)
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols)
    return fig, axes


def log_lines(
    ax: Any,
    series: Series,
    *,
    xlabel: str = "",
    ylabel: str = "",
    title: str = "",
    logx: bool = False,
    logy: bool = True,
    dashed: Sequence[str] = (),
    markers: bool = True,
) -> Any:
    """Draw one line per entry of `series` (`{label: (xs, ys)}`), log-scaled y by default.

    Non-positive values cannot sit on a log axis and are dropped from that line. Labels in
    `dashed` are drawn dashed and hollow (predicted, not measured).

    Example:
        >>> fig, ax = new_figure()
        >>> _ = log_lines(ax, {"a": ([1, 2], [3, 4])}, dashed=["a"])
    """
    for index, (label, (xs, ys)) in enumerate(series.items()):
        pairs = [
            (x, y) for x, y in zip(xs, ys, strict=True) if not logy or (y is not None and y > 0)
        ]
        if not pairs:
            continue
        px, py = zip(*pairs, strict=True)
        base = label.split(" ")[0]
        predicted = label in dashed
        ax.plot(
            px,
            py,
            linestyle="--" if predicted else "-",
            marker=("o" if markers else None),
            markersize=4,
            markerfacecolor="none" if predicted else None,
            color=color_for(base, index),
            label=label,
            linewidth=1.4,
        )
    if logy:
        ax.set_yscale("log")
    if logx:
        from matplotlib.ticker import FixedLocator, NullLocator

        ax.set_xscale("log")
        # tick at the measured x values, written plainly (16, 32, 64 rather than 2×10¹)
        ticks = sorted({x for xs, _ in series.values() for x in xs if x and x > 0})
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(lambda value, _: f"{value:g}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    if series:
        ax.legend(fontsize=8)
    return ax


def save_figure(fig: Any, path: str | os.PathLike[str], *, dpi: int = 110) -> None:
    """Write `fig` to `path` atomically; the format follows the suffix (.png, .svg, .pdf).

    Example:
        >>> fig, ax = new_figure()
        >>> save_figure(fig, "figure.png")  # doctest: +SKIP
    """
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi)


def png_bytes(fig: Any, *, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (for embedding in HTML or a notebook)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def svg_text(fig: Any) -> str:
    """The figure as SVG markup (text kept as paths, so no font is needed to view it)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    return buffer.getvalue()
