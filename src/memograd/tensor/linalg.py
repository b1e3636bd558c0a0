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

from ._backend import xp
from ._node import constant, grad_enabled_for, make_node, operand
from ._tensor import Tensor
from .shape import unbroadcast


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
        data = a.data @ b.data
    except ValueError:
        raise ValueError(
            f"matmul: the batch dimensions of shapes {a.shape} and {b.shape} cannot be "
            f"broadcast together"
        ) from None
    if grad_enabled_for(a, b):
        saved = (a.data if b.requires_grad else None, b.data if a.requires_grad else None)
        return make_node(data, (a, b), _matmul_vjp, saved, "matmul")
    return constant(data)


def _matmul_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    a, b = node._parents
    x, y = node._parents if isinstance(g, Tensor) else node._saved  # type: ignore[misc]
    sa, sb = a.data.shape, b.data.shape
    if len(sa) == 2 and len(sb) == 2:  # the common case, no reshaping
        return (
            g @ y.T if a.requires_grad else None,
            x.T @ g if b.requires_grad else None,
        )
    # Promote 1-D operands to matrices: a row on the left, a column on the right.
    ma = (1, sa[0]) if len(sa) == 1 else sa
    mb = (sb[0], 1) if len(sb) == 1 else sb
    out2 = (*xp.broadcast_shapes(ma[:-2], mb[:-2]), ma[-2], mb[-1])
    g2 = g.reshape(out2)
    ga = gb = None
    if a.requires_grad:
        ga = unbroadcast(g2 @ y.reshape(mb).swapaxes(-1, -2), ma).reshape(sa)
    if b.requires_grad:
        gb = unbroadcast(x.reshape(ma).swapaxes(-1, -2) @ g2, mb).reshape(sb)
    return ga, gb
