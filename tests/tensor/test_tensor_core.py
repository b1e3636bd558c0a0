"""Tensor creation, dtype rule, attributes, accumulation and the Node protocol."""

from __future__ import annotations

import numpy as np
import pytest

import memograd as mg
from memograd import Tensor


def test_creation_dtypes() -> None:
    assert Tensor([1, 2]).dtype == np.float32
    assert Tensor(3).dtype == np.float32
    assert Tensor(np.arange(3)).dtype == np.float32
    assert Tensor(np.zeros(2, dtype=np.float64)).dtype == np.float64
    assert Tensor([1.0], dtype="float64").dtype == np.float64
    assert Tensor(np.zeros(2), dtype=np.float32).dtype == np.float32


def test_creation_errors() -> None:
    with pytest.raises(TypeError, match="dtype"):
        Tensor([1.0], dtype="int32")
    with pytest.raises(TypeError, match="requires_grad"):
        Tensor([1.0], requires_grad=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="data"):
        Tensor(["a", "b"])
    with pytest.raises(TypeError, match="data"):
        Tensor([[1.0], [2.0, 3.0]])


def test_attributes_and_repr() -> None:
    t = Tensor(np.ones((2, 3)), requires_grad=True)
    assert (t.shape, t.ndim, t.size, len(t)) == ((2, 3), 2, 6, 2)
    assert t.is_leaf and t.grad is None
    assert "requires_grad=True" in repr(t) and "float64" in repr(t)
    y = t * 2
    assert not y.is_leaf and y.op == "mul" and "op='mul'" in repr(y)
    assert Tensor([2.5]).item() == 2.5
    with pytest.raises(ValueError, match=r"shape=\(2, 3\)"):
        t.item()
    assert np.shares_memory(t.numpy(), t.data)
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and np.shares_memory(d.data, y.data)


def test_simple_backward_and_accumulation() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    stats = (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0, 6.0])
    assert stats.leaves == 1
    (x * x).sum().backward()  # accumulates, as in PyTorch
    np.testing.assert_allclose(x.grad, [4.0, 8.0, 12.0])
    x.zero_grad()
    assert x.grad is None


def test_leaf_grads_never_alias() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # the add VJP hands one array to both parents
    assert not np.shares_memory(a.grad, b.grad)
    a.grad -= 10.0  # an in-place optimizer update
    np.testing.assert_allclose(b.grad, [1.0, 1.0])
    seed = np.array([5.0, 6.0], dtype=np.float32)
    c = Tensor([1.0, 1.0], requires_grad=True)
    (c + 0).backward(seed)
    c.grad += 1
    np.testing.assert_allclose(seed, [5.0, 6.0])


def test_no_grad_and_enable_grad() -> None:
    x = Tensor([1.0], requires_grad=True)
    with mg.no_grad():
        y = x * 2
        with mg.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad

    @mg.no_grad()
    def f(t: Tensor) -> Tensor:
        return t + 1

    assert not f(x).requires_grad
    assert (x + 1).requires_grad


def test_saved_nbytes_and_release() -> None:
    x = Tensor(np.ones((4, 5)), requires_grad=True)
    w = Tensor(np.ones((5, 3)), requires_grad=True)
    y = x @ w
    assert y._saved_nbytes() == x.data.nbytes + w.data.nbytes
    c = Tensor(np.ones((4, 5)))  # a constant: its partner needs nothing saved
    assert (c @ w)._saved_nbytes() == c.data.nbytes
    loss = y.sum()
    stats = loss.backward()
    assert stats.saved_bytes == x.data.nbytes + w.data.nbytes
    assert y._saved_nbytes() == 0
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_retain_graph_allows_second_backward() -> None:
    x = Tensor([2.0], requires_grad=True)
    loss = (x * x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(x.grad, [24.0])


def test_backward_errors() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape=\(2,\)"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).backward()
    with pytest.raises(ValueError, match="shape"):
        (x * 2).backward(np.ones(3))


def test_mixed_dtypes_refused_constants_adopt() -> None:
    a = Tensor([1.0], dtype="float32")
    b = Tensor([1.0], dtype="float64")
    with pytest.raises(TypeError, match="float32 and float64"):
        a + b
    assert (a + np.float64(1.0)).dtype == np.float32
    assert (a * np.ones(1)).dtype == np.float32
    assert (2.0 * a).dtype == np.float32
    assert (np.ones(1) + a).dtype == np.float32  # ndarray defers to Tensor.__radd__
    assert isinstance(np.ones(1) + a, Tensor)
    assert (a.astype("float64") + b).dtype == np.float64


def test_data_is_always_an_array() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    for t in [x.sum(), x.mean(), x.max(), x @ x, x[0], x.sum().exp(), x[0] * x[1]]:
        assert isinstance(t.data, np.ndarray) and t.shape == ()
    with mg.no_grad():
        assert isinstance(x.sum().data, np.ndarray)


def test_python_number_operands_keep_dtype_and_divide_by_zero_like_numpy() -> None:
    a = Tensor([1.0, -1.0], requires_grad=True)
    for t in (a + 1, a - 2.5, 3 - a, a * 2, a / 4.0, 2.0 / a, a**2):
        assert t.dtype == np.float32 and t.requires_grad
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal((a / 0).data, [np.inf, -np.inf])
