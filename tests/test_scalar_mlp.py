"""`mg.scalar.MLP`: lesson names, graph structure, gradients against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import memograd as mg
from memograd.graph import topological_order
from memograd.scalar import MLP, Value


def test_lesson_names_and_lookup() -> None:
    net = MLP([2, 2, 2, 1], seed=0)
    w = net.weight(1, 2, 1)
    assert w.label == "w¹₂₁" and net["w1_21"] is w
    assert net.bias(2, 2).label == "b₂₂" and net["b2_2"] is net.bias(2, 2)
    assert [n for n, _ in net.named_parameters()][:6] == [
        "w1_11",
        "w1_21",
        "b1_1",
        "w1_12",
        "w1_22",
        "b1_2",
    ]
    assert len(net.parameters()) == 2 * 3 + 2 * 3 + 1 * 3
    big = MLP([12, 3], seed=0)
    assert big["w1_12_3"].label == "w¹₁₂,₃"
    with pytest.raises(KeyError, match="w1_11"):
        net["x1"]
    with pytest.raises(IndexError, match="Received: i=3"):
        net.weight(1, 3, 1)


def test_forward_labels_and_structure() -> None:
    net = MLP([2, 2, 2, 1], activation="tanh", seed=0)
    loss = net.loss([0.5, -1.0], 1.0)
    assert loss.label == "L" and loss.op == "squared_error"
    (y_hat,) = loss._parents
    assert y_hat.label == "ŷ" and y_hat.op == "tanh"
    (z,) = y_hat._parents
    assert z.op == "weighted_sum" and z.label == "z₃₁"
    labels = [p.label for p in z._parents]
    assert labels == ["w³₁₁", "o₂₁", "w³₂₁", "o₂₂", "b₃₁"]
    # 15 parameters, 2 nodes per neuron (5 neurons), the loss
    assert len(topological_order(loss)) == 15 + 10 + 1


def test_linear_output_has_no_activation_node_and_multi_output() -> None:
    net = MLP([3, 4, 2], activation="relu", output_activation="linear", seed=3)
    out = net([1.0, 2.0, 3.0])
    assert isinstance(out, list) and [o.label for o in out] == ["ŷ₁", "ŷ₂"]
    assert all(o.op == "weighted_sum" for o in out)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "linear"])
def test_gradients_match_torch(activation: str) -> None:
    torch = pytest.importorskip("torch")
    sizes = [3, 4, 3, 2]
    net = MLP(sizes, activation=activation, seed=7)
    x, y = [0.3, -1.2, 0.8], [0.5, -0.25]
    loss = net.loss(x, y)
    loss.backward()
    act = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "linear": lambda t: t,
    }[activation]
    h = torch.tensor(x, dtype=torch.float64)
    params = []
    for layer in range(1, len(sizes)):
        w = torch.tensor(
            [
                [net.weight(layer, i, j).data for j in range(1, sizes[layer] + 1)]
                for i in range(1, sizes[layer - 1] + 1)
            ],
            dtype=torch.float64,
            requires_grad=True,
        )
        b = torch.tensor(
            [net.bias(layer, j).data for j in range(1, sizes[layer] + 1)],
            dtype=torch.float64,
            requires_grad=True,
        )
        params.append((w, b))
        h = act(h @ w + b)
    ref = ((torch.tensor(y, dtype=torch.float64) - h) ** 2).sum()
    ref.backward()
    assert loss.data == pytest.approx(ref.item(), rel=1e-13)
    for layer, (w, b) in enumerate(params, 1):
        for i in range(1, sizes[layer - 1] + 1):
            for j in range(1, sizes[layer] + 1):
                assert net.weight(layer, i, j).grad == pytest.approx(
                    w.grad[i - 1, j - 1].item(), rel=1e-12, abs=1e-15
                )
        for j in range(1, sizes[layer] + 1):
            assert net.bias(layer, j).grad == pytest.approx(b.grad[j - 1].item(), abs=1e-15)


def test_seeded_init_and_zero_grad() -> None:
    a, b, c = MLP([2, 3, 1], seed=1), MLP([2, 3, 1], seed=1), MLP([2, 3, 1], seed=2)
    data = [p.data for p in a.parameters()]
    assert data == [p.data for p in b.parameters()]
    assert data != [p.data for p in c.parameters()]
    a.loss([1.0, 1.0], 0.0).backward()
    assert any(p.grad != 0.0 for p in a.parameters())
    a.zero_grad()
    assert all(p.grad == 0.0 for p in a.parameters())


def test_init_follows_the_documented_distributions() -> None:
    # weights ~ N(0, 1/fan_in), biases ~ N(0, 0.1²); 2000 draws each put the sample std
    # within about 1.6% (one standard error) of its target, so 6% is a 4-sigma band.
    width = 2000
    net = MLP([1, width, 1], seed=3)
    first = np.array([net.weight(1, 1, j).data for j in range(1, width + 1)])
    biases = np.array([net.bias(1, j).data for j in range(1, width + 1)])
    second = np.array([net.weight(2, i, 1).data for i in range(1, width + 1)])
    assert first.std() == pytest.approx(1.0, rel=0.06)  # fan_in = 1
    assert second.std() == pytest.approx(1 / np.sqrt(width), rel=0.06)  # fan_in = width
    assert biases.std() == pytest.approx(0.1, rel=0.06)
    assert abs(first.mean()) < 4 / np.sqrt(width)
    assert abs(second.mean()) < 4 / width
    assert abs(biases.mean()) < 0.4 / np.sqrt(width)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sizes": [2]}, "at least two positive integers"),
        ({"sizes": [2, 0]}, r"Received: sizes=\[2, 0\]"),
        ({"sizes": [2, 1.5]}, "positive integers"),
        ({"sizes": [2, 1], "activation": "softplus"}, "Received: activation='softplus'"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        MLP(**kwargs)  # type: ignore[arg-type]


def test_wrong_number_of_inputs() -> None:
    with pytest.raises(ValueError, match="expects 2 inputs"):
        MLP([2, 1])([1.0])


def test_inputs_may_be_values() -> None:
    x = [Value(0.5), Value(-0.5)]
    out = MLP([2, 2, 1], seed=0)(x)
    assert isinstance(out, Value)
    out.backward()
    assert all(v.grad != 0.0 for v in x)
    assert mg.scalar.MLP is MLP
