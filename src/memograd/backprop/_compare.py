"""`compare`: every strategy on the same graph, with counts, times and budgets; the memo table.

Example:
    >>> import memograd as mg
    >>> from memograd import backprop
    >>> net = mg.scalar.MLP([2, 2, 2, 1], seed=0)
    >>> loss = net.loss([0.5, -1.0], 1.0)
    >>> results = backprop.compare(loss, wrt=net.parameters())
    >>> [r.name for r in results]
    ['paths', 'recursive', 'memoized', 'reverse']
    >>> [r.counts.multiplications for r in results]
    [123, 111, 27, 27]
    >>> results[2].counts.memo_hits == results[3].counts.memo_hits
    True
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from memograd._errors import invalid_value
from memograd.backprop._counts import ALL_STRATEGIES, STRATEGIES, Counts, path_tables, predict
from memograd.backprop._graph import GraphView, zero_like
from memograd.backprop._strategies import run
from memograd.graph import Node, reverse_sweep


@dataclass(frozen=True, slots=True)
class StrategyResult:
    """One strategy's answer.

    Attributes:
        name: the strategy.
        grads: ∂L/∂w for each requested node (floats for `Value`, arrays for `Tensor`),
            None when refused.
        counts: the work done (None when refused).
        seconds: wall time of the run (None when refused).
        predicted: the counts predicted from the graph before running (always present).
        refused: True when the predicted multiplications exceeded the budget.
    """

    name: str
    grads: list[Any] | None
    counts: Counts | None
    seconds: float | None
    predicted: Counts
    refused: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "refused": self.refused,
            "seconds": self.seconds,
            "counts": None if self.counts is None else self.counts.as_dict(),
            "predicted": self.predicted.as_dict(),
            "grads": None if self.grads is None else [_plain(g) for g in self.grads],
        }


def _plain(grad: Any) -> Any:
    return grad if isinstance(grad, float) else np.asarray(grad).tolist()


def _check_budget(budget: int | float | None) -> None:
    if budget is not None and (isinstance(budget, bool) or not budget > 0):
        raise invalid_value("budget", "a positive number of multiplications or None", budget)


def _as_nodes(wrt: Node | Sequence[Node]) -> list[Node]:
    nodes: list[Node] = [wrt] if hasattr(wrt, "_parents") else list(wrt)  # type: ignore[list-item]
    for k, node in enumerate(nodes):
        if not hasattr(node, "_parents") or not hasattr(node, "requires_grad"):
            raise TypeError(
                f"`wrt` expects graph nodes (Value or Tensor). Received: wrt[{k}] of type "
                f"{type(node).__name__}"
            )
    return nodes


def compare(
    loss: Node,
    wrt: Node | Sequence[Node],
    strategies: Sequence[str] = STRATEGIES,
    budget: int | float | None = None,
) -> list[StrategyResult]:
    """Compute ∂loss/∂wrt with each strategy on the same graph.

    Args:
        loss: the root (a scalar `Value` or `Tensor` that requires grad).
        wrt: the leaves to differentiate with respect to (parameters, inputs).
        strategies: names among ``paths``, ``recursive``, ``memoized``, ``reverse`` (the
            default) and ``forward`` (one forward sweep per parameter entry).
        budget: maximum predicted multiplications a strategy may take; strategies predicted
            to exceed it are refused before running (their `.predicted` says by how much).

    Returns:
        One `StrategyResult` per strategy, in the order asked.
    """
    names = [strategies] if isinstance(strategies, str) else list(strategies)
    bad = [s for s in names if s not in ALL_STRATEGIES]
    if bad or not names:
        raise invalid_value("strategies", f"names among {list(ALL_STRATEGIES)}", names)
    _check_budget(budget)
    if not getattr(loss, "requires_grad", False):
        raise ValueError("`loss` does not require grad: no parameter reaches it.")
    nodes = _as_nodes(wrt)
    view = GraphView(loss)
    positions = view.positions(nodes)
    if "reverse" in names:
        for k, p in enumerate(positions):
            if p is not None and view.parent_edges[p]:
                raise ValueError(
                    "`wrt` must hold leaves (parameters or inputs) for the `reverse` strategy, "
                    f"which accumulates into leaves only. Received an interior node: wrt[{k}]"
                )
    predictions = predict(view, positions)
    results = []
    for name in names:
        predicted = predictions[name]
        if budget is not None and predicted.multiplications > budget:
            results.append(StrategyResult(name, None, None, None, predicted, refused=True))
            continue
        start = time.perf_counter()
        outcome = run(name, view, positions)
        seconds = time.perf_counter() - start
        grads = [
            zero_like(node) if g is None else (g if isinstance(g, float) else np.array(g))
            for node, g in zip(nodes, outcome.grads, strict=True)
        ]
        results.append(StrategyResult(name, grads, outcome.counts, seconds, predicted))
    return results


def predict_work(loss: Node, wrt: Node | Sequence[Node]) -> dict[str, Counts]:
    """The counts each strategy would report, from the graph alone (O(edges), runs nothing)."""
    view = GraphView(loss)
    return predict(view, view.positions(_as_nodes(wrt)))


@dataclass(frozen=True, slots=True)
class AdjointRow:
    """One entry of the memo table of the backward pass.

    Attributes:
        name: the node's label (or ``<op>#<position>`` when unlabelled).
        op: the op that produced it ("" for a leaf).
        value: the node's forward value.
        adjoint: ∂L/∂node, computed once and stored.
        reads: how many edges read this stored adjoint (its grad-requiring parent edges).
        reuses: reads − 1 when read at all: the recomputations the memo saves at this node.
        paths: paths from this node up to L — the terms ∂L/∂node would expand into.
    """

    name: str
    op: str
    value: Any
    adjoint: Any
    reads: int
    reuses: int
    paths: int


def adjoint_table(loss: Node) -> list[AdjointRow]:
    """Every node's value, ∂L/∂node and how often its stored adjoint was reused.

    Rows come in the order the reverse sweep fills them (L first). The reuses add up to
    `SweepStats.adjoint_reuses`. Nothing is accumulated into `.grad`.

    Example:
        >>> from memograd.scalar import Value
        >>> x = Value(3.0, label="x")
        >>> y = x * x
        >>> y.label = "y"
        >>> [(r.name, r.adjoint, r.reuses) for r in adjoint_table(y)]
        [('y', 1.0, 1), ('x', 6.0, 0)]
    """
    view = GraphView(loss)
    n = len(view.order)
    # The one reverse sweep, asked for every node's adjoint instead of the leaves' `.grad`.
    table = reverse_sweep(loss, view.seed(), wrt=view.order, retain_graph=True).grads
    paths = path_tables(view)[0]
    rows = []
    for k in range(n - 1, -1, -1):
        node = view.order[k]
        reads = len(view.parent_edges[k])
        rows.append(
            AdjointRow(
                name=getattr(node, "label", "") or f"{getattr(node, 'op', '') or 'leaf'}#{k}",
                op=getattr(node, "op", ""),
                value=getattr(node, "data", None),
                adjoint=zero_like(node) if table[k] is None else table[k],
                reads=reads,
                reuses=max(reads - 1, 0),
                paths=paths[k],
            )
        )
    return rows
