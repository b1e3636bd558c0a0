"""Primitives: each op is ONE object — its forward and its VJP, written once against `xp`.

A `Primitive` subclass writes the forward computation and the vector–Jacobian product (VJP)
against an *array namespace* ``xp`` passed in as an argument, with Python operators and the
functions of `memograd.tensor._xp_numpy` (NumPy's names plus a few, listed there). Its static
parameters (an axis, a slope, an activation name) are typed dataclass fields of the instance
that a node keeps in ``node._prim``. The same definition then runs three ways, chosen by what
it is handed:

- **eager**: ``xp`` is NumPy and the operands are arrays (`apply`, `Primitive.backward`);
- **higher order**: under ``create_graph`` the VJP gets Tensors and the Tensor namespace
  (`_xp_tensor`), so the gradient it builds is itself a graph, differentiable again;
- **compiled**: `memograd.compile` registers recording stand-ins for arrays, with their own
  namespace (`register_namespace`); both forward and VJP then emit kernels instead of
  computing, so a compiled step is derived from these same definitions.

This is the design of JAX's ``Primitive`` (one object; the interpreter is chosen by the
operands' type) with tinygrad's gradient table (each VJP written in the same ops it
differentiates, so it can be differentiated and compiled in turn).

Rules a definition follows so that every interpretation works: use the return value of every
call (``z = xp.tanh(z, out=z)``, ``z += b``), never the operands' values in Python control
flow (``if x.max() > 0`` cannot be compiled), comparisons through ``xp.greater`` and friends
(their masks are constants), and in-place updates only on arrays the definition created.

Example:
    >>> import memograd as mg
    >>> from memograd.tensor import defop
    >>> softsign = defop(
    ...     "softsign",
    ...     forward=lambda xp, x: x / (1 + xp.abs(x)),
    ...     vjp=lambda xp, g, x, y: (g / (1 + xp.abs(x)) ** 2,),  # inputs, then output
    ... )
    >>> x = mg.Tensor([-1.0, 3.0], requires_grad=True)
    >>> y = softsign(x)
    >>> _ = y.sum().backward()
    >>> y.data.tolist(), x.grad.tolist()
    ([-0.5, 0.75], [0.25, 0.0625])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar, dataclass_transform

from .. import _grad_mode
from .._errors import invalid_type
from . import _xp_numpy as NUMPY
from ._backend import STAND_INS as _NAMESPACES
from ._backend import as_node_data, ndarray
from ._backend import xp as _array
from ._node import constant as _constant
from ._node import new_node as _node
from ._node import operand as _operand
from ._tensor import Tensor

_Tensor = Tensor

_ONE = (True,)

_P = TypeVar("_P")


@dataclass_transform(frozen_default=True, eq_default=False)
def primitive(cls: type[_P]) -> type[_P]:
    """Class decorator for a `Primitive` subclass: its annotated fields become its typed
    static parameters (a frozen, slotted dataclass; one instance per op call)."""
    return dataclass(frozen=True, slots=True, repr=False, eq=False)(cls)


class NotTraceable(Exception):
    """A computation that a recording interpreter cannot follow; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def register_namespace(array_type: type, namespace: Any) -> None:
    """Make values of `array_type` run primitives through `namespace` (see module doc)."""
    _NAMESPACES[array_type] = namespace


TENSOR: Any = None
"""The Tensor namespace (`_xp_tensor`): what a VJP runs on under ``create_graph``, and a JVP
rule at an outer level of nested forward sweeps. It is made of the op modules, which import
this one, so `memograd.tensor._methods` sets it when the package is imported
(`use_tensor_namespace`)."""


def use_tensor_namespace(namespace: Any) -> None:
    """Run the VJPs on `namespace` when the adjoint is a Tensor (see `TENSOR`)."""
    global TENSOR
    TENSOR = namespace


def namespace_of(*arrays: Any) -> Any:
    """The namespace of the first operand whose type registered one; NumPy otherwise."""
    for a in arrays:
        found = _NAMESPACES.get(type(a))
        if found is not None:
            return found
    return NUMPY


