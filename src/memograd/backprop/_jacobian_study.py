"""Networks and measurements for the Jacobian-order lesson (CLI `jacobian`, the report).

Example:
    >>> out, x = chain_network([6, 2, 6])
    >>> out.shape, x.shape
    ((6,), (6,))
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from memograd._errors import invalid_value
from memograd.backprop._jacobian import ORDERS, JacobianResult, jacobian_all
from memograd.tensor import Tensor

ACTIVATIONS = ("linear", "tanh")


def chain_network(
    layers: Sequence[int], activation: str = "linear", seed: int = 0
) -> tuple[Tensor, Tensor]:
    """x ∈ ℝ^(layers[0]) ↦ a(W_k · … a(W_1·x)): constant Gaussian W_t / √fan-in.

    With ``activation="linear"`` this is the chain x ↦ W_k⋯W_1·x of the count convention;
    ``"tanh"`` adds one elementwise node (a diagonal Jacobian block) after each product.
    """
    widths = [int(w) for w in layers]
    if len(widths) < 2 or any(w < 1 for w in widths):
        raise invalid_value("layers", "at least two positive widths", list(layers))
    if activation not in ACTIVATIONS:
        raise invalid_value("activation", f"one of {list(ACTIVATIONS)}", activation)
    rng = np.random.default_rng(seed)
    x = Tensor(rng.normal(size=widths[0]), requires_grad=True)
    h = x
    for a, b in itertools.pairwise(widths):
        h = Tensor(rng.normal(size=(b, a)) / np.sqrt(a)) @ h
        if activation == "tanh":
            h = h.tanh()
    return h, x


def measure_chain(
    layers: Sequence[int],
    orders: Sequence[str] = ORDERS,
    activation: str = "linear",
    seed: int = 0,
) -> list[JacobianResult]:
    """Every order's Jacobian of `chain_network(layers, …)` (blocks built once)."""
    out, x = chain_network(layers, activation, seed)
    return jacobian_all(out, x, orders)
