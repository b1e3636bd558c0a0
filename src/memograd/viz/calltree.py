"""Call trees drawn with matplotlib: naive recursion beside memoized, repeats marked.

Input is what `memograd.memo.trace()` records: a tree of `CallNode`s (name, args, result,
cached, children). A call whose subtree is computed more than once (fib(3) twice and fib(2)
three times in naive fib(5)) gets its own colour, in every place it occurs; in a memoized tree
the same colour marks the cache hit that replaced the repeat, drawn dashed.

Example:
    >>> from memograd.memo import trace, traced
    >>> @traced
    ... def fib(n: int) -> int:
    ...     return n if n < 2 else fib(n - 1) + fib(n - 2)
    >>> with trace() as t:
    ...     _ = fib(5)
    >>> repeated_subtrees(t.roots[0])
    {'fib(3)': 2, 'fib(2)': 3}
    >>> fig = draw_call_tree(t.roots[0])
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

from memograd.memo import CallNode

#: Colours for repeated subtrees, largest subtree first.
_REPEAT_COLORS = ("#E69F00", "#56B4E9", "#CC79A7", "#009E73", "#F0E442", "#0072B2", "#D55E00")
_MAX_NODES = 1000  # naive fib(14) (1,219 calls) and beyond: refused with a clear message
_COMPACT_LEAVES = 24  # wider trees show only the arguments in their boxes
_FONT, _COMPACT_FONT, _MIN_FONT = 8.0, 7.0, 5.0  # points
_GAP = 0.6  # clear space between two neighbouring boxes of one row, in font sizes
_EDGE = 0.7  # data units left of the first call and right of the last
_MARGIN_IN = 0.25  # constrained layout's padding around each panel, with room to spare
#: Figures wider than this (3,900 px at the 150 dpi of `memograd fib --tree`) get smaller
#: fonts (down to _MIN_FONT) instead of more width.
_MAX_WIDTH_IN = 26.0


def repeated_subtrees(root: CallNode) -> dict[str, int]:
    """`{label: times computed}` for calls computed more than once that made calls themselves.

    Base cases (calls without children) are left out: repeating them is cheap; a repeated
    *subtree* is where the exponential work hides. Ordered from the largest subtree down.

    Example:
        >>> repeated_subtrees(CallNode("f", (1,)))
        {}
    """
    computed = Counter(n.label() for n in root.walk() if not n.cached and n.children)
    sizes = {n.label(): sum(1 for _ in n.walk()) for n in root.walk() if n.children}
    repeats = {label: k for label, k in computed.items() if k > 1}
    return dict(sorted(repeats.items(), key=lambda item: (-sizes[item[0]], item[0])))


def args_key(node: CallNode) -> str:
    """What a colour is keyed by: the arguments, so `naive(3)` and `memoized(3)` match."""
    return node.label()[len(node.name) :]


def _layout(root: CallNode) -> list[tuple[CallNode, float, int, CallNode | None]]:
    """(node, x, depth, parent) for every node, as a tidy tree (x from 0, 1 unit apart).

    Each subtree is a block whose outline is its leftmost and rightmost x at every depth
    below it; a node's children are placed left to right, each block moved right just far
    enough to be 1 unit clear of its elder siblings' blocks at every depth they share, and
    the node is centred over its first and last child. Naive fib(12) is 179 units wide this
    way instead of 233 with one unit per leaf, since shallow leaves share columns with deep
    subtrees.
    """
    offsets: dict[int, float] = {}  # id(child) -> its x minus its parent's
    outlines: dict[int, list[tuple[float, float]]] = {}  # id(node) -> (left, right) per depth
    # Iterative post-order (trees may be deeper than the recursion limit): children first.
    stack: list[tuple[CallNode, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if node.children and not expanded:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.children))
            continue
        merged: list[tuple[float, float]] = []
        shifts: list[float] = []
        for child in node.children:
            outline = outlines.pop(id(child))
            shared = range(min(len(merged), len(outline)))
            shift = max((merged[d][1] + 1.0 - outline[d][0] for d in shared), default=0.0)
            shifts.append(shift)
            for d, (left, right) in enumerate(outline):
                if d < len(merged):
                    merged[d] = (min(merged[d][0], left + shift), max(merged[d][1], right + shift))
                else:
                    merged.append((left + shift, right + shift))
        centre = (shifts[0] + shifts[-1]) / 2 if shifts else 0.0
        for child, shift in zip(node.children, shifts, strict=True):
            offsets[id(child)] = shift - centre
        outlines[id(node)] = [(0.0, 0.0), *((lo - centre, hi - centre) for lo, hi in merged)]
    placed: list[tuple[CallNode, float, int, CallNode | None]] = []
    todo: list[tuple[CallNode, float, int, CallNode | None]] = [(root, 0.0, 0, None)]
    while todo:
        node, x, depth, parent = todo.pop()
        placed.append((node, x, depth, parent))
        todo.extend((c, x + offsets[id(c)], depth + 1, node) for c in reversed(node.children))
    left_edge = min(x for _, x, _, _ in placed)
    return [(node, x - left_edge, depth, parent) for node, x, depth, parent in placed]


def draw_call_tree(
    root: CallNode,
    *,
    ax: Any = None,
    title: str | None = None,
    colors: Mapping[str, str] | None = None,
    prefix: str = "",
    compact: bool | None = None,
) -> Any:
    """Draw one call tree; returns the figure (a new one unless `ax` is given).

    A new figure is made as wide as the boxes need not to overlap (see `fit_width`); on a
    given `ax`, call `fit_width(fig, axes)` after drawing every panel.

    Args:
        root: the top call, e.g. `trace.roots[0]`.
        ax: matplotlib axes to draw on (default: a new figure sized to the tree).
        title: text above the tree (default: the root's label and the number of calls).
        colors: `{args_key: colour}` for repeated subtrees (default: computed from this tree),
            so that a naive and a memoized tree drawn side by side use the same colours.
        prefix: put before the default title (e.g. "naive").
        compact: boxes show only the arguments ("3" for fib(3)); default: when the tree has
            more than 24 leaves.

    Raises:
        ValueError: the tree has more than 1000 calls (too many to read in a drawing).
    """
    placed = _layout(root)
    if len(placed) > _MAX_NODES:
        raise ValueError(
            f"Received a call tree with {len(placed)} calls, expected at most {_MAX_NODES} to "
            f"draw it readably. Trace a smaller call (e.g. fib(5)). Received: {root.label()}"
        )
    if colors is None:
        colors = repeat_colors([root])
    if compact is None:
        compact = sum(1 for n, *_ in placed if not n.children) > _COMPACT_LEAVES
    own_figure = ax is None
    if ax is None:
        from memograd.viz.plots import new_figure

        depth = max(d for _, _, d, _ in placed)
        _, ax = new_figure(4.0, max(2.5, 0.75 * (depth + 1) + 0.8))  # width: fit_width
    xs = {id(n): (x, -d) for n, x, d, _ in placed}
    for _node, x, depth, parent in placed:
        if parent is not None:
            px, py = xs[id(parent)]
            ax.plot([px, x], [py, -depth], color="0.6", linewidth=1.0, zorder=1)
    for node, x, depth, _ in placed:
        face = colors.get(args_key(node), "white")
        if compact:  # only the arguments: "3" for fib(3)
            text = ", ".join(repr(a) for a in node.args)
        else:
            text = node.label() if not node.cached else f"{node.label()}\nmemo hit"
        ax.text(
            x,
            -depth,
            text,
            ha="center",
            va="center",
            fontsize=_COMPACT_FONT if compact else _FONT,
            zorder=3,
            bbox={
                "boxstyle": f"round,pad={0.15 if compact else 0.3}",  # in font sizes
                "facecolor": face,
                "edgecolor": "0.25",
                "linestyle": "--" if node.cached else "-",
                "linewidth": 1.0,
            },
        )
    calls = len(placed)
    hits = sum(1 for n, *_ in placed if n.cached)
    if title is None:
        title = f"{prefix} " if prefix else ""
        title += f"{root.label()}: {calls} calls" + (f", {hits} memo hits" if hits else "")
    ax.set_title(title, fontsize=10)
    xs_all = [x for _, x, _, _ in placed]
    depth_max = max(d for _, _, d, _ in placed)
    ax.set_xlim(min(xs_all) - _EDGE, max(xs_all) + _EDGE)
    ax.set_ylim(-depth_max - 0.6, 0.6)
    ax.set_axis_off()
    if own_figure:
        fit_width(ax.figure, [ax])
    return ax.figure


def fit_width(fig: Any, axes: Sequence[Any]) -> None:
    """Make `fig` (one row of call-tree panels) as wide as its boxes need not to overlap.

    Each panel gets the width its most crowded row needs (box widths measured by matplotlib,
    plus a gap of 0.6 font sizes between boxes), and at least its title's width; the figure
    is their sum, and at least its legend's width. Above 26 inches the labels get smaller
    fonts instead (down to 5 pt); only a tree too wide even then makes the figure wider.
    """
    texts = [t for ax in axes for t in ax.texts]
    widths = [_panel_inches(ax) for ax in axes]
    for _ in range(4):
        total = sum(widths) + _MARGIN_IN * len(axes)
        largest = max((t.get_fontsize() for t in texts), default=_MIN_FONT)
        if total <= _MAX_WIDTH_IN or largest <= _MIN_FONT:
            break
        # Box widths and gaps are nearly proportional to the font size (the title is not):
        # aim a little below the limit so that one or two rounds reach it.
        scale = 0.97 * _MAX_WIDTH_IN / total
        for t in texts:
            t.set_fontsize(max(_MIN_FONT, t.get_fontsize() * scale))
        widths = [_panel_inches(ax) for ax in axes]
    total = sum(widths) + _MARGIN_IN * len(axes)
    legend = max((lg.get_window_extent().width / fig.dpi for lg in fig.legends), default=0.0)
    if len(axes) > 1:
        axes[0].get_gridspec().set_width_ratios(widths)
    fig.set_size_inches(max(total, legend + 0.3), fig.get_figheight())


def _box_inches(text: Any) -> float:
    """Room a label needs in its row: the text as matplotlib lays it out, its box's padding
    and edge line, and half a gap on either side."""
    inner = text.get_window_extent().width / text.figure.dpi
    pad = text.get_bbox_patch().get_boxstyle().pad
    return inner + ((2 * pad + _GAP) * text.get_fontsize() + 1.0) / 72


def _panel_inches(ax: Any) -> float:
    """Width of one panel's data area at which no two boxes of a row overlap."""
    rows: dict[float, list[tuple[float, float]]] = {}
    for text in ax.texts:
        x, y = text.get_position()
        rows.setdefault(y, []).append((x, _box_inches(text)))
    lo, hi = ax.get_xlim()
    inches_per_unit = 0.0
    for row in rows.values():
        # the axes' edges are neighbours of width 0: the outermost boxes stay inside
        bounded = [(lo, 0.0), *sorted(row), (hi, 0.0)]
        for (xa, wa), (xb, wb) in pairwise(bounded):
            inches_per_unit = max(inches_per_unit, (wa + wb) / 2 / (xb - xa))
    title = ax.title.get_window_extent().width / ax.figure.dpi
    return max(inches_per_unit * (hi - lo), title + 0.1)


def repeat_colors(roots: Sequence[CallNode]) -> dict[str, str]:
    """`{args_key: colour}`, one colour per repeated subtree found in any of `roots`."""
    keys: list[str] = []
    for root in roots:
        for label in repeated_subtrees(root):
            key = label[label.index("(") :]
            if key not in keys:
                keys.append(key)
    palette = _REPEAT_COLORS if len(keys) <= len(_REPEAT_COLORS) else _tab20()
    return {key: palette[i % len(palette)] for i, key in enumerate(keys)}


def _tab20() -> tuple[str, ...]:
    """Twenty distinct colours, for trees with many repeated subtrees."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps["tab20"]
    return tuple(to_hex(cmap(i)) for i in range(20))


def compare_call_trees(
    left: CallNode,
    right: CallNode,
    *,
    titles: tuple[str, str] | None = None,
    names: tuple[str, str] = ("naive", "@memoize"),
) -> Any:
    """Two call trees side by side (naive, memoized) with shared colours and a legend.

    Args:
        left: the root of the tree whose repeated subtrees get colours (the naive one).
        right: the root of the other tree (the memoized one): the same calls, same colours.
        titles: titles of the two panels (default: name, call, calls and memo hits).
        names: what the two trees are, used in the default titles and the legend.

    Example:
        >>> from memograd.memo import memoize, trace
        >>> @memoize
        ... def f(n: int) -> int:
        ...     return n if n < 2 else f(n - 1) + f(n - 2)
        >>> with trace() as t:
        ...     _ = f(4)
        >>> fig = compare_call_trees(t.roots[0], t.roots[0])
        >>> [a.get_title() for a in fig.axes]
        ['naive f(4): 7 calls, 2 memo hits', '@memoize f(4): 7 calls, 2 memo hits']
    """
    from matplotlib.patches import Patch

    from memograd.viz.plots import new_figure

    colors = repeat_colors([left])
    leaves = [max(2, sum(1 for n in r.walk() if not n.children)) for r in (left, right)]
    compact = max(leaves) > _COMPACT_LEAVES  # both panels alike, so their boxes compare
    depth = max(max(d for _, _, d, _ in _layout(r)) for r in (left, right))
    repeats = repeated_subtrees(left)
    handles = [
        Patch(
            facecolor=colors[label[label.index("(") :]],
            edgecolor="0.25",
            label=f"{label} computed {k}× by {names[0]}",
        )
        for label, k in repeats.items()
    ]
    handles.append(Patch(facecolor="white", edgecolor="0.25", linestyle="--", label="memo hit"))
    legend_rows = -(-len(handles) // 4)
    fig = new_figure(8.0, 0.8 * (depth + 1) + 1.0 + 0.3 * legend_rows)[0]  # width: fit_width
    fig.clear()
    grid = fig.add_gridspec(1, 2, width_ratios=leaves)
    axes = []
    for index, root in enumerate((left, right)):
        ax = fig.add_subplot(grid[0, index])
        draw_call_tree(
            root,
            ax=ax,
            colors=colors,
            title=None if titles is None else titles[index],
            prefix=names[index],
            compact=compact,
        )
        axes.append(ax)
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4), fontsize=8)
    fit_width(fig, axes)
    return fig
