"""Tape rules: for each op, its forward and backward kernels over preallocated buffers.

A rule is registered under the op's name (``Tensor.op``) and called once per node at trace
time: ``rule(node, tape) -> (forward kernels, backward kernels)``. It reads the node's parents
and its non-array facts (``_ctx``: activation, axes, factors) and emits kernels that redo the
op's forward and its VJP with ``out=`` into buffers from the `TapeBuilder`. Each rule repeats
the arithmetic of the eager op call for call (``memograd.tensor``), so a replayed step equals
the eager one bit for bit; the tracer checks it on the first step of every trace.

An op without a rule (or a form a rule cannot replay, such as ``x + 3`` whose constant is not
stored in the node) makes the step untraceable: training falls back to the eager step.

Example:
    >>> sorted(rules())[:4]
    ['add', 'bce_logits', 'cross_entropy', 'div']
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from memograd.compile._tape import Kernel, TapeBuilder, Untraceable
from memograd.tensor import Tensor

Kernels = tuple[list[Kernel], list[Kernel]]
Rule = Callable[[Tensor, TapeBuilder], Kernels]

_RULES: dict[str, Rule] = {}

# Matrix products through np.dot: for 2-D float operands it makes the same BLAS call as
# np.matmul (same results, bit for bit) with half a microsecond less dispatch per call.
_gemm = np.dot


def register_rule(op: str) -> Callable[[Rule], Rule]:
    """Register the decorated function as the tape rule of the op called `op`."""

    def decorator(rule: Rule) -> Rule:
        _RULES[op] = rule
        return rule

    return decorator


def rules() -> dict[str, Rule]:
    """Every registered rule by op name (a copy)."""
    return dict(_RULES)


def rule_for(node: Tensor) -> Rule:
    """The rule of `node`'s op, or Untraceable naming the op."""
    rule = _RULES.get(node.op)
    if rule is None:
        raise Untraceable(f"the op {node.op!r} has no tape rule")
    return rule


def _contribute(
    tape: TapeBuilder, parent: Tensor, write: Callable[[np.ndarray], Kernel]
) -> list[Kernel]:
    """Kernels writing one gradient contribution to `parent` (with the accumulate step)."""
    out, after = tape.grad_out(parent)
    return [write(out), *after]


# ------------------------------------------------------------------------------ fused ops
@register_rule("linear")
def _linear(node: Tensor, tape: TapeBuilder) -> Kernels:
    parents = node._parents
    x, w = parents[0], parents[1]
    b = parents[2] if len(parents) == 3 else None
    act = node._prim.activation  # type: ignore[union-attr]
    X, W = tape.value(x), tape.value(w)
    if X.ndim != 2:
        raise Untraceable(f"linear on inputs of shape {X.shape} (only 2-D is compiled)")
    Z = tape.output(node)  # (B, out)
    fwd: list[Kernel] = [partial(_gemm, X, W, Z)]
    if b is not None:
        fwd.append(partial(np.add, Z, tape.value(b), Z))
    if act == "relu":
        fwd.append(_relu_kernel(tape, Z, Z))
    elif act == "tanh":
        fwd.append(partial(np.tanh, Z, Z))
    elif act == "sigmoid":
        fwd += _sigmoid_kernels(tape, Z, Z)
    elif act is not None:
        raise Untraceable(f"linear with activation {act!r}")
    if not tape.needs_grad(node):
        return fwd, []
    G = tape.adjoint(node)  # (B, out); this node's own buffer, so updated in place
    bwd: list[Kernel] = []
    if act == "relu":
        mask = tape.like(Z, np.bool_)
        bwd += [partial(np.greater, Z, 0, mask), partial(np.multiply, G, mask, G)]
    elif act == "tanh":
        t = tape.like(Z)
        bwd += [
            partial(np.multiply, Z, Z, t),
            partial(np.subtract, 1.0, t, t),
            partial(np.multiply, G, t, G),
        ]
    elif act == "sigmoid":
        t, t2 = tape.like(Z), tape.like(Z)
        bwd += [
            partial(np.multiply, G, Z, t),
            partial(np.subtract, 1.0, Z, t2),
            partial(np.multiply, t, t2, G),
        ]
    if tape.needs_grad(x):
        WT = W.T  # a view of the live weights: stays current as they are updated in place
        bwd += _contribute(tape, x, lambda out: partial(_gemm, G, WT, out))
    if tape.needs_grad(w):
        XT = X.T
        bwd += _contribute(tape, w, lambda out: partial(_gemm, XT, G, out))
    if b is not None and tape.needs_grad(b):
        ones = tape.alloc((G.shape[0],), G.dtype)  # Σ over the batch as ones @ G, as eager
        ones[...] = 1
        bwd += _contribute(tape, b, lambda out: partial(_gemm, ones, G, out))
    return fwd, bwd


