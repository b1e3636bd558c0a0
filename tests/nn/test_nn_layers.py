"""Layers, activations, initializers and the Module base."""

from __future__ import annotations

import numpy as np
import pytest

import memograd as mg
from memograd.nn import activations, initializers


def _x(rows: int = 5, cols: int = 4, dtype: type = np.float64, seed: int = 0) -> mg.Tensor:
    return mg.Tensor(np.random.default_rng(seed).standard_normal((rows, cols)).astype(dtype))


# -- Dense -----------------------------------------------------------------------------------


def test_dense_builds_lazily_from_first_input() -> None:
    layer = mg.nn.Dense(3)
    assert not layer.built and layer.parameters() == []
    y = layer(_x(5, 4, np.float32))
    assert layer.built and y.shape == (5, 3)
    assert layer.kernel is not None and layer.kernel.shape == (4, 3)
    assert layer.bias is not None and layer.bias.shape == (3,)
    assert layer.kernel.dtype == np.float32 and layer.kernel.requires_grad
    assert [name for name, _ in layer.named_parameters()] == ["kernel", "bias"]
    assert layer.count_params() == 4 * 3 + 3


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "sigmoid", "tanh", "softmax", None])
def test_dense_forward_matches_numpy(activation: str | None) -> None:
    x = _x()
    layer = mg.nn.Dense(6, activation=activation, seed=3)
    y = layer(x).data
    assert layer.kernel is not None and layer.bias is not None
    z = x.data @ layer.kernel.data + layer.bias.data
    expected = {
        "relu": np.maximum(z, 0),
        "leaky_relu": np.where(z > 0, z, 0.01 * z),
        "sigmoid": 1 / (1 + np.exp(-z)),
        "tanh": np.tanh(z),
        "softmax": np.exp(z) / np.exp(z).sum(axis=1, keepdims=True),
        None: z,
    }[activation]
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("activation", ["relu", "tanh", "leaky_relu", "softmax"])
def test_dense_gradients_match_finite_differences(activation: str) -> None:
    layer = mg.nn.Dense(3, activation=activation, seed=1)
    x = _x(4, 2)
    layer(x)  # build
    assert layer.kernel is not None and layer.bias is not None
    weights = (layer.kernel.data * 1.0, layer.bias.data * 1.0)
    probe = np.random.default_rng(2).standard_normal((4, 3))

    def f(kernel: mg.Tensor, bias: mg.Tensor) -> mg.Tensor:
        fresh = mg.nn.Dense(3, activation=activation)
        fresh.ensure_built((None, 2))
        fresh._params["kernel"], fresh._params["bias"] = kernel, bias
        fresh.kernel, fresh.bias = kernel, bias
        return (fresh(x) * probe).sum()

    mg.gradcheck(f, weights[0], weights[1])


def test_dense_initialisation_he_for_relu_glorot_otherwise() -> None:
    x = mg.Tensor(np.zeros((1, 400), dtype=np.float32))
    relu = mg.nn.Dense(300, activation="relu", seed=0)
    relu(x)
    tanh = mg.nn.Dense(300, activation="tanh", seed=0)
    tanh(x)
    assert relu.kernel is not None and tanh.kernel is not None
    assert relu.kernel.data.std() == pytest.approx(np.sqrt(2 / 400), rel=0.03)
    assert tanh.kernel.data.std() == pytest.approx(np.sqrt(2 / 700), rel=0.03)
    assert np.abs(tanh.kernel.data).max() <= np.sqrt(6 / 700)
    assert relu.bias is not None and not relu.bias.data.any()


def test_dense_seed_determines_weights() -> None:
    def weights(seed: int) -> np.ndarray:
        layer = mg.nn.Dense(5, seed=seed)
        layer(_x())
        assert layer.kernel is not None
        return layer.kernel.data

    assert np.array_equal(weights(7), weights(7))
    assert not np.array_equal(weights(7), weights(8))


def test_dense_errors() -> None:
    with pytest.raises(
        ValueError, match=r"`units`, expected a positive integer. Received: units=0"
    ):
        mg.nn.Dense(0)
    with pytest.raises(ValueError, match=r"units=2\.5"):
        mg.nn.Dense(2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"activation function identifier: 'rleu'.*'relu'"):
        mg.nn.Dense(3, activation="rleu")
    with pytest.raises(ValueError, match="initializer identifier"):
        mg.nn.Dense(3, kernel_initializer="bogus")
    with pytest.raises(ValueError, match="`seed`"):
        mg.nn.Dense(3, seed=-1)
    with pytest.raises(ValueError, match="dtype"):
        mg.nn.Dense(3, dtype="float16")
    layer = mg.nn.Dense(3)
    layer(_x(2, 4))
    with pytest.raises(ValueError, match=r"expected axis -1 of the input shape to have value 4"):
        layer(_x(2, 5))


# -- Dropout, Normalization ----------------------------------------------------------------------


