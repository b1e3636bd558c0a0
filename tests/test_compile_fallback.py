"""Steps that cannot be compiled run eagerly, after exactly one warning naming the reason."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from functools import partial
from typing import Any

import numpy as np
import pytest

import memograd as mg
from memograd.compile import _rules
from memograd.compile._tape import TapeBuilder
from memograd.tensor import Tensor

nn, optim = mg.nn, mg.optim


class Flip(nn.Module):
    """A custom layer with data-dependent control flow: no single trace describes it."""

    def call(self, x: Tensor) -> Tensor:
        return -x if float(x.data.mean()) > 0 else x


class Doubled(nn.losses.CrossEntropy):
    """A custom loss (a subclass: its __call__ could do anything)."""

    def __call__(self, outputs: Tensor, targets: np.ndarray) -> Tensor:
        return super().__call__(outputs, targets) * 2.0


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
    step = jit._get_train_step()
    assert step.replays == 0 and step.fallback_reason is not None
    messages = [str(w.message) for w in caught if "jit_compile" in str(w.message)]
    assert all(issubclass(w.category, RuntimeWarning) for w in caught)
    return messages


def test_dropout_with_a_rate_falls_back_with_one_warning() -> None:
    def layers() -> list[Any]:
        return [nn.Dense(8, activation="relu"), nn.Dropout(0.5), nn.Dense(3)]

    messages = fallback_warnings(layers)  # 12 steps over two batch shapes: still one warning
    assert len(messages) == 1 and "Dropout(rate=0.5)" in messages[0]


def test_a_custom_layer_with_data_dependent_control_flow_falls_back() -> None:
    messages = fallback_warnings(lambda: [nn.Dense(8), Flip(), nn.Dense(3)])
    assert len(messages) == 1 and "custom layer" in messages[0] and "Flip" in messages[0]


def test_a_custom_activation_falls_back() -> None:
    def cube(x: Tensor) -> Tensor:
        return x * x * x

    messages = fallback_warnings(lambda: [nn.Dense(8, activation=cube), nn.Dense(3)])
    assert len(messages) == 1 and "custom activation 'cube'" in messages[0]


def test_a_custom_loss_falls_back() -> None:
    messages = fallback_warnings(lambda: [nn.Dense(3)], loss=Doubled())
    assert len(messages) == 1 and "custom loss Doubled" in messages[0]


@pytest.fixture
def without_linear_rule() -> Iterator[None]:
    saved = _rules._RULES.pop("linear")
    try:
        yield
    finally:
        _rules._RULES["linear"] = saved


@pytest.mark.usefixtures("without_linear_rule")
def test_an_op_without_a_tape_rule_falls_back() -> None:
    messages = fallback_warnings(lambda: [nn.Dense(8, activation="relu"), nn.Dense(3)])
    assert len(messages) == 1 and "the op 'linear' has no tape rule" in messages[0]


@pytest.fixture
def wrong_cross_entropy_rule() -> Iterator[None]:
    original = _rules._RULES["cross_entropy"]

    def wrong(node: Tensor, tape: TapeBuilder) -> Any:
        forward, backward = original(node, tape)
        loss = tape.value(node)
        return [*forward, partial(np.multiply, loss, 2.0, out=loss)], backward

    _rules._RULES["cross_entropy"] = wrong
    try:
        yield
    finally:
        _rules._RULES["cross_entropy"] = original


@pytest.mark.usefixtures("wrong_cross_entropy_rule")
def test_a_rule_that_disagrees_with_its_op_is_caught_by_the_self_check() -> None:
    messages = fallback_warnings(lambda: [nn.Dense(8, activation="tanh"), nn.Dense(3)])
    assert len(messages) == 1 and "self-check failed: the replayed loss" in messages[0]


def test_fit_falls_back_too() -> None:
    X = np.concatenate([x for x, _ in data()])
    y = np.concatenate([t for _, t in data()])
    histories = []
    for jit in (False, True):
        model = nn.Sequential([nn.Dense(8), nn.Dropout(0.3), nn.Dense(3)], seed=1)
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
