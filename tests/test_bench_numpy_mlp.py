"""The hand-written NumPy step is a correct training step: gradients against torch and FD."""

import numpy as np
import pytest

from memograd.bench import NumpyMLP

SIZES = [4, 6, 5, 3]


def _data(batch: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.standard_normal((batch, SIZES[0])), rng.integers(0, SIZES[-1], batch)


def _net(seed: int) -> NumpyMLP:
    # Nonzero biases: with zero biases a sample whose whole layer is dead feeds an exact 0
    # into the next ReLU, a kink where finite differences are one-sided.
    net = NumpyMLP(SIZES, dtype=np.float64, seed=seed)
    rng = np.random.default_rng(seed + 100)
    for b in net.biases:
        b[:] = rng.uniform(0.1, 0.3, b.shape) * rng.choice([-1, 1], b.shape)
    return net


def test_gradients_match_torch_autograd_float64() -> None:
    torch = pytest.importorskip("torch")
    X, y = _data()
    net = _net(3)
    loss = net.loss_and_grads(X, y)

    params = []
    for w, b in zip(net.weights, net.biases, strict=True):
        params += [torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)]
    a = torch.tensor(X)
    for i in range(0, len(params), 2):
        a = a @ params[i] + params[i + 1]
        if i < len(params) - 2:
            a = torch.relu(a)
    ref = torch.nn.functional.cross_entropy(a, torch.tensor(y))
    ref.backward()

    assert loss == pytest.approx(ref.item(), rel=1e-12)
    ours = [g for pair in zip(net.grad_weights, net.grad_biases, strict=True) for g in pair]
    for mine, theirs in zip(ours, params, strict=True):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_gradients_match_finite_differences() -> None:
    X, y = _data(5)
    net = _net(0)
    net.loss_and_grads(X, y)
    analytic = [g.copy() for g in net.grad_weights + net.grad_biases]
    eps = 1e-6
    for param, grad in zip(net.weights + net.biases, analytic, strict=True):
        for index in [(0,) * param.ndim, tuple(s - 1 for s in param.shape)]:
            saved = param[index]
            param[index] = saved + eps
            up = net.loss(X, y)
            param[index] = saved - eps
            down = net.loss(X, y)
            param[index] = saved
            assert grad[index] == pytest.approx((up - down) / (2 * eps), abs=1e-8)


def test_step_is_sgd_in_place_and_keeps_float32() -> None:
    X, y = _data()
    net = NumpyMLP(SIZES, dtype=np.float64, seed=0)
    before = [w.copy() for w in net.weights]
    ids = [id(w) for w in net.weights]
    net.loss_and_grads(X, y)
    grads = [g.copy() for g in net.grad_weights]
    net.step(X, y, lr=0.5)
    for w, w0, g in zip(net.weights, before, grads, strict=True):
        np.testing.assert_allclose(w, w0 - 0.5 * g, rtol=1e-12, atol=1e-14)
    assert [id(w) for w in net.weights] == ids

    small = NumpyMLP(SIZES, dtype=np.float32, seed=0)
    losses = [small.step(X.astype(np.float32), y, lr=0.1) for _ in range(30)]
    assert all(w.dtype == np.float32 for w in small.weights + small.grad_weights)
    assert losses[-1] < losses[0]


def test_invalid_sizes_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"Received: sizes=\[3\]"):
        NumpyMLP([3])
