"""Reductions: sum, mean, max over an axis, a tuple of axes, or everything.

Their VJPs spread the gradient back over the reduced axes: a sum copies it to every element,
a mean copies it divided by the count, a max sends it to the maximal elements (tied maxima
share it equally, as `numpy.amax`'s subgradient convention in JAX and PyTorch's `amax`).
`axis` goes through `normalize_axes`: out of range it is an `AxisError`; a 0-d tensor
accepts 0 or -1 (PyTorch's rule).

Example:
    >>> import memograd as mg
    >>> x = mg.Tensor([[1.0, 5.0], [5.0, 2.0]], requires_grad=True)
    >>> _ = x.max().backward()
    >>> x.grad.tolist()
    [[0.0, 0.5], [0.5, 0.0]]
"""

from __future__ import annotations

from typing import Any

from ._axis import normalize_axes
from ._backend import xp
from ._node import constant, grad_enabled_for, make_node
from ._tensor import Tensor


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(g: Any, node: Tensor) -> Any:
    """The reduced gradient `g` broadcast back to the input's shape."""
    shape = node._parents[0].data.shape
    kept = node._ctx
    if isinstance(g, Tensor):
        return g.reshape(kept).broadcast_to(shape)
    return xp.broadcast_to(g.reshape(kept), shape)


def reduce_sum(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum of `a` over `axis` (all axes if None)."""
    if axis is None and not keepdims:  # the common loss.sum(): skip the axis bookkeeping
        data = a.data.sum()
        if grad_enabled_for(a):
            return make_node(data, (a,), _sum_vjp, (), "sum", (1,) * a.data.ndim)
        return constant(data)
    axes = normalize_axes(axis, a.data.ndim, "sum", shape=a.shape)
    data = a.data.sum(axis=axes, keepdims=keepdims)
    if grad_enabled_for(a):
        return make_node(data, (a,), _sum_vjp, (), "sum", _kept_shape(a.data.shape, axes))
    return constant(data)


def _sum_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    return (_spread(g, node),)


def reduce_mean(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean of `a` over `axis` (all axes if None)."""
    axes = normalize_axes(axis, a.data.ndim, "mean", shape=a.shape)
    count = 1
    for ax in axes:
        count *= a.data.shape[ax]
    if count == 0:
        raise ValueError(f"mean: cannot average over zero elements (shape={a.shape}, axis={axis})")
    data = a.data.mean(axis=axes, keepdims=keepdims)
    if grad_enabled_for(a):
        return make_node(data, (a,), _mean_vjp, (), "mean", _kept_shape(a.data.shape, axes))
    return constant(data)


def _mean_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    a = node._parents[0]
    return (_spread(g, node) * (node.data.size / a.data.size),)


def reduce_max(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Maximum of `a` over `axis`; tied maxima share the gradient equally."""
    axes = normalize_axes(axis, a.data.ndim, "max", shape=a.shape)
    try:
        data = a.data.max(axis=axes, keepdims=keepdims)
    except ValueError:
        raise ValueError(
            f"max: cannot take the maximum of zero elements (shape={a.shape})"
        ) from None
    if grad_enabled_for(a):
        kept = _kept_shape(a.data.shape, axes)
        return make_node(data, (a,), _max_vjp, (a.data,), "max", kept)
    return constant(data)


def _max_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    x = node._saved[0]  # type: ignore[index]
    kept = node._ctx
    axes = tuple(i for i, n in enumerate(kept) if n == 1)  # length-1 extras are harmless
    mask = x == node.data.reshape(kept)
    share = mask / mask.sum(axis=axes, keepdims=True)  # ties split evenly
    return (_spread(g, node) * share.astype(x.dtype),)
