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
from ._primitive import Primitive, apply1, primitive
from ._tensor import Tensor

Needs = tuple[bool, ...]


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


@primitive
class GetItem(Primitive):
    """``x[index]``; `advanced` when the index holds arrays (then the VJP scatter-adds)."""

    index: Any
    advanced: bool
    name = "getitem"
    linear = True

    def forward(self, xp: Any, x: Any) -> Any:
        return x[self.index]

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (xp.scatter(g, self.index, x.shape, self.advanced),)

    def saved(self, needs: Needs, operands: tuple[Any, ...]) -> tuple[Any, ...]:
        parts = self.index if isinstance(self.index, tuple) else (self.index,)
        return tuple(p for p in parts if isinstance(p, ndarray))  # counted as saved bytes


@primitive
class ScatterAdd(Primitive):
    """zeros(shape) with the input added at `index` (repeats accumulate); VJP: gather."""

    index: Any
    shape: tuple[int, ...]
    advanced: bool
    name = "scatter_add"
    linear = True

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.scatter(x, self.index, self.shape, self.advanced)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g[self.index],)


def getitem(a: Tensor, index: Any) -> Tensor:
    """a[index] with NumPy semantics (basic and advanced indexing)."""
    idx, advanced = _normalize(index)
    try:
        return apply1(GetItem(idx, advanced), a)
    except IndexError as err:
        raise IndexError(
            f"index {index!r} is invalid for a tensor of shape {a.shape}: {err}"
        ) from None


def scatter_add(src: Tensor, index: Any, shape: tuple[int, ...], advanced: bool = True) -> Tensor:
    """zeros(shape) with `src` added at `index` (repeats accumulate); VJP: gather.

    This is the backward of `getitem` as a differentiable op, used for higher-order
    gradients.
    """
    return apply1(ScatterAdd(index, tuple(shape), advanced), src)
