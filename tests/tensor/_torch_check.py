"""One check shared by the op-suite tests: an op's values and gradients against PyTorch in
float32 and float64, and its gradient by finite differences (mg.gradcheck, float64)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import memograd as mg

TOL = {np.float32: 2e-5, np.float64: 1e-11}


def against_torch(
    ours: Callable[..., Any],
    theirs: Callable[..., Any],
    inputs: Sequence[np.ndarray],
    dtype: Any,
    *,
    grad: bool = True,
) -> None:
    """`ours` on Tensors equals `theirs` on torch tensors, values and (with a random
    cotangent) gradients of every input."""
    import torch

    xs = [np.asarray(x, dtype=dtype) for x in inputs]
    ts = [mg.Tensor(x, requires_grad=grad) for x in xs]
    tts = [torch.tensor(x, requires_grad=grad) for x in xs]
    y, ty = ours(*ts), theirs(*tts)
    tol = TOL[dtype]
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=tol, atol=tol)
    assert y.dtype == np.dtype(dtype) and y.shape == tuple(ty.shape)
    if not grad:
        return
    g = np.random.default_rng(0).standard_normal(y.shape).astype(dtype)
    (y * mg.Tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    for t, tt in zip(ts, tts, strict=True):
        np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=tol * 5, atol=tol * 5)


def by_finite_differences(ours: Callable[..., Any], inputs: Sequence[np.ndarray]) -> None:
    assert mg.gradcheck(ours, *[np.asarray(x, dtype=np.float64) for x in inputs]) < 1e-5
