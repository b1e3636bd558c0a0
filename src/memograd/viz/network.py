"""The lesson's network drawn with its named nodes: x₁, x₂ → o₁₁, o₁₂ → o₂₁, o₂₂ → ŷ → L.

Nodes carry the names of `memograd.scalar.MLP` (o_lj is neuron j of layer l, ŷ the output) and
edges the weight names w^l_ij. Highlighting a weight draws every path from it to L in colour:
for w¹₁₁ there are two, through o₂₁ and through o₂₂, and both run through o₁₁ and ŷ — the
shared segments whose derivatives the adjoint table stores once.

Example:
    >>> fig = draw_network([2, 2, 2, 1], highlight="w1_11")
    >>> len(paths_from_weight([2, 2, 2, 1], "w1_11"))
    2
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any

from memograd._errors import invalid_value
from memograd.scalar import lesson_name

_WEIGHT = re.compile(r"^w(\d+)_(\d)(\d)$|^w(\d+)_(\d+)_(\d+)$")
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_HIGHLIGHT = "#D55E00"

Unit = tuple[int, int]  # (layer, index): layer 0 holds the inputs, layer D the outputs


def node_name(sizes: Sequence[int], layer: int, j: int) -> str:
    """The lesson's name of unit `j` (1-based) of `layer`: x₁, o₁₁, ŷ (or ŷ₁, ŷ₂, ...).

    Example:
        >>> node_name([2, 2, 2, 1], 2, 1), node_name([2, 2, 2, 1], 3, 1)
        ('o₂₁', 'ŷ')
    """
    depth = len(sizes) - 1
    if layer == 0:
        return f"x{str(j).translate(_SUB)}"
    if layer == depth:
        return "ŷ" if sizes[depth] == 1 else f"ŷ{str(j).translate(_SUB)}"
    return lesson_name("o", layer, j)


def parse_weight(name: str, sizes: Sequence[int]) -> tuple[int, int, int]:
    """`"w1_11"` → (layer 1, i 1, j 1), checked against `sizes`."""
    match = _WEIGHT.match(name) if isinstance(name, str) else None
    if match is None:
        raise invalid_value(
            "highlight", "a weight name such as 'w1_11' (or 'w1_1_12' past 9)", name
        )
    groups = [g for g in match.groups() if g is not None]
    layer, i, j = (int(g) for g in groups)
    if not (1 <= layer < len(sizes) and 1 <= i <= sizes[layer - 1] and 1 <= j <= sizes[layer]):
        raise ValueError(
            f"Received an invalid value for `highlight`: {name!r} does not exist in a network of "
            f"sizes {list(sizes)} (w^l_ij joins unit i of layer l−1 to neuron j of layer l)."
        )
    return layer, i, j


def paths_from_weight(sizes: Sequence[int], weight: str) -> list[list[Unit]]:
    """Every path of units from the weight's source unit to the output (one list per path).

    The number of paths is the product of the widths after the weight's layer (the closed form
    `backprop` predicts); enumerating them is fine for the lesson-sized networks drawn here.
    """
    layer, i, j = parse_weight(weight, sizes)
    depth = len(sizes) - 1
    found: list[list[Unit]] = []
    stack: list[list[Unit]] = [[(layer - 1, i), (layer, j)]]
    while stack:
        path = stack.pop()
        last_layer = path[-1][0]
        if last_layer == depth:
            found.append(path)
            continue
        for k in range(sizes[last_layer + 1], 0, -1):
            stack.append([*path, (last_layer + 1, k)])
    return found


def _positions(sizes: Sequence[int]) -> dict[Unit, tuple[float, float]]:
    """Columns 1.6 apart; each column centred on y = 0, unit 1 at the top."""
    return {
        (layer, j): (1.6 * layer, ((width - 1) / 2 - (j - 1)) * 1.3)
        for layer, width in enumerate(sizes)
        for j in range(1, width + 1)
    }


def draw_network(
    sizes: Sequence[int] = (2, 2, 2, 1),
    *,
    highlight: str | None = None,
    annotations: Mapping[str, str] | None = None,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Draw a fully connected network in the lesson's notation; returns the figure.

    Args:
        sizes: `[inputs, width of layer 1, ..., outputs]`, as for `memograd.scalar.MLP`.
        highlight: a weight name (`"w1_11"`): its edge and every path from it to L in colour.
        annotations: `{node name: text}` printed under a node (e.g. its value and ∂L/∂node);
            node names are those of `node_name` plus `"L"`.
        ax: axes to draw on (default: a new figure).
        title: text above the drawing.

    Example:
        >>> fig = draw_network(annotations={"ŷ": "0.62"})
    """
    widths = [int(n) for n in sizes]
    if len(widths) < 2 or any(n < 1 for n in widths) or max(widths) > 12 or len(widths) > 8:
        raise ValueError(
            "Received an invalid value for `sizes`, expected 2 to 8 positive widths of at most "
            f"12 units each (larger networks cannot be read in a drawing). Received: {list(sizes)}"
        )
    annotations = dict(annotations or {})
    depth = len(widths) - 1
    pos = _positions(widths)
    loss_xy = (1.6 * (depth + 1), 0.0)
    if ax is None:
        from memograd.viz.plots import new_figure

        span_x = 1.6 * (depth + 1) + 1.2
        span_y = 1.3 * (max(widths) - 1) + (2.0 if annotations else 1.4)
        _, ax = new_figure(0.9 * span_x, 0.9 * span_y + (0.3 if title else 0.0))

    hot_edges: set[tuple[Unit, Unit]] = set()
    hot_units: set[Unit] = set()
    weight_edge: tuple[Unit, Unit] | None = None
    if highlight is not None:
        for path in paths_from_weight(widths, highlight):
            hot_units.update(path)
            hot_edges.update(itertools.pairwise(path))
        layer, i, j = parse_weight(highlight, widths)
        weight_edge = ((layer - 1, i), (layer, j))

    for layer in range(1, depth + 1):
        for j in range(1, widths[layer] + 1):
            for i in range(1, widths[layer - 1] + 1):
                a, b = (layer - 1, i), (layer, j)
                (x0, y0), (x1, y1) = pos[a], pos[b]
                hot = (a, b) in hot_edges
                ax.annotate(
                    "",
                    xy=(x1 - 0.28, y1 + (y0 - y1) * 0.28 / 1.6),
                    xytext=(x0 + 0.28, y0 - (y0 - y1) * 0.28 / 1.6),
                    arrowprops={
                        "arrowstyle": "-|>",
                        "color": _HIGHLIGHT if hot else "0.65",
                        "linewidth": 2.2 if (a, b) == weight_edge else (1.6 if hot else 0.9),
                        "shrinkA": 0,
                        "shrinkB": 0,
                    },
                    zorder=1,
                )
                # weight label a quarter of the way along the edge, where edges are apart
                t = 0.27
                ax.text(
                    x0 + (x1 - x0) * t,
                    y0 + (y1 - y0) * t,
                    lesson_name("w", layer, i, j),
                    fontsize=9,
                    ha="center",
                    va="center",
                    color=_HIGHLIGHT if (a, b) == weight_edge else "0.2",
                    fontweight="bold" if (a, b) == weight_edge else "normal",
                    bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none"},
                    zorder=2,
                )
    for j in range(1, widths[depth] + 1):
        (x0, y0), hot = pos[(depth, j)], highlight is not None
        ax.annotate(
            "",
            xy=(loss_xy[0] - 0.28, loss_xy[1]),
            xytext=(x0 + 0.28, y0),
            arrowprops={"arrowstyle": "-|>", "color": _HIGHLIGHT if hot else "0.65", "lw": 1.4},
            zorder=1,
        )
    units = [*list(pos.items()), ((depth + 1, 1), loss_xy)]
    for unit, (x, y) in units:
        name = "L" if unit[0] == depth + 1 else node_name(widths, *unit)
        hot = unit in hot_units or (unit[0] == depth + 1 and highlight is not None)
        face = "#FBE3D6" if hot else ("#E8F1FA" if 0 < unit[0] <= depth else "#F2F2F2")
        ax.text(
            x,
            y,
            name,
            ha="center",
            va="center",
            fontsize=12,
            zorder=3,
            bbox={
                "boxstyle": "circle,pad=0.35",
                "facecolor": face,
                "edgecolor": _HIGHLIGHT if hot else "0.3",
                "linewidth": 1.6 if hot else 1.0,
            },
        )
        if name in annotations:
            ax.text(x, y - 0.42, annotations[name], ha="center", va="top", fontsize=7.5, zorder=3)
    ax.set_xlim(-0.6, loss_xy[0] + 0.6)
    ys = [y for _, (_, y) in units]
    ax.set_ylim(min(ys) - (1.0 if annotations else 0.6), max(ys) + 0.6)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    return ax.figure