class Primitive:
    """One op. Subclasses define `forward` and `vjp` (see the module docstring).

    Operands are the differentiable inputs (Tensors: the node's parents), then `n_aux`
    arrays that are not differentiated (labels, a condition, indices). The forward returns the
    output, or ``(output, *residuals)`` when `residuals` > 0: arrays only the VJP needs (the
    probabilities of a softmax cross-entropy). The VJP receives ``g`` (∂L/∂output), then the
    inputs, the output, the aux arrays and the residuals, and ``needs`` (which inputs need a
    gradient), and returns one contribution per input (None where nothing flows).

    Attributes:
        name: shown in reprs, errors and graph drawings.
        n_aux: number of trailing non-differentiable operands.
        residuals: number of extra forward outputs kept for the VJP.
        recompute_residuals: under ``create_graph``, recompute the residuals by running the
            forward on Tensors, so that they are differentiable too; False when they do not
            depend on the inputs differentiably (a dropout mask) and are reused as constants.
        saves: indices into (inputs, output, aux) of the values the VJP reads, counted as
            saved for backward (`memograd.tensor.memory`); `saved` may refine it by `needs`.
    """

    __slots__ = ()
    name: str = "op"
    n_aux: ClassVar[int] = 0
    residuals: ClassVar[int] = 0
    recompute_residuals: ClassVar[bool] = True
    saves: ClassVar[tuple[int, ...]] = ()

    # Forward mode (`memograd.forward`): a primitive's JVP is derived from the definition
    # above when one of these holds, or written as a method ``jvp(self, xp, tangents,
    # *inputs, output, *aux, *residuals)`` returning the output's tangent (`tangents` has one
    # array per input, None for a zero tangent). See `Primitive.tangent`.
    linear: ClassVar[bool] = False
    """Jointly linear in the inputs (add, sum, reshape): the JVP is the forward on tangents."""
    multilinear: ClassVar[bool] = False
    """Linear in each input separately (mul, matmul): the JVP is Σ_i forward(.., t_i, ..)."""
    self_adjoint: ClassVar[bool] = False
    """One input and a symmetric Jacobian (every elementwise unary op, softmax): the JVP is
    the VJP applied to the tangent."""
    elementwise: ClassVar[bool] = False
    """Elementwise in several broadcast inputs (pow, maximum): the VJP of ones on the inputs
    broadcast to the output's shape gives each ∂y/∂xᵢ, and the JVP is Σᵢ ∂y/∂xᵢ ⊙ tᵢ."""
    reduction: ClassVar[bool] = False
    """One input reduced over ``self.axes`` (``self.keepdims``), each output element a
    function of its slice only (max, var, logsumexp): the VJP of ones is that function's
    gradient, and the JVP is Σ over the slice of gradient ⊙ tangent."""
    scalar: ClassVar[bool] = False
    """One scalar output (a loss: mae, huber, BCE): the VJP of 1 is the gradient ∇ᵢ with
    respect to each input, and the JVP is Σᵢ ⟨∇ᵢ, tᵢ⟩."""

    @classmethod
    def has_jvp(cls) -> bool:
        """Whether forward mode can run through this primitive (a rule or a derivation)."""
        if callable(getattr(cls, "jvp", None)):
            return True
        flags = ("linear", "multilinear", "self_adjoint", "elementwise", "reduction", "scalar")
        return any(getattr(cls, flag) for flag in flags)

    # True when the class declares no saved operands (set per subclass: `apply` then skips
    # building the operand tuple that `saved` would read).
    _saves_nothing: ClassVar[bool] = True
    # How many of `_saved`'s first entries the VJP receives (aux operands and residuals).
    _kept: ClassVar[int] = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._saves_nothing = not cls.saves and cls.saved is Primitive.saved
        cls._kept = cls.n_aux + cls.residuals

    # The definition: subclasses write these two as methods, with their own operands
    # (``forward(self, xp, x, w)``, ``vjp(self, xp, g, x, w, y, *, needs)``).
    forward: Callable[..., Any]
    vjp: Callable[..., tuple[Any, ...]]

    def saved(self, needs: tuple[bool, ...], operands: tuple[Any, ...]) -> tuple[Any, ...]:
        """The arrays the VJP reads, for `needs` (operands: inputs, output, aux)."""
        s = self.saves
        if not s:
            return ()
        if len(s) == 1:
            return (operands[s[0]],)
        return tuple([operands[i] for i in s])

    # -- the VJP, interpreted for the kind of adjoint it receives ---------------------------

    def backward(self, node: Any, g: Any) -> tuple[Any, ...]:
        """The node's VJP on `g`: arrays (eager), Tensors (create_graph), stand-ins."""
        if type(g) is _Tensor:
            return self._backward_graph(node, g)
        y = node.data
        xp = NUMPY if type(y) is ndarray else _NAMESPACES.get(type(y), NUMPY)
        parents = node._parents
        n = len(parents)
        k = self._kept
        if not k:  # (unrolled for the common arities: this runs once per node and step)
            if n == 1:
                return self.vjp(xp, g, parents[0].data, y, needs=_ONE)
            if n == 2:
                a, b = parents
                return self.vjp(xp, g, a.data, b.data, y, needs=(a.requires_grad, b.requires_grad))
            if n == 3:
                a, b, c = parents
                needs = (a.requires_grad, b.requires_grad, c.requires_grad)
                return self.vjp(xp, g, a.data, b.data, c.data, y, needs=needs)
        kept = node._saved  # the aux operands and residuals first
        if len(kept) != k:
            kept = kept[:k]
        if n == 1:
            return self.vjp(xp, g, parents[0].data, y, *kept, needs=_ONE)
        needs = tuple([p.requires_grad for p in parents])
        return self.vjp(xp, g, *[p.data for p in parents], y, *kept, needs=needs)

    def _backward_graph(self, node: Any, g: Any) -> tuple[Any, ...]:
        """Under create_graph: the VJP on Tensors (parents and the node itself), so that the
        contributions it returns are graph nodes."""
        parents = node._parents
        saved = node._saved
        n, k = self.n_aux, self.n_aux + self.residuals
        aux = saved[:n]
        res: tuple[Any, ...] = ()
        if self.residuals:
            if self.recompute_residuals:
                res = tuple(self.forward(TENSOR, *parents, *aux)[1:])
            else:
                res = saved[n:k]
        needs = tuple([p.requires_grad for p in parents])
        grads = self.vjp(TENSOR, g, *parents, node, *aux, *res, needs=needs)
        return tuple(
            c if c is None or type(c) is _Tensor else _constant(as_node_data(c)) for c in grads
        )

    # -- the JVP: forward mode's interpretation of the same definition ----------------------

    def tangent(
        self,
        tangents: tuple[Any, ...],
        inputs: tuple[Any, ...],
        y: Any,
        aux: tuple[Any, ...],
        res: tuple[Any, ...],
        xp: Any = NUMPY,
    ) -> Any:
        """The output's tangent from the inputs' (None is a zero tangent).

        With the NumPy namespace everything is an array. Under forward-over-forward the
        rule runs with the Tensor namespace on Tensors (`_apply_with_tangents`), so that the
        outer sweeps differentiate the tangent it builds, as ``create_graph`` does for VJPs.

        An explicit ``jvp`` method wins; otherwise the rule is derived from the flags above
        (`linear`, `multilinear`, `self_adjoint`, `elementwise`, `reduction`, `scalar`). Raises
        NotImplementedError naming the primitive when none applies.
        """
        rule = getattr(self, "jvp", None)
        if rule is not None:
            return rule(xp, tangents, *inputs, y, *aux, *res)
        if self.linear:  # J·t = f(t): a zero tangent where an input has none
            pairs = zip(tangents, inputs, strict=True)
            filled = [_zeros(xp, x) if t is None else t for t, x in pairs]
            out = self.forward(xp, *filled, *aux)
            return out[0] if self.residuals else out
        if self.multilinear:  # the product rule: one term per input with a tangent
            total = None
            for i, t in enumerate(tangents):
                if t is None:
                    continue
                args = (*inputs[:i], t, *inputs[i + 1 :])
                term = self.forward(xp, *args, *aux)
                term = term[0] if self.residuals else term
                total = term if total is None else total + term
            return total
        if self.self_adjoint:  # J = Jᵀ: the VJP of the tangent is the JVP
            return self.vjp(xp, tangents[0], inputs[0], y, *aux, *res, needs=_ONE)[0]
        if self.elementwise:
            ones = xp.ones(y.shape, y.dtype)
            spread = [xp.broadcast_to(x, y.shape) for x in inputs]
            needs = tuple([t is not None for t in tangents])
            slopes = self.vjp(xp, ones, *spread, y, *aux, *res, needs=needs)
            total = None
            for t, slope in zip(tangents, slopes, strict=True):
                if t is not None:
                    total = slope * t if total is None else total + slope * t
            return total
        if self.reduction:  # one gradient row per slice: ⟨∇, t⟩ over each slice
            slope = self.vjp(xp, xp.ones(y.shape, y.dtype), inputs[0], y, *aux, *res, needs=_ONE)
            axes: Any = getattr(self, "axes")  # noqa: B009 (a field of the reductions only)
            return (slope[0] * tangents[0]).sum(axis=axes, keepdims=getattr(self, "keepdims"))  # noqa: B009
        if self.scalar:  # a row Jacobian: ⟨∇, t⟩ per input with a tangent
            needs = tuple([t is not None for t in tangents])
            grads = self.vjp(xp, xp.ones(y.shape, y.dtype), *inputs, y, *aux, *res, needs=needs)
            total = None
            for t, grad in zip(tangents, grads, strict=True):
                if t is not None and grad is not None:
                    term = (grad * t).sum()
                    total = term if total is None else total + term
            return total
        raise NotImplementedError(
            f"forward mode: the primitive {self.name!r} ({type(self).__name__}) has no JVP "
            f"rule; give it a `jvp` method (or the flag of a derivation that holds), "
            f"or use reverse mode (mg.vjp, mg.jacrev)"
        )

    def __repr__(self) -> str:
        fields = getattr(self, "__dataclass_fields__", {})
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in fields)
        return f"{type(self).__name__}({inner})"


