"""Functional autodiff, reverse mode: `grad`, `value_and_grad`, `gradients`, `hvp`, `vjp`,
`jacrev` (forward mode — `jvp`, `jacfwd`, `hessian` — is `memograd.forward`).

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
from .tensor import _primitive
from .tensor._backend import xp
from .tensor._tensor import Tensor, constant
from .tensor.shape import reshape, stack

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


def _check_argnums_reach(
    transform: str, argnums: object, nums: tuple[int, ...], args: tuple[Any, ...]
) -> None:
    """Raise when `argnums` names a positional argument the call did not pass."""
    if max(nums) >= len(args):
        raise ValueError(
            f"{transform}: argnums={argnums!r} refers to positional argument {max(nums)}, but "
            f"the function was called with {len(args)} positional argument(s)"
        )


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
        _check_argnums_reach("grad", argnums, nums, args)
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


def _leaf(arg: Any) -> Tensor:
    """A fresh float64 leaf that requires grad; under a forward sweep (`memograd.forward`) it
    keeps the argument's tangent, so that the reverse sweep is differentiated forward too."""
    data = arg.data if isinstance(arg, Tensor) else arg
    try:
        leaf = Tensor(xp.array(data, dtype=xp.float64, copy=True), requires_grad=True)
    except (TypeError, ValueError):
        raise TypeError(
            f"expected a Tensor, an array or a number to differentiate. "
            f"Received: {type(arg).__name__}"
        ) from None
    tangent = getattr(arg, "_tangent", None) if _primitive.forward_mode else None
    if tangent:  # ({level: tangent}, one per forward sweep around this call)
        leaf._tangent = dict(tangent)
    return leaf


def _tensor_output(out: Any, who: str) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(
            f"{who}: the function must return a Tensor (use Tensor ops on its inputs). "
            f"Received: {type(out).__name__}"
        )
    return out


def vjp(f: Callable[..., Tensor], *primals: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """Evaluate `f` once, recording its graph, and return ``(f(*primals), vjp_fn)``.

    ``vjp_fn(cotangent)`` runs one reverse sweep with that seed (the output's shape) and
    returns one array per primal: ``cotangentᵀ · ∂f/∂primalᵢ`` (``torch.func.vjp``,
    ``jax.vjp``). It may be called again with other cotangents: the graph is kept.

    Example:
        >>> import memograd as mg
        >>> out, vjp_fn = mg.vjp(lambda x: x * x, [1.0, 2.0])
        >>> vjp_fn([1.0, 10.0])[0].tolist()
        [2.0, 40.0]
    """
    if not callable(f):
        raise TypeError(f"vjp: `f` must be callable. Received: {type(f).__name__}")
    leaves = [_leaf(p) for p in primals]
    with _grad_mode.enable_grad():
        out = _tensor_output(f(*leaves), "vjp")

    def vjp_fn(cotangent: Any) -> tuple[Any, ...]:
        data = cotangent.data if isinstance(cotangent, Tensor) else cotangent
        seed = xp.asarray(data, dtype=out.data.dtype)
        if seed.shape != out.data.shape:
            raise ValueError(
                f"vjp_fn: the cotangent must have the output's shape {out.shape}. "
                f"Received shape {seed.shape}"
            )
        return gradients(out, leaves, seed, retain_graph=True)

    return out.data, vjp_fn


def jacrev(f: Callable[..., Tensor], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The Jacobian of `f` by reverse mode: one reverse sweep per *output* element.

    ``jacrev(f)(*args)`` has shape ``f(*args).shape + args[argnums].shape`` (a tuple of such
    arrays for a tuple `argnums`), as ``torch.func.jacrev``. Under a forward sweep (inside
    `memograd.forward.jacfwd`) its sweeps are recorded and it returns Tensors that carry
    tangents: forward-over-reverse, which is how `memograd.forward.hessian` works.

    Example:
        >>> import memograd as mg
        >>> mg.jacrev(lambda x: x * x)([1.0, 2.0]).tolist()
        [[2.0, 0.0], [0.0, 4.0]]
    """
    nums, single = _argnums(argnums)

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _check_argnums_reach("jacrev", argnums, nums, args)
        traced = _primitive.forward_mode > 0  # differentiated forward: keep the sweeps as graphs
        call_args = list(args)
        leaves = []
        for i in nums:
            call_args[i] = _leaf(args[i])
            leaves.append(call_args[i])
        with _grad_mode.enable_grad():
            out = _tensor_output(f(*call_args, **kwargs), "jacrev")
        m = out.data.size
        rows: list[list[Any]] = [[] for _ in leaves]
        for i in range(m):  # one reverse sweep per output element, seeded with e_i
            seed = xp.zeros(m, dtype=out.data.dtype)
            seed[i] = 1.0
            grads = gradients(
                out, leaves, seed.reshape(out.data.shape), retain_graph=True, create_graph=traced
            )
            for k, g in enumerate(grads):
                rows[k].append(g)
        jacobians: list[Any] = []
        with _grad_mode.enable_grad():
            for leaf, row in zip(leaves, rows, strict=True):
                shape = (*out.data.shape, *leaf.data.shape)
                if not row:
                    jac: Any = xp.zeros(shape, dtype=leaf.data.dtype)
                    jacobians.append(constant(jac) if traced else jac)
                elif traced:
                    jacobians.append(reshape(stack(row), shape))
                else:
                    jacobians.append(xp.stack(row).reshape(shape))
        return jacobians[0] if single else tuple(jacobians)

    return wrapper


__all__ = ["grad", "gradients", "hvp", "jacrev", "value_and_grad", "vjp"]
