"""More shape ops: squeeze, unsqueeze/expand_dims, flatten, permute, repeat, tile, split, pad.

They follow NumPy where NumPy and PyTorch disagree:

- ``squeeze(axis)`` of an axis whose length is not 1 is an error (PyTorch leaves it);
- ``repeat`` repeats *elements* (`numpy.repeat`, PyTorch's ``repeat_interleave``), where
  ``torch.Tensor.repeat`` tiles (that is `tile` here, as in both libraries);
- ``split(n)`` cuts into n equal sections, ``split([i, j])`` at indices i and j
  (`numpy.split`); PyTorch's ``split(n)`` cuts pieces of *size* n;
- ``pad(width)`` takes NumPy's ``pad_width`` (per axis, first axis first), not PyTorch's
  flat list from the last axis; only the constant mode.

squeeze, unsqueeze and flatten are reshapes, permute is `transpose`, split is a list of
slices: they reuse those definitions. repeat (of a whole axis by an int), tile and pad are
one `Primitive` each, written with reshape, broadcast and concatenate, so their VJPs are a
reshape and a sum, or a slice.

Example:
    >>> import memograd as mg
    >>> x = mg.Tensor([[1.0, 2.0]], requires_grad=True)
    >>> repeat(x, 2, axis=1).data.tolist(), tile(x, 2).data.tolist()
    ([[1.0, 1.0, 2.0, 2.0]], [[1.0, 2.0, 1.0, 2.0]])
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence
from typing import Any

from .._errors import invalid_type, invalid_value
from ._axis import normalize_axes, normalize_axis
from ._backend import xp
from ._primitive import Primitive, apply1, primitive
from ._tensor import Tensor
from .index import getitem
from .shape import reshape, transpose

Needs = tuple[bool, ...]


def _int(name: str, value: Any, minimum: int = 0) -> int:
    try:
        if isinstance(value, bool):
            raise TypeError
        n = operator.index(value)
    except TypeError:
        raise invalid_type(name, "an int", value) from None
    if n < minimum:
        raise invalid_value(name, f"an int >= {minimum}", value)
    return n


def squeeze(a: Tensor, axis: Any = None) -> Tensor:
    """Drop axes of length 1 (all of them if `axis` is None)."""
    shape = a.shape
    if axis is None:
        return reshape(a, tuple(n for n in shape if n != 1))
    axes = normalize_axes(axis, a.ndim, "squeeze", shape=shape)
    for ax in axes:
        if shape[ax] != 1:
            raise ValueError(
                f"squeeze: cannot squeeze axis {ax} of a tensor of shape {shape}: its length "
                f"is {shape[ax]}, not 1"
            )
    return reshape(a, tuple(n for i, n in enumerate(shape) if i not in axes))


def expand_dims(a: Tensor, axis: Any) -> Tensor:
    """Insert axes of length 1 at `axis` (an int or a tuple, counted in the result)."""
    axes = axis if isinstance(axis, tuple | list) else (axis,)
    ndim = a.ndim + len(axes)
    places = {normalize_axis(ax, ndim, "expand_dims", shape=a.shape) for ax in axes}
    if len(places) != len(axes):
        raise ValueError(f"expand_dims: repeated axis in axis={axis!r}")
    sizes = iter(a.shape)
    return reshape(a, tuple(1 if i in places else next(sizes) for i in range(ndim)))


def unsqueeze(a: Tensor, axis: int) -> Tensor:
    """Insert one axis of length 1 at `axis` (PyTorch's name for `expand_dims`)."""
    return expand_dims(a, _int("axis", axis, -(1 << 62)))


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes start_dim … end_dim into one (all of them by default; a 0-d tensor
    becomes shape (1,), as NumPy's and PyTorch's)."""
    shape = a.shape
    if not shape:
        return reshape(a, (1,))
    start = normalize_axis(start_dim, a.ndim, "flatten", name="start_dim", shape=shape)
    end = normalize_axis(end_dim, a.ndim, "flatten", name="end_dim", shape=shape)
    if start > end:
        raise ValueError(
            f"flatten: `start_dim` must not come after `end_dim`. Received: "
            f"start_dim={start_dim}, end_dim={end_dim} for a tensor of shape {shape}"
        )
    merged = 1
    for n in shape[start : end + 1]:
        merged *= n
    return reshape(a, (*shape[:start], merged, *shape[end + 1 :]))


def permute(a: Tensor, *axes: Any) -> Tensor:
    """The axes in the order `axes` (ints or one tuple), as `transpose` with axes."""
    if not axes:
        raise ValueError("permute: give the new order of the axes, e.g. permute(1, 0)")
    return transpose(a, *axes)


@primitive
class Repeat(Primitive):
    """Each element repeated `times` times along `axis` (a broadcast and a reshape); the VJP
    sums each run of copies."""

    axis: int
    times: int
    name = "repeat"
    linear = True

    def forward(self, xp: Any, x: Any) -> Any:
        s, ax = x.shape, self.axis
        spread = xp.broadcast_to(
            x.reshape((*s[: ax + 1], 1, *s[ax + 1 :])), (*s[: ax + 1], self.times, *s[ax + 1 :])
        )
        return xp.ascontiguousarray(spread).reshape((*s[:ax], s[ax] * self.times, *s[ax + 1 :]))

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        s, ax = x.shape, self.axis
        return (g.reshape((*s[: ax + 1], self.times, *s[ax + 1 :])).sum(axis=ax + 1),)


def repeat(a: Tensor, repeats: Any, axis: int | None = None) -> Tensor:
    """Repeat each element (`numpy.repeat`): `repeats` an int, or one count per element along
    `axis`; None repeats the flattened tensor."""
    if axis is None:
        a, ax = reshape(a, -1), 0
    else:
        ax = normalize_axis(axis, a.ndim, "repeat", shape=a.shape)
    if isinstance(repeats, Sequence) or hasattr(repeats, "shape"):
        counts = xp.asarray(repeats)
        if counts.ndim > 1 or counts.dtype.kind not in "iu" or (counts < 0).any():
            raise invalid_value("repeats", "non-negative integers", repeats)
        if counts.ndim == 0:
            repeats = int(counts)
        elif counts.shape[0] != a.shape[ax]:
            raise ValueError(
                f"repeat: `repeats` needs one count per element along axis {ax} "
                f"({a.shape[ax]}). Received {counts.shape[0]} counts"
            )
        else:  # a gather of each element's index, repeated (its VJP scatter-adds)
            index = xp.repeat(xp.arange(a.shape[ax]), counts)
            return getitem(a, (slice(None),) * ax + (index,))
    return apply1(Repeat(ax, _int("repeats", repeats)), a)


@primitive
class Tile(Primitive):
    """`x` tiled `reps` times per axis (`reps` as long as x.ndim): each axis n becomes (r, n),
    broadcast, then merged; the VJP sums over the r axes."""

    reps: tuple[int, ...]
    name = "tile"
    linear = True

    def forward(self, xp: Any, x: Any) -> Any:
        s = x.shape
        split = tuple(v for n in s for v in (1, n))
        wide = tuple(v for r, n in zip(self.reps, s, strict=True) for v in (r, n))
        spread = xp.broadcast_to(x.reshape(split), wide)
        return xp.ascontiguousarray(spread).reshape(
            tuple(r * n for r, n in zip(self.reps, s, strict=True))
        )

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        s = x.shape
        wide = tuple(v for r, n in zip(self.reps, s, strict=True) for v in (r, n))
        return (g.reshape(wide).sum(axis=tuple(range(0, 2 * len(s), 2))),)


def tile(a: Tensor, reps: Any) -> Tensor:
    """`numpy.tile`: repeat the whole tensor `reps` times along each axis (a shorter `reps`
    is padded with 1s in front; a longer one adds leading axes)."""
    counts = tuple(reps) if isinstance(reps, tuple | list) else (reps,)
    counts = tuple(_int("reps", r) for r in counts)
    ndim = max(a.ndim, len(counts))
    x = reshape(a, (1,) * (ndim - a.ndim) + a.shape)
    return apply1(Tile((1,) * (ndim - len(counts)) + counts), x)


def split(a: Tensor, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """`numpy.split`: an int n cuts `axis` into n equal sections (an error if it does not
    divide), a list of indices cuts at those indices. Each piece is a slice of `a`."""
    ax = normalize_axis(axis, a.ndim, "split", shape=a.shape)
    length = a.shape[ax]
    if isinstance(indices_or_sections, Sequence) and not isinstance(indices_or_sections, str):
        cuts = [_int("indices_or_sections", i, -(1 << 62)) for i in indices_or_sections]
        bounds = [0, *[min(max(c + length if c < 0 else c, 0), length) for c in cuts], length]
    else:
        n = _int("indices_or_sections", indices_or_sections, 1)
        if length % n:
            raise ValueError(
                f"split: axis {ax} of length {length} does not divide into {n} equal sections"
            )
        bounds = [i * (length // n) for i in range(n + 1)]
    lead = (slice(None),) * ax
    return [
        getitem(a, (*lead, slice(start, max(start, stop))))
        for start, stop in itertools.pairwise(bounds)
    ]


@primitive
class Pad(Primitive):
    """`x` with `widths[i]` = (before, after) constants added along each axis i (joined with
    concatenate); the VJP slices the middle back out."""

    widths: tuple[tuple[int, int], ...]
    value: float
    name = "pad"

    def forward(self, xp: Any, x: Any) -> Any:
        for ax, (before, after) in enumerate(self.widths):
            parts = []
            for width in (before, after):
                shape = (*x.shape[:ax], width, *x.shape[ax + 1 :])
                parts.append(xp.zeros(shape, dtype=x.dtype) + self.value if width else None)
            if before or after:
                blocks = [p for p in (parts[0], x, parts[1]) if p is not None]
                x = xp.concatenate(blocks, axis=ax)
        return x

    def vjp(self, xp: Any, g: Any, x: Any, y: Any, *, needs: Needs) -> tuple[Any, ...]:
        middle = tuple(slice(b, b + n) for (b, _), n in zip(self.widths, x.shape, strict=True))
        return (g[middle],)

    def jvp(self, xp: Any, tangents: Any, x: Any, y: Any) -> Any:
        return Pad(self.widths, 0.0).forward(xp, tangents[0])  # affine: the constant has no t


def pad(a: Tensor, pad_width: Any, constant_values: float = 0.0) -> Tensor:
    """`numpy.pad` in constant mode: `pad_width` an int (every side), a pair (before, after)
    for every axis, or one pair per axis."""
    try:
        widths = xp.broadcast_to(xp.asarray(pad_width), (a.ndim, 2))
    except ValueError:
        raise invalid_value("pad_width", f"an int, a pair or {a.ndim} pairs", pad_width) from None
    if widths.dtype.kind not in "iu" or (widths < 0).any():
        raise invalid_value("pad_width", "non-negative integers", pad_width)
    if isinstance(constant_values, bool) or not isinstance(constant_values, int | float):
        raise invalid_type("constant_values", "a number", constant_values)
    pairs = tuple((int(b), int(e)) for b, e in widths)
    return apply1(Pad(pairs, float(constant_values)), a)


__all__ = [
    "expand_dims",
    "flatten",
    "pad",
    "permute",
    "repeat",
    "split",
    "squeeze",
    "tile",
    "unsqueeze",
]
