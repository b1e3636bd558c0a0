"""The one place the Tensor engine names its array library.

Every op rule calls ``xp.<function>`` and nothing else, so an array library with NumPy's API
(CuPy, for instance) can replace NumPy here without touching a single op.

Example:
    >>> from memograd.tensor._backend import xp
    >>> float(xp.exp(xp.zeros(1))[0])
    1.0
"""

from __future__ import annotations

from typing import Any

import numpy

# The array library's out-of-range-axis error (a ValueError and an IndexError at once);
# memograd's `AxisError` subclasses it, so code catching either library's error catches ours.
from numpy.exceptions import AxisError as ArrayAxisError

xp: Any = numpy
"""The array namespace (NumPy today)."""

ndarray: Any = numpy.ndarray
"""The array type of `xp`, for `isinstance` checks."""

STAND_INS: dict[type, Any] = {}
"""Array types other than `ndarray` that carry their own namespace, by type: the stand-ins a
recording interpreter (`memograd.compile`) passes through the ops instead of arrays."""


def as_node_data(data: Any) -> Any:
    """`data` as a Tensor's data: arrays and registered stand-ins as they are, anything else
    converted (NumPy returns scalars, not 0-d arrays, from full reductions)."""
    if isinstance(data, ndarray) or type(data) in STAND_INS:
        return data
    return xp.asarray(data)


__all__ = ["STAND_INS", "ArrayAxisError", "as_node_data", "ndarray", "xp"]
