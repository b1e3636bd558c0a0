"""The tape: a flat list of array kernels over preallocated buffers, and the builder rules use.

A *kernel* is a callable with no arguments that runs one array operation into a buffer it
was built with (mostly ``functools.partial(np.matmul, a, b, out=c)``), so replaying a step is
``for k in kernels: k()``: no graph, no Tensor objects, no allocation of batch-sized arrays.

`TapeBuilder` is what a tape rule (``memograd.compile._rules``) sees while the tracer walks
the recorded graph. It hands out the forward value of every tensor (parameters by reference,
the batch inputs as buffers refilled each step, constants as captured), allocates each
node's output and adjoint buffer once, and decides where each gradient contribution goes:

- The **adjoint table is the memo table** of reverse mode, preallocated: one buffer per node
  that needs a gradient, written by the kernels of the nodes that consume it.
- The first contribution a buffer receives in the backward sweep is written straight into it
  (``out=``); a later one goes through a scratch buffer and an in-place add, in the same
  order as the eager sweep's ``previous + contribution``.

Example:
    >>> import numpy as np
    >>> from memograd.compile._tape import Tape
    >>> a, out = np.ones(3), np.empty(3)
    >>> tape = Tape(forward=[lambda: np.add(a, a, out=out)], backward=[], nbytes=out.nbytes)
    >>> tape.run_forward(); out.tolist()
    [2.0, 2.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from memograd.tensor import Tensor

Kernel = Callable[[], object]


class Untraceable(Exception):
    """The step cannot be compiled; `reason` says why (shown in the fallback warning)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Tape:
    """One traced step: forward and backward kernels, run in order.

    Attributes:
        forward: kernels computing every node's value up to the loss.
        backward: kernels filling the adjoint buffers, ending with the parameters' gradients.
        nbytes: bytes of the buffers this tape allocated (parameter gradients excluded).
        buffers: those buffers.
        forward_ops, backward_ops: the op whose rule emitted each kernel (for profiles).
    """

    forward: list[Kernel]
    backward: list[Kernel]
    nbytes: int = 0
    buffers: list[np.ndarray] = field(default_factory=list)
    forward_ops: list[str] = field(default_factory=list)
    backward_ops: list[str] = field(default_factory=list)

    def run_forward(self) -> None:
        """Run the forward kernels (the loss buffer holds the loss afterwards)."""
        for kernel in self.forward:
            kernel()

    def run_backward(self) -> None:
        """Run the backward kernels (the gradient buffers hold the gradients afterwards)."""
        for kernel in self.backward:
            kernel()


