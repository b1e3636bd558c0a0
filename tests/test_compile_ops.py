"""Compiled steps are derived from the op definitions: anything made of primitives compiles.

A custom activation, a custom loss, a `defop` op and `Dropout(rate)` used to make
`jit_compile=True` fall back to eager (issue 13). Each now runs from a tape, without a
warning, and equals the eager step bit for bit — Dropout with the same masks for the same
seed, every step and every epoch of `fit`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import memograd as mg
from memograd.compile import CompiledStep, _xp_record
from memograd.tensor import Tensor, _xp_numpy, defop

nn, optim = mg.nn, mg.optim

softsign = defop(
    "softsign",
    forward=lambda xp, x: x / (1 + xp.abs(x)),
    vjp=lambda xp, g, x, y: (g / (1 + xp.abs(x)) ** 2,),
)


def cube(x: Tensor) -> Tensor:
    return x * x * x


def assorted(x: Tensor) -> Tensor:
    """Numbers as operands, where, clip, abs, sqrt, exp, log, pow, max, mean: all primitives."""
    gate = mg.tensor.where(x.data > 0, x, x * 0.1)
    smooth = (x.abs() + 1.0).sqrt() + (x.clip(-2.0, 2.0) * 0.5).exp() - (x * x + 1).log()
    return gate + smooth * 0.25 + 2.0**x * 0.1 - x.max(axis=1, keepdims=True) * 0.05 + x.mean()


def shapes(x: Tensor) -> Tensor:
    """Shape ops, indexing, reductions, softmaxes and a Tensor exponent (under errstate)."""
    joined = mg.tensor.concatenate([x[:, :4], x[:, 4:] * 2.0], axis=1).reshape(x.shape[0], -1)
    stacked = mg.tensor.stack([x.sum(axis=1), x.max(axis=1)], axis=1).mean(axis=1, keepdims=True)
    gathered = x[:, [0, 2, 2, 1, 3, 5, 7, 6]]  # repeats: its VJP scatter-adds
    power = (x.sigmoid() + 0.5) ** (x.tanh() * 0.5)
    return joined + stacked + gathered + x.T.T.softmax() + x.leaky_relu(0.2).log_softmax() + power


def periodic(x: Tensor) -> Tensor:
    """The pointwise and reduction ops of the op suite: sin, cos, expm1, prod, cumsum, einsum."""
    waves = x.sin() * x.cos() + (x * 0.1).expm1()
    mixed = mg.tensor.einsum("bi,bi->b", x, waves).reshape(-1, 1) * 0.01
    return waves + mixed + x.cumsum(axis=1) * 0.1 + (x * 0.1 + 1.0).prod(axis=1, keepdims=True)


def every_new_op(x: Tensor) -> Tensor:
    """Every op issue 14 added, on (B, 8): reductions, pointwise, smooth activations, shape
    ops, contractions, comparisons (with &, |, ^, ~) and argmax/argmin masks with `where`."""
    T = mg.tensor
    b = x.shape[0]
    reductions = (
        x.min(axis=1, keepdims=True)
        + (x * 0.1 + 1.0).prod(axis=1, keepdims=True)
        + x.var(axis=1, keepdims=True, ddof=1)
        + x.std(axis=0, keepdims=True, correction=0) * 0.5
        + x.logsumexp(axis=1, keepdims=True) * 0.1
        + x.cumsum(axis=1) * 0.1
    )
    pointwise = (
        T.maximum(x, x * 0.3)
        + T.minimum(x, 0.5)
        + x.sin()
        + x.cos()
        + T.erf(x)
        + x.square().log1p()
        + (x * 0.1).expm1()
        + x.square() * 0.01
    )
    smooth = (
        T.softplus(x)
        + T.gelu(x)
        + T.gelu(x, approximate="tanh")
        + T.silu(x)
        + T.swish(x)
        + T.elu(x)
        + T.selu(x)
        + T.mish(x)
        + T.hard_tanh(x)
        + T.softsign(x)
    )
    cube = x.reshape(b, 2, 4)
    shapes = (
        cube.unsqueeze(1).squeeze(1).flatten(1)
        + T.squeeze(T.expand_dims(x, 0), 0)
        + cube.permute(0, 2, 1).reshape(b, 8)
        + cube.transpose(0, 2, 1).reshape(b, 8)
        + x.repeat(2, axis=1)[:, 3:11]
        + x.tile((1, 2))[:, 5:13]
        + T.concatenate(T.split(x, [3], axis=1)[::-1], axis=1)
        + T.pad(x, ((0, 0), (2, 1)), constant_values=0.5)[:, 1:9]
    )
    gram = T.tensordot(x, x, axes=([0], [0])) * (1.0 / b)  # (8, 8)
    linear = (
        T.einsum("bi,ij->bj", x, gram) * 0.1
        + T.outer(x.sum(axis=1), x.mean(axis=0)) * 0.01
        + T.tensordot(x, gram, axes=1) * 0.01
    )
    zero = x * 0.0
    picked = T.where(((x > 0) & (x <= 1.5)) | (x < -2.0) | (x >= 3.0), x, x * 0.1) + T.where(
        (x == zero) ^ (x != zero + 1.0), zero + 0.25, zero
    )
    finite = T.where(T.isfinite(x) & ~T.isnan(x), x, zero)
    top = T.where(x.argmax(axis=1, keepdims=True) == np.arange(8), x, zero)
    low = T.where(T.equal(x.argmin(axis=1, keepdims=True), np.arange(8)), x, zero)
    compares = (
        picked + finite + top + low + T.where(T.less(x, T.greater_equal(x, 0.0) * 1.0), x, zero)
    )
    return reductions + pointwise + smooth + shapes + linear + compares


class SmoothedLoss(nn.losses.CrossEntropy):
    """A custom loss made of the new reductions and activations."""

    def __call__(self, outputs: Tensor, targets: np.ndarray) -> Tensor:
        T = mg.tensor
        margin = (outputs.logsumexp(axis=1) - outputs.max(axis=1)).mean()
        spread = outputs.var(axis=0, correction=1).mean() + T.softplus(outputs).std()
        return super().__call__(outputs, targets) + margin * 0.1 + spread * 0.01


class OneHotLoss(nn.losses.CrossEntropy):
    """A custom loss on one-hot targets, with the creation ops beside (constants)."""

    def __call__(self, outputs: Tensor, targets: np.ndarray) -> Tensor:
        T = mg.tensor
        dtype, shape = outputs.dtype, outputs.shape
        target = T.one_hot(targets, 3, dtype=dtype) * 0.9 + T.full(shape, 0.1 / 3, dtype=dtype)
        nll = -(target * outputs.log_softmax()).sum(axis=1).mean()
        noise = T.rand(*shape, seed=1, dtype=dtype) * T.ones_like(outputs) + T.zeros_like(outputs)
        mixed = outputs @ (T.eye(3, dtype=dtype) + T.randn(3, 3, seed=2, dtype=dtype) * 0.01)
        return nll + (noise * outputs).mean() * 0.01 + (mixed * T.arange(3, dtype=dtype)).mean()


class Doubled(nn.losses.CrossEntropy):
    """A custom loss (a subclass whose __call__ adds ops)."""

    def __call__(self, outputs: Tensor, targets: np.ndarray) -> Tensor:
        return super().__call__(outputs, targets) * 2.0 + (outputs * outputs).mean() * 0.01


def batches(n: int = 70, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=n)
    return [(X[i : i + 32], y[i : i + 32]) for i in range(0, n, 32)]  # 32, 32, 6


def same_run(
    make_layers: Callable[[], list[Any]],
    loss: Any = "cross_entropy",
    optimizer: Callable[[], Any] = lambda: optim.SGD(0.1, momentum=0.9),
    dtype: str = "float32",
    steps: int = 15,
) -> CompiledStep:
    """Eager and compiled training from the same weights: bit-identical, no warning."""
    models = []
    for jit in (False, True):
        model = nn.Sequential(make_layers(), seed=0, dtype=dtype)
        model.compile(loss=loss, optimizer=optimizer(), jit_compile=jit)
        models.append(model)
    eager, jit = models
    data = batches()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback warning fails the test
        for i in range(steps):
            X, y = data[i % len(data)]
            assert jit.train_on_batch(X.astype(dtype), y) == eager.train_on_batch(
                X.astype(dtype), y
            )
    for p, q in zip(eager.parameters(), jit.parameters(), strict=True):
        np.testing.assert_array_equal(q.data, p.data)
        np.testing.assert_array_equal(q.grad, p.grad)
    for (name, a), (_, b) in zip(eager.named_buffers(), jit.named_buffers(), strict=True):
        np.testing.assert_array_equal(b, a, err_msg=name)
    step = jit._get_train_step()
    assert isinstance(step, CompiledStep) and step.fallback_reason is None
    assert step.replays == steps  # every step ran from a tape
    return step


def test_a_custom_activation_compiles() -> None:
    step = same_run(lambda: [nn.Dense(8, activation=cube), nn.Dense(3)])
    assert "mul" in step.trace_for((32, 4)).tape.forward_ops


def test_many_primitives_in_one_activation_compile() -> None:
    same_run(lambda: [nn.Dense(8, activation=assorted), nn.Dense(3)], dtype="float64")


def test_shape_ops_indexing_and_reductions_compile() -> None:
    same_run(lambda: [nn.Dense(8, activation=shapes), nn.Dense(3)], dtype="float64")


def test_the_op_suite_compiles() -> None:
    same_run(lambda: [nn.Dense(8, activation=periodic), nn.Dense(3)], dtype="float64")


def test_a_defop_activation_compiles() -> None:
    step = same_run(lambda: [nn.Dense(8, activation=softsign), nn.Dense(3)])
    tape = step.trace_for((32, 4)).tape
    assert "softsign" in tape.forward_ops and "softsign" in tape.backward_ops


def test_a_custom_loss_compiles() -> None:
    same_run(lambda: [nn.Dense(8, activation="tanh"), nn.Dense(3)], loss=Doubled())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("make_optimizer", [lambda: optim.SGD(0.1), lambda: optim.Adam(1e-2)])
def test_dropout_compiles_with_the_eager_masks(dtype: str, make_optimizer: Any) -> None:
    step = same_run(
        lambda: [nn.Dense(16, activation="relu"), nn.Dropout(0.5), nn.Dense(3)],
        optimizer=make_optimizer,
        dtype=dtype,
    )
    assert "dropout" in step.trace_for((32, 4)).tape.forward_ops


def test_dropout_masks_change_every_step_and_follow_fit_reseeding() -> None:
    X = np.concatenate([x for x, _ in batches()])
    y = np.concatenate([t for _, t in batches()])
    histories = []
    for jit in (False, True):
        model = nn.Sequential([nn.Dense(16, activation="relu"), nn.Dropout(0.3), nn.Dense(3)])
        model.compile(optimizer="adam", jit_compile=jit)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            histories.append(model.fit(X, y, epochs=3, batch_size=16, verbose=0, seed=0).history)
    assert histories[0] == histories[1]
    # A replayed step draws a new mask: two replays on one batch give different losses.
    X0, y0 = batches()[0]
    model = nn.Sequential([nn.Dense(16, activation="relu"), nn.Dropout(0.5), nn.Dense(3)])
    model.compile(optimizer=optim.SGD(1e-30), jit_compile=True)  # only the masks move
    losses = [model.train_on_batch(X0, y0) for _ in range(3)]
    assert len(set(losses)) == 3 and model._get_train_step().replays == 3


def test_numbers_as_operands_compile() -> None:
    same_run(lambda: [nn.Dense(8, activation=lambda t: (t * 0.5 + 1.0) / 2.0 - 0.25), nn.Dense(3)])


def test_the_recording_namespace_offers_every_name() -> None:
    for name in _xp_numpy.NAMES:
        assert callable(getattr(_xp_record, name)), name


def test_the_benchmark_tape_makes_as_many_calls_as_the_hand_written_rules_did() -> None:
    # W1's step (2-16-16-2, relu, cross-entropy): the rules written by hand per op made 20
    # forward and 15 backward kernels; the tape derived from the definitions makes 21 and
    # 14 (the probabilities moved into the forward, where the op computes them).
    model = nn.Sequential([nn.Dense(16, activation="relu"), nn.Dense(16, activation="relu")])
    model.add(nn.Dense(2))
    model.compile(optimizer="sgd", jit_compile=True)
    X, y = np.ones((100, 2), np.float32), np.arange(100) % 2
    model.train_on_batch(X, y)
    tape = model._get_train_step().trace_for((100, 2)).tape
    assert (len(tape.forward), len(tape.backward)) == (21, 14)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_op_of_the_op_suite_compiles_in_one_step(dtype: str) -> None:
    # Loss, gradients and updated parameters equal eager's bit for bit, with no fallback
    # (`|` on masks and argmax used to make the step fall back).
    step = same_run(
        lambda: [nn.Dense(8, activation=every_new_op), nn.Dense(3)],
        loss=SmoothedLoss(),
        optimizer=lambda: optim.Adam(1e-2),
        dtype=dtype,
        steps=6,
    )
    ops = set(step.trace_for((32, 4)).tape.forward_ops)
    expected = {"min", "prod", "var", "std", "logsumexp", "cumsum", "maximum", "minimum", "sin"}
    expected |= {"cos", "erf", "log1p", "expm1", "square", "softplus", "gelu", "silu", "elu"}
    expected |= {"mish", "hard_tanh", "softsign", "repeat", "tile", "pad", "einsum", "where"}
    assert expected <= ops, expected - ops


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_one_hot_targets_and_the_creation_ops_compile(dtype: str) -> None:
    step = same_run(
        lambda: [nn.Dense(8, activation="gelu"), nn.Dense(3)], OneHotLoss(), dtype=dtype
    )
    assert step.traces == 2  # batches of 32 and 6: one_hot's shape follows the batch


def test_a_label_out_of_range_for_one_hot_raises_at_a_replay_as_eagerly() -> None:
    model = nn.Sequential([nn.Dense(3)], seed=0)
    model.compile(loss=OneHotLoss(), optimizer="sgd", jit_compile=True)
    X, y = batches()[0]
    model.train_on_batch(X, y)  # traced, checked
    bad = y.copy()
    bad[5] = 3  # after the first step, train_on_batch checks only shapes and dtypes
    with pytest.raises(ValueError, match=r"one_hot: labels must lie in \[0, 3\)"):
        model.train_on_batch(X, bad)
    step = model._get_train_step()
    assert step.fallback_reason is None and step.replays >= 1  # raised by the replay


@pytest.mark.parametrize("activation", nn.activations.names())
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_named_activation_compiles(activation: str, dtype: str) -> None:
    same_run(lambda: [nn.Dense(8, activation=activation), nn.Dense(3)], dtype=dtype, steps=6)


def test_layer_normalization_compiles() -> None:
    same_run(lambda: [nn.Dense(8), nn.LayerNormalization(), nn.Dense(3, activation="silu")])


@pytest.mark.parametrize("loss", ["mae", "huber", "mse"])
def test_the_regression_losses_compile(loss: str) -> None:
    models = []
    for jit in (False, True):
        model = nn.Sequential([nn.Dense(8, activation="tanh"), nn.Dense(2)], seed=0)
        model.compile(loss=loss, optimizer=optim.Adam(1e-2), jit_compile=jit)
        models.append(model)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 4)).astype(np.float32)
    Y = rng.standard_normal((40, 2)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(8):
            assert models[1].train_on_batch(X, Y) == models[0].train_on_batch(X, Y)
    for p, q in zip(models[0].parameters(), models[1].parameters(), strict=True):
        np.testing.assert_array_equal(q.data, p.data)
    assert models[1]._get_train_step().replays == 8
