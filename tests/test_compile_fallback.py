"""Steps that cannot be traced run eagerly, after exactly one warning naming the reason; what
the eager step raises too is raised as eagerly."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import memograd as mg
from memograd.compile import _xp_record
from memograd.compile._record import Recorder
from memograd.tensor import Tensor, make_node

nn, optim = mg.nn, mg.optim


class Flip(nn.Module):
    """A custom layer with data-dependent control flow: no single trace describes it."""

    def call(self, x: Tensor) -> Tensor:
        return -x if float(x.data.mean()) > 0 else x


class Sorted(nn.Module):
    """A layer calling an array method the stand-ins do not record (sorting in place)."""

    def call(self, x: Tensor) -> Tensor:
        x.data.sort(axis=1)
        return x


class Reshaped(nn.Module):
    """A layer setting an array's shape in place: the stand-ins cannot, eager arrays can."""

    def call(self, x: Tensor) -> Tensor:
        x.data.shape = (x.shape[0], -1)
        return x


class RunningSum(nn.Module):
    """A layer keeping state in a plain array (not a buffer) that it updates with NumPy:
    a trace would update it once, not at every replayed step."""

    def __init__(self) -> None:
        super().__init__()
        self.total = np.zeros(8, np.float32)

    def call(self, x: Tensor) -> Tensor:
        self.total += x.data.sum(axis=0)
        return x


class Declines(nn.Module):
    """A layer that says why it cannot be traced."""

    def call(self, x: Tensor) -> Tensor:
        return x

    def untraceable_reason(self) -> str | None:
        return "it says so"


class HandWrittenLoss(nn.losses.CrossEntropy):
    """A loss with a node whose backward is a plain Python function (make_node)."""

    def __call__(self, outputs: Tensor, targets: np.ndarray) -> Tensor:
        loss = super().__call__(outputs, targets)
        return make_node(loss.data * 2.0, (loss,), lambda g, node: (g * 2.0,), (), "double")


def data(n: int = 70, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=n)
    return [(X[i : i + 32], y[i : i + 32]) for i in range(0, n, 32)]  # 32, 32, 6


def run(layers: list[Any], jit: bool, steps: int = 12, loss: Any = "cross_entropy") -> Any:
    model = nn.Sequential(layers, seed=0)
    model.compile(loss=loss, optimizer=optim.SGD(0.1, momentum=0.9), jit_compile=jit)
    batches = data()
    losses = [model.train_on_batch(*batches[i % len(batches)]) for i in range(steps)]
    return model, losses


def fallback_warnings(make_layers: Any, loss: Any = "cross_entropy") -> list[str]:
    """Train eagerly and compiled; the same numbers, and the compiled run's warnings."""
    eager, eager_losses = run(make_layers(), jit=False, loss=loss)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        jit, jit_losses = run(make_layers(), jit=True, loss=loss)
    np.testing.assert_array_equal(jit_losses, eager_losses)
    for p, q in zip(eager.parameters(), jit.parameters(), strict=True):
        np.testing.assert_array_equal(q.data, p.data)
    for (name, a), (_, b) in zip(eager.named_buffers(), jit.named_buffers(), strict=True):
        np.testing.assert_array_equal(b, a, err_msg=name)  # updated once per step
    step = jit._get_train_step()
    assert step.replays == 0 and step.fallback_reason is not None
    messages = [str(w.message) for w in caught if "jit_compile" in str(w.message)]
    assert all(issubclass(w.category, RuntimeWarning) for w in caught)
    return messages


def test_data_dependent_control_flow_falls_back_naming_where() -> None:
    messages = fallback_warnings(lambda: [nn.Dense(8), Flip(), nn.Dense(3)])
    assert len(messages) == 1  # 12 steps over two batch shapes: still one warning
    assert "float() reads the values of a traced array in Flip.call" in messages[0]
    assert "test_compile_fallback.py" in messages[0]


class InferredClasses(nn.losses.CrossEntropy):
    """one_hot without num_classes: the width is the data's largest label + 1."""

    def __call__(self, outputs: Tensor, targets: np.ndarray) -> Tensor:
        target = mg.tensor.one_hot(targets, dtype=outputs.dtype)
        return -(target * outputs[:, : target.shape[1]].log_softmax()).sum(axis=1).mean()


def test_one_hot_that_infers_the_classes_from_the_labels_falls_back() -> None:
    messages = fallback_warnings(lambda: [nn.Dense(3)], loss=InferredClasses())
    assert len(messages) == 1 and "int() reads the values of a traced array" in messages[0]


def masked_sum(x: Tensor) -> Tensor:
    """Indexing with a boolean mask of the data: its shape is the data's count of True."""
    return x * 0.5 + x[x > 0].sum()


def test_indexing_with_a_traced_boolean_mask_falls_back_naming_where() -> None:
    # It used to be traced with the first batch's count, and a later batch with another count
    # failed inside the replay with a broadcasting error.
    messages = fallback_warnings(lambda: [nn.Dense(8, activation=masked_sum), nn.Dense(3)])
    assert len(messages) == 1 and "indexing with a traced boolean mask in masked_sum" in messages[0]


