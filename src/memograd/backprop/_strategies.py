"""Four ways to compute ∂L/∂w on the same graph — the rungs of the Fibonacci ladder.

* `paths` — the seed formula: enumerate every path from L down to w, multiply the local
  derivatives along it from scratch, add the products. Like naive Fibonacci, nothing shared.
* `recursive` — ``adjoint(v) = Σ_(c consumes v) adjoint(c) · ∂c/∂v``, top-down, no cache.
  Prefixes are shared within one call tree, but every ∂L/∂c is recomputed for every route
  into c: exponential in depth.
* `memoized` — the *same function* with the project's `@memoize` applied: one line. Every
  ∂L/∂v is computed once (top-down dynamic programming); linear in edges, recursion as deep as
  the graph (`memograd.memo` runs deep recursions in a big-stack thread).
* `reverse` — `graph.reverse_sweep`: the memo table filled bottom-up in reverse topological
  order; linear, no recursion at all.

Granularity. On a `Value` graph every neuron is a node, so a neuron's output o₁₁ feeding every
neuron of the next layer is a real fan-out and the number of paths multiplies layer by layer.
On a `Tensor` graph a whole layer is one node (``x @ W + b``): the graph of an MLP is a chain,
there is one path per parameter tensor and the four strategies do the same number of VJPs.
The fan-out has not gone away — it lives *inside* the matmul's VJP, ``δ @ Wᵀ``, which sums
over all next-layer neurons at once: that sum is the per-neuron adjoint reuse, vectorized.

Example:
    >>> from memograd.scalar import Value
    >>> from memograd.backprop._graph import GraphView
    >>> x = Value(0.5)
    >>> y = (x * x).sigmoid() * x
    >>> view = GraphView(y)
    >>> [round(run(name, view, [view.position(x)]).grads[0], 12) for name in STRATEGIES]
    [0.685243542255, 0.685243542255, 0.685243542255, 0.685243542255]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from memograd.backprop._counts import STRATEGIES, Counter, Counts, path_tables
from memograd.backprop._graph import GraphView, zero_like
from memograd.graph import reverse_sweep
from memograd.memo import DEEP_RECURSION_LIMIT, memoize, run_deep

Adjoints = list[Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    """Gradients (aligned with the requested nodes; None = not connected) and the counts."""

    grads: Adjoints
    counts: Counts


def run(name: str, view: GraphView, wrt: Sequence[int | None]) -> Outcome:
    """Run strategy `name` for the nodes at positions `wrt` of `view`."""
    if name not in _RUNNERS:
        raise ValueError(
            f"Received an invalid value for `strategies`, expected names among "
            f"{list(STRATEGIES)}. Received: {name!r}"
        )
    return _RUNNERS[name](view, wrt)


# --- paths: the seed formula, one product per path ----------------------------------------------
def paths(view: GraphView, wrt: Sequence[int | None]) -> Outcome:
    counter = Counter()
    seed = view.seed()
    results: dict[int, Any] = {}
    for target in {k for k in wrt if k is not None}:
        counter.adjoint_evaluations += 1
        results[target] = _path_sum(view, target, seed, counter)
    return Outcome([None if k is None else results[k] for k in wrt], counter.freeze())


def _path_sum(view: GraphView, target: int, seed: Any, counter: Counter) -> Any:
    """Σ over paths L → target of seed · (product of local derivatives), each from scratch."""
    useful = view.reachable_from([target])  # nodes with a route down to the target
    total: Any = None
    edges: list[tuple[int, int]] = []  # the current path, from L downwards
    # Iterative depth-first search from the root: (node, index of the next parent edge).
    stack = [(view.root_position, 0)]
    while stack:
        node, nxt = stack[-1]
        if node == target:
            product = seed
            for c, i in edges:  # from L down: the order a Tensor VJP chain needs
                product = view.edge_vjp(c, i, product)
                counter.multiplications += 1
            counter.paths += 1
            if total is None:
                total = product
            else:
                total = total + product
                counter.additions += 1
            stack.pop()
            if edges:
                edges.pop()
            continue
        parent_edges = view.parent_edges[node]
        while nxt < len(parent_edges) and parent_edges[nxt][1] not in useful:
            nxt += 1
        if nxt == len(parent_edges):
            stack.pop()
            if edges:
                edges.pop()
            continue
        i, parent = parent_edges[nxt]
        stack[-1] = (node, nxt + 1)
        edges.append((node, i))
        stack.append((parent, 0))
    return total


# --- recursive and memoized: one function body, the memo is the only difference ----------------
def _top_down(view: GraphView, wrt: Sequence[int | None], *, memo: bool) -> Outcome:
    counter = Counter()
    root = view.root_position
    seed = view.seed()

    def adjoint(v: int) -> Any:
        """∂L/∂v = Σ over consumers c of v: ∂L/∂c · ∂c/∂v."""
        counter.adjoint_evaluations += 1
        if v == root:
            return seed
        total: Any = None
        for c, i in view.consumers[v]:
            contribution = view.edge_vjp(c, i, call(c))
            counter.multiplications += 1
            if contribution is None:
                continue
            if total is None:
                total = contribution
            else:
                total = total + contribution
                counter.additions += 1
        return total

    call: Callable[[int], Any] = memoize(adjoint) if memo else adjoint  # ← the whole difference

    targets = list(dict.fromkeys(k for k in wrt if k is not None))

    def solve() -> dict[int, Any]:
        return {k: call(k) for k in targets}

    depth = view.depth()
    # Deep graphs: start in a big-stack thread at once, so that no attempt is cut short and
    # retried (which would count some work twice).
    results = _run_deep(solve, depth) if depth > sys.getrecursionlimit() // 8 else solve()
    stored = 0
    if memo:
        info = call.cache_info()  # type: ignore[attr-defined]
        counter.memo_hits = info.hits
        stored = info.currsize
    paths_per_node = path_tables(view)[0]
    counts = counter.freeze(stored_values=stored, paths=sum(paths_per_node[k] for k in targets))
    return Outcome([None if k is None else results[k] for k in wrt], counts)


_FRAMES_PER_LEVEL = 8  # adjoint + the memo wrapper's frames, with room to spare


def _run_deep(solve: Callable[[], dict[int, Any]], depth: int) -> dict[int, Any]:
    """`memo.run_deep`, with the recursion limit raised further when the graph needs it."""
    needed = _FRAMES_PER_LEVEL * depth + 10_000
    previous = sys.getrecursionlimit()
    if needed <= max(previous, DEEP_RECURSION_LIMIT):
        return run_deep(solve)
    # run_deep raises the limit to DEEP_RECURSION_LIMIT only when it is lower, and puts back
    # what it found: raising it first (and restoring it after) extends it for this run.
    sys.setrecursionlimit(needed)
    try:
        return run_deep(solve)
    finally:
        sys.setrecursionlimit(previous)


def recursive(view: GraphView, wrt: Sequence[int | None]) -> Outcome:
    return _top_down(view, wrt, memo=False)


def memoized(view: GraphView, wrt: Sequence[int | None]) -> Outcome:
    return _top_down(view, wrt, memo=True)


# --- reverse: the bottom-up memo table of graph.reverse_sweep ----------------------------------
def reverse(view: GraphView, wrt: Sequence[int | None]) -> Outcome:
    """One reverse sweep; reads the requested leaves' `.grad` and restores what was there."""
    leaves = [node for node, e in zip(view.order, view.parent_edges, strict=True) if not e]
    for k in wrt:
        if k is not None and view.parent_edges[k]:
            raise ValueError(
                "The `reverse` strategy accumulates into leaves only; every node in `wrt` must "
                f"be a leaf (a parameter or an input). Received an interior node: "
                f"{view.order[k]!r}"
            )
    saved = [leaf.grad for leaf in leaves]  # type: ignore[attr-defined]
    try:
        for leaf in leaves:
            leaf.grad = zero_like(leaf) if isinstance(leaf.grad, float) else None  # type: ignore[attr-defined]
        stats = reverse_sweep(view.root, view.seed(), retain_graph=True).stats
        grads = [None if k is None else view.order[k].grad for k in wrt]  # type: ignore[attr-defined]
    finally:
        for leaf, grad in zip(leaves, saved, strict=True):
            leaf.grad = grad  # type: ignore[attr-defined]
    paths_per_node = path_tables(view)[0]
    counts = Counts(
        multiplications=stats.edges,
        additions=stats.edges - (stats.nodes - 1) if stats.nodes else 0,
        adjoint_evaluations=stats.nodes,
        memo_hits=stats.adjoint_reuses,
        stored_values=stats.nodes,
        paths=sum(paths_per_node[k] for k in {k for k in wrt if k is not None}),
    )
    return Outcome(grads, counts)


