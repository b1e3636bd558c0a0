"""A read-only view of a graph for the strategies: positions, consumers, per-edge VJPs.

The reverse sweep only needs each node's parents. The top-down strategies also need the
other direction — the *consumers* of a node (the nodes computed from it), because
``adjoint(v) = Σ_(c consumes v) adjoint(c) · ∂c/∂v`` — so the view builds that index once.

Nodes are referred to by their position in `graph.topological_order` (parents first, the
root last); an *edge* ``(c, i)`` is the i-th parent slot of the node at position c.

Example:
    >>> from memograd.scalar import Value
    >>> x = Value(2.0, label="x")
    >>> view = GraphView(x * x + x)
    >>> len(view.order), view.consumers[view.position(x)]
    (3, [(1, 0), (1, 1), (2, 1)])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from memograd.graph import Node, topological_order


class GraphView:
    """Positions, parent edges and consumer edges of the nodes that need gradients."""

    def __init__(self, root: Node) -> None:
        self.root = root
        self.order: list[Node] = topological_order(root)
        self._index = {id(node): k for k, node in enumerate(self.order)}
        # parent_edges[c] = [(i, parent position)]; consumers[p] = [(c, i)]
        self.parent_edges: list[list[tuple[int, int]]] = [[] for _ in self.order]
        self.consumers: list[list[tuple[int, int]]] = [[] for _ in self.order]
        for c, node in enumerate(self.order):
            for i, parent in enumerate(node._parents):
                if parent.requires_grad:
                    p = self._index[id(parent)]
                    self.parent_edges[c].append((i, p))
                    self.consumers[p].append((c, i))

    @property
    def root_position(self) -> int:
        return len(self.order) - 1

    @property
    def edges(self) -> int:
        return sum(len(c) for c in self.consumers)

    def position(self, node: Node) -> int | None:
        """Position of `node`, or None when no gradient flows from the root into it."""
        return self._index.get(id(node))

    def positions(self, wrt: Sequence[Node]) -> list[int | None]:
        return [self.position(w) for w in wrt]

    def edge_vjp(self, c: int, i: int, adjoint: Any) -> Any:
        """∂L/∂c pushed through edge i of node c: ``adjoint · ∂c/∂parent_i`` (one VJP)."""
        node = self.order[c]
        local = getattr(node, "_local_derivatives", None)
        if local is not None:  # scalar engine: one multiplication by the stored local derivative
            return adjoint * local()[i]
        return node._backward(adjoint)[i]  # tensor engine: this edge's vector–Jacobian product

    def edge_jvp(self, c: int, i: int, tangent: Any) -> Any:
        """∂parent_i/∂w pushed forward through edge i of node c: ``∂c/∂parent_i · tangent``
        (the local derivative for a `Value`; the primitive's JVP with this one tangent)."""
        node: Any = self.order[c]
        local = getattr(node, "_local_derivatives", None)
        if local is not None:
            return local()[i] * tangent
        prim = node._prim
        if not hasattr(prim, "tangent"):
            raise NotImplementedError(f"the node {node!r} has no primitive with a JVP")
        parents = node._parents
        saved = node._saved or ()
        k = prim.n_aux + prim.residuals
        tangents = tuple(tangent if j == i else None for j in range(len(parents)))
        datas = tuple(p.data for p in parents)
        aux, res = tuple(saved[: prim.n_aux]), tuple(saved[prim.n_aux : k])
        out = prim.tangent(tangents, datas, node.data, aux, res)
        return np.zeros_like(node.data) if out is None else out

    def seed(self) -> Any:
        """∂L/∂L: 1.0 for a `Value`, an array of ones shaped like a `Tensor`'s data."""
        return one_like(self.root)

    def reachable_from(self, starts: Sequence[int]) -> set[int]:
        """Positions reachable from `starts` along consumer edges (the nodes between them and L)."""
        seen = set(starts)
        stack = list(starts)
        while stack:
            for c, _ in self.consumers[stack.pop()]:
                if c not in seen:
                    seen.add(c)
                    stack.append(c)
        return seen

    def depth(self) -> int:
        """Edges on the longest path to the root (how deep a top-down recursion goes)."""
        longest = [0] * len(self.order)
        for k in range(len(self.order) - 2, -1, -1):
            longest[k] = 1 + max((longest[c] for c, _ in self.consumers[k]), default=-1)
        return max(longest, default=0)


def _data(node: Node) -> Any:
    return getattr(node, "data", None)


def is_scalar_node(node: Node) -> bool:
    return isinstance(_data(node), float)


def one_like(node: Node) -> Any:
    data = _data(node)
    return 1.0 if isinstance(data, float) else np.ones_like(np.asarray(data))


def zero_like(node: Node) -> Any:
    data = _data(node)
    return 0.0 if isinstance(data, float) else np.zeros_like(np.asarray(data))
