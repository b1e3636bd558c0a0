"""The compiled training step equals the eager one, step after step, and reuses its buffers."""

from __future__ import annotations

import doctest
import importlib
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import memograd as mg
from memograd.compile import CompiledStep

nn, optim = mg.nn, mg.optim


def mlp(
    sizes: tuple[int, ...] = (2, 16, 16, 2),
    activation: str = "relu",
    dtype: str = "float32",
    seed: int = 0,
) -> Any:
    hidden = [nn.Dense(h, activation=activation) for h in sizes[1:-1]]
    return nn.Sequential([*hidden, nn.Dense(sizes[-1])], dtype=dtype, seed=seed)


def pair(
    make_optimizer: Callable[[], Any], loss: str = "cross_entropy", **kwargs: Any
) -> tuple[Any, Any]:
    """An eager model and a compiled one with the same initial weights."""
    eager, jit = mlp(**kwargs), mlp(**kwargs)
    eager.compile(loss=loss, optimizer=make_optimizer())
    jit.compile(loss=loss, optimizer=make_optimizer(), jit_compile=True)
    return eager, jit


def batches(n: int = 100, features: int = 2, classes: int = 2, seed: int = 0) -> list[Any]:
    """Batches of 32 rows cycling over a data set of n rows: the last of each pass is smaller."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, features)).astype(np.float32)
    y = rng.integers(0, classes, size=n)
    return [(X[i : i + 32], y[i : i + 32]) for i in range(0, n, 32)]


def train(model: Any, data: list[Any], steps: int) -> list[float]:
    return [model.train_on_batch(*data[i % len(data)]) for i in range(steps)]


def assert_same_run(eager: Any, jit: Any, data: list[Any], steps: int = 100) -> None:
    replays_before = getattr(jit._train_step, "replays", 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback warning would fail the test
        losses_eager = train(eager, data, steps)
        losses_jit = train(jit, data, steps)
    np.testing.assert_allclose(losses_jit, losses_eager, rtol=1e-6, atol=1e-6)
    for p, q in zip(eager.parameters(), jit.parameters(), strict=True):
        np.testing.assert_allclose(q.data, p.data, rtol=1e-6, atol=1e-6)
    step = jit._get_train_step()
    assert isinstance(step, CompiledStep) and step.fallback_reason is None
    assert step.replays - replays_before == steps  # every step ran from a tape


OPTIMIZERS: dict[str, Callable[[], Any]] = {
    "sgd": lambda: optim.SGD(0.05),
    "momentum": lambda: optim.SGD(0.05, momentum=0.9),
    "nesterov": lambda: optim.SGD(0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adam": lambda: optim.Adam(1e-2),
    "adamw": lambda: optim.AdamW(1e-2),
    "rmsprop": lambda: optim.RMSprop(1e-3, momentum=0.5),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_replay_equals_eager_over_100_steps(name: str) -> None:
    eager, jit = pair(OPTIMIZERS[name])
    assert_same_run(eager, jit, batches())


@pytest.mark.parametrize(
    "activation", ["relu", "tanh", "sigmoid", "leaky_relu", "softmax", "linear"]
)
def test_replay_equals_eager_for_every_activation(activation: str) -> None:
    eager, jit = pair(OPTIMIZERS["adam"], activation=activation, sizes=(3, 8, 8, 3))
    assert_same_run(eager, jit, batches(features=3, classes=3), steps=20)


@pytest.mark.parametrize("loss", ["mse", "binary_cross_entropy"])
def test_replay_equals_eager_for_the_other_losses(loss: str) -> None:
    eager, jit = pair(OPTIMIZERS["momentum"], loss=loss, sizes=(3, 8, 1))
    rng = np.random.default_rng(1)
    X = rng.standard_normal((64, 3)).astype(np.float32)
    target = (X[:, 0] > 0).astype(np.float32 if loss == "mse" else np.int64)
    data = [(X[i : i + 24], target[i : i + 24]) for i in range(0, 64, 24)]
    assert_same_run(eager, jit, data, steps=30)


def test_one_hot_targets_float64_and_lr_schedule() -> None:
    def make() -> Any:
        return optim.SGD(nn.schedules.ExponentialDecay(0.1, decay_steps=5, decay_rate=0.5))

    eager, jit = pair(make, sizes=(4, 8, 3), dtype="float64")
    rng = np.random.default_rng(2)
    X = rng.standard_normal((40, 4))
    onehot = np.eye(3)[rng.integers(0, 3, size=40)]
    assert_same_run(eager, jit, [(X[:32], onehot[:32]), (X[32:], onehot[32:])], steps=20)
    assert jit.optimizer.iterations == eager.optimizer.iterations == 20


def test_normalization_and_inactive_dropout_are_traced() -> None:
    X = np.random.default_rng(3).standard_normal((50, 3)).astype(np.float32) * 5 + 2
    models = []
    for _ in range(2):
        norm = nn.Normalization()
        norm.adapt(X)
        models.append(
            nn.Sequential([norm, nn.Dense(8, activation="tanh"), nn.Dropout(0.0), nn.Dense(2)])
        )
    eager, jit = models
    eager.compile(optimizer=optim.Adam(1e-2))
    jit.compile(optimizer=optim.Adam(1e-2), jit_compile=True)
    y = (X[:, 0] > 2).astype(np.int64)
    assert_same_run(eager, jit, [(X[:25], y[:25]), (X[25:], y[25:])], steps=20)


def test_cache_by_shape_with_a_partial_last_batch() -> None:
    _, jit = pair(OPTIMIZERS["sgd"])
    data = batches(n=100)  # shapes 32, 32, 32, 4
    train(jit, data, 3)
    step = jit._get_train_step()
    assert step.traces == 1
    train(jit, data[3:], 1)  # the last, smaller batch: a trace of its own
    assert step.traces == 2
    train(jit, data, 8)  # both shapes known: replays only
    info = step.cache_info()
    assert step.traces == 2 and info["replays"] == 12
    assert [key[0] for key in info["keys"]] == [(32, 2), (4, 2)]
    assert step.trace_for((4, 2)) is not step.trace_for((32, 2))
    assert info["eager_keys"] == [] and info["buffer_bytes"] > 0


def test_buffers_are_reused_across_replays() -> None:
    _, jit = pair(OPTIMIZERS["sgd"])
    xb, yb = batches()[0]
    jit.train_on_batch(xb, yb)
    step = jit._get_train_step()
    trace = step.trace_for(xb.shape)
    buffer_ids = [id(b) for b in trace.tape.buffers]
    grads = [p.grad for p in jit.parameters()]
    data = [p.data for p in jit.parameters()]
    outputs = [step(xb, yb)[1] for _ in range(5)]
    assert all(out is trace.outputs for out in outputs)  # the same array, refilled
    assert [id(b) for b in step.trace_for(xb.shape).tape.buffers] == buffer_ids
    assert all(p.grad is g for p, g in zip(jit.parameters(), grads, strict=True))
    assert all(p.data is d for p, d in zip(jit.parameters(), data, strict=True))  # in place
    assert step.traces == 1


def test_buffers_keep_the_model_dtype() -> None:
    for dtype in ("float32", "float64"):
        _, jit = pair(OPTIMIZERS["adam"], activation="sigmoid", dtype=dtype, sizes=(2, 4, 3))
        X, y = batches(classes=3)[0]
        jit.train_on_batch(X.astype(dtype), y)
        buffers = jit._get_train_step().trace_for(X.shape).tape.buffers
        floats = {b.dtype for b in buffers if b.dtype.kind == "f"}
        assert floats == {np.dtype(dtype)}
        assert {b.dtype.kind for b in buffers} <= {"f", "b", "i"}


def test_replaced_weights_are_retraced() -> None:
    eager, jit = pair(OPTIMIZERS["sgd"])
    data = batches()
    train(eager, data, 2)
    train(jit, data, 2)
    for model in (eager, jit):  # not in place: the tapes' arrays are stale
        kernel = model.layers[0].kernel
        kernel.data = np.ones_like(kernel.data)
    assert_same_run(eager, jit, data, steps=5)  # batches 2..6: shapes 32, 4, 32, 32, 32
    assert jit._get_train_step().traces == 3  # before, and after for each of the two shapes


def test_a_non_finite_loss_skips_the_update_like_eager() -> None:
    eager, jit = pair(OPTIMIZERS["sgd"])
    X, y = batches()[0]
    for model in (eager, jit):
        model.train_on_batch(X, y)
    bad = X.copy()
    bad[0, 0] = np.nan
    before = [p.data.copy() for p in jit.parameters()]
    with np.errstate(invalid="ignore"):
        assert np.isnan(jit.train_on_batch(bad, y)) and np.isnan(eager.train_on_batch(bad, y))
    for p, q in zip(before, jit.parameters(), strict=True):
        np.testing.assert_array_equal(p, q.data)
    assert jit.optimizer.iterations == eager.optimizer.iterations == 1


def test_fit_with_jit_compile_reaches_the_eager_accuracy() -> None:
    X_train, X_test, y_train, y_test = mg.data.load("digits", test_size=0.2, seed=0)
    results = []
    for jit in (False, True):
        model = nn.Sequential([nn.Dense(32, activation="relu"), nn.Dense(10)], seed=0)
        model.compile(optimizer=optim.Adam(1e-2), metrics=["accuracy"], jit_compile=jit)
        history = model.fit(X_train, y_train, epochs=3, batch_size=100, verbose=0, seed=0)
        results.append((history.history, model.evaluate(X_test, y_test)))
    (h_eager, s_eager), (h_jit, s_jit) = results
    np.testing.assert_allclose(h_jit["loss"], h_eager["loss"], rtol=1e-5)
    assert h_jit["accuracy"] == h_eager["accuracy"]
    assert s_jit["accuracy"] == s_eager["accuracy"] > 0.85


def test_docstring_examples() -> None:
    for name in (
        "memograd.compile",
        "memograd.compile._plan",
        "memograd.compile._record",
        "memograd.compile._stand_in",
        "memograd.compile._step",
        "memograd.compile._tape",
        "memograd.compile._trace",
        "memograd.compile._xp_record",
    ):
        result = doctest.testmod(importlib.import_module(name))
        assert result.attempted > 0 and result.failed == 0, name


def test_a_saved_compiled_model_loads_compiled(tmp_path: Any) -> None:
    _, jit = pair(OPTIMIZERS["adam"])
    data = batches()
    train(jit, data, 3)
    jit.save(tmp_path / "m.safetensors")
    loaded = nn.load(tmp_path / "m.safetensors")
    assert loaded.jit_compile
    np.testing.assert_allclose(train(loaded, data[3:] + data, 5), train(jit, data[3:] + data, 5))
    assert isinstance(loaded._get_train_step(), CompiledStep)


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_replay_is_bit_identical_to_eager_on_the_benchmark_model(name: str) -> None:
    # The rules repeat the eager arithmetic call for call, so nothing is left to rounding.
    eager, jit = pair(OPTIMIZERS[name], sizes=(2, 16, 16, 2))
    data = batches()
    np.testing.assert_array_equal(train(jit, data, 30), train(eager, data, 30))
    for p, q in zip(eager.parameters(), jit.parameters(), strict=True):
        np.testing.assert_array_equal(q.data, p.data)
        np.testing.assert_array_equal(q.grad, p.grad)


@pytest.mark.parametrize("bad", [-1, 2])
def test_labels_out_of_range_raise_like_eager_and_change_nothing(bad: int) -> None:
    eager, jit = pair(OPTIMIZERS["sgd"])
    X, y = batches()[0]
    for model in (eager, jit):
        model.train_on_batch(X, y)  # traced: later batches take the fast path
    wrong = y.copy()
    wrong[5] = bad
    before = [p.data.copy() for p in jit.parameters()]
    for model in (eager, jit):
        with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
            model.train_on_batch(X, wrong)
    for p, q in zip(before, jit.parameters(), strict=True):
        np.testing.assert_array_equal(p, q.data)


def test_straight_line_makes_the_same_calls_in_the_same_order() -> None:
    from functools import partial

    from memograd.compile._tape import straight_line

    calls: list[Any] = []
    a, out = np.arange(3.0), np.empty(3)
    kernels = [
        partial(np.add, a, a, out=out),  # keyword arguments are passed as keywords
        lambda: calls.append(out.copy()),  # any other callable is called as it is
        partial(np.multiply, out, 10.0, out),
        partial(calls.append, "last"),
    ]
    straight_line(kernels)()
    np.testing.assert_array_equal(calls[0], [0.0, 2.0, 4.0])
    np.testing.assert_array_equal(out, [0.0, 20.0, 40.0])
    assert calls[1] == "last" and len(calls) == 2
    straight_line([])()  # an empty tape is a function that does nothing


def test_the_weights_move_into_one_flat_array_with_their_values() -> None:
    _, jit = pair(OPTIMIZERS["sgd"])
    X, y = batches()[0]
    jit.train_on_batch(X, y)  # builds the weights, then compiles
    fresh = mlp()
    fresh.compile(optimizer=optim.SGD(0.05))
    fresh.train_on_batch(X, y)  # the same first step, eagerly
    params = jit.parameters()
    base = params[0].data.base
    assert base is not None and all(p.data.base is base for p in params)
    for p, q in zip(params, fresh.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