def _zeros(xp: Any, like: Any) -> Any:
    """A zero tangent shaped like `like`: an array, or a constant Tensor on Tensors."""
    zeros = NUMPY.zeros(like.shape, like.dtype)
    return zeros if xp is NUMPY else _constant(zeros)


# -- eager application: compute, then record a node when a gradient may flow ---------------


def apply1(prim: Primitive, a: Tensor) -> Tensor:
    """`prim` on one Tensor (no aux operands, no residuals)."""
    if forward_mode:
        return _apply_with_tangents(prim, (a,), ())
    x = a.data
    y = prim.forward(NUMPY if type(x) is ndarray else namespace_of(x), x)
    if type(y) is not ndarray:
        y = as_node_data(y)
    if a.requires_grad and _grad_mode.enabled:
        return _node(y, (a,), prim, prim.saved(_ONE, (x, y)))
    return _constant(y)


def apply2(prim: Primitive, a: Tensor, b: Tensor) -> Tensor:
    """`prim` on two Tensors (no aux operands, no residuals)."""
    if forward_mode:
        return _apply_with_tangents(prim, (a, b), ())
    x, z = a.data, b.data
    if type(x) is ndarray and type(z) is ndarray:
        y = prim.forward(NUMPY, x, z)
    else:
        y = prim.forward(namespace_of(x, z), x, z)
    if type(y) is not ndarray:
        y = as_node_data(y)
    if _grad_mode.enabled and (a.requires_grad or b.requires_grad):
        needs = (a.requires_grad, b.requires_grad)
        return _node(y, (a, b), prim, prim.saved(needs, (x, z, y)))
    return _constant(y)


