"""Values and gradients against PyTorch (float64), op by op."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from _cases import ALL, COND, COND_COL, LEFT, WEIGHTS, Case

import memograd as mg

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _torch_fn(name: str) -> Callable[..., Any]:
    """The PyTorch spelling of the cases whose memograd spelling torch does not share."""
    table: dict[str, Callable[..., Any]] = {
        "abs": lambda a: a.abs(),
        "clip": lambda a: a.clamp(-0.5, 0.5),
        "clip_min_only": lambda a: a.clamp(min=0.1),
        "clip_min_above_max": lambda a: a.clamp(0.5, -0.5),
        "leaky_relu": lambda a: TF.leaky_relu(a, 0.1),
        "softmax_last": lambda a: a.softmax(-1),
        "softmax_axis0": lambda a: a.softmax(0),
        "log_softmax": lambda a: a.log_softmax(-1),
        "log_softmax_axis0": lambda a: a.log_softmax(0),
        "sum_axis1": lambda a: a.sum(1),
        "sum_axes_keep": lambda a: a.sum((0, 2), keepdim=True),
        "mean_neg_axis": lambda a: a.mean(-1),
        "max_all": lambda a: a.amax(),
        "max_axis1_keep": lambda a: a.amax(1, keepdim=True),
        "max_axes": lambda a: a.amax((0, 2)),
        "transpose": lambda a: a.permute(2, 0, 1) ** 2,
        "T": lambda a: a.T @ torch.ones((2, 2), dtype=torch.float64),
        "swapaxes": lambda a: a.transpose(0, -1) ** 2,
        "broadcast_to": lambda a: a.broadcast_to((4, 2, 3)) * torch.tensor(WEIGHTS),
        "getitem_mask": lambda a: a[torch.tensor([True, False, True])] ** 2,
        "getitem_slice": lambda a: a[1:].flip(1)[:, ::2] ** 2,
        "getitem_gather": lambda a: a[torch.tensor([0, 2, 0, 0])] ** 2,
        "getitem_pairs": lambda a: a[torch.tensor([0, 0, 2]), torch.tensor([1, 1, 3])] ** 2,
        "getitem_list": lambda a: a[:, [3, 3, 0]] ** 2,
        "rmatmul_const": lambda a, b: torch.tensor(LEFT) @ a + b,
        "where": lambda a, b: torch.where(torch.tensor(COND), a, b),
        "where_const": lambda a, b: torch.where(torch.tensor(COND_COL), a, 2.0) * b,
        "concatenate0": lambda a, b: torch.cat([a, b]) ** 2,
        "concatenate1": lambda a, b: torch.cat([a, b, a], dim=1) ** 2,
        "stack0": lambda a, b: torch.stack([a, b]) ** 2,
        "stack_last": lambda a, b: torch.stack([a, b, a], dim=-1) ** 2,
        "linear": lambda x, w, b: x @ w + b,
        "linear_nobias": lambda x, w: x @ w,
        "linear_relu": lambda x, w, b: (x @ w + b).relu(),
        "linear_tanh": lambda x, w, b: (x @ w + b).tanh(),
        "linear_sigmoid": lambda x, w, b: (x @ w + b).sigmoid(),
        "linear_1d": lambda x, w, b: (x @ w + b).relu(),
        "linear_3d": lambda x, w, b: x @ w + b,
        "cross_entropy_labels": lambda z: TF.cross_entropy(z, torch.tensor([0, 2, 1, 2, 0])),
        "cross_entropy_probs": lambda z, p: TF.cross_entropy(z, p),
        "cross_entropy_float_labels": lambda z: TF.cross_entropy(z, torch.tensor([1, 0, 1])),
        "reshape": lambda a: a.reshape(4, -1) * torch.arange(6.0, dtype=torch.float64),
        "getitem_none_ellipsis": lambda a: a[None, ..., 1] ** 2,
    }
    return table.get(name, "same")  # type: ignore[return-value]


@pytest.mark.parametrize("case", ALL, ids=[c[0] for c in ALL])
def test_values_and_gradients_match_torch(case: Case) -> None:
    name, fn, inputs = case
    tfn = _torch_fn(name)
    if tfn == "same":
        tfn = fn
    ours = [mg.Tensor(x, requires_grad=True) for x in inputs]
    theirs = [torch.tensor(x, requires_grad=True) for x in inputs]
    out = fn(*ours)
    tout = tfn(*theirs)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = np.random.default_rng(3).normal(size=out.shape)
    out.backward(seed)
    tout.backward(torch.tensor(seed))
    for mine, ref in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.grad, ref.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_max_ties_split_evenly_like_torch_amax() -> None:
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    ours = mg.Tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    ours.max(axis=1).sum().backward()
    theirs.amax(1).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy())
    np.testing.assert_allclose(ours.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_mlp_step_matches_torch() -> None:
    from memograd.tensor.functional import cross_entropy, linear

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 2)), rng.integers(0, 2, size=8)
    params = [rng.normal(size=s) for s in [(2, 16), (16,), (16, 16), (16,), (16, 2), (2,)]]
    ours = [mg.Tensor(p, requires_grad=True) for p in params]
    theirs = [torch.tensor(p, requires_grad=True) for p in params]
    h = linear(mg.Tensor(x), ours[0], ours[1], activation="relu")
    h = linear(h, ours[2], ours[3], activation="relu")
    loss = cross_entropy(linear(h, ours[4], ours[5]), y)
    loss.backward()
    th = (torch.tensor(x) @ theirs[0] + theirs[1]).relu()
    th = (th @ theirs[2] + theirs[3]).relu()
    tloss = TF.cross_entropy(th @ theirs[4] + theirs[5], torch.tensor(y))
    tloss.backward()
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-12)
    for mine, ref in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.grad, ref.grad.numpy(), rtol=1e-10, atol=1e-12)
