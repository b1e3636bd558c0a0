"""Tape rules of the elementwise ops, reductions, activations and the plain matrix product.

Each mirrors its eager op in ``memograd.tensor`` operation by operation (same NumPy calls in
the same order, with ``out=``), so the replay rounds exactly as the eager step does.

Example:
    >>> from memograd.compile._rules import rules
    >>> {"relu", "softmax", "mean", "matmul"} <= set(rules())
    True
"""

from __future__ import annotations

from functools import partial

import numpy as np

from memograd.compile._rules import (
    Kernels,
    _contribute,
    _gemm,
    _relu_kernel,
    _sigmoid_kernels,
    register_rule,
)
from memograd.compile._tape import Kernel, TapeBuilder, Untraceable, unbroadcast_kernel
from memograd.tensor import Tensor


def _binary(node: Tensor, tape: TapeBuilder) -> tuple[Tensor, Tensor, np.ndarray, np.ndarray]:
    if len(node._parents) != 2:
        # `x + 3`: the eager node does not keep the number, so it cannot be replayed.
        raise Untraceable(f"{node.op!r} with a Python number operand")
    a, b = node._parents
    return a, b, tape.value(a), tape.value(b)


# ------------------------------------------------------------------ add / sub / mul / div
@register_rule("add")
def _add(node: Tensor, tape: TapeBuilder) -> Kernels:
    a, b, A, B = _binary(node, tape)
    Z = tape.output(node)
    fwd: list[Kernel] = [partial(np.add, A, B, Z)]
    bwd: list[Kernel] = []
    if tape.needs_grad(node):
        G = tape.adjoint(node)
        for parent in (a, b):
            if tape.needs_grad(parent):
                bwd += _contribute(tape, parent, lambda out: unbroadcast_kernel(G, out))
    return fwd, bwd


@register_rule("sub")
def _sub(node: Tensor, tape: TapeBuilder) -> Kernels:
    a, b, A, B = _binary(node, tape)
    Z = tape.output(node)
    fwd: list[Kernel] = [partial(np.subtract, A, B, Z)]
    bwd: list[Kernel] = []
    if tape.needs_grad(node):
        G = tape.adjoint(node)
        if tape.needs_grad(a):
            bwd += _contribute(tape, a, lambda out: unbroadcast_kernel(G, out))
        if tape.needs_grad(b):
            bwd += _contribute(tape, b, lambda out: unbroadcast_kernel(G, out, negate=True))
    return fwd, bwd


def _product_into(G: np.ndarray, other: np.ndarray, tape: TapeBuilder, out: np.ndarray) -> Kernel:
    """out ← unbroadcast(G · other) (the VJP of a product, summed to out's shape)."""
    if G.shape == out.shape:
        return partial(np.multiply, G, other, out)
    full = tape.like(G)
    reduce = unbroadcast_kernel(full, out)

    def kernel() -> None:
        np.multiply(G, other, out=full)
        reduce()

    return kernel


@register_rule("mul")
def _mul(node: Tensor, tape: TapeBuilder) -> Kernels:
    if len(node._parents) == 1:  # times a Python number, kept in the node
        (a,) = node._parents
        factor = node._prim.c  # type: ignore[union-attr]
        A, Z = tape.value(a), tape.output(node)
        fwd: list[Kernel] = [partial(np.multiply, A, factor, Z)]
        if not (tape.needs_grad(node) and tape.needs_grad(a)):
            return fwd, []
        G = tape.adjoint(node)
        return fwd, _contribute(tape, a, lambda out: partial(np.multiply, G, factor, out))
    a, b, A, B = _binary(node, tape)
    Z = tape.output(node)
    fwd = [partial(np.multiply, A, B, Z)]
    bwd: list[Kernel] = []
    if tape.needs_grad(node):
        G = tape.adjoint(node)
        if tape.needs_grad(a):
            bwd += _contribute(tape, a, lambda out: _product_into(G, B, tape, out))
        if tape.needs_grad(b):
            bwd += _contribute(tape, b, lambda out: _product_into(G, A, tape, out))
    return fwd, bwd


@register_rule("div")
def _div(node: Tensor, tape: TapeBuilder) -> Kernels:
    a, b, A, B = _binary(node, tape)
    Z = tape.output(node)
    fwd: list[Kernel] = [partial(np.divide, A, B, Z)]
    bwd: list[Kernel] = []
    if tape.needs_grad(node) and (tape.needs_grad(a) or tape.needs_grad(b)):
        G = tape.adjoint(node)
        ga = tape.like(Z)  # g / y, needed by both sides
        bwd.append(partial(np.divide, G, B, ga))
        if tape.needs_grad(a):
            bwd += _contribute(tape, a, lambda out: unbroadcast_kernel(ga, out))
        if tape.needs_grad(b):
            gb = tape.like(Z)

            def write(out: np.ndarray) -> Kernel:
                reduce = unbroadcast_kernel(gb, out)

                def kernel() -> None:
                    np.negative(ga, out=gb)  # -ga * x / y, in the eager order
                    np.multiply(gb, A, out=gb)
                    np.divide(gb, B, out=gb)
                    reduce()

                return kernel

            bwd += _contribute(tape, b, write)
    return fwd, bwd


