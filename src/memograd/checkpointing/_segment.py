"""`checkpoint(fn, *args)`: a segment of the graph that is recomputed instead of stored.

The forward runs `fn` under `no_grad`, so none of its inner activations are kept; the graph
gets ONE node whose parents are the tensor arguments *and the segment's parameters*, and
which saves only the arguments. Its VJP re-runs `fn` with gradients on, on detached copies
of the saved arguments, and backpropagates through that fresh graph.

Parameters used inside `fn` are explicit extra parents of the node (rather than gradients
written into `.grad` during the VJP), so that gradients reach them through the ordinary
adjoint table: `Tensor.backward`, `mg.grad` and `autograd.gradients` all see them, and a
parameter used both inside and outside the segment sums both contributions. They are found
automatically in what `fn` carries: a Module's parameters (also for a bound method of
one, or of a plain object's attributes), closure variables, defaults, `functools.partial`
arguments and the globals its code names — Tensors, Modules and lists/tuples/dicts of
them; pass ``params=[...]`` otherwise. A leaf that requires grad but was not declared is
reported at backward time instead of silently getting no gradient.

Randomness: modules with a NumPy generator in ``_rng`` (Dropout) get the generator state
they had in the forward pass back for the recomputation, so masks match.

Not supported: ``create_graph=True`` through a segment (RuntimeError); an intermediate
(non-leaf) tensor that needs gradients and is reached by a route the search above cannot
see (it cannot be detected: pass it as an argument).

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> w = mg.Tensor(np.full((3, 3), 0.5), requires_grad=True)
    >>> block = lambda h: (h @ w).tanh() @ w      # closes over w: found automatically
    >>> x = mg.Tensor(np.ones((2, 3)), requires_grad=True)
    >>> loss = mg.checkpoint(block, x).sum()
    >>> _ = loss.backward()
    >>> w.grad.shape, x.grad.shape
    ((3, 3), (2, 3))
"""

from __future__ import annotations

import contextlib
import copy
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import CodeType, ModuleType
from typing import Any, cast

from memograd import _grad_mode
from memograd.graph import Node, reverse_sweep
from memograd.tensor import Tensor, constant, make_node


@dataclass
class Recomputed:
    """Recomputation counted inside `count_recomputation()`.

    Attributes:
        layers: layer evaluations by `Sequential` checkpoint policies beyond one forward pass.
        calls: re-runs of functions given to `checkpoint`.
    """

    layers: int = 0
    calls: int = 0


_counters: list[Recomputed] = []


@contextlib.contextmanager
def count_recomputation() -> Iterator[Recomputed]:
    """Count recomputation done by checkpointing inside the block.

    Example:
        >>> import memograd as mg
        >>> from memograd.checkpointing import count_recomputation
        >>> x = mg.Tensor([1.0, 2.0], requires_grad=True)
        >>> with count_recomputation() as counted:
        ...     _ = mg.checkpoint(lambda t: (t * t).sum(), x).backward()
        >>> counted.calls
        1
    """
    counter = Recomputed()
    _counters.append(counter)
    try:
        yield counter
    finally:
        _counters.remove(counter)


def note_recomputation(layers: int = 0, calls: int = 0) -> None:
    """Add to every open counter."""
    for counter in _counters:
        counter.layers += layers
        counter.calls += calls


# ------------------------------------------------------------------ finding parameters
def _is_module(obj: Any) -> bool:
    return callable(getattr(obj, "parameters", None)) and callable(getattr(obj, "children", None))


def _gather(obj: Any, depth: int, tensors: list[Tensor], modules: list[Any]) -> None:
    if isinstance(obj, Tensor):
        if obj.requires_grad:
            tensors.append(obj)
    elif _is_module(obj):
        modules.append(obj)
        tensors.extend(p for p in obj.parameters() if p.requires_grad)
    elif depth > 0 and isinstance(obj, list | tuple):
        for item in obj:
            _gather(item, depth - 1, tensors, modules)
    elif depth > 0 and isinstance(obj, dict):
        for item in obj.values():
            _gather(item, depth - 1, tensors, modules)
    elif depth > 0 and callable(obj):
        for item in _captured(obj):
            _gather(item, depth - 1, tensors, modules)
    elif depth > 0 and hasattr(obj, "__dict__") and not isinstance(obj, type | ModuleType):
        for item in vars(obj).values():  # a plain object's attributes (`self.w`)
            _gather(item, depth - 1, tensors, modules)