def apply3(prim: Primitive, a: Tensor, b: Tensor, c: Tensor) -> Tensor:
    """`prim` on three Tensors (no aux operands, no residuals): a layer's x, weight, bias."""
    if forward_mode:
        return _apply_with_tangents(prim, (a, b, c), ())
    x, z, u = a.data, b.data, c.data
    if type(x) is ndarray and type(z) is ndarray and type(u) is ndarray:
        y = prim.forward(NUMPY, x, z, u)
    else:
        y = prim.forward(namespace_of(x, z, u), x, z, u)
    if type(y) is not ndarray:
        y = as_node_data(y)
    if _grad_mode.enabled and (a.requires_grad or b.requires_grad or c.requires_grad):
        needs = (a.requires_grad, b.requires_grad, c.requires_grad)
        return _node(y, (a, b, c), prim, prim.saved(needs, (x, z, u, y)))
    return _constant(y)


def apply(prim: Primitive, inputs: Sequence[Tensor], aux: tuple[Any, ...] = ()) -> Tensor:
    """`prim` on any number of Tensors, with `aux` arrays; handles residuals."""
    if type(inputs) is not tuple:
        inputs = tuple(inputs)
    if forward_mode:
        return _apply_with_tangents(prim, inputs, aux)
    datas = [t.data for t in inputs]
    xp = NUMPY
    for d in (*datas, *aux):
        if type(d) is not ndarray and type(d) in _NAMESPACES:
            xp = _NAMESPACES[type(d)]
            break
    y = prim.forward(xp, *datas, *aux)
    res: tuple[Any, ...] = ()
    if prim.residuals:
        res = y[1:]
        y = y[0]
    return _output(prim, inputs, datas, y, aux, res)


