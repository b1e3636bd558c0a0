"""Recomputing instead of storing changes memory and time, never the gradients."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest

import memograd as mg
from memograd.autograd import gradients
from memograd.checkpointing import count_recomputation, schedule, simulate
from memograd.nn import BatchNormalization, Dense, Dropout, Sequential
from memograd.tensor.functional import cross_entropy

POLICIES: list[str | int] = ["none", "sqrt", 1, 2, 3, 5, "binomial:1", "binomial:2", "binomial:4"]


def _mlp(policy: str | int, dtype: str, depth: int = 7, dropout: bool = False) -> Sequential:
    layers: list[Any] = []
    for i in range(depth):
        layers.append(Dense(12, activation=("relu", "tanh", "sigmoid")[i % 3]))
        if dropout and i % 2:
            layers.append(Dropout(0.3))
    layers.append(Dense(4))
    return Sequential(layers, checkpoint=policy, dtype=dtype, seed=3)


def _grads(model: Sequential, X: np.ndarray, y: np.ndarray) -> tuple[list[np.ndarray], Any]:
    x = mg.Tensor(X, requires_grad=True)
    for p in model.parameters():
        p.grad = None
    loss = cross_entropy(model(x), y)
    loss.backward()
    return [p.grad.copy() for p in model.parameters()] + [x.grad.copy()], loss.item()


def _data(dtype: str, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 6)).astype(dtype), rng.integers(0, 4, n)


@pytest.mark.parametrize("policy", POLICIES)
def test_float64_gradients_equal_keep_all_exactly(policy: str | int) -> None:
    X, y = _data("float64")
    reference, ref_loss = _grads(_mlp("all", "float64"), X, y)
    found, loss = _grads(_mlp(policy, "float64"), X, y)
    assert loss == ref_loss
    for a, b in zip(found, reference, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("policy", POLICIES)
def test_float32_gradients_within_1e_6(policy: str | int) -> None:
    X, y = _data("float32")
    reference, _ = _grads(_mlp("all", "float32"), X, y)
    found, _ = _grads(_mlp(policy, "float32"), X, y)
    for a, b in zip(found, reference, strict=True):
        assert a.dtype == np.float32
        assert float(np.max(np.abs(a - b))) <= 1e-6


@pytest.mark.parametrize("policy", ["none", "sqrt", 2, "binomial:2"])
def test_dropout_masks_are_replayed_in_recomputation(policy: str | int) -> None:
    X, y = _data("float64")
    reference, ref_loss = _grads(_mlp("all", "float64", dropout=True), X, y)
    model = _mlp(policy, "float64", dropout=True)
    found, loss = _grads(model, X, y)
    assert loss == ref_loss
    for a, b in zip(found, reference, strict=True):
        np.testing.assert_array_equal(a, b)
    # and the next step draws new masks, as without checkpointing
    again, _ = _grads(model, X, y)
    assert any(not np.array_equal(a, b) for a, b in zip(again, found, strict=True))


@pytest.mark.parametrize("policy", ["none", "sqrt", 2, "binomial:2"])
def test_recomputation_leaves_batch_normalization_statistics_as_one_forward_does(
    policy: str | int,
) -> None:
    # A recomputed BatchNormalization normalizes with the same batch statistics and must not
    # update its moving averages a second time (they moved twice per step before).
    X, y = _data("float64")
    models = []
    for p in ("all", policy):
        layers: list[Any] = [Dense(12), BatchNormalization(momentum=0.5)]
        layers += [Dense(12, activation="tanh") for _ in range(4)] + [Dense(4)]
        models.append(Sequential(layers, checkpoint=p, dtype="float64", seed=3))
    for _ in range(2):
        reference, ref_loss = _grads(models[0], X, y)
        found, loss = _grads(models[1], X, y)
        assert loss == ref_loss
        for a, b in zip(found, reference, strict=True):
            np.testing.assert_array_equal(a, b)
        for (name, a), (_, b) in zip(
            models[0].named_buffers(), models[1].named_buffers(), strict=True
        ):
            np.testing.assert_array_equal(b, a, err_msg=name)


def test_a_checkpointed_function_leaves_its_modules_buffers_as_its_forward_does() -> None:
    X, _ = _data("float64")
    results = []
    for use_checkpoint in (False, True):
        bn = BatchNormalization(momentum=0.5, dtype="float64")
        dense = Dense(3, seed=0, dtype="float64")
        for layer in (bn, dense):  # built first: checkpoint finds the parameters up front
            layer.ensure_built((None, 6))

        def block(t: mg.Tensor, bn: Any = bn, dense: Any = dense) -> mg.Tensor:
            return dense(bn(t)).tanh()  # (the modules are found among the defaults)

        x = mg.Tensor(X, requires_grad=True)
        out = mg.checkpoint(block, x) if use_checkpoint else block(x)
        out.sum().backward()
        results.append((bn.moving_mean.copy(), bn.moving_variance.copy(), x.grad))
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize("policy", POLICIES)
def test_recomputation_counted_equals_the_schedule(policy: str | int) -> None:
    X, y = _data("float64")
    model = _mlp(policy, "float64")
    with count_recomputation() as counted:
        _grads(model, X, y)
    assert counted.layers == simulate(schedule(policy, len(model.layers))).recomputed


@pytest.mark.parametrize("policy", ["none", "sqrt", "binomial:2"])
def test_retain_graph_allows_a_second_backward(policy: str | int) -> None:
    X, y = _data("float64")
    model = _mlp(policy, "float64")
    loss = cross_entropy(model(mg.Tensor(X)), y)
    loss.backward(retain_graph=True)
    first = [p.grad.copy() for p in model.parameters()]
    loss.backward()
    for a, b in zip(first, model.parameters(), strict=True):
        np.testing.assert_allclose(b.grad, 2 * a, rtol=1e-12, atol=0)
    with pytest.raises(RuntimeError, match="again"):
        loss.backward()


def test_fit_trains_the_same_with_and_without_checkpointing() -> None:
    X, y = _data("float64", 40)
    losses = {}
    for policy in ("all", "sqrt", "none"):
        model = _mlp(policy, "float64")
        model.compile(loss="cross_entropy", optimizer=mg.optim.Adam(1e-2))
        history = model.fit(X, y, epochs=3, batch_size=8, verbose=0, seed=0)
        losses[policy] = history.history["loss"]
    assert losses["sqrt"] == losses["all"] == losses["none"]


def test_inference_and_frozen_inputs_take_the_plain_path() -> None:
    X, _ = _data("float32")
    model = _mlp("sqrt", "float32")
    plain = _mlp("all", "float32")
    with mg.no_grad():
        out = model(mg.Tensor(X))
    assert out.op == "" and not out.requires_grad
    np.testing.assert_array_equal(model.predict(X), plain.predict(X))
    assert model(mg.Tensor(X)).op == "checkpoint_chain"


def test_create_graph_is_refused_with_a_clear_error() -> None:
    X, y = _data("float64")
    model = _mlp("sqrt", "float64")
    loss = cross_entropy(model(mg.Tensor(X)), y)
    with pytest.raises(RuntimeError, match="create_graph"):
        loss.backward(create_graph=True)


# ---------------------------------------------------------------------- mg.checkpoint
def _block_weights(seed: int = 0) -> tuple[mg.Tensor, mg.Tensor]:
    rng = np.random.default_rng(seed)
    return (
        mg.Tensor(rng.standard_normal((4, 4)), requires_grad=True),
        mg.Tensor(rng.standard_normal(4), requires_grad=True),
    )


def test_checkpoint_of_a_closure_matches_the_plain_function() -> None:
    w, b = _block_weights()

    def block(h: mg.Tensor) -> mg.Tensor:
        return ((h @ w + b).tanh() @ w).sigmoid()

    x = mg.Tensor(np.random.default_rng(1).standard_normal((3, 4)), requires_grad=True)
    expected = gradients((block(x) ** 2).sum(), [x, w, b])
    found = gradients((mg.checkpoint(block, x) ** 2).sum(), [x, w, b])
    for a, e in zip(found, expected, strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-13, atol=1e-15)


def test_checkpoint_passes_the_finite_difference_check() -> None:
    w, b = _block_weights(2)
    x = np.random.default_rng(3).standard_normal((2, 4))

    def f(xt: mg.Tensor) -> mg.Tensor:
        return mg.checkpoint(lambda h: (h @ w + b).tanh(), xt).sum()

    mg.gradcheck(f, x)


def test_parameters_are_found_in_modules_methods_partials_and_objects() -> None:
    layer = Dense(4, activation="tanh", dtype="float64", seed=0)
    x = mg.Tensor(np.ones((2, 3)))
    layer(x)
    assert layer.kernel is not None and layer.bias is not None

    class Holder:
        def __init__(self) -> None:
            self.w = mg.Tensor(np.full((4, 2), 0.5), requires_grad=True)

        def apply(self, h: mg.Tensor) -> mg.Tensor:
            return h @ self.w

    holder = Holder()

    def scaled(h: mg.Tensor, scale: mg.Tensor) -> mg.Tensor:
        return layer(h) * scale

    scale = mg.Tensor(np.full(4, 2.0), requires_grad=True)
    for fn, expected in (
        (layer, [layer.kernel, layer.bias]),
        (layer.call, [layer.kernel, layer.bias]),
        (functools.partial(scaled, scale=scale), [layer.kernel, layer.bias, scale]),
        (holder.apply, [holder.w]),
    ):
        found = mg.checkpointing.find_parameters(fn)[0]
        assert [id(t) for t in found] == [id(t) for t in expected]


def test_a_parameter_used_inside_and_outside_sums_both_contributions() -> None:
    w, _ = _block_weights(4)
    x = mg.Tensor(np.random.default_rng(5).standard_normal((3, 4)))
    plain = ((x @ w).tanh() @ w).sum()
    expected = gradients(plain, w)[0]
    mixed = (mg.checkpoint(lambda h: (h @ w).tanh(), x) @ w).sum()
    np.testing.assert_allclose(gradients(mixed, w)[0], expected, rtol=1e-13)


def test_nested_checkpoints_and_non_tensor_arguments() -> None:
    w, b = _block_weights(6)
    x = mg.Tensor(np.random.default_rng(7).standard_normal((3, 4)), requires_grad=True)

    def inner(h: mg.Tensor, power: int) -> mg.Tensor:
        return (h @ w) ** power

    def outer(h: mg.Tensor) -> mg.Tensor:
        return mg.checkpoint(inner, (h + b).tanh(), 2) + h

    expected = gradients(((inner((x + b).tanh(), 2) + x) * x).sum(), [x, w, b])
    with count_recomputation() as counted:
        found = gradients((mg.checkpoint(outer, x) * x).sum(), [x, w, b])
    assert counted.calls == 2  # the outer segment once, the inner one inside it
    for a, e in zip(found, expected, strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-13, atol=1e-14)


def test_undeclared_parameter_is_an_error_not_a_silent_zero() -> None:
    w, _ = _block_weights()
    x = mg.Tensor(np.ones((2, 4)), requires_grad=True)
    loss = mg.checkpoint(lambda h: h @ w, x, params=[]).sum()
    with pytest.raises(RuntimeError, match="params="):
        loss.backward()


def test_checkpoint_argument_errors_and_plain_path() -> None:
    with pytest.raises(TypeError, match="`fn`"):
        mg.checkpoint(3, mg.Tensor([1.0]))  # type: ignore[arg-type]
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="`params`"):
        mg.checkpoint(lambda t: t, x, params=[np.ones(2)])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="one Tensor"):
        mg.checkpoint(lambda t: (t, t), x)  # type: ignore[arg-type,return-value]
    with mg.no_grad():
        assert mg.checkpoint(lambda t: t * 2, x).op == ""
    assert mg.checkpoint(lambda t: t * 2, mg.Tensor([1.0])).op == ""  # nothing needs grad
    assert mg.checkpoint(lambda t: t * 2, x).op == "checkpoint"
