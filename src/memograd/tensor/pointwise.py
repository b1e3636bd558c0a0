"""Elementwise math beyond arithmetic: maximum, minimum, sin, cos, expm1, square.

One `Primitive` each, written against ``xp`` (see `memograd.tensor._primitive`). `maximum`
and `minimum` broadcast like NumPy and propagate NaN like `numpy.maximum`; where both
operands are equal the gradient is split in half between them, as PyTorch does (NumPy has
no gradient to follow). `minimum` is ``-maximum(-a, -b)``: negation is exact, so the values
are NumPy's bit for bit, and the recording namespaces need no extra name.

Example:
    >>> import memograd as mg
    >>> a = mg.Tensor([1.0, 3.0], requires_grad=True)
    >>> _ = maximum(a, 2.0).sum().backward()
    >>> a.grad.tolist()
    [0.0, 1.0]
"""

from __future__ import annotations

from typing import Any

from ._node import operand
from ._primitive import Primitive, apply1, apply2, primitive
from ._tensor import Tensor
from .shape import unbroadcast

Needs = tuple[bool, ...]


def _split(xp: Any, g: Any, a: Any, b: Any, y: Any, needs: Needs) -> tuple[Any, ...]:
    """The VJP of an elementwise max/min: each side gets g where it is the result; ties
    share it (PyTorch's rule); where the result is NaN neither side gets any. `y` is the
    forward output (max or min)."""
    wins_a = xp.equal(a, y)
    wins_b = xp.equal(b, y)
    share = 1.0 / xp.maximum(wins_a.astype(y.dtype) + wins_b.astype(y.dtype), 1.0)  # NaN: 0
    return (
        unbroadcast(g * (wins_a * share), a.shape) if needs[0] else None,
        unbroadcast(g * (wins_b * share), b.shape) if needs[1] else None,
    )


@primitive
class Maximum(Primitive):
    """max(a, b) elementwise (NaN propagates); ties split the gradient."""

    name = "maximum"
    elementwise = True
    saves = (0, 1, 2)

    def forward(self, xp: Any, a: Any, b: Any) -> Any:
        return xp.maximum(a, b)

    def vjp(self, xp: Any, g: Any, a: Any, b: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return _split(xp, g, a, b, y, needs)


@primitive
class Minimum(Primitive):
    """min(a, b) elementwise, as -max(-a, -b) (exact); ties split the gradient."""

    name = "minimum"
    elementwise = True
    saves = (0, 1, 2)

    def forward(self, xp: Any, a: Any, b: Any) -> Any:
        return -xp.maximum(-a, -b)

    def vjp(self, xp: Any, g: Any, a: Any, b: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return _split(xp, g, a, b, y, needs)


@primitive
class Sin(Primitive):
    name = "sin"
    self_adjoint = True
    saves = (0,)

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.sin(x)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g * xp.cos(x),)


@primitive
class Cos(Primitive):
    name = "cos"
    self_adjoint = True
    saves = (0,)

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.cos(x)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (-(g * xp.sin(x)),)


@primitive
class Expm1(Primitive):
    """eˣ − 1, accurate near 0; d = eˣ = y + 1."""

    name = "expm1"
    self_adjoint = True
    saves = (1,)

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.expm1(x)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g * (y + 1.0),)


@primitive
class Square(Primitive):
    name = "square"
    self_adjoint = True
    saves = (0,)

    def forward(self, xp: Any, x: Any) -> Any:
        return x * x

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g * (x * 2.0),)


MAXIMUM, MINIMUM, SIN, COS, EXPM1, SQUARE = Maximum(), Minimum(), Sin(), Cos(), Expm1(), Square()


def _pair(a: Any, b: Any, op: str) -> tuple[Tensor, Tensor]:
    if isinstance(a, Tensor):
        return a, operand(a, b, op)
    if isinstance(b, Tensor):
        return operand(b, a, op), b
    first = Tensor(a)
    return first, operand(first, b, op)


def _binary(prim: Primitive, a: Any, b: Any) -> Tensor:
    x, z = _pair(a, b, prim.name)
    try:
        return apply2(prim, x, z)
    except ValueError:
        raise ValueError(
            f"{prim.name}: shapes {x.shape} and {z.shape} cannot be broadcast together"
        ) from None


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum (NumPy broadcasting; NaN propagates; ties split the gradient)."""
    return _binary(MAXIMUM, a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum (NumPy broadcasting; NaN propagates; ties split the gradient)."""
    return _binary(MINIMUM, a, b)


def sin(a: Tensor) -> Tensor:
    """Sine (radians)."""
    return apply1(SIN, a)


def cos(a: Tensor) -> Tensor:
    """Cosine (radians)."""
    return apply1(COS, a)


def expm1(a: Tensor) -> Tensor:
    """eˣ − 1, accurate for small x."""
    return apply1(EXPM1, a)


def square(a: Tensor) -> Tensor:
    """x²."""
    return apply1(SQUARE, a)


__all__ = ["cos", "expm1", "maximum", "minimum", "sin", "square"]