def _captured(fn: Any) -> list[Any]:
    """What a callable carries with it: partial arguments, bound self, closure, defaults."""
    found: list[Any] = []
    if isinstance(fn, functools.partial):
        found += [fn.func, *fn.args, *fn.keywords.values()]
    owner = getattr(fn, "__self__", None)
    if owner is not None:
        found.append(owner)
    func = getattr(fn, "__func__", fn)
    for cell in getattr(func, "__closure__", None) or ():
        with contextlib.suppress(ValueError):  # an empty cell
            found.append(cell.cell_contents)
    found += list(getattr(func, "__defaults__", None) or ())
    found += list((getattr(func, "__kwdefaults__", None) or {}).values())
    code, names = getattr(func, "__code__", None), getattr(func, "__globals__", None)
    if isinstance(code, CodeType) and isinstance(names, dict):
        found += [names[name] for name in _global_names(code) if name in names]
    return found


def _global_names(code: CodeType) -> set[str]:
    """Names a function's code (and the lambdas/functions defined in it) may read globally."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            names |= _global_names(const)
    return names


def find_parameters(fn: Callable[..., Any]) -> tuple[list[Tensor], list[Any]]:
    """Tensors requiring grad and modules that `fn` carries (deduplicated, in order)."""
    tensors: list[Tensor] = []
    modules: list[Any] = []
    _gather(fn, 3, tensors, modules)
    return _unique(tensors), _unique(modules)


def _unique(items: list[Any]) -> list[Any]:
    seen: set[int] = set()
    out = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out


# ------------------------------------------------------------------ random state
class RngKeeper:
    """Replays the generator states that stochastic modules had in the forward pass, and
    undoes what a recomputation does to the modules' buffers: BatchNormalization's moving
    statistics are updated once per step, by the forward pass, not again by a recomputation
    (which normalizes with the same batch statistics)."""

    def __init__(self, modules: Sequence[Any]) -> None:
        owners: list[Any] = []
        stateful: list[Any] = []
        stack = list(modules)
        while stack:
            module = stack.pop()
            if hasattr(module, "_rng"):
                owners.append(module)
            if _is_module(module):
                stack.extend(module.children())
                if callable(getattr(module, "buffers", None)):
                    stateful.append(module)
        self.owners = _unique(owners)
        self.stateful = _unique(stateful)  # (asked at replay: a layer builds its buffers lazily)
        self.states: list[Any] = []

    def record(self) -> None:
        """Remember the current states (call right before the first evaluation)."""
        self.states = [copy.deepcopy(m._rng) for m in self.owners]

    @contextlib.contextmanager
    def replay(self) -> Iterator[None]:
        """Run the block with the recorded states, then put the current ones back (and the
        buffers' values as they were before the block)."""
        if not self.owners and not self.stateful:
            yield
            return
        current = [m._rng for m in self.owners]
        arrays = _unique([b.data for m in self.stateful for b in m.buffers()])
        values = [a.copy() for a in arrays]
        for module, state in zip(self.owners, self.states, strict=True):
            module._rng = copy.deepcopy(state)
        try:
            yield
        finally:
            for module, state in zip(self.owners, current, strict=True):
                module._rng = state
            for array, value in zip(arrays, values, strict=True):
                array[...] = value


# ------------------------------------------------------------------ the inner sweep
def backprop(root: Tensor, seed: Any, wrt: Sequence[Tensor], what: str) -> tuple[Any, ...]:
    """Sweep from `root` (a recomputed segment) down to `wrt`; their adjoints (None: none).

    The one reverse sweep of `memograd.graph`, stopping at the `wrt` nodes and releasing
    what it passes. A leaf requiring grad that is not in `wrt` was used by the segment
    without being declared: RuntimeError.
    """

    def undeclared(node: Node) -> None:
        raise RuntimeError(
            f"{what}: the recomputed segment used a tensor that requires grad "
            f"(shape={cast(Tensor, node).shape}) that is neither an argument nor a "
            "declared parameter, so its gradient would be lost. Pass it with "
            "`params=[...]` (found automatically only in Modules and in the function's "
            "closure, defaults, partial arguments and named globals)."
        )

    return reverse_sweep(root, seed, wrt=wrt, stop_at_wrt=True, unexpected_leaf=undeclared).grads


def detached(data: Any, requires_grad: bool) -> Tensor:
    """A fresh leaf over `data` (no copy), the start of a recomputed graph."""
    leaf = constant(data)
    leaf.requires_grad = requires_grad
    return leaf


def no_create_graph(what: str) -> RuntimeError:
    return RuntimeError(
        f"{what}: backward(create_graph=True) cannot go through a checkpointed segment (its "
        f"graph is rebuilt during backward). Use checkpoint='all' for higher-order gradients."
    )


# ------------------------------------------------------------------ the segment op
@dataclass
class _Segment:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    positions: tuple[int, ...]  # where the Tensor arguments are in args
    params: tuple[Tensor, ...]
    rng: RngKeeper


def checkpoint(
    fn: Callable[..., Tensor], *args: Any, params: Sequence[Tensor] | None = None
) -> Tensor:
    """``fn(*args)``, keeping only the arguments for backward and recomputing the rest.

    Args:
        fn: a function of Tensors (and other values) returning one Tensor. It must be
            deterministic (stochastic Modules are replayed, see the module doc).
        *args: its arguments; the Tensors among them become the node's parents.
        params: Tensors `fn` uses besides its arguments (None: found automatically).

    Returns:
        fn's result as one graph node; outside grad mode (or with nothing requiring grad),
        simply ``fn(*args)``.

    Example:
        >>> import memograd as mg
        >>> x = mg.Tensor([1.0, 2.0], requires_grad=True)
        >>> _ = mg.checkpoint(lambda t: (t * t * t).sum(), x).backward()
        >>> x.grad.tolist()
        [3.0, 12.0]
    """
    if not callable(fn):
        raise TypeError(
            f"Received an invalid value for `fn`, expected a callable. Received: {fn!r}"
        )
    found, modules = find_parameters(fn)
    if params is not None:
        declared = list(params)
        for i, p in enumerate(declared):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"Received an invalid value for `params`, expected Tensors. "
                    f"Received at position {i}: {type(p).__name__}"
                )
        found = _unique([p for p in declared if p.requires_grad])
    positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
    inputs = tuple(args[i] for i in positions)
    if not _grad_mode.enabled or not any(t.requires_grad for t in (*inputs, *found)):
        return fn(*args)
    rng = RngKeeper(modules)
    rng.record()
    with _grad_mode.no_grad():
        out = fn(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"checkpoint: `fn` must return one Tensor. Received: {type(out).__name__}")
    segment = _Segment(fn, args, positions, tuple(found), rng)
    saved = tuple(t.data for t in inputs)
    return make_node(out.data, (*inputs, *found), _segment_vjp, saved, "checkpoint", segment)


def _segment_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    if isinstance(g, Tensor):
        raise no_create_graph("checkpoint")
    seg: _Segment = node._prim.state  # type: ignore[union-attr]
    saved = node._saved
    assert saved is not None
    n_inputs = len(seg.positions)
    leaves = [
        detached(data, parent.requires_grad)
        for data, parent in zip(saved, node._parents[:n_inputs], strict=True)
    ]
    call_args = list(seg.args)
    for position, leaf in zip(seg.positions, leaves, strict=True):
        call_args[position] = leaf
    with _grad_mode.enable_grad(), seg.rng.replay():
        out = seg.fn(*call_args)
    note_recomputation(calls=1)
    if not isinstance(out, Tensor) or not out.requires_grad:
        return (None,) * len(node._parents)
    return backprop(out, g, (*leaves, *seg.params), "checkpoint")


__all__ = ["Recomputed", "checkpoint", "count_recomputation", "find_parameters"]