class TapeBuilder:
    """Buffers and kernel lists for one trace; rules call its methods (see module doc).

    Args:
        order: the graph's nodes needing gradients, parents before children (the tracer's
            topological order, which includes everything computed from the batch inputs).
        leaves: forward values of known leaves by ``id``: parameters' data, input buffers.
        grads: gradient buffers of the parameters by ``id`` (shared by every trace).
        needs: ids of the nodes whose adjoint is needed (on a path from a parameter).
        root: the loss node; its adjoint is a buffer of ones (the seed).
        labels: the buffer the targets are copied into before each replay.
    """

    def __init__(
        self,
        order: Sequence[Tensor],
        leaves: dict[int, np.ndarray],
        grads: dict[int, np.ndarray],
        needs: set[int],
        root: Tensor,
        labels: np.ndarray,
    ) -> None:
        #: the targets buffer, refilled each step (loss rules check they read it unchanged)
        self.labels = labels
        self._values: dict[int, np.ndarray] = dict(leaves)
        self._adjoints: dict[int, np.ndarray] = dict(grads)
        self._needs = needs
        self._allocated: list[np.ndarray] = []
        self._zeros: dict[tuple[tuple[int, ...], np.dtype[Any]], np.ndarray] = {}
        # The consumer whose kernels run first in the backward sweep writes with out=; it is
        # the last consumer in forward order (the sweep runs in reverse).
        self._first_writer: dict[int, int] = {}
        for node in order:
            if id(node) not in needs:
                continue
            for parent in node._parents:
                if id(parent) in needs:
                    self._first_writer[id(parent)] = id(node)
        self._direct_taken: set[int] = set()
        self._current: int | None = None
        self._root = id(root)
        seed = self.alloc(root.data.shape, root.data.dtype)
        seed[...] = 1
        self._adjoints[id(root)] = seed

    # -- buffers ---------------------------------------------------------------------------

    def alloc(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """A fresh buffer owned by this tape."""
        buffer = np.empty(shape, dtype=dtype)
        self._allocated.append(buffer)
        return buffer

    def zeros(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """A read-only array of zeros, shared by every rule asking for this shape and dtype."""
        key = (tuple(shape), np.dtype(dtype))
        found = self._zeros.get(key)
        if found is None:
            found = self.alloc(shape, dtype)
            found[...] = 0
            found.flags.writeable = False
            self._zeros[key] = found
        return found

    def like(self, t: Tensor | np.ndarray, dtype: Any = None) -> np.ndarray:
        """A fresh buffer with the shape (and dtype, unless given) of `t`."""
        data = t.data if isinstance(t, Tensor) else t
        return self.alloc(data.shape, data.dtype if dtype is None else dtype)

    def value(self, t: Tensor) -> np.ndarray:
        """The array holding `t`'s forward value during replay."""
        found = self._values.get(id(t))
        if found is not None:
            return found
        if t._parents or t.requires_grad:
            raise AssertionError(f"internal error: {t.op or 'leaf'} used before it was computed")
        # A constant leaf: not computed from the batch (the tracer marks the inputs as needing
        # gradients, so everything derived from them is a node). Captured by reference.
        self._values[id(t)] = t.data
        return t.data

    def output(self, node: Tensor) -> np.ndarray:
        """Allocate `node`'s forward buffer (same shape and dtype as in the trace)."""
        buffer = self.like(node)
        self._values[id(node)] = buffer
        return buffer

    def set_value(self, node: Tensor, array: np.ndarray) -> None:
        """Declare that `array` holds `node`'s forward value (a view or another buffer)."""
        self._values[id(node)] = array

    # -- gradients -------------------------------------------------------------------------

    def needs_grad(self, t: Tensor) -> bool:
        """Whether a gradient must flow into `t` (it lies on a path from a parameter)."""
        return id(t) in self._needs

    def is_root(self, node: Tensor) -> bool:
        """Whether `node` is the loss (its adjoint is the constant seed 1)."""
        return id(node) == self._root

    def adjoint(self, node: Tensor) -> np.ndarray:
        """The adjoint buffer of `node` (∂loss/∂node), allocated on first request."""
        found = self._adjoints.get(id(node))
        if found is None:
            found = self.like(node)
            self._adjoints[id(node)] = found
        return found

    def grad_out(self, parent: Tensor) -> tuple[np.ndarray, list[Kernel]]:
        """Where the current node writes its contribution to `parent`'s adjoint.

        Returns:
            ``(buffer, after)``: the rule writes the contribution into `buffer` and appends
            the kernels in `after` (an in-place add when `buffer` is a scratch buffer).
        """
        target = self.adjoint(parent)
        key = id(parent)
        if self._first_writer.get(key) == self._current and key not in self._direct_taken:
            self._direct_taken.add(key)
            return target, []
        scratch = self.like(target)
        return scratch, [_add_into(target, scratch)]

    def begin(self, node: Tensor) -> None:
        """Called by the tracer before a node's rule runs."""
        self._current = id(node)

    def finish(
        self,
        forward: list[tuple[str, Kernel]],
        backward: list[tuple[str, Kernel]],
    ) -> Tape:
        """The tape with these (op, kernel) pairs and every buffer allocated so far."""
        nbytes = sum(b.nbytes for b in self._allocated)
        return Tape(
            [k for _, k in forward],
            [k for _, k in backward],
            nbytes,
            list(self._allocated),
            [op for op, _ in forward],
            [op for op, _ in backward],
        )


def straight_line(kernels: Sequence[Kernel], name: str = "replay") -> Callable[[], None]:
    """The kernels unrolled into one generated function (as `dataclasses` generates __init__).

    A kernel that is a `functools.partial` becomes a direct call of its function with its
    arguments, which are bound as default values (read as fast locals); any other kernel is
    called as it is. Same calls, same order as ``for k in kernels: k()``, without the loop
    and the partial objects' dispatch: 10% of a small step.

    Example:
        >>> import numpy as np
        >>> from functools import partial
        >>> a, out = np.ones(2), np.empty(2)
        >>> run = straight_line([partial(np.add, a, a, out), partial(np.multiply, out, 3.0, out)])
        >>> run(); out.tolist()
        [6.0, 6.0]
    """
    env: dict[str, Any] = {}
    body: list[str] = []
    for i, kernel in enumerate(kernels):
        if type(kernel) is partial:
            env[f"f{i}"] = kernel.func
            args = []
            for j, value in enumerate(kernel.args):
                env[f"a{i}_{j}"] = value
                args.append(f"a{i}_{j}")
            for key, value in kernel.keywords.items():
                env[f"k{i}_{key}"] = value
                args.append(f"{key}=k{i}_{key}")
            body.append(f"    f{i}({', '.join(args)})")
        else:
            env[f"c{i}"] = kernel
            body.append(f"    c{i}()")
    source = f"def {name}({', '.join(f'{n}={n}' for n in env)}) -> None:\n"
    source += "\n".join(body or ["    pass"])
    exec(source, env)  # names are generated here, values are only bound: nothing is parsed
    function: Callable[[], None] = env[name]
    return function


def _add_into(target: np.ndarray, scratch: np.ndarray) -> Kernel:
    def add() -> None:
        np.add(target, scratch, out=target)

    return add


def unbroadcast_kernel(src: np.ndarray, dst: np.ndarray, negate: bool = False) -> Kernel:
    """A kernel writing `src` summed down to `dst`'s shape (the VJP of broadcasting) into dst.

    With `negate`, writes minus that sum (the right operand of a subtraction).
    """
    if src.shape == dst.shape:
        if negate:
            return lambda: np.negative(src, out=dst)
        return lambda: np.copyto(dst, src)
    lead = src.ndim - dst.ndim
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(dst.shape) if n == 1 and src.shape[i + lead] != 1
    )
    reduced = dst.reshape(tuple(n for i, n in enumerate(src.shape) if i not in axes))

    def kernel() -> None:
        np.sum(src, axis=axes, out=reduced)
        if negate:
            np.negative(dst, out=dst)

    return kernel


__all__ = ["Kernel", "Tape", "TapeBuilder", "Untraceable", "straight_line", "unbroadcast_kernel"]
