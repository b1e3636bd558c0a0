r"""Closed forms for the work of each strategy on the neuron-level MLP graph.

The graph (exactly what `memograd.scalar.MLP.loss` builds). Widths n₀ (inputs), n₁, …, n_D;
layer l has the activation a_l and h_l = 2 nodes per neuron (weighted sum z, activation o),
or h_l = 1 when a_l is ``linear`` (o is z). Nodes that need gradients:

* parameter leaves: N_l = n_l·(n_{l−1} + 1) in layer l (weights w^l_ij and biases b_lj);
* per neuron of layer l: h_l nodes; the inputs are constants, not nodes;
* the loss L = Σ_k (y_k − ŷ_k)², one node with the n_D outputs as parents.

Edges: z_lj has n_{l−1} weight edges, n_{l−1} edges from the previous outputs (l ≥ 2 only)
and one bias edge, so e₁ = n₀ + 1 and e_l = 2n_{l−1} + 1; o_lj has one edge; L has n_D::

    V = Σ_l (N_l + h_l·n_l) + 1                  nodes
    E = Σ_l n_l·(e_l + h_l − 1) + n_D             edges
    I = Σ_l h_l·n_l + 1                           interior nodes

Paths. With Q(l, m) = Π_{q=l+1}^{m} n_q (Q(l, l) = 1), a parameter of layer l reaches each
neuron of layer m > l along Q(l, m)/n_m paths, so

    P_l = Q(l, D)                  paths to L (the product of the later layers' widths)
    λ_l = Σ_{m=l}^{D} h_m + 1      edges on each of them
    T_l = 1 + Σ_{m=l}^{D} h_m·Q(l, m) + Q(l, D)   calls of the plain recursion (one per path
                                                  prefix: the parameter, every z/o, then L)

Work, with wrt = every parameter (ΣN_l leaves):

    paths      mult Σ N_l·P_l·λ_l      add Σ N_l·(P_l − 1)   evaluations Σ N_l
    recursive  mult Σ N_l·(T_l − 1)    add Σ N_l·(P_l − 1)   evaluations Σ N_l·T_l
    memoized   mult E                  add E − V + 1         evaluations V   hits E − I
    reverse    mult E                  add E − V + 1         evaluations V   hits E − I

(additions are the same for `paths` and `recursive`: summing P_l products takes P_l − 1
additions however they are grouped). Stored values: V for `memoized` and `reverse`.

Forward mode sweeps once per parameter, from the parameter up to L, through what it reaches:
its own neuron (h_l nodes), every neuron of the later layers and L. A neuron of layer m
sends (h_m − 1) + ν_m edges on (z → o, then o to the ν_m = n_{m+1} next neurons, or to L
when m = D), and the parameter one edge, so a sweep from layer l costs::

    R_l = 2 + h_l + Σ_{m>l} h_m·n_m                            tangents (nodes reached)
    M_l = 1 + (h_l − 1 + ν_l) + Σ_{m>l} n_m·(h_m − 1 + ν_m)    edge JVPs

    forward    mult Σ N_l·M_l      add mult − Σ N_l·(R_l − 1)   evaluations Σ N_l·R_l
               hits = additions    stored max_l R_l = R_1

(an addition per tangent read beyond the first edge into a node: every parent but one).

Example:
    >>> paths_to_loss([2, 2, 2, 1], layer=1)
    2
    >>> mlp_work([2, 2, 2, 1])["paths"].multiplications
    123
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from memograd._errors import invalid_value
from memograd.backprop._counts import Counts

_ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")


def _layers(
    widths: Sequence[int], activation: str, output_activation: str | None
) -> tuple[list[int], list[int]]:
    n = [int(w) for w in widths]
    if len(n) < 2 or any(w < 1 for w in n):
        raise invalid_value("widths", "at least two positive integers", list(widths))
    for arg, name in (("activation", activation), ("output_activation", output_activation)):
        if name is not None and name not in _ACTIVATIONS:
            raise invalid_value(arg, f"one of {list(_ACTIVATIONS)}", name)
    out_act = activation if output_activation is None else output_activation
    depth = len(n) - 1
    # h[ell] for layers ell = 1..D (h[0] unused)
    h = [0] + [
        1 if (out_act if ell == depth else activation) == "linear" else 2
        for ell in range(1, depth + 1)
    ]
    return n, h


def paths_to_loss(widths: Sequence[int], layer: int) -> int:
    """Paths from any parameter of `layer` (1-based) to L: n_{layer+1} · … · n_D.

    Example:
        >>> paths_to_loss([4, 8, 8, 8, 1], layer=1)
        64
    """
    n = list(widths)
    if not 1 <= layer <= len(n) - 1:
        raise ValueError(
            f"Received an invalid value for `layer`, expected 1..{len(n) - 1}. Received: {layer}"
        )
    return math.prod(n[layer + 1 :])


def mlp_graph_size(
    widths: Sequence[int], activation: str = "sigmoid", output_activation: str | None = None
) -> dict[str, int]:
    """Nodes V, edges E, interior nodes I and parameters of the MLP graph."""
    n, h = _layers(widths, activation, output_activation)
    depth = len(n) - 1
    params = sum(n[ell] * (n[ell - 1] + 1) for ell in range(1, depth + 1))
    edges_in_z = [0, n[0] + 1] + [2 * n[ell - 1] + 1 for ell in range(2, depth + 1)]
    interior = sum(h[ell] * n[ell] for ell in range(1, depth + 1)) + 1
    edges = sum(n[ell] * (edges_in_z[ell] + h[ell] - 1) for ell in range(1, depth + 1)) + n[depth]
    return {"nodes": params + interior, "edges": edges, "interior": interior, "parameters": params}


def mlp_work(
    widths: Sequence[int], activation: str = "sigmoid", output_activation: str | None = None
) -> dict[str, Counts]:
    """Predicted counts of every strategy for ∂L/∂(all parameters) of the MLP graph.

    Example:
        >>> w = mlp_work([2, 2, 2, 1])
        >>> w["memoized"] == w["reverse"], w["reverse"].multiplications
        (True, 27)
        >>> w["forward"].multiplications      # 15 sweeps, one per parameter
        99
    """
    n, h = _layers(widths, activation, output_activation)
    depth = len(n) - 1
    size = mlp_graph_size(widths, activation, output_activation)
    v, e, interior = size["nodes"], size["edges"], size["interior"]
    mult_paths = mult_rec = adds = evals_rec = total_paths = 0
    for ell in range(1, depth + 1):
        count = n[ell] * (n[ell - 1] + 1)
        q = [math.prod(n[ell + 1 : m + 1]) for m in range(ell, depth + 1)]  # Q(ell, m), m = ell..D
        p = q[-1]
        length = sum(h[ell:]) + 1
        calls = 1 + sum(h[m] * q[m - ell] for m in range(ell, depth + 1)) + p
        mult_paths += count * p * length
        mult_rec += count * (calls - 1)
        evals_rec += count * calls
        adds += count * (p - 1)
        total_paths += count * p
    params = size["parameters"]
    f_mult = f_evals = f_stored = 0
    for ell in range(1, depth + 1):
        count = n[ell] * (n[ell - 1] + 1)
        nu = [n[m + 1] if m < depth else 1 for m in range(depth + 1)]  # ν_m
        reached = 2 + h[ell] + sum(h[m] * n[m] for m in range(ell + 1, depth + 1))
        edges_up = 1 + (h[ell] - 1 + nu[ell])
        edges_up += sum(n[m] * (h[m] - 1 + nu[m]) for m in range(ell + 1, depth + 1))
        f_mult += count * edges_up
        f_evals += count * reached
        f_stored = max(f_stored, reached)
    f_adds = f_mult - (f_evals - params)
    linear = Counts(
        multiplications=e,
        additions=e - v + 1,
        adjoint_evaluations=v,
        memo_hits=e - interior,
        stored_values=v,
        paths=total_paths,
    )
    return {
        "paths": Counts(mult_paths, adds, params, 0, 0, total_paths),
        "recursive": Counts(mult_rec, adds, evals_rec, 0, 0, total_paths),
        "memoized": linear,
        "reverse": linear,
        "forward": Counts(f_mult, f_adds, f_evals, f_adds, f_stored, total_paths),
    }
