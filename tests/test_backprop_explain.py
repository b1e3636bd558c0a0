"""`backprop.explain`: the lesson's two-path formula, repeated factors, refusals."""

from __future__ import annotations

import math

import pytest

from memograd.backprop import explain
from memograd.backprop._explain import to_latex
from memograd.scalar import MLP, Value

TWO_PATHS = "∂L/∂w¹₁₁ = ∂L/∂ŷ · [∂ŷ/∂o₂₁ · ∂o₂₁/∂o₁₁ + ∂ŷ/∂o₂₂ · ∂o₂₂/∂o₁₁] · ∂o₁₁/∂w¹₁₁"


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "linear"])
def test_two_path_formula_on_2221(activation: str) -> None:
    net = MLP([2, 2, 2, 1], activation=activation, seed=0)
    loss = net.loss([0.5, -1.0], 1.0)
    e = explain(loss, wrt=net["w1_11"])
    assert e.text == TWO_PATHS
    assert e.paths == [
        ["∂L/∂ŷ", "∂ŷ/∂o₂₁", "∂o₂₁/∂o₁₁", "∂o₁₁/∂w¹₁₁"],
        ["∂L/∂ŷ", "∂ŷ/∂o₂₂", "∂o₂₂/∂o₁₁", "∂o₁₁/∂w¹₁₁"],
    ]
    assert e.repeated == [("∂L/∂ŷ", 2), ("∂o₁₁/∂w¹₁₁", 2)]
    assert e.shared_adjoints == [("∂L/∂ŷ", 2), ("∂L/∂o₁₁", 2)]
    loss.backward()
    assert e.value == pytest.approx(net["w1_11"].grad, rel=1e-12, abs=1e-15)
    assert sum(e.path_values) == e.value


def test_latex_and_expanded_forms() -> None:
    net = MLP([2, 2, 2, 1], seed=0)
    e = explain(net.loss([0.5, -1.0], 1.0), wrt=net["w1_11"])
    assert e.latex == (
        r"\frac{\partial L}{\partial w^{1}_{11}} = \frac{\partial L}{\partial \hat{y}} \cdot "
        r"\left[ \frac{\partial \hat{y}}{\partial o_{21}} \cdot "
        r"\frac{\partial o_{21}}{\partial o_{11}} + \frac{\partial \hat{y}}{\partial o_{22}} "
        r"\cdot \frac{\partial o_{22}}{\partial o_{11}} \right] \cdot "
        r"\frac{\partial o_{11}}{\partial w^{1}_{11}}"
    )
    assert e.expanded == (
        "∂L/∂w¹₁₁ = ⟨∂L/∂ŷ⟩ · ∂ŷ/∂o₂₁ · ∂o₂₁/∂o₁₁ · ⟨∂o₁₁/∂w¹₁₁⟩"
        " + ⟨∂L/∂ŷ⟩ · ∂ŷ/∂o₂₂ · ∂o₂₂/∂o₁₁ · ⟨∂o₁₁/∂w¹₁₁⟩"
    )
    assert e.expanded_latex.count(r"\underline{") == 4
    assert "2 path(s)" in str(e) and "stored once by the memo" in str(e)


def test_single_path_for_a_last_layer_weight() -> None:
    net = MLP([2, 2, 2, 1], seed=0)
    e = explain(net.loss([0.5, -1.0], 1.0), wrt=net["w3_21"])
    assert e.text == "∂L/∂w³₂₁ = ∂L/∂ŷ · ∂ŷ/∂w³₂₁"
    assert e.repeated == [] and e.shared_adjoints == []


def test_lesson_second_layer_formula() -> None:
    # the lesson's ∂L/∂w²₁₁ = ∂L/∂ŷ · ∂ŷ/∂o₂₁ · ∂o₂₁/∂w²₁₁
    net = MLP([2, 2, 2, 1], seed=0)
    e = explain(net.loss([0.5, -1.0], 1.0), wrt=net["w2_11"])
    assert e.text == "∂L/∂w²₁₁ = ∂L/∂ŷ · ∂ŷ/∂o₂₁ · ∂o₂₁/∂w²₁₁"


def test_deeper_network_counts_shared_factors() -> None:
    net = MLP([2, 2, 2, 2, 1], seed=1)
    loss = net.loss([0.3, 0.7], 0.0)
    e = explain(loss, wrt=net["w1_11"])
    assert len(e.paths) == 4
    assert dict(e.repeated)["∂L/∂ŷ"] == 4
    assert dict(e.shared_adjoints)["∂L/∂o₂₁"] == 2
    loss.backward()
    assert e.value == pytest.approx(net["w1_11"].grad, rel=1e-12)


def test_refuses_beyond_max_paths() -> None:
    net = MLP([2, 4, 4, 4, 4, 1], seed=0)
    loss = net.loss([0.1, 0.2], 1.0)
    with pytest.raises(ValueError, match=r"sum over 64 paths here, more than max_paths=32"):
        explain(loss, wrt=net["w1_11"], max_paths=32)
    assert len(explain(loss, wrt=net["w1_11"]).paths) == 64


def test_unconnected_and_unlabelled_graphs() -> None:
    a, b = Value(2.0), Value(5.0)
    y = (a * a).tanh() + a
    with pytest.raises(ValueError, match="does not reach"):
        explain(y, wrt=b)
    e = explain(y, wrt=a)  # no labels: only the endpoints are named, routes collapsed
    assert e.text == "∂L/∂w = ∂L/∂w"
    assert e.value == pytest.approx(2 * 2.0 * (1 - math.tanh(4.0) ** 2) + 1)


def test_to_latex() -> None:
    assert to_latex("w¹₁₁") == "w^{1}_{11}"
    assert to_latex("ŷ₂") == r"\hat{y}_{2}"
    assert to_latex("w¹²₁,₁₀") == "w^{12}_{1,10}"
    assert to_latex("L") == "L"
