"""Figures: call trees, the lesson's network, computation graphs, plots, notebook rendering.

Everything is drawn with matplotlib `Figure` objects (never pyplot), imported lazily so that
`import memograd` stays light.

Example:
    >>> from memograd.viz import draw_network, save_figure
    >>> fig = draw_network([2, 2, 2, 1], highlight="w1_11")
    >>> save_figure(fig, "network.png")  # doctest: +SKIP
"""

from memograd.viz.calltree import compare_call_trees, draw_call_tree, repeated_subtrees
from memograd.viz.graph import draw_graph
from memograd.viz.network import draw_network, node_name, paths_from_weight
from memograd.viz.plots import log_lines, new_figure, png_bytes, save_figure, svg_text

__all__ = [
    "compare_call_trees",
    "draw_call_tree",
    "draw_graph",
    "draw_network",
    "log_lines",
    "new_figure",
    "node_name",
    "paths_from_weight",
    "png_bytes",
    "repeated_subtrees",
    "save_figure",
    "svg_text",
]
