"""Forward mode: `jvp`, `linearize`, `jacfwd`, `hessian` — the memo kept from the other end.

Reverse mode stores ∂L/∂node, one sweep per *output*; forward mode stores ∂node/∂x, one
sweep per *input*. Here that is a real forward sweep: every op, as it runs, also computes
its output's *tangent* from its inputs' tangents, with the JVP interpretation of the op's one
definition (`memograd.tensor._primitive.Primitive.tangent`: derived from the forward for
linear ops, from the VJP for elementwise and other symmetric ones, written out for the
rest). A tangent lives on its Tensor and dies with it, so the sweep holds the tangents of
the live values only: its memory does not grow with depth, and no graph is recorded.
Its work is counted (`counting`): one JVP rule evaluation per op application.

`hessian` is forward-over-reverse: `jacfwd` of `memograd.autograd.jacrev`, whose recorded
reverse sweeps carry tangents in turn. Forward over forward nests sweeps: ``jacfwd(jacfwd(f))``,
``jvp`` of ``jvp`` and ``hessian(f, inner="forward")``. Each sweep is one level; a tangent of
an inner sweep is a Tensor computed by the JVP rules on Tensors, so that the outer sweeps
carry their own tangents through it (JAX's nested JVP interpreters).

Example:
    >>> import memograd as mg
    >>> out, tangent = mg.jvp(lambda x: (x * x).sum(), ([1.0, 2.0],), ([1.0, 0.0],))
    >>> float(out), float(tangent)
    (5.0, 2.0)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from . import _grad_mode
from .autograd import _argnums, _check_argnums_reach, jacrev
from .tensor import _primitive
from .tensor._backend import xp
from .tensor._tensor import Tensor, constant
from .tensor.shape import reshape, stack


@dataclass
class ForwardCounts:
    """The work of the forward sweeps run inside `counting`.

    Attributes:
        sweeps: forward sweeps (one per `jvp` call, one per input element in `jacfwd`).
        jvp_rules: JVP rule evaluations (op applications that carried a tangent).
        by_primitive: the same, per primitive name.
    """

    sweeps: int = 0
    jvp_rules: int = 0
    by_primitive: dict[str, int] = field(default_factory=dict)


_counters: list[ForwardCounts] = []


@contextmanager
def counting() -> Iterator[ForwardCounts]:
    """Count the forward sweeps and JVP rule evaluations run inside the block.

    Example:
        >>> import memograd as mg
        >>> from memograd.forward import counting
        >>> with counting() as c:
        ...     _ = mg.jacfwd(lambda x: (x * x).sum())([1.0, 2.0, 3.0])
        >>> c.sweeps, c.jvp_rules        # one sweep per input; mul and sum in each
        (3, 6)
    """
    counts = ForwardCounts()
    _counters.append(counts)
    try:
        yield counts
    finally:
        _counters.remove(counts)


def _as_float64(value: Any, what: str) -> Any:
    data = value.data if isinstance(value, Tensor) else value
    try:
        return xp.array(data, dtype=xp.float64, copy=True)
    except (TypeError, ValueError):
        raise TypeError(
            f"Received an invalid value for `{what}`, expected a Tensor, an array or a number. "
            f"Received: {type(value).__name__}"
        ) from None


def _outputs(out: Any, who: str) -> tuple[tuple[Tensor, ...], bool]:
    """The function's outputs as a tuple, and whether it returned a single Tensor."""
    if isinstance(out, Tensor):
        return (out,), True
    if isinstance(out, tuple | list) and out and all(isinstance(o, Tensor) for o in out):
        return tuple(out), False
    raise TypeError(
        f"{who}: the function must return a Tensor or a tuple of Tensors (use Tensor ops on "
        f"its inputs). Received: {type(out).__name__}"
    )


