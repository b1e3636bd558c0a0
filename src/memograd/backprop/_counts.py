"""What each strategy does, counted — and predicted from the graph before running anything.

Definitions (the same for every strategy, so that the numbers compare):

* ``multiplications``: chain-rule steps, ``adjoint × ∂c/∂v`` for one edge (for a `Tensor`
  graph: one edge VJP). A path product of k edges costs k (the seed ∂L/∂L = 1 is multiplied
  too, exactly as the reverse sweep does at the root).
* ``additions``: two partial sums of the same derivative added together.
* ``adjoint_evaluations``: values of some ∂L/∂v produced (function bodies run for the
  recursions, nodes filled for the sweep, one per requested leaf for `paths`).
* ``memo_hits``: a stored adjoint read again after its first use. For the sweep this is
  `SweepStats.adjoint_reuses`; for `memoized` it is the cache's hits; with ``wrt`` = every
  leaf that needs a gradient, both equal ``edges − interior nodes``.
* ``stored_values``: adjoints kept (the memo table's size).
* ``paths``: paths from the requested leaves to L (a property of the graph).

Predictions come from dynamic programming over the DAG in O(edges), in reverse topological
order (root first): with ``P(v)`` the number of paths v → L, ``Λ(v)`` their total length
and ``T(v)`` the calls the plain recursion makes from v::

    P(L) = 1,  P(v) = Σ_(c,i) P(c)
    Λ(L) = 0,  Λ(v) = Σ_(c,i) Λ(c) + P(c)
    T(L) = 1,  T(v) = 1 + Σ_(c,i) T(c)

Counting paths is itself the memoized recursion ``P(v) = Σ P(c)``, evaluated bottom-up:
counting them one by one would cost as much as the `paths` strategy itself.

Example:
    >>> from memograd.scalar import Value
    >>> from memograd.backprop._graph import GraphView
    >>> x = Value(2.0)
    >>> y = (x * x).tanh() + x
    >>> p = predict(GraphView(y), [0])
    >>> p["paths"].paths, p["paths"].multiplications, p["memoized"].memo_hits
    (3, 7, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from memograd.backprop._graph import GraphView

STRATEGIES = ("paths", "recursive", "memoized", "reverse")
"""The four rungs of the ladder (the default of `compare`)."""
ALL_STRATEGIES = (*STRATEGIES, "forward")
"""With forward mode: ∂node/∂w kept instead of ∂L/∂node, one forward sweep per parameter
*element* (a Tensor parameter of n entries costs n sweeps). Asked for by name."""


@dataclass(frozen=True, slots=True)
class Counts:
    """Work one strategy did (or would do) on one graph; see the module docstring."""

    multiplications: int = 0
    additions: int = 0
    adjoint_evaluations: int = 0
    memo_hits: int = 0
    stored_values: int = 0
    paths: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __getitem__(self, name: str) -> int:
        return int(getattr(self, name))


class Counter:
    """Mutable tallies the strategies update while they run."""

    __slots__ = ("additions", "adjoint_evaluations", "memo_hits", "multiplications", "paths")

    def __init__(self) -> None:
        self.multiplications = 0
        self.additions = 0
        self.adjoint_evaluations = 0
        self.memo_hits = 0
        self.paths = 0

    def freeze(self, *, stored_values: int = 0, paths: int | None = None) -> Counts:
        return Counts(
            multiplications=self.multiplications,
            additions=self.additions,
            adjoint_evaluations=self.adjoint_evaluations,
            memo_hits=self.memo_hits,
            stored_values=stored_values,
            paths=self.paths if paths is None else paths,
        )


def path_tables(view: GraphView) -> tuple[list[int], list[int], list[int]]:
    """``(P, Λ, T)`` for every position: paths to L, their total length, plain-recursion calls."""
    n = len(view.order)
    paths, lengths, calls = [0] * n, [0] * n, [0] * n
    if n == 0:
        return paths, lengths, calls
    paths[-1], calls[-1] = 1, 1
    for k in range(n - 2, -1, -1):
        p = s = 0
        t = 1
        for c, _ in view.consumers[k]:
            p += paths[c]
            s += lengths[c] + paths[c]
            t += calls[c]
        paths[k], lengths[k], calls[k] = p, s, t
    return paths, lengths, calls


def predict(view: GraphView, wrt: Sequence[int | None]) -> dict[str, Counts]:
    """The exact counts each strategy will report for ∂L/∂wrt on this graph.

    Args:
        view: the graph.
        wrt: positions of the requested nodes (None: not connected to L; costs nothing).
    """
    targets = sorted({k for k in wrt if k is not None})
    paths, lengths, calls = path_tables(view)
    total_paths = sum(paths[k] for k in targets)
    additions = sum(max(paths[k] - 1, 0) for k in targets)
    out: dict[str, Counts] = {}
    out["paths"] = Counts(
        multiplications=sum(lengths[k] for k in targets),
        additions=additions,
        adjoint_evaluations=len(targets),
        paths=total_paths,
    )
    out["recursive"] = Counts(
        multiplications=sum(calls[k] - 1 for k in targets),
        additions=additions,
        adjoint_evaluations=sum(calls[k] for k in targets),
        paths=total_paths,
    )
    root = view.root_position
    needed = view.reachable_from(targets)
    edges_needed = sum(len(view.consumers[k]) for k in needed)
    out["memoized"] = Counts(
        multiplications=edges_needed,
        additions=sum(len(view.consumers[k]) - 1 for k in needed if k != root),
        adjoint_evaluations=len(needed),
        memo_hits=edges_needed + len(targets) - len(needed),
        stored_values=len(needed),
        paths=total_paths,
    )
    nodes, edges = len(view.order), view.edges
    interior = sum(1 for e in view.parent_edges if e)
    out["reverse"] = Counts(
        multiplications=edges,
        additions=edges - (nodes - 1) if nodes else 0,
        adjoint_evaluations=nodes,
        memo_hits=edges - interior,
        stored_values=nodes,
        paths=total_paths,
    )
    # forward: per target w and per entry of w, one sweep over the nodes reachable from w;
    # each tangent read after its first use is a hit, one addition per extra parent edge.
    f_mul = f_nodes = f_stored = 0
    for k in targets:
        reach = view.reachable_from([k])
        sweeps = _entries(view, k)
        f_mul += sweeps * sum(len(view.consumers[v]) for v in reach)
        f_nodes += sweeps * len(reach)
        f_stored = max(f_stored, len(reach))
    f_reuse = f_mul - (f_nodes - sum(_entries(view, k) for k in targets))
    out["forward"] = Counts(
        multiplications=f_mul,
        additions=f_reuse,
        adjoint_evaluations=f_nodes,
        memo_hits=f_reuse,
        stored_values=f_stored,
        paths=total_paths,
    )
    return out


def _entries(view: GraphView, k: int) -> int:
    """How many forward sweeps the node at `k` needs: 1 for a `Value`, its size for a Tensor."""
    data = getattr(view.order[k], "data", None)
    return 1 if isinstance(data, float) else int(getattr(data, "size", 1))
