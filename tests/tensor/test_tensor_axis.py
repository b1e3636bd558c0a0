"""`axis` arguments (issue 11 §3): one error for out-of-range axes, PyTorch's 0-d rule.

Every op that takes an axis raises `AxisError` for one out of range: a ValueError, an
IndexError and NumPy's AxisError at once, whose message names the op, the axis, the number
of dimensions and the valid range. Softmax, log_softmax and the reductions accept axis 0 or
-1 on a 0-d tensor, as PyTorch does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import memograd as mg
from memograd import Tensor
from memograd.autograd import gradients
from memograd.tensor import AxisError

torch = pytest.importorskip("torch")

T = Tensor(np.ones((4, 5)))

# (op name, call with the axis, number of dimensions the axis indexes)
AXIS_OPS: list[tuple[str, Callable[[Any], Any], int]] = [
    ("sum", lambda ax: T.sum(axis=ax), 2),
    ("sum", lambda ax: T.sum(axis=(ax,)), 2),
    ("mean", lambda ax: T.mean(axis=ax), 2),
    ("max", lambda ax: T.max(axis=ax, keepdims=True), 2),
    ("softmax", lambda ax: T.softmax(axis=ax), 2),
    ("log_softmax", lambda ax: T.log_softmax(axis=ax), 2),
    ("stack", lambda ax: mg.tensor.stack([T, T], axis=ax), 3),
    ("concatenate", lambda ax: mg.tensor.concatenate([T, T], axis=ax), 2),
    ("swapaxes", lambda ax: T.swapaxes(0, ax), 2),
    ("transpose", lambda ax: T.transpose(ax, (ax + 1) % 2), 2),
]
IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(AXIS_OPS)]


@pytest.mark.parametrize(("op", "call", "ndim"), AXIS_OPS, ids=IDS)
@pytest.mark.parametrize("offset", [0, 75], ids=["just-out", "far-out"])
@pytest.mark.parametrize("sign", [1, -1], ids=["positive", "negative"])
def test_out_of_range_axis_is_one_catchable_error(
    op: str, call: Callable[[Any], Any], ndim: int, offset: int, sign: int
) -> None:
    axis = ndim + offset if sign > 0 else -ndim - 1 - offset
    with pytest.raises(AxisError) as caught:
        call(axis)
    error = caught.value
    assert isinstance(error, ValueError) and isinstance(error, IndexError)
    assert isinstance(error, np.exceptions.AxisError)
    assert (error.axis, error.ndim) == (axis, ndim)
    message = str(error)
    assert message.startswith(f"{op}: axis {axis} is out of range for ")
    assert f"has {ndim} dimensions; expected an int in [{-ndim}, {ndim - 1}]" in message


@pytest.mark.parametrize(("op", "call", "ndim"), AXIS_OPS, ids=IDS)
def test_every_in_range_axis_is_accepted(op: str, call: Callable[[Any], Any], ndim: int) -> None:
    for axis in range(-ndim, ndim):
        call(axis)
        call(np.int64(axis))  # NumPy integers are integers (operator.index)


@pytest.mark.parametrize("axis", [1.0, True, "0", None])
def test_axis_that_is_not_an_int_is_a_type_error(axis: Any) -> None:
    with pytest.raises(TypeError, match="axis"):
        T.softmax(axis=axis)
    with pytest.raises(TypeError, match="axis"):
        mg.tensor.stack([T, T], axis=axis)
    with pytest.raises(TypeError, match="axis"):
        mg.tensor.concatenate([T, T], axis=axis)
    if axis is not None:  # None means every axis for a reduction
        with pytest.raises(TypeError, match="axis"):
            T.sum(axis=axis)


def test_stack_message_of_the_issue() -> None:
    with pytest.raises(IndexError) as caught:
        mg.tensor.stack([T, T], axis=77)
    assert str(caught.value) == (
        "stack: axis 77 is out of range for a stack of tensors of shape (4, 5), which has "
        "3 dimensions; expected an int in [-3, 2]. Received: axis=77"
    )


# ------------------------------------------------------------------------------ 0-d tensors
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_of_a_0d_tensor_matches_torch(op: str, axis: int, dtype: str) -> None:
    for value in (2.5, -1e4, 0.0):
        x = Tensor(np.array(value, dtype=dtype), requires_grad=True)
        y = getattr(x, op)(axis)
        y.backward(np.array(3.0, dtype=dtype))
        tx = torch.tensor(value, dtype=getattr(torch, dtype), requires_grad=True)
        ty = getattr(tx, op)(axis)
        ty.backward(torch.tensor(3.0, dtype=getattr(torch, dtype)))
        assert y.shape == () and y.dtype == dtype
        assert float(y.data) == ty.item() == (1.0 if op == "softmax" else 0.0)
        assert x.grad is not None and float(x.grad) == tx.grad.item() == 0.0  # type: ignore[union-attr]


@pytest.mark.parametrize("axis", [1, -2])
def test_softmax_of_a_0d_tensor_refuses_other_axes_like_torch(axis: int) -> None:
    with pytest.raises(AxisError, match=r"expected an int in \[-1, 0\]"):
        Tensor(2.0).softmax(axis)
    with pytest.raises(IndexError):
        torch.tensor(2.0).softmax(axis)


def test_softmax_of_a_0d_tensor_has_a_second_derivative() -> None:
    x = Tensor(np.array(0.7), requires_grad=True)
    (g,) = gradients(x.log_softmax(0), [x], create_graph=True)
    (h,) = gradients(g, [x])
    assert float(g.data) == 0.0 and float(h) == 0.0


@pytest.mark.parametrize("axis", [0, -1, (0,), (-1,)])
@pytest.mark.parametrize(("ours", "theirs"), [("sum", "sum"), ("mean", "mean"), ("max", "amax")])
def test_reductions_of_a_0d_tensor_accept_axis_0_like_torch(
    ours: str, theirs: str, axis: Any
) -> None:
    for keepdims in (False, True):
        x = Tensor(np.array(1.5), dtype="float64", requires_grad=True)
        y = getattr(x, ours)(axis=axis, keepdims=keepdims)
        y.backward(np.array(2.0))
        tx = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
        ty = getattr(tx, theirs)(axis, keepdim=keepdims)
        ty.backward(torch.tensor(2.0, dtype=torch.float64))
        assert y.shape == tuple(ty.shape) == ()
        assert float(y.data) == ty.item() and float(x.grad) == tx.grad.item()  # type: ignore[arg-type]
    with pytest.raises(AxisError):
        getattr(Tensor(1.5), ours)(axis=1)
    with pytest.raises(ValueError, match="repeated axis"):
        getattr(Tensor(1.5), ours)(axis=(0, -1))


# ------------------------------------------------------------------- other unclear errors
def test_reshape_with_two_inferred_dimensions_says_only_one_is_allowed() -> None:
    with pytest.raises(ValueError, match=r"only one dimension can be -1.*shape=\(-1, -1, 2\)"):
        Tensor(np.ones(6)).reshape((-1, -1, 2))
    with pytest.raises(ValueError, match="only one dimension can be -1"):
        Tensor(np.ones(6)).reshape(-1, 3, -1)
    assert Tensor(np.ones(6)).reshape(-1, 2).shape == (3, 2)


def test_concatenate_of_0d_tensors_suggests_stack() -> None:
    a, b = Tensor(1.0), Tensor(2.0)
    with pytest.raises(ValueError, match=r"tensor 0 has shape \(\)\); use stack"):
        mg.tensor.concatenate([a, b])
    with pytest.raises(ValueError, match=r"tensor 1 has shape \(\)\); use stack"):
        mg.tensor.concatenate([Tensor([1.0]), b])
    assert mg.tensor.stack([a, b]).data.tolist() == [1.0, 2.0]


def test_shape_mismatch_errors_stay_value_errors_not_axis_errors() -> None:
    with pytest.raises(ValueError, match=r"stack: all tensors must have the same shape") as c1:
        mg.tensor.stack([T, Tensor(np.ones((4, 4)))])
    with pytest.raises(ValueError, match=r"concatenate: cannot join shapes") as c2:
        mg.tensor.concatenate([T, Tensor(np.ones((3, 4)))], axis=1)
    assert not isinstance(c1.value, IndexError) and not isinstance(c2.value, IndexError)
