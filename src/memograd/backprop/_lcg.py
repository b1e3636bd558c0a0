"""The linearized computational graph: the recorded graph between `wrt` and the outputs, with
each edge's local Jacobian block — what every Jacobian accumulation order works on.

Vertices are the nodes on some path from a `wrt` node to an output, in topological order
(inputs first). A vertex has a *size*: 1 for a `Value`, the number of elements for a `Tensor`.
An edge p → c carries the block ∂c/∂p, a (size c) × (size p) array:

* `Value`: the stored local derivative (a 1×1 block), summed over repeated parent slots
  (``x * x`` gives one edge with block 2x);
* `Tensor`: the node's VJP applied to each basis vector of its output, one row per VJP.
  Building the blocks is not counted: the count convention of `memograd.backprop.jacobian`
  takes the local Jacobians as given, as for the constant matrices of a linear chain.

`wrt` nodes are the *independents*: their own parents are cut (the Jacobian treats them as
free inputs). Outputs are the *dependents* and must be sinks, so an output that also feeds
another output, or that is itself a `wrt` node, gets a copy vertex joined by an identity edge
(counted like any block when multiplied).

Example:
    >>> from memograd.scalar import Value
    >>> x, y = Value(2.0, label="x"), Value(3.0, label="y")
    >>> u = x * y
    >>> u.label = "u"
    >>> g = linearize_graph([u.tanh(), u + x], [x, y])
    >>> g.labels, g.intermediates, len(g.edges)
    (['x', 'y', 'u', 'tanh#3', '+#4'], [2], 5)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from memograd.graph import Node, topological_order


@dataclass(frozen=True, slots=True)
class LinearizedGraph:
    """Vertices 0..V−1 in topological order, their sizes and labels, and the edge blocks.

    Attributes:
        labels: a name per vertex (the node's label, or ``<op>#<vertex>``).
        sizes: elements per vertex.
        edges: ``(p, c) -> block ∂c/∂p`` of shape (sizes[c], sizes[p]).
        independents: the vertices of `wrt`, in the order asked (Jacobian columns).
        dependents: the vertices of the outputs, in the order asked (Jacobian rows).
        intermediates: every other vertex, in topological order.
    """

    labels: list[str]
    sizes: list[int]
    edges: dict[tuple[int, int], np.ndarray]
    independents: list[int]
    dependents: list[int]
    intermediates: list[int]

    def preds(self) -> list[set[int]]:
        out: list[set[int]] = [set() for _ in self.sizes]
        for p, c in self.edges:
            out[c].add(p)
        return out

    def succs(self) -> list[set[int]]:
        out: list[set[int]] = [set() for _ in self.sizes]
        for p, c in self.edges:
            out[p].add(c)
        return out

    def chain(self) -> list[int] | None:
        """The vertices from input to output when the graph is one path, else None."""
        if len(self.independents) != 1 or len(self.dependents) != 1:
            return None
        if len(self.edges) != len(self.intermediates) + 1:
            return None
        succs = self.succs()
        path = [self.independents[0]]
        while len(path) < len(self.intermediates) + 2 and len(succs[path[-1]]) == 1:
            path.append(next(iter(succs[path[-1]])))
        if path[-1] != self.dependents[0] or len(path) != len(self.intermediates) + 2:
            return None
        return path


def _size(node: Node) -> int:
    data = getattr(node, "data", None)
    return 1 if isinstance(data, float) else int(np.asarray(data).size)


def _label(node: Node, k: int) -> str:
    return getattr(node, "label", "") or f"{getattr(node, 'op', '') or 'leaf'}#{k}"


def _local_blocks(node: Node, size: int) -> list[np.ndarray | None]:
    """∂node/∂parent_i for every parent slot i (None where nothing flows)."""
    local = getattr(node, "_local_derivatives", None)
    if local is not None:  # Value: the stored local derivatives, one float per slot
        return [np.array([[d]], dtype=np.float64) for d in local()]
    data = np.asarray(getattr(node, "data"))  # noqa: B009 (Node protocol has no data)
    parents = node._parents
    rows: list[list[np.ndarray] | None] = [[] for _ in parents]
    seed = np.zeros(data.shape, dtype=data.dtype)
    for r in range(size):  # one VJP per output element: row r of each block
        seed.reshape(-1)[r] = 1
        contributions = node._backward(seed.copy())
        seed.reshape(-1)[r] = 0
        for i, g in enumerate(contributions):
            slot = rows[i]
            if g is None or slot is None:
                rows[i] = None
            else:
                slot.append(np.asarray(g, dtype=np.float64).reshape(-1))
    return [None if r is None else np.stack(r) for r in rows]


def _nodes(name: str, nodes: Node | Sequence[Node]) -> list[Node]:
    out: list[Node] = [nodes] if hasattr(nodes, "_parents") else list(nodes)  # type: ignore[list-item]
    if not out:
        raise ValueError(f"Received an invalid value for `{name}`, expected at least one node.")
    for k, node in enumerate(out):
        if not hasattr(node, "_parents") or not hasattr(node, "requires_grad"):
            raise TypeError(
                f"`{name}` expects graph nodes (Value or Tensor). Received: {name}[{k}] of type "
                f"{type(node).__name__}"
            )
    return out


def linearize_graph(outputs: Node | Sequence[Node], wrt: Node | Sequence[Node]) -> LinearizedGraph:
    """The linearized graph of `outputs` as functions of `wrt` (see the module docstring)."""
    outs, ins = _nodes("outputs", outputs), _nodes("wrt", wrt)
    if len({id(w) for w in ins}) != len(ins):
        raise ValueError("`wrt` lists the same node twice; each input may appear once.")
    for k, w in enumerate(ins):
        if not w.requires_grad:
            raise ValueError(
                f"`wrt[{k}]` does not require grad, so the graph recorded nothing from it. "
                "Create it with requires_grad=True."
            )
    kinds = {type(n) for n in (*outs, *ins)}
    if len(kinds) > 1:
        raise TypeError(
            "`outputs` and `wrt` must be nodes of one engine (all Value or all Tensor). "
            f"Received: {sorted(k.__name__ for k in kinds)}"
        )
    stop = {id(w) for w in ins}
    order: list[Node] = []
    index: dict[int, int] = {}
    for out in outs:  # concatenated topological orders stay topological
        for node in topological_order(out, stop=stop) if out.requires_grad else [out]:
            if id(node) not in index:
                index[id(node)] = len(order)
                order.append(node)
    for w in ins:  # inputs that reach no output still get a (zero) column
        if id(w) not in index:
            index[id(w)] = len(order)
            order.append(w)
    # Keep what lies on a path from a wrt node (parents of wrt nodes are cut).
    on_path = {index[id(w)] for w in ins}
    for k, node in enumerate(order):
        if id(node) not in stop and any(index.get(id(p)) in on_path for p in node._parents):
            on_path.add(k)
    keep = [k for k in range(len(order)) if k in on_path or id(order[k]) in {id(o) for o in outs}]
    vertex = {k: v for v, k in enumerate(keep)}
    labels = [_label(order[k], k) for k in keep]
    sizes = [_size(order[k]) for k in keep]
    edges: dict[tuple[int, int], np.ndarray] = {}
    for k in keep:
        node = order[k]
        if id(node) in stop or not node._parents:
            continue
        slots = [(i, index.get(id(p))) for i, p in enumerate(node._parents) if p.requires_grad]
        if not any(p in vertex for _, p in slots if p is not None):
            continue
        blocks = _local_blocks(node, sizes[vertex[k]])
        for i, p in slots:
            block = blocks[i]
            if p is None or p not in vertex or block is None:
                continue
            key = (vertex[p], vertex[k])
            edges[key] = edges[key] + block if key in edges else block
    independents = [vertex[index[id(w)]] for w in ins]
    has_succ = {p for p, _ in edges}
    dependents: list[int] = []
    for out in outs:
        v = vertex[index[id(out)]]
        if v in has_succ or v in independents or v in dependents:
            copy = len(sizes)  # a sink copy of v, joined by an identity edge
            labels.append(f"{labels[v]}'")
            sizes.append(sizes[v])
            edges[(v, copy)] = np.eye(sizes[v])
            v = copy
        dependents.append(v)
    ends = set(independents) | set(dependents)
    intermediates = [v for v in range(len(sizes)) if v not in ends]
    return LinearizedGraph(labels, sizes, edges, independents, dependents, intermediates)


def assemble(graph: LinearizedGraph, edges: dict[tuple[int, int], Any]) -> np.ndarray:
    """The (m, n) Jacobian from the independent → dependent blocks left after elimination."""
    rows = np.cumsum([0] + [graph.sizes[d] for d in graph.dependents])
    cols = np.cumsum([0] + [graph.sizes[i] for i in graph.independents])
    out = np.zeros((int(rows[-1]), int(cols[-1])))
    for a, d in enumerate(graph.dependents):
        for b, i in enumerate(graph.independents):
            block = edges.get((i, d))
            if block is not None:
                out[rows[a] : rows[a + 1], cols[b] : cols[b + 1]] = block
    return out
