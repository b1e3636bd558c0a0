"""einsum (a gradient for every operand, diagonals and broadcast letters), outer, tensordot:
values and gradients equal torch's in float32/float64, finite differences, second order."""

import numpy as np
import pytest
from _torch_check import against_torch, by_finite_differences

import memograd as mg

torch = pytest.importorskip("torch")
T = mg.tensor
rng = np.random.default_rng(11)
A, B, C = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(4,))
S = rng.normal(size=(3, 3))
BA, BB = rng.normal(size=(5, 2, 3)), rng.normal(size=(5, 3, 4))

SPECS = [
    ("ij,jk->ik", [A, B]),
    ("ij,jk", [A, B]),  # implicit output
    ("ij,jk,k->i", [A, B, C]),
    ("ii->", [S]),  # trace: a repeated letter
    ("ii->i", [S]),  # diagonal
    ("ij->", [A]),  # every letter summed away
    ("ij->ji", [A]),
    ("i,j->ij", [C, C[:3]]),
    ("...ij,...jk->...ik", [BA, BB]),
    ("bij->b", [BA]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("spec", "inputs"), SPECS, ids=[s for s, _ in SPECS])
def test_einsum_equals_torch(spec, inputs, dtype) -> None:
    against_torch(lambda *t: T.einsum(spec, *t), lambda *t: torch.einsum(spec, *t), inputs, dtype)
    by_finite_differences(lambda *t: T.einsum(spec, *t), inputs)
    np.testing.assert_allclose(T.einsum(spec, *inputs).data, np.einsum(spec, *inputs))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_outer_and_tensordot_equal_torch(dtype) -> None:
    against_torch(T.outer, torch.outer, [C, A[0]], dtype)
    against_torch(
        lambda a, b: T.tensordot(a, b, 1), lambda a, b: torch.tensordot(a, b, 1), [A, B], dtype
    )
    against_torch(
        lambda a, b: T.tensordot(a, b, ([1, 2], [1, 0])),
        lambda a, b: torch.tensordot(a, b, ([1, 2], [1, 0])),
        [BA, rng.normal(size=(3, 2, 6))],
        dtype,
    )
    by_finite_differences(lambda a, b: T.tensordot(a, b, 2), [BA, rng.normal(size=(2, 3))])
    np.testing.assert_allclose(T.outer(A, C).data, np.outer(A, C))  # NumPy flattens


def test_second_order_through_einsum() -> None:
    a = mg.Tensor(A, requires_grad=True)
    b = mg.Tensor(B, requires_grad=True)
    (ga,) = mg.autograd.gradients((T.einsum("ij,jk->ik", a, b) ** 2).sum(), [a], create_graph=True)
    ga.sum().backward()
    ta, tb = torch.tensor(A, requires_grad=True), torch.tensor(B, requires_grad=True)
    (tga,) = torch.autograd.grad(
        (torch.einsum("ij,jk->ik", ta, tb) ** 2).sum(), ta, create_graph=True
    )
    tga.sum().backward()
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(b.grad, tb.grad.numpy(), atol=1e-12)


def test_bad_subscripts_are_value_errors() -> None:
    with pytest.raises(ValueError, match="einsum"):
        T.einsum("ij,jk->ik", mg.Tensor(A), mg.Tensor(A))
    with pytest.raises(ValueError, match="operands"):
        T.einsum("ij,jk->ik", mg.Tensor(A))
    with pytest.raises(TypeError, match="subscripts"):
        T.einsum(3, mg.Tensor(A))
