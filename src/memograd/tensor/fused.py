"""Fused ops: a whole layer or a whole loss as ONE graph node, for speed.

`linear` computes ``activation(x @ weight + bias)`` and `cross_entropy` the mean softmax
cross-entropy of logits. Built from separate ops they would create three or five nodes each,
with as many Python round trips and saved arrays; fused, the forward is a few NumPy calls and
the VJP is the textbook formula:

    linear:         gz = g · act'(out);  dx = gz @ Wᵀ;  dW = xᵀ @ gz;  db = Σ_batch gz
    cross_entropy:  dlogits = (softmax(logits) − onehot(labels)) · g / B

Both are primitives like any other (`memograd.tensor._primitive`): the same definitions give
the eager op, its second derivatives (the VJP on Tensors) and the compiled step's kernels.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> from memograd.tensor.functional import cross_entropy, linear
    >>> rng = np.random.default_rng(0)
    >>> w = mg.Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    >>> x = mg.Tensor(rng.normal(size=(4, 2)))
    >>> loss = cross_entropy(linear(x, w, activation="relu"), np.array([0, 1, 2, 0]))
    >>> _ = loss.backward()
    >>> w.grad.shape
    (2, 3)
"""

from __future__ import annotations

from typing import Any

from .._errors import invalid_value
from ._backend import STAND_INS, xp
from ._node import constant, operand
from ._primitive import Primitive, apply, apply2, apply3, primitive
from ._tensor import Tensor
from .activations import stable_sigmoid
from .linalg import DOT_BELOW

ACTIVATIONS = (None, "relu", "tanh", "sigmoid")
"""Activations `linear` can fuse."""

Needs = tuple[bool, ...]


@primitive
class Linear(Primitive):
    """``activation(x @ w + b)`` as one node (w of shape (in, out); b present if `bias`)."""

    activation: str | None
    bias: bool
    name = "linear"

    def forward(self, xp: Any, x: Any, w: Any, *b: Any) -> Any:
        # dot or matmul as `product` would choose (inline: this runs once per layer and step)
        small = x.ndim == 2 and x.shape[0] * w.size < DOT_BELOW
        if self.bias and x.ndim == 2 and not small:
            z = xp.matmul_add(x, w, b[0])  # the bias as the product's epilogue: one BLAS call
        else:
            z = xp.dot(x, w) if small else xp.matmul(x, w)  # (..., out), fresh: ours to update
            if self.bias:
                z += b[0]
        act = self.activation
        if act == "relu":
            z = xp.maximum(z, 0, out=z)
        elif act == "tanh":
            z = xp.tanh(z, out=z)
        elif act == "sigmoid":
            z = stable_sigmoid(xp, z)
        return z

    def vjp(self, xp: Any, g: Any, x: Any, w: Any, *rest: Any, needs: Needs) -> tuple[Any, ...]:
        y = rest[-1]  # (rest: the bias if any, then the output)
        act = self.activation
        if act == "relu":
            # A product with the mask, not where(): no branches (benchmarks/op_spellings.py).
            gz = g * xp.greater(y, 0)
        elif act == "tanh":
            gz = g * (1.0 - y * y)
        elif act == "sigmoid":
            gz = g * y * (1.0 - y)
        else:
            gz = g
        n_in, n_out = w.shape
        # The three products have the same size (rows · in · out): one choice, as `product`
        mm = xp.dot if gz.size * n_in < DOT_BELOW else xp.matmul
        gx = None
        if needs[0]:  # (..., out) @ (out, in)
            gx = mm(gz, w.T) if gz.ndim == 2 else xp.matmul(gz, w.T)
        gw = gb = None
        if needs[1] or (self.bias and needs[2]):
            gz2 = gz if gz.ndim == 2 else gz.reshape(-1, n_out)  # (N, out)
            if needs[1]:
                x2 = x if x.ndim == 2 else x.reshape(-1, n_in)  # (N, in)
                gw = mm(x2.T, gz2)  # (in, out)
            if self.bias and needs[2]:
                # Σ over the batch as ones @ gz: BLAS, faster than sum(axis=0) (as above)
                gb = xp.dot(xp.ones(gz2.shape[0], gz2.dtype), gz2)  # (out,)
        return (gx, gw) if not self.bias else (gx, gw, gb)

    def jvp(self, xp: Any, tangents: Any, x: Any, w: Any, *rest: Any) -> Any:
        # z = x @ w + b is affine: tz = tx @ w + x @ tw + tb; then the activation's slope.
        y = rest[-1]
        tx, tw = tangents[0], tangents[1]
        tz: Any = 0.0
        if tx is not None:
            tz = tz + xp.matmul(tx, w)
        if tw is not None:
            tz = tz + xp.matmul(x, tw)
        if self.bias and tangents[2] is not None:
            tz = tz + tangents[2]
        act = self.activation
        if act == "relu":
            return tz * xp.greater(y, 0)
        if act == "tanh":
            return tz * (1.0 - y * y)
        if act == "sigmoid":
            return tz * y * (1.0 - y)
        return tz

    def saved(self, needs: Needs, operands: tuple[Any, ...]) -> tuple[Any, ...]:
        return (
            operands[0] if needs[1] else None,
            operands[1] if needs[0] else None,
            operands[-1] if self.activation is not None else None,
        )


