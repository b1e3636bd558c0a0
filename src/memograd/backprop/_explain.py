r"""`explain`: ∂L/∂w written out as the lesson writes it — a sum of path products.

Factors are named between *named* nodes: the loss, the requested node, and every labelled
node except a neuron's weighted sum z that only feeds its activation. As in the lesson, o is
the neuron's output (activation applied), so ∂o₂₁/∂o₁₁ spans o₁₁ → z₂₁ → o₂₁. Unlabelled
nodes are collapsed the same way; when two routes join the same pair of named nodes, their
factor is the total derivative between them.

A factor that appears in two or more path products is *repeated*: the plain sum multiplies
it again for every path. The reverse sweep instead stores ∂L/∂v once for every node v the
paths share (``shared_adjoints``): those are the values `memoized` keeps in its cache.

Example:
    >>> import memograd as mg
    >>> net = mg.scalar.MLP([2, 2, 2, 1], seed=0)
    >>> loss = net.loss([0.5, -1.0], 1.0)
    >>> print(explain(loss, wrt=net["w1_11"]).text)
    ∂L/∂w¹₁₁ = ∂L/∂ŷ · [∂ŷ/∂o₂₁ · ∂o₂₁/∂o₁₁ + ∂ŷ/∂o₂₂ · ∂o₂₂/∂o₁₁] · ∂o₁₁/∂w¹₁₁
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable
from dataclasses import dataclass

from memograd.backprop._counts import path_tables
from memograd.backprop._graph import GraphView, is_scalar_node
from memograd.graph import Node

_ACTIVATION_OPS = frozenset({"sigmoid", "tanh", "relu", "exp", "log", "abs", "neg"})
_SUP = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789", strict=True))
_SUB = dict(zip("₀₁₂₃₄₅₆₇₈₉", "0123456789", strict=True))

_TEX_DOT, _TEX_LEFT, _TEX_RIGHT = r" \cdot ", r"\left[ ", r" \right]"
Factor = tuple[int, int]  # (upper named node, lower named node), as positions


@dataclass(frozen=True, slots=True)
class Explanation:
    """The chain-rule expansion of ∂L/∂w.

    Attributes:
        text: the factored formula (common leading and trailing factors pulled out).
        latex: the same in LaTeX.
        expanded: the plain sum of path products, repeated factors marked ⟨like this⟩.
        expanded_latex: the same in LaTeX, repeated factors underlined.
        paths: each path's factors, from L down to w (Unicode).
        path_values: each path product's value.
        value: their sum, ∂L/∂w.
        repeated: ``(factor, number of paths that contain it)`` for factors in 2+ paths.
        shared_adjoints: ``(∂L/∂v, number of paths through v)`` for nodes on 2+ paths —
            computed once by `memoized` and `reverse`, recomputed per path by `paths`.
    """

    text: str
    latex: str
    expanded: str
    expanded_latex: str
    paths: list[list[str]]
    path_values: list[float]
    value: float
    repeated: list[tuple[str, int]]
    shared_adjoints: list[tuple[str, int]]

    def __str__(self) -> str:
        lines = [self.text, "", f"{len(self.paths)} path(s):"]
        lines += [
            f"  {' · '.join(p)} = {v:.6g}"
            for p, v in zip(self.paths, self.path_values, strict=True)
        ]
        if self.repeated:
            lines.append("repeated factors: " + ", ".join(f"{f} ×{n}" for f, n in self.repeated))
        if self.shared_adjoints:
            lines.append(
                "stored once by the memo: "
                + ", ".join(f"{f} (on {n} paths)" for f, n in self.shared_adjoints)
            )
        return "\n".join(lines)


def to_latex(name: str) -> str:
    r"""A Unicode node name as LaTeX: ``w¹₁₁`` → ``w^{1}_{11}``, ``ŷ`` → ``\hat{y}``.

    Example:
        >>> to_latex("w¹₁₁"), to_latex("ŷ₂"), to_latex("o₁,₁₂")
        ('w^{1}_{11}', '\\hat{y}_{2}', 'o_{1,12}')
    """
    out: list[str] = []
    k = 0
    while k < len(name):
        ch = name[k]
        if ch in _SUP or ch in _SUB:
            table, mark = (_SUP, "^") if ch in _SUP else (_SUB, "_")
            run = ""
            while k < len(name) and (name[k] in table or (name[k] == "," and mark == "_")):
                run += table.get(name[k], ",")
                k += 1
            out.append(f"{mark}{{{run}}}")
            continue
        if ch == "ŷ":
            out.append(r"\hat{y}")
        elif ch == "y" and name[k + 1 : k + 2] == "\u0302":
            out.append(r"\hat{y}")
            k += 1
        else:
            out.append(ch)
        k += 1
    return "".join(out)


def explain(loss: Node, wrt: Node, *, max_paths: int = 64) -> Explanation:
    """Write ∂loss/∂wrt as the sum over paths of products of local derivatives.

    Args:
        loss: the root of a `Value` graph.
        wrt: the node to differentiate with respect to (e.g. ``net["w1_11"]``).
        max_paths: refuse graphs where more paths than this join `wrt` to `loss`.

    Raises:
        ValueError: `wrt` does not reach `loss`, or there are more than `max_paths` paths.
    """
    if not is_scalar_node(loss):
        raise TypeError("explain works on graphs of `Value`s (one number per node).")
    view = GraphView(loss)
    target = view.position(wrt)
    if target is None:
        raise ValueError("`wrt` does not reach `loss`: ∂L/∂w is 0 and there is nothing to expand.")
    count = path_tables(view)[0][target]
    if count > max_paths:
        raise ValueError(
            f"∂L/∂w is a sum over {count} paths here, more than max_paths={max_paths}: explain "
            "writes every path out. Use a smaller network (e.g. --layers 2,2,2,1), or "
            "backprop.compare to count the work."
        )
    root = view.root_position
    useful = view.reachable_from([target])
    named = [k for k in useful if _is_named(view, k, root, target)]
    names = {k: _name(view, k, root, target) for k in named}
    factor_values = _collapsed_edges(view, named, useful)
    chains = _enumerate(root, target, factor_values)
    values = []
    for chain in chains:
        product = 1.0
        for f in chain:
            product *= factor_values[f[0]][f[1]]
        values.append(product)

    def uni(f: Factor) -> str:
        return f"∂{names[f[0]]}/∂{names[f[1]]}"

    def tex(f: Factor) -> str:
        return rf"\frac{{\partial {to_latex(names[f[0]])}}}{{\partial {to_latex(names[f[1]])}}}"

    uses = Tally(f for chain in chains for f in set(chain))
    through = Tally(f[0] for chain in chains for f in chain)
    order = list(dict.fromkeys(f for chain in chains for f in chain))
    repeated = [(uni(f), uses[f]) for f in order if uses[f] > 1]
    shared = [
        (f"∂{names[root]}/∂{names[k]}", through[k])
        for k in dict.fromkeys(f[0] for f in order)
        if through[k] > 1 and k != root  # ∂L/∂L = 1 needs no storing
    ]
    head_uni = f"∂{names[root]}/∂{names[target]}"
    head_tex = rf"\frac{{\partial {to_latex(names[root])}}}{{\partial {to_latex(names[target])}}}"
    return Explanation(
        text=f"{head_uni} = {_factored(chains, uni, ' · ', '[', ']')}",
        latex=f"{head_tex} = {_factored(chains, tex, _TEX_DOT, _TEX_LEFT, _TEX_RIGHT)}",
        expanded=f"{head_uni} = "
        + " + ".join(
            " · ".join(f"⟨{uni(f)}⟩" if uses[f] > 1 else uni(f) for f in chain) for chain in chains
        ),
        expanded_latex=f"{head_tex} = "
        + " + ".join(
            r" \cdot ".join(rf"\underline{{{tex(f)}}}" if uses[f] > 1 else tex(f) for f in chain)
            for chain in chains
        ),
        paths=[[uni(f) for f in chain] for chain in chains],
        path_values=values,
        value=sum(values),
        repeated=repeated,
        shared_adjoints=shared,
    )


def _is_named(view: GraphView, k: int, root: int, target: int) -> bool:
    if k in (root, target):
        return True
    node = view.order[k]
    if not getattr(node, "label", ""):
        return False
    consumers = view.consumers[k]
    # A neuron's pre-activation (its weighted sum feeding only its activation) is part of o.
    return not (
        getattr(node, "op", "") == "weighted_sum"
        and len(consumers) == 1
        and getattr(view.order[consumers[0][0]], "op", "") in _ACTIVATION_OPS
    )


def _name(view: GraphView, k: int, root: int, target: int) -> str:
    label = str(getattr(view.order[k], "label", ""))
    return label or ("L" if k == root else "w" if k == target else f"v{k}")


def _collapsed_edges(
    view: GraphView, named: list[int], useful: set[int]
) -> dict[int, dict[int, float]]:
    """For each named node, the total derivative to each named node directly below it."""
    is_named = set(named)
    edges: dict[int, dict[int, float]] = {}
    for upper in sorted(named, reverse=True):  # from L down: deterministic order
        below: dict[int, float] = {}
        # Depth-first, parents in order (o₂₁ before o₂₂), through unnamed nodes only,
        # multiplying local derivatives along the way: (node, product so far, next edge).
        stack: list[tuple[int, float, int]] = [(upper, 1.0, 0)]
        while stack:
            node, product, nxt = stack[-1]
            parent_edges = view.parent_edges[node]
            if nxt == len(parent_edges):
                stack.pop()
                continue
            stack[-1] = (node, product, nxt + 1)
            i, parent = parent_edges[nxt]
            if parent not in useful:
                continue
            value = product * view.order[node]._local_derivatives()[i]  # type: ignore[attr-defined]
            if parent in is_named:
                below[parent] = below.get(parent, 0.0) + value
            else:
                stack.append((parent, value, 0))
        edges[upper] = below
    return edges


def _enumerate(root: int, target: int, edges: dict[int, dict[int, float]]) -> list[list[Factor]]:
    chains: list[list[Factor]] = []
    stack: list[tuple[int, list[Factor]]] = [(root, [])]
    while stack:
        node, chain = stack.pop()
        if node == target:
            chains.append(chain)
            continue
        for lower in reversed(list(edges[node])):
            stack.append((lower, [*chain, (node, lower)]))
    return chains


def _factored(
    chains: list[list[Factor]], fmt: Callable[[Factor], str], dot: str, left: str, right: str
) -> str:
    """Pull the factors every path shares at its start and at its end out of the sum."""
    if len(chains) == 1:
        return dot.join(fmt(f) for f in chains[0])
    shortest = min(len(c) for c in chains)
    pre = 0
    while pre < shortest and all(c[pre] == chains[0][pre] for c in chains):
        pre += 1
    post = 0
    while post < shortest - pre and all(c[-1 - post] == chains[0][-1 - post] for c in chains):
        post += 1
    head = [fmt(f) for f in chains[0][:pre]]
    tail = [fmt(f) for f in chains[0][len(chains[0]) - post :]]
    middle = " + ".join(dot.join(fmt(f) for f in c[pre : len(c) - post]) for c in chains)
    return dot.join([*head, f"{left}{middle}{right}", *tail])
