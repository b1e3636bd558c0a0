"""The computation graph both engines share: node protocol, topological order, reverse sweep.

Backpropagation is the chain rule plus memoization. The chain rule lives in each node's
vector–Jacobian product (`_backward`); the memoization lives here: the sweep keeps one entry
per node in the *adjoint table* (∂L/∂node), fills it once, in reverse topological order, and
every parent reads the stored value instead of recomputing the sum over paths above it.

The sweep never knows which engine it runs: `Value` (one float per node) and `Tensor` (one
NumPy array per node) both satisfy `Node`. Adjoints are whatever the engine's VJPs return
(floats, arrays, or graph nodes under `create_graph`); contributions are summed with `+`.

Example:
    >>> import memograd as mg
    >>> x = mg.Value(3.0)
    >>> y = x * x + x          # x is used three times: its adjoint collects three terms
    >>> stats = y.backward()
    >>> x.grad, stats.nodes, stats.edges
    (7.0, 3, 4)
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class Node(Protocol):
    """What the reverse sweep needs from a node of either engine.

    Attributes:
        _parents: the nodes this one was computed from (empty for a leaf). A parent that
            appears twice (``x * x``) is listed twice: each use is its own edge.
        requires_grad: whether any gradient has to flow into this node.
    """

    # A read-only property, so that an engine's `_parents: tuple[Value, ...]` attribute
    # satisfies the protocol (a plain protocol attribute would be invariant).
    @property
    def _parents(self) -> tuple[Node, ...]: ...

    requires_grad: bool

    def _backward(self, adjoint: Any) -> Sequence[Any | None]:
        """The chain rule at this node: one contribution per parent (None = nothing flows)."""
        ...

    def _accumulate_grad(self, adjoint: Any) -> None:
        """Add a finished adjoint into a leaf's `.grad` (leaves only)."""
        ...

    def _saved_nbytes(self) -> int:
        """Bytes this node holds only so that `_backward` can run (0 for a leaf)."""
        ...

    def _release(self) -> None:
        """Drop what was saved for backward; a later `_backward` must raise RuntimeError."""
        ...


@dataclass(frozen=True, slots=True)
class SweepStats:
    """What one reverse sweep did.

    Attributes:
        nodes: nodes visited (those on a path to the root that need a gradient).
        edges: chain-rule edges followed (one VJP contribution each).
        adjoint_reuses: memo hits — times a stored adjoint was consumed again after its
            first use. A node with k parents needing gradients feeds k edges from one stored
            adjoint: k − 1 reuses. This equals the `memo_hits` of the memoized recursive
            strategy in `memograd.backprop` on the same graph.
        saved_bytes: bytes held for backward by the swept nodes when the sweep began.
        leaves: leaves that received a gradient.
    """

    nodes: int
    edges: int
    adjoint_reuses: int
    saved_bytes: int
    leaves: int


def topological_order(root: Node, stop: Collection[int] = ()) -> list[Node]:
    """Nodes reachable from `root` that need gradients, each after all of its parents.

    Iterative depth-first search (no recursion), so graphs of millions of nodes work under
    the default recursion limit. Nodes whose `requires_grad` is False are pruned: no
    gradient flows into them, so the sweep never visits them.

    Args:
        root: where the walk starts.
        stop: ids of nodes whose parents are not explored (they are still listed); a
            checkpointed segment's sweep ends at its inputs this way.
    """
    order: list[Node] = []
    visited: set[int] = set()
    # Each stack entry: a node and the index of the next parent to explore.
    stack: list[tuple[Node, int]] = [(root, 0)]
    visited.add(id(root))
    while stack:
        node, next_parent = stack[-1]
        parents = () if stop and id(node) in stop else node._parents
        while next_parent < len(parents):
            parent = parents[next_parent]
            next_parent += 1
            if parent.requires_grad and id(parent) not in visited:
                visited.add(id(parent))
                stack[-1] = (node, next_parent)
                stack.append((parent, 0))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def reverse_sweep(root: Node, seed: Any, *, retain_graph: bool = False) -> SweepStats:
    """Fill the adjoint table from `root` down and accumulate into leaves' `.grad`.

    Args:
        root: the node to differentiate (usually a scalar loss).
        seed: ∂L/∂root — 1.0 for a scalar loss, or the caller's vector for a VJP.
        retain_graph: keep saved values so that a second sweep can run.

    Returns:
        The sweep's statistics.

    The adjoint table holds an entry only from a node's first contribution until the node
    is processed, then the entry is handed to the node's VJP and dropped: the table never
    holds more than the current "frontier" of the sweep.
    """
    order = topological_order(root)
    saved_bytes = sum(node._saved_nbytes() for node in order)
    adjoints: dict[int, Any] = {id(root): seed}
    edges = reuses = leaves = 0
    for node in reversed(order):
        adjoint = adjoints.pop(id(node), None)
        if adjoint is None:  # nothing flowed here (e.g. only through non-differentiable edges)
            continue
        parents = node._parents
        if not parents:
            node._accumulate_grad(adjoint)
            leaves += 1
            continue
        contributions = node._backward(adjoint)
        used = 0
        for parent, contribution in zip(parents, contributions, strict=True):
            if contribution is None or not parent.requires_grad:
                continue
            used += 1
            key = id(parent)
            previous = adjoints.get(key)
            adjoints[key] = contribution if previous is None else previous + contribution
        # Hold no reference to the contributions here: an array that only the table holds can
        # become a leaf's gradient without a copy (see the engines' `_accumulate_grad`).
        del contributions, contribution
        edges += used
        reuses += max(used - 1, 0)
        if not retain_graph:
            node._release()
    return SweepStats(
        nodes=len(order),
        edges=edges,
        adjoint_reuses=reuses,
        saved_bytes=saved_bytes,
        leaves=leaves,
    )
