"""A layer's non-trainable state compiles: the step updates its buffers in place, as eagerly.

`BatchNormalization` keeps moving statistics in buffers (`Module.add_buffer`) and updates them
with array operations on what `Module.buffer(name)` returns. A compiled step traces those on
stand-ins, so the tape updates the buffers at every replay, like the parameters; it used to
fall back to eager with a warning. Compiled and eager training give the same losses,
outputs, gradients, parameters and moving statistics, bit for bit (the replay makes the
eager step's own NumPy calls), in train and eval mode, over several batch shapes.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import memograd as mg
from memograd.compile import CompiledStep
from memograd.compile._record import Recorder

nn, optim = mg.nn, mg.optim


def batches(n: int = 70, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((n, 4)) * 3.0 + 1.0).astype(np.float32)
    y = rng.integers(0, 3, size=n)
    return [(X[i : i + 32], y[i : i + 32]) for i in range(0, n, 32)]  # 32, 32, 6


def bn_layers(**kwargs: Any) -> list[Any]:
    return [nn.Dense(8), nn.BatchNormalization(momentum=0.8, **kwargs), nn.Dense(3)]


def pair(
    make_layers: Callable[[], list[Any]],
    dtype: str = "float32",
    optimizer: Callable[[], Any] = lambda: optim.SGD(0.1, momentum=0.9),
) -> tuple[Any, Any]:
    models = []
    for jit in (False, True):
        model = nn.Sequential(make_layers(), seed=0, dtype=dtype)
        model.compile(optimizer=optimizer(), jit_compile=jit)
        models.append(model)
    return models[0], models[1]


def assert_same_state(eager: Any, jit: Any) -> None:
    """Parameters, their gradients and every buffer: equal bit for bit."""
    for p, q in zip(eager.parameters(), jit.parameters(), strict=True):
        np.testing.assert_array_equal(q.data, p.data)
        np.testing.assert_array_equal(q.grad, p.grad)
    for (name, a), (_, b) in zip(eager.named_buffers(), jit.named_buffers(), strict=True):
        np.testing.assert_array_equal(b, a, err_msg=name)


def train_both(eager: Any, jit: Any, steps: int = 15, dtype: str = "float32") -> CompiledStep:
    data = batches()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback warning fails the test
        for i in range(steps):
            X, y = data[i % len(data)]
            X = X.astype(dtype)
            assert jit.train_on_batch(X, y) == eager.train_on_batch(X, y)
            assert_same_state(eager, jit)  # after every step, not only at the end
    step = jit._get_train_step()
    assert isinstance(step, CompiledStep) and step.fallback_reason is None
    assert step.replays == steps and step.traces == 2  # batches of 32 and of 6
    return step


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("make_optimizer", [lambda: optim.SGD(0.1), lambda: optim.Adam(1e-2)])
def test_batch_normalization_compiles_with_the_eager_moving_statistics(
    dtype: str, make_optimizer: Any
) -> None:
    eager, jit = pair(bn_layers, dtype=dtype, optimizer=make_optimizer)
    step = train_both(eager, jit, dtype=dtype)
    assert "normalize" in step.trace_for((32, 4)).tape.forward_ops
    bn = jit.layers[1]
    assert not np.allclose(bn.moving_mean, 0.0) and not np.allclose(bn.moving_variance, 1.0)
    # One more step through the step functions: the same outputs (before the update) too.
    X, y = batches()[1]
    (a, eager_out), (b, jit_out) = (m._get_train_step()(X.astype(dtype), y) for m in (eager, jit))
    assert a == b
    np.testing.assert_array_equal(jit_out, eager_out)
    assert_same_state(eager, jit)
    # Inference reads the moving statistics: the same predictions.
    X = batches()[0][0].astype(dtype)
    np.testing.assert_array_equal(jit.predict(X), eager.predict(X))


def test_batch_normalization_without_scale_and_center_compiles() -> None:
    eager, jit = pair(lambda: bn_layers(center=False, scale=False))
    train_both(eager, jit, steps=6)


def test_a_layer_in_eval_mode_reads_its_moving_statistics_in_the_compiled_step() -> None:
    # A frozen BatchNormalization inside a training model: the compiled step reads the
    # moving statistics (set to arbitrary values here) and leaves them as they are.
    eager, jit = pair(bn_layers)
    rng = np.random.default_rng(1)
    state = {}
    for model in (eager, jit):
        model(mg.Tensor(batches()[0][0]))  # builds it
        state = state or {
            name: (rng.random(a.shape) + 0.5).astype(a.dtype)
            for name, a in model.state_dict().items()
        }
        model.load_state_dict(state)
        model.layers[1].eval()
    train_both(eager, jit, steps=6)
    for (name, b), before in zip(
        jit.named_buffers(), (state["1.moving_mean"], state["1.moving_variance"]), strict=True
    ):
        np.testing.assert_array_equal(b, before, err_msg=name)


def test_a_layer_switched_to_eval_after_the_trace_gets_a_trace_of_its_own() -> None:
    # The training flags are part of the cache key: a tape traced in training mode would
    # go on updating the moving statistics and drawing dropout masks (it silently did).
    eager, jit = pair(lambda: [*bn_layers()[:2], nn.Dropout(0.5, seed=1), nn.Dense(3)])
    train_both(eager, jit, steps=3)
    for model in (eager, jit):
        model.layers[1].eval()
        model.layers[2].eval()
    data = batches()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for i in range(4):
            assert jit.train_on_batch(*data[i % 2]) == eager.train_on_batch(*data[i % 2])
            assert_same_state(eager, jit)
        for model in (eager, jit):
            model.train()  # back: the first traces are used again
        for i in range(2):
            assert jit.train_on_batch(*data[i % 2]) == eager.train_on_batch(*data[i % 2])
            assert_same_state(eager, jit)
    step = jit._get_train_step()
    assert step.traces == 3 and step.replays == 3 + 4 + 2  # (32, train), (6, train), (32, eval)


def test_modes_follow_every_change_of_a_training_flag_and_of_the_children() -> None:
    model = nn.Sequential([nn.Dense(4), nn.Dropout(0.5)])
    assert model.modes() == (True, True, True)
    model.layers[1].training = False  # set directly, not through eval(): seen too
    assert model.modes() == (True, True, False)
    model.add(nn.Dense(2))
    assert model.modes() == (True, True, False, True)
    model.eval()
    assert model.modes() == (False, False, False, False)


def test_loaded_moving_statistics_are_the_ones_the_compiled_step_updates() -> None:
    eager, jit = pair(bn_layers)
    train_both(eager, jit, steps=3)
    state = eager.state_dict()
    state["1.moving_mean"] = np.full(8, 2.0, np.float32)
    for model in (eager, jit):
        model.load_state_dict(state)  # in place: the tapes keep their arrays
    X, y = batches()[0]
    assert jit.train_on_batch(X, y) == eager.train_on_batch(X, y)
    assert_same_state(eager, jit)
    assert jit._get_train_step().traces == 2  # no new trace was needed


def test_a_non_finite_loss_still_updates_the_moving_statistics_as_eagerly() -> None:
    eager, jit = pair(bn_layers)
    train_both(eager, jit, steps=3)
    state = eager.state_dict()
    state["0.kernel"][0, :4] = np.inf  # the batch statistics of 4 features become NaN
    X, y = batches()[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # inf - inf, in both steps
        for model in (eager, jit):
            model.load_state_dict(state)
        losses = [model.train_on_batch(X, y) for model in (eager, jit)]
    assert np.isnan(losses).all()
    assert_same_state(eager, jit)  # the update skipped, the moving statistics updated
    assert np.isnan(jit.layers[1].moving_mean).sum() == 4
    assert jit._get_train_step().fallback_reason is None


def test_layer_normalization_and_dropout_beside_batch_normalization_compile() -> None:
    eager, jit = pair(
        lambda: [
            nn.Dense(16, activation="gelu"),
            nn.BatchNormalization(),
            nn.Dropout(0.25, seed=1),
            nn.Dense(8),
            nn.LayerNormalization(),
            nn.Dense(3),
        ]
    )
    train_both(eager, jit)


def test_fit_with_batch_normalization_compiled_equals_eager() -> None:
    X = np.concatenate([x for x, _ in batches()])
    y = np.concatenate([t for _, t in batches()])
    eager, jit = pair(bn_layers)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        histories = [m.fit(X, y, epochs=3, batch_size=16, verbose=0).history for m in (eager, jit)]
    assert histories[0] == histories[1]
    step = jit._get_train_step()
    assert step.fallback_reason is None and step.replays > 0
    for (name, a), (_, b) in zip(eager.state_dict().items(), jit.state_dict().items(), strict=True):
        np.testing.assert_array_equal(b, a, err_msg=name)


@pytest.fixture
def state_recorded_on_a_copy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A recorder bug: the kernels update a copy of each buffer, not the buffer itself."""
    original = Recorder.state

    def wrong(self: Recorder, array: np.ndarray) -> Any:
        return original(self, array.copy())

    monkeypatch.setattr(Recorder, "state", wrong)
    yield


@pytest.mark.usefixtures("state_recorded_on_a_copy")
def test_a_state_update_the_replay_misses_is_caught_by_the_self_check() -> None:
    eager, jit = pair(bn_layers)
    data = batches()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(6):
            assert jit.train_on_batch(*data[i % 3]) == eager.train_on_batch(*data[i % 3])
    messages = [str(w.message) for w in caught if "jit_compile" in str(w.message)]
    assert len(messages) == 1 and "state of a layer (a buffer)" in messages[0]
    # The failed check left the state as before the step: the eager fallback updated it once.
    assert_same_state(eager, jit)
    assert jit._get_train_step().replays == 0
