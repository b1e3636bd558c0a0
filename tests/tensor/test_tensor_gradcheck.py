"""Every op against finite differences: first derivatives, and second derivatives through
the Tensor-valued VJPs used under create_graph."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from _cases import ALL, Case
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import memograd as mg
from memograd.autograd import gradients


@pytest.mark.parametrize("case", ALL, ids=[c[0] for c in ALL])
def test_first_order(case: Case) -> None:
    _, fn, inputs = case
    err = mg.gradcheck(fn, *inputs)
    assert err < 1e-5


def _grad_of(fn: Callable[..., Any], n_inputs: int) -> Callable[..., mg.Tensor]:
    """x -> Σ_i ⟨∂⟨fn(x), r⟩/∂x_i, w_i⟩: differentiable only if every VJP builds Tensors."""
    rng = np.random.default_rng(7)

    def second(*xs: mg.Tensor) -> mg.Tensor:
        out = fn(*xs)
        r = rng.normal(size=out.shape) if not hasattr(second, "r") else second.r  # type: ignore[attr-defined]
        second.r = r  # type: ignore[attr-defined]
        gs = gradients((out * r).sum(), xs, create_graph=True)
        total = None
        for i, g in enumerate(gs):
            w = np.linspace(-1.0, 1.0, num=g.size).reshape(g.shape) + i
            term = (g * w).sum()
            total = term if total is None else total + term
        assert total is not None
        return total

    return second


@pytest.mark.parametrize("case", ALL, ids=[c[0] for c in ALL])
def test_second_order(case: Case) -> None:
    _, fn, inputs = case
    err = mg.gradcheck(_grad_of(fn, len(inputs)), *inputs, atol=1e-4)
    assert err < 1e-4


def _broadcast_inputs(draw: Any) -> tuple[np.ndarray, np.ndarray]:
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    a, b = (
        rng.uniform(0.5, 1.5, size=s) * rng.choice([-1.0, 1.0], size=s) for s in shapes.input_shapes
    )
    return a, b


@settings(max_examples=25, deadline=None)
@given(st.data(), st.sampled_from(["add", "sub", "mul", "div", "where"]))
def test_broadcasting_binary_ops(data: st.DataObject, op: str) -> None:
    a, b = _broadcast_inputs(data.draw)
    fns = {
        "add": lambda x, y: x + y,
        "sub": lambda x, y: x - y,
        "mul": lambda x, y: x * y,
        "div": lambda x, y: x / y,
        "where": lambda x, y: mg.tensor.where(
            np.ones(np.broadcast_shapes(a.shape, b.shape)) > 0.5, x, y
        ),
    }
    out = fns[op](mg.Tensor(a), mg.Tensor(b))
    assert out.shape == np.broadcast_shapes(a.shape, b.shape)
    mg.gradcheck(fns[op], a, b)


@settings(max_examples=25, deadline=None)
@given(st.data(), st.sampled_from(["sum", "mean", "max"]), st.booleans())
def test_reductions_any_axes(data: st.DataObject, op: str, keepdims: bool) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    axes = data.draw(hnp.valid_tuple_axes(len(shape)))
    x = (
        np.random.default_rng(data.draw(st.integers(0, 2**16)))
        .permutation(np.arange(float(np.prod(shape))))
        .reshape(shape)
    )  # distinct values: no ties for max
    fn = lambda t: getattr(t, op)(axis=axes, keepdims=keepdims)  # noqa: E731
    expected = getattr(np, {"sum": "sum", "mean": "mean", "max": "max"}[op])(
        x, axis=axes, keepdims=keepdims
    )
    np.testing.assert_allclose(fn(mg.Tensor(x)).data, expected)
    mg.gradcheck(fn, x)


@settings(max_examples=20, deadline=None)
@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 3),
    st.sampled_from([(), (1,), (2,), (2, 1)]),
    st.booleans(),
    st.booleans(),
)
def test_matmul_shape_combinations(
    n: int, k: int, m: int, batch: tuple[int, ...], a_vec: bool, b_vec: bool
) -> None:
    rng = np.random.default_rng(n * 100 + k * 10 + m)
    a = rng.normal(size=(k,) if a_vec else (*batch, n, k))
    b = rng.normal(size=(k,) if b_vec else (*batch[:1], k, m))
    np.testing.assert_allclose((mg.Tensor(a) @ mg.Tensor(b)).data, a @ b)
    mg.gradcheck(lambda x, y: x @ y, a, b)
