"""Matrix product `a @ b` for 1-D, 2-D and batched operands (NumPy `matmul` rules).

The VJP of ``C = A @ B`` is ``dA = dC @ Bᵀ`` and ``dB = Aᵀ @ dC``. A 1-D operand is treated
as a row (left) or column (right) matrix for the rule and reshaped back afterwards; batch
dimensions that were broadcast are summed back.

Example:
    >>> import memograd as mg
    >>> a = mg.Tensor([[1.0, 2.0]], requires_grad=True)
    >>> b = mg.Tensor([[3.0], [4.0]], requires_grad=True)
    >>> _ = (a @ b).sum().backward()
    >>> a.grad.tolist(), b.grad.tolist()
    ([[3.0, 4.0]], [[1.0], [2.0]])
"""

from __future__ import annotations

from typing import Any

from ._node import operand
from ._primitive import Primitive, apply2, primitive
from ._tensor import Tensor
from .shape import unbroadcast

Needs = tuple[bool, ...]


def _check(a: Tensor, b: Tensor) -> None:
    sa, sb = a.data.shape, b.data.shape
    if not sa or not sb:
        raise ValueError(
            f"matmul: operands must have at least one dimension (use * to scale). "
            f"Received shapes {sa} and {sb}"
        )
    k_a = sa[-1]
    k_b = sb[-2] if len(sb) > 1 else sb[0]
    if k_a != k_b:
        where_b = len(sb) - 2 if len(sb) > 1 else 0
        raise ValueError(
            f"matmul: shapes {sa} and {sb} are not aligned: {k_a} (dim {len(sa) - 1} of the "
            f"first) != {k_b} (dim {where_b} of the second)"
        )


DOT_BELOW = 1 << 18
"""Below this many multiply-adds, a product of two matrices goes through `dot`."""


def product(xp: Any, a: Any, b: Any) -> Any:
    """a @ b, the way that is fastest for its shapes: `dot` for a vector or two small
    matrices (less dispatch per call), `matmul` otherwise (as fast or faster on large ones).
    Both make the same BLAS call, and the choice depends on shapes only: the same in every
    interpretation of a definition (benchmarks/op_spellings.py)."""
    if a.ndim > 2 or b.ndim > 2:
        return xp.matmul(a, b)
    if a.ndim == 1 or b.ndim == 1 or a.shape[0] * a.shape[1] * b.shape[1] < DOT_BELOW:
        return xp.dot(a, b)
    return xp.matmul(a, b)


@primitive
class MatMul(Primitive):
    """a @ b (NumPy `matmul` rules); dA = dC @ Bᵀ, dB = Aᵀ @ dC."""

    name = "matmul"
    multilinear = True

    def forward(self, xp: Any, a: Any, b: Any) -> Any:
        return product(xp, a, b)

    def vjp(self, xp: Any, g: Any, a: Any, b: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        sa, sb = a.shape, b.shape
        if len(sa) == 2 and len(sb) == 2:  # the common case, no reshaping
            return (
                product(xp, g, b.T) if needs[0] else None,
                product(xp, a.T, g) if needs[1] else None,
            )
        # Promote 1-D operands to matrices: a row on the left, a column on the right.
        ma = (1, sa[0]) if len(sa) == 1 else tuple(sa)
        mb = (sb[0], 1) if len(sb) == 1 else tuple(sb)
        out2 = (*xp.broadcast_shapes(ma[:-2], mb[:-2]), ma[-2], mb[-1])
        g2 = g.reshape(out2)
        ga = gb = None
        if needs[0]:
            ga = unbroadcast(xp.matmul(g2, b.reshape(mb).swapaxes(-1, -2)), ma).reshape(sa)
        if needs[1]:
            gb = unbroadcast(xp.matmul(a.reshape(ma).swapaxes(-1, -2), g2), mb).reshape(sb)
        return ga, gb

    def saved(self, needs: Needs, operands: tuple[Any, ...]) -> tuple[Any, ...]:
        return (operands[0] if needs[1] else None, operands[1] if needs[0] else None)


MATMUL = MatMul()


def matmul(a: Tensor, b: Any) -> Tensor:
    """a @ b (NumPy `matmul` semantics)."""
    b = operand(a, b, "matmul")
    return _matmul(a, b)


def rmatmul(a: Tensor, b: Any) -> Tensor:
    """b @ a (b is not a Tensor)."""
    return _matmul(operand(a, b, "matmul"), a)


def _matmul(a: Tensor, b: Tensor) -> Tensor:
    _check(a, b)
    try:
        return apply2(MATMUL, a, b)
    except ValueError:
        raise ValueError(
            f"matmul: the batch dimensions of shapes {a.shape} and {b.shape} cannot be "
            f"broadcast together"
        ) from None