_LINEAR = {(act, bias): Linear(act, bias) for act in ACTIVATIONS for bias in (False, True)}


def linear(
    x: Any, weight: Tensor, bias: Tensor | None = None, activation: str | None = None
) -> Tensor:
    """``activation(x @ weight + bias)`` as one node (weight shape (in, out), Keras layout).

    Args:
        x: inputs of shape (..., in); a Tensor or an array (then a constant).
        weight: a Tensor of shape (in, out).
        bias: None or a Tensor of shape (out,).
        activation: None, "relu", "tanh" or "sigmoid".

    Returns:
        A Tensor of shape (..., out).

    Example:
        >>> import memograd as mg
        >>> from memograd.tensor.functional import linear
        >>> w = mg.Tensor([[1.0, -1.0]], requires_grad=True)
        >>> linear(mg.Tensor([[2.0]]), w, activation="relu").data.tolist()
        [[2.0, 0.0]]
    """
    if not isinstance(weight, Tensor):
        raise TypeError(f"linear: `weight` must be a Tensor. Received: {type(weight).__name__}")
    if activation not in ACTIVATIONS:
        raise invalid_value("activation", f"one of {ACTIVATIONS}", activation)
    x = operand(weight, x, "linear")
    if weight.data.ndim != 2:
        raise ValueError(f"linear: `weight` must be 2-D (in, out). Received shape={weight.shape}")
    n_in, n_out = weight.data.shape
    if x.data.ndim == 0 or x.data.shape[-1] != n_in:
        raise ValueError(
            f"linear: shapes {x.shape} (x) and {weight.shape} (weight) are not aligned: "
            f"x's last dimension must be {n_in}"
        )
    if bias is None:
        return apply2(_LINEAR[activation, False], x, weight)
    bias = operand(weight, bias, "linear")
    if bias.data.shape != (n_out,):
        raise ValueError(
            f"linear: `bias` must have shape ({n_out},) to match weight {weight.shape}. "
            f"Received shape={bias.shape}"
        )
    return apply3(_LINEAR[activation, True], x, weight, bias)


def _labels(labels: Any, batch: int, classes: int) -> tuple[Any, Tensor | None]:
    """Integer labels (B,) as an intp array, or probability targets (B, C) as a Tensor."""
    arr = labels.data if isinstance(labels, Tensor) else labels
    if type(arr) not in STAND_INS:
        arr = xp.asarray(arr)
    if arr.ndim == 1:
        if arr.shape[0] != batch:
            raise ValueError(f"cross_entropy: got {batch} rows of logits but {arr.shape[0]} labels")
        if arr.dtype.kind not in "iu":
            as_int = arr.astype(xp.intp)
            if arr.dtype.kind not in "fb" or not xp.array_equal(as_int, arr):
                raise ValueError(
                    "cross_entropy: 1-D `labels` must be integer class indices. "
                    f"Received dtype {arr.dtype}"
                )
            arr = as_int
        return arr, None  # (their range is checked by the op's forward, every step)
    if arr.shape != (batch, classes):
        raise ValueError(
            f"cross_entropy: `labels` must be class indices of shape ({batch},) or "
            f"probabilities of shape ({batch}, {classes}). Received shape={arr.shape}"
        )
    return None, labels if isinstance(labels, Tensor) else constant(arr)


@primitive
class CrossEntropy(Primitive):
    """Mean softmax cross-entropy of logits (B, C) against integer labels (aux), one node.

    Residual: the probabilities; the VJP is (softmax − onehot) · g / B.
    """

    name = "cross_entropy"
    n_aux = 1
    residuals = 1

    def forward(self, xp: Any, x: Any, index: Any) -> Any:
        batch, classes = x.shape
        xp.check_labels(index, classes)
        # Row maxima from the transposed copy: a reduction down the rows is vectorized, one
        # along a few columns per row is not (exact either way; benchmarks/op_spellings.py).
        shifted = x - xp.ascontiguousarray(x.T).max(axis=0)[:, None]  # (B, C), max 0
        e = xp.exp(shifted)
        # Row sums as e @ ones (BLAS gemv), faster than sum(axis=1) over a few classes.
        total = xp.dot(e, xp.ones(classes, e.dtype))[:, None]  # (B, 1)
        picked = xp.pick(shifted, index) - xp.log(total[:, 0])  # (B,) log-probabilities
        loss = picked.sum() / -batch  # = -(Σ)/B, rounded as one division
        return loss, e / total

    def vjp(
        self, xp: Any, g: Any, x: Any, y: Any, index: Any, probs: Any, *, needs: Needs
    ) -> tuple[Any, ...]:
        scale = g / x.shape[0]
        return (xp.pick_subtract(probs * scale, index, scale),)  # (B, C)

    def jvp(self, xp: Any, tangents: Any, x: Any, y: Any, index: Any, probs: Any) -> Any:
        t = tangents[0]  # d(logsumexp − x[label]) = Σ softmax·t − t[label], averaged
        return ((probs * t).sum(axis=1) - xp.pick(t, index)).sum() / x.shape[0]