def _sweep(
    f: Callable[..., Any],
    args: Sequence[Any],
    kwargs: dict[str, Any],
    seeds: dict[int, Any],
    who: str,
) -> tuple[tuple[Tensor, ...], bool]:
    """One forward sweep: ``f(*args)`` with ``args[i]`` carrying the tangent ``seeds[i]``.

    The seeded arguments become float64 constant Tensors; the others pass unchanged. Inside
    another sweep (forward over forward) this sweep is one level deeper: a seeded argument
    keeps the tangents the outer sweeps gave it, and its new tangent is a Tensor that the
    outer sweeps differentiate. Returns the outputs, each with its tangents in ``_tangent``.
    """
    level = _primitive.forward_mode + 1
    call_args = list(args)
    for i, tangent in seeds.items():
        leaf = constant(_as_float64(args[i], "primals"))
        outer = getattr(args[i], "_tangent", None) if level > 1 else None
        leaf._tangent = dict(outer) if outer else {}
        leaf._tangent[level] = tangent if level == 1 else constant(tangent)
        call_args[i] = leaf
    if level == 1:
        _primitive.jvp_counts.clear()
    _primitive.forward_mode = level
    try:
        with _grad_mode.no_grad():  # a forward sweep records nothing (jacrev re-enables it)
            outs, single = _outputs(f(*call_args, **kwargs), who)
    finally:
        _primitive.forward_mode = level - 1
    for counts in _counters:
        counts.sweeps += 1  # (every level's; the rules are summed once, by the outermost)
        if level == 1:
            for name, n in _primitive.jvp_counts.items():
                counts.jvp_rules += n
                counts.by_primitive[name] = counts.by_primitive.get(name, 0) + n
    return outs, single


def _nested() -> bool:
    """Whether a forward sweep is running around this call (forward over forward)."""
    return _primitive.forward_mode > 0


def _tangent(out: Tensor) -> Any:
    """This sweep's tangent of `out`: an array, or under an outer sweep a Tensor carrying
    the outer tangents (a constant zero when none reached it)."""
    level = _primitive.forward_mode + 1
    t = _primitive.tangent_of(out, level)
    if level > 1:
        return constant(xp.zeros_like(out.data)) if t is None else t
    return xp.zeros_like(out.data) if t is None else xp.array(t, copy=True)


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """``(f(*primals), J·tangents)`` by one forward sweep (``torch.func.jvp``, ``jax.jvp``).

    Args:
        f: a function of Tensors returning a Tensor (or a tuple of Tensors).
        primals: a tuple with one value per argument of `f` (Tensors, arrays or numbers;
            computed in float64).
        tangents: a tuple with one tangent per primal, each of its primal's shape.

    Returns:
        The output and its tangent, as arrays (tuples of them for a tuple output).

    Raises:
        NotImplementedError: an op on the way has no JVP rule (the message names it).

    Example:
        >>> import memograd as mg
        >>> out, t = mg.jvp(lambda x, y: x * y, ([2.0], [3.0]), ([1.0], [0.0]))
        >>> out.tolist(), t.tolist()
        ([6.0], [3.0])
    """
    for name, value in (("primals", primals), ("tangents", tangents)):
        if not isinstance(value, tuple | list):
            raise TypeError(
                f"Received an invalid value for `{name}`, expected a tuple with one entry per "
                f"argument of `f`. Received: {type(value).__name__}"
            )
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp: expected one tangent per primal. Received {len(primals)} primal(s) and "
            f"{len(tangents)} tangent(s)"
        )
    seeds = {}
    for i, (p, t) in enumerate(zip(primals, tangents, strict=True)):
        primal, tangent = _as_float64(p, "primals"), _as_float64(t, "tangents")
        if tangent.shape != primal.shape:
            raise ValueError(
                f"jvp: tangent {i} must have its primal's shape {primal.shape}. "
                f"Received shape {tangent.shape}"
            )
        seeds[i] = tangent
    outs, single = _sweep(f, primals, {}, seeds, "jvp")
    tangents_out = tuple(_tangent(o) for o in outs)
    # under an outer sweep the results stay Tensors, so that it differentiates them in turn
    values = tuple(o if _nested() else o.data for o in outs)
    return (values[0], tangents_out[0]) if single else (values, tangents_out)


