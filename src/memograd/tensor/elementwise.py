"""Elementwise arithmetic and math: each op one primitive, its forward beside its VJP.

Binary ops follow NumPy broadcasting; their VJPs sum the gradient back to each input's shape
(`unbroadcast`). A Python number operand is a static parameter of the op (``x + 3`` is
``AddScalar(3)``), not a graph node. Each definition runs on arrays, on Tensors (higher
order) and on the compiler's stand-ins (see `memograd.tensor._primitive`).

Example:
    >>> import memograd as mg
    >>> x = mg.Tensor([1.0, 2.0], requires_grad=True)
    >>> _ = (x * x + 1).sum().backward()
    >>> x.grad.tolist()
    [2.0, 4.0]
"""

from __future__ import annotations

from typing import Any

from ._backend import STAND_INS, xp
from ._node import operand
from ._primitive import Primitive, apply, apply1, apply2, primitive
from ._tensor import Tensor
from .shape import unbroadcast

Needs = tuple[bool, ...]


def _broadcast_error(op: str, a: Tensor, b: Tensor) -> ValueError:
    return ValueError(
        f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together (each trailing "
        f"dimension must be equal, or 1 in one of them)"
    )


def _binary(prim: Primitive, a: Tensor, b: Tensor) -> Tensor:
    try:
        return apply2(prim, a, b)
    except ValueError:
        raise _broadcast_error(prim.name, a, b) from None


def _is_number(x: Any) -> bool:
    t = type(x)
    return t is float or t is int


# ------------------------------------------------------------------------- add / sub / neg
@primitive
class Add(Primitive):
    name = "add"

    def forward(self, xp: Any, a: Any, b: Any) -> Any:
        return a + b

    def vjp(self, xp: Any, g: Any, a: Any, b: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (
            unbroadcast(g, a.shape) if needs[0] else None,
            unbroadcast(g, b.shape) if needs[1] else None,
        )


@primitive
class Sub(Primitive):
    name = "sub"

    def forward(self, xp: Any, a: Any, b: Any) -> Any:
        return a - b

    def vjp(self, xp: Any, g: Any, a: Any, b: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (
            unbroadcast(g, a.shape) if needs[0] else None,
            unbroadcast(-g, b.shape) if needs[1] else None,
        )


@primitive
class Neg(Primitive):
    name = "neg"

    def forward(self, xp: Any, a: Any) -> Any:
        return -a

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (-g,)


@primitive
class AddScalar(Primitive):
    """a + c for a Python number c (kept in a's dtype, as NumPy's weak scalars)."""

    c: float
    name = "add"

    def forward(self, xp: Any, a: Any) -> Any:
        return a + self.c

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g,)


@primitive
class SubScalar(Primitive):
    """a - c, or c - a when `reflected`, for a Python number c."""

    c: float
    reflected: bool = False
    name = "sub"

    def forward(self, xp: Any, a: Any) -> Any:
        return self.c - a if self.reflected else a - self.c

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (-g if self.reflected else g,)


@primitive
class MulScalar(Primitive):
    """a * c for a Python number c."""

    c: float
    name = "mul"

    def forward(self, xp: Any, a: Any) -> Any:
        return a * self.c

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g * self.c,)


@primitive
class DivScalar(Primitive):
    """a / c for a nonzero Python number c; the VJP multiplies by 1 / c."""

    c: float
    name = "div"

    def forward(self, xp: Any, a: Any) -> Any:
        return a / self.c

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g * (1.0 / self.c),)


ADD, SUB, NEG = Add(), Sub(), Neg()


def add(a: Tensor, b: Any) -> Tensor:
    """a + b with broadcasting."""
    if _is_number(b):
        return apply1(AddScalar(b), a)
    return _binary(ADD, a, operand(a, b, "add"))


def sub(a: Tensor, b: Any) -> Tensor:
    """a - b with broadcasting."""
    if _is_number(b):
        return apply1(SubScalar(b), a)
    return _binary(SUB, a, operand(a, b, "sub"))


def rsub(a: Tensor, b: Any) -> Tensor:
    """b - a (b is not a Tensor)."""
    if _is_number(b):
        return apply1(SubScalar(b, reflected=True), a)
    return _binary(SUB, operand(a, b, "sub"), a)


def neg(a: Tensor) -> Tensor:
    """-a."""
    return apply1(NEG, a)


