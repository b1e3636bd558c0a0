"""The recording namespace: the names of `memograd.tensor._xp_numpy`, emitting kernels.

Op definitions receive this module as ``xp`` when an operand is a `Rec`. Each function does
what the eager namespace does when no operand is a Rec (a constant: computed once, at trace
time); otherwise it computes the result now with the eager call and records the replay call
into a buffer. Where NumPy's eager call has no ``out=`` the replay is the same arithmetic
spelled with one (``where`` as two ``copyto``; ``pick`` as a flat ``take``), exact either way.

Example:
    >>> import numpy as np
    >>> from memograd.compile._record import Recorder
    >>> from memograd.compile import _xp_record as xp
    >>> rec = Recorder()
    >>> z = rec.live(np.array([-1.0, 2.0]), "input")
    >>> xp.where(xp.greater(z, 0), z, 0.0).value.tolist(), len(rec.kernels)
    ([0.0, 2.0], 3)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from memograd.compile._record import (
    _ERRSTATE,
    Method,
    Rec,
    Untraceable,
    active_recorder,
    recorder_of,
)
from memograd.tensor import _xp_numpy as eager

arange = np.arange
broadcast_shapes = np.broadcast_shapes


ones = np.ones
zeros = np.zeros


def zeros_like(a: Any) -> Any:
    return np.zeros(a.shape, dtype=a.dtype)


def _ufunc(f: Any) -> Any:
    def function(*inputs: Any, out: Any = None) -> Any:
        recorder = recorder_of(*inputs, out)
        if recorder is None:
            return f(*inputs) if out is None else f(*inputs, out=out)
        return recorder.ufunc(f, inputs, out, {})

    function.__name__ = f.__name__
    return function


abs = _ufunc(np.absolute)
cos = _ufunc(np.cos)
expm1 = _ufunc(np.expm1)
sin = _ufunc(np.sin)
equal = _ufunc(np.equal)
exp = _ufunc(np.exp)
greater = _ufunc(np.greater)
greater_equal = _ufunc(np.greater_equal)
isfinite = _ufunc(np.isfinite)
less_equal = _ufunc(np.less_equal)
log = _ufunc(np.log)
log1p = _ufunc(np.log1p)
logical_and = _ufunc(np.logical_and)
matmul = _ufunc(eager.matmul)  # (NumPy's or MKL's product: `memograd._mkl`)
maximum = _ufunc(np.maximum)
sign = _ufunc(np.sign)
sqrt = _ufunc(np.sqrt)
tanh = _ufunc(np.tanh)


def erf(x: Any, out: Any = None) -> Any:
    """The error function (SciPy's ufunc, as the eager namespace), recorded like NumPy's."""
    from scipy.special import erf as scipy_erf

    recorder = recorder_of(x, out)
    if recorder is None:
        return scipy_erf(x) if out is None else scipy_erf(x, out=out)
    return recorder.ufunc(scipy_erf, (x,), out, {})


@contextmanager
def errstate(**settings: str) -> Iterator[None]:
    """numpy.errstate now, and around the kernels recorded inside at every replay."""
    _ERRSTATE.append(settings)
    try:
        with np.errstate(**settings):  # type: ignore[arg-type]
            yield
    finally:
        _ERRSTATE.pop()


def prod(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    if not isinstance(a, Rec):
        return np.prod(a, axis=axis, keepdims=keepdims)
    return a.recorder.reduce(np.multiply, a, axis, keepdims)  # np.prod's own reduction


def cumsum(a: Any, axis: Any = None) -> Any:
    recorder = recorder_of(a)
    if recorder is None:
        return np.cumsum(a, axis=axis)
    result = recorder.fresh(np.cumsum(a.value, axis=axis))
    recorder.emit(np.cumsum, (a, axis, None, result), writes=result)
    return result


def einsum(subscripts: str, *operands: Any) -> Any:
    recorder = recorder_of(*operands)
    if recorder is None:
        return np.einsum(subscripts, *operands)
    result = recorder.fresh(np.einsum(subscripts, *[_v(x) for x in operands]))
    recorder.emit(np.einsum, (subscripts, *operands), {"out": result}, writes=result)
    return result


def dot(a: Any, b: Any) -> Any:
    recorder = recorder_of(a, b)
    if recorder is None:
        return eager.dot(a, b)
    return recorder.call(eager.dot, eager.dot, (a, b))


def matmul_add(x: Any, w: Any, b: Any) -> Any:
    recorder = recorder_of(x, w, b)
    if recorder is None:
        return eager.matmul_add(x, w, b)
    # One kernel: the bias copied into the output, the product accumulated onto it (gemm).
    return recorder.call(eager.matmul_add, eager.matmul_add_into, (x, w, b))


def clip(a: Any, lo: Any, hi: Any) -> Any:
    recorder = recorder_of(a)
    if recorder is None:
        return np.clip(a, lo, hi)
    result = recorder.fresh(np.clip(a.value, lo, hi))
    recorder.emit(np.clip, (a, lo, hi), {"out": result}, writes=result)
    return result


def where(cond: Any, a: Any, b: Any) -> Any:
    recorder = recorder_of(cond, a, b)
    if recorder is None:
        return np.where(cond, a, b)
    result = recorder.fresh(np.where(*[x.value if isinstance(x, Rec) else x for x in (cond, a, b)]))
    recorder.emit(np.copyto, (result, b), writes=result)  # where(c, a, b) as two copies
    recorder.emit(np.copyto, (result, a), {"where": cond}, writes=result)
    return result


def ascontiguousarray(a: Any) -> Any:
    recorder = recorder_of(a)
    if recorder is None:
        return np.ascontiguousarray(a)
    result = recorder.fresh(np.ascontiguousarray(a.value))
    recorder.emit(np.copyto, (result, a), writes=result)
    return result


def broadcast_to(a: Any, shape: tuple[int, ...]) -> Any:
    if not isinstance(a, Rec):
        return np.broadcast_to(a, shape)
    value = np.broadcast_to(a.value, shape)
    return Rec(a.recorder, a.buffer, (*a.views, (np.broadcast_to, (shape,))), value)


def concatenate(arrays: Sequence[Any], axis: int = 0) -> Any:
    return _joined(np.concatenate, arrays, axis)


def stack(arrays: Sequence[Any], axis: int = 0) -> Any:
    return _joined(np.stack, arrays, axis)


def _joined(join: Any, arrays: Sequence[Any], axis: int) -> Any:
    """np.concatenate or np.stack of `arrays`, recorded with ``out=``."""
    recorder = recorder_of(*arrays)
    if recorder is None:
        return join(arrays, axis=axis)
    result = recorder.fresh(join([_v(a) for a in arrays], axis=axis))
    recorder.emit(join, (list(arrays),), {"axis": axis, "out": result}, writes=result)
    return result


# -- memograd's five (see memograd.tensor._xp_numpy) ------------------------------------------


def _flat_index(index: Rec, classes: int) -> Rec:
    """Kernels computing ``row * classes + index[row]``: positions in a flattened (B, C)
    array. Memoized per index buffer while it is unchanged: the forward's gather and the
    backward's scatter of a cross-entropy share one."""
    recorder = index.recorder
    key = ("flat", id(index.buffer), index.views, index.buffer.version, classes)
    found = recorder.cache.get(key)
    if found is None:
        row_starts = np.arange(index.shape[0], dtype=np.intp) * classes  # a constant
        found = recorder.fresh(row_starts + index.value)
        recorder.emit(np.add, (row_starts, index, found), writes=found)
        recorder.cache[key] = found
    return found


def _contiguous(a: Any) -> bool:
    return isinstance(a, Rec) and a.ndim == 2 and a.value.flags.c_contiguous and not a.views


def pick(a: Any, index: Any) -> Any:
    recorder = recorder_of(a, index)
    if recorder is None:
        return eager.pick(a, index)
    if not (_contiguous(a) and isinstance(index, Rec)):
        return a[(np.arange(index.shape[0]), index)]
    flat = _flat_index(index, a.shape[1])
    result = recorder.fresh(eager.pick(a.value, index.value))
    # The method with mode "clip", faster than np.take(out=) (benchmarks/op_spellings.py);
    # the labels are checked first.
    recorder.emit(Method(a.reshape(-1), "take"), (flat, None, result, "clip"), writes=result)
    return result


def pick_subtract(a: Any, index: Any, v: Any) -> Any:
    recorder = recorder_of(a, index, v)
    if recorder is None:
        return eager.pick_subtract(a, index, v)
    if not (_contiguous(a) and isinstance(index, Rec)):
        raise Untraceable("pick_subtract on a view or with constant labels")
    eager.pick_subtract(a.value, index.value, v.value if isinstance(v, Rec) else v)
    recorder.emit(_subtract_at, (a.reshape(-1), _flat_index(index, a.shape[1]), v), writes=a)
    return a


def _subtract_at(a: np.ndarray, flat: np.ndarray, v: Any) -> None:
    a[flat] -= v


def scatter(g: Any, index: Any, shape: tuple[int, ...], advanced: bool) -> Any:
    recorder = recorder_of(g, index)
    if recorder is None:
        return eager.scatter(g, index, shape, advanced)
    result = recorder.fresh(eager.scatter(_v(g), _v(index), shape, advanced))
    recorder.emit(_scatter_into, (result, g, index, advanced), writes=result)
    return result


def _scatter_into(out: np.ndarray, g: Any, index: Any, advanced: bool) -> None:
    out.fill(0)
    if advanced:
        np.add.at(out, index, g)
    else:
        out[index] = g


def check_labels(index: Any, classes: int, op: str = "cross_entropy") -> None:
    if not isinstance(index, Rec):
        eager.check_labels(index, classes, op)
        return
    eager.check_labels(index.value, classes, op)  # now, on the traced batch
    if index.size:  # (a shape: the same at every replay)
        unsigned = index.view(f"u{index.dtype.itemsize}")
        index.recorder.emit(_check_labels, (np.maximum.reduce, unsigned, classes, index, op))


def _check_labels(
    largest: Any, unsigned: np.ndarray, classes: int, index: np.ndarray, op: str
) -> None:
    # One reduction checks both ends: negative labels viewed as unsigned are huge.
    if largest(unsigned) >= classes:
        eager.check_labels(index, classes, op)  # raises the eager op's ValueError


def uniform(rng: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    recorder = active_recorder("a random draw")
    # The draw advances the generator now; the tracer puts it back as it found it.
    recorder.rng_states.setdefault(id(rng), (rng, rng.bit_generator.state))
    result = recorder.fresh(rng.random(shape, dtype=dtype))
    recorder.emit(rng.random, (None, np.dtype(dtype), result), writes=result)
    return result


def _v(x: Any) -> Any:
    return x.value if isinstance(x, Rec) else x


__all__ = [name for name in eager.NAMES]
