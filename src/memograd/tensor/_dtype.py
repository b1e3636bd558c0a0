"""The Tensor dtype rule: what array a Tensor's data becomes.

Python numbers, (nested) lists and integer or boolean arrays become float32; a floating
NumPy array keeps its dtype; `dtype=` overrides both but must be floating (gradients need
floats).

Example:
    >>> import numpy as np
    >>> from memograd.tensor._dtype import as_array
    >>> as_array([1, 2]).dtype, as_array(np.zeros(2)).dtype
    (dtype('float32'), dtype('float64'))
"""

from __future__ import annotations

from typing import Any

from .._errors import invalid_type
from ._backend import ndarray, xp

DEFAULT_DTYPE = xp.dtype(xp.float32)


def as_array(data: Any, dtype: Any = None) -> Any:
    """Convert `data` to a floating array following the Tensor dtype rule (see `Tensor`)."""
    if dtype is not None:
        try:
            dt = xp.dtype(dtype)
        except TypeError:
            raise invalid_type(
                "dtype", "a floating dtype such as 'float32' or 'float64'", dtype
            ) from None
        if dt.kind != "f":
            raise TypeError(
                f"Received an invalid value for `dtype`, expected a floating dtype (gradients "
                f"need floats). Received: dtype={dt}"
            )
    try:
        if isinstance(data, ndarray | xp.generic):
            arr = xp.asarray(data, dtype=dtype)
            if dtype is None and arr.dtype.kind in "biu":  # ints/bools become float32
                arr = arr.astype(DEFAULT_DTYPE)
        elif isinstance(data, int | float):  # Python numbers: float32 unless told otherwise
            arr = xp.asarray(data, dtype=DEFAULT_DTYPE if dtype is None else dtype)
        else:  # lists and the like: numbers only (None or "1.5" would convert to a float)
            arr = xp.asarray(data)
            if arr.dtype.kind in "biuf":
                arr = arr.astype(DEFAULT_DTYPE if dtype is None else dtype, copy=False)
    except (ValueError, TypeError) as err:
        raise TypeError(
            f"Received invalid `data` for a Tensor, expected a number, a (nested) list of "
            f"numbers or a numeric array. Received: {type(data).__name__} ({err})"
        ) from None
    if arr.dtype.kind != "f":  # complex, object (None), strings
        raise TypeError(
            f"Received invalid `data` for a Tensor, expected real numbers. "
            f"Received: {type(data).__name__} (an array of dtype {arr.dtype})"
        )
    return arr
