"""Comparisons and tests: == != < <= > >=, isnan, isfinite. No gradient flows through them.

They return plain NumPy boolean arrays, not Tensors: a Tensor holds floating data (gradients
need floats), and a mask is what `where`, indexing and NumPy code take (``x[x > 0]``,
``mg.tensor.where(x > 0, x, 0.0)``), as ``x.data > 0`` did before. Under
``jit_compile=True`` the data is a recording stand-in and the same NumPy ufunc records a
kernel, so a mask computed in a model's step compiles.

Because ``Tensor.__eq__`` compares elementwise, a Tensor stays hashable by identity (as a
``torch.Tensor``): put Tensors in sets and dict keys freely, but ``t in some_list`` compares
values, as with NumPy arrays and torch Tensors.

Example:
    >>> import memograd as mg
    >>> x = mg.Tensor([-1.0, 0.0, 2.0])
    >>> (x > 0).tolist(), (x == 0).tolist()
    ([False, False, True], [False, True, False])
    >>> mg.tensor.where(x > 0, x, 0.0).data.tolist()
    [0.0, 0.0, 2.0]
"""

from __future__ import annotations

from typing import Any

from ._backend import xp
from ._tensor import Tensor


def _value(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _compare(ufunc: Any, a: Any, b: Any) -> Any:
    x, z = _value(a), _value(b)
    try:
        return ufunc(x, z)
    except ValueError:
        raise ValueError(
            f"{ufunc.__name__}: shapes {xp.shape(x)} and {xp.shape(z)} cannot be broadcast together"
        ) from None


def equal(a: Any, b: Any) -> Any:
    """a == b elementwise, as a boolean array."""
    return _compare(xp.equal, a, b)


def not_equal(a: Any, b: Any) -> Any:
    """a != b elementwise, as a boolean array (True where either is NaN)."""
    return _compare(xp.not_equal, a, b)


def less(a: Any, b: Any) -> Any:
    """a < b elementwise, as a boolean array."""
    return _compare(xp.less, a, b)


def less_equal(a: Any, b: Any) -> Any:
    """a <= b elementwise, as a boolean array."""
    return _compare(xp.less_equal, a, b)


def greater(a: Any, b: Any) -> Any:
    """a > b elementwise, as a boolean array."""
    return _compare(xp.greater, a, b)


def greater_equal(a: Any, b: Any) -> Any:
    """a >= b elementwise, as a boolean array."""
    return _compare(xp.greater_equal, a, b)


def isnan(a: Any) -> Any:
    """Where `a` is NaN, as a boolean array."""
    return xp.isnan(_value(a))


def isfinite(a: Any) -> Any:
    """Where `a` is neither infinite nor NaN, as a boolean array."""
    return xp.isfinite(_value(a))


__all__ = [
    "equal",
    "greater",
    "greater_equal",
    "isfinite",
    "isnan",
    "less",
    "less_equal",
    "not_equal",
]
