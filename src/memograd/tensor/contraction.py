"""Contractions: einsum with a gradient for every operand; outer and tensordot as einsums.

The subscripts are made explicit once (``...`` replaced by letters, the implicit output
spelled out), then the VJP of operand i is itself one einsum: the output gradient and the
other operands contracted to operand i's letters. Two details make that exact for every
spelling NumPy accepts:

- a letter only operand i has (summed away, ``"ij->i"``) is broadcast back by a ones
  vector with that letter;
- a letter repeated inside operand i (a diagonal, ``"ii->i"``) is renamed per occurrence
  and tied back by identity matrices, so the gradient lands on the diagonal only.

`outer` flattens its operands (`numpy.outer`; ``torch.outer`` takes 1-D only) and
`tensordot` takes NumPy's ``axes`` (an int or two lists). Ellipsis dimensions must match
in size (broadcasting a length 1 against n inside ``...`` is not supported).

Example:
    >>> import memograd as mg
    >>> a = mg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> _ = einsum("ii->", a).backward()  # the trace
    >>> a.grad.tolist()
    [[1.0, 0.0], [0.0, 1.0]]
"""

from __future__ import annotations

import string
from typing import Any

from .._errors import invalid_type
from ._backend import xp
from ._node import operand
from ._primitive import Primitive, apply, primitive
from ._tensor import Tensor

Needs = tuple[bool, ...]


def _explicit(subscripts: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    """Input and output letters with ``...`` expanded and the implicit output written out."""
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: the subscripts {subscripts!r} name {len(terms)} operands. "
            f"Received {len(shapes)}"
        )
    used = set(spec) - set(".,->")
    free = [c for c in string.ascii_letters if c not in used]
    ell_rank = max(
        (len(s) - (len(t) - 3) for t, s in zip(terms, shapes, strict=True) if "..." in t),
        default=0,
    )
    ell = "".join(free[:ell_rank])
    expanded = []
    for t, s in zip(terms, shapes, strict=True):
        if "..." in t:
            n = len(s) - (len(t) - 3)
            t = t.replace("...", ell[ell_rank - n :] if n else "")
        expanded.append(t)
    if arrow:
        out = output.replace("...", ell)
    else:  # implicit: the letters seen once, in alphabetical order, after the ellipsis
        counts = "".join(expanded)
        out = ell + "".join(sorted(c for c in set(counts) - set(ell) if counts.count(c) == 1))
    return expanded, out


@primitive
class Einsum(Primitive):
    """``numpy.einsum(spec, *operands)`` with explicit subscripts (`inputs` -> `output`)."""

    inputs: tuple[str, ...]
    output: str
    sizes: tuple[tuple[str, int], ...]
    name = "einsum"
    multilinear = True

    def forward(self, xp: Any, *xs: Any) -> Any:
        return xp.einsum(f"{','.join(self.inputs)}->{self.output}", *xs)

    def vjp(self, xp: Any, g: Any, *operands: Any, needs: Needs) -> tuple[Any, ...]:
        n = len(needs)
        xs = operands[:n]
        return tuple(self._grad(xp, g, xs, i) if needs[i] else None for i in range(n))

    def _grad(self, xp: Any, g: Any, xs: tuple[Any, ...], i: int) -> Any:
        size = dict(self.sizes)
        target = self.inputs[i]
        used = set("".join(self.inputs)) | set(self.output)
        fresh = iter(c for c in string.ascii_letters if c not in used)
        renamed = ""
        ties: list[str] = []
        for c in target:  # a repeated letter: a new letter tied to the first by an identity
            if c in renamed:
                other = next(fresh)
                ties.append(c + other)
                renamed += other
            else:
                renamed += c
        terms = [self.output] + [s for j, s in enumerate(self.inputs) if j != i]
        arrays = [g] + [x for j, x in enumerate(xs) if j != i]
        seen = set("".join(terms))
        for c in dict.fromkeys(target):  # a letter only operand i has: broadcast by ones
            if c not in seen:
                terms.append(c)
                arrays.append(xp.ones((size[c],), dtype=g.dtype))
        for tie in ties:
            terms.append(tie)
            index = xp.arange(size[tie[0]])
            arrays.append(xp.equal(index.reshape(-1, 1), index).astype(g.dtype))  # identity
        return xp.einsum(f"{','.join(terms)}->{renamed}", *arrays)


