"""Backprop strategies: same gradients, counts equal to predictions and closed forms, budgets."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import memograd as mg
from memograd import backprop
from memograd.backprop import (
    ALL_STRATEGIES,
    STRATEGIES,
    compare,
    mlp_graph_size,
    mlp_work,
    paths_to_loss,
)
from memograd.graph import topological_order
from memograd.scalar import MLP, Value, value_sum, weighted_sum


def mlp_loss(
    sizes: list[int], activation: str = "sigmoid", output: str | None = None, seed: int = 0
) -> tuple[MLP, Value]:
    net = MLP(sizes, activation=activation, output_activation=output, seed=seed)
    rng = np.random.default_rng(seed + 100)
    x = rng.uniform(-1, 1, size=sizes[0]).tolist()
    y = rng.uniform(0, 1, size=sizes[-1]).tolist()
    return net, net.loss(x, y)


def assert_all_agree(results: list[backprop.StrategyResult], tol: float = 1e-10) -> None:
    ran = [r for r in results if r.grads is not None]
    assert len(ran) >= 2, [r.name for r in results]  # agreement of one strategy says nothing
    reference = ran[-1].grads
    assert reference is not None
    scale = max(1.0, max(abs(g) for g in reference))
    for r in ran:
        assert r.grads is not None
        for a, b in zip(r.grads, reference, strict=True):
            assert abs(a - b) <= tol * scale, r.name


@pytest.mark.parametrize("sizes", [[2, 2, 2, 1], [3, 4, 3, 2], [2, 3, 3, 3, 1], [1, 1]])
@pytest.mark.parametrize(("activation", "output"), [("sigmoid", None), ("relu", "linear")])
def test_strategies_agree_and_counts_match_closed_forms(
    sizes: list[int], activation: str, output: str | None
) -> None:
    net, loss = mlp_loss(sizes, activation, output)
    results = compare(loss, net.parameters(), strategies=ALL_STRATEGIES)
    assert [r.name for r in results] == [*STRATEGIES, "forward"]
    assert_all_agree(results)
    closed = mlp_work(sizes, activation, output)  # forward's too: one sweep per parameter
    for r in results:
        assert r.counts == r.predicted  # counted while running == predicted from the graph
        assert r.counts == closed[r.name]  # == the closed forms of the module docstring
        assert r.seconds is not None and r.seconds >= 0 and not r.refused


@pytest.mark.parametrize("seed", range(4))
def test_strategies_agree_with_plain_backward_on_random_mlps(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 5, size=int(rng.integers(3, 5))).tolist()
    act = ["sigmoid", "tanh", "relu", "linear"][seed]
    net, loss = mlp_loss(sizes, act, seed=seed)
    results = compare(loss, net.parameters())
    assert_all_agree(results)
    loss.backward()
    for r in results:
        assert r.grads is not None
        for g, p in zip(r.grads, net.parameters(), strict=True):
            assert g == pytest.approx(p.grad, rel=1e-10, abs=1e-12)


def test_graph_size_matches_the_built_graph() -> None:
    for sizes, act in (([2, 2, 2, 1], "sigmoid"), ([3, 5, 2], "linear"), ([4, 3, 3, 3], "tanh")):
        _, loss = mlp_loss(sizes, act)
        order = topological_order(loss)
        size = mlp_graph_size(sizes, act)
        assert size["nodes"] == len(order)
        assert size["edges"] == sum(len(n._parents) for n in order)
        stats = loss.backward()
        assert (stats.nodes, stats.edges) == (size["nodes"], size["edges"])


def test_paths_to_loss_is_the_product_of_later_widths() -> None:
    assert paths_to_loss([2, 2, 2, 1], layer=1) == 2
    assert paths_to_loss([4, 8, 8, 8, 1], layer=1) == 64
    assert paths_to_loss([4, 8, 8, 8, 1], layer=4) == 1
    # and the path strategy enumerates exactly that many for one weight
    net, loss = mlp_loss([3, 3, 4, 2])
    (r,) = compare(loss, [net["w1_11"]], strategies=["paths"])
    assert r.counts is not None and r.counts.paths == paths_to_loss([3, 3, 4, 2], 1) == 8
    with pytest.raises(ValueError, match=r"expected 1\.\.3"):
        paths_to_loss([3, 3, 4, 2], layer=0)


def test_memo_hits_equal_sweep_reuses() -> None:
    net, loss = mlp_loss([3, 4, 4, 2])
    results = {r.name: r for r in compare(loss, net.parameters(), ["memoized", "reverse"])}
    stats = loss.backward(retain_graph=True)
    memo, rev = results["memoized"].counts, results["reverse"].counts
    assert memo is not None and rev is not None
    assert memo.memo_hits == rev.memo_hits == stats.adjoint_reuses > 0
    assert memo.multiplications == rev.multiplications == stats.edges


def test_reverse_strategy_restores_existing_grads() -> None:
    net, loss = mlp_loss([2, 2, 1])
    for p in net.parameters():
        p.grad = 5.0
    compare(loss, net.parameters(), ["reverse"])
    assert all(p.grad == 5.0 for p in net.parameters())


def test_subset_of_wrt_memoized_touches_only_what_it_needs() -> None:
    net, loss = mlp_loss([2, 3, 3, 1])
    (memo, rev) = compare(loss, [net["w3_11"]], ["memoized", "reverse"])
    assert memo.counts is not None and rev.counts is not None
    # top-down DP solves only the subproblems on the way from w³₁₁ to L; the sweep does all
    assert memo.counts.adjoint_evaluations == 4  # w³₁₁, z₃₁, ŷ, L
    assert rev.counts.adjoint_evaluations == len(topological_order(loss))
    assert memo.grads == pytest.approx(rev.grads)


def test_budget_refuses_before_running_and_returns_the_prediction() -> None:
    net, loss = mlp_loss([8] * 13 + [1])  # 12 hidden layers of width 8
    results = compare(loss, net.parameters(), budget=100_000)
    by_name = {r.name: r for r in results}
    for name in ("paths", "recursive"):
        r = by_name[name]
        assert r.refused and r.grads is None and r.counts is None
        assert r.predicted.paths == mlp_work([8] * 13 + [1])[name].paths
        assert r.predicted.multiplications > 8**11
    assert not by_name["reverse"].refused and not by_name["memoized"].refused
    assert_all_agree(results)


def test_deep_chain_does_not_hit_the_recursion_limit() -> None:
    x = Value(0.3)
    y = x
    for _ in range(10_000):  # 30,000 levels: the recursions run in memo's deep thread
        y = (y * 0.5 + 0.25).tanh()
    results = compare(y, [x])
    assert_all_agree(results)
    for r in results:
        assert r.counts is not None and r.counts.paths == 1
        assert r.counts == r.predicted


def test_wrt_not_connected_gives_zero() -> None:
    a, b = Value(1.0), Value(2.0)
    loss = a * 3.0
    for r in compare(loss, [a, b]):
        assert r.grads == [3.0, 0.0]


def test_argument_errors() -> None:
    net, loss = mlp_loss([2, 2, 1])
    with pytest.raises(ValueError, match="Received: strategies=\\['fast'\\]"):
        compare(loss, net.parameters(), strategies=["fast"])
    with pytest.raises(ValueError, match="budget"):
        compare(loss, net.parameters(), budget=0)
    with pytest.raises(TypeError, match="wrt\\[1\\] of type float"):
        compare(loss, [net["w1_11"], 3.0])  # type: ignore[list-item]
    interior = loss._parents[0]
    with pytest.raises(ValueError, match="interior node"):
        compare(loss, [interior])
    # interior nodes are fine for the top-down strategies
    (r,) = compare(loss, [interior], strategies=["memoized"])
    assert r.grads is not None and r.grads[0] == pytest.approx(loss._local_derivatives()[0])


@st.composite
def expression_dags(draw: st.DrawFn) -> tuple[Value, list[Value]]:
    """Random DAGs of Values with fan-out: each op draws its operands from earlier nodes."""
    n_leaves = draw(st.integers(1, 4))
    leaves = [Value(draw(st.floats(-1.5, 1.5))) for _ in range(n_leaves)]
    nodes: list[Value] = list(leaves)
    for _ in range(draw(st.integers(1, 14))):
        pick = st.sampled_from(nodes)
        op = draw(st.sampled_from(["add", "mul", "sub", "tanh", "sigmoid", "sq", "ws", "sum"]))
        a, b = draw(pick), draw(pick)
        if op == "add":
            out = a + b
        elif op == "mul":
            out = (a * b).tanh()  # keep values bounded
        elif op == "sub":
            out = a - 0.5 * b
        elif op == "tanh":
            out = a.tanh()
        elif op == "sigmoid":
            out = a.sigmoid()
        elif op == "sq":
            out = (a**2).sigmoid()
        elif op == "ws":
            out = weighted_sum([a, b], [b, 0.7], a).tanh()
        else:
            out = value_sum([a, b, a, 1.0])
        nodes.append(out)
    root = value_sum(nodes[n_leaves:])
    return root, leaves


@settings(max_examples=40, deadline=None)
@given(expression_dags())
def test_strategies_agree_on_random_expression_dags(dag: tuple[Value, list[Value]]) -> None:
    root, leaves = dag
    results = compare(root, leaves, budget=200_000)
    assert not results[-1].refused
    assert_all_agree(results)
    for r in results:
        if r.counts is not None:
            assert r.counts == r.predicted
    memo, rev = results[2].counts, results[3].counts
    assert memo is not None and rev is not None
    reachable = [leaf for leaf in leaves if any(leaf is n for n in topological_order(root))]
    if len(reachable) == len(leaves):  # wrt = every leaf: both memo tables are complete
        assert memo.memo_hits == rev.memo_hits


def test_adjoint_table_rows() -> None:
    net, loss = mlp_loss([2, 2, 2, 1])
    rows = backprop.adjoint_table(loss)
    stats = loss.backward(retain_graph=True)
    assert rows[0].name == "L" and rows[0].adjoint == 1.0
    assert sum(r.reuses for r in rows) == stats.adjoint_reuses
    by_name = {r.name: r for r in rows}
    for name, p in net.named_parameters():
        assert by_name[p.label].adjoint == pytest.approx(p.grad, rel=1e-12, abs=1e-15), name
    assert by_name["o₁₁"].paths == 2 and by_name["o₁₁"].reads == 1
    assert by_name["ŷ"].reads == 1 and by_name["z₃₁"].reads == 5
    assert by_name["o₁₁"].value == pytest.approx(1 / (1 + math.exp(-by_name["z₁₁"].value)))


def test_predict_work_matches_compare() -> None:
    net, loss = mlp_loss([2, 3, 2, 1])
    predicted = backprop.predict_work(loss, net.parameters())
    for r in compare(loss, net.parameters()):
        assert predicted[r.name] == r.counts


def test_backprop_is_exported() -> None:
    assert mg.backprop is backprop
    assert callable(mg.backprop.compare)


def test_run_deep_extends_the_limit_beyond_the_memo_default() -> None:
    import sys

    from memograd.backprop._strategies import _run_deep
    from memograd.memo import DEEP_RECURSION_LIMIT

    def down(n: int) -> int:
        return 0 if n == 0 else 1 + down(n - 1)

    depth = DEEP_RECURSION_LIMIT + 20_000  # more frames than memo.run_deep alone allows
    limit = sys.getrecursionlimit()
    assert _run_deep(lambda: {0: down(depth)}, depth) == {0: depth}
    assert sys.getrecursionlimit() == limit
