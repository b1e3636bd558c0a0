"""grad / value_and_grad / gradients / hvp, higher-order derivatives, create_graph."""

from __future__ import annotations

import numpy as np
import pytest

import memograd as mg
from memograd.autograd import gradients, hvp
from memograd.tensor.functional import cross_entropy, linear


def test_grad_of_cube_and_its_derivatives() -> None:
    f = lambda x: x**3  # noqa: E731
    xs = np.array([-1.5, 0.5, 2.0])
    np.testing.assert_allclose(mg.grad(lambda x: f(x).sum())(xs), 3 * xs**2)
    d2 = mg.grad(lambda x: mg.grad(lambda y: f(y).sum())(x).sum())(xs)
    np.testing.assert_allclose(d2, 6 * xs)
    d3 = mg.grad(lambda x: mg.grad(lambda y: mg.grad(lambda z: f(z).sum())(y).sum())(x).sum())(xs)
    np.testing.assert_allclose(d3, [6.0, 6.0, 6.0])


def test_second_derivative_of_tanh() -> None:
    xs = np.linspace(-2, 2, 7)
    d2 = mg.grad(lambda x: mg.grad(lambda y: y.tanh().sum())(x).sum())(xs)
    t = np.tanh(xs)
    np.testing.assert_allclose(d2, -2 * t * (1 - t**2), rtol=1e-12, atol=1e-15)


def test_value_and_grad_argnums_and_inputs() -> None:
    def f(x: mg.Tensor, y: mg.Tensor, scale: float) -> mg.Tensor:
        return (x * y).sum() * scale

    value, (gx, gy) = mg.value_and_grad(f, argnums=(0, 1))([1.0, 2.0], np.array([3.0, 4.0]), 2.0)
    assert isinstance(value, np.ndarray) and float(value) == 22.0
    assert isinstance(gx, np.ndarray) and gx.dtype == np.float64
    np.testing.assert_allclose(gx, [6.0, 8.0])
    np.testing.assert_allclose(gy, [2.0, 4.0])
    gy_only = mg.grad(f, argnums=1)(mg.Tensor([1.0, 2.0], dtype="float64"), [3.0, 4.0], 1.0)
    np.testing.assert_allclose(gy_only, [1.0, 2.0])


def test_grad_touches_no_dot_grad() -> None:
    w = mg.Tensor([2.0], requires_grad=True, dtype="float64")
    x = mg.Tensor([3.0], requires_grad=True)
    g = mg.grad(lambda t: (t * w).sum())(x)
    np.testing.assert_allclose(g, [2.0])
    assert w.grad is None and x.grad is None


def test_grad_works_inside_no_grad() -> None:
    with mg.no_grad():
        np.testing.assert_allclose(mg.grad(lambda t: (t * t).sum())([3.0]), [6.0])


def test_grad_argument_errors() -> None:
    with pytest.raises(ValueError, match="one-element"):
        mg.grad(lambda t: t * 2)([1.0, 2.0])
    with pytest.raises(TypeError, match="must return a Tensor"):
        mg.grad(lambda t: 1.0)(2.0)  # type: ignore[arg-type, return-value]
    with pytest.raises(ValueError, match="argnums"):
        mg.grad(lambda t: t, argnums=-1)
    with pytest.raises(ValueError, match="argnums"):
        mg.grad(lambda t: t, argnums=(0, 0))
    with pytest.raises(ValueError, match="positional argument 2"):
        mg.grad(lambda a, b: a, argnums=(0, 2))(1.0, 2.0)


def test_unused_argument_gets_zeros() -> None:
    g = mg.grad(lambda a, b: (a * 2).sum(), argnums=(0, 1))([1.0], [5.0, 6.0])
    np.testing.assert_allclose(g[1], [0.0, 0.0])


def test_gradients_collects_without_accumulating() -> None:
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3  # an intermediate node as an input
    y = (h * h).sum()
    gh, gx = gradients(y, [h, x], retain_graph=True)
    np.testing.assert_allclose(gh, 2 * h.data)
    np.testing.assert_allclose(gx, 18 * x.data)
    assert x.grad is None
    (gx2,) = gradients(h, x, seed=np.array([1.0, -1.0]))
    np.testing.assert_allclose(gx2, [3.0, -3.0])
    with pytest.raises(ValueError, match="requires_grad"):
        gradients(y, mg.Tensor([1.0]))
    with pytest.raises(RuntimeError, match=r"shape=\(2,\)"):
        gradients(h, x)


def test_backward_create_graph_gives_differentiable_grad() -> None:
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x**3).sum()
    y.backward(create_graph=True)
    g = x.grad
    assert isinstance(g, mg.Tensor) and g.requires_grad
    np.testing.assert_allclose(g.data, 3 * x.data**2)
    x.zero_grad()
    v = np.array([1.0, -1.0])
    (g * v).sum().backward()
    np.testing.assert_allclose(x.grad, 6 * x.data * v)


def test_hvp_of_quadratic_is_exact() -> None:
    rng = np.random.default_rng(0)
    m = rng.normal(size=(4, 4))
    a = m + m.T
    v, x0 = rng.normal(size=4), rng.normal(size=4)
    f = lambda x: (x @ mg.Tensor(a) @ x) * 0.5  # noqa: E731
    np.testing.assert_allclose(hvp(f, x0, v), a @ v, rtol=1e-12)


def _mlp_loss(w: mg.Tensor) -> mg.Tensor:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 3))
    labels = np.array([0, 1, 2, 1, 0, 2])
    w1, w2 = w[:12].reshape(3, 4), w[12:].reshape(4, 3)
    return cross_entropy(linear(x, w1, activation="tanh") @ w2, labels)


def test_hvp_of_small_mlp_vs_finite_differences() -> None:
    rng = np.random.default_rng(2)
    w0, v = rng.normal(size=24), rng.normal(size=24)
    ours = hvp(_mlp_loss, w0, v)
    g = mg.grad(_mlp_loss)
    eps = 1e-5
    numeric = (g(w0 + eps * v) - g(w0 - eps * v)) / (2 * eps)
    np.testing.assert_allclose(ours, numeric, rtol=1e-6, atol=1e-8)


def test_hvp_of_small_mlp_vs_torch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    w0, v = rng.normal(size=24), rng.normal(size=24)
    x = torch.tensor(np.random.default_rng(1).normal(size=(6, 3)))
    labels = torch.tensor([0, 1, 2, 1, 0, 2])

    def tloss(w: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(x @ w[:12].reshape(3, 4))
        return torch.nn.functional.cross_entropy(h @ w[12:].reshape(4, 3), labels)

    _, ref = torch.autograd.functional.hvp(tloss, torch.tensor(w0), torch.tensor(v))
    np.testing.assert_allclose(hvp(_mlp_loss, w0, v), ref.numpy(), rtol=1e-10, atol=1e-12)
