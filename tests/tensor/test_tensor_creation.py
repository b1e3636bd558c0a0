"""zeros, ones, full, arange, eye, zeros_like, ones_like, rand/randn from a seed, one_hot:
values equal NumPy's (and torch's), float32 by default, dtype and requires_grad honoured."""

import numpy as np
import pytest

import memograd as mg

torch = pytest.importorskip("torch")
T = mg.tensor


def test_constructors_match_numpy_and_torch() -> None:
    assert T.zeros(2, 3).shape == T.zeros((2, 3)).shape == (2, 3)
    assert T.zeros(2).dtype == np.float32 and T.ones(2, dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(T.ones((2, 2)).data, torch.ones(2, 2).numpy())
    np.testing.assert_array_equal(T.full((2, 3), 1.5).data, np.full((2, 3), 1.5, np.float32))
    np.testing.assert_array_equal(T.arange(5).data, np.arange(5, dtype=np.float32))
    np.testing.assert_allclose(T.arange(1, 2, 0.25).data, torch.arange(1, 2, 0.25).numpy())
    np.testing.assert_array_equal(T.eye(3, 4, k=1).data, np.eye(3, 4, 1))
    x = mg.Tensor(np.ones((2, 5)), dtype="float64")
    assert T.zeros_like(x).dtype == np.float64 and T.ones_like(x).shape == (2, 5)
    assert T.zeros_like(np.ones(3, dtype=int)).dtype == np.float32  # the Tensor rule
    w = T.zeros(3, requires_grad=True)
    (w * 2).sum().backward()
    assert w.grad.tolist() == [2.0, 2.0, 2.0]


def test_random_draws_come_from_an_explicit_seed() -> None:
    a, b = T.rand(3, 4, seed=0), T.rand(3, 4, seed=0)
    np.testing.assert_array_equal(a.data, b.data)
    assert a.dtype == np.float32 and a.data.min() >= 0 and a.data.max() < 1
    np.testing.assert_array_equal(
        T.randn(5, seed=1, dtype="float64").data, np.random.default_rng(1).standard_normal(5)
    )
    rng = np.random.default_rng(2)
    first, second = T.randn(4, seed=rng), T.randn(4, seed=rng)  # a Generator advances
    assert not np.array_equal(first.data, second.data)
    with pytest.raises(TypeError):
        T.rand(3)  # no seed: no hidden global state
    with pytest.raises(ValueError, match="seed"):
        T.rand(3, seed=-1)


def test_one_hot_equals_torch() -> None:
    labels = np.array([[0, 2], [1, 1]])
    expected = torch.nn.functional.one_hot(torch.tensor(labels), 4).numpy()
    np.testing.assert_array_equal(T.one_hot(labels, 4).data, expected)
    np.testing.assert_array_equal(T.one_hot([2, 0]).data, np.eye(3)[[2, 0]])
    with pytest.raises(ValueError, match="lie in"):
        T.one_hot([3], 3)
    with pytest.raises(ValueError, match="labels"):
        T.one_hot([0.5])


def test_bad_shapes_are_named() -> None:
    with pytest.raises(ValueError, match="shape"):
        T.zeros(-1)
    with pytest.raises(TypeError, match="shape"):
        T.ones(2.5)
    with pytest.raises(ValueError, match="step"):
        T.arange(0, 1, 0)
