"""Creating Tensors: zeros, ones, full, arange, eye, zeros_like, ones_like, rand, randn,
one_hot.

Shapes are given as NumPy does (``zeros((2, 3))``) or as PyTorch does (``zeros(2, 3)``).
The dtype follows the Tensor rule: float32 unless `dtype` names another floating dtype (a
Tensor holds floats). Random draws come only from an explicit `seed` (an int) or a
``numpy.random.Generator`` (advanced by the draw), never from a global state, so a run is
reproducible from its arguments. `one_hot` returns floats (PyTorch's returns int64) because
a one-hot row is usually multiplied into a float graph.

Example:
    >>> import memograd as mg
    >>> mg.tensor.zeros(2, 3).shape, mg.tensor.arange(3).data.tolist()
    ((2, 3), [0.0, 1.0, 2.0])
    >>> mg.tensor.one_hot([2, 0], 3).data.tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
"""

from __future__ import annotations

import operator
from typing import Any

from .._errors import invalid_type, invalid_value
from . import _xp_numpy
from ._backend import STAND_INS, ndarray, xp
from ._dtype import DEFAULT_DTYPE, as_array
from ._node import constant
from ._tensor import Tensor


def _dtype(dtype: Any) -> Any:
    return DEFAULT_DTYPE if dtype is None else as_array(0.0, dtype).dtype  # checks it


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` as ``(2, 3)``, each entry a non-negative int."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    out = []
    for n in shape:
        try:
            if isinstance(n, bool):
                raise TypeError
            size = operator.index(n)
        except TypeError:
            raise invalid_type("shape", "non-negative integers", shape) from None
        if size < 0:
            raise invalid_value("shape", "non-negative integers", shape)
        out.append(size)
    return tuple(out)


def _make(data: Any, requires_grad: bool) -> Tensor:
    return Tensor(data, requires_grad=requires_grad)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of zeros."""
    return _make(xp.zeros(_shape(shape), dtype=_dtype(dtype)), requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of ones."""
    return _make(xp.ones(_shape(shape), dtype=_dtype(dtype)), requires_grad)


def full(shape: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of `shape` filled with `fill_value`."""
    size = _shape((shape,))  # an int or a tuple
    if isinstance(fill_value, bool) or not isinstance(fill_value, int | float):
        raise invalid_type("fill_value", "a number", fill_value)
    return _make(xp.full(size, fill_value, dtype=_dtype(dtype)), requires_grad)


def _like(t: Any, dtype: Any) -> tuple[tuple[int, ...], Any]:
    if isinstance(t, Tensor | ndarray):
        return t.shape, t.dtype if dtype is None and t.dtype.kind == "f" else _dtype(dtype)
    raise invalid_type("input", "a Tensor or an array", t, show_type=True)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of `t`'s shape and (floating) dtype."""
    shape, dt = _like(t, dtype)
    return _make(xp.zeros(shape, dtype=dt), requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of `t`'s shape and (floating) dtype."""
    shape, dt = _like(t, dtype)
    return _make(xp.ones(shape, dtype=dt), requires_grad)


def arange(
    start: float,
    stop: float | None = None,
    step: float = 1,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Evenly spaced values in [start, stop) (``arange(n)``: 0 … n−1), as `numpy.arange`,
    then converted to `dtype` (float32 by default)."""
    for name, value in (("start", start), ("stop", stop), ("step", step)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise invalid_type(name, "a number", value)
    if step == 0:
        raise invalid_value("step", "a nonzero number", step)
    values = xp.arange(start) if stop is None else xp.arange(start, stop, step)
    return _make(values.astype(_dtype(dtype)), requires_grad)


def eye(
    n: int, m: int | None = None, k: int = 0, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """An n×m matrix with ones on the k-th diagonal (`numpy.eye`)."""
    rows = _shape((n,))[0]
    cols = rows if m is None else _shape((m,))[0]
    if isinstance(k, bool) or not isinstance(k, int):
        raise invalid_type("k", "an int", k)
    return _make(xp.eye(rows, cols, k, dtype=_dtype(dtype)), requires_grad)


def _generator(seed: Any) -> Any:
    if isinstance(seed, xp.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise invalid_value(
            "seed", "a non-negative int or a numpy.random.Generator", seed, show_type=True
        )
    return xp.random.default_rng(seed)


def rand(*shape: Any, seed: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform draws in [0, 1) from `seed` (an int, or a Generator that the draw advances)."""
    rng = _generator(seed)
    return _make(rng.random(_shape(shape), dtype=_dtype(dtype)), requires_grad)


def randn(*shape: Any, seed: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal draws from `seed` (an int, or a Generator that the draw advances)."""
    rng = _generator(seed)
    return _make(rng.standard_normal(_shape(shape), dtype=_dtype(dtype)), requires_grad)


def one_hot(labels: Any, num_classes: int = -1, dtype: Any = None) -> Tensor:
    """Rows of `num_classes` zeros with a one at each label (shape ``labels.shape + (C,)``).

    `num_classes` -1 means the largest label + 1 (PyTorch's default). Labels must be
    integers in [0, num_classes). In a compiled step (the targets of a custom loss) give
    `num_classes`: the largest label is the data's, which one trace cannot stand for.
    """
    raw = labels.data if isinstance(labels, Tensor) else labels
    ns = STAND_INS.get(type(raw))  # the compiler's namespace for traced labels, else NumPy's
    index = raw if ns is not None else xp.asarray(raw)
    ns = ns or _xp_numpy
    if index.dtype.kind == "f":
        as_int = index.astype(xp.int64)
        if not xp.array_equal(as_int, index):
            raise invalid_value("labels", "integers", labels)
        index = as_int
    if index.dtype.kind not in "iu":
        raise invalid_type("labels", "integers", labels)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int):
        raise invalid_type("num_classes", "an int", num_classes)
    classes = (int(index.max()) + 1 if index.size else 0) if num_classes == -1 else num_classes
    if classes < 0:
        raise invalid_value("num_classes", "a non-negative int or -1", num_classes)
    ns.check_labels(index, classes, op="one_hot")
    out = ns.equal(index[..., None], xp.arange(classes)).astype(_dtype(dtype))
    return constant(out)


__all__ = [
    "arange",
    "eye",
    "full",
    "one_hot",
    "ones",
    "ones_like",
    "rand",
    "randn",
    "zeros",
    "zeros_like",
]