def einsum(subscripts: str, *operands: Any) -> Tensor:
    """Einstein summation (`numpy.einsum` subscripts), differentiable in every operand."""
    if not isinstance(subscripts, str):
        raise invalid_type("subscripts", "a string such as 'ij,jk->ik'", subscripts)
    if not operands:
        raise ValueError("einsum: expected at least one operand. Received none")
    like = next((t for t in operands if isinstance(t, Tensor)), None)
    like = like if like is not None else Tensor(operands[0])
    ts = tuple(operand(like, t, "einsum") for t in operands)
    shapes = [t.shape for t in ts]
    try:
        xp.einsum(subscripts, *[xp.empty(s, dtype=bool) for s in shapes])  # NumPy's checks
    except ValueError as err:
        raise ValueError(f"einsum: {err} (subscripts={subscripts!r}, shapes={shapes})") from None
    inputs, output = _explicit(subscripts, shapes)
    sizes: dict[str, int] = {}
    for term, shape in zip(inputs, shapes, strict=True):
        for c, n in zip(term, shape, strict=True):
            if sizes.setdefault(c, n) != n:
                raise ValueError(
                    f"einsum: letter {c!r} has lengths {sizes[c]} and {n} (broadcasting "
                    f"inside subscripts is not supported). Received shapes {shapes}"
                )
    return apply(Einsum(tuple(inputs), output, tuple(sorted(sizes.items()))), ts)


def outer(a: Any, b: Any) -> Tensor:
    """The outer product of the flattened `a` and `b` (`numpy.outer`)."""
    x = a if isinstance(a, Tensor) else Tensor(a)
    z = operand(x, b, "outer")
    return einsum("i,j->ij", x.reshape(-1), z.reshape(-1))


def tensordot(a: Any, b: Any, axes: Any = 2) -> Tensor:
    """`numpy.tensordot`: sum over the last `axes` axes of `a` and the first of `b`, or over
    the axes listed in ``axes = (a_axes, b_axes)``."""
    x = a if isinstance(a, Tensor) else Tensor(a)
    z = operand(x, b, "tensordot")
    if isinstance(axes, int) and not isinstance(axes, bool):
        if not 0 <= axes <= min(x.ndim, z.ndim):
            raise ValueError(
                f"tensordot: `axes` must lie in [0, {min(x.ndim, z.ndim)}] for shapes "
                f"{x.shape} and {z.shape}. Received: axes={axes}"
            )
        pairs = (list(range(x.ndim - axes, x.ndim)), list(range(axes)))
    else:
        try:
            left, right = axes
            left = [left] if isinstance(left, int) else list(left)
            right = [right] if isinstance(right, int) else list(right)
        except (TypeError, ValueError):
            raise invalid_type("axes", "an int or two sequences of axes", axes) from None
        if len(left) != len(right):
            raise ValueError(f"tensordot: `axes` lists differ in length. Received: axes={axes}")
        pairs = ([ax % max(x.ndim, 1) for ax in left], [ax % max(z.ndim, 1) for ax in right])
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(x.ndim)]
    sb = [next(letters) for _ in range(z.ndim)]
    for i, j in zip(*pairs, strict=True):
        sb[j] = sa[i]
    out = [c for k, c in enumerate(sa) if k not in pairs[0]]
    out += [c for k, c in enumerate(sb) if k not in pairs[1]]
    return einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", x, z)


__all__ = ["einsum", "outer", "tensordot"]
