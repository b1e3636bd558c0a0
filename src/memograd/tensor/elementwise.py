"""Elementwise math (exp, log, log1p, sqrt, abs, clip, astype) and `where`: one primitive each.

(The arithmetic operators live in `arithmetic`.) Each definition runs on arrays, on Tensors
(higher order) and on the compiler's stand-ins (see `memograd.tensor._primitive`).

Example:
    >>> import memograd as mg
    >>> x = mg.Tensor([1.0, 4.0], requires_grad=True)
    >>> _ = x.sqrt().sum().backward()
    >>> x.grad.tolist()
    [0.5, 0.25]
"""

from __future__ import annotations

from typing import Any

from ._backend import STAND_INS, xp
from ._node import operand
from ._primitive import Primitive, apply, apply1, primitive
from ._tensor import Tensor
from .shape import unbroadcast

Needs = tuple[bool, ...]


# ------------------------------------------------------------------------------- unary math
@primitive
class Exp(Primitive):
    name = "exp"
    self_adjoint = True
    saves = (1,)

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.exp(a)

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g * y,)


@primitive
class Log(Primitive):
    name = "log"
    self_adjoint = True
    saves = (0,)

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.log(a)

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g / a,)


@primitive
class Log1p(Primitive):
    name = "log1p"
    self_adjoint = True
    saves = (0,)

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.log1p(a)

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g / (a + 1.0),)


@primitive
class Sqrt(Primitive):
    name = "sqrt"
    self_adjoint = True
    saves = (1,)

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.sqrt(a)

    def vjp(self, xp: Any, g: Any, a: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g / (y * 2.0),)


@primitive
class Abs(Primitive):
    """|a|; the gradient is sign(a), 0 at 0."""

    name = "abs"
    self_adjoint = True
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
    self_adjoint = True
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
    linear = True

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
    """Limit `a` to [min, max]; the gradient passes where min <= a <= max (ends included).

    With min > max every element becomes `max` and no gradient passes, as `numpy.clip` and
    `torch.clamp` define it.
    """
    if min is None and max is None:
        raise ValueError("clip: at least one of `min` and `max` must be given")
    return apply1(Clip(_bound("min", min), _bound("max", max)), a)


def _bound(name: str, value: Any) -> Any:
    """A bound of `clip`: None, a number or an array of numbers (a constant, no gradient)."""
    if value is None or isinstance(value, int | float):
        return value
    if isinstance(value, Tensor):
        raise TypeError(
            f"clip: `{name}` must be a number or an array, not a Tensor (a bound is a constant; "
            f"for a bound with a gradient use mg.tensor.maximum/minimum). Received: a Tensor of "
            f"shape {value.shape}"
        )
    try:
        kind = xp.asarray(value).dtype.kind
    except (TypeError, ValueError):
        kind = "O"
    if kind not in "biuf":
        raise TypeError(
            f"Received an invalid value for `{name}`, expected a number, an array of numbers or "
            f"None. Received: {name}={value!r} of type {type(value).__name__}"
        )
    return value


def astype(a: Tensor, dtype: Any) -> Tensor:
    """`a` converted to another floating dtype; the gradient is converted back."""
    return apply1(AsType(Tensor(0.0, dtype=dtype).data.dtype), a)  # validates the dtype


# ------------------------------------------------------------------------------------ where
@primitive
class Where(Primitive):
    """`a` where `cond` holds, else `b`; `cond` is a constant operand (aux)."""

    name = "where"
    linear = True
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