def _relu_kernel(tape: TapeBuilder, x: np.ndarray, out: np.ndarray) -> Kernel:
    """max(x, 0) against an array of zeros: NumPy vectorizes that, not max with a scalar
    (3-4x faster from 128x128 up; a maximum is exact, so the values are the eager ones)."""
    return partial(np.maximum, x, tape.zeros(x.shape, x.dtype), out=out)


def _sigmoid_kernels(tape: TapeBuilder, x: np.ndarray, out: np.ndarray) -> list[Kernel]:
    """σ(x) = where(x >= 0, 1, e) / (1 + e) with e = exp(-|x|), as the eager ops do it."""
    e, num, positive = tape.like(x), tape.like(x), tape.like(x, np.bool_)
    return [
        partial(np.abs, x, e),
        partial(np.negative, e, e),
        partial(np.exp, e, e),
        partial(np.greater_equal, x, 0, positive),
        partial(np.copyto, num, e),
        partial(np.copyto, num, 1.0, where=positive),
        partial(np.add, e, 1.0, e),
        partial(np.divide, num, e, out),
    ]


def _softmax_parts(
    tape: TapeBuilder, x: np.ndarray
) -> tuple[list[Kernel], np.ndarray, np.ndarray, np.ndarray]:
    """Kernels for shifted = x − max, e = exp(shifted), total = Σ e (axis 1, kept)."""
    batch = x.shape[0]
    mx, total = tape.alloc((batch, 1), x.dtype), tape.alloc((batch, 1), x.dtype)
    shifted, e = tape.like(x), tape.like(x)
    # The row maxima from a transposed copy: a reduction over rows is vectorized, one over
    # a few columns per row is not (2-3x faster for 2-10 classes; a maximum is exact, so the
    # result is the eager one whatever the order).
    xt = tape.alloc((x.shape[1], batch), x.dtype)
    ones = tape.alloc((x.shape[1],), x.dtype)
    ones[...] = 1
    kernels: list[Kernel] = [
        partial(np.copyto, xt, x.T),
        partial(np.maximum.reduce, xt, 0, None, mx.reshape(batch)),
        partial(np.subtract, x, mx, shifted),
        partial(np.exp, shifted, e),
        partial(_gemm, e, ones, total.reshape(batch)),  # row sums, as eager: e @ ones
    ]
    return kernels, shifted, e, total


@register_rule("cross_entropy")
def _cross_entropy(node: Tensor, tape: TapeBuilder) -> Kernels:
    logits = node._parents[0]
    target = node._parents[1] if len(node._parents) == 2 else None
    x = tape.value(logits)
    batch, classes = x.shape
    loss = tape.output(node)  # 0-d
    fwd, shifted, e, total = _softmax_parts(tape, x)
    log_total = tape.like(total)
    fwd.append(partial(np.log, total, log_total))
    partial_sum = tape.alloc((), x.dtype)
    if target is None:
        index = node._saved[0] if node._saved else None
        labels = tape.labels
        if index is not labels:
            raise Untraceable("cross_entropy labels were converted inside the step")
        flat = tape.alloc((batch,), np.intp)  # row * classes + label: positions in x
        row_starts = np.arange(batch, dtype=np.intp) * classes
        picked = tape.alloc((batch,), x.dtype)  # log-probabilities of the labels only
        fwd += [
            _label_check(labels, classes),
            partial(np.add, row_starts, labels, flat),
            # the method with mode "clip": 6x faster than np.take(out=); labels are checked
            partial(shifted.reshape(-1).take, flat, None, picked, "clip"),
            partial(np.subtract, picked, log_total.reshape(batch), picked),
            partial(np.add.reduce, picked, None, None, partial_sum),
        ]
    else:
        if tape.needs_grad(target):
            raise Untraceable("cross_entropy with a target that needs a gradient")
        p = tape.value(target)
        logp = tape.like(x)
        fwd += [
            partial(np.subtract, shifted, log_total, logp),
            partial(np.multiply, p, logp, logp),
            partial(np.add.reduce, logp, None, None, partial_sum),
        ]
    fwd.append(partial(np.divide, partial_sum, -batch, loss))  # -(Σ)/B, rounded as one
    if not tape.needs_grad(node) or not tape.needs_grad(logits):
        return fwd, []
    scale, bwd = _scaled_adjoint(tape, node, batch)
    out, after = tape.grad_out(logits)
    bwd.append(partial(np.divide, e, total, out))  # softmax
    if target is None:
        out_flat = out.reshape(-1)

        def minus_onehot() -> None:
            out_flat[flat] -= scale  # (softmax - onehot) · g / B, as the eager VJP rounds it

        bwd += [partial(np.multiply, out, scale, out), minus_onehot]
    else:
        row_mass = tape.alloc((batch, 1), x.dtype)
        bwd += [
            partial(np.add.reduce, p, axis=1, keepdims=True, out=row_mass),
            partial(np.multiply, out, row_mass, out),
            partial(np.subtract, out, p, out),
            partial(np.multiply, out, scale, out),
        ]
    return fwd, bwd + after


