"""Indexing `a[index]`: ints, slices, None, Ellipsis, boolean masks and integer-array gathers.

The VJP puts the gradient back where the values came from. A gather may read one element
several times (``a[[0, 0, 1]]``), so the backward is a scatter-*add* (`numpy.add.at`), not an
assignment; plain slices cannot repeat and take the faster assignment path.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> table = mg.Tensor(np.ones((3, 2)), requires_grad=True)
    >>> _ = table[np.array([0, 0, 2])].sum().backward()
    >>> table.grad[:, 0].tolist()
    [2.0, 0.0, 1.0]
"""

from __future__ import annotations

from typing import Any

from ._backend import ndarray, xp
from ._node import constant, grad_enabled_for, make_node
from ._tensor import Tensor


def _normalize(index: Any) -> tuple[Any, bool]:
    """The index with Tensors and lists turned into arrays; whether it has an array part."""
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    advanced = False
    for part in parts:
        if isinstance(part, Tensor):
            part = part.data
        if isinstance(part, list):
            part = xp.asarray(part)
        if isinstance(part, ndarray):
            advanced = True
            if part.dtype.kind == "f":  # labels stored in a float Tensor
                as_int = part.astype(xp.intp)
                if not xp.array_equal(as_int, part):
                    raise IndexError("index arrays must hold integers or booleans")
                part = as_int
        out.append(part)
    return (tuple(out) if isinstance(index, tuple) else out[0]), advanced


def getitem(a: Tensor, index: Any) -> Tensor:
    """a[index] with NumPy semantics (basic and advanced indexing)."""
    idx, advanced = _normalize(index)
    try:
        data = a.data[idx]
    except IndexError as err:
        raise IndexError(
            f"index {index!r} is invalid for a tensor of shape {a.shape}: {err}"
        ) from None
    if grad_enabled_for(a):
        parts = idx if isinstance(idx, tuple) else (idx,)
        saved = tuple(p for p in parts if isinstance(p, ndarray))  # counted as saved bytes
        return make_node(data, (a,), _getitem_vjp, saved, "getitem", (idx, advanced))
    return constant(data)


def _getitem_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    idx, advanced = node._ctx
    shape = node._parents[0].data.shape
    if isinstance(g, Tensor):
        return (scatter_add(g, idx, shape, advanced),)
    return (_scatter(g, idx, shape, advanced),)


def _scatter(g: Any, idx: Any, shape: tuple[int, ...], advanced: bool) -> Any:
    out = xp.zeros(shape, dtype=g.dtype)
    if advanced:
        xp.add.at(out, idx, g)  # repeated indices accumulate
    else:
        out[idx] = g
    return out


def scatter_add(src: Tensor, index: Any, shape: tuple[int, ...], advanced: bool = True) -> Tensor:
    """zeros(shape) with `src` added at `index` (repeats accumulate); VJP: gather.

    This is the backward of `getitem` as a differentiable op, used for higher-order
    gradients.
    """
    data = _scatter(src.data, index, shape, advanced)
    if grad_enabled_for(src):
        return make_node(data, (src,), _scatter_add_vjp, (), "scatter_add", index)
    return constant(data)


def _scatter_add_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    return (g[node._ctx],)
