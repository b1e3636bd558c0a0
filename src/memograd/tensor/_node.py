"""Building op outputs: `make_node`, `constant`, `operand`, `grad_enabled_for`.

Every op module uses these four helpers and nothing else to create Tensors, so that a node
is always complete (all slots set) and built without running `Tensor.__init__`'s checks.

A custom op is one forward function and one VJP, for example a doubling op::

    def double(a: Tensor) -> Tensor:
        data = a.data * 2.0
        if grad_enabled_for(a):
            return make_node(data, (a,), _double_vjp, (), "double")
        return constant(data)

    def _double_vjp(g, node):      # g: an array, or a Tensor under create_graph
        return (g * 2.0,)

Example:
    >>> import memograd as mg
    >>> from memograd.tensor._node import constant, make_node
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
from ._backend import ndarray, xp

if TYPE_CHECKING:
    from ._tensor import VJP

_new = object.__new__

# Set by `memograd.tensor.memory.track()` while it counts bytes saved for backward: called
# with every new node, and with every node the sweep releases. None (free) otherwise.
on_node: Callable[[Tensor], None] | None = None
on_release: Callable[[Tensor], None] | None = None


def make_node(
    data: Any,
    parents: tuple[Tensor, ...],
    vjp: VJP,
    saved: tuple[Any, ...],
    op: str,
    ctx: Any = None,
) -> Tensor:
    """Build an op's output node (call only when grad mode is on and a parent requires grad).

    Args:
        data: the forward result.
        parents: the op's inputs, one per VJP output (a constant operand is a parent with
            requires_grad False; the sweep never visits it).
        vjp: ``vjp(g, node) -> tuple`` (see the module docstring).
        saved: the arrays `vjp` reads (None entries allowed); their bytes are the node's
            `_saved_nbytes`, and `_release` drops them.
        op: a short name for repr, errors and graph drawings.
        ctx: non-array facts the VJP needs (axes, shapes); not counted as saved bytes.
    """
    out = _new(Tensor)
    # NumPy returns scalars, not 0-d arrays, from full reductions and from ops on 0-d arrays.
    out.data = data if isinstance(data, ndarray) else xp.asarray(data)
    out.grad = None
    out.requires_grad = True
    out._parents = parents
    out._vjp = vjp
    out._saved = saved
    out._ctx = ctx
    out._op = op
    if on_node is not None:
        on_node(out)
    return out


def constant(data: Any, op: str = "") -> Tensor:
    """Wrap an array (already of the right dtype) as a Tensor outside any graph."""
    out = _new(Tensor)
    out.data = data if isinstance(data, ndarray) else xp.asarray(data)
    out.grad = None
    out.requires_grad = False
    out._parents = ()
    out._vjp = None
    out._saved = None
    out._ctx = None
    out._op = op
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
