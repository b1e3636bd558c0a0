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
from typing import Any

from memograd.memo import CallNode

#: Colours for repeated subtrees, largest subtree first.
_REPEAT_COLORS = ("#E69F00", "#56B4E9", "#CC79A7", "#009E73", "#F0E442", "#0072B2", "#D55E00")
_MAX_NODES = 1000  # naive fib(13) and beyond: unreadable, refused with a clear message
_COMPACT_LEAVES = 24  # wider trees show only the arguments in their boxes
_MAX_WIDTH_IN = 60.0


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
    """(node, x, depth, parent) for every node: leaves at 0, 1, 2, ..., parents centred."""
    placed: list[tuple[CallNode, float, int, CallNode | None]] = []
    xs: dict[int, float] = {}
    next_leaf = 0.0
    # Iterative post-order: children are placed before their parent.
    stack: list[tuple[CallNode, int, CallNode | None, bool]] = [(root, 0, None, False)]
    while stack:
        node, depth, parent, expanded = stack.pop()
        if not node.children:
            xs[id(node)] = next_leaf
            next_leaf += 1.0
            placed.append((node, xs[id(node)], depth, parent))
        elif expanded:
            xs[id(node)] = sum(xs[id(c)] for c in node.children) / len(node.children)
            placed.append((node, xs[id(node)], depth, parent))
        else:
            stack.append((node, depth, parent, True))
            for child in reversed(node.children):
                stack.append((child, depth + 1, node, False))
    return placed


def draw_call_tree(
    root: CallNode,
    *,
    ax: Any = None,
    title: str | None = None,
    colors: Mapping[str, str] | None = None,
    prefix: str = "",
) -> Any:
    """Draw one call tree; returns the figure (a new one unless `ax` is given).

    Args:
        root: the top call, e.g. `trace.roots[0]`.
        ax: matplotlib axes to draw on (default: a new figure sized to the tree).
        title: text above the tree (default: the root's label and the number of calls).
        colors: `{args_key: colour}` for repeated subtrees (default: computed from this tree),
            so that a naive and a memoized tree drawn side by side use the same colours.
        prefix: put before the default title (e.g. "naive").

    Raises:
        ValueError: the tree has more than 400 calls (too many to read in a drawing).
    """
    placed = _layout(root)
    if len(placed) > _MAX_NODES:
        raise ValueError(
            f"Received a call tree with {len(placed)} calls, expected at most {_MAX_NODES} to "
            f"draw it readably. Trace a smaller call (e.g. fib(5)). Received: {root.label()}"
        )
    if colors is None:
        colors = repeat_colors([root])
    leaves = sum(1 for n, *_ in placed if not n.children)
    compact = leaves > _COMPACT_LEAVES
    if ax is None:
        from memograd.viz.plots import new_figure

        depth = max(d for _, _, d, _ in placed)
        width = min(_MAX_WIDTH_IN, max(4.0, (0.5 if compact else 0.9) * leaves + 1))
        _, ax = new_figure(width, max(2.5, 0.75 * (depth + 1) + 0.8))
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
            fontsize=7 if compact else 8,
            zorder=3,
            bbox={
                "boxstyle": "round,pad=0.3",
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
    ax.set_xlim(min(xs_all) - 0.7, max(xs_all) + 0.7)
    ax.set_ylim(-depth_max - 0.6, 0.6)
    ax.set_axis_off()
    return ax.figure


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
    compact = max(leaves) > _COMPACT_LEAVES
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
    width = min(_MAX_WIDTH_IN, (0.5 if compact else 0.75) * sum(leaves) + 2.0)
    fig = new_figure(width, 0.8 * (depth + 1) + 1.0 + 0.3 * legend_rows)[0]
    fig.clear()
    grid = fig.add_gridspec(1, 2, width_ratios=leaves)
    for index, root in enumerate((left, right)):
        ax = fig.add_subplot(grid[0, index])
        draw_call_tree(
            root,
            ax=ax,
            colors=colors,
            title=None if titles is None else titles[index],
            prefix=names[index],
        )
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4), fontsize=8)
    return fig
