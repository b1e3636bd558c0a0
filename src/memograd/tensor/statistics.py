"""Spread and soft maximum: var, std (with `ddof`, alias `correction`) and logsumexp.

`ddof` follows NumPy: the default is 0 (the population variance), where PyTorch's
`correction` defaults to 1 (unbiased); ``correction=`` is accepted as an alias so PyTorch
code ports by naming it. With n − ddof ≤ 0 the result is inf or NaN, as NumPy's, and so
is the gradient (as PyTorch's).
`logsumexp` subtracts the maximum first, so it neither overflows nor underflows; a slice of
all −inf gives −inf (as PyTorch and SciPy).

Example:
    >>> import memograd as mg
    >>> x = mg.Tensor([1.0, 2.0, 3.0, 4.0])
    >>> float(x.var()), float(x.var(ddof=1)), round(float(x.logsumexp()), 4)
    (1.25, 1.6666666269302368, 4.4402)
"""

from __future__ import annotations

import math
from typing import Any

from .._errors import invalid_type, invalid_value
from ._axis import normalize_axes
from ._primitive import Primitive, apply1, primitive
from ._tensor import Tensor

Needs = tuple[bool, ...]


def _moments(xp: Any, x: Any, axes: tuple[int, ...], keepdims: bool, denom: float) -> Any:
    """Σ(x − mean)² / denom over `axes`."""
    d = x - x.mean(axis=axes, keepdims=True)
    with xp.errstate(divide="ignore", invalid="ignore"):  # denom 0: inf/NaN, as NumPy
        return (d * d).sum(axis=axes, keepdims=keepdims) / denom


@primitive
class Var(Primitive):
    """Σ(x − mean)² / (n − ddof); d = 2(x − mean) / (n − ddof)."""

    axes: tuple[int, ...]
    keepdims: bool
    kept: tuple[int, ...]
    denom: float
    name = "var"
    reduction = True
    saves = (0,)

    def forward(self, xp: Any, x: Any) -> Any:
        return _moments(xp, x, self.axes, self.keepdims, self.denom)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        d = x - x.mean(axis=self.axes, keepdims=True)
        scale = 2.0 / self.denom if self.denom else math.inf  # n − ddof ≤ 0: ±inf/NaN, as torch
        with xp.errstate(divide="ignore", invalid="ignore"):
            return (g.reshape(self.kept) * (d * scale),)


@primitive
class Std(Primitive):
    """√var; d = (x − mean) / ((n − ddof)·std), 0 where the std is 0 (PyTorch's rule: a
    constant slice gets a zero gradient, not 0/0)."""

    axes: tuple[int, ...]
    keepdims: bool
    kept: tuple[int, ...]
    denom: float
    name = "std"
    reduction = True
    saves = (0, 1)

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.sqrt(_moments(xp, x, self.axes, self.keepdims, self.denom))

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        d = x - x.mean(axis=self.axes, keepdims=True)
        s = y.reshape(self.kept)
        zero = xp.equal(s, 0)
        safe = xp.where(zero, 1.0, s)  # no 0/0 even in the unused branch (second derivatives)
        with xp.errstate(divide="ignore", invalid="ignore"):
            return (xp.where(zero, 0.0, g.reshape(self.kept) * d / (safe * self.denom)),)


@primitive
class LogSumExp(Primitive):
    """log Σ eˣ over `axes`, shifted by the maximum; d = eˣ⁻ʸ (the softmax)."""

    axes: tuple[int, ...]
    keepdims: bool
    kept: tuple[int, ...]
    name = "logsumexp"
    reduction = True
    saves = (0, 1)

    def forward(self, xp: Any, x: Any) -> Any:
        m = x.max(axis=self.axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0.0)  # all −inf (or an inf): shift by 0 instead
        s = xp.exp(x - m).sum(axis=self.axes, keepdims=True)
        with xp.errstate(divide="ignore"):  # log 0 = −inf for a slice of all −inf
            y = xp.log(s) + m
        return (
            y
            if self.keepdims
            else y.reshape(tuple(n for i, n in enumerate(y.shape) if i not in self.axes))
        )

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g.reshape(self.kept) * xp.exp(x - y.reshape(self.kept)),)


def _kept(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _ddof(ddof: Any, correction: Any) -> float:
    if correction is not None:
        if ddof is not None:
            raise ValueError(
                "var/std: give `ddof` (NumPy's name) or `correction` (PyTorch's), not both. "
                f"Received: ddof={ddof!r}, correction={correction!r}"
            )
        ddof, name = correction, "correction"
    else:
        ddof, name = (0 if ddof is None else ddof), "ddof"
    if isinstance(ddof, bool) or not isinstance(ddof, int | float):
        raise invalid_type(name, "a number", ddof)
    if ddof < 0:
        raise invalid_value(name, "a non-negative number", ddof)
    return float(ddof)


def _spread(cls: Any, a: Tensor, axis: Any, ddof: Any, correction: Any, keepdims: bool) -> Any:
    op = cls.name
    axes = normalize_axes(axis, a.data.ndim, op, shape=a.shape)
    n = 1
    for ax in axes:
        n *= a.data.shape[ax]
    if n == 0:
        raise ValueError(f"{op}: cannot reduce over zero elements (shape={a.shape})")
    denom = max(n - _ddof(ddof, correction), 0.0)
    return apply1(cls(axes, keepdims, _kept(a.data.shape, axes), denom), a)


def var(
    a: Tensor,
    axis: Any = None,
    ddof: float | None = None,
    keepdims: bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    """Variance over `axis`: Σ(x − mean)² / (n − ddof); ddof 0 by default (NumPy)."""
    return _spread(Var, a, axis, ddof, correction, keepdims)


def std(
    a: Tensor,
    axis: Any = None,
    ddof: float | None = None,
    keepdims: bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    """Standard deviation over `axis`, √var (see `var`)."""
    return _spread(Std, a, axis, ddof, correction, keepdims)


def logsumexp(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log Σ exp(a) over `axis` (all axes if None), without overflow."""
    axes = normalize_axes(axis, a.data.ndim, "logsumexp", shape=a.shape)
    if a.data.size == 0:
        raise ValueError(f"logsumexp: cannot reduce over zero elements (shape={a.shape})")
    return apply1(LogSumExp(axes, keepdims, _kept(a.data.shape, axes)), a)


__all__ = ["logsumexp", "std", "var"]
