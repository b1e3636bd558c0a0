"""The Tensor namespace: the names of `_xp_numpy`, computed with differentiable Tensor ops.

Under ``create_graph`` a primitive's VJP runs with this namespace and Tensors as operands
(`Primitive._backward_graph`), so every gradient it returns is a graph that can be
differentiated again. What has no derivative stays an array: comparisons, `sign`, `isfinite`
and the constructors give NumPy arrays (constants), exactly as in the eager namespace.
``out=`` is accepted and ignored: a definition always uses the returned value.

Example:
    >>> import memograd as mg
    >>> from memograd.tensor import _xp_tensor as xp
    >>> x = mg.Tensor([1.0, -2.0], requires_grad=True)
    >>> xp.exp(x).op, type(xp.greater(x, 0)).__name__
    ('exp', 'ndarray')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import _xp_numpy
from . import activations as _act
from . import contraction as _einsum
from . import elementwise as _ew
from . import index as _index
from . import pointwise as _pw
from . import reduce as _reduce
from . import shape as _shape
from . import smooth as _smooth
from ._backend import xp as _np
from ._tensor import Tensor
from ._xp_numpy import check_labels, uniform

arange = _np.arange
broadcast_shapes = _np.broadcast_shapes
errstate = _np.errstate
ones = _np.ones
zeros = _np.zeros


def _value(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


# -- constants: no derivative flows through these ---------------------------------------------
def equal(a: Any, b: Any) -> Any:
    return _np.equal(_value(a), _value(b))


def greater(a: Any, b: Any) -> Any:
    return _np.greater(_value(a), _value(b))


def greater_equal(a: Any, b: Any) -> Any:
    return _np.greater_equal(_value(a), _value(b))


def less_equal(a: Any, b: Any) -> Any:
    return _np.less_equal(_value(a), _value(b))


def logical_and(a: Any, b: Any) -> Any:
    return _np.logical_and(_value(a), _value(b))


def isfinite(a: Any) -> Any:
    return _np.isfinite(_value(a))


def sign(a: Any) -> Any:
    return _np.sign(_value(a))


def zeros_like(a: Any) -> Any:
    return _np.zeros(a.shape, dtype=a.dtype)


# -- differentiable -----------------------------------------------------------------------------
def _unary(op: Any, numpy_op: Any) -> Any:
    def function(a: Any, out: Any = None) -> Any:
        return op(a) if isinstance(a, Tensor) else numpy_op(a)

    function.__name__ = numpy_op.__name__
    return function


abs = _unary(_ew.absolute, _np.abs)
exp = _unary(_ew.exp, _np.exp)
log = _unary(_ew.log, _np.log)
log1p = _unary(_ew.log1p, _np.log1p)
sqrt = _unary(_ew.sqrt, _np.sqrt)
tanh = _unary(_act.tanh, _np.tanh)
erf = _unary(_smooth.erf, _xp_numpy.erf)
sin = _unary(_pw.sin, _np.sin)
cos = _unary(_pw.cos, _np.cos)
expm1 = _unary(_pw.expm1, _np.expm1)


def prod(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    if isinstance(a, Tensor):
        return _reduce.reduce_prod(a, axis, keepdims)
    return _np.prod(a, axis=axis, keepdims=keepdims)


def cumsum(a: Any, axis: Any = None) -> Any:
    return _reduce.cumsum(a, axis) if isinstance(a, Tensor) else _np.cumsum(a, axis=axis)


def einsum(subscripts: str, *operands: Any) -> Any:
    if any(isinstance(x, Tensor) for x in operands):
        return _einsum.einsum(subscripts, *operands)
    return _np.einsum(subscripts, *operands)


def ascontiguousarray(a: Any) -> Any:
    return a if isinstance(a, Tensor) else _np.ascontiguousarray(a)


def broadcast_to(a: Any, shape: tuple[int, ...]) -> Any:
    return _shape.broadcast_to(a, shape) if isinstance(a, Tensor) else _np.broadcast_to(a, shape)


def clip(a: Any, lo: Any, hi: Any) -> Any:
    return _ew.clip(a, lo, hi) if isinstance(a, Tensor) else _np.clip(a, lo, hi)


def concatenate(arrays: Sequence[Any], axis: int = 0) -> Any:
    if any(isinstance(a, Tensor) for a in arrays):
        return _shape.concatenate(arrays, axis)
    return _np.concatenate(arrays, axis=axis)


def stack(arrays: Sequence[Any], axis: int = 0) -> Any:
    if any(isinstance(a, Tensor) for a in arrays):
        return _shape.stack(arrays, axis)
    return _np.stack(arrays, axis=axis)


def matmul(a: Any, b: Any) -> Any:
    return a @ b  # a Tensor on either side records the product (an array @ Tensor too)


dot = matmul  # only called on matrices and vectors, where the two agree


def matmul_add(x: Any, w: Any, b: Any) -> Any:
    return x @ w + b  # (the eager one is one BLAS call; the derivatives are these ops')


def maximum(a: Any, b: Any, out: Any = None) -> Any:
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return where(greater(a, b), a, b)
    return _np.maximum(a, b)


def where(cond: Any, a: Any, b: Any) -> Any:
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return _ew.where(_value(cond), a, b)
    return _np.where(_value(cond), a, b)


def pick(a: Any, index: Any) -> Any:
    rows = _np.arange(index.shape[0])
    return _index.getitem(a, (rows, index)) if isinstance(a, Tensor) else a[rows, index]


def pick_subtract(a: Any, index: Any, v: Any) -> Any:
    onehot = _np.zeros(a.shape, dtype=a.dtype)
    onehot[_np.arange(index.shape[0]), index] = 1
    return a - onehot * v


def scatter(g: Any, index: Any, shape: tuple[int, ...], advanced: bool) -> Any:
    return _index.scatter_add(g, index, shape, advanced)


__all__ = ["check_labels", "uniform"]
