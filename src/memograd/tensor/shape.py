"""Shape ops (reshape, transpose, broadcast, concatenate, stack) and `unbroadcast`.

These ops move numbers without changing them, so their VJPs move the gradient back:
reshape → reshape back, transpose → inverse permutation, broadcast → sum, concatenate →
slice, stack → index.

Example:
    >>> import memograd as mg
    >>> a = mg.Tensor([1.0, 2.0], requires_grad=True)
    >>> b = mg.Tensor([3.0], requires_grad=True)
    >>> y = mg.tensor.concatenate([a, b])
    >>> _ = (y * mg.Tensor([1.0, 2.0, 3.0])).sum().backward()
    >>> a.grad.tolist(), b.grad.tolist()
    ([1.0, 2.0], [3.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._axis import normalize_axis
from ._node import operand
from ._primitive import Primitive, apply, apply1, primitive
from ._tensor import Tensor

Needs = tuple[bool, ...]


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum `g` (an array or a Tensor) down to `shape`: the VJP of NumPy broadcasting.

    Broadcasting copies a value along new leading axes and along axes of length 1; every copy
    sends its gradient back, so those axes are summed.
    """
    gshape = g.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1
    )
    if axes:
        g = g.sum(axis=axes)
    return g.reshape(shape)


def _shape_arg(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike."""
    if len(args) == 1 and isinstance(args[0], tuple | list):
        return tuple(args[0])
    return args


def reshape(a: Tensor, *shape: Any) -> Tensor:
    """`a` with a new shape (one entry may be -1)."""
    new_shape = _shape_arg(shape)
    if sum(1 for n in new_shape if isinstance(n, int) and n == -1) > 1:
        raise ValueError(
            f"reshape: only one dimension can be -1 (the one inferred from the others). "
            f"Received: shape={new_shape}"
        )
    try:
        return apply1(Reshape(new_shape), a)
    except (ValueError, TypeError):
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {a.shape} ({a.data.size} elements) "
            f"into shape {new_shape}"
        ) from None


@primitive
class Reshape(Primitive):
    shape: tuple[Any, ...]
    name = "reshape"
    linear = True

    def forward(self, xp: Any, x: Any) -> Any:
        return x.reshape(self.shape)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g.reshape(x.shape),)


def transpose(a: Tensor, *axes: Any) -> Tensor:
    """Permute the axes of `a` (reverse them when none are given)."""
    given = _shape_arg(axes)
    n = a.data.ndim
    if not given:
        return _permute(a, tuple(range(n - 1, -1, -1)))
    perm = tuple(normalize_axis(p, n, "transpose", shape=a.shape) for p in given)
    if sorted(perm) != list(range(n)):
        raise ValueError(
            f"transpose: `axes` must be a permutation of the {n} axes of a tensor of "
            f"shape {a.shape}. Received: axes={given}"
        )
    return _permute(a, perm)


def _permute(a: Tensor, perm: tuple[int, ...]) -> Tensor:
    """`a` with its axes in the order `perm` (a permutation of non-negative axes)."""
    return apply1(Transpose(perm), a)


@primitive
class Transpose(Primitive):
    """The axes in the order `perm`; the VJP applies the inverse permutation."""

    perm: tuple[int, ...]
    name = "transpose"
    linear = True

    def forward(self, xp: Any, x: Any) -> Any:
        return x.transpose(self.perm)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        inverse = tuple(sorted(range(len(self.perm)), key=self.perm.__getitem__))
        return (g.transpose(inverse),)


def swapaxes(a: Tensor, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes of `a`."""
    n = a.data.ndim
    axis1 = normalize_axis(axis1, n, "swapaxes", name="axis1", shape=a.shape)
    axis2 = normalize_axis(axis2, n, "swapaxes", name="axis2", shape=a.shape)
    perm = list(range(n))
    perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
    return _permute(a, tuple(perm))


def broadcast_to(a: Tensor, shape: tuple[int, ...]) -> Tensor:
    """`a` broadcast to `shape`; the VJP sums the copies back."""
    shape = tuple(shape)
    try:
        return apply1(BroadcastTo(shape), a)
    except ValueError:
        raise ValueError(
            f"broadcast_to: cannot broadcast a tensor of shape {a.shape} to shape {shape}"
        ) from None


@primitive
class BroadcastTo(Primitive):
    shape: tuple[int, ...]
    name = "broadcast_to"
    linear = True

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.broadcast_to(x, self.shape)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (unbroadcast(g, x.shape),)


def _as_tensors(tensors: Sequence[Any], op: str) -> tuple[Tensor, ...]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence) or not tensors:
        raise ValueError(
            f"{op}: expected a non-empty list of Tensors. Received: {type(tensors).__name__}"
        )
    first = next((t for t in tensors if isinstance(t, Tensor)), None)
    like = first if first is not None else Tensor(tensors[0])
    return tuple(operand(like, t, op) for t in tensors)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis.

    Example:
        >>> import memograd as mg
        >>> mg.tensor.concatenate([mg.Tensor([1.0]), mg.Tensor([2.0, 3.0])]).shape
        (3,)
    """
    ts = _as_tensors(tensors, "concatenate")
    for i, t in enumerate(ts):
        if t.data.ndim == 0:
            raise ValueError(
                f"concatenate: a 0-d tensor has no axis to join along (tensor {i} has shape "
                f"()); use stack to join tensors along a new axis"
            )
    ndim = ts[0].data.ndim
    ax = normalize_axis(axis, ndim, "concatenate", shape=ts[0].shape)
    try:
        return apply(Concatenate(ax), ts)
    except ValueError:
        shapes = ", ".join(str(t.shape) for t in ts)
        raise ValueError(
            f"concatenate: cannot join shapes {shapes} along axis {axis} (all dimensions "
            f"but that axis must match)"
        ) from None


@primitive
class Concatenate(Primitive):
    """Inputs joined along `axis`; the VJP slices each input's part back out."""

    axis: int
    name = "concatenate"
    linear = True

    def forward(self, xp: Any, *xs: Any) -> Any:
        return xp.concatenate(list(xs), axis=self.axis)

    def vjp(self, xp: Any, g: Any, *operands: Any, needs: Needs) -> tuple[Any, ...]:
        lead = (slice(None),) * self.axis
        grads: list[Any] = []
        start = 0
        for x, need in zip(operands[: len(needs)], needs, strict=True):
            stop = start + x.shape[self.axis]
            grads.append(g[(*lead, slice(start, stop))] if need else None)
            start = stop
        return tuple(grads)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis.

    Example:
        >>> import memograd as mg
        >>> mg.tensor.stack([mg.Tensor([1.0, 2.0]), mg.Tensor([3.0, 4.0])], axis=1).shape
        (2, 2)
    """
    ts = _as_tensors(tensors, "stack")
    # The new axis indexes the result, which has one more dimension than each input.
    ndim = ts[0].data.ndim + 1
    shape = ts[0].shape
    ax = normalize_axis(axis, ndim, "stack", what=lambda: f"a stack of tensors of shape {shape}")
    try:
        return apply(Stack(ax), ts)
    except ValueError:
        shapes = ", ".join(str(t.shape) for t in ts)
        raise ValueError(
            f"stack: all tensors must have the same shape. Received: {shapes}"
        ) from None


@primitive
class Stack(Primitive):
    """Inputs joined along a new `axis`; the VJP indexes each input's slice back out."""

    axis: int
    name = "stack"
    linear = True

    def forward(self, xp: Any, *xs: Any) -> Any:
        return xp.stack(list(xs), axis=self.axis)

    def vjp(self, xp: Any, g: Any, *operands: Any, needs: Needs) -> tuple[Any, ...]:
        lead = (slice(None),) * self.axis
        return tuple(g[(*lead, i)] if need else None for i, need in enumerate(needs))
