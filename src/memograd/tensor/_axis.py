"""`axis` arguments: one check, one error, for every op that takes an axis.

An axis out of range raises `AxisError`, which is at once a `ValueError`, an `IndexError`
and NumPy's ``numpy.exceptions.AxisError`` (as NumPy's own error is both, and PyTorch raises
an `IndexError`), and names the op, the axis, the number of dimensions and the valid range.
An axis that is not an integer is a `TypeError`.

Ops that reduce or normalise along an axis (sum, mean, max, softmax, log_softmax) follow
PyTorch on 0-d tensors: axis 0 or -1 is accepted there, as if the scalar were one element
long (``torch.softmax(torch.tensor(2.0), 0)`` is 1.0).

Example:
    >>> normalize_axis(-1, 3, "softmax")
    2
    >>> try:
    ...     normalize_axis(5, 2, "sum")
    ... except IndexError as error:  # or ValueError
    ...     print(error.axis, error.ndim)
    5 2
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from ._backend import ArrayAxisError


class AxisError(ArrayAxisError):
    """An `axis` argument out of range; catchable as ValueError, IndexError, or NumPy's AxisError.

    Attributes:
        axis: the axis as received (before negative axes are resolved).
        ndim: the number of dimensions it was checked against.
    """

    def __init__(self, message: str, axis: int, ndim: int) -> None:
        super().__init__(axis, ndim)  # sets .axis and .ndim as NumPy's error does
        self.message = message

    def __str__(self) -> str:
        return self.message


def _as_int(axis: Any, op: str, name: str) -> int:
    """`axis` as a Python int: ints and NumPy integers pass, bools and floats do not."""
    if not isinstance(axis, bool):
        try:
            return operator.index(axis)
        except TypeError:
            pass
    raise TypeError(f"{op}: `{name}` must be an int. Received: {name}={axis!r}")


def normalize_axis(
    axis: Any,
    ndim: int,
    op: str,
    *,
    name: str = "axis",
    shape: tuple[int, ...] | None = None,
    what: Callable[[], str] | None = None,
    scalar_as_1d: bool = False,
) -> int:
    """`axis` as an index in [0, ndim), negative axes counted from the end.

    Args:
        axis: the axis as the user gave it.
        ndim: the number of dimensions it must index.
        op: the op's name, for the message.
        name: the argument's name, for the message (``axis1`` for swapaxes, ...).
        shape: the tensor's shape, for the message.
        what: what has the `ndim` dimensions, when that is not one tensor: a function making
            the text, called only for the message (ops check axes on every call).
        scalar_as_1d: accept 0 and -1 on a 0-d tensor (PyTorch's rule for reductions and
            softmax); 0 is then returned.

    Raises:
        TypeError: `axis` is not an integer.
        AxisError: `axis` is out of range.
    """
    ax = _as_int(axis, op, name)
    n = max(ndim, 1) if scalar_as_1d else ndim
    if -n <= ax < n:
        return ax % n
    if what is not None:
        subject = what()
    else:
        subject = "a tensor" if shape is None else f"a tensor of shape {shape}"
    plural = "" if ndim == 1 else "s"
    expected = f"; expected an int in [{-n}, {n - 1}]" if n else " (no axis at all)"
    raise AxisError(
        f"{op}: axis {ax} is out of range for {subject}, which has {ndim} dimension{plural}"
        f"{expected}. Received: {name}={axis!r}",
        ax,
        ndim,
    )


def normalize_axes(
    axis: Any, ndim: int, op: str, *, shape: tuple[int, ...] | None = None
) -> tuple[int, ...]:
    """`axis` of a reduction (None, an int or a tuple of ints) as sorted non-negative axes.

    None means every axis. On a 0-d tensor, 0 and -1 are accepted and mean no axis at all
    (PyTorch's rule), so the result is ``()``.
    """
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, tuple | list):
        axes = tuple(axis)
    else:
        try:
            axes = (_as_int(axis, op, "axis"),)
        except TypeError:
            raise TypeError(
                f"{op}: `axis` must be None, an int or a tuple of ints. Received: axis={axis!r}"
            ) from None
    out = [normalize_axis(ax, ndim, op, shape=shape, scalar_as_1d=True) for ax in axes]
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in axis={axis!r}")
    return tuple(sorted(out)) if ndim else ()
