"""backprop.jacobian: vertex-elimination orders on Value and Tensor graphs, counted exactly."""

from __future__ import annotations

import doctest
import functools
import importlib
import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import memograd as mg
from memograd import backprop
from memograd.backprop._elimination import (
    dp_calls,
    eliminate,
    optimal_chain,
    optimal_order,
    symbolic_cost,
)
from memograd.backprop._lcg import linearize_graph
from memograd.scalar import Value


def linear_chain(dims: list[int], seed: int = 0) -> tuple[mg.Tensor, mg.Tensor, list[np.ndarray]]:
    """x ↦ W_k⋯W_1·x with constant W_t of shape dims[t] × dims[t−1]."""
    rng = np.random.default_rng(seed)
    x = mg.Tensor(rng.normal(size=dims[0]), requires_grad=True)
    ws = [rng.normal(size=(b, a)) for a, b in itertools.pairwise(dims)]
    h = x
    for w in ws:
        h = mg.Tensor(w) @ h
    return h, x, ws


def reference_chain_minimum(dims: list[int]) -> int:
    """Textbook matrix-chain DP, written independently (top-down, functools.cache)."""

    @functools.cache
    def m(i: int, j: int) -> int:  # cheapest product of matrices i..j (1-based), dims[i-1]..dims[j]
        if i == j:
            return 0
        return min(m(i, s) + m(s + 1, j) + dims[i - 1] * dims[s] * dims[j] for s in range(i, j))

    return m(1, len(dims) - 1)


# -- the count convention on linear chains ---------------------------------------------------


@pytest.mark.parametrize("dims", [[64, 8, 64, 8, 64], [3, 5, 2, 7, 4, 6], [10, 1, 10], [4, 9]])
def test_chain_counts_follow_the_stated_bracketings(dims: list[int]) -> None:
    h, x, ws = linear_chain(dims)
    k = len(ws)
    # forward W_k·(⋯(W_3·(W_2·W_1))): the running product is d_t × d_0
    forward = sum(dims[t] * dims[t - 1] * dims[0] for t in range(2, k + 1))
    # reverse ((W_k·W_(k−1))⋯)·W_1: the running product is d_k × d_(t−1)
    reverse = sum(dims[k] * dims[t] * dims[t - 1] for t in range(1, k))
    results = {r.strategy: r for r in backprop.jacobian_all(h, x)}
    assert results["forward"].multiplications == forward
    assert results["reverse"].multiplications == reverse
    assert results["optimal"].multiplications == reference_chain_minimum(dims)
    expected = functools.reduce(lambda acc, w: w @ acc, ws[1:], ws[0])
    for r in results.values():
        assert r.value.shape == (dims[-1], dims[0])
        np.testing.assert_allclose(r.value, expected, rtol=1e-12, atol=1e-12)


def test_chain_bracketings_are_reported() -> None:
    h, x, _ = linear_chain([4, 3, 5, 2, 6])
    assert backprop.jacobian(h, x, order="forward").order == "J4·(J3·(J2·J1))"
    assert backprop.jacobian(h, x, order="reverse").order == "((J4·J3)·J2)·J1"
    # 64-8-64-8-64: the narrow middle is multiplied first, beating both ends
    h, x, _ = linear_chain([64, 8, 64, 8, 64])
    optimal = backprop.jacobian(h, x, order="optimal")
    assert "(J3·J2)" in optimal.order and optimal.multiplications == 40960


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 12), min_size=2, max_size=9))
def test_chain_optimum_equals_an_independent_matrix_chain_dp(dims: list[int]) -> None:
    cost, products = optimal_chain(dims)
    assert cost == reference_chain_minimum(dims)
    assert len(products) == max(len(dims) - 2, 0)
    # the subset DP, which knows nothing about chains, finds the same minimum
    h, x, _ = linear_chain(dims)
    graph = linearize_graph(h, x)
    assert optimal_order(graph)[1] == cost


# -- general graphs --------------------------------------------------------------------------


def random_value_graph(
    ops: list[tuple[int, int, int]], n_inputs: int, n_outputs: int
) -> tuple[list[Value], list[Value]]:
    """Inputs, then one node per op (kind, a, b picking earlier nodes); the last are outputs."""
    rng = np.random.default_rng(len(ops))
    nodes = [Value(float(v), label=f"x{i}") for i, v in enumerate(rng.uniform(-1, 1, n_inputs))]
    inputs = list(nodes)
    for kind, a, b in ops:
        p, q = nodes[a % len(nodes)], nodes[b % len(nodes)]
        node = [p + q, p * q, p.tanh(), p.sigmoid()][kind]
        nodes.append(node)
    return inputs, nodes[-n_outputs:]


graphs = st.tuples(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 50), st.integers(0, 50)), max_size=9),
    st.integers(1, 3),
    st.integers(1, 3),
)


