"""The fused ops equal their unfused compositions, in one node."""

from __future__ import annotations

import numpy as np
import pytest

import memograd as mg
from memograd import Tensor
from memograd.tensor.functional import cross_entropy, linear

rng = np.random.default_rng(5)


@pytest.mark.parametrize("activation", [None, "relu", "tanh", "sigmoid"])
def test_linear_equals_composition_in_one_node(activation: str | None) -> None:
    x, w, b = rng.normal(size=(6, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    fused = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    plain = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    y1 = linear(*fused, activation=activation)
    y2 = plain[0] @ plain[1] + plain[2]
    if activation is not None:
        y2 = getattr(y2, activation)()
    np.testing.assert_allclose(y1.data, y2.data, rtol=1e-12)
    seed = rng.normal(size=y1.shape)
    s1, s2 = y1.backward(seed), y2.backward(seed)
    for a, c in zip(fused, plain, strict=True):
        np.testing.assert_allclose(a.grad, c.grad, rtol=1e-12)
    assert s1.nodes == 4 and s2.nodes > s1.nodes  # one op node + three leaves


def test_linear_saves_only_what_backward_needs() -> None:
    x = Tensor(np.ones((8, 3), dtype=np.float32))  # an input: no gradient wanted
    w = Tensor(np.ones((3, 5), dtype=np.float32), requires_grad=True)
    b = Tensor(np.zeros(5, dtype=np.float32), requires_grad=True)
    assert linear(x, w, b)._saved_nbytes() == x.data.nbytes
    y = linear(x, w, b, activation="relu")
    assert y._saved_nbytes() == x.data.nbytes + y.data.nbytes
    y.sum().backward()
    assert x.grad is None and w.grad is not None and b.grad is not None


def test_linear_keeps_float32_and_skips_graph_under_no_grad() -> None:
    w = Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    y = linear(np.ones((4, 3)), w, activation="relu")  # float64 input adopts w's dtype
    assert y.dtype == np.float32
    with mg.no_grad():
        z = linear(np.ones((4, 3)), w)
    assert not z.requires_grad and z.is_leaf


def test_cross_entropy_equals_log_softmax_pick() -> None:
    z = rng.normal(size=(5, 4))
    labels = np.array([3, 0, 1, 1, 2])
    a, b = Tensor(z, requires_grad=True), Tensor(z, requires_grad=True)
    l1 = cross_entropy(a, labels)
    l2 = -b.log_softmax()[np.arange(5), labels].mean()
    assert l1.item() == pytest.approx(l2.item(), rel=1e-12)
    l1.backward()
    l2.backward()
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-10, atol=1e-14)
    probs = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    np.testing.assert_allclose(a.grad, (probs - np.eye(4)[labels]) / 5, rtol=1e-10)


def test_cross_entropy_one_hot_equals_labels() -> None:
    z = rng.normal(size=(3, 3))
    labels = np.array([2, 0, 1])
    a, b = Tensor(z, requires_grad=True), Tensor(z, requires_grad=True)
    l1, l2 = cross_entropy(a, labels), cross_entropy(b, np.eye(3)[labels])
    assert l1.item() == pytest.approx(l2.item(), rel=1e-12)
    l1.backward()
    l2.backward()
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-12)


def test_cross_entropy_retain_graph_keeps_saved_probs_intact() -> None:
    a = Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    loss = cross_entropy(a, [0, 1, 2, 0])
    loss.backward(retain_graph=True)
    first = a.grad.copy()
    loss.backward()
    np.testing.assert_allclose(a.grad, 2 * first)


_RNG = np.random.default_rng(7)


@pytest.mark.parametrize(
    ("shape", "labels"),
    [
        ((5,), np.array(2)),  # one sample, a class index
        ((5,), _RNG.dirichlet(np.ones(5))),  # one sample, a target row
        ((3, 4, 6), _RNG.integers(0, 4, (3, 6))),  # a class per position
        ((3, 4, 2, 2), _RNG.integers(0, 4, (3, 2, 2))),
        ((3, 4, 2, 2), _RNG.uniform(0, 1, (3, 4, 2, 2))),  # a target per position
    ],
    ids=["1d-index", "1d-target", "3d-index", "4d-index", "4d-target"],
)
def test_cross_entropy_takes_torchs_other_layouts(shape, labels) -> None:
    torch = pytest.importorskip("torch")
    x = _RNG.standard_normal(shape)
    soft = labels.dtype.kind == "f"
    t = Tensor(x, requires_grad=True)
    y = Tensor(labels, requires_grad=True) if soft else labels
    tt = torch.tensor(x, requires_grad=True)
    ty = torch.tensor(labels, requires_grad=soft)
    loss, torch_loss = cross_entropy(t, y), torch.nn.functional.cross_entropy(tt, ty)
    np.testing.assert_allclose(loss.item(), torch_loss.item(), rtol=1e-12)  # was a ValueError
    loss.backward()
    torch_loss.backward()
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), atol=1e-12)
    if soft:
        np.testing.assert_allclose(y.grad, ty.grad.numpy(), atol=1e-12)


def test_cross_entropy_labels_of_the_wrong_layout_name_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"indices of shape \(3, 2\) or targets of shape"):
        cross_entropy(Tensor(np.zeros((3, 4, 2))), np.zeros((3, 4), dtype=int))
