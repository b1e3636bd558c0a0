"""Every user-caused error names the op and the shapes (or values) involved."""

from __future__ import annotations

import numpy as np
import pytest

import memograd as mg
from memograd import Tensor
from memograd.tensor.functional import cross_entropy, linear


def test_matmul_misaligned_names_both_shapes() -> None:
    a, b = Tensor(np.ones((3, 4))), Tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"matmul: shapes \(3, 4\) and \(5, 2\) are not aligned"):
        a @ b
    with pytest.raises(ValueError, match="matmul"):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((5, 4, 2)))  # batch dims 2 vs 5
    with pytest.raises(ValueError, match="at least one dimension"):
        Tensor(2.0) @ Tensor([1.0])


def test_broadcast_errors_name_op_and_shapes() -> None:
    a, b = Tensor(np.ones(3)), Tensor(np.ones(4))
    for op, name in [
        (lambda: a + b, "add"),
        (lambda: a - b, "sub"),
        (lambda: a * b, "mul"),
        (lambda: a / b, "div"),
    ]:
        with pytest.raises(ValueError, match=rf"{name}: shapes \(3,\) and \(4,\)"):
            op()
    with pytest.raises(ValueError, match="where"):
        mg.tensor.where(np.ones(5) > 0, a, b)


def test_shape_op_errors() -> None:
    t = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\)"):
        t.reshape(4, 2)
    with pytest.raises(ValueError, match="transpose"):
        t.transpose(0, 0)
    with pytest.raises(ValueError, match="broadcast_to"):
        t.broadcast_to((3, 3))
    with pytest.raises(ValueError, match="concatenate"):
        mg.tensor.concatenate([t, Tensor(np.ones((2, 2)))], axis=0)
    with pytest.raises(ValueError, match="stack"):
        mg.tensor.stack([t, Tensor(np.ones((2, 2)))])
    with pytest.raises(ValueError, match="non-empty list"):
        mg.tensor.stack([])
    with pytest.raises(IndexError, match=r"shape \(2, 3\)"):
        t[5]
    with pytest.raises(ValueError, match="swapaxes"):
        t.swapaxes(0, 2)


def test_reduction_and_activation_axis_errors() -> None:
    t = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="sum: axis 2 is out of range"):
        t.sum(axis=2)
    with pytest.raises(TypeError, match="axis"):
        t.mean(axis=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="repeated axis"):
        t.max(axis=(0, 0))
    with pytest.raises(ValueError, match="softmax"):
        t.softmax(axis=3)
    with pytest.raises(ValueError, match="zero elements"):
        Tensor(np.ones((0, 3))).mean(axis=0)


def test_dtype_mixing_is_refused_for_every_binary_op() -> None:
    a = Tensor(np.ones((2, 2), dtype=np.float32))
    b = Tensor(np.ones((2, 2), dtype=np.float64))
    for op in (
        lambda: a + b,
        lambda: a * b,
        lambda: a / b,
        lambda: a @ b,
        lambda: mg.tensor.concatenate([a, b]),
    ):
        with pytest.raises(TypeError, match="float32 and float64"):
            op()
    with pytest.raises(TypeError, match="operand"):
        a + "x"  # type: ignore[operator]


def test_fused_op_errors() -> None:
    w = Tensor(np.ones((3, 4)), requires_grad=True)
    with pytest.raises(ValueError, match=r"linear: shapes \(5, 2\) \(x\) and \(3, 4\)"):
        linear(np.ones((5, 2)), w)
    with pytest.raises(ValueError, match=r"`bias` must have shape \(4,\)"):
        linear(np.ones((5, 3)), w, Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="activation"):
        linear(np.ones((5, 3)), w, activation="gelu")
    with pytest.raises(TypeError, match="weight"):
        linear(np.ones((5, 3)), np.ones((3, 4)))  # type: ignore[arg-type]
    logits = Tensor(np.zeros((4, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        cross_entropy(logits, [0, 1, 3, 0])
    with pytest.raises(ValueError, match="4 rows of logits but 2 labels"):
        cross_entropy(logits, [0, 1])
    with pytest.raises(ValueError, match="integer class indices"):
        cross_entropy(logits, [0.5, 1, 2, 0])
    with pytest.raises(ValueError, match=r"shape \(batch, classes\)"):
        cross_entropy(Tensor(0.0), [0])
    with pytest.raises(ValueError, match=r"one class index or a target of shape \(3,\)"):
        cross_entropy(Tensor(np.zeros(3)), [0])  # one sample (C,): an index, not a list
    with pytest.raises(ValueError, match=r"probabilities of shape \(4, 3\)"):
        cross_entropy(logits, np.ones((4, 2)))


def test_clip_and_misc_argument_errors() -> None:
    t = Tensor([1.0])
    with pytest.raises(ValueError, match="at least one"):
        t.clip()
    with pytest.raises(TypeError, match="negative_slope"):
        t.leaky_relu("0.1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))


@pytest.mark.parametrize("bound", ["a", [None], Tensor(0.0)])
def test_clip_bounds_that_are_not_numbers_name_the_argument(bound: object) -> None:
    t = Tensor([1.0, -1.0])
    with pytest.raises(TypeError, match="`min`"):
        t.clip(bound, 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`max`"):
        t.clip(None, bound)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data", [None, "1.5", b"1", [1.0, None], [1j], np.ones(2, dtype=complex)], ids=repr
)
def test_data_that_is_not_real_numbers_is_refused(data: object) -> None:
    with pytest.raises(TypeError, match="`data`"):  # was NaN, 1.5 or a dropped imaginary part
        Tensor(data)


def test_truth_value_as_numpy_and_torch() -> None:
    torch = pytest.importorskip("torch")
    for value in ([0.0], [[2.0]], 0.0, 3.0):
        assert bool(Tensor(value)) == bool(torch.tensor(value)) == bool(np.array(value))
    for value in ([1.0, 2.0], np.zeros((0,))):  # a non-empty tensor was simply true
        with pytest.raises(RuntimeError):
            bool(torch.tensor(value))
        with pytest.raises(ValueError, match="ambiguous"):
            bool(Tensor(value))


def test_iterating_rows_and_refusing_a_0d_tensor() -> None:
    rows = list(Tensor(np.arange(6.0).reshape(2, 3)))
    assert [r.data.tolist() for r in rows] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    with pytest.raises(TypeError, match="0-d"):  # was an empty list
        list(Tensor(1.0))


def test_second_backward_through_released_graph() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="released"):
        y.backward()
