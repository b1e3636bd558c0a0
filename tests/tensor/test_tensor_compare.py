"""Comparisons and isnan/isfinite give NumPy boolean arrays, carry no gradient, work with
where, and leave Tensors hashable by identity."""

import operator

import numpy as np
import pytest

import memograd as mg

torch = pytest.importorskip("torch")
T = mg.tensor
A = np.array([[1.0, 2.0, np.nan], [-1.0, 2.0, np.inf]])
B = np.array([2.0, 2.0, 1.0])

OPS = [
    (operator.eq, T.equal, np.equal),
    (operator.ne, T.not_equal, np.not_equal),
    (operator.lt, T.less, np.less),
    (operator.le, T.less_equal, np.less_equal),
    (operator.gt, T.greater, np.greater),
    (operator.ge, T.greater_equal, np.greater_equal),
]


@pytest.mark.parametrize(("dunder", "function", "reference"), OPS)
def test_comparisons_are_numpy_bool_arrays(dunder, function, reference) -> None:
    a = mg.Tensor(A, requires_grad=True)
    expected = reference(A, B)
    for got in (dunder(a, B), dunder(a, mg.Tensor(B)), function(a, B), function(A, B)):
        assert type(got) is np.ndarray and got.dtype == bool
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(dunder(a, 2.0), reference(A, 2.0))
    torch_result = dunder(torch.tensor(A), torch.tensor(B)).numpy()
    np.testing.assert_array_equal(dunder(a, B), torch_result)


def test_reflected_comparisons_with_arrays_and_numbers() -> None:
    a = mg.Tensor(A)
    np.testing.assert_array_equal(B < a, B < A)  # noqa: SIM300 (the reflected operator)
    np.testing.assert_array_equal(2.0 == a, A == 2.0)  # noqa: SIM300


def test_isnan_isfinite() -> None:
    a = mg.Tensor(A)
    np.testing.assert_array_equal(T.isnan(a), np.isnan(A))
    np.testing.assert_array_equal(T.isfinite(a), torch.isfinite(torch.tensor(A)).numpy())


def test_masks_work_with_where_and_indexing_and_gradients_flow_around_them() -> None:
    x = mg.Tensor([-1.0, 0.5, 2.0], requires_grad=True)
    y = T.where(x > 0, x * 3, 0.0)
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 3.0, 3.0]
    assert x[x >= 0.5].data.tolist() == [0.5, 2.0]


def test_tensors_stay_hashable_by_identity() -> None:
    a, b = mg.Tensor([1.0]), mg.Tensor([1.0])
    assert hash(a) == object.__hash__(a) != hash(b)
    assert len({a, b}) == 2 and {a: 1, b: 2}[b] == 2
    # the graph sweep and the optimizers key by id: training is unchanged
    w = mg.Tensor([2.0], requires_grad=True)
    (w * w + w).sum().backward()
    assert w.grad.tolist() == [5.0]