@register_rule("neg")
def _neg(node: Tensor, tape: TapeBuilder) -> Kernels:
    (a,) = node._parents
    A, Z = tape.value(a), tape.output(node)
    fwd: list[Kernel] = [partial(np.negative, A, Z)]
    if not (tape.needs_grad(node) and tape.needs_grad(a)):
        return fwd, []
    G = tape.adjoint(node)
    return fwd, _contribute(tape, a, lambda out: partial(np.negative, G, out))


# ------------------------------------------------------------------------------ reductions
def _reduction(
    node: Tensor, tape: TapeBuilder
) -> tuple[Tensor, np.ndarray, np.ndarray, tuple[int, ...], np.ndarray]:
    (a,) = node._parents
    A = tape.value(a)
    kept = tuple(node._prim.kept)  # type: ignore[union-attr]  # reduced axes set to 1
    axes = tuple(i for i, n in enumerate(kept) if n == 1)  # length-1 extras are harmless
    Z = tape.output(node)
    return a, A, Z, axes, Z.reshape(kept)


@register_rule("sum")
def _sum(node: Tensor, tape: TapeBuilder) -> Kernels:
    a, A, _, axes, Z_kept = _reduction(node, tape)
    fwd: list[Kernel] = [partial(np.add.reduce, A, axis=axes, keepdims=True, out=Z_kept)]
    if not (tape.needs_grad(node) and tape.needs_grad(a)):
        return fwd, []
    spread = np.broadcast_to(tape.adjoint(node).reshape(Z_kept.shape), A.shape)
    return fwd, _contribute(tape, a, lambda out: partial(np.copyto, out, spread))


@register_rule("mean")
def _mean(node: Tensor, tape: TapeBuilder) -> Kernels:
    a, A, Z, axes, Z_kept = _reduction(node, tape)
    count = A.size // Z.size
    fwd: list[Kernel] = [  # np.mean's own steps: a sum, then a division by the count
        partial(np.add.reduce, A, axis=axes, keepdims=True, out=Z_kept),
        partial(np.divide, Z_kept, count, Z_kept),
    ]
    if not (tape.needs_grad(node) and tape.needs_grad(a)):
        return fwd, []
    spread = np.broadcast_to(tape.adjoint(node).reshape(Z_kept.shape), A.shape)
    factor = Z.size / A.size
    return fwd, _contribute(tape, a, lambda out: partial(np.multiply, spread, factor, out))


# ----------------------------------------------------------------------------- activations
def _unary(node: Tensor, tape: TapeBuilder) -> tuple[Tensor, np.ndarray, np.ndarray, bool]:
    (a,) = node._parents
    return a, tape.value(a), tape.output(node), tape.needs_grad(node) and tape.needs_grad(a)


@register_rule("relu")
def _relu(node: Tensor, tape: TapeBuilder) -> Kernels:
    a, A, Z, grad = _unary(node, tape)
    fwd: list[Kernel] = [_relu_kernel(tape, A, Z)]
    if not grad:
        return fwd, []
    G, mask = tape.adjoint(node), tape.like(Z, np.bool_)
    bwd: list[Kernel] = [partial(np.greater, Z, 0, mask)]
    return fwd, bwd + _contribute(tape, a, lambda out: partial(np.multiply, G, mask, out))


@register_rule("tanh")
def _tanh(node: Tensor, tape: TapeBuilder) -> Kernels:
    a, A, Z, grad = _unary(node, tape)
    fwd: list[Kernel] = [partial(np.tanh, A, Z)]
    if not grad:
        return fwd, []
    G, t = tape.adjoint(node), tape.like(Z)
    bwd: list[Kernel] = [partial(np.multiply, Z, Z, t), partial(np.subtract, 1.0, t, t)]
    return fwd, bwd + _contribute(tape, a, lambda out: partial(np.multiply, G, t, out))


@register_rule("sigmoid")
def _sigmoid(node: Tensor, tape: TapeBuilder) -> Kernels:
    a, A, Z, grad = _unary(node, tape)
    fwd = _sigmoid_kernels(tape, A, Z)
    if not grad:
        return fwd, []
    G, t, t2 = tape.adjoint(node), tape.like(Z), tape.like(Z)
    bwd: list[Kernel] = [partial(np.multiply, G, Z, t), partial(np.subtract, 1.0, Z, t2)]
    return fwd, bwd + _contribute(tape, a, lambda out: partial(np.multiply, t, t2, out))