def test_a_hand_written_node_falls_back() -> None:
    messages = fallback_warnings(lambda: [nn.Dense(3)], loss=HandWrittenLoss())
    assert len(messages) == 1 and "'double' node has a hand-written backward" in messages[0]


def test_an_array_method_the_stand_ins_do_not_record_falls_back_naming_it() -> None:
    messages = fallback_warnings(lambda: [nn.Dense(8), Sorted(), nn.Dense(3)])
    assert len(messages) == 1 and "calls .sort on a traced array in Sorted.call" in messages[0]


def test_a_failure_only_tracing_meets_falls_back_naming_the_error() -> None:
    messages = fallback_warnings(lambda: [nn.Dense(8), Reshaped(), nn.Dense(3)])
    assert len(messages) == 1 and "AttributeError" in messages[0]


def test_a_layer_that_updates_state_outside_its_buffers_falls_back_naming_where() -> None:
    layers: list[RunningSum] = []

    def make() -> list[Any]:
        layers.append(RunningSum())
        return [nn.Dense(8), layers[-1], nn.Dense(3)]

    messages = fallback_warnings(make)
    assert len(messages) == 1
    assert "writes a traced value into an array outside the step" in messages[0]
    assert "in RunningSum.call" in messages[0] and "Module.add_buffer" in messages[0]
    eager, jit = layers
    np.testing.assert_array_equal(jit.total, eager.total)  # one update per step, as eagerly


def test_a_layer_that_gives_a_reason_falls_back_naming_it() -> None:
    messages = fallback_warnings(lambda: [nn.Dense(8), Declines(), nn.Dense(3)])
    assert len(messages) == 1 and "layer 'declines': it says so" in messages[0]


@pytest.fixture
def wrong_tanh_recording() -> Iterator[None]:
    """The recording namespace's tanh records one kernel too many (a bug to be caught)."""
    original = _xp_record.tanh

    def wrong(x: Any, out: Any = None) -> Any:
        result = original(x, out=out)
        if not isinstance(result, np.ndarray):
            recorder: Recorder = result.recorder
            recorder.emit(np.multiply, (result, 2.0, result))  # replayed, never traced
        return result

    _xp_record.tanh = wrong
    try:
        yield
    finally:
        _xp_record.tanh = original


@pytest.mark.usefixtures("wrong_tanh_recording")
def test_a_recording_that_disagrees_with_eager_is_caught_by_the_self_check() -> None:
    messages = fallback_warnings(lambda: [nn.Dense(8, activation="tanh"), nn.Dense(3)])
    assert len(messages) == 1 and "self-check failed: the replayed loss" in messages[0]


@pytest.mark.usefixtures("wrong_tanh_recording")
def test_a_failed_self_check_leaves_the_moving_statistics_as_one_eager_step_does() -> None:
    # The replay updated the moving statistics before the check failed: the fallback
    # starts from the state before the step, so every step updates them exactly once.
    messages = fallback_warnings(
        lambda: [nn.Dense(8, activation="tanh"), nn.BatchNormalization(), nn.Dense(3)]
    )
    assert len(messages) == 1 and "self-check failed: the replayed loss" in messages[0]


def test_fit_falls_back_too() -> None:
    X = np.concatenate([x for x, _ in data()])
    y = np.concatenate([t for _, t in data()])
    histories = []
    for jit in (False, True):
        model = nn.Sequential([nn.Dense(8), Flip(), nn.Dense(3)], seed=1)
        model.compile(optimizer="adam", jit_compile=jit)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            histories.append(model.fit(X, y, epochs=2, batch_size=16, verbose=0).history)
        assert len([w for w in caught if "jit_compile" in str(w.message)]) == int(jit)
    assert histories[0] == histories[1]


def test_a_recomputing_checkpoint_policy_falls_back() -> None:
    X, y = data()[0]
    model = nn.Sequential([nn.Dense(8, activation="relu"), nn.Dense(3)], checkpoint="sqrt")
    model.compile(optimizer="sgd", jit_compile=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses = [model.train_on_batch(X, y) for _ in range(3)]
    assert losses[-1] < losses[0]
    messages = [str(w.message) for w in caught if "jit_compile" in str(w.message)]
    assert len(messages) == 1 and "checkpoint='sqrt'" in messages[0]


def test_an_error_the_eager_step_raises_too_is_raised_not_warned() -> None:
    X, y = data()[0]
    model = nn.Sequential([nn.Dense(3)], seed=0)
    model.compile(optimizer="sgd", jit_compile=True)
    model.train_on_batch(X, y)  # builds the model; later batches are checked only for shape
    bad = y[:10].copy()
    bad[3] = 7  # a label out of range, in a batch of a new shape: met while tracing it
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning either
        with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
            model.train_on_batch(X[:10], bad)
        model.train_on_batch(X[:10], y[:10])  # then traced and compiled as usual
    step = model._get_train_step()
    assert step.fallback_reason is None and step.traces == 2 and step.replays == 2
