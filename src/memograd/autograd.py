"""Functional autodiff: `grad`, `value_and_grad`, `gradients`, `hvp`.

`Tensor.backward` accumulates into the `.grad` of leaves (the training loop's view).
These functions return gradients instead and touch no `.grad`: `gradients` is the one
reverse sweep of `memograd.graph` asked for the adjoints of chosen nodes (``wrt``), and
`grad(f)` turns a function into its gradient function (JAX style).

Transforms nest: inside an outer `grad`, an inner `grad(f)(x)` records its backward pass
(``create_graph``) and returns Tensors connected to the outer inputs, so that
``grad(grad(f))`` is the second derivative and `hvp` a Hessian–vector product.

Example:
    >>> import memograd as mg
    >>> f = lambda x: (x ** 3).sum()
    >>> float(mg.grad(f)(2.0))
    12.0
    >>> float(mg.grad(mg.grad(f))(2.0))
    12.0
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from memograd._errors import invalid_value

from . import _grad_mode
from .graph import reverse_sweep
from .tensor._backend import xp
from .tensor._tensor import Tensor, constant

_depth = 0
"""How many `grad` transforms are currently evaluating their function (nesting level)."""


def gradients(
    output: Tensor,
    inputs: Tensor | Sequence[Tensor],
    seed: Any = None,
    *,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> tuple[Any, ...]:
    """∂output/∂input for each input, without accumulating into any `.grad`.

    Args:
        output: the Tensor to differentiate.
        inputs: Tensors (leaves or intermediate results) that require grad.
        seed: ∂L/∂output; may be omitted for a one-element output.
        retain_graph: keep saved arrays for another sweep (default: `create_graph`).
        create_graph: record the sweep so the results can be differentiated again.

    Returns:
        One gradient per input, shaped like it: fresh arrays, or Tensors under
        `create_graph`. An input the output does not depend on gets zeros.

    Example:
        >>> import memograd as mg
        >>> from memograd.autograd import gradients
        >>> x = mg.Tensor([1.0, 2.0], requires_grad=True)
        >>> gradients((x * x).sum(), x)[0].tolist()
        [2.0, 4.0]
    """
    wrt = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    for i, t in enumerate(wrt):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise ValueError(
                f"gradients: every input must be a Tensor with requires_grad=True. "
                f"Received at position {i}: {t!r}"
            )
    if not isinstance(output, Tensor):
        raise TypeError(f"gradients: `output` must be a Tensor. Received: {type(output).__name__}")
    if seed is None:
        if output.data.size != 1:
            raise RuntimeError(
                f"gradients: a seed is only implicit for a one-element output; this one has "
                f"shape={output.shape}. Pass `seed` with that shape."
            )
        seed_arr = xp.ones_like(output.data)
    else:
        seed_arr = seed.data if isinstance(seed, Tensor) else xp.asarray(seed, output.dtype)
        if seed_arr.shape != output.data.shape:
            raise ValueError(
                f"gradients: `seed` must have the output's shape {output.shape}. "
                f"Received shape {seed_arr.shape}"
            )
    grads: tuple[Any, ...] = (None,) * len(wrt)
    if output.requires_grad:
        start = (
            (seed if isinstance(seed, Tensor) else constant(seed_arr)) if create_graph else seed_arr
        )
        grads = reverse_sweep(
            output,
            start,
            wrt=wrt,
            prune=True,  # only the paths into `inputs`: a parameter-only branch is skipped
            retain_graph=create_graph if retain_graph is None else retain_graph,
            create_graph=create_graph,
        ).grads
    results = []
    for t, g in zip(wrt, grads, strict=True):
        if g is None:
            g = xp.zeros_like(t.data)
            results.append(constant(g) if create_graph else g)
        elif isinstance(g, Tensor):
            results.append(g)
        else:  # adjoints may be shared between nodes or be read-only views
            results.append(xp.array(g, dtype=t.data.dtype, copy=True))
    return tuple(results)


def _argnums(argnums: int | Sequence[int]) -> tuple[tuple[int, ...], bool]:
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        nums: tuple[int, ...] = (argnums,)
        single = True
    elif isinstance(argnums, Sequence) and all(
        isinstance(i, int) and not isinstance(i, bool) for i in argnums
    ):
        nums, single = tuple(argnums), False
    else:
        nums = ()
    if not nums or any(i < 0 for i in nums) or len(set(nums)) != len(nums):
        raise invalid_value("argnums", "a non-negative int or a tuple of distinct ones", argnums)
    return nums, single


def value_and_grad(
    f: Callable[..., Tensor], argnums: int | Sequence[int] = 0
) -> Callable[..., tuple[Any, Any]]:
    """Turn `f` into a function returning ``(f(*args), ∂f/∂args[argnums])``.

    `f` must return a one-element Tensor. The differentiated arguments may be Tensors,
    arrays or numbers: they become fresh float64 leaves, and the results are NumPy arrays
    (the value a 0-d array). Inside another `grad` transform, the value and gradients are
    Tensors connected to the outer inputs instead, so that transforms compose.

    Args:
        f: the function to differentiate.
        argnums: which positional argument(s) to differentiate: an int (the gradient is
            returned alone) or a tuple of ints (a tuple of gradients).

    Example:
        >>> import memograd as mg
        >>> value, g = mg.value_and_grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(2.0, 3.0)
        >>> float(value), float(g[0]), float(g[1])
        (6.0, 3.0, 2.0)
    """
    nums, single = _argnums(argnums)

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        global _depth
        if max(nums) >= len(args):
            raise ValueError(
                f"grad: argnums={argnums!r} refers to positional argument {max(nums)}, but the "
                f"function was called with {len(args)} positional argument(s)"
            )
        nested = _depth > 0
        call_args = list(args)
        leaves = []
        for i in nums:
            arg = args[i]
            if nested and isinstance(arg, Tensor) and arg.requires_grad:
                leaf = arg  # an outer transform's input: stay connected to it
            else:
                data = arg.data if isinstance(arg, Tensor) else arg
                leaf = Tensor(xp.array(data, dtype=xp.float64, copy=True), requires_grad=True)
            call_args[i] = leaf
            leaves.append(leaf)
        _depth += 1
        try:
            with _grad_mode.enable_grad():
                out = f(*call_args, **kwargs)
        finally:
            _depth -= 1
        if not isinstance(out, Tensor):
            raise TypeError(
                f"grad: the function must return a Tensor (use Tensor ops on its inputs). "
                f"Received: {type(out).__name__}"
            )
        if out.data.size != 1:
            raise ValueError(
                f"grad: the function must return a one-element Tensor. Received shape="
                f"{out.shape}; reduce it (e.g. .sum()) or use `gradients` with a seed"
            )
        grads = gradients(out, leaves, create_graph=nested)
        value: Any = out if nested else out.data
        return value, (grads[0] if single else grads)

    return wrapper


def grad(f: Callable[..., Tensor], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """Turn `f` into its gradient function (see `value_and_grad` for the rules).

    Example:
        >>> import memograd as mg
        >>> mg.grad(lambda x: (x * x).sum())([1.0, 2.0]).tolist()
        [2.0, 4.0]
    """
    vg = value_and_grad(f, argnums)

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]

    return wrapper


def hvp(f: Callable[..., Tensor], primal: Any, tangent: Any) -> Any:
    """Hessian–vector product H(primal) · tangent of a scalar function of one argument.

    Computed as the gradient of ⟨∇f(x), v⟩: one backward through a recorded backward,
    never the Hessian itself.

    Example:
        >>> import numpy as np
        >>> import memograd as mg
        >>> from memograd.autograd import hvp
        >>> f = lambda x: (x * x * x).sum()          # H = diag(6x)
        >>> hvp(f, np.array([1.0, 2.0]), np.array([1.0, 1.0])).tolist()
        [6.0, 12.0]
    """
    v = xp.asarray(tangent.data if isinstance(tangent, Tensor) else tangent, dtype=xp.float64)
    inner = grad(f)
    return grad(lambda x: (inner(x) * v).sum())(primal)


__all__ = ["grad", "gradients", "hvp", "value_and_grad"]