def _output(
    prim: Primitive,
    inputs: tuple[Tensor, ...],
    datas: list[Any],
    y: Any,
    aux: tuple[Any, ...],
    res: tuple[Any, ...],
) -> Tensor:
    """The output Tensor of `apply`: a node (aux, residuals, saved arrays) or a constant."""
    if type(y) is not ndarray:
        y = as_node_data(y)
    if _grad_mode.enabled:
        needs = tuple([t.requires_grad for t in inputs])
        if True in needs:
            if prim._saves_nothing:
                return _node(y, inputs, prim, (*aux, *res))
            declared = prim.saved(needs, (*datas, y, *aux))
            return _node(y, inputs, prim, (*aux, *res, *declared))
    return _constant(y)


# -- forward mode: the tangent carried beside the value -------------------------------------

forward_mode: int = 0
"""How many forward sweeps are running, nested (`memograd.forward`; 0: none). While > 0, every
application also computes its output's tangent for each level (`Primitive.tangent`) from its
inputs' ``_tangent`` ({level: tangent}). Off, it costs one global read per op."""

jvp_counts: dict[str, int] = {}
"""JVP rule evaluations per primitive name during forward sweeps (`memograd.forward` reads
and resets it): the forward sweep's work, counted."""


def tangent_of(t: Any, level: int) -> Any:
    """The tangent of Tensor `t` for the forward sweep at nesting `level` (None: zero)."""
    found = getattr(t, "_tangent", None)
    return None if found is None else found.get(level)


def _apply_with_tangents(
    prim: Primitive, inputs: tuple[Tensor, ...], aux: tuple[Any, ...]
) -> Tensor:
    """`apply` as usual (a node is recorded when a gradient may flow), then the tangents.

    The tangents live on the output Tensor (``_tangent``) and die with it: a forward sweep
    holds the tangents of the live values only, whatever the depth.
    """
    return _apply_at(prim, inputs, aux, forward_mode)[0]


def _apply_at(
    prim: Primitive, inputs: tuple[Tensor, ...], aux: tuple[Any, ...], level: int
) -> tuple[Tensor, tuple[Any, ...]]:
    """The output with its tangents of levels 1..`level`, and the forward's residual arrays.

    Level 1 is the innermost sweep: NumPy arrays, as in a single sweep. A tangent of level
    L > 1 is a Tensor computed by the rule on Tensors while only levels < L run, so that it
    carries the lower levels' tangents in turn: the outer sweeps differentiate it (JAX's
    nested JVP interpreters, one level per sweep).
    """
    global forward_mode
    if level == 1:
        datas = [t.data for t in inputs]
        y = prim.forward(NUMPY, *datas, *aux)
        res: tuple[Any, ...] = ()
        if prim.residuals:  # (kept from this one call: a dropout mask is drawn once)
            res = tuple(y[1:])
            y = y[0]
        out = _output(prim, inputs, datas, y, aux, res)
        tangents = tuple([tangent_of(t, 1) for t in inputs])
        if any(t is not None for t in tangents):
            tangent = prim.tangent(tangents, tuple(datas), out.data, aux, res)
            if tangent is not None:
                tangent = _array.asarray(tangent, dtype=out.data.dtype)
                if tangent.shape != out.data.shape:  # a broadcast forward (x + t with zeros)
                    tangent = _array.broadcast_to(tangent, out.data.shape).copy()
                _set_tangent(out, 1, tangent)
            jvp_counts[prim.name] = jvp_counts.get(prim.name, 0) + 1
        return out, res
    out, res = _apply_at(prim, inputs, aux, level - 1)
    tangents = tuple([tangent_of(t, level) for t in inputs])
    if any(t is not None for t in tangents):
        outer = forward_mode
        forward_mode = level - 1  # the rule's own ops carry the lower levels' tangents
        try:
            if res and prim.recompute_residuals:  # differentiable residuals (softmax's p)
                res = tuple(prim.forward(TENSOR, *inputs, *aux)[1:])
            tangent = prim.tangent(tangents, inputs, out, aux, res, TENSOR)
            if tangent is not None:
                if not isinstance(tangent, _Tensor):
                    tangent = _constant(_array.asarray(tangent, dtype=out.data.dtype))
                if tangent.shape != out.data.shape:
                    tangent = TENSOR.broadcast_to(tangent, out.data.shape)
        finally:
            forward_mode = outer
        if tangent is not None:
            _set_tangent(out, level, tangent)
        jvp_counts[prim.name] = jvp_counts.get(prim.name, 0) + 1
    return out, res


