"""`graph.reverse_sweep`: one sweep with options (wrt, stop_at_wrt, prune, unexpected_leaf)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import memograd as mg
from memograd.autograd import gradients
from memograd.graph import Node, nodes_on_paths, reverse_sweep, topological_order
from memograd.scalar import Value
from memograd.tensor import Tensor, make_node


def _counted(t: Tensor, calls: list[str], name: str) -> Tensor:
    """``2 * t`` as one node whose VJP records that it ran."""

    def vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
        calls.append(name)
        return (g * 2.0,)

    return make_node(t.data * 2.0, (t,), vjp, (), name)


def test_wrt_returns_adjoints_of_interior_and_leaf_nodes_and_touches_no_grad() -> None:
    x, w = Value(3.0, label="x"), Value(2.0, label="w")
    h = x * w  # ∂L/∂h = 2h = 12
    loss = h * h + x
    sweep = reverse_sweep(loss, 1.0, wrt=[h, x, w, h])
    assert sweep.grads == (12.0, 1.0 + 12.0 * 2.0, 12.0 * 3.0, 12.0)
    assert x.grad == 0.0 and w.grad == 0.0  # nothing accumulated
    assert sweep.stats.leaves == 2


def test_without_wrt_the_sweep_accumulates_and_returns_no_grads() -> None:
    x = Value(3.0)
    sweep = reverse_sweep(x * x, 1.0)
    assert sweep.grads == () and x.grad == 6.0


def test_a_node_out_of_reach_gets_none() -> None:
    x, unused = Value(1.0), Value(5.0)
    assert reverse_sweep(x * 2.0, 1.0, wrt=[unused, x]).grads == (None, 2.0)


def test_stop_at_wrt_does_not_sweep_below_the_wrt_nodes() -> None:
    calls: list[str] = []
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = _counted(x, calls, "below")
    y = _counted(h, calls, "above")
    sweep = reverse_sweep(y.sum(), np.float32(1.0), wrt=[h], stop_at_wrt=True)
    assert calls == ["above"]
    np.testing.assert_array_equal(sweep.grads[0], [2.0, 2.0])
    assert x.grad is None


def test_prune_skips_the_vjps_of_branches_that_lead_to_no_wrt_node() -> None:
    calls: list[str] = []
    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor([3.0, 4.0], requires_grad=True)
    loss = (_counted(x, calls, "x-branch") + _counted(w, calls, "w-branch")).sum()
    (gx,) = gradients(loss, x)
    np.testing.assert_array_equal(gx, [2.0, 2.0])
    assert calls == ["x-branch"]  # the parameter-only branch was never differentiated
    assert w.grad is None and x.grad is None


def test_prune_gives_the_same_adjoints_as_a_full_sweep() -> None:
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    w = Tensor(rng.normal(size=(3, 2)), requires_grad=True)
    b = Tensor(rng.normal(size=(2,)), requires_grad=True)
    h = (x @ w + b).tanh()
    loss = (h * h).sum() + (w * w).sum()
    seed = np.ones((), dtype=np.float64)
    full = reverse_sweep(loss, seed, wrt=[h, x], retain_graph=True)
    pruned = reverse_sweep(loss, seed, wrt=[h, x], prune=True)
    for a, b_ in zip(full.grads, pruned.grads, strict=True):
        np.testing.assert_array_equal(a, b_)
    assert pruned.stats.nodes < full.stats.nodes


def test_nodes_on_paths_marks_what_lies_between_the_targets_and_the_root() -> None:
    x, w = Value(1.0), Value(2.0)
    a = x * 3.0
    b = w * 4.0
    root = a + b
    order: list[Node] = topological_order(root)
    assert nodes_on_paths(order, {id(x)}) == {id(x), id(a), id(root)}


def test_unexpected_leaf_is_called_for_a_leaf_outside_wrt() -> None:
    x, w = Value(1.0), Value(2.0)
    seen: list[Node] = []
    reverse_sweep(x * w, 1.0, wrt=[x], unexpected_leaf=seen.append)
    assert len(seen) == 1 and seen[0] is w


def test_without_retain_graph_the_swept_nodes_are_released() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    reverse_sweep(y, np.float32(1.0), wrt=[x])
    with pytest.raises(RuntimeError, match="again"):
        y.backward()


def test_create_graph_records_the_vjps_even_under_no_grad() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True, dtype="float64")
    y = (x * x * x).sum()
    with mg.no_grad():
        seed = mg.Tensor(1.0, dtype="float64")
        (g,) = reverse_sweep(y, seed, wrt=[x], retain_graph=True, create_graph=True).grads
    assert isinstance(g, Tensor) and g.requires_grad
    (h,) = gradients(g.sum(), x)
    np.testing.assert_allclose(h, 6.0 * x.data)
