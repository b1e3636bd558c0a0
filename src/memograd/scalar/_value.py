"""`Value`: one float64 per graph node — the scalar engine, micrograd-compatible.

Each op computes its output and, right beside it, its *local derivatives*: one float per edge,
∂out/∂parent. That tuple is all a node saves for backward (8 bytes per edge). The chain rule at
a node is then one multiplication per edge, ``adjoint × local derivative``, and the reverse sweep
in `memograd.graph` (the memo table of adjoints) does the rest.

A number on either side of an op is a constant folded into the op, not a parent: ``x + 2`` has
one parent. A parent used twice (``x * x``) is listed twice, one edge per use.

Only leaves accumulate into ``.grad`` (as in PyTorch); ``backprop.adjoint_table`` shows ∂L/∂node
for every interior node.

Example:
    >>> import memograd as mg
    >>> x = mg.Value(-4.0)
    >>> y = (2 * x + 2).relu() * x + x.sigmoid()
    >>> _ = y.backward()
    >>> round(x.grad, 6)
    0.017663
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from memograd import _display, _grad_mode
from memograd._errors import invalid_type
from memograd.graph import SweepStats, reverse_sweep

Number = int | float
_RELEASED_MESSAGE = (
    "Trying to backward through the graph a second time: the values saved for backward were "
    "released by the first backward. Call backward(retain_graph=True) the first time."
)


class Value:
    """A float64 scalar that remembers how it was computed.

    Args:
        data: the number.
        label: a name for drawings and explanations (e.g. ``"w¹₁₁"``).
        requires_grad: whether gradients flow into this leaf (default True, as in micrograd).

    Example:
        >>> a, b = Value(2.0, label="a"), Value(3.0, label="b")
        >>> c = a * b + a ** 2
        >>> _ = c.backward()
        >>> a.grad, b.grad
        (7.0, 2.0)
    """

    __slots__ = ("_derivs", "_op", "_parents", "data", "grad", "label", "requires_grad")

    def __init__(self, data: Number, *, label: str = "", requires_grad: bool = True) -> None:
        if isinstance(data, Value) or not isinstance(data, int | float):
            raise invalid_type("data", "a real number (int or float)", data, show_type=True)
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self.requires_grad = bool(requires_grad)
        self._parents: tuple[Value, ...] = ()
        self._derivs: tuple[float, ...] | None = ()
        self._op = ""

    # --- graph.Node protocol -------------------------------------------------------------
    def _local_derivatives(self) -> tuple[float, ...]:
        """∂self/∂parent for each edge, aligned with `_parents` (what the path strategies use)."""
        if self._derivs is None:
            raise RuntimeError(_RELEASED_MESSAGE)
        return self._derivs

    def _backward(self, adjoint: Any) -> tuple[Any, ...]:
        """The chain rule at this node: ``adjoint × ∂self/∂parent`` for each edge."""
        return tuple(adjoint * d for d in self._local_derivatives())

    def _accumulate_grad(self, adjoint: Any) -> None:
        self.grad += adjoint

    def _saved_nbytes(self) -> int:
        return 8 * len(self._derivs) if self._derivs else 0

    def _release(self) -> None:
        if self._parents:
            self._derivs = None

    @property
    def op(self) -> str:
        """The name of the op that produced this value ("" for a leaf)."""
        return self._op

    @property
    def is_leaf(self) -> bool:
        return not self._parents

    # --- building nodes ------------------------------------------------------------------
    @classmethod
    def _make(
        cls, data: float, op: str, parents: Sequence[Value], derivs: Sequence[float]
    ) -> Value:
        out = cls.__new__(cls)
        out.data = data
        out.grad = 0.0
        out.label = ""
        out._op = op
        if _grad_mode.enabled and any(p.requires_grad for p in parents):
            out.requires_grad = True
            out._parents = tuple(parents)
            out._derivs = tuple(derivs)
        else:  # nothing to differentiate: keep no graph (as under no_grad)
            out.requires_grad = False
            out._parents = ()
            out._derivs = ()
        return out

    def backward(self, gradient: Number = 1.0, *, retain_graph: bool = False) -> SweepStats:
        """Add ∂self/∂leaf × `gradient` into every leaf's `.grad` (accumulates, like PyTorch).

        Args:
            gradient: the seed ∂L/∂self (1.0 for a loss).
            retain_graph: keep the saved local derivatives so that backward can run again.

        Returns:
            The sweep's statistics (nodes, edges, adjoint reuses, saved bytes, leaves).
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a Value that does not require grad: none of its inputs "
                "requires grad, or it was computed under no_grad()."
            )
        return reverse_sweep(self, float(gradient), retain_graph=retain_graph).stats

    # --- arithmetic ----------------------------------------------------------------------
    def __add__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            return Value._make(self.data + other.data, "+", (self, other), (1.0, 1.0))
        c = _constant(other, "+")
        return Value._make(self.data + c, "+", (self,), (1.0,))

    def __radd__(self, other: Number) -> Value:
        return self + other

    def __mul__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            return Value._make(self.data * other.data, "*", (self, other), (other.data, self.data))
        c = _constant(other, "*")
        return Value._make(self.data * c, "*", (self,), (c,))

    def __rmul__(self, other: Number) -> Value:
        return self * other

    def __neg__(self) -> Value:
        return Value._make(-self.data, "neg", (self,), (-1.0,))

    def __sub__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            return Value._make(self.data - other.data, "-", (self, other), (1.0, -1.0))
        c = _constant(other, "-")
        return Value._make(self.data - c, "-", (self,), (1.0,))

    def __rsub__(self, other: Number) -> Value:
        c = _constant(other, "-")
        return Value._make(c - self.data, "-", (self,), (-1.0,))

    def __truediv__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            b = other.data
            if b == 0.0:
                raise ZeroDivisionError(f"Value division by zero: {self.data!r} / 0.0")
            return Value._make(self.data / b, "/", (self, other), (1.0 / b, -self.data / (b * b)))
        c = _constant(other, "/")
        if c == 0.0:
            raise ZeroDivisionError(f"Value division by zero: {self.data!r} / 0")
        return Value._make(self.data / c, "/", (self,), (1.0 / c,))

    def __rtruediv__(self, other: Number) -> Value:
        c = _constant(other, "/")
        b = self.data
        if b == 0.0:
            raise ZeroDivisionError(f"Value division by zero: {c!r} / 0.0")
        return Value._make(c / b, "/", (self,), (-c / (b * b),))

    def __pow__(self, exponent: Number) -> Value:
        if isinstance(exponent, Value) or not isinstance(exponent, int | float):
            raise TypeError(
                "Received an invalid value for `exponent`, expected a number (int or float); "
                "a Value exponent is not supported (write (x.log() * y).exp() for x > 0). "
                f"Received: exponent of type {type(exponent).__name__}"
            )
        x, p = self.data, float(exponent)
        out = _pow(x, p)
        if p == 0.0:
            deriv = 0.0
        elif x == 0.0 and p < 1.0:
            deriv = math.inf  # the slope of x**p at 0 for 0 < p < 1
        else:
            deriv = p * _pow(x, p - 1.0)
        return Value._make(out, f"**{exponent!r}", (self,), (deriv,))

    # --- activations and elementary functions ----------------------------------------------
    def relu(self) -> Value:
        positive = self.data > 0.0  # NaN passes through (as micrograd, torch), with derivative 0
        out = 0.0 if self.data <= 0.0 else self.data
        return Value._make(out, "relu", (self,), (float(positive),))

    def tanh(self) -> Value:
        t = math.tanh(self.data)  # saturates to ±1 without overflow
        return Value._make(t, "tanh", (self,), (1.0 - t * t,))

    def sigmoid(self) -> Value:
        s = _sigmoid(self.data)
        return Value._make(s, "sigmoid", (self,), (s * (1.0 - s),))

    def exp(self) -> Value:
        e = _exp(self.data)
        return Value._make(e, "exp", (self,), (e,))

    def log(self) -> Value:
        if not self.data > 0.0:
            raise ValueError(
                f"log is defined for positive values only. Received: {self.data!r}"
                + (f" (label={self.label!r})" if self.label else "")
            )
        return Value._make(math.log(self.data), "log", (self,), (1.0 / self.data,))

    def __abs__(self) -> Value:
        x = self.data
        sign = 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)  # torch.sign(0) == 0
        return Value._make(abs(x), "abs", (self,), (sign,))

    def abs(self) -> Value:
        return abs(self)

    # --- conveniences ------------------------------------------------------------------------
    def __float__(self) -> float:
        return self.data

    def item(self) -> float:
        return self.data

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        op = f", op={self._op!r}" if self._op else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label}{op})"

    def _repr_svg_(self) -> str | None:
        """Jupyter: draw the graph that produced this value (None when too big to read)."""
        return _display.svg("graph", self)  # drawn by memograd.viz, which registers it