def _set_tangent(out: Tensor, level: int, tangent: Any) -> None:
    found = getattr(out, "_tangent", None)
    if found is None:
        out._tangent = {level: tangent}
    else:
        found[level] = tangent


# -- defop: a user's primitive ---------------------------------------------------------------


@primitive
class DefinedOp(Primitive):
    """A primitive made by `defop`; calling it applies it to Tensors."""

    fwd: Callable[..., Any]
    bwd: Callable[..., Any]
    name: str = "op"
    tan: Callable[..., Any] | None = None

    def tangent(
        self,
        tangents: tuple[Any, ...],
        inputs: tuple[Any, ...],
        y: Any,
        aux: tuple[Any, ...],
        res: tuple[Any, ...],
        xp: Any = NUMPY,
    ) -> Any:
        if self.tan is None:  # (raises, naming the op)
            return Primitive.tangent(self, tangents, inputs, y, aux, res, xp)
        return self.tan(xp, tangents, *inputs, y)

    def forward(self, xp: Any, *operands: Any) -> Any:
        return self.fwd(xp, *operands)

    def vjp(self, xp: Any, g: Any, *operands: Any, needs: tuple[bool, ...]) -> tuple[Any, ...]:
        grads = self.bwd(xp, g, *operands)
        if not isinstance(grads, tuple | list) or len(grads) != len(needs):
            raise TypeError(
                f"defop {self.name!r}: `vjp` must return a tuple with one gradient per input "
                f"({len(needs)}). Received: {type(grads).__name__}"
                + (f" of length {len(grads)}" if isinstance(grads, tuple | list) else "")
            )
        inputs = operands[: len(needs)]
        for i, (grad, x) in enumerate(zip(grads, inputs, strict=True)):
            if needs[i] and grad is not None and tuple(grad.shape) != tuple(x.shape):
                raise ValueError(
                    f"defop {self.name!r}: `vjp` returned a gradient of shape "
                    f"{tuple(grad.shape)} for input {i} of shape {tuple(x.shape)}"
                )
        return tuple(grad if need else None for grad, need in zip(grads, needs, strict=True))

    def __call__(self, *args: Any) -> Tensor:
        """Apply the op to Tensors (numbers and arrays become constants of their dtype)."""
        if not args:
            raise TypeError(f"{self.name}: expected at least one input. Received none")
        like = next((a for a in args if isinstance(a, _Tensor)), None)
        if like is None:
            like = _Tensor(args[0])
        return apply(self, [_operand(like, a, self.name) for a in args])

    def __repr__(self) -> str:
        return f"defop({self.name!r})"


