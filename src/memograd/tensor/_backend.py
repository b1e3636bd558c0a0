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

__all__ = ["ArrayAxisError", "ndarray", "xp"]
