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
from ._primitive import Primitive, apply1, primitive
from ._tensor import Tensor

Needs = tuple[bool, ...]


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


@primitive
class Sum(Primitive):
    """Σ over `axes` (None: all, as ``x.sum()``); `kept` is the input shape with the reduced
    axes set to 1, the shape the gradient is spread back from."""

    axes: tuple[int, ...] | None
    keepdims: bool
    kept: tuple[int, ...]
    name = "sum"

    def forward(self, xp: Any, x: Any) -> Any:
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (xp.broadcast_to(g.reshape(self.kept), x.shape),)


@primitive
class Mean(Primitive):
    """The mean over `axes` (see `Sum`)."""

    axes: tuple[int, ...]
    keepdims: bool
    kept: tuple[int, ...]
    name = "mean"

    def forward(self, xp: Any, x: Any) -> Any:
        return x.mean(axis=self.axes, keepdims=self.keepdims)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (xp.broadcast_to(g.reshape(self.kept), x.shape) * (y.size / x.size),)


@primitive
class Max(Primitive):
    """The maximum over `axes` (see `Sum`); tied maxima share the gradient equally."""

    axes: tuple[int, ...]
    keepdims: bool
    kept: tuple[int, ...]
    name = "max"
    saves = (0,)

    def forward(self, xp: Any, x: Any) -> Any:
        return x.max(axis=self.axes, keepdims=self.keepdims)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        kept = self.kept
        axes = tuple(i for i, n in enumerate(kept) if n == 1)  # length-1 extras are harmless
        mask = xp.equal(x, y.reshape(kept))
        share = mask / mask.sum(axis=axes, keepdims=True)  # ties split evenly
        return (xp.broadcast_to(g.reshape(kept), x.shape) * share.astype(x.dtype),)


def reduce_sum(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum of `a` over `axis` (all axes if None)."""
    if axis is None and not keepdims:  # the common loss.sum(): skip the axis bookkeeping
        return apply1(Sum(None, False, (1,) * a.data.ndim), a)
    axes = normalize_axes(axis, a.data.ndim, "sum", shape=a.shape)
    return apply1(Sum(axes, keepdims, _kept_shape(a.data.shape, axes)), a)


def reduce_mean(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean of `a` over `axis` (all axes if None)."""
    axes = normalize_axes(axis, a.data.ndim, "mean", shape=a.shape)
    count = 1
    for ax in axes:
        count *= a.data.shape[ax]
    if count == 0:
        raise ValueError(f"mean: cannot average over zero elements (shape={a.shape}, axis={axis})")
    return apply1(Mean(axes, keepdims, _kept_shape(a.data.shape, axes)), a)


def reduce_max(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Maximum of `a` over `axis`; tied maxima share the gradient equally."""
    axes = normalize_axes(axis, a.data.ndim, "max", shape=a.shape)
    try:
        return apply1(Max(axes, keepdims, _kept_shape(a.data.shape, axes)), a)
    except ValueError:
        raise ValueError(
            f"max: cannot take the maximum of zero elements (shape={a.shape})"
        ) from None
