"""Buffer assignment: a tape's temporaries share storage once their values are dead.

A trace gives every intermediate result a buffer of its own. Most are dead soon after: the
mask of a ReLU once its gradient is formed, a layer's adjoint once its weights' gradients are
computed. Walking the kernels in order, each buffer's storage goes back to a pool after the
last kernel that uses it, and a buffer first written later with the same shape and dtype
takes it (the memory planning of XLA's or TVM's buffer assignment, on a straight line). An
elementwise ufunc may also write straight into an input that dies with it (``g · mask``
into g, as ``g *= mask`` would), which NumPy computes correctly for an exact overlap.

The kernels and their order do not change, nor any value: only where the values live, so the
replay stays the eager step's arithmetic. What is read after the tape (the loss, the outputs,
the parameters' gradients) keeps storage of its own. Less memory means fewer cache misses:
the compiled W2 and W3 steps run faster with it (benchmarks/tape_memory.py).

Example:
    >>> import numpy as np
    >>> from memograd.compile._record import Recorder
    >>> rec = Recorder()
    >>> x = rec.live(np.ones(4), "input")
    >>> y = np.exp(x) * 2.0 + 1.0               # three kernels, three buffers
    >>> assign_buffers(rec, pinned={id(y.buffer)}) # exp's dies into the product
    1
"""

from __future__ import annotations

from typing import Any

import numpy as np

from memograd.compile._record import Buffer, Kernel, Recorder
from memograd.compile._stand_in import Rec


def assign_buffers(recorder: Recorder, pinned: set[int]) -> int:
    """Let dead temporaries' storage be reused (see the module docstring).

    Args:
        recorder: the trace, its kernels in replay order.
        pinned: ids of buffers read after the tape runs (they are never shared).

    Returns:
        How many buffers took another's storage.
    """
    uses = [_buffers_used(k) for k in recorder.kernels]
    last: dict[int, int] = {}
    for i, used in enumerate(uses):
        for b in used:
            last[id(b)] = i
    seen: set[int] = set()
    pool: dict[tuple[Any, ...], list[np.ndarray]] = {}
    shared = 0
    for i, (kernel, used) in enumerate(zip(recorder.kernels, uses, strict=True)):
        out = kernel.writes
        fresh = out is not None and id(out.buffer) not in seen and _movable(out.buffer, pinned)
        taken: np.ndarray | None = None
        if fresh and kernel.elementwise and not out.views:
            taken = _dying_input(kernel, i, last, pinned, out.buffer)
        if fresh and taken is None:
            free = pool.get(_key(out.buffer.array))
            taken = free.pop() if free else None
        if taken is not None:
            out.buffer.array = taken
            shared += 1
        seen.update(id(b) for b in used)
        for b in used:
            if last[id(b)] == i and _movable(b, pinned) and b.array is not taken:
                pool.setdefault(_key(b.array), []).append(b.array)
    return shared


def _buffers_used(kernel: Kernel) -> list[Buffer]:
    found: dict[int, Buffer] = {}

    def visit(x: Any) -> None:
        if isinstance(x, Rec):
            found[id(x.buffer)] = x.buffer
        elif isinstance(x, tuple | list):
            for v in x:
                visit(v)
        elif hasattr(x, "target") and isinstance(getattr(x, "target", None), Rec):
            visit(x.target)  # a Method kernel: the array whose method it calls

    visit(kernel.func)
    visit(kernel.args)
    visit(list(kernel.kwargs.values()))
    return list(found.values())


def _movable(buffer: Buffer, pinned: set[int]) -> bool:
    """A temporary whose storage may be shared (not a result, not a parameter's gradient)."""
    return buffer.kind == "temp" and id(buffer) not in pinned and buffer.array.flags.c_contiguous


def _key(array: np.ndarray) -> tuple[Any, ...]:
    return (array.shape, array.dtype)


def _dying_input(
    kernel: Kernel, i: int, last: dict[int, int], pinned: set[int], out: Buffer
) -> np.ndarray | None:
    """The storage of an input that this elementwise kernel reads for the last time, laid
    out as its output (same shape and dtype, the whole buffer): the output may go there."""
    for x in kernel.args:
        if (
            isinstance(x, Rec)
            and x.buffer is not out
            and not x.views
            and last[id(x.buffer)] == i
            and _movable(x.buffer, pinned)
            and _key(x.buffer.array) == _key(out.array)
        ):
            return x.buffer.array
    return None


__all__ = ["assign_buffers"]
