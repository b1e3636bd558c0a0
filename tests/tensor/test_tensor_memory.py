"""The ledger of bytes held for backward: what it counts, when, and what it leaves out."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import memograd as mg
from memograd.tensor import memory


def _f32(*shape: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


def test_counts_saved_arrays_until_the_sweep_releases_them() -> None:
    w = mg.Tensor(_f32(3, 5), requires_grad=True)
    x = mg.Tensor(_f32(4, 3))
    with memory.track() as t:
        h = (x @ w).tanh()  # matmul keeps x (w is a parameter); tanh keeps its output
        assert memory.live_bytes() == x.data.nbytes + h.data.nbytes
        loss = (h * h).sum()  # mul keeps h twice: one buffer, counted once
        assert memory.live_bytes() == x.data.nbytes + h.data.nbytes
        loss.backward()
        assert memory.live_bytes() == 0
    assert t.peak_bytes == x.data.nbytes + h.data.nbytes
    assert t.live_bytes == 0 and t.start_bytes == 0


def test_retain_graph_keeps_the_bytes_until_the_graph_dies() -> None:
    w = mg.Tensor(_f32(3, 2), requires_grad=True)
    with memory.track():
        y = (mg.Tensor(_f32(4, 3)) @ w).relu()
        loss = y.sum()
        loss.backward(retain_graph=True)
        assert memory.live_bytes() == 4 * 3 * 4 + y.data.nbytes
        del loss, y
        gc.collect()
        assert memory.live_bytes() == 0  # collected without a sweep: forgotten too


def test_trainable_leaves_are_not_counted_but_constants_are() -> None:
    a = mg.Tensor(_f32(8), requires_grad=True)
    b = mg.Tensor(_f32(8), requires_grad=True)
    with memory.track() as t:
        (a * b).sum().backward()  # mul keeps a and b: both the user's
    assert t.peak_bytes == 0
    mask = _f32(8)
    with memory.track() as t:
        (a * mask).sum().backward()  # the constant operand exists for this graph only
    assert t.peak_bytes == mask.nbytes


def test_a_view_counts_as_the_buffer_it_keeps_alive() -> None:
    x = mg.Tensor(_f32(10, 10), requires_grad=True)
    with memory.track() as t:
        h = x * 2.0  # (10, 10), not saved by mul-by-number
        part = h[:2]  # getitem keeps nothing of h; the slice is a view into h
        assert memory.live_bytes() == 0
        part.relu().sum().backward()  # relu keeps its output: a new (2, 10) array
    assert t.peak_bytes == 2 * 10 * 4
    base = np.zeros(100, dtype=np.float32)
    with memory.track():
        memory.hold("view", [base[:10]])
        assert memory.live_bytes() == base.nbytes
        memory.hold("other", [base[50:]])  # same buffer again: still counted once
        assert memory.live_bytes() == base.nbytes
        memory.drop("view")
        assert memory.live_bytes() == base.nbytes
        memory.drop("other")
        assert memory.live_bytes() == 0


def test_nested_trackers_share_the_ledger_and_it_resets_after() -> None:
    w = mg.Tensor(_f32(3, 3), requires_grad=True)
    x = mg.Tensor(_f32(2, 3))
    with memory.track() as outer:
        y = (x @ w).relu()
        with memory.track() as inner:
            assert inner.start_bytes == memory.live_bytes() > 0
            y.sum().backward()
        assert inner.live_bytes == 0 and inner.peak_bytes == inner.start_bytes
    assert outer.peak_bytes == inner.start_bytes
    assert not memory.tracking() and memory.live_bytes() == 0
    y2 = (x @ w).relu()  # outside track: nothing counted, nothing held
    assert memory.live_bytes() == 0
    with memory.track() as late:
        y2.sum().backward()  # saved before tracking began: not seen
    assert late.peak_bytes == 0


def test_tracker_repr_names_its_fields() -> None:
    with memory.track() as t:
        pass
    assert repr(t) == "Tracker(start_bytes=0, peak_bytes=0, live_bytes=0)"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_linear_and_cross_entropy_save_what_their_vjps_read(dtype: str) -> None:
    from memograd.tensor.functional import cross_entropy, linear

    rng = np.random.default_rng(1)
    x = mg.Tensor(rng.standard_normal((5, 3)).astype(dtype))
    w = mg.Tensor(rng.standard_normal((3, 7)).astype(dtype), requires_grad=True)
    b = mg.Tensor(np.zeros(7, dtype=dtype), requires_grad=True)
    labels = np.array([0, 1, 2, 3, 4])
    with memory.track() as t:
        h = linear(x, w, b, activation="relu")  # keeps x and the output
        loss = cross_entropy(h, labels)  # keeps probabilities and the labels
        loss.backward()
    item = np.dtype(dtype).itemsize
    assert t.peak_bytes == 5 * 3 * item + 5 * 7 * item + 5 * 7 * item + labels.nbytes
