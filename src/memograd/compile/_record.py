"""The recorder: the kernels and buffers of one trace.

While a step is traced, the batch, the targets and the parameters are stand-ins (`Rec`,
`_stand_in`). Each operation on one computes its result at once, with the very NumPy call the
eager step makes (so the trace knows every shape and dtype, and the first step's values), into
a fresh `Buffer`, and the `Recorder` appends a *kernel*: the same call, writing into that
buffer (``out=``).

The op definitions of `memograd.tensor` run on Recs unchanged (`_xp_record` is their
namespace), and so does the one reverse sweep of `memograd.graph`: the tape is derived from
the definitions, not written again, and replaying it makes the eager step's NumPy calls in the
eager step's order — the replay equals eager bit for bit by construction. What does not
depend on a Rec is computed once, at trace time, and captured as a constant
(``xp.ones(classes)``, ``g / batch`` for the seed g = 1).

Example:
    >>> import numpy as np
    >>> rec = Recorder()
    >>> x = rec.live(np.array([1.0, -2.0]), "input")
    >>> y = np.exp(x) * 2.0                     # two kernels, values computed now
    >>> y.value.round(3).tolist(), len(rec.kernels)
    ([5.437, 0.271], 2)
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from memograd import _mkl
from memograd.compile._stand_in import Rec, Untraceable, value_of, where_in_user_code
from memograd.tensor import _xp_numpy
from memograd.tensor._primitive import Primitive

# The recorder of the trace under way (set by `Recorder.active`): a few namespace functions
# record without a Rec operand (a random draw from a generator).
_ACTIVE: list[Recorder] = []

# numpy.errstate settings entered through the recording namespace; kernels recorded inside
# run under them at replay too (a masked 0 · inf must not warn every step).
_ERRSTATE: list[dict[str, str]] = []


class Buffer:
    """One array of the tape.

    Attributes:
        array: the array kernels read and write; for a buffer the trace allocated, the
            trace-time value, until `merge` points it at another array.
        kind: "temp" (allocated by the trace), "input" (refilled before each replay),
            "live" (parameters: updated in place between replays), "state" (a layer's
            buffers: read and updated in place by the kernels themselves), "external"
            (another array written by a kernel).
    """

    __slots__ = ("array", "kind", "version")

    def __init__(self, array: np.ndarray, kind: str) -> None:
        self.array = array
        self.kind = kind
        self.version = 0  # kernels that wrote it so far (cached derived values check it)


@dataclass(frozen=True, slots=True)
class Method:
    """A kernel function that is a method of an array resolved at replay (``a.take``)."""

    target: Any
    name: str


@dataclass(frozen=True, slots=True)
class Kernel:
    """A recorded call: `func` with `args`/`kwargs` in which Recs stand for arrays."""

    func: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    phase: str
    op: str
    writes: Any = None  # the Rec it writes (None: an array outside the tape, or nothing)
    elementwise: bool = False  # an elementwise ufunc: its output may be one of its inputs


class Recorder:
    """The kernels and buffers of one trace (see the module docstring)."""

    def __init__(self) -> None:
        self.kernels: list[Kernel] = []
        self.buffers: list[Buffer] = []
        self.phase = "forward"
        self.rng_states: dict[int, tuple[Any, Any]] = {}
        self.cache: dict[Any, Any] = {}
        self.kept: list[np.ndarray] = []  # arrays whose raw pointers a bound kernel holds

    @contextmanager
    def active(self) -> Iterator[Recorder]:
        """Make this the recorder of draws that have no Rec operand."""
        _ACTIVE.append(self)
        try:
            yield self
        finally:
            _ACTIVE.pop()

    # -- values ------------------------------------------------------------------------------

    def live(self, array: np.ndarray, kind: str) -> Rec:
        """A Rec for an array that exists outside the tape (a parameter, an input buffer)."""
        return Rec(self, Buffer(array, kind), (), array)

    def state(self, array: np.ndarray) -> Rec:
        """A Rec for a layer's buffer that the step updates in place (a moving average).

        Its kernels write `array` itself at every replay; the trace computes on a copy, so
        tracing leaves the state as it found it (the first replay makes the first update).
        """
        return Rec(self, Buffer(array, "state"), (), array.copy())

    def fresh(self, value: Any) -> Rec:
        """A Rec for a new buffer holding `value` (its trace-time value)."""
        if not isinstance(value, np.ndarray):
            value = np.asarray(value)
        buffer = Buffer(value, "temp")
        self.buffers.append(buffer)
        return Rec(self, buffer, (), value)

    # -- kernels -----------------------------------------------------------------------------

    def emit(
        self,
        func: Any,
        args: tuple[Any, ...],
        kwargs: Any = None,
        writes: Any = None,
        elementwise: bool = False,
    ) -> None:
        """Append a kernel; `writes` is the Rec (or array) it writes into."""
        if _ERRSTATE:
            args = (func, dict(_ERRSTATE[-1]), *args)
            func = _under_errstate
        if isinstance(writes, Rec):
            writes.buffer.version += 1
        else:
            writes = None
        kernel = Kernel(
            func, tuple(args), dict(kwargs or {}), self.phase, _op_name(), writes, elementwise
        )
        self.kernels.append(kernel)

    def ufunc(self, f: Any, inputs: tuple[Any, ...], out: Any, kwargs: dict[str, Any]) -> Any:
        """``f(*inputs)`` (a NumPy ufunc), computed now and recorded with ``out=``."""
        values = [value_of(x) for x in inputs]
        if out is not None and not isinstance(out, Rec):
            raise _outside(f)
        if out is None:
            result = self.fresh(f(*values, **kwargs))
        else:
            f(*values, out=value_of(out), **kwargs)
            result = out
        if f in _BOUNDS and result.size <= _MATERIALIZE_UP_TO:
            inputs = tuple(_full(x, result) for x in inputs)
        elementwise = isinstance(f, np.ufunc) and f.signature is None and not kwargs
        if f in _OUT_BY_KEYWORD:
            self.emit(f, inputs, {"out": result}, result, elementwise)
        else:  # out passed positionally: less dispatch per call
            self.emit(f, (*inputs, result), kwargs, result, elementwise)
        return result

    def reduce(
        self, f: Any, x: Rec, axis: Any, keepdims: bool, dtype: Any = None, out: Any = None
    ) -> Any:
        """``f.reduce(x, axis)`` — ``x.sum()`` is ``np.add.reduce`` — recorded with ``out=``."""
        if out is not None and not isinstance(out, Rec):
            raise _outside(f)
        if out is None:
            result = self.fresh(f.reduce(x.value, axis, dtype, None, keepdims))
        else:
            f.reduce(x.value, axis, dtype, value_of(out), keepdims)
            result = out
        self.emit(f.reduce, (x, axis, dtype, result, keepdims), writes=result)
        return result

    def call(self, eager: Callable[..., Any], replay: Any, args: tuple[Any, ...]) -> Rec:
        """A new buffer holding ``eager(*values)``; at replay ``replay(*args, out)``."""
        result = self.fresh(eager(*[value_of(a) for a in args]))
        self.emit(replay, (*args, result), writes=result)
        return result

    # -- the tape ----------------------------------------------------------------------------

    def bind(self, kernel: Kernel) -> Callable[[], object]:
        """The kernel as a `functools.partial` over the final arrays."""
        func = resolve(kernel.func)
        args = [_bound(resolve(a)) for a in kernel.args]
        kwargs = {k: _bound(resolve(v)) for k, v in kernel.kwargs.items()}
        lower = _lowering(func) if not kwargs else None
        if lower is not None:
            bound, plain = lower
            direct = bound(*args)
            if direct is not None:  # raw pointers: the tape keeps their arrays alive
                self.kept.extend(a for a in args if isinstance(a, np.ndarray))
                return direct
            if plain is not None:  # the NumPy call the function would make, made directly
                return partial(plain, *args)
        return partial(func, *args, **kwargs)


_OUT_BY_KEYWORD = (np.maximum, np.minimum)  # NumPy 2.4 deprecates their positional out
# np.maximum and np.minimum against a number run 2x slower than against an array of the
# result's shape, for small results (above this many elements, reading the array costs more):
# a replayed max(z, 0) uses such a constant (the same values; benchmarks/op_spellings.py).
_BOUNDS = (np.maximum, np.minimum)
_MATERIALIZE_UP_TO = 1 << 16


def _full(x: Any, result: Rec) -> Any:
    """A Python number operand as a constant array of `result`'s shape and float dtype (the
    dtype NumPy converts the number to), else `x` unchanged."""
    if type(x) in (int, float) and result.dtype.kind == "f":
        return np.full(result.shape, x, dtype=result.dtype)
    return x


def resolve(x: Any) -> Any:
    """The replay array behind `x`: its buffer's final array with its views applied."""
    if isinstance(x, Rec):
        return apply_views(x.buffer.array, x.views)
    if isinstance(x, Method):
        return getattr(resolve(x.target), x.name)
    if isinstance(x, tuple | list):
        return type(x)(resolve(v) for v in x)
    return x