# ------------------------------------------------------------------------------- mul / div
@primitive
class Mul(Primitive):
    name = "mul"

    def forward(self, xp: Any, a: Any, b: Any) -> Any:
        return a * b

    def vjp(self, xp: Any, g: Any, a: Any, b: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (
            unbroadcast(g * b, a.shape) if needs[0] else None,
            unbroadcast(g * a, b.shape) if needs[1] else None,
        )

    def saved(self, needs: Needs, operands: tuple[Any, ...]) -> tuple[Any, ...]:
        # Each factor is needed only for the other's gradient.
        return (operands[0] if needs[1] else None, operands[1] if needs[0] else None)


@primitive
class Div(Primitive):
    name = "div"

    def forward(self, xp: Any, a: Any, b: Any) -> Any:
        return a / b

    def vjp(self, xp: Any, g: Any, a: Any, b: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        ga = g / b
        return (
            unbroadcast(ga, a.shape) if needs[0] else None,
            unbroadcast(-ga * a / b, b.shape) if needs[1] else None,
        )

    def saved(self, needs: Needs, operands: tuple[Any, ...]) -> tuple[Any, ...]:
        return (operands[0] if needs[1] else None, operands[1])


MUL, DIV = Mul(), Div()


def mul(a: Tensor, b: Any) -> Tensor:
    """a * b with broadcasting."""
    if _is_number(b):
        return apply1(MulScalar(b), a)
    return _binary(MUL, a, operand(a, b, "mul"))


def div(a: Tensor, b: Any) -> Tensor:
    """a / b with broadcasting."""
    if _is_number(b) and b != 0:  # (division by zero takes NumPy's path: inf, nan)
        return apply1(DivScalar(b), a)
    return _binary(DIV, a, operand(a, b, "div"))


def rdiv(a: Tensor, b: Any) -> Tensor:
    """b / a (b is not a Tensor)."""
    return _binary(DIV, operand(a, b, "div"), a)


# ------------------------------------------------------------------------------------- pow
# The VJPs follow PyTorch's pow_backward / pow_backward_self / pow_backward_exponent, which pick
# the limits at a zero base and a zero exponent instead of letting 0 · inf make a NaN:
#   ∂(x**y)/∂x = y · x**(y-1), and exactly 0 where y == 0 (x**0 is constant in x);
#   ∂(x**y)/∂y = x**y · log x, and exactly 0 where x == 0 and y >= 0 (the limit as x → +0).
# Elsewhere they keep IEEE's answer: inf at x = 0 for 0 < y < 1, NaN for log of x < 0.
@primitive
class PowScalar(Primitive):
    """a ** p for a Python number p."""

    p: float
    name = "pow"
    saves = (0,)

    def forward(self, xp: Any, a: Any) -> Any:
        return a**self.p

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        p = self.p
        if p == 0:  # PyTorch's zeros_like(self): x**0 == 1 does not depend on x, whatever g is
            return (xp.zeros_like(a),)
        if p == 2:
            return (g * a * 2.0,)
        with xp.errstate(divide="ignore", invalid="ignore"):  # 0 ** (p - 1) for p < 1 is inf
            return (g * (a ** (p - 1.0) * p),)


@primitive
class Pow(Primitive):
    """a ** b for two Tensors (PyTorch's gradients at 0; see above)."""

    name = "pow"
    saves = (0, 1)

    def forward(self, xp: Any, a: Any, b: Any) -> Any:
        return a**b

    def vjp(self, xp: Any, g: Any, a: Any, b: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        ga = gb = None
        # The masks depend on values only (constants under create_graph too). The masked
        # entries may be 0 · inf or the log of 0, so their warnings are silenced.
        with xp.errstate(divide="ignore", invalid="ignore"):
            if needs[0]:
                # where(y == 0, 0, slope) with the same values, written so that the slope's
                # dependence on y survives where y == 0: ∂²(x**y)/∂x∂y = 1/x there
                # (PyTorch's double backward drops it). A finite slope there is ±0 already,
                # kept with + 0.0 turning -0 into PyTorch's +0; a non-finite one becomes 0.
                slope = g * (b * a ** (b - 1.0))
                kept = xp.where(xp.isfinite(slope), slope + 0.0, 0.0)
                ga = unbroadcast(xp.where(xp.equal(b, 0), kept, slope), a.shape)
            if needs[1]:
                flat = xp.logical_and(xp.equal(a, 0), xp.greater_equal(b, 0))
                gb = unbroadcast(g * xp.where(flat, 0.0, y * xp.log(a)), b.shape)
        return ga, gb


POW = Pow()


def power(a: Tensor, b: Any) -> Tensor:
    """a ** b; a Python number exponent takes a fast path."""
    if isinstance(b, int | float) and not isinstance(b, bool):
        return apply1(PowScalar(b), a)
    return _binary(POW, a, operand(a, b, "pow"))


def rpower(a: Tensor, b: Any) -> Tensor:
    """b ** a (b is not a Tensor)."""
    return _binary(POW, operand(a, b, "pow"), a)


# ------------------------------------------------------------------------------- unary math
@primitive
class Exp(Primitive):
    name = "exp"
    saves = (1,)

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.exp(a)

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g * y,)


@primitive
class Log(Primitive):
    name = "log"
    saves = (0,)

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.log(a)

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g / a,)


@primitive
class Log1p(Primitive):
    name = "log1p"
    saves = (0,)

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.log1p(a)

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g / (a + 1.0),)


