"""The cheap-gradient principle, measured (backprop.cheap_gradient): reverse mode costs a
small constant times one loss evaluation, within Griewank and Walther's bound of about 4–5,
on the lesson's networks; forward mode costs about n evaluations (one sweep per parameter).
Counts only: the times are reported, never asserted."""

from __future__ import annotations

import math

import numpy as np
import pytest

import memograd as mg
from memograd import backprop
from memograd.backprop._cheap_gradient import (
    GW_BOUND,
    evaluation_multiplications,
    tensor_loss,
)


class Counted(float):
    """A float that counts the multiplications and divisions done with it (one shared tally)."""

    tally = 0

    def __mul__(self, o: float) -> Counted:
        Counted.tally += 1
        return Counted(float(self) * float(o))

    __rmul__ = __mul__

    def __rtruediv__(self, o: float) -> Counted:
        Counted.tally += 1
        return Counted(float(o) / float(self))

    def __add__(self, o: float) -> Counted:
        return Counted(float(self) + float(o))

    __radd__ = __add__

    def __sub__(self, o: float) -> Counted:
        return Counted(float(self) - float(o))

    def __neg__(self) -> Counted:
        return Counted(-float(self))


def _counted_loss(net: mg.scalar.MLP, x: list[float], y: list[float]) -> tuple[float, int]:
    """L evaluated in plain arithmetic on counting floats: its value and multiplications."""
    Counted.tally = 0
    o = [Counted(v) for v in x]
    for layer in range(1, net.depth + 1):
        act = net.layer_activation(layer)
        nxt = []
        for j in range(1, net.sizes[layer] + 1):
            z = Counted(net.bias(layer, j).data)
            for i in range(1, net.sizes[layer - 1] + 1):
                z = z + Counted(net.weight(layer, i, j).data) * o[i - 1]
            if act == "sigmoid":
                z = 1.0 / (1.0 + Counted(math.exp(-float(z))))
            elif act == "tanh":
                z = Counted(math.tanh(float(z)))
            elif act == "relu":
                z = Counted(max(float(z), 0.0))
            nxt.append(z)
        o = nxt
    loss = Counted(0.0)
    for y_k, yhat in zip(y, o, strict=True):
        d = Counted(y_k) - yhat
        loss = loss + d * d
    return float(loss), Counted.tally


def _counted_local_derivatives(net: mg.scalar.MLP, x: list[float], y: list[float]) -> int:
    """The multiplications of every local derivative of L, written out on counting floats:
    σ' = s·(1 − s), tanh' = 1 − t², relu' and linear' by comparison only, and ∂L/∂ŷ = 2(ŷ − y)."""
    o = [float(v) for v in x]
    Counted.tally = 0
    for layer in range(1, net.depth + 1):
        act = net.layer_activation(layer)
        nxt = []
        for j in range(1, net.sizes[layer] + 1):
            z = net.bias(layer, j).data + sum(
                net.weight(layer, i, j).data * o[i - 1] for i in range(1, net.sizes[layer - 1] + 1)
            )
            if act == "sigmoid":
                out = Counted(1.0 / (1.0 + math.exp(-z)))
                _ = out * (1.0 - out)
            elif act == "tanh":
                out = Counted(math.tanh(z))
                _ = 1.0 - out * out
            else:
                out = Counted(max(z, 0.0) if act == "relu" else z)
            nxt.append(float(out))
        o = nxt
    for y_k, yhat in zip(y, o, strict=True):
        _ = 2.0 * (Counted(yhat) - y_k)
    return Counted.tally


@pytest.mark.parametrize("widths", [[2, 2, 2, 1], [3, 4, 2], [2, 5, 3, 2]])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "linear"])
def test_the_evaluation_count_is_what_running_the_loss_multiplies(widths, activation):
    net = mg.scalar.MLP(widths, activation=activation, seed=1)
    x, y = [0.3, -0.7, 0.2][: widths[0]], [0.5, 0.1][: widths[-1]]
    value, multiplications = _counted_loss(net, x, y)
    assert value == pytest.approx(net.loss(x, y).data, rel=1e-12)
    assert multiplications == evaluation_multiplications(widths, activation)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_reverse_mode_is_within_the_griewank_walther_bound_on_the_lesson_networks(activation):
    for row in backprop.cheap_gradient_study(activation=activation, repeats=1):
        widths = list(row.widths)
        swept = backprop.mlp_work(widths, activation)["reverse"].multiplications
        assert row.reverse == row.evaluation + row.local_derivatives + swept
        net = mg.scalar.MLP(widths, activation=activation, seed=0)
        x, y = [0.3] * widths[0], [0.5] * widths[-1]
        assert row.local_derivatives == _counted_local_derivatives(net, x, y)
        # the constant: about 3 here, never above G-W's 4-5, whatever the size
        assert 2.0 <= row.reverse_ratio <= GW_BOUND, (widths, row.reverse_ratio)
        # the forward strategy, one sweep per parameter, costs more than reverse
        assert row.forward_ratio > row.reverse_ratio


def test_forward_mode_costs_about_n_evaluations():
    for row in backprop.cheap_gradient_study(repeats=1):
        # one real forward sweep per parameter, each carrying a tangent through every op of
        # the evaluation: the work is n evaluations' worth of JVP rules
        assert row.forward_sweeps == row.parameters
        assert row.forward_jvp_rules == row.parameters * row.evaluation_ops


def test_the_tensor_network_is_the_lessons_mlp():
    net = mg.scalar.MLP([2, 3, 2], activation="tanh", seed=3)
    x, y = [0.1, -0.4], [0.3, 0.9]
    f, theta = tensor_loss(net, x, y)
    loss = net.loss(x, y)
    loss.backward()
    grads = np.array([p.grad for p in net.parameters()])
    assert float(f(mg.Tensor(theta)).data) == pytest.approx(loss.data, rel=1e-14)
    np.testing.assert_allclose(mg.grad(f)(theta), grads, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(mg.jacfwd(f)(theta), grads, rtol=1e-12, atol=1e-15)
