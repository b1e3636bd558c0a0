"""Building op outputs: `new_node`, `constant`, `operand`, `grad_enabled_for`, `make_node`.

Every op creates its Tensors through these helpers, so that a node is always complete (all
slots set) and built without running `Tensor.__init__`'s checks. Ops are `Primitive`s
(`memograd.tensor._primitive`): `apply` computes the forward and calls `new_node` when a
gradient may flow. `make_node` builds a node whose VJP is a plain Python function instead of a
primitive definition — what a checkpointed segment needs, which re-runs part of the graph in
its backward; such a node has no second derivative and cannot be compiled.

Example:
    >>> import memograd as mg
    >>> from memograd.tensor._node import make_node
    >>> x = mg.Tensor([3.0], requires_grad=True)
    >>> y = make_node(x.data * 2.0, (x,), lambda g, node: (g * 2.0,), (), "double")
    >>> _ = y.sum().backward()
    >>> x.grad.tolist()
    [2.0]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import _grad_mode
from ._backend import STAND_INS, as_node_data, ndarray, xp

if TYPE_CHECKING:
    from ._primitive import Primitive

_new = object.__new__

# Set by `memograd.tensor.memory.track()` while it counts bytes saved for backward: called
# with every new node, and with every node the sweep releases. None (free) otherwise.
on_node: Callable[[Tensor], None] | None = None
on_release: Callable[[Tensor], None] | None = None


def new_node(
    data: Any, parents: tuple[Tensor, ...], prim: Primitive, saved: tuple[Any, ...]
) -> Tensor:
    """An op's output node (call only when grad mode is on and a parent requires grad).

    Args:
        data: the forward result (an array of the backend, or a registered stand-in).
        parents: the op's Tensor inputs, one per VJP output (a constant operand is a parent
            with requires_grad False; the sweep never visits it).
        prim: the primitive, with its static parameters.
        saved: the aux arrays, the residuals, then the arrays the VJP reads (None entries
            allowed); their bytes are the node's `_saved_nbytes`, and `_release` drops them.
    """
    out = _new(Tensor)
    out.data = data
    out.grad = None
    out.requires_grad = True
    out._parents = parents
    out._prim = prim
    out._saved = saved
    if on_node is not None:
        on_node(out)
    return out


def make_node(
    data: Any,
    parents: tuple[Tensor, ...],
    vjp: Callable[[Any, Tensor], tuple[Any, ...]],
    saved: tuple[Any, ...],
    op: str,
    state: Any = None,
) -> Tensor:
    """A node whose VJP is the Python function ``vjp(g, node) -> tuple`` (see module doc).

    Args:
        data: the forward result.
        parents: the inputs, one per VJP output.
        vjp: returns one contribution per parent (None: nothing flows).
        saved: the arrays `vjp` reads (counted as saved bytes, dropped by `_release`).
        op: the node's name.
        state: the object `vjp` works with, kept as ``node._prim.state``.
    """
    from . import _primitive

    if _primitive.forward_mode and any(getattr(p, "_tangent", None) for p in parents):
        raise NotImplementedError(
            f"forward mode: the {op!r} node has a hand-written backward (make_node), which has "
            f"no JVP; use reverse mode (mg.vjp, mg.jacrev) or define the op with defop(jvp=)"
        )
    HandWritten = _primitive.HandWritten
    return new_node(as_node_data(data), parents, HandWritten(vjp, op, state), saved)


def constant(data: Any, op: str = "") -> Tensor:
    """Wrap an array (already of the right dtype) as a Tensor outside any graph."""
    out = _new(Tensor)
    out.data = data if isinstance(data, ndarray) else as_node_data(data)
    out.grad = None
    out.requires_grad = False
    out._parents = ()
    out._prim = None
    out._saved = None
    return out


def operand(t: Tensor, other: Any, op: str) -> Tensor:
    """`other` as a Tensor for a binary op with `t` (the dtype rule of `Tensor`).

    A Tensor must have `t`'s dtype (TypeError otherwise); anything else is a constant
    converted to `t`'s dtype.
    """
    if isinstance(other, Tensor):
        if other.data.dtype != t.data.dtype:
            raise TypeError(
                f"{op}: cannot combine Tensors of dtypes {t.data.dtype} and {other.data.dtype} "
                f"(memograd never promotes silently); convert one with .astype(...) first"
            )
        return other
    try:
        if type(other) in STAND_INS:  # a compiler's stand-in: convert with its own method
            return constant(other if other.dtype == t.data.dtype else other.astype(t.data.dtype))
        arr = xp.asarray(other, dtype=t.data.dtype)
    except (TypeError, ValueError):
        raise TypeError(
            f"{op}: expected a Tensor, a number or an array as the other operand. "
            f"Received: {type(other).__name__}"
        ) from None
    return constant(arr)


def grad_enabled_for(*tensors: Tensor) -> bool:
    """Whether an op on `tensors` must record a node (grad mode on and one requires grad)."""
    if _grad_mode.enabled:
        for t in tensors:  # a plain loop: cheaper than any() over a generator
            if t.requires_grad:
                return True
    return False


# Imported last: `_tensor` imports the op modules, which import the helpers above, so these
# must exist before `_tensor` runs, whichever module is imported first.
from ._tensor import Tensor  # noqa: E402