# --- n-ary ops: one node each, so a neuron is exactly two nodes (weighted sum, activation) ----
def value_sum(values: Iterable[Value | Number]) -> Value:
    """Σ values as one node (one edge per Value term; numbers are folded in).

    Example:
        >>> value_sum([Value(1.0), 2, Value(3.0)]).data
        6.0
    """
    items = list(values)
    parents = [v for v in items if isinstance(v, Value)]
    constant = sum(_constant(v, "sum") for v in items if not isinstance(v, Value))
    total = math.fsum([v.data for v in parents] + [constant])
    return Value._make(total, "sum", parents, [1.0] * len(parents))


def weighted_sum(
    weights: Sequence[Value], inputs: Sequence[Value | Number], bias: Value | None = None
) -> Value:
    """z = Σᵢ wᵢ·xᵢ + b as ONE node: a neuron's pre-activation.

    Parents are every weight, every input that is a `Value` (numeric inputs are constants)
    and the bias; local derivatives are ∂z/∂wᵢ = xᵢ, ∂z/∂xᵢ = wᵢ, ∂z/∂b = 1.

    Example:
        >>> w = [Value(0.5), Value(-1.0)]
        >>> weighted_sum(w, [2.0, 3.0], Value(0.25)).data
        -1.75
    """
    if len(weights) != len(inputs):
        raise ValueError(
            f"weighted_sum expects as many weights as inputs. "
            f"Received: {len(weights)} weights and {len(inputs)} inputs"
        )
    parents: list[Value] = []
    derivs: list[float] = []
    terms: list[float] = []
    for w, x in zip(weights, inputs, strict=True):
        xv = x.data if isinstance(x, Value) else _constant(x, "weighted_sum")
        terms.append(w.data * xv)
        parents.append(w)
        derivs.append(xv)
        if isinstance(x, Value):
            parents.append(x)
            derivs.append(w.data)
    if bias is not None:
        terms.append(bias.data)
        parents.append(bias)
        derivs.append(1.0)
    return Value._make(math.fsum(terms), "weighted_sum", parents, derivs)


