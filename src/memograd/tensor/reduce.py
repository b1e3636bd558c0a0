"""Reductions: sum, mean, max, min, prod over an axis, a tuple of axes, or everything;
cumsum; argmax and argmin (indices, no gradient).

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

from ._axis import normalize_axes, normalize_axis
from ._backend import as_node_data
from ._backend import xp as _np
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
    linear = True

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
    linear = True

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
    reduction = True
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


# -- min, prod, cumsum, argmax/argmin ----------------------------------------------------------
@primitive
class Min(Primitive):
    """The minimum over `axes`, as -max(-x) (exact); tied minima share the gradient."""

    axes: tuple[int, ...]
    keepdims: bool
    kept: tuple[int, ...]
    name = "min"
    reduction = True
    saves = (0,)

    def forward(self, xp: Any, x: Any) -> Any:
        return -((-x).max(axis=self.axes, keepdims=self.keepdims))

    vjp = Max.vjp  # the mask of the elements equal to the result, ties split evenly


@primitive
class Prod(Primitive):
    """The product over `axes`. The VJP is the product of the *other* elements, computed
    without dividing by zero: with no zero in a slice it is y / x; with exactly one zero only
    that element gets the product of the rest; with two or more every element gets 0 (as
    PyTorch)."""

    axes: tuple[int, ...]
    keepdims: bool
    kept: tuple[int, ...]
    name = "prod"
    reduction = True
    saves = (0,)

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.prod(x, axis=self.axes, keepdims=self.keepdims)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        axes = self.axes
        if isinstance(x, Tensor):  # create_graph: the gradient is differentiated in turn
            return (xp.broadcast_to(g.reshape(self.kept), x.shape) * _others(xp, x, axes),)
        zero = xp.equal(x, 0)
        zeros = zero.sum(axis=axes, keepdims=True)
        safe = xp.where(zero, 1.0, x)
        rest = xp.prod(safe, axis=axes, keepdims=True)  # the product of the nonzero entries
        one_zero = xp.equal(zeros, 1).astype(x.dtype)
        no_zero = xp.equal(zeros, 0).astype(x.dtype)
        others = xp.where(zero, rest * one_zero, rest / safe * no_zero)
        return (xp.broadcast_to(g.reshape(self.kept), x.shape) * others,)


def _others(xp: Any, x: Tensor, axes: tuple[int, ...]) -> Tensor:
    """For each element, the product of the *other* elements of its slice, as a product of
    Tensors: the masked formula above holds constants where a slice has zeros, so its own
    derivative there would be wrong; here each row of an n × n matrix (x with a 1 on the
    diagonal) is multiplied out. O(n²) per slice, only for second derivatives."""
    kept = [a for a in range(x.ndim) if a not in axes]
    order = kept + list(axes)
    moved = x.transpose(*order) if x.ndim else x
    lead = moved.shape[: len(kept)]
    n = 1
    for a in axes:
        n *= x.shape[a]
    rows = moved.reshape(*lead, 1, n)
    others = xp.where(_np.eye(n, dtype=bool), 1.0, rows).prod(axis=-1)  # (*lead, n)
    others = others.reshape(*moved.shape)
    back = [order.index(a) for a in range(x.ndim)]
    return others.transpose(*back) if x.ndim else others


@primitive
class Cumsum(Primitive):
    """Running sums along `axis`; the VJP is the running sum of g from the other end."""

    axis: int
    name = "cumsum"
    linear = True

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.cumsum(x, axis=self.axis)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        backwards = (slice(None),) * self.axis + (slice(None, None, -1),)
        return (xp.cumsum(g[backwards], axis=self.axis)[backwards],)


def _reduce_nonempty(prim: Any, a: Tensor, op: str) -> Tensor:
    if any(a.data.shape[ax] == 0 for ax in prim.axes):  # an empty *other* axis is fine
        raise ValueError(f"{op}: cannot reduce over zero elements (shape={a.shape})")
    return apply1(prim, a)


def reduce_min(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Minimum of `a` over `axis`; tied minima share the gradient equally."""
    axes = normalize_axes(axis, a.data.ndim, "min", shape=a.shape)
    return _reduce_nonempty(Min(axes, keepdims, _kept_shape(a.data.shape, axes)), a, "min")


def reduce_prod(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Product of `a` over `axis` (all axes if None; 1 over zero elements, as NumPy)."""
    axes = normalize_axes(axis, a.data.ndim, "prod", shape=a.shape)
    return apply1(Prod(axes, keepdims, _kept_shape(a.data.shape, axes)), a)


def cumsum(a: Tensor, axis: int | None = None) -> Tensor:
    """Running sums along `axis`; None (NumPy's default) runs over the flattened tensor."""
    if axis is None:
        a = a.reshape(-1)
        return apply1(Cumsum(0), a)
    ax = normalize_axis(axis, a.data.ndim, "cumsum", shape=a.shape, scalar_as_1d=True)
    if a.data.ndim == 0:
        return apply1(Cumsum(0), a.reshape(1)).reshape(())
    return apply1(Cumsum(ax), a)


def _arg(a: Any, axis: Any, keepdims: bool, op: str) -> Any:
    data = a.data if isinstance(a, Tensor) else a
    if axis is not None:
        axis = normalize_axis(axis, data.ndim, op, shape=data.shape, scalar_as_1d=True)
        if data.ndim == 0:
            axis = None
    if data.shape[axis] == 0 if axis is not None else data.size == 0:
        raise ValueError(f"{op}: cannot take the {op} of zero elements (shape={data.shape})")
    found = (
        data.argmax(axis, keepdims=keepdims)
        if op == "argmax"
        else data.argmin(axis, keepdims=keepdims)
    )
    return as_node_data(found)  # (a 0-d array for a full reduction; a stand-in stays one)


def argmax(a: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """Index of the (first) maximum along `axis` (None: of the flattened tensor), as an
    integer NumPy array: an index carries no gradient."""
    return _arg(a, axis, keepdims, "argmax")


def argmin(a: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """Index of the (first) minimum along `axis`, as `argmax`."""
    return _arg(a, axis, keepdims, "argmin")
