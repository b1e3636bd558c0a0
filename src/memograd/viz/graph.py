"""Computation graphs of either engine drawn as layered diagrams (leaves left, root right).

Works on anything with the `memograd.graph.Node` shape (`_parents`), so a `Value` graph and a
`Tensor` graph draw the same way: each node shows its label or op, its value (a float, or a
shape for an array) and, once `backward()` ran, its gradient.

Example:
    >>> import memograd as mg
    >>> x = mg.Value(2.0, label="x")
    >>> y = x * x + x
    >>> _ = y.backward()
    >>> [node_text(n).splitlines()[0] for n in collect(y)]
    ['x', '*', '+']
    >>> fig = draw_graph(y)
"""

from __future__ import annotations

from typing import Any

#: Graphs larger than this are not drawn (a notebook falls back to the text repr).
MAX_NODES = 120


def collect(root: Any) -> list[Any]:
    """Every node reachable from `root` through `_parents`, parents before children.

    Unlike `graph.topological_order` this keeps nodes that need no gradient: a drawing shows
    the whole computation. Iterative, so deep chains do not hit the recursion limit.
    """
    order: list[Any] = []
    seen = {id(root)}
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        node, k = stack[-1]
        parents = tuple(getattr(node, "_parents", ()) or ())
        if k < len(parents):
            stack[-1] = (node, k + 1)
            parent = parents[k]
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append((parent, 0))
        else:
            stack.pop()
            order.append(node)
    return order


def count_nodes(root: Any, limit: int) -> int:
    """Nodes reachable from `root`, counting stops past `limit` (cheap on huge graphs)."""
    seen = {id(root)}
    stack = [root]
    while stack and len(seen) <= limit:
        for parent in tuple(getattr(stack.pop(), "_parents", ()) or ()):
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


def _short(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if shape is not None and tuple(shape) != ():
        return "×".join(str(s) for s in shape) if shape else "scalar"
    try:
        return f"{float(value):.4g}"
    except (TypeError, ValueError):
        return type(value).__name__


def node_text(node: Any) -> str:
    """The lines shown in a node's box: name (label, else op, else "leaf"), value, gradient."""
    label, op = getattr(node, "label", "") or "", getattr(node, "op", "") or ""
    name = f"{label} ({op})" if label and op else (label or op or "leaf")
    lines = [str(name)]
    data = getattr(node, "data", None)
    if data is not None:
        lines.append(f"data {_short(data)}")
    grad = getattr(node, "grad", None)
    if (
        grad is not None
        and getattr(node, "requires_grad", True)
        and not (isinstance(grad, float) and grad == 0.0 and bool(getattr(node, "_parents", ())))
    ):
        lines.append(f"grad {_short(grad)}")
    return "\n".join(lines)


def draw_graph(root: Any, *, ax: Any = None, title: str | None = None) -> Any:
    """Draw the graph that produced `root`; returns the figure.

    Raises:
        ValueError: the graph has more than `MAX_NODES` nodes.
    """
    nodes = collect(root)
    if len(nodes) > MAX_NODES:
        raise ValueError(
            f"Received a graph of {len(nodes)} nodes, expected at most {MAX_NODES} to draw it "
            "readably. Draw a smaller piece of the computation."
        )
    rank: dict[int, int] = {}
    for node in nodes:  # parents come first, so their ranks are known
        parents = tuple(getattr(node, "_parents", ()) or ())
        rank[id(node)] = 1 + max((rank[id(p)] for p in parents), default=-1)
    columns: dict[int, list[Any]] = {}
    for node in nodes:
        columns.setdefault(rank[id(node)], []).append(node)
    tallest = max(len(c) for c in columns.values())
    pos: dict[int, tuple[float, float]] = {}
    for r, column in columns.items():
        for k, node in enumerate(column):
            pos[id(node)] = (2.2 * r, ((len(column) - 1) / 2 - k) * 1.1)
    if ax is None:
        from memograd.viz.plots import new_figure

        _, ax = new_figure(max(3.0, 1.7 * len(columns) + 0.6), max(1.6, 0.85 * tallest + 0.6))
    for node in nodes:
        x1, y1 = pos[id(node)]
        for parent in tuple(getattr(node, "_parents", ()) or ()):
            x0, y0 = pos[id(parent)]
            skips = rank[id(node)] - rank[id(parent)] > 1  # would run through other nodes
            ax.annotate(
                "",
                xy=(x1 - 0.55, y1),
                xytext=(x0 + 0.55, y0),
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": "0.55",
                    "lw": 0.9,
                    "connectionstyle": "arc3,rad=-0.25" if skips else "arc3,rad=0",
                },
                zorder=1,
            )
    for node in nodes:
        x, y = pos[id(node)]
        leaf = not getattr(node, "_parents", ())
        ax.text(
            x,
            y,
            node_text(node),
            ha="center",
            va="center",
            fontsize=7.5,
            zorder=3,
            bbox={
                "boxstyle": "round,pad=0.35",
                "facecolor": "#F2F2F2" if leaf else "#E8F1FA",
                "edgecolor": "0.35",
            },
        )
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.9, max(xs) + 0.9)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6 + 0.25 * (max(xs) - min(xs)) / 2.2)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    return ax.figure