@primitive
class Sqrt(Primitive):
    name = "sqrt"
    saves = (1,)

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.sqrt(a)

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g / (y * 2.0),)


@primitive
class Abs(Primitive):
    """|a|; the gradient is sign(a), 0 at 0."""

    name = "abs"
    saves = (0,)

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.abs(a)

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g * xp.sign(a),)


@primitive
class Clip(Primitive):
    """a limited to [lo, hi]; the gradient passes where lo <= a <= hi (ends included)."""

    lo: float | None
    hi: float | None
    name = "clip"
    saves = (0,)

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.clip(a, self.lo, self.hi)

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        if self.lo is None:
            inside = xp.less_equal(a, self.hi)
        elif self.hi is None:
            inside = xp.greater_equal(a, self.lo)
        else:
            inside = xp.logical_and(xp.greater_equal(a, self.lo), xp.less_equal(a, self.hi))
        return (xp.where(inside, g, 0),)


@primitive
class AsType(Primitive):
    """a converted to another floating dtype; the gradient is converted back."""

    dtype: Any
    name = "astype"

    def forward(self, xp: Any, a: Any) -> Any:
        return a.astype(self.dtype)

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g.astype(a.dtype),)


EXP, LOG, LOG1P, SQRT, ABS = Exp(), Log(), Log1p(), Sqrt(), Abs()


def exp(a: Tensor) -> Tensor:
    """e ** a."""
    return apply1(EXP, a)


def log(a: Tensor) -> Tensor:
    """Natural logarithm."""
    return apply1(LOG, a)


def log1p(a: Tensor) -> Tensor:
    """log(1 + a), accurate for small a."""
    return apply1(LOG1P, a)


def sqrt(a: Tensor) -> Tensor:
    """Square root."""
    return apply1(SQRT, a)


def absolute(a: Tensor) -> Tensor:
    """|a|; the gradient is sign(a), 0 at 0."""
    return apply1(ABS, a)


def clip(a: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """Limit `a` to [min, max]; the gradient passes where min <= a <= max (ends included)."""
    if min is None and max is None:
        raise ValueError("clip: at least one of `min` and `max` must be given")
    if min is not None and max is not None and min > max:
        raise ValueError(f"clip: `min` must not exceed `max`. Received: min={min}, max={max}")
    return apply1(Clip(min, max), a)


def astype(a: Tensor, dtype: Any) -> Tensor:
    """`a` converted to another floating dtype; the gradient is converted back."""
    return apply1(AsType(Tensor(0.0, dtype=dtype).data.dtype), a)  # validates the dtype


# ------------------------------------------------------------------------------------ where
@primitive
class Where(Primitive):
    """`a` where `cond` holds, else `b`; `cond` is a constant operand (aux)."""

    name = "where"
    n_aux = 1

    def forward(self, xp: Any, a: Any, b: Any, cond: Any) -> Any:
        return xp.where(cond, a, b)

    def vjp(
        self, xp: Any, g: Any, a: Any, b: Any, y: Any, cond: Any, *, needs: Needs
    ) -> tuple[Any, ...]:
        return (
            unbroadcast(xp.where(cond, g, 0), a.shape) if needs[0] else None,
            unbroadcast(xp.where(cond, 0, g), b.shape) if needs[1] else None,
        )


WHERE = Where()


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
    cond = condition.data if isinstance(condition, Tensor) else condition
    if type(cond) not in STAND_INS:
        cond = xp.asarray(cond)
    cond = cond.astype(bool)  # a copy: the caller may change its array later
    if isinstance(a, Tensor):
        b = operand(a, b, "where")
    elif isinstance(b, Tensor):
        a = operand(b, a, "where")
    else:
        a = Tensor(a)
        b = operand(a, b, "where")
    try:
        return apply(WHERE, (a, b), (cond,))
    except ValueError:
        raise ValueError(
            f"where: shapes {cond.shape} (condition), {a.shape} and {b.shape} cannot be "
            f"broadcast together"
        ) from None