def test_dropout_inverted_scaling_and_eval_identity() -> None:
    drop = mg.nn.Dropout(0.25, seed=0)
    x = mg.Tensor(np.ones((200, 50)))
    y = drop(x).data
    kept = y != 0
    assert np.allclose(y[kept], 1 / 0.75)
    assert kept.mean() == pytest.approx(0.75, abs=0.02)
    drop.eval()
    assert drop(x) is x
    drop.train()
    assert not np.array_equal(drop(x).data, y)  # a fresh mask each call


def test_dropout_gradient_is_the_mask() -> None:
    drop = mg.nn.Dropout(0.5, seed=1)
    x = mg.Tensor(np.ones((4, 6)), requires_grad=True)
    y = drop(x)
    y.sum().backward()
    assert np.array_equal(x.grad, y.data)


def test_dropout_reseed_repeats_masks() -> None:
    drop = mg.nn.Dropout(0.5, seed=4)
    x = mg.Tensor(np.ones((3, 8)))
    drop._reseed(2)
    first = drop(x).data
    drop._reseed(2)
    assert np.array_equal(first, drop(x).data)
    with pytest.raises(ValueError, match=r"`rate`, expected a number in \[0, 1.0\)"):
        mg.nn.Dropout(1.0)


def test_normalization_adapts_and_saves_as_buffers() -> None:
    data = np.array([[1.0, 10.0, 3.0], [3.0, 30.0, 3.0]])
    norm = mg.nn.Normalization()
    norm.adapt(data)
    out = norm(mg.Tensor(data.astype(np.float32))).data
    np.testing.assert_allclose(out, [[-1, -1, 0], [1, 1, 0]], atol=1e-6)
    assert norm.parameters() == []
    assert set(norm.state_dict()) == {"mean", "scale"}
    assert norm.count_params() == 6 and norm.count_trainable_params() == 0


# -- Module state --------------------------------------------------------------------------------


def test_state_dict_round_trip_and_checks() -> None:
    model = mg.nn.Sequential([mg.nn.Dense(4, activation="relu"), mg.nn.Dense(2)])
    model.build((None, 3))
    state = model.state_dict()
    assert list(state) == ["0.kernel", "0.bias", "1.kernel", "1.bias"]
    other = mg.nn.Sequential([mg.nn.Dense(4, activation="relu"), mg.nn.Dense(2)], seed=9)
    other.build((None, 3))
    assert not np.array_equal(other.state_dict()["0.kernel"], state["0.kernel"])
    kernel = other.parameters()[0]
    other.load_state_dict(state)
    assert other.parameters()[0] is kernel  # copied in place: optimizers keep their references
    assert all(np.array_equal(a, state[k]) for k, a in other.state_dict().items())
    with pytest.raises(ValueError, match=r"missing \['1.bias'\]"):
        other.load_state_dict({k: v for k, v in state.items() if k != "1.bias"})
    with pytest.raises(ValueError, match=r"Shape mismatch for '0.kernel'"):
        other.load_state_dict({**state, "0.kernel": np.zeros((2, 2))})
    with pytest.raises(ValueError, match="expects 4 weight arrays"):
        other.set_weights(other.get_weights()[:3])


def test_train_eval_modes_propagate_and_zero_grad() -> None:
    model = mg.nn.Sequential([mg.nn.Dense(4), mg.nn.Dropout(0.5), mg.nn.Dense(1)])
    model.eval()
    assert not any(layer.training for layer in model.layers)
    model.train()
    assert all(layer.training for layer in model.layers)
    out = model(_x(3, 2, np.float32))
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


# -- registries ----------------------------------------------------------------------------------


def test_activation_registry() -> None:
    assert activations.get(None) is activations.linear
    assert activations.get("ReLU") is activations.relu
    assert {"relu", "leaky_relu", "sigmoid", "tanh", "softmax", "linear", "gelu"} <= set(
        activations.names()
    )
    with pytest.raises(ValueError) as info:
        activations.get("gelu2")
    for name in activations.names():
        assert repr(name) in str(info.value)
    with pytest.raises(TypeError, match="activation"):
        activations.get(3)  # type: ignore[arg-type]


def test_initializers_registry_and_truncation() -> None:
    rng = np.random.default_rng(0)
    w = initializers.get("glorot_normal")((500, 500), rng, np.float64)
    std = np.sqrt(2 / 1000)
    assert np.abs(w).max() <= 2 * std / 0.87962566103423978 + 1e-12
    assert w.std() == pytest.approx(std, rel=0.02)
    u = initializers.get("he_uniform")((100, 50), rng, np.float32)
    assert u.dtype == np.float32 and np.abs(u).max() <= np.sqrt(6 / 100)
    assert not initializers.get("zeros")((2,), rng, np.float32).any()
    with pytest.raises(ValueError, match=r"'he_normal'"):
        initializers.get("xavier")