def squared_error(prediction: Value | Sequence[Value], target: Number | Sequence[Number]) -> Value:
    """L = Σₖ (yₖ − ŷₖ)² as ONE node whose parents are the predictions ŷₖ.

    Example:
        >>> y_hat = Value(0.75)
        >>> loss = squared_error(y_hat, 1.0)
        >>> loss.data, loss._local_derivatives()
        (0.0625, (-0.5,))
    """
    preds = [prediction] if isinstance(prediction, Value) else list(prediction)
    targets = [target] if isinstance(target, int | float) else list(target)
    if len(preds) != len(targets):
        raise ValueError(
            f"squared_error expects one target per prediction. "
            f"Received: {len(preds)} predictions and {len(targets)} targets"
        )
    diffs = [p.data - _constant(t, "squared_error") for p, t in zip(preds, targets, strict=True)]
    return Value._make(
        math.fsum(d * d for d in diffs), "squared_error", preds, [2.0 * d for d in diffs]
    )


# --- numerics ---------------------------------------------------------------------------------
def _constant(other: Any, op: str) -> float:
    if isinstance(other, bool) or not isinstance(other, int | float):
        raise TypeError(
            f"Value {op} expects a Value or a real number on the other side. "
            f"Received: {other!r} of type {type(other).__name__}"
        )
    return float(other)


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:  # IEEE behaviour (as NumPy and PyTorch): overflow gives inf
        return math.inf


def _sigmoid(x: float) -> float:
    # Never exponentiate a large positive number: exp(-|x|) is in (0, 1].
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _pow(x: float, p: float) -> float:
    try:
        return math.pow(x, p)
    except OverflowError:
        return math.copysign(math.inf, x) if p.is_integer() and p % 2 else math.inf
    except ValueError:
        raise ValueError(
            f"Value ** {p!r} is not a real number for the base {x!r} "
            "(negative base with a fractional exponent, or zero to a negative power)."
        ) from None