# Kernels with a cheaper form once their arrays are final, decided once instead of at every
# replay: (the MKL call bound to its pointers, or None; else the NumPy function to call).
_LOWERED: dict[Any, tuple[Callable[..., Any], Any]] = {
    _xp_numpy.matmul: (_mkl.bound_product, np.matmul),
    _xp_numpy.dot: (_mkl.bound_product, np.dot),
    _xp_numpy.matmul_add_into: (_mkl.bound_product_add, None),
}


def _lowering(func: Any) -> tuple[Callable[..., Any], Any] | None:
    try:
        return _LOWERED.get(func)
    except TypeError:  # a method of an array (unhashable)
        return None


def _bound(x: Any) -> Any:
    """A NumPy scalar as a 0-d array of its dtype: the same operand to a ufunc (both are
    typed, unlike a Python number), converted once instead of at every call."""
    return np.asarray(x) if isinstance(x, np.generic) else x


def apply_views(array: Any, views: tuple[Any, ...]) -> Any:
    """`array` with the view steps of a Rec applied (see `Rec.views`)."""
    for step, args in views:
        array = step(array, *args) if callable(step) else getattr(array, step)(*args)
    return array


def recorder_of(*args: Any) -> Recorder | None:
    """The recorder of the first Rec among `args` (looking into lists and tuples)."""
    for a in args:
        if isinstance(a, Rec):
            return a.recorder
        if isinstance(a, tuple | list):
            found = recorder_of(*a)
            if found is not None:
                return found
    return None


