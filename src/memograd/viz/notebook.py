"""Inline rendering in Jupyter: the drawings behind `_repr_svg_` of Value, Tensor, Trace.

Those classes sit below `viz` and never import it: their `_repr_svg_` asks
`memograd._display` for the renderer of a kind, and this module registers its renderers there
when it is imported (the package root imports it at the first drawing, so importing memograd
never imports matplotlib). A function returns None when the object is too big to draw
readably; Jupyter then shows the text repr instead.

Example:
    >>> import memograd as mg
    >>> x = mg.Value(3.0, label="x")
    >>> graph_svg(x * x).startswith("<?xml")
    True
"""

from __future__ import annotations

from typing import Any

from memograd import _display
from memograd.viz.plots import png_bytes, svg_text


def graph_figure(root: Any) -> Any | None:
    """The drawing of `root`'s computation graph, or None when it is too big."""
    from memograd.viz.graph import MAX_NODES, count_nodes, draw_graph

    if count_nodes(root, MAX_NODES) > MAX_NODES:
        return None
    return draw_graph(root)


def trace_figure(recording: Any) -> Any | None:
    """The call tree(s) a `memograd.memo.trace()` recorded, or None when empty or too big."""
    from memograd.viz.calltree import _MAX_NODES, draw_call_tree, fit_width

    roots = list(getattr(recording, "roots", []))
    if not roots or sum(1 for _ in recording.walk()) > _MAX_NODES:
        return None
    if len(roots) == 1:
        return draw_call_tree(roots[0])
    from memograd.viz.plots import new_figure

    fig, axes = new_figure(4.0 * len(roots), 3.5, ncols=len(roots))
    for root, ax in zip(roots, axes, strict=True):
        draw_call_tree(root, ax=ax)
    fit_width(fig, list(axes))
    return fig


def graph_svg(root: Any) -> str | None:
    """SVG of a Value/Tensor graph (for `_repr_svg_`)."""
    fig = graph_figure(root)
    return None if fig is None else svg_text(fig)


def graph_png(root: Any) -> bytes | None:
    """PNG of a Value/Tensor graph (for `_repr_png_`)."""
    fig = graph_figure(root)
    return None if fig is None else png_bytes(fig)


def trace_svg(recording: Any) -> str | None:
    """SVG of a trace's call trees (for `Trace._repr_svg_`)."""
    fig = trace_figure(recording)
    return None if fig is None else svg_text(fig)


def trace_png(recording: Any) -> bytes | None:
    """PNG of a trace's call trees (for `Trace._repr_png_`)."""
    fig = trace_figure(recording)
    return None if fig is None else png_bytes(fig)


class Inline:
    """Wraps a matplotlib figure so that Jupyter shows it, with or without pyplot.

    Example:
        >>> from memograd.viz import draw_network
        >>> Inline(draw_network())._repr_png_()[:4]
        b'\\x89PNG'
    """

    def __init__(self, fig: Any) -> None:
        self.figure = fig

    def _repr_png_(self) -> bytes:
        return png_bytes(self.figure)


def inline(fig: Any) -> Inline:
    """Show `fig` as the last expression of a notebook cell: ``inline(draw_network())``."""
    return Inline(fig)


# What the core classes' `_repr_svg_` draw (they look it up in `_display`; see the docstring).
_display.register("graph", graph_svg)
_display.register("trace", trace_svg)