@register_rule("leaky_relu")
def _leaky_relu(node: Tensor, tape: TapeBuilder) -> Kernels:
    a, A, Z, grad = _unary(node, tape)
    slope = float(node._prim.slope)  # type: ignore[union-attr]
    positive = tape.like(A, np.bool_)
    fwd: list[Kernel] = [
        partial(np.greater, A, 0, positive),
        partial(np.multiply, A, slope, Z),
        partial(np.copyto, Z, A, where=positive),
    ]
    if not grad:
        return fwd, []
    G, slopes = tape.adjoint(node), tape.like(Z)
    bwd: list[Kernel] = [
        partial(np.copyto, slopes, slope),
        partial(np.copyto, slopes, 1.0, where=positive),
    ]
    return fwd, bwd + _contribute(tape, a, lambda out: partial(np.multiply, G, slopes, out))


def _axis_shape(shape: tuple[int, ...], axis: int | None) -> tuple[int, ...]:
    # The eager op stores the axis non-negative, or None for a 0-d input (no axis to reduce).
    return tuple(1 if i == axis else n for i, n in enumerate(shape))


@register_rule("softmax")
def _softmax(node: Tensor, tape: TapeBuilder) -> Kernels:
    a, A, Z, grad = _unary(node, tape)
    axis = node._prim.axis  # type: ignore[union-attr]
    small = _axis_shape(A.shape, axis)
    mx, total, shifted = tape.alloc(small, A.dtype), tape.alloc(small, A.dtype), tape.like(A)
    fwd: list[Kernel] = [
        partial(np.maximum.reduce, A, axis=axis, keepdims=True, out=mx),
        partial(np.subtract, A, mx, shifted),
        partial(np.exp, shifted, shifted),
        partial(np.add.reduce, shifted, axis=axis, keepdims=True, out=total),
        partial(np.divide, shifted, total, Z),
    ]
    if not grad:
        return fwd, []
    G, gy, row = tape.adjoint(node), tape.like(Z), tape.alloc(small, Z.dtype)

    def write(out: np.ndarray) -> Kernel:
        def kernel() -> None:
            np.multiply(G, Z, out=gy)  # gy - y · Σ gy
            np.add.reduce(gy, axis=axis, keepdims=True, out=row)
            np.multiply(Z, row, out=out)
            np.subtract(gy, out, out=out)

        return kernel

    return fwd, _contribute(tape, a, write)


@register_rule("log_softmax")
def _log_softmax(node: Tensor, tape: TapeBuilder) -> Kernels:
    a, A, Z, grad = _unary(node, tape)
    axis = node._prim.axis  # type: ignore[union-attr]
    small = _axis_shape(A.shape, axis)
    mx, total, e = tape.alloc(small, A.dtype), tape.alloc(small, A.dtype), tape.like(A)
    fwd: list[Kernel] = [
        partial(np.maximum.reduce, A, axis=axis, keepdims=True, out=mx),
        partial(np.subtract, A, mx, Z),  # shifted, in the output buffer
        partial(np.exp, Z, e),
        partial(np.add.reduce, e, axis=axis, keepdims=True, out=total),
        partial(np.log, total, total),
        partial(np.subtract, Z, total, Z),
    ]
    if not grad:
        return fwd, []
    G, probs, row = tape.adjoint(node), tape.like(Z), tape.alloc(small, Z.dtype)

    def write(out: np.ndarray) -> Kernel:
        def kernel() -> None:
            np.exp(Z, out=probs)  # g - softmax · Σ g
            np.add.reduce(G, axis=axis, keepdims=True, out=row)
            np.multiply(probs, row, out=out)
            np.subtract(G, out, out=out)

        return kernel

    return fwd, _contribute(tape, a, write)


@register_rule("matmul")
def _matmul(node: Tensor, tape: TapeBuilder) -> Kernels:
    a, b, A, B = _binary(node, tape)
    if A.ndim != 2 or B.ndim != 2:
        raise Untraceable(f"matmul of shapes {A.shape} and {B.shape} (only 2-D is compiled)")
    Z = tape.output(node)
    fwd: list[Kernel] = [partial(_gemm, A, B, Z)]
    bwd: list[Kernel] = []
    if tape.needs_grad(node):
        G = tape.adjoint(node)
        if tape.needs_grad(a):
            BT = B.T
            bwd += _contribute(tape, a, lambda out: partial(_gemm, G, BT, out))
        if tape.needs_grad(b):
            AT = A.T
            bwd += _contribute(tape, b, lambda out: partial(_gemm, AT, G, out))
    return fwd, bwd
