"""Arithmetic: + − × ÷ ** and negation, each op one primitive, its forward beside its VJP.

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

from ._node import operand
from ._primitive import Primitive, apply1, apply2, primitive
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
    linear = True

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
    linear = True

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
    self_adjoint = True

    def forward(self, xp: Any, a: Any) -> Any:
        return -a

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (-g,)


@primitive
class AddScalar(Primitive):
    """a + c for a Python number c (kept in a's dtype, as NumPy's weak scalars)."""

    c: float
    name = "add"
    self_adjoint = True

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
    self_adjoint = True

    def forward(self, xp: Any, a: Any) -> Any:
        return self.c - a if self.reflected else a - self.c

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (-g if self.reflected else g,)


@primitive
class MulScalar(Primitive):
    """a * c for a Python number c."""

    c: float
    name = "mul"
    self_adjoint = True

    def forward(self, xp: Any, a: Any) -> Any:
        return a * self.c

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g * self.c,)


@primitive
class DivScalar(Primitive):
    """a / c for a nonzero Python number c; the VJP multiplies by 1 / c."""

    c: float
    name = "div"
    self_adjoint = True

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
    multilinear = True

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

    def jvp(self, xp: Any, tangents: Any, a: Any, b: Any, y: Any) -> Any:
        ta, tb = tangents  # d(a/b) = (da - y·db) / b
        if tb is None:
            return ta / b
        return ((0.0 if ta is None else ta) - y * tb) / b


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
    self_adjoint = True
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
    elementwise = True
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
