"""Modern activations: softplus, gelu (exact and tanh), silu/swish, elu, selu, mish,
hard_tanh, softsign — and erf, which the exact gelu needs. One `Primitive` each.

Values and gradients follow PyTorch's functions of the same names (``torch.nn.functional``);
where PyTorch has a special case the docstring says so. Each VJP is written from the input
(or the output where that is what the forward computed) with the names of `_xp_numpy`, so
they run eagerly, on Tensors (higher order) and compiled.

Example:
    >>> import memograd as mg
    >>> x = mg.Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    >>> [round(v, 4) for v in gelu(x).data.tolist()]
    [-0.1587, 0.0, 1.9545]
"""

from __future__ import annotations

import math
from typing import Any

from ._primitive import Primitive, apply1, primitive
from ._tensor import Tensor
from .activations import stable_sigmoid

Needs = tuple[bool, ...]

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
# SELU's constants (Klambauer et al. 2017), as PyTorch's
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _softplus(xp: Any, x: Any) -> Any:
    """log(1 + eˣ) = max(x, 0) + log1p(e^-|x|): never overflows."""
    if isinstance(x, Tensor):  # a VJP under create_graph: the op, whose derivative σ holds
        return softplus(x)  # at 0 too (the formula's max and |x| give 0 there)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


@primitive
class Erf(Primitive):
    """The error function; d erf = 2/√π · e^(−x²)."""

    name = "erf"
    self_adjoint = True
    saves = (0,)

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.erf(x)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g * (_TWO_OVER_SQRT_PI * xp.exp(-(x * x))),)


@primitive
class Softplus(Primitive):
    """log(1 + eˣ), written stably; d = σ(x). (PyTorch switches to x above x = 20; the two
    differ there by less than e⁻²⁰.)"""

    name = "softplus"
    self_adjoint = True
    saves = (0,)

    def forward(self, xp: Any, x: Any) -> Any:
        return _softplus(xp, x)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g * stable_sigmoid(xp, x),)


@primitive
class Gelu(Primitive):
    """x·Φ(x) (`approximate` "none": Φ through erf) or its tanh approximation ("tanh")."""

    approximate: str
    name = "gelu"
    self_adjoint = True
    saves = (0,)

    def forward(self, xp: Any, x: Any) -> Any:
        if self.approximate == "tanh":
            t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * (x * x * x)))
            return 0.5 * x * (1.0 + t)
        return 0.5 * x * (1.0 + xp.erf(x * _SQRT_HALF))

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        if self.approximate == "tanh":
            x2 = x * x
            t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * (x2 * x)))
            du = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x2)
            return (g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du),)
        cdf = 0.5 * (1.0 + xp.erf(x * _SQRT_HALF))
        return (g * (cdf + x * (_INV_SQRT_2PI * xp.exp(-0.5 * (x * x)))),)


@primitive
class Silu(Primitive):
    """x·σ(x) (swish); d = σ(x)·(1 + x·(1 − σ(x)))."""

    name = "silu"
    self_adjoint = True
    saves = (0,)

    def forward(self, xp: Any, x: Any) -> Any:
        return x * stable_sigmoid(xp, x)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        s = stable_sigmoid(xp, x)
        return (g * (s * (1.0 + x * (1.0 - s))),)


@primitive
class Elu(Primitive):
    """scale·(x for x > 0, alpha·(eˣ − 1) otherwise): ELU (scale 1) and SELU."""

    alpha: float
    scale: float
    name = "elu"
    self_adjoint = True
    saves = (0, 1)

    def forward(self, xp: Any, x: Any) -> Any:
        negative = (xp.exp(-xp.maximum(-x, 0)) - 1.0) * (self.alpha * self.scale)  # e^min(x,0)
        return xp.where(xp.greater(x, 0), x * self.scale, negative)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        # below 0: scale·alpha·eˣ = y + scale·alpha
        slope = xp.where(xp.greater(x, 0), self.scale, y + self.alpha * self.scale)
        return (g * slope,)


@primitive
class Mish(Primitive):
    """x·tanh(softplus(x)); d = t + x·(1 − t²)·σ(x) with t = tanh(softplus(x))."""

    name = "mish"
    self_adjoint = True
    saves = (0,)

    def forward(self, xp: Any, x: Any) -> Any:
        return x * xp.tanh(_softplus(xp, x))

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        t = xp.tanh(_softplus(xp, x))
        return (g * (t + x * (1.0 - t * t) * stable_sigmoid(xp, x)),)


@primitive
class HardTanh(Primitive):
    """clip(x, low, high); the gradient is 1 strictly inside (low, high), 0 elsewhere (as
    PyTorch, including at the two corners)."""

    low: float
    high: float
    name = "hard_tanh"
    self_adjoint = True
    saves = (0,)

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.clip(x, self.low, self.high)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        inside = xp.logical_and(xp.greater(x, self.low), xp.greater(self.high, x))
        return (g * inside,)


@primitive
class Softsign(Primitive):
    """x / (1 + |x|); d = 1 / (1 + |x|)²."""

    name = "softsign"
    self_adjoint = True
    saves = (0,)

    def forward(self, xp: Any, x: Any) -> Any:
        return x / (1.0 + xp.abs(x))

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        d = 1.0 + xp.abs(x)
        return (g / (d * d),)


ERF, SOFTPLUS, SILU, MISH, SOFTSIGN = Erf(), Softplus(), Silu(), Mish(), Softsign()
_GELU = {"none": Gelu("none"), "tanh": Gelu("tanh")}


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TypeError(
            f"Received an invalid value for `{name}`, expected a finite number. "
            f"Received: {name}={value!r}"
        )
    return float(value)


def erf(a: Tensor) -> Tensor:
    """The error function (2/√π ∫₀ˣ e^(−t²) dt)."""
    return apply1(ERF, a)


def softplus(a: Tensor) -> Tensor:
    """log(1 + eˣ)."""
    return apply1(SOFTPLUS, a)


def gelu(a: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x), Φ the standard normal CDF; ``approximate="tanh"``: PyTorch's tanh form."""
    if approximate not in _GELU:
        raise ValueError(
            "Received an invalid value for `approximate`, expected 'none' or 'tanh'. "
            f"Received: approximate={approximate!r}"
        )
    return apply1(_GELU[approximate], a)


def silu(a: Tensor) -> Tensor:
    """x·σ(x) (also called swish)."""
    return apply1(SILU, a)


swish = silu


def elu(a: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha·(eˣ − 1) otherwise."""
    return apply1(Elu(_number("alpha", alpha), 1.0), a)


def selu(a: Tensor) -> Tensor:
    """SCALE·elu(x, ALPHA) with the self-normalizing constants."""
    return apply1(Elu(SELU_ALPHA, SELU_SCALE), a)


def mish(a: Tensor) -> Tensor:
    """x·tanh(softplus(x))."""
    return apply1(MISH, a)


def hard_tanh(a: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """clip(x, min_val, max_val) (PyTorch's names)."""
    low, high = _number("min_val", min_val), _number("max_val", max_val)
    if not low < high:
        raise ValueError(
            f"Received an invalid value for `max_val`, expected a number above min_val={low}. "
            f"Received: max_val={high}"
        )
    return apply1(HardTanh(low, high), a)


def softsign(a: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return apply1(SOFTSIGN, a)


__all__ = [
    "elu",
    "erf",
    "gelu",
    "hard_tanh",
    "mish",
    "selu",
    "silu",
    "softplus",
    "softsign",
    "swish",
]