def active_recorder(what: str) -> Recorder:
    """The trace under way (for a draw with no Rec operand)."""
    if not _ACTIVE:
        raise Untraceable(f"{what} outside a trace")
    return _ACTIVE[-1]


def _outside(f: Any) -> Untraceable:
    """A traced value written into an array the tape does not own (``state += x.data``,
    `state` a plain attribute): done once at the trace, never at a replay."""
    return Untraceable(
        f"numpy.{getattr(f, '__name__', f)} writes a traced value into an array outside the "
        f"step{where_in_user_code()}, which a replayed step would not update; keep such state "
        f"in a buffer (Module.add_buffer) and update it in place through Module.buffer(name)"
    )


def _op_name() -> str:
    """The primitive whose forward or VJP is running (for the tape's profile by op)."""
    frame = sys._getframe(2)
    while frame is not None:
        owner = frame.f_locals.get("self")
        if isinstance(owner, Primitive):
            return owner.name
        frame = frame.f_back  # type: ignore[assignment]
    return "step"


# -- kernel bodies that are not one NumPy call ------------------------------------------------


def _under_errstate(
    func: Callable[..., Any], settings: dict[str, str], *args: Any, **kw: Any
) -> None:
    with np.errstate(**settings):  # type: ignore[arg-type]
        func(*args, **kw)


__all__ = ["Buffer", "Kernel", "Method", "Rec", "Recorder", "Untraceable", "resolve"]
