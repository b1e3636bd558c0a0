"""`Rec`: the recording stand-in for an array, what the op definitions see during a trace.

A `Rec` behaves like the array it stands for — shape, dtype, arithmetic, NumPy's ufuncs
(``__array_ufunc__``), views, reductions — and each operation on it computes its result at
once (the eager call) and records the same call, with ``out=``, through its `Recorder`
(`_record`). What would read its *values* in Python (``float(x)``, ``if x > 0``,
``np.asarray(x)``) raises `Untraceable` naming the place in the user's code.

Example:
    >>> import numpy as np
    >>> from memograd.compile._record import Recorder
    >>> x = Recorder().live(np.array([1.0, 4.0]), "input")
    >>> (x.T.reshape(2, 1) * 2).value.ravel().tolist()
    [2.0, 8.0]
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from memograd.tensor._primitive import NotTraceable as Untraceable

if TYPE_CHECKING:
    from memograd.compile._record import Buffer, Recorder

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The machinery between an operation and the code that asked for it: not "where".
_MACHINERY = tuple(
    os.path.join(_PACKAGE, part) for part in ("compile", "tensor", "graph.py", "autograd.py")
)
_NUMPY = os.path.dirname(os.path.abspath(np.__file__))


class Rec:
    """A recording stand-in for an array (see the module docstring).

    Attributes:
        recorder: the trace it belongs to.
        buffer: the tape buffer it is (a view of).
        views: how to get it from the buffer's array: ``(method name or function,
            arguments)`` steps such as ``("reshape", ((-1,),))``, applied when the tape is
            bound.
        value: its trace-time value.
    """

    __slots__ = ("buffer", "recorder", "value", "views")
    __array_priority__ = 1000  # NumPy's binary operators defer to ours

    def __init__(
        self, recorder: Recorder, buffer: Buffer, views: tuple[Any, ...], value: np.ndarray
    ) -> None:
        self.recorder = recorder
        self.buffer = buffer
        self.views = views
        self.value = value

    # -- static facts: known at trace time, the same at every replay -------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.value.dtype

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def size(self) -> int:
        return self.value.size

    @property
    def nbytes(self) -> int:
        return self.value.nbytes

    def __len__(self) -> int:
        return len(self.value)

    def __repr__(self) -> str:
        return f"Rec(shape={self.shape}, dtype={self.dtype}, buffer={self.buffer.kind})"

    # -- values: not recordable --------------------------------------------------------------

    def _untraceable(self, what: str) -> Untraceable:
        return Untraceable(
            f"{what} reads the values of a traced array{where_in_user_code()}: the step's "
            f"Python code depends on the data, so one trace cannot stand for every batch"
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise self._untraceable("converting it to a NumPy array")

    def __bool__(self) -> bool:
        raise self._untraceable("bool()")

    def __float__(self) -> float:
        raise self._untraceable("float()")

    def __int__(self) -> int:
        raise self._untraceable("int()")

    def __index__(self) -> int:
        raise self._untraceable("using it as an index")

    def __iter__(self) -> Iterator[Any]:
        raise self._untraceable("iterating over it")

    def __getattr__(self, name: str) -> Any:
        # (only for names a Rec lacks: an array method the recording does not know)
        if name.startswith("__"):
            raise AttributeError(name)
        raise Untraceable(
            f"the step calls .{name} on a traced array{where_in_user_code()}, which the "
            f"compiler does not record (Tensor ops and their xp namespace are recorded)"
        )

    def item(self, *args: Any) -> Any:
        raise self._untraceable("item()")

    def tolist(self) -> Any:
        raise self._untraceable("tolist()")

    # -- NumPy's protocol: ufuncs called on Recs record themselves ---------------------------

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        out = kwargs.pop("out", None)
        if isinstance(out, tuple):
            if len(out) != 1:
                raise Untraceable(f"{ufunc.__name__} with several outputs")
            out = out[0]
        if method == "__call__":
            return self.recorder.ufunc(ufunc, inputs, out, kwargs)
        if method == "reduce":
            axis = kwargs.pop("axis", 0)
            keepdims = kwargs.pop("keepdims", False)
            dtype = kwargs.pop("dtype", None)
            if kwargs:
                raise Untraceable(f"{ufunc.__name__}.reduce with {sorted(kwargs)}")
            return self.recorder.reduce(ufunc, inputs[0], axis, keepdims, dtype, out)
        raise Untraceable(f"numpy.{ufunc.__name__}.{method} on a traced array")

    def _op(self, f: Any, *inputs: Any) -> Any:
        for x in inputs:
            if not isinstance(x, _OPERANDS):
                return NotImplemented  # a Tensor: its reflected operator takes over
        return self.recorder.ufunc(f, inputs, None, {})

    def _iop(self, f: Any, other: Any) -> Any:
        if not isinstance(other, _OPERANDS):
            return NotImplemented
        return self.recorder.ufunc(f, (self, other), self, {})

    def __add__(self, o: Any) -> Any:
        return self._op(np.add, self, o)

    def __radd__(self, o: Any) -> Any:
        return self._op(np.add, o, self)

    def __sub__(self, o: Any) -> Any:
        return self._op(np.subtract, self, o)

    def __rsub__(self, o: Any) -> Any:
        return self._op(np.subtract, o, self)

    def __mul__(self, o: Any) -> Any:
        return self._op(np.multiply, self, o)

    def __rmul__(self, o: Any) -> Any:
        return self._op(np.multiply, o, self)

    def __truediv__(self, o: Any) -> Any:
        return self._op(np.true_divide, self, o)

    def __rtruediv__(self, o: Any) -> Any:
        return self._op(np.true_divide, o, self)

    def __pow__(self, o: Any) -> Any:
        return self._op(np.power, self, o)

    def __rpow__(self, o: Any) -> Any:
        return self._op(np.power, o, self)

    def __matmul__(self, o: Any) -> Any:
        return self._op(np.matmul, self, o)

    def __rmatmul__(self, o: Any) -> Any:
        return self._op(np.matmul, o, self)

    def __neg__(self) -> Any:
        return self._op(np.negative, self)

    def __invert__(self) -> Any:
        return self._op(np.invert, self)

    def __and__(self, o: Any) -> Any:
        return self._op(np.bitwise_and, self, o)

    def __rand__(self, o: Any) -> Any:
        return self._op(np.bitwise_and, o, self)

    def __or__(self, o: Any) -> Any:
        return self._op(np.bitwise_or, self, o)

    def __ror__(self, o: Any) -> Any:
        return self._op(np.bitwise_or, o, self)

    def __xor__(self, o: Any) -> Any:
        return self._op(np.bitwise_xor, self, o)

    def __rxor__(self, o: Any) -> Any:
        return self._op(np.bitwise_xor, o, self)

    # Elementwise, as an array's (a mask compared with a mask); hashable by identity still.
    __hash__ = object.__hash__

    def __eq__(self, o: object) -> Any:
        return self._op(np.equal, self, o)

    def __ne__(self, o: object) -> Any:
        return self._op(np.not_equal, self, o)

    def __gt__(self, o: Any) -> Any:
        return self._op(np.greater, self, o)

    def __ge__(self, o: Any) -> Any:
        return self._op(np.greater_equal, self, o)

    def __lt__(self, o: Any) -> Any:
        return self._op(np.less, self, o)

    def __le__(self, o: Any) -> Any:
        return self._op(np.less_equal, self, o)

    def __iadd__(self, o: Any) -> Any:
        return self._iop(np.add, o)

    def __isub__(self, o: Any) -> Any:
        return self._iop(np.subtract, o)

    def __imul__(self, o: Any) -> Any:
        return self._iop(np.multiply, o)

    def __itruediv__(self, o: Any) -> Any:
        return self._iop(np.true_divide, o)

    # -- reductions and conversions (NumPy's own steps, with out=) ---------------------------

    def sum(self, axis: Any = None, keepdims: bool = False) -> Rec:
        return self.recorder.reduce(np.add, self, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Rec:
        return self.recorder.reduce(np.minimum, self, axis, keepdims)

    def prod(self, axis: Any = None, keepdims: bool = False) -> Rec:
        return self.recorder.reduce(np.multiply, self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Rec:
        return self.recorder.reduce(np.maximum, self, axis, keepdims)

    def argmax(self, axis: Any = None, keepdims: bool = False) -> Rec:
        return self._arg(np.argmax, axis, keepdims)

    def argmin(self, axis: Any = None, keepdims: bool = False) -> Rec:
        return self._arg(np.argmin, axis, keepdims)

    def _arg(self, f: Any, axis: Any, keepdims: bool) -> Rec:
        result = self.recorder.fresh(np.asarray(f(self.value, axis, keepdims=keepdims)))
        self.recorder.emit(f, (self, axis), {"out": result, "keepdims": keepdims}, writes=result)
        return result

    def mean(self, axis: Any = None, keepdims: bool = False) -> Rec:
        # numpy's _mean: a sum, then a true division by the count as an intp, unsafe cast
        axes = range(self.ndim) if axis is None else axis if isinstance(axis, tuple) else (axis,)
        count = np.intp(1)
        for ax in axes:
            count *= self.shape[ax]
        total = self.recorder.reduce(np.add, self, axis, keepdims)
        total.value[...] = self.value.mean(axis=axis, keepdims=keepdims)  # the eager value
        self.recorder.emit(
            np.true_divide, (total, count, total), {"casting": "unsafe"}, writes=total
        )
        return total

    def astype(self, dtype: Any, copy: bool = True) -> Rec:
        if not copy and np.dtype(dtype) == self.dtype:
            return self
        result = self.recorder.fresh(self.value.astype(dtype))
        self.recorder.emit(np.copyto, (result, self), {"casting": "unsafe"}, writes=result)
        return result

    def copy(self) -> Rec:
        return self.recorder.call(np.copy, _copy_into, (self,))

    # -- views: no kernel, the same view of the buffer at replay ------------------------------

    def _view(self, name: str, *args: Any) -> Rec:
        value = getattr(self.value, name)(*args)
        return Rec(self.recorder, self.buffer, (*self.views, (name, args)), value)

    @property
    def T(self) -> Rec:
        return self._view("transpose")

    def transpose(self, *axes: Any) -> Rec:
        return self._view("transpose", *axes)

    def swapaxes(self, a: int, b: int) -> Rec:
        return self._view("swapaxes", a, b)

    def view(self, dtype: Any) -> Rec:
        return self._view("view", dtype)

    def reshape(self, *shape: Any) -> Rec:
        new = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape
        try:  # a view where NumPy makes one, a copy otherwise (as ndarray.reshape)
            value = np.reshape(self.value, new, copy=False)
        except ValueError:
            copy = self.recorder.call(np.ascontiguousarray, _copy_into, (self,))
            return copy.reshape(new)
        return Rec(self.recorder, self.buffer, (*self.views, ("reshape", (new,))), value)

    def __getitem__(self, index: Any) -> Rec:
        parts = index if isinstance(index, tuple) else (index,)
        if not any(isinstance(p, Rec | np.ndarray | list) for p in parts):
            value = self.value[index]
            if isinstance(value, np.ndarray):  # basic indexing: a view
                views = (*self.views, ("__getitem__", (index,)))
                return Rec(self.recorder, self.buffer, views, value)
        if any(isinstance(p, Rec) and p.dtype == np.bool_ for p in parts):
            raise Untraceable(
                f"indexing with a traced boolean mask{where_in_user_code()} selects as many "
                f"elements as the data has True values, so one trace cannot stand for every "
                f"batch (mg.tensor.where(mask, x, 0.0) keeps the shape)"
            )
        result = self.recorder.fresh(self.value[value_of(index)])
        self.recorder.emit(_take_into, (result, self, index), writes=result)
        return result

    def __setitem__(self, index: Any, value: Any) -> None:
        self.value[value_of(index)] = value_of(value)
        self.recorder.emit(_setitem, (self, index, value), writes=self)


_OPERANDS = (Rec, np.ndarray, np.generic, int, float, bool)


def value_of(x: Any) -> Any:
    """The trace-time value behind `x` (Recs inside tuples and lists too)."""
    if isinstance(x, Rec):
        return x.value
    if isinstance(x, tuple | list):
        return type(x)(value_of(v) for v in x)
    return x


def where_in_user_code() -> str:
    """`` in Class.function (file:line)`` of the innermost caller that is not the engine or
    the compiler (nor NumPy): the layer, loss or user code that asked."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith((*_MACHINERY, _NUMPY)):
            owner = frame.f_locals.get("self")
            function = frame.f_code.co_name
            if owner is not None and function != "<module>":
                function = f"{type(owner).__name__}.{function}"
            return f" in {function} ({os.path.basename(filename)}:{frame.f_lineno})"
        frame = frame.f_back  # type: ignore[assignment]
    return ""


def _copy_into(src: np.ndarray, out: np.ndarray) -> None:
    np.copyto(out, src)


def _take_into(out: np.ndarray, src: np.ndarray, index: Any) -> None:
    out[...] = src[index]


def _setitem(target: np.ndarray, index: Any, value: Any) -> None:
    target[index] = value


__all__ = ["Rec", "Untraceable", "value_of", "where_in_user_code"]