def linearize(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """``(f(*primals), jvp_fn)`` with ``jvp_fn(*tangents) = J·tangents`` at `primals`.

    As ``torch.func.linearize``. Each call of ``jvp_fn`` is one forward sweep: the primal
    values are recomputed beside the tangents rather than stored, so memory stays flat.

    Example:
        >>> import memograd as mg
        >>> out, jvp_fn = mg.linearize(lambda x: x * x * x, [2.0])
        >>> out.tolist(), jvp_fn([1.0]).tolist()
        ([8.0], [12.0])
    """
    frozen = tuple(_as_float64(p, "primals") for p in primals)
    with _grad_mode.no_grad():
        outs, single = _outputs(f(*(constant(p) for p in frozen)), "linearize")
    out = outs[0].data if single else tuple(o.data for o in outs)

    def jvp_fn(*tangents: Any) -> Any:
        return jvp(f, frozen, tangents)[1]

    return out, jvp_fn


def jacfwd(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The Jacobian of `f` by forward mode: one forward sweep per *input* element.

    ``jacfwd(f)(*args)`` has shape ``f(*args).shape + args[argnums].shape`` (tuples for a
    tuple `argnums` or a tuple output: outputs first, then arguments), as
    ``torch.func.jacfwd``.

    Example:
        >>> import memograd as mg
        >>> mg.jacfwd(lambda x: x * x)([1.0, 2.0]).tolist()
        [[2.0, 0.0], [0.0, 4.0]]
    """
    nums, single_arg = _argnums(argnums)

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _check_argnums_reach("jacfwd", argnums, nums, args)
        primals = {i: _as_float64(args[i], "args") for i in nums}
        outs: tuple[Tensor, ...] = ()
        single_out = True
        columns: dict[int, list[list[Any]]] = {}
        for i in nums:
            columns[i] = []
            for j in range(primals[i].size):  # one sweep per input element, seeded with e_j
                seed = xp.zeros(primals[i].size)
                seed[j] = 1.0
                seeds = {k: xp.zeros_like(p) for k, p in primals.items()}
                seeds[i] = seed.reshape(primals[i].shape)
                outs, single_out = _sweep(f, args, kwargs, seeds, "jacfwd")
                columns[i].append([_tangent(o) for o in outs])
        if not outs:  # every differentiated argument is empty: evaluate once for the shapes
            outs, single_out = _sweep(f, args, kwargs, {}, "jacfwd")
        nested = _nested()  # under an outer sweep: assemble with Tensor ops, which carry
        result = []  # the outer tangents (forward over forward)
        for k, out in enumerate(outs):
            per_arg = []
            for i in nums:
                shape = (*out.data.shape, *primals[i].shape)
                cols = [c[k] for c in columns[i]]
                if nested and cols:
                    per_arg.append(reshape(stack(cols, axis=-1), shape))
                    continue
                jac = xp.stack(cols, axis=-1) if cols else xp.zeros((out.data.size, 0))
                jac = jac.reshape(shape)
                per_arg.append(constant(jac) if nested else jac)
            result.append(per_arg[0] if single_arg else tuple(per_arg))
        return result[0] if single_out else tuple(result)

    return wrapper


def hessian(
    f: Callable[..., Tensor], argnums: int | Sequence[int] = 0, *, inner: str = "reverse"
) -> Callable[..., Any]:
    """The Hessian of a scalar `f`: ``jacfwd(jacrev(f))``, or ``jacfwd(jacfwd(f))``.

    Args:
        f: a function of Tensors returning a one-element Tensor.
        argnums: as for `jacfwd`.
        inner: ``"reverse"`` (forward over reverse, as ``torch.func.hessian``: each forward
            sweep runs the reverse sweeps of `jacrev` with tangents) or ``"forward"``
            (forward over forward: n² forward sweeps, n outer ones each running n inner ones;
            no graph is ever recorded).

    Shape ``x.shape + x.shape`` for a one-element output (``torch.func.hessian``).

    Example:
        >>> import memograd as mg
        >>> mg.hessian(lambda x: (x * x * x).sum())([1.0, 2.0]).tolist()
        [[6.0, 0.0], [0.0, 12.0]]
        >>> mg.hessian(lambda x: (x * x * x).sum(), inner="forward")([1.0, 2.0]).tolist()
        [[6.0, 0.0], [0.0, 12.0]]
    """
    if inner == "reverse":
        return jacfwd(jacrev(f, argnums), argnums)
    if inner == "forward":
        return jacfwd(jacfwd(f, argnums), argnums)
    raise ValueError(
        f"Received an invalid value for `inner`, expected 'reverse' or 'forward'. "
        f"Received: inner={inner!r}"
    )


__all__ = ["ForwardCounts", "counting", "hessian", "jacfwd", "jvp", "linearize"]
