"""Vertex elimination: every Jacobian accumulation order is an order of eliminating vertices.

Eliminating an intermediate vertex j of the linearized graph joins each predecessor i to each
successor k by the product of blocks ``∂k/∂j · ∂j/∂i`` (added to an existing i → k block) and
removes j. It costs ``size k · size j · size i`` multiplications per (i, k) pair, so in all

    cost(j) = size(j) · Σ_(i ∈ preds j) size(i) · Σ_(k ∈ succs j) size(k)

When every intermediate is gone, the blocks left between inputs and outputs are the Jacobian.
Forward mode is elimination in topological order (it stores ∂node/∂x), reverse mode in reverse
topological order (it stores ∂y/∂node); on a chain each elimination is one matrix product of
neighbouring segments, so orders and bracketings are the same thing.

* `markowitz`: greedy, always the vertex that is cheapest to eliminate now;
* `optimal_chain`: the matrix-chain DP over the blocks' shapes (O(k³));
* `optimal_order`: a memoized DP over the *set* of eliminated vertices. Which edges exist
  after eliminating a set does not depend on the order it was eliminated in, so the best cost
  of finishing from a set is a function of the set alone — 2^q sub-problems instead of q!
  orders. `dp_calls` counts its calls with and without the memo.

Example:
    >>> from memograd.scalar import Value
    >>> from memograd.backprop._lcg import linearize_graph
    >>> x = Value(0.5)
    >>> g = linearize_graph(((x * x).tanh() * 3.0).exp(), x)
    >>> [symbolic_cost(g, s) for s in (forward_order(g), reverse_order(g))]
    [3, 3]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from memograd.backprop._lcg import LinearizedGraph, assemble
from memograd.memo import memoize


def forward_order(graph: LinearizedGraph) -> list[int]:
    return list(graph.intermediates)


def reverse_order(graph: LinearizedGraph) -> list[int]:
    return graph.intermediates[::-1]


def eliminate(graph: LinearizedGraph, sequence: Sequence[int]) -> tuple[np.ndarray, int]:
    """Eliminate `sequence` numerically: the (m, n) Jacobian and the multiplications done."""
    edges: dict[tuple[int, int], Any] = dict(graph.edges)
    preds, succs = graph.preds(), graph.succs()
    sizes = graph.sizes
    multiplications = 0
    for j in sequence:
        for i in sorted(preds[j]):
            below = edges.pop((i, j))
            for k in sorted(succs[j]):
                product = edges[(j, k)] @ below
                multiplications += sizes[k] * sizes[j] * sizes[i]
                edges[(i, k)] = edges[(i, k)] + product if (i, k) in edges else product
                succs[i].add(k)
                preds[k].add(i)
            succs[i].discard(j)
        for k in succs[j]:
            del edges[(j, k)]
            preds[k].discard(j)
        preds[j], succs[j] = set(), set()
    return assemble(graph, edges), multiplications


# -- the symbolic side: costs on bitmasks of vertices ----------------------------------------


class _Masks:
    """Predecessor/successor bitmasks of every vertex, and the size-weighted popcount."""

    def __init__(self, graph: LinearizedGraph) -> None:
        n = len(graph.sizes)
        self.preds = [0] * n
        self.succs = [0] * n
        for p, c in graph.edges:
            self.preds[c] |= 1 << p
            self.succs[p] |= 1 << c
        self.sizes = graph.sizes
        self.uniform = all(s == 1 for s in graph.sizes)
        # 8-bit lookup tables: the weight of a mask in (n + 7) // 8 look-ups.
        self.tables = [
            [
                sum(graph.sizes[8 * t + b] for b in range(8) if m >> b & 1 and 8 * t + b < n)
                for m in range(256)
            ]
            for t in range((n + 7) // 8)
        ]

    def weight(self, mask: int) -> int:
        if self.uniform:
            return mask.bit_count()
        total = 0
        for table in self.tables:
            total += table[mask & 255]
            mask >>= 8
        return total

    def cost(self, preds: Sequence[int], succs: Sequence[int], j: int) -> int:
        return self.sizes[j] * self.weight(preds[j]) * self.weight(succs[j])


def _eliminate_masks(
    preds: Sequence[int], succs: Sequence[int], j: int
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The structure after eliminating j: its preds joined to its succs, j removed."""
    new_p, new_s = list(preds), list(succs)
    bit, pj, sj = 1 << j, preds[j], succs[j]
    mask = pj
    while mask:
        low = mask & -mask
        i = low.bit_length() - 1
        new_s[i] = (new_s[i] | sj) & ~bit
        mask ^= low
    mask = sj
    while mask:
        low = mask & -mask
        k = low.bit_length() - 1
        new_p[k] = (new_p[k] | pj) & ~bit
        mask ^= low
    new_p[j] = new_s[j] = 0
    return tuple(new_p), tuple(new_s)