def _label_check(labels: np.ndarray, classes: int) -> Kernel:
    """A kernel raising the eager op's ValueError when a label is outside [0, classes)."""
    # One reduction checks both ends: negative labels viewed as unsigned are huge.
    unsigned = labels.view(f"u{labels.dtype.itemsize}")
    largest = np.maximum.reduce

    def check() -> None:
        if largest(unsigned) >= classes:
            raise ValueError(
                f"cross_entropy: labels must lie in [0, {classes}). "
                f"Received values from {labels.min()} to {labels.max()}"
            )

    return check


def _scaled_adjoint(tape: TapeBuilder, node: Tensor, n: int) -> tuple[np.ndarray, list[Kernel]]:
    """A 0-d buffer holding g / n, and the kernels keeping it current.

    For the loss itself g is the seed (1), so the value is computed once, here.
    """
    G = tape.adjoint(node)
    scale = tape.alloc((), G.dtype)
    if tape.is_root(node):
        np.divide(G, n, out=scale)
        return scale, []
    return scale, [partial(np.divide, G, n, scale)]


@register_rule("bce_logits")
def _bce_logits(node: Tensor, tape: TapeBuilder) -> Kernels:
    logits = node._parents[0]
    z = tape.value(logits)
    y = node._saved[0]  # type: ignore[index]
    if y is not tape.labels:
        raise Untraceable("binary_cross_entropy targets were converted inside the step")
    loss = tape.output(node)
    t1, t2, e, log_term = tape.like(z), tape.like(z), tape.like(z), tape.like(z)
    fwd: list[Kernel] = [
        partial(np.maximum, z, 0, out=t1),
        partial(np.multiply, z, y, t2),
        partial(np.subtract, t1, t2, t1),
        partial(np.abs, z, e),
        partial(np.negative, e, e),
        partial(np.exp, e, e),
        partial(np.log1p, e, log_term),
        partial(np.add, t1, log_term, t1),
        partial(np.add.reduce, t1, axis=None, out=loss),  # the mean: a sum, then / n
        partial(np.divide, loss, t1.size, loss),
    ]
    if not tape.needs_grad(logits):
        return fwd, []
    scale, bwd = _scaled_adjoint(tape, node, y.size)
    sig, positive, den = tape.like(z), tape.like(z, np.bool_), tape.like(z)
    bwd += [
        partial(np.greater_equal, z, 0, positive),
        partial(np.copyto, sig, e),
        partial(np.copyto, sig, 1.0, where=positive),
        partial(np.add, e, 1.0, den),
        partial(np.divide, sig, den, sig),
    ]

    def write(out: np.ndarray) -> Kernel:
        def kernel() -> None:
            np.subtract(sig, y, out=out)
            np.multiply(out, scale, out=out)

        return kernel

    return fwd, bwd + _contribute(tape, logits, write)


__all__ = ["Rule", "register_rule", "rule_for", "rules"]

# Elementwise, reduction and activation rules register themselves on import.
from memograd.compile import _rules_basic  # noqa: E402, F401
