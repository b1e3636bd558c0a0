"""Measured memory: the closed form of "all", and what each policy holds at its peak."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import memograd as mg
from memograd.checkpointing import schedule, simulate
from memograd.nn import Dense, Sequential
from memograd.tensor import memory
from memograd.tensor.functional import cross_entropy
from memograd.tradeoff import closed_form_saved_bytes, measure


def _peak(model: Sequential, X: np.ndarray, y: np.ndarray) -> int:
    with memory.track() as t:
        cross_entropy(model(mg.Tensor(X)), y).backward()
    assert t.live_bytes == 0  # everything saved was released by the sweep
    return t.peak_bytes


@settings(max_examples=25, deadline=None)
@given(
    widths=st.lists(st.integers(1, 40), min_size=1, max_size=6),
    features=st.integers(1, 30),
    batch=st.integers(1, 50),
    classes=st.integers(2, 12),
    dtype=st.sampled_from(["float32", "float64"]),
)
def test_keep_all_saves_exactly_the_closed_form(
    widths: list[int], features: int, batch: int, classes: int, dtype: str
) -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, features)).astype(dtype)
    y = rng.integers(0, classes, batch)
    layers = [Dense(w, activation="relu") for w in widths] + [Dense(classes)]
    model = Sequential(layers, dtype=dtype, seed=0)
    expected = closed_form_saved_bytes(
        batch, features, widths, classes, np.dtype(dtype).itemsize, y.dtype.itemsize
    )
    assert _peak(model, X, y) == expected


@pytest.mark.parametrize("policy", ["none", "sqrt", 2, 4, "binomial:1", "binomial:3"])
@pytest.mark.parametrize("depth", [3, 12])
def test_each_policy_holds_at_most_its_scheduled_activations(policy: str | int, depth: int) -> None:
    batch, width, classes = 16, 24, 5
    rng = np.random.default_rng(1)
    X = rng.standard_normal((batch, width)).astype(np.float32)
    y = rng.integers(0, classes, batch)
    layers = [Dense(width, activation="relu") for _ in range(depth)] + [Dense(classes)]
    model = Sequential(layers, checkpoint=policy, seed=0)
    peak = _peak(model, X, y)
    activation = batch * width * 4
    sim = simulate(schedule(policy, depth + 1))
    # the input, the scheduled activations, the loss's probabilities and labels
    bound = activation * (1 + sim.peak_activations) + batch * classes * 4 + batch * 8
    assert peak <= bound
    everything = closed_form_saved_bytes(batch, width, [width] * depth, classes)
    assert peak <= everything
    if sim.peak_activations < depth:
        assert peak < everything


def test_none_keeps_the_input_and_two_activations_at_any_depth() -> None:
    batch, width = 8, 16
    X = np.ones((batch, width), dtype=np.float32)
    y = np.zeros(batch, dtype=np.int64)
    peaks = []
    for depth in (4, 16, 40):
        layers = [Dense(width, activation="relu") for _ in range(depth)] + [Dense(width)]
        peaks.append(_peak(Sequential(layers, checkpoint="none", seed=0), X, y))
    activation = batch * width * 4
    # End of the forward: the input, the head's input, the softmax probabilities (here as
    # wide as an activation) and the labels; later, the input and one layer's input/output.
    forward_end = 3 * activation + batch * 8
    assert peaks[0] == peaks[1] == peaks[2] == max(forward_end, 3 * activation)


def test_measure_rows_agree_with_the_closed_form_and_the_schedule() -> None:
    rows = measure([3, 6], [8, 16], 4, ["all", "sqrt", "none", "binomial:2"], repeats=1)
    assert len(rows) == 2 * 2 * 4
    for row in rows:
        assert row["max_abs_grad_diff"] <= 1e-6
        assert row["recomputed_layers"] == row["predicted_recomputed_layers"]
        assert row["seconds"] > 0 and row["tracemalloc_peak_bytes"] > 0
        if row["policy"] == "all":
            assert row["peak_saved_bytes"] == row["closed_form_bytes"]
            assert row["saved_ratio"] == row["seconds_ratio"] == 1.0
        else:
            assert row["closed_form_bytes"] is None
            assert row["saved_ratio"] <= 1.0


def test_measure_validates_its_arguments() -> None:
    with pytest.raises(ValueError, match="`depths`"):
        measure([], [8], 4)
    with pytest.raises(ValueError, match="`widths`"):
        measure([2], [0], 4)
    with pytest.raises(ValueError, match="`batch`"):
        measure([2], [8], 0)
    with pytest.raises(ValueError, match="`checkpoint`"):
        measure([2], [8], 4, ["most"])