# --- forward: ∂node/∂w memoized from the other end, one sweep per parameter entry ------------
def forward(view: GraphView, wrt: Sequence[int | None]) -> Outcome:
    """For each requested node w and each entry of w: seed ∂w/∂w = e_j, then in topological
    order ∂c/∂w = Σ over c's parents p of ∂c/∂p · ∂p/∂w (one edge JVP each), up to L."""
    counter = Counter()
    root = view.root_position
    targets = list(dict.fromkeys(k for k in wrt if k is not None))
    results: dict[int, Any] = {}
    stored = 0
    for t in targets:
        reach = sorted(view.reachable_from([t]))  # positions are topological
        stored = max(stored, len(reach))
        data = getattr(view.order[t], "data", None)
        scalar = isinstance(data, float)
        size = 1 if scalar else int(np.asarray(data).size)
        grad: Any = 0.0 if scalar else np.zeros(np.asarray(data).shape)
        for j in range(size):
            if scalar:
                seed: Any = 1.0
            else:
                seed = np.zeros(size, dtype=np.asarray(data).dtype)
                seed[j] = 1.0
                seed = seed.reshape(np.asarray(data).shape)
            tangents: dict[int, Any] = {t: seed}
            counter.adjoint_evaluations += 1
            for c in reach:
                if c == t:
                    continue
                total: Any = None
                for i, p in view.parent_edges[c]:
                    if p not in tangents:
                        continue
                    contribution = view.edge_jvp(c, i, tangents[p])
                    counter.multiplications += 1
                    if total is None:
                        total = contribution
                    else:
                        total = total + contribution
                        counter.additions += 1
                counter.adjoint_evaluations += 1
                tangents[c] = total
            dl = tangents.get(root)
            value = 0.0 if dl is None else float(np.sum(dl))
            if scalar:
                grad = value
            else:
                grad.reshape(-1)[j] = value
        results[t] = grad
    counts = counter.freeze(
        stored_values=stored, paths=sum(path_tables(view)[0][k] for k in targets)
    )
    counts = Counts(**{**counts.as_dict(), "memo_hits": counts.additions})
    return Outcome([None if k is None else results[k] for k in wrt], counts)


_RUNNERS: dict[str, Callable[[GraphView, Sequence[int | None]], Outcome]] = {
    "forward": forward,
    "paths": paths,
    "recursive": recursive,
    "memoized": memoized,
    "reverse": reverse,
}
