"""Building op outputs: `new_node`, `operand`, `grad_enabled_for` (and `constant`, from `_tensor`).

Every op creates its Tensors through these helpers, so that a node is always complete (all
slots set) and built without running `Tensor.__init__`'s checks. Ops are `Primitive`s
(`memograd.tensor._primitive`, the module above this one): `apply` computes the forward and
calls `new_node` when a gradient may flow.

Example:
    >>> import numpy as np
    >>> from memograd.tensor._node import constant, grad_enabled_for, operand
    >>> x = constant(np.array([1.0, 2.0]))
    >>> y = operand(x, 3, "add")              # a number becomes a constant of x's dtype
    >>> y.data.dtype == x.data.dtype, grad_enabled_for(x, y)
    (True, False)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _grad_mode
from ._backend import STAND_INS, xp
from ._tensor import Rule, Tensor, constant

_new = object.__new__

# Set by `memograd.tensor.memory.track()` while it counts bytes saved for backward: called
# with every new node (`_tensor.on_release` is its pair, for every node the sweep releases).
# None (free) otherwise.
on_node: Callable[[Tensor], None] | None = None


def new_node(data: Any, parents: tuple[Tensor, ...], prim: Rule, saved: tuple[Any, ...]) -> Tensor:
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


__all__ = ["constant", "grad_enabled_for", "new_node", "operand"]