@settings(max_examples=60, deadline=None)
@given(graphs)
def test_optimal_never_costs_more_and_all_orders_agree(spec: tuple) -> None:
    ops, n_in, n_out = spec
    inputs, outputs = random_value_graph(ops, n_in, min(n_out, len(ops) + n_in))
    results = {r.strategy: r for r in backprop.jacobian_all(outputs, inputs)}
    best_other = min(results[o].multiplications for o in ("forward", "reverse", "markowitz"))
    assert results["optimal"].multiplications <= best_other
    for r in results.values():
        np.testing.assert_allclose(r.value, results["reverse"].value, rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(graphs)
def test_optimal_is_the_minimum_over_every_order(spec: tuple) -> None:
    ops, n_in, n_out = spec
    inputs, outputs = random_value_graph(ops[:6], n_in, n_out)
    graph = linearize_graph(outputs, inputs)
    brute = min(
        (symbolic_cost(graph, p) for p in itertools.permutations(graph.intermediates)), default=0
    )
    order, cost, _ = optimal_order(graph)
    assert cost == brute == symbolic_cost(graph, order) == eliminate(graph, order)[1]


def test_value_jacobian_matches_torch() -> None:
    xs = [Value(v, label=f"x{i}") for i, v in enumerate([0.3, -1.2, 0.7])]
    u = xs[0] * xs[1] + xs[2].tanh()
    outs = [u * u, u.sigmoid() + xs[0], xs[2] * xs[1]]

    def f(t: torch.Tensor) -> torch.Tensor:
        u = t[0] * t[1] + torch.tanh(t[2])
        return torch.stack([u * u, torch.sigmoid(u) + t[0], t[2] * t[1]])

    ref = torch.autograd.functional.jacobian(f, torch.tensor([0.3, -1.2, 0.7], dtype=torch.float64))
    for order in backprop.ORDERS:
        r = backprop.jacobian(outs, xs, order=order)
        np.testing.assert_allclose(r.value, ref.numpy(), rtol=1e-12, atol=1e-14)


def test_tensor_jacobian_matches_torch() -> None:
    rng = np.random.default_rng(3)
    x0, w0, v0 = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(4,))
    x = mg.Tensor(x0, requires_grad=True)
    w = mg.Tensor(w0, requires_grad=True)
    h = (x @ w).tanh()
    out = (h * mg.Tensor(v0)).sum(axis=1) + (h**2).mean()

    def f(xt: torch.Tensor, wt: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(xt @ wt)
        return (h * torch.from_numpy(v0)).sum(dim=1) + (h**2).mean()

    jx, jw = torch.autograd.functional.jacobian(f, (torch.from_numpy(x0), torch.from_numpy(w0)))
    ref = np.concatenate([jx.reshape(2, -1).numpy(), jw.reshape(2, -1).numpy()], axis=1)
    for r in backprop.jacobian_all(out, [x, w]):
        assert r.value.shape == (2, 6 + 12)
        np.testing.assert_allclose(r.value, ref, rtol=1e-10, atol=1e-12)


def test_output_feeding_another_output_and_output_equal_to_input() -> None:
    x = Value(0.5, label="x")
    y = x * x
    z = y.tanh()
    for order in backprop.ORDERS:
        r = backprop.jacobian([y, z, x], [x], order=order)
        expected = [[2 * 0.5], [(1 - np.tanh(0.25) ** 2) * 2 * 0.5], [1.0]]
        np.testing.assert_allclose(r.value, expected, rtol=1e-14)


def test_unconnected_input_gives_a_zero_column() -> None:
    x, y = Value(1.0), Value(2.0)
    r = backprop.jacobian(x * 3.0, [x, y], order="markowitz")
    assert r.value.tolist() == [[3.0, 0.0]] and r.multiplications == 0


# -- the DP: limit and call counts -----------------------------------------------------------


def test_optimal_refuses_large_general_graphs_and_names_the_size() -> None:
    xs = [Value(float(i)) for i in range(3)]
    nodes = list(xs)
    for i in range(22):  # a non-chain graph with 21 intermediates
        nodes.append(nodes[-1] * nodes[-2] + nodes[i % 3])
    with pytest.raises(ValueError, match=r"q=\d+ intermediate.*markowitz"):
        backprop.jacobian(nodes[-1], xs, order="optimal")
    assert backprop.jacobian(nodes[-1], xs, order="markowitz").value.shape == (1, 3)


def test_long_chains_use_the_chain_dp_without_the_limit() -> None:
    h, x, _ = linear_chain([3, 4, 2] * 10)  # 29 matrices: beyond the subset DP's limit
    assert backprop.jacobian(h, x, order="optimal").multiplications == reference_chain_minimum(
        [3, 4, 2] * 10
    )


@pytest.mark.parametrize("q", [0, 1, 2, 3])
def test_dp_call_counts_with_and_without_memo_equal_their_predictions(q: int) -> None:
    x = Value(0.3)
    node = x
    for _ in range(q + 1):  # each step reads x again: a non-chain graph with q intermediates
        node = (node * x).tanh() if q else node * x
    out = node
    graph = linearize_graph(out, x)
    counts = dp_calls(graph)
    q_seen = counts["intermediates"]
    assert q_seen == (2 * q + 1 if q else 0)
    assert counts["calls_without_memo"] == counts["predicted_without_memo"]
    assert counts["calls_with_memo"] == counts["predicted_with_memo"] == 2**q_seen
    assert counts["memo_hits"] == counts["predicted_memo_hits"]
    if q_seen >= 3:
        assert counts["calls_with_memo"] < counts["calls_without_memo"]


def test_bad_arguments_are_refused_clearly() -> None:
    x = Value(1.0)
    with pytest.raises(ValueError, match="order"):
        backprop.jacobian(x * 2.0, x, order="sideways")
    with pytest.raises(ValueError, match=r"wrt\[0\]` does not require grad"):
        backprop.jacobian(x * 2.0, Value(1.0, requires_grad=False))
    with pytest.raises(TypeError, match="wrt"):
        backprop.jacobian(x * 2.0, [3.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="one engine"):
        backprop.jacobian(x * 2.0, mg.Tensor([1.0], requires_grad=True))
    with pytest.raises(ValueError, match="twice"):
        backprop.jacobian(x * 2.0, [x, x])


@pytest.mark.parametrize(
    "name",
    [
        "memograd.backprop._lcg",
        "memograd.backprop._elimination",
        "memograd.backprop._jacobian",
        "memograd.backprop._jacobian_study",
    ],
)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
