"""`jacobian`: a full Jacobian accumulated on the recorded graph in a chosen order, counted.

The chain rule makes ∂y/∂x a sum over paths of products of local derivatives; memoization can
share the partial products from either end or from the middle. Each choice is an order of
eliminating the graph's intermediate vertices (`memograd.backprop._elimination`):

* ``"forward"``: topological order — stores ∂node/∂x, one sweep per input;
* ``"reverse"``: reverse topological order — stores ∂y/∂node, one sweep per output;
* ``"markowitz"``: greedy, the vertex cheapest to eliminate next;
* ``"optimal"``: the least multiplications: matrix-chain DP when the graph is a chain, a
  memoized DP over eliminated sets for up to `MAX_OPTIMAL_INTERMEDIATES` intermediates.

Counting: multiplying an a×b block by a b×c block costs a·b·c. On the linear chain
x ↦ W_k⋯W_1·x, ``forward`` is W_k·(⋯(W_3·(W_2·W_1))), ``reverse`` is ((W_k·W_(k−1))⋯)·W_1
and ``optimal`` the matrix-chain minimum.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> from memograd import backprop
    >>> rng = np.random.default_rng(0)
    >>> x = mg.Tensor(rng.normal(size=64), requires_grad=True)
    >>> h = x
    >>> for a, b in [(64, 8), (8, 64), (64, 8), (8, 64)]:
    ...     h = mg.Tensor(rng.normal(size=(b, a))) @ h
    >>> [(r.strategy, r.multiplications) for r in backprop.jacobian_all(h, x)]
    [('forward', 98304), ('reverse', 98304), ('markowitz', 40960), ('optimal', 40960)]
    >>> backprop.jacobian(h, x, order="optimal").order
    '(J4·(J3·J2))·J1'
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from memograd._errors import invalid_value
from memograd.backprop._elimination import (
    eliminate,
    forward_order,
    markowitz_order,
    optimal_chain,
    optimal_order,
    reverse_order,
)
from memograd.backprop._lcg import LinearizedGraph, linearize_graph
from memograd.graph import Node

ORDERS = ("forward", "reverse", "markowitz", "optimal")
MAX_OPTIMAL_INTERMEDIATES = 20


@dataclass(frozen=True, slots=True)
class JacobianResult:
    """One accumulated Jacobian.

    Attributes:
        value: the Jacobian, (m, n): rows are the outputs' elements, columns the inputs'
            (each flattened, in the order given).
        multiplications: scalar multiplications done (a×b by b×c block costs a·b·c).
        order: the bracketing (``J3·(J2·J1)``, J_t the t-th block of a chain) or the
            elimination sequence (vertex labels, first eliminated first).
        strategy: the requested order's name.
        eliminated: the vertices' labels in the order they were eliminated.
        seconds: wall time of the accumulation (building the local blocks excluded).
        dp_calls: calls of the elimination DP (``optimal`` on a non-chain graph), else 0.
    """

    value: np.ndarray
    multiplications: int
    order: str
    strategy: str
    eliminated: tuple[str, ...]
    seconds: float
    dp_calls: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "strategy": self.strategy,
            "multiplications": self.multiplications,
            "order": self.order,
            "eliminated": list(self.eliminated),
            "seconds": self.seconds,
            "dp_calls": self.dp_calls,
            "shape": list(self.value.shape),
        }


def bracketing(chain: Sequence[int], sequence: Sequence[int]) -> str:
    """The product an elimination `sequence` performs on a chain of vertices, as text."""
    present = list(range(len(chain)))  # chain positions not yet eliminated
    # expr[t]: the block from chain position t to the next position still present
    expr = {t: f"J{t + 1}" for t in range(len(chain) - 1)}
    position = {v: t for t, v in enumerate(chain)}

    def wrap(e: str) -> str:
        return f"({e})" if "·" in e else e

    for v in sequence:
        t = position[v]
        p = present[present.index(t) - 1]
        expr[p] = f"{wrap(expr.pop(t))}·{wrap(expr[p])}"
        present.remove(t)
    return next(iter(expr.values())) if expr else ""


def _optimal(graph: LinearizedGraph, chain: list[int] | None) -> tuple[list[int], int]:
    if chain is not None:
        dims = [graph.sizes[v] for v in chain]
        _, products = optimal_chain(dims)
        return [chain[s] for _, _, s in products], 0
    q = len(graph.intermediates)
    if q > MAX_OPTIMAL_INTERMEDIATES:
        raise ValueError(
            f'order="optimal" is exact by a DP over 2^q sets of eliminated vertices, and this '
            f"graph has q={q} intermediate vertices (the limit is "
            f'{MAX_OPTIMAL_INTERMEDIATES}); use order="markowitz" for a greedy order instead.'
        )
    sequence, _, calls = optimal_order(graph)
    return sequence, calls


def _accumulate(graph: LinearizedGraph, strategy: str) -> JacobianResult:
    chain = graph.chain()
    start = time.perf_counter()
    calls = 0
    if strategy == "forward":
        sequence = forward_order(graph)
    elif strategy == "reverse":
        sequence = reverse_order(graph)
    elif strategy == "markowitz":
        sequence = markowitz_order(graph)
    else:
        sequence, calls = _optimal(graph, chain)
    value, multiplications = eliminate(graph, sequence)
    seconds = time.perf_counter() - start
    labels = tuple(graph.labels[v] for v in sequence)
    order = bracketing(chain, sequence) if chain is not None else ", ".join(labels)
    return JacobianResult(value, multiplications, order, strategy, labels, seconds, calls)


def jacobian(
    outputs: Node | Sequence[Node], wrt: Node | Sequence[Node], order: str = "reverse"
) -> JacobianResult:
    """Accumulate ∂outputs/∂wrt on the recorded graph by vertex elimination, counted.

    Args:
        outputs: a node or nodes (`Value` or `Tensor`) whose graph is still recorded.
        wrt: the inputs, nodes that require grad (their own parents are ignored).
        order: ``"forward"``, ``"reverse"``, ``"markowitz"`` or ``"optimal"``.

    Returns:
        A `JacobianResult` with `.value` (m, n), `.multiplications` and `.order`.

    Raises:
        ValueError: an unknown order, a `wrt` node that does not require grad, or
            ``"optimal"`` on a non-chain graph with too many intermediate vertices.
    """
    if order not in ORDERS:
        raise invalid_value("order", f"one of {list(ORDERS)}", order)
    return _accumulate(linearize_graph(outputs, wrt), order)


def jacobian_all(
    outputs: Node | Sequence[Node],
    wrt: Node | Sequence[Node],
    orders: Sequence[str] = ORDERS,
) -> list[JacobianResult]:
    """`jacobian` in several orders on one linearized graph (the blocks are built once)."""
    bad = [o for o in orders if o not in ORDERS]
    if bad or not orders:
        raise invalid_value("orders", f"names among {list(ORDERS)}", list(orders))
    graph = linearize_graph(outputs, wrt)
    return [_accumulate(graph, o) for o in orders]
