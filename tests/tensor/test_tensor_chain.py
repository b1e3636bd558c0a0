"""Deep graphs: backward is iterative, so a 100,000-node chain works at the default limit."""

from __future__ import annotations

import sys

import numpy as np

from memograd import Tensor


def test_100k_node_chain_backward() -> None:
    assert sys.getrecursionlimit() < 100_000
    x = Tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0  # two nodes per step, derivative exactly 1
    stats = y.sum().backward()
    assert stats.nodes > 200_000
    np.testing.assert_array_equal(x.grad, [1.0])


def test_shared_subexpression_adjoint_reused() -> None:
    x = Tensor([2.0], requires_grad=True)
    h = x * x  # used three times below: its adjoint is stored once and reused
    y = (h + h * h + h).sum()
    stats = y.backward()
    np.testing.assert_allclose(x.grad, [2 * 2.0 * (1 + 2 * 4.0 + 1)])
    assert stats.adjoint_reuses >= 2
