"""Elementwise arithmetic and math: each forward beside its vector–Jacobian product.

Binary ops follow NumPy broadcasting; their VJPs sum the gradient back to each input's shape
(`unbroadcast`). Every VJP works on arrays (ordinary backward) and on Tensors (under
``create_graph``: it then reads the parents and the output node instead of saved arrays).

Example:
    >>> import memograd as mg
    >>> x = mg.Tensor([1.0, 2.0], requires_grad=True)
    >>> _ = (x * x + 1).sum().backward()
    >>> x.grad.tolist()
    [2.0, 4.0]
"""

from __future__ import annotations

from typing import Any

from ._backend import xp
from ._node import constant, grad_enabled_for, make_node, operand
from ._tensor import Tensor
from .shape import unbroadcast


def _broadcast_error(op: str, a: Tensor, b: Tensor) -> ValueError:
    return ValueError(
        f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together (each trailing "
        f"dimension must be equal, or 1 in one of them)"
    )


# ------------------------------------------------------------------------- add / sub / neg
def _is_number(x: Any) -> bool:
    t = type(x)
    return t is float or t is int


def add(a: Tensor, b: Any) -> Tensor:
    """a + b with broadcasting."""
    if _is_number(b):  # a Python number keeps a's dtype (NumPy's weak scalars)
        data = a.data + b
        if grad_enabled_for(a):
            return make_node(data, (a,), _pass_vjp, (), "add")
        return constant(data)
    b = operand(a, b, "add")
    try:
        data = a.data + b.data
    except ValueError:
        raise _broadcast_error("add", a, b) from None
    if grad_enabled_for(a, b):
        return make_node(data, (a, b), _add_vjp, (), "add")
    return constant(data)


def _add_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    a, b = node._parents
    return (
        unbroadcast(g, a.data.shape) if a.requires_grad else None,
        unbroadcast(g, b.data.shape) if b.requires_grad else None,
    )


def _pass_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    return (g,)


def sub(a: Tensor, b: Any) -> Tensor:
    """a - b with broadcasting."""
    if _is_number(b):
        data = a.data - b
        if grad_enabled_for(a):
            return make_node(data, (a,), _pass_vjp, (), "sub")
        return constant(data)
    b = operand(a, b, "sub")
    return _sub(a, b)


def rsub(a: Tensor, b: Any) -> Tensor:
    """b - a (b is not a Tensor)."""
    if _is_number(b):
        data = b - a.data
        if grad_enabled_for(a):
            return make_node(data, (a,), _neg_vjp, (), "sub")
        return constant(data)
    return _sub(operand(a, b, "sub"), a)


def _sub(a: Tensor, b: Tensor) -> Tensor:
    try:
        data = a.data - b.data
    except ValueError:
        raise _broadcast_error("sub", a, b) from None
    if grad_enabled_for(a, b):
        return make_node(data, (a, b), _sub_vjp, (), "sub")
    return constant(data)


def _sub_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    a, b = node._parents
    return (
        unbroadcast(g, a.data.shape) if a.requires_grad else None,
        unbroadcast(-g, b.data.shape) if b.requires_grad else None,
    )


def neg(a: Tensor) -> Tensor:
    """-a."""
    data = -a.data
    if grad_enabled_for(a):
        return make_node(data, (a,), _neg_vjp, (), "neg")
    return constant(data)


def _neg_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    return (-g,)


# ------------------------------------------------------------------------------- mul / div
def mul(a: Tensor, b: Any) -> Tensor:
    """a * b with broadcasting."""
    if _is_number(b):
        data = a.data * b
        if grad_enabled_for(a):
            return make_node(data, (a,), _scale_vjp, (), "mul", b)
        return constant(data)
    b = operand(a, b, "mul")
    try:
        data = a.data * b.data
    except ValueError:
        raise _broadcast_error("mul", a, b) from None
    if grad_enabled_for(a, b):
        # Each factor is needed only for the other's gradient.
        saved = (a.data if b.requires_grad else None, b.data if a.requires_grad else None)
        return make_node(data, (a, b), _mul_vjp, saved, "mul")
    return constant(data)


def _mul_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    a, b = node._parents
    x, y = node._parents if isinstance(g, Tensor) else node._saved  # type: ignore[misc]
    return (
        unbroadcast(g * y, a.data.shape) if a.requires_grad else None,
        unbroadcast(g * x, b.data.shape) if b.requires_grad else None,
    )


def _scale_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    return (g * node._ctx,)


def div(a: Tensor, b: Any) -> Tensor:
    """a / b with broadcasting."""
    if _is_number(b) and b != 0:  # (division by zero takes NumPy's path: inf, nan)
        data = a.data / b
        if grad_enabled_for(a):
            return make_node(data, (a,), _scale_vjp, (), "div", 1.0 / b)
        return constant(data)
    return _div(a, operand(a, b, "div"))


def rdiv(a: Tensor, b: Any) -> Tensor:
    """b / a (b is not a Tensor)."""
    return _div(operand(a, b, "div"), a)


def _div(a: Tensor, b: Tensor) -> Tensor:
    try:
        data = a.data / b.data
    except ValueError:
        raise _broadcast_error("div", a, b) from None
    if grad_enabled_for(a, b):
        saved = (a.data if b.requires_grad else None, b.data)
        return make_node(data, (a, b), _div_vjp, saved, "div")
    return constant(data)


def _div_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    a, b = node._parents
    x, y = node._parents if isinstance(g, Tensor) else node._saved  # type: ignore[misc]
    ga = g / y
    return (
        unbroadcast(ga, a.data.shape) if a.requires_grad else None,
        unbroadcast(-ga * x / y, b.data.shape) if b.requires_grad else None,
    )


# ------------------------------------------------------------------------------------- pow
# The VJPs follow PyTorch's pow_backward / pow_backward_self / pow_backward_exponent, which pick
# the limits at a zero base and a zero exponent instead of letting 0 · inf make a NaN:
#   ∂(x**y)/∂x = y · x**(y-1), and exactly 0 where y == 0 (x**0 is constant in x);
#   ∂(x**y)/∂y = x**y · log x, and exactly 0 where x == 0 and y >= 0 (the limit as x → +0).
# Elsewhere they keep IEEE's answer: inf at x = 0 for 0 < y < 1, NaN for log of x < 0.
def power(a: Tensor, b: Any) -> Tensor:
    """a ** b; a Python number exponent takes a fast path."""
    if isinstance(b, int | float) and not isinstance(b, bool):
        data = a.data**b
        if grad_enabled_for(a):
            return make_node(data, (a,), _pow_scalar_vjp, (a.data,), "pow", float(b))
        return constant(data)
    return _pow(a, operand(a, b, "pow"))


def rpower(a: Tensor, b: Any) -> Tensor:
    """b ** a (b is not a Tensor)."""
    return _pow(operand(a, b, "pow"), a)


def _pow_scalar_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    p = node._ctx
    if p == 0.0:  # PyTorch's zeros_like(self): x**0 == 1 does not depend on x, whatever g is
        zeros = xp.zeros_like(node._parents[0].data)
        return (constant(zeros) if isinstance(g, Tensor) else zeros,)
    x = node._parents[0] if isinstance(g, Tensor) else node._saved[0]  # type: ignore[index]
    if p == 2.0:
        return (g * x * 2.0,)
    with xp.errstate(divide="ignore", invalid="ignore"):  # 0 ** (p - 1) for p < 1 is inf
        return (g * (x ** (p - 1.0) * p),)


def _pow(a: Tensor, b: Tensor) -> Tensor:
    try:
        data = a.data**b.data
    except ValueError:
        raise _broadcast_error("pow", a, b) from None
    if grad_enabled_for(a, b):
        return make_node(data, (a, b), _pow_vjp, (a.data, b.data), "pow")
    return constant(data)


def _pow_base_grad_graph(g: Tensor, a: Tensor, b: Tensor, flat: Any) -> Tensor:
    """PyTorch's where(y == 0, 0, g · y · x**(y-1)) as a graph, with the same values.

    A plain `where` would also cut the slope's dependence on y where y == 0, making
    ∂²(x**y)/∂x∂y = 1/x come out 0 (PyTorch's double backward does). Where the product is
    finite there it is ±0 already, so it is kept, with + 0.0 turning -0 into PyTorch's +0;
    only a non-finite product (x == 0, or g itself) is replaced by a constant 0.
    """
    slope = g * (b * a ** (b - 1.0))
    if not flat.any():
        return slope
    finite = xp.isfinite(slope.data)
    return where(flat, where(finite, slope + 0.0, 0.0), slope)


def _pow_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    a, b = node._parents
    x, y = node._saved  # type: ignore[misc]
    ga = gb = None
    # The masks depend on values only: constants under create_graph too. The masked-out
    # entries may be 0 · inf or the log of 0, so their warnings are silenced.
    with xp.errstate(divide="ignore", invalid="ignore"):
        if a.requires_grad:
            flat = y == 0  # x**0 does not depend on x
            if isinstance(g, Tensor):
                ga = _pow_base_grad_graph(g, a, b, flat)
            else:
                ga = xp.where(flat, 0, g * (y * x ** (y - 1.0)))
        if b.requires_grad:
            flat = (x == 0) & (y >= 0)  # x**y → 0 as x → +0: the limit of its slope in y
            if isinstance(g, Tensor):
                gb = g * where(flat, 0.0, node * a.log())
            else:
                gb = g * xp.where(flat, 0, node.data * xp.log(x))
    return (
        None if ga is None else unbroadcast(ga, a.data.shape),
        None if gb is None else unbroadcast(gb, b.data.shape),
    )


# ------------------------------------------------------------------------------- unary math
def exp(a: Tensor) -> Tensor:
    """e ** a."""
    data = xp.exp(a.data)
    if grad_enabled_for(a):
        return make_node(data, (a,), _exp_vjp, (data,), "exp")
    return constant(data)


def _exp_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    return (g * (node if isinstance(g, Tensor) else node.data),)


def log(a: Tensor) -> Tensor:
    """Natural logarithm."""
    data = xp.log(a.data)
    if grad_enabled_for(a):
        return make_node(data, (a,), _log_vjp, (a.data,), "log")
    return constant(data)


def _log_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    return (g / (node._parents[0] if isinstance(g, Tensor) else node._saved[0]),)  # type: ignore[index]


def sqrt(a: Tensor) -> Tensor:
    """Square root."""
    data = xp.sqrt(a.data)
    if grad_enabled_for(a):
        return make_node(data, (a,), _sqrt_vjp, (data,), "sqrt")
    return constant(data)


def _sqrt_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    return (g / ((node if isinstance(g, Tensor) else node.data) * 2.0),)


def absolute(a: Tensor) -> Tensor:
    """|a|; the gradient is sign(a), 0 at 0."""
    data = xp.abs(a.data)
    if grad_enabled_for(a):
        return make_node(data, (a,), _abs_vjp, (a.data,), "abs")
    return constant(data)


def _abs_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    return (g * xp.sign(node._saved[0]),)  # type: ignore[index]


def clip(a: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """Limit `a` to [min, max]; the gradient passes where min <= a <= max (ends included)."""
    if min is None and max is None:
        raise ValueError("clip: at least one of `min` and `max` must be given")
    if min is not None and max is not None and min > max:
        raise ValueError(f"clip: `min` must not exceed `max`. Received: min={min}, max={max}")
    data = xp.clip(a.data, min, max)
    if grad_enabled_for(a):
        return make_node(data, (a,), _clip_vjp, (a.data,), "clip", (min, max))
    return constant(data)


def _clip_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    lo, hi = node._ctx
    x = node._saved[0]  # type: ignore[index]
    inside = xp.ones(x.shape, dtype=bool)
    if lo is not None:
        inside &= x >= lo
    if hi is not None:
        inside &= x <= hi
    return (g * inside if isinstance(g, Tensor) else xp.where(inside, g, 0),)


def astype(a: Tensor, dtype: Any) -> Tensor:
    """`a` converted to another floating dtype; the gradient is converted back."""
    data = a.data.astype(Tensor(0.0, dtype=dtype).data.dtype)  # validates the dtype
    if grad_enabled_for(a):
        return make_node(data, (a,), _astype_vjp, (), "astype")
    return constant(data)


def _astype_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    return (g.astype(node._parents[0].data.dtype),)


# ------------------------------------------------------------------------------------ where
def where(condition: Any, a: Any, b: Any) -> Tensor:
    """`a` where `condition` holds, else `b` (broadcasting all three).

    Args:
        condition: booleans (an array, list or Tensor; nonzero counts as True); constant.
        a: a Tensor or a constant.
        b: a Tensor or a constant.

    Example:
        >>> import memograd as mg
        >>> x = mg.Tensor([-1.0, 2.0], requires_grad=True)
        >>> mg.tensor.where(x.data > 0, x, 0.0).data.tolist()
        [0.0, 2.0]
    """
    cond = xp.asarray(condition.data if isinstance(condition, Tensor) else condition)
    cond = cond.astype(bool)
    if isinstance(a, Tensor):
        b = operand(a, b, "where")
    elif isinstance(b, Tensor):
        a = operand(b, a, "where")
    else:
        a = Tensor(a)
        b = operand(a, b, "where")
    try:
        data = xp.where(cond, a.data, b.data)
    except ValueError:
        raise ValueError(
            f"where: shapes {cond.shape} (condition), {a.shape} and {b.shape} cannot be "
            f"broadcast together"
        ) from None
    if grad_enabled_for(a, b):
        return make_node(data, (a, b), _where_vjp, (cond,), "where")
    return constant(data)


def _where_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    a, b = node._parents
    cond = node._saved[0]  # type: ignore[index]
    if isinstance(g, Tensor):
        ga, gb = g * cond, g * ~cond
    else:
        ga = xp.where(cond, g, 0) if a.requires_grad else None
        gb = xp.where(cond, 0, g) if b.requires_grad else None
    return (
        unbroadcast(ga, a.data.shape) if a.requires_grad else None,
        unbroadcast(gb, b.data.shape) if b.requires_grad else None,
    )
