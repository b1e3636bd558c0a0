"""The strategies on `Tensor` graphs: tensor granularity, per-edge VJPs, same gradients."""

from __future__ import annotations

import numpy as np
import pytest

import memograd as mg
from memograd.backprop import STRATEGIES, compare


def tensor_mlp(seed: int = 0) -> tuple[mg.Tensor, list[mg.Tensor]]:
    rng = np.random.default_rng(seed)
    x = mg.Tensor(rng.normal(size=(5, 3)))  # a constant batch
    w1 = mg.Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    b1 = mg.Tensor(rng.normal(size=(4,)), requires_grad=True)
    w2 = mg.Tensor(rng.normal(size=(4, 2)), requires_grad=True)
    b2 = mg.Tensor(rng.normal(size=(2,)), requires_grad=True)
    y = mg.Tensor(rng.normal(size=(5, 2)))
    h = (x @ w1 + b1).sigmoid()
    loss = ((h @ w2 + b2 - y) ** 2).mean()
    return loss, [w1, b1, w2, b2]


def test_tensor_mlp_strategies_agree_with_backward() -> None:
    loss, params = tensor_mlp()
    results = compare(loss, params)
    loss.backward(retain_graph=True)
    for r in results:
        assert r.grads is not None and r.counts == r.predicted
        for g, p in zip(r.grads, params, strict=True):
            assert isinstance(g, np.ndarray) and g.shape == p.shape
            np.testing.assert_allclose(g, p.grad, rtol=1e-12, atol=1e-14)
    # At tensor granularity an MLP is a chain: one path per parameter tensor, so the
    # four strategies do the same number of edge VJPs — the fan-out is inside the matmuls.
    by_name = {r.name: r.counts for r in results}
    assert all(c is not None and c.paths == len(params) for c in by_name.values())
    assert by_name["paths"].additions == by_name["recursive"].additions == 0  # type: ignore[union-attr]


def test_tensor_fan_out_dag() -> None:
    rng = np.random.default_rng(1)
    a = mg.Tensor(rng.normal(size=(3,)), requires_grad=True)
    h = a.tanh()
    for _ in range(4):  # each step uses h three times: 3**4 paths from a to the loss
        h = (h * h + h).tanh()
    loss = h.sum()
    results = compare(loss, [a])
    assert results[0].counts is not None and results[0].counts.paths == 3**4
    grads = [r.grads[0] for r in results if r.grads is not None]
    assert len(grads) == len(results) == 4  # nothing refused: all four are compared
    for g in grads:
        np.testing.assert_allclose(g, grads[-1], rtol=1e-12)
    loss.backward()
    np.testing.assert_allclose(grads[0], a.grad, rtol=1e-12)


def test_reverse_on_tensors_leaves_existing_grads_alone() -> None:
    loss, params = tensor_mlp(2)
    params[0].grad = np.full(params[0].shape, 7.0)
    compare(loss, params, ["reverse"])
    assert np.all(params[0].grad == 7.0) and params[1].grad is None


def test_torch_agrees_on_the_tensor_graph() -> None:
    torch = pytest.importorskip("torch")
    loss, params = tensor_mlp(3)
    (r,) = compare(loss, params, ["memoized"])
    rng = np.random.default_rng(3)
    x = torch.tensor(rng.normal(size=(5, 3)))
    tp = [torch.tensor(rng.normal(size=p.shape), requires_grad=True) for p in params]
    y = torch.tensor(rng.normal(size=(5, 2)))
    h = torch.sigmoid(x @ tp[0] + tp[1])
    ((h @ tp[2] + tp[3] - y) ** 2).mean().backward()
    assert r.grads is not None
    for g, t in zip(r.grads, tp, strict=True):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10)
    assert list(STRATEGIES) == ["paths", "recursive", "memoized", "reverse"]
