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
from ._backend import xp
from ._node import constant, grad_enabled_for, make_node, operand
from ._tensor import Tensor


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
        data = a.data.reshape(new_shape)
    except (ValueError, TypeError):
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {a.shape} ({a.data.size} elements) "
            f"into shape {new_shape}"
        ) from None
    if grad_enabled_for(a):
        return make_node(data, (a,), _reshape_vjp, (), "reshape")
    return constant(data)


def _reshape_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    return (g.reshape(node._parents[0].data.shape),)


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
    data = a.data.transpose(perm)
    if grad_enabled_for(a):
        inverse = tuple(sorted(range(len(perm)), key=perm.__getitem__))
        return make_node(data, (a,), _transpose_vjp, (), "transpose", inverse)
    return constant(data)


def _transpose_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    return (g.transpose(node._ctx),)


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
        data = xp.broadcast_to(a.data, shape)
    except ValueError:
        raise ValueError(
            f"broadcast_to: cannot broadcast a tensor of shape {a.shape} to shape {shape}"
        ) from None
    if grad_enabled_for(a):
        return make_node(data, (a,), _broadcast_to_vjp, (), "broadcast_to")
    return constant(data)


def _broadcast_to_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    return (unbroadcast(g, node._parents[0].data.shape),)


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
        data = xp.concatenate([t.data for t in ts], axis=ax)
    except ValueError:
        shapes = ", ".join(str(t.shape) for t in ts)
        raise ValueError(
            f"concatenate: cannot join shapes {shapes} along axis {axis} (all dimensions "
            f"but that axis must match)"
        ) from None
    if grad_enabled_for(*ts):
        bounds = [0]
        for t in ts:
            bounds.append(bounds[-1] + t.data.shape[ax])
        return make_node(data, ts, _concatenate_vjp, (), "concatenate", (ax, bounds))
    return constant(data)


def _concatenate_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    ax, bounds = node._ctx
    lead = (slice(None),) * ax
    return tuple(
        g[(*lead, slice(bounds[i], bounds[i + 1]))] if t.requires_grad else None
        for i, t in enumerate(node._parents)
    )


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
        data = xp.stack([t.data for t in ts], axis=ax)
    except ValueError:
        shapes = ", ".join(str(t.shape) for t in ts)
        raise ValueError(
            f"stack: all tensors must have the same shape. Received: {shapes}"
        ) from None
    if grad_enabled_for(*ts):
        return make_node(data, ts, _stack_vjp, (), "stack", ax)
    return constant(data)


def _stack_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    lead = (slice(None),) * node._ctx
    return tuple(g[(*lead, i)] if t.requires_grad else None for i, t in enumerate(node._parents))
