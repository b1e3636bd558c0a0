"""Activations: tanh, sigmoid, relu, leaky_relu, softmax, log_softmax.

All are written to stay finite (values and gradients) for inputs as large as |x| = 1e4:
sigmoid goes through exp(-|x|) (never overflows), softmax and log_softmax subtract the
maximum first. Their VJPs are expressed through the output where possible, which is what
the forward already computed. `stable_sigmoid` is the one definition of σ: the `sigmoid` op,
the fused `linear` and the binary cross-entropy all call it.

Example:
    >>> import memograd as mg
    >>> x = mg.Tensor([-1e4, 0.0, 1e4], requires_grad=True)
    >>> x.sigmoid().data.tolist()
    [0.0, 0.5, 1.0]
"""

from __future__ import annotations

from typing import Any

from .._errors import invalid_type
from ._axis import normalize_axis
from ._primitive import Primitive, apply1, primitive
from ._tensor import Tensor

Needs = tuple[bool, ...]


def stable_sigmoid(xp: Any, x: Any) -> Any:
    """σ(x) = 1 / (1 + e^-x) as where(x >= 0, 1, e) / (1 + e) with e = e^-|x| in (0, 1]:
    never overflows, exact 0 and 1 at the far ends."""
    if isinstance(x, Tensor):  # a VJP under create_graph: the op, whose derivative holds at 0
        return sigmoid(x)  # (the formula's |x| has derivative 0 there: silu''(0) was halved)
    e = xp.exp(-xp.abs(x))
    return xp.where(xp.greater_equal(x, 0), 1.0, e) / (1.0 + e)


def _axis(a: Tensor, axis: Any, op: str) -> int | None:
    """The NumPy axis of a softmax: an index, or None on a 0-d tensor (PyTorch accepts 0 and -1
    there and returns 1.0 / 0.0: a one-element softmax)."""
    ax = normalize_axis(axis, a.data.ndim, op, shape=a.shape, scalar_as_1d=True)
    return ax if a.data.ndim else None


@primitive
class Tanh(Primitive):
    """Hyperbolic tangent; d tanh = 1 - tanh²."""

    name = "tanh"
    self_adjoint = True
    saves = (1,)

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.tanh(x)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g * (1.0 - y * y),)


@primitive
class Sigmoid(Primitive):
    """σ(x) (`stable_sigmoid`); d σ = σ (1 - σ)."""

    name = "sigmoid"
    self_adjoint = True
    saves = (1,)

    def forward(self, xp: Any, x: Any) -> Any:
        return stable_sigmoid(xp, x)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        return (g * y * (1.0 - y),)


@primitive
class Relu(Primitive):
    """max(x, 0); the gradient at exactly 0 is 0."""

    name = "relu"
    self_adjoint = True
    saves = (1,)

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.maximum(x, 0)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        # A product with the mask, not where(): no branches (benchmarks/op_spellings.py).
        return (g * xp.greater(y, 0),)


@primitive
class LeakyRelu(Primitive):
    """x for x > 0, else slope * x."""

    slope: float
    name = "leaky_relu"
    self_adjoint = True
    saves = (0,)

    def forward(self, xp: Any, x: Any) -> Any:
        return xp.where(xp.greater(x, 0), x, x * self.slope)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        slopes = xp.where(xp.greater(x, 0), 1.0, float(self.slope)).astype(x.dtype)
        return (g * slopes,)


@primitive
class Softmax(Primitive):
    """exp(x) / Σ exp(x) along `axis` (None: a 0-d input)."""

    axis: int | None
    name = "softmax"
    self_adjoint = True
    saves = (1,)

    def forward(self, xp: Any, x: Any) -> Any:
        if 0 in x.shape:  # nothing to normalise (and no maximum of an empty slice): empty
            return x * 1.0
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        return e / e.sum(axis=self.axis, keepdims=True)

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        gy = g * y
        return (gy - y * gy.sum(axis=self.axis, keepdims=True),)


@primitive
class LogSoftmax(Primitive):
    """x - log Σ exp(x) along `axis` (None: a 0-d input)."""

    axis: int | None
    name = "log_softmax"
    saves = (1,)

    def forward(self, xp: Any, x: Any) -> Any:
        if 0 in x.shape:  # as Softmax: an empty input gives an empty output
            return x * 1.0
        shifted = x - x.max(axis=self.axis, keepdims=True)
        return shifted - xp.log(xp.exp(shifted).sum(axis=self.axis, keepdims=True))

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        # d log_softmax: g - softmax · Σ g, with softmax = exp(output).
        return (g - xp.exp(y) * g.sum(axis=self.axis, keepdims=True),)

    def jvp(self, xp: Any, tangents: Any, x: Any, y: Any) -> Any:
        t = tangents[0]  # J = I − 1·softmaxᵀ per slice, the transpose of the VJP's
        return t - (xp.exp(y) * t).sum(axis=self.axis, keepdims=True)


TANH, SIGMOID, RELU = Tanh(), Sigmoid(), Relu()


def tanh(a: Tensor) -> Tensor:
    """Hyperbolic tangent; d tanh = 1 - tanh²."""
    return apply1(TANH, a)


def sigmoid(a: Tensor) -> Tensor:
    """1 / (1 + e^-x) via e^-|x| (no overflow); d σ = σ (1 - σ)."""
    return apply1(SIGMOID, a)


def relu(a: Tensor) -> Tensor:
    """max(x, 0); the gradient at exactly 0 is 0."""
    return apply1(RELU, a)


def leaky_relu(a: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, else negative_slope * x."""
    if not isinstance(negative_slope, int | float) or isinstance(negative_slope, bool):
        raise invalid_type("negative_slope", "a number", negative_slope)
    return apply1(LeakyRelu(negative_slope), a)


def softmax(a: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / Σ exp(x) along `axis` (the maximum is subtracted first)."""
    return apply1(Softmax(_axis(a, axis, "softmax")), a)


def log_softmax(a: Tensor, axis: int = -1) -> Tensor:
    """x - log Σ exp(x) along `axis` (the maximum is subtracted first)."""
    return apply1(LogSoftmax(_axis(a, axis, "log_softmax")), a)
