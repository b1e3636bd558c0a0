"""Python's built-in protocols on a Tensor, as on a PyTorch tensor: abs(), int(), format()."""

from __future__ import annotations

import numpy as np
import pytest

import memograd as mg

torch = pytest.importorskip("torch")


def test_builtin_abs_is_the_abs_op_with_its_gradient() -> None:
    x = np.array([-2.0, 0.5, 3.0])
    t = mg.Tensor(x, requires_grad=True)
    tt = torch.tensor(x, requires_grad=True)
    y, ty = abs(t), abs(tt)  # was TypeError: bad operand type for abs()
    np.testing.assert_array_equal(y.data, ty.detach().numpy())
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_array_equal(t.grad, tt.grad.numpy())


@pytest.mark.parametrize("value", [2.7, -2.7, [[4.0]]])
def test_int_truncates_a_one_element_tensor(value: object) -> None:
    assert int(mg.Tensor(value)) == int(torch.tensor(value))
    with pytest.raises(ValueError, match="one element"):
        int(mg.Tensor([1.0, 2.0]))


def test_format_spec_on_a_0d_tensor_formats_its_value() -> None:
    loss, torch_loss = mg.Tensor(0.123456), torch.tensor(0.123456)
    assert f"{loss:.3f}" == f"{torch_loss:.3f}" == "0.123"  # was TypeError
    assert f"{loss}" == str(loss)  # no spec: the Tensor's own repr, as before
    with pytest.raises(TypeError):
        f"{mg.Tensor([1.0, 2.0]):.3f}"  # several values: no number format, as torch
