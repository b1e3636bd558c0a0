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
        from . import _xp_tensor as TENSOR

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

    def __repr__(self) -> str:
        fields = getattr(self, "__dataclass_fields__", {})
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in fields)
        return f"{type(self).__name__}({inner})"


# -- eager application: compute, then record a node when a gradient may flow ---------------


def apply1(prim: Primitive, a: Tensor) -> Tensor:
    """`prim` on one Tensor (no aux operands, no residuals)."""
    x = a.data
    y = prim.forward(NUMPY if type(x) is ndarray else namespace_of(x), x)
    if type(y) is not ndarray:
        y = as_node_data(y)
    if a.requires_grad and _grad_mode.enabled:
        return _node(y, (a,), prim, prim.saved(_ONE, (x, y)))
    return _constant(y)


def apply2(prim: Primitive, a: Tensor, b: Tensor) -> Tensor:
    """`prim` on two Tensors (no aux operands, no residuals)."""
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


# -- defop: a user's primitive ---------------------------------------------------------------


@primitive
class DefinedOp(Primitive):
    """A primitive made by `defop`; calling it applies it to Tensors."""

    fwd: Callable[..., Any]
    bwd: Callable[..., Any]
    name: str = "op"

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


def defop(name: str, forward: Callable[..., Any], vjp: Callable[..., Any]) -> DefinedOp:
    """Define a Tensor op from its forward and its VJP, written once against `xp`.

    Args:
        name: the op's name (reprs, errors, graph drawings).
        forward: ``forward(xp, *inputs) -> output``, with NumPy's functions from `xp` and
            Python operators (see `memograd.tensor._primitive` for the rules).
        vjp: ``vjp(xp, g, *inputs, output) -> tuple`` with one gradient per input, each
            of that input's shape.

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
    for argument, rule in (("forward", forward), ("vjp", vjp)):
        if not callable(rule):
            raise invalid_type(argument, "a function of `xp`", rule)
    return DefinedOp(forward, vjp, name)


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


# Imported last: `_node` imports `_tensor`, whose op modules import this module (the
# definitions above must exist by then, whichever module is imported first).
from ._node import constant as _constant  # noqa: E402
from ._node import new_node as _node  # noqa: E402
from ._node import operand as _operand  # noqa: E402
from ._tensor import Tensor  # noqa: E402

_Tensor = Tensor

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
    "namespace_of",
    "primitive",
    "register_namespace",
]
