"""The computation graph both engines share: node protocol, topological order, reverse sweep.

Backpropagation is the chain rule plus memoization. The chain rule lives in each node's
vector–Jacobian product (`_backward`); the memoization lives here: the sweep keeps one entry
per node in the *adjoint table* (∂L/∂node), fills it once, in reverse topological order, and
every parent reads the stored value instead of recomputing the sum over paths above it.

The sweep never knows which engine it runs: `Value` (one float per node) and `Tensor` (one
NumPy array per node) both satisfy `Node`. Adjoints are whatever the engine's VJPs return
(floats, arrays, or graph nodes under `create_graph`); contributions are summed with `+`.

`reverse_sweep` is the only sweep in the project. What differs between its callers is
parameters, not copies of the loop: where the adjoints go (the leaves' `.grad`, or returned
for chosen ``wrt`` nodes), where it stops (``stop_at_wrt``: a checkpointed segment ends at its
inputs), what it skips (``prune``: branches leading to no ``wrt`` node; `nodes_on_paths` is
that pruning on its own, for a compiler) and whether it records itself (``create_graph``).

Example:
    >>> import memograd as mg
    >>> x = mg.Value(3.0)
    >>> y = x * x + x          # x is used three times: its adjoint collects three terms
    >>> stats = y.backward()
    >>> x.grad, stats.nodes, stats.edges
    (7.0, 3, 4)
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from . import _grad_mode


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
        nodes: nodes visited (those on a path to the root that need a gradient; with
            ``prune``, only those also on a path from a ``wrt`` node).
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


def nodes_on_paths(order: Sequence[Node], targets: Collection[int]) -> set[int]:
    """Ids of the nodes of `order` that lie on a path from a `targets` node up to the root.

    Only these nodes carry adjoints that matter for the targets: the sweep with ``prune=True``
    (and a compiler building a backward tape) skips every other node and every edge into one.

    Args:
        order: a topological order (parents first), as `topological_order` returns.
        targets: ids of the nodes whose adjoints are wanted.
    """
    needed: set[int] = set()
    for node in order:
        key = id(node)
        if key in targets:
            needed.add(key)
            continue
        for parent in node._parents:  # a plain loop: cheaper than any() over a generator
            if id(parent) in needed:
                needed.add(key)
                break
    return needed


class Sweep(NamedTuple):
    """What `reverse_sweep` returns (a named tuple: ``stats, grads = reverse_sweep(...)``).

    Attributes:
        stats: what the sweep did (see `SweepStats`).
        grads: with ``wrt``, ∂root/∂node for each of those nodes in their order (None for a
            node no adjoint reached); empty otherwise.
    """

    stats: SweepStats
    grads: tuple[Any, ...]


def reverse_sweep(
    root: Node,
    seed: Any,
    *,
    wrt: Sequence[Node] | None = None,
    stop_at_wrt: bool = False,
    prune: bool = False,
    unexpected_leaf: Callable[[Node], None] | None = None,
    retain_graph: bool = False,
    create_graph: bool = False,
) -> Sweep:
    """The reverse sweep: fill the adjoint table from `root` down, once per node.

    This one function is every backward pass of the project: `Value.backward` and
    `Tensor.backward` (accumulate into the leaves' `.grad`), `autograd.gradients` and
    `mg.grad` (return the adjoints of chosen nodes), and the recomputed segments of
    `memograd.checkpointing` (return the adjoints of a segment's inputs, stopping there).

    Args:
        root: the node to differentiate (usually a scalar loss).
        seed: ∂L/∂root — 1.0 for a scalar loss, or the caller's vector for a VJP. Under
            `create_graph` a graph node of the engine (e.g. a constant Tensor).
        wrt: None: accumulate each finished leaf adjoint into the leaf's `.grad` (the
            training loop's view). Nodes (leaves or interior): return their adjoints in
            `Sweep.grads` instead, and touch no `.grad`.
        stop_at_wrt: with `wrt`, do not sweep below a `wrt` node (its parents are not
            visited): a checkpointed segment ends at its own inputs.
        prune: with `wrt`, visit only the nodes on a path from a `wrt` node up to the root
            (`nodes_on_paths`); the adjoints returned are the same, the work is less.
        unexpected_leaf: with `wrt`, called with each leaf that receives an adjoint but is
            not in `wrt` (a checkpointed segment raises there: an undeclared parameter).
        retain_graph: keep saved values so that a second sweep can run; otherwise each node
            releases them (`Node._release`) once its VJP has run.
        create_graph: run the VJPs with graph recording on (the engine's VJPs then build
            differentiable results from a graph-node seed); otherwise the grad mode is left
            as the caller set it.

    Returns:
        The statistics and, with `wrt`, the requested adjoints.

    Example:
        >>> from memograd.scalar import Value
        >>> x, w = Value(3.0), Value(2.0)
        >>> h = x * w
        >>> reverse_sweep(h * h, 1.0, wrt=[h, x]).grads     # 2h, then 2h·w; no .grad touched
        (12.0, 24.0)

    The adjoint table holds an entry only from a node's first contribution until the node
    is processed, then the entry is handed to the node's VJP and dropped: the table never
    holds more than the current "frontier" of the sweep. The order is iterative
    (`topological_order`), so graphs of millions of nodes need no recursion.
    """
    wanted: set[int] | None = None if wrt is None else {id(node) for node in wrt}
    order = topological_order(root, stop=wanted if wanted is not None and stop_at_wrt else ())
    needed = nodes_on_paths(order, wanted) if wanted is not None and prune else None
    saved_bytes = sum(node._saved_nbytes() for node in order)
    adjoints: dict[int, Any] = {id(root): seed}
    pop, get = adjoints.pop, adjoints.get  # bound once: this loop is every training step's
    found: dict[int, Any] = {}
    edges = reuses = leaves = 0
    recording = _grad_mode.enable_grad() if create_graph else None
    if recording is not None:
        recording.__enter__()
    try:
        for node in reversed(order):
            adjoint = pop(id(node), None)
            if adjoint is None:  # nothing flowed here (only through non-differentiable edges)
                continue
            parents = node._parents
            if wanted is not None:
                key = id(node)
                if key in wanted:
                    found[key] = adjoint
                    if stop_at_wrt:
                        continue
                if not parents:
                    leaves += 1
                    if unexpected_leaf is not None and key not in wanted:
                        unexpected_leaf(node)
                    continue
                if needed is not None and key not in needed:
                    continue
            elif not parents:
                node._accumulate_grad(adjoint)
                leaves += 1
                continue
            contributions = node._backward(adjoint)
            used = 0
            for parent, contribution in zip(parents, contributions, strict=True):
                if contribution is None or not parent.requires_grad:
                    continue
                parent_key = id(parent)
                if needed is not None and parent_key not in needed:
                    continue
                used += 1
                previous = get(parent_key)
                adjoints[parent_key] = contribution if previous is None else previous + contribution
            # Hold no reference to the contributions here: an array that only the table holds
            # can become a leaf's gradient without a copy (see the engines' `_accumulate_grad`).
            del contributions, contribution
            edges += used
            if used > 1:
                reuses += used - 1
            if not retain_graph:
                node._release()
    finally:
        if recording is not None:
            recording.__exit__(None, None, None)
    stats = SweepStats(
        nodes=len(order) if needed is None else len(needed),
        edges=edges,
        adjoint_reuses=reuses,
        saved_bytes=saved_bytes,
        leaves=leaves,
    )
    return Sweep(stats, () if wrt is None else tuple(found.get(id(node)) for node in wrt))