def symbolic_cost(graph: LinearizedGraph, sequence: Sequence[int]) -> int:
    """Multiplications `eliminate` will count for `sequence`, from the structure alone."""
    m = _Masks(graph)
    preds, succs = tuple(m.preds), tuple(m.succs)
    total = 0
    for j in sequence:
        total += m.cost(preds, succs, j)
        preds, succs = _eliminate_masks(preds, succs, j)
    return total


def markowitz_order(graph: LinearizedGraph) -> list[int]:
    """Greedy: eliminate the vertex that costs least now (ties: the earliest one)."""
    m = _Masks(graph)
    preds, succs = tuple(m.preds), tuple(m.succs)
    left = list(graph.intermediates)
    sequence = []
    while left:
        j = min(left, key=lambda v: m.cost(preds, succs, v))
        left.remove(j)
        sequence.append(j)
        preds, succs = _eliminate_masks(preds, succs, j)
    return sequence


def optimal_chain(dims: Sequence[int]) -> tuple[int, list[tuple[int, int, int]]]:
    """Matrix-chain DP for J_k⋯J_1 with J_t of shape dims[t] × dims[t−1].

    Returns the minimum multiplications and the splits as (first, last, split) triples in the
    order the products are done (split s: (J_last⋯J_(s+1)) · (J_s⋯J_first), which eliminates
    the s-th vertex of the chain).
    """
    k = len(dims) - 1
    best = [[0] * (k + 1) for _ in range(k + 1)]
    split = [[0] * (k + 1) for _ in range(k + 1)]
    for span in range(1, k):
        for a in range(1, k - span + 1):
            b = a + span
            best[a][b], split[a][b] = min(
                (best[a][s] + best[s + 1][b] + dims[b] * dims[s] * dims[a - 1], s)
                for s in range(a, b)
            )
    products: list[tuple[int, int, int]] = []

    def walk(a: int, b: int) -> None:
        if a < b:
            s = split[a][b]
            walk(a, s)
            walk(s + 1, b)
            products.append((a, b, s))

    walk(1, k)
    return best[1][k] if k else 0, products


def _dp(graph: LinearizedGraph, memo: bool) -> tuple[int, int, Callable[..., tuple[int, int]]]:
    """Run the DP over eliminated sets: (least cost, body evaluations, the DP function)."""
    m = _Masks(graph)
    inter = graph.intermediates
    full = (1 << len(inter)) - 1
    calls = 0

    def best(done: int, parent: Any, j: int) -> tuple[int, int]:
        """(Least cost to finish after eliminating the set `done`, next bit to eliminate).

        `parent` is the structure before the last elimination, j the vertex eliminated last
        (-1 at the start): the structure for `done` is derived only when the memo misses.
        """
        nonlocal calls
        calls += 1
        if done == full:
            return 0, -1
        preds, succs = parent if j < 0 else _eliminate_masks(parent[0], parent[1], j)
        here = (preds, succs)
        answer = (-1, -1)
        for b, v in enumerate(inter):
            if not done >> b & 1:
                total = m.cost(preds, succs, v) + call(done | 1 << b, here, v)[0]
                if answer[0] < 0 or total < answer[0]:
                    answer = (total, b)
        return answer

    call: Callable[..., tuple[int, int]] = (
        memoize(key=lambda done, parent, j: done)(best) if memo else best  # ← the difference
    )
    cost = call(0, (tuple(m.preds), tuple(m.succs)), -1)[0]
    return cost, calls, call


def optimal_order(graph: LinearizedGraph) -> tuple[list[int], int, int]:
    """The cheapest elimination order by the memoized DP over eliminated sets.

    Returns ``(order, cost, calls)``: evaluations of the DP function's body (2^q).
    """
    cost, calls, call = _dp(graph, memo=True)
    inter = graph.intermediates
    order: list[int] = []
    done = 0
    while len(order) < len(inter):  # follow the stored choices (each call is a memo hit)
        b = call(done, None, -1)[1]
        order.append(inter[b])
        done |= 1 << b
    return order, cost, calls


def dp_calls(graph: LinearizedGraph) -> dict[str, int]:
    """Evaluations of the elimination DP's body with and without the memo, and predictions.

    With q intermediates, without the memo every prefix of every order is evaluated,
    ``Σ_(r=0..q) q!/(q−r)!`` times; with it each set once (2^q), and the other
    ``1 + q·2^(q−1) − 2^q`` calls are memo hits.
    """
    q = len(graph.intermediates)
    plain = _dp(graph, memo=False)[1]
    _, memoized, call = _dp(graph, memo=True)
    falling, predicted_plain = 1, 1
    for r in range(1, q + 1):
        falling *= q - r + 1
        predicted_plain += falling
    return {
        "intermediates": q,
        "calls_without_memo": plain,
        "calls_with_memo": memoized,
        "memo_hits": call.cache_info().hits,  # type: ignore[attr-defined]
        "predicted_without_memo": predicted_plain,
        "predicted_with_memo": 2**q,
        "predicted_memo_hits": 1 + q * 2 ** (q - 1) - 2**q if q else 0,
    }
