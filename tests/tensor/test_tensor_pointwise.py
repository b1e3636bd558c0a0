"""maximum, minimum, sin, cos, log1p, expm1, square: values and gradients equal torch's in
float32/float64, finite differences, second derivatives, ties split as PyTorch."""

import numpy as np
import pytest
from _torch_check import against_torch, by_finite_differences

import memograd as mg
from memograd.tensor import _xp_numpy, _xp_tensor

torch = pytest.importorskip("torch")
T = mg.tensor
rng = np.random.default_rng(3)
X = rng.uniform(-2, 2, (3, 4))
Y = rng.uniform(-2, 2, (3, 4))
Y[0, :2] = X[0, :2]  # ties
ROW = rng.uniform(-2, 2, (4,))

UNARY = [
    ("sin", T.sin, torch.sin),
    ("cos", T.cos, torch.cos),
    ("log1p", T.log1p, torch.log1p),
    ("expm1", T.expm1, torch.expm1),
    ("square", T.square, torch.square),
    ("method_sin", lambda t: t.sin(), lambda t: t.sin()),
    ("method_square", lambda t: t.square(), lambda t: t.square()),
]
BINARY = [
    ("maximum", T.maximum, torch.maximum),
    ("minimum", T.minimum, torch.minimum),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "ours", "theirs"), UNARY, ids=[c[0] for c in UNARY])
def test_unary_equal_torch(name, ours, theirs, dtype) -> None:
    inputs = [np.abs(X) if name == "log1p" else X]
    against_torch(ours, theirs, inputs, dtype)
    by_finite_differences(ours, inputs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "ours", "theirs"), BINARY, ids=[c[0] for c in BINARY])
def test_binary_equal_torch_with_ties_and_broadcasting(name, ours, theirs, dtype) -> None:
    against_torch(ours, theirs, [X, Y], dtype)  # ties share the gradient (torch: half each)
    against_torch(ours, theirs, [X, ROW], dtype)
    by_finite_differences(ours, [X, ROW + 0.05])  # away from ties: differentiable there


def test_maximum_takes_numbers_and_propagates_nan() -> None:
    x = mg.Tensor([1.0, np.nan, -3.0], requires_grad=True)
    y = T.maximum(x, 0.0)
    np.testing.assert_array_equal(y.data, np.maximum(x.data, 0.0))
    assert T.minimum(2.0, x).data.tolist()[::2] == [1.0, -3.0]


@pytest.mark.parametrize(("name", "ours", "theirs"), UNARY[:4], ids=[c[0] for c in UNARY[:4]])
def test_second_derivatives_equal_torch(name, ours, theirs) -> None:
    x = mg.Tensor(np.abs(X), requires_grad=True)
    (g,) = mg.autograd.gradients(ours(x).sum(), [x], create_graph=True)
    g.sum().backward()
    tx = torch.tensor(np.abs(X), requires_grad=True)
    (tg,) = torch.autograd.grad(theirs(tx).sum(), tx, create_graph=True)
    tg.sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), atol=1e-12)


def test_namespaces_provide_the_new_names() -> None:
    for name in ("sin", "cos", "expm1", "prod", "cumsum", "einsum"):
        assert name in _xp_numpy.NAMES and hasattr(_xp_tensor, name)