def defop(
    name: str,
    forward: Callable[..., Any],
    vjp: Callable[..., Any],
    jvp: Callable[..., Any] | None = None,
) -> DefinedOp:
    """Define a Tensor op from its forward and its VJP, written once against `xp`.

    Args:
        name: the op's name (reprs, errors, graph drawings).
        forward: ``forward(xp, *inputs) -> output``, with NumPy's functions from `xp` and
            Python operators (see `memograd.tensor._primitive` for the rules).
        vjp: ``vjp(xp, g, *inputs, output) -> tuple`` with one gradient per input, each
            of that input's shape.
        jvp: optional, for forward mode (`memograd.forward`): ``jvp(xp, tangents, *inputs,
            output) -> the output's tangent``, where `tangents` has one array per input (None
            for a zero tangent). Without it, forward mode through the op raises, naming it.

    Returns:
        A callable op on Tensors. It works with `backward`, ``create_graph`` and `mg.grad`
        (its VJP then runs on Tensors), `mg.gradcheck`, and ``jit_compile=True`` (its forward
        and VJP run on the compiler's recording stand-ins).

    Raises:
        TypeError: when a name is not a string or a rule is not callable.

    Example:
        >>> import memograd as mg
        >>> cube = defop("cube", lambda xp, x: x * x * x, lambda xp, g, x, y: (g * 3 * x * x,))
        >>> float(mg.grad(lambda t: cube(t).sum())(mg.Tensor([2.0]))[0])
        12.0
    """
    if not isinstance(name, str) or not name:
        raise invalid_type("name", "a non-empty string", name)
    if jvp is not None and not callable(jvp):
        raise invalid_type("jvp", "a function of `xp` or None", jvp)
    for argument, rule in (("forward", forward), ("vjp", vjp)):
        if not callable(rule):
            raise invalid_type(argument, "a function of `xp`", rule)
    return DefinedOp(forward, vjp, name, jvp)


# -- a node with a hand-written rule (checkpoint segments) ------------------------------------


@primitive
class HandWritten(Primitive):
    """A node whose VJP is a Python function of ``(g, node)``, not a definition on `xp`.

    Kept for nodes that re-run a piece of the graph in their backward (checkpoint segments):
    they cannot be interpreted on Tensors or stand-ins, so they refuse both.
    """

    rule: Callable[[Any, Any], tuple[Any, ...]]
    name: str = "op"
    state: Any = None

    def backward(self, node: Any, g: Any) -> tuple[Any, ...]:
        if type(g) is not _Tensor and type(node.data) in _NAMESPACES:
            raise NotTraceable(
                f"the {self.name!r} node has a hand-written backward (make_node) that cannot "
                f"be traced; define the op with memograd.tensor.defop"
            )
        return self.rule(g, node)

    def __repr__(self) -> str:
        return f"HandWritten({self.name!r})"


def make_node(
    data: Any,
    parents: tuple[Tensor, ...],
    vjp: Callable[[Any, Tensor], tuple[Any, ...]],
    saved: tuple[Any, ...],
    op: str,
    state: Any = None,
) -> Tensor:
    """A node whose VJP is the Python function ``vjp(g, node) -> tuple`` (`HandWritten`).

    What a checkpointed segment needs, which re-runs part of the graph in its backward; such
    a node has no second derivative and cannot be compiled.

    Args:
        data: the forward result.
        parents: the inputs, one per VJP output.
        vjp: returns one contribution per parent (None: nothing flows).
        saved: the arrays `vjp` reads (counted as saved bytes, dropped by `_release`).
        op: the node's name.
        state: the object `vjp` works with, kept as ``node._prim.state``.

    Example:
        >>> import memograd as mg
        >>> x = mg.Tensor([3.0], requires_grad=True)
        >>> y = make_node(x.data * 2.0, (x,), lambda g, node: (g * 2.0,), (), "double")
        >>> _ = y.sum().backward()
        >>> x.grad.tolist()
        [2.0]
    """
    if forward_mode and any(getattr(p, "_tangent", None) for p in parents):
        raise NotImplementedError(
            f"forward mode: the {op!r} node has a hand-written backward (make_node), which has "
            f"no JVP; use reverse mode (mg.vjp, mg.jacrev) or define the op with defop(jvp=)"
        )
    return _node(as_node_data(data), parents, HandWritten(vjp, op, state), saved)


__all__ = [
    "DefinedOp",
    "HandWritten",
    "NotTraceable",
    "Primitive",
    "apply",
    "apply1",
    "apply2",
    "as_node_data",
    "defop",
    "make_node",
    "namespace_of",
    "primitive",
    "register_namespace",
    "use_tensor_namespace",
]