@primitive
class CrossEntropySoft(Primitive):
    """Mean cross-entropy of logits (B, C) against probability rows (B, C), one node.

    Residuals: the probabilities and the log-probabilities.
    """

    name = "cross_entropy"
    residuals = 2
    scalar = True  # forward mode: the JVP is ⟨VJP(1), t⟩ for logits and targets

    def forward(self, xp: Any, x: Any, p: Any) -> Any:
        batch, classes = x.shape
        shifted = x - xp.ascontiguousarray(x.T).max(axis=0)[:, None]  # (B, C)
        e = xp.exp(shifted)
        total = xp.dot(e, xp.ones(classes, e.dtype))[:, None]  # (B, 1)
        logp = shifted - xp.log(total)  # (B, C)
        loss = (p * logp).sum() / -batch
        return loss, e / total, logp

    def vjp(
        self, xp: Any, g: Any, x: Any, p: Any, y: Any, probs: Any, logp: Any, *, needs: Needs
    ) -> tuple[Any, ...]:
        scale = g / x.shape[0]
        gl = (probs * p.sum(axis=1, keepdims=True) - p) * scale if needs[0] else None
        gt = -logp * scale if needs[1] else None
        return gl, gt

    def saved(self, needs: Needs, operands: tuple[Any, ...]) -> tuple[Any, ...]:
        return (operands[1],)  # the targets


CROSS_ENTROPY, CROSS_ENTROPY_SOFT = CrossEntropy(), CrossEntropySoft()


def _as_rows(logits: Tensor, labels: Any) -> tuple[Tensor, Any]:
    """PyTorch's other layouts as (B, C) rows: unbatched logits (C,) with a class index or a
    (C,) target; (N, C, d1, ..., dk) with (N, d1, ..., dk) indices or (N, C, d1, ..., dk)
    targets, one row per position (so the mean runs over N·d1···dk, as torch's)."""
    keep = isinstance(labels, Tensor) or type(labels) in STAND_INS
    lab = labels if keep else xp.asarray(labels)
    shape, nd = logits.shape, logits.data.ndim
    if nd == 1:
        if lab.ndim != 0 and tuple(lab.shape) != shape:
            raise ValueError(
                f"cross_entropy: for logits of shape {shape}, `labels` must be one class index "
                f"or a target of shape {shape}. Received shape={lab.shape}"
            )
        return logits.reshape(1, -1), lab.reshape(1, -1) if lab.ndim else lab.reshape(1)
    order = (0, *range(2, nd), 1)  # the class axis last
    rows = logits.transpose(*order).reshape(-1, shape[1])
    if tuple(lab.shape) == shape:
        return rows, lab.transpose(*order).reshape(-1, shape[1])
    if tuple(lab.shape) == (shape[0], *shape[2:]):
        return rows, lab.reshape(-1)
    raise ValueError(
        f"cross_entropy: for logits of shape {shape} (N, C, d1, ...), `labels` must be class "
        f"indices of shape {(shape[0], *shape[2:])} or targets of shape {shape}. "
        f"Received shape={tuple(lab.shape)}"
    )


def cross_entropy(logits: Tensor, labels: Any) -> Tensor:
    """Mean softmax cross-entropy of `logits` (B, C) against `labels`, as one node.

    Args:
        logits: a Tensor of shape (B, C), unnormalized scores; also, as PyTorch, (C,) (one
            sample) or (N, C, d1, ..., dk) (a score per class at every position).
        labels: class indices of shape (B,) (ints, or integral floats), or target
            probabilities / one-hot rows of shape (B, C) (a Tensor target that requires grad
            gets a gradient too); for the other layouts, indices without the class axis or
            targets of the logits' shape.

    Returns:
        A 0-d Tensor: ``-(1/B) Σ_b Σ_c target[b, c] · log_softmax(logits)[b, c]``.

    Example:
        >>> import memograd as mg
        >>> from memograd.tensor.functional import cross_entropy
        >>> round(cross_entropy(mg.Tensor([[0.0, 0.0]]), [1]).item(), 4)
        0.6931
    """
    if not isinstance(logits, Tensor):
        raise TypeError(
            f"cross_entropy: `logits` must be a Tensor. Received: {type(logits).__name__}"
        )
    if logits.data.ndim == 1 or logits.data.ndim >= 3:
        logits, labels = _as_rows(logits, labels)
    if logits.data.ndim != 2 or logits.data.shape[0] == 0:
        raise ValueError(
            f"cross_entropy: `logits` must have shape (batch, classes) with batch >= 1. "
            f"Received shape={logits.shape}"
        )
    batch, classes = logits.data.shape
    index, target = _labels(labels, batch, classes)
    if target is not None:
        target = operand(logits, target, "cross_entropy")
    if target is None:
        return apply(CROSS_ENTROPY, (logits,), (index,))
    return apply(CROSS_ENTROPY_SOFT, (logits, target))


__all__ = ["ACTIVATIONS", "CrossEntropy", "CrossEntropySoft", "Linear", "cross_entropy", "linear"]
