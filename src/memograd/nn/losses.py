"""Losses by name: mean squared error, binary and categorical cross-entropy from logits.

A loss is called as `loss(outputs, targets) -> scalar Tensor`, where `outputs` is the model's
output Tensor and `targets` a NumPy array. Both cross-entropies take *logits* (the last Dense
layer without activation): combining the softmax/sigmoid with the log inside the loss is what
keeps it finite for confident wrong predictions. `prepare_targets` checks and converts labels
once at the boundary of `fit`/`evaluate`, so the training step does no checking.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> logits = mg.Tensor(np.array([[2.0, 0.0], [0.0, 2.0]]))
    >>> round(float(get("cross_entropy")(logits, np.array([0, 1])).data), 4)
    0.1269
"""

from __future__ import annotations

from typing import Any

import numpy as np

from memograd.data import check_labels
from memograd.nn._checks import instance
from memograd.tensor import Primitive, Tensor
from memograd.tensor import functional as F
from memograd.tensor._primitive import apply, primitive
from memograd.tensor.activations import stable_sigmoid


def mse(outputs: Tensor, targets: np.ndarray) -> Tensor:
    """Mean over all entries of (outputs − targets)²; `targets` has the outputs' shape."""
    diff = outputs - targets  # (B, K)
    return (diff * diff).mean()


@primitive
class BinaryCrossEntropyLogits(Primitive):
    """Mean of −[y·log σ(z) + (1 − y)·log(1 − σ(z))] from logits z, targets y (aux), one node.

    The forward uses max(z, 0) − z·y + log(1 + exp(−|z|)), which never exponentiates a large
    positive number; the residual is σ(z), and the VJP (σ(z) − y) / N is exact at z = 0 too
    (composing relu and abs would give a subgradient there).
    """

    name = "bce_logits"
    n_aux = 1
    residuals = 1

    def forward(self, xp: Any, z: Any, y: Any) -> Any:
        terms = xp.maximum(z, 0) - z * y + xp.log1p(xp.exp(-xp.abs(z)))  # (B, 1)
        return terms.mean(), stable_sigmoid(xp, z)

    def vjp(
        self, xp: Any, g: Any, z: Any, out: Any, y: Any, sig: Any, *, needs: tuple[bool, ...]
    ) -> tuple[Any, ...]:
        return ((sig - y) * (g / y.size),)


BCE_LOGITS = BinaryCrossEntropyLogits()


def binary_cross_entropy(logits: Tensor, targets: np.ndarray) -> Tensor:
    """Mean of −[y·log σ(z) + (1 − y)·log(1 − σ(z))], computed stably from logits z (one
    node, `BinaryCrossEntropyLogits`)."""
    z = logits.data
    y = targets if getattr(targets, "dtype", None) == z.dtype else np.asarray(targets, z.dtype)
    if y.shape != z.shape:
        raise ValueError(
            f"binary_cross_entropy: targets of shape {y.shape} do not match logits of shape "
            f"{z.shape}."
        )
    return apply(BCE_LOGITS, (logits,), (y,))


def cross_entropy(logits: Tensor, targets: np.ndarray) -> Tensor:
    """Mean of −log softmax(logits)[label]: integer labels (B,) or one-hot/soft rows (B, C).

    One fused node (log-softmax, pick and mean; its VJP is softmax − one_hot).
    """
    return F.cross_entropy(logits, targets)


class Loss:
    """A named loss with its target conventions.

    Attributes:
        name: the registry name, stored in model files.
        from_logits: whether outputs are logits (accuracy then thresholds a single output
            at 0 instead of 0.5).
    """

    name = "loss"
    from_logits = False

    def __call__(self, outputs: Tensor, targets: np.ndarray) -> Tensor:
        raise NotImplementedError

    def check_units(self, units: int) -> None:
        """Raise ValueError if a model with `units` outputs cannot use this loss."""

    def prepare_targets(self, y: np.ndarray, units: int, dtype: np.dtype[Any]) -> np.ndarray:
        """Check `y` against a model with `units` outputs and convert it for `__call__`."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MeanSquaredError(Loss):
    """`mse`: targets of shape (n,) for one output or (n, units)."""

    name = "mse"

    def __call__(self, outputs: Tensor, targets: np.ndarray) -> Tensor:
        return mse(outputs, targets)

    def prepare_targets(self, y: np.ndarray, units: int, dtype: np.dtype[Any]) -> np.ndarray:
        y = np.asarray(y)
        if y.ndim == 1 and units == 1:
            y = y[:, None]  # (n, 1)
        if y.ndim != 2 or y.shape[1] != units:
            raise ValueError(
                f"Loss 'mse' needs targets of shape (n_samples, {units}) for a model with "
                f"{units} output(s). Received: y with shape {y.shape}"
            )
        return y.astype(dtype, copy=False)


class BinaryCrossEntropy(Loss):
    """`binary_cross_entropy` from logits: one output unit, targets 0/1 (or probabilities)."""

    name = "binary_cross_entropy"
    from_logits = True

    def __call__(self, outputs: Tensor, targets: np.ndarray) -> Tensor:
        return binary_cross_entropy(outputs, targets)

    def check_units(self, units: int) -> None:
        if units != 1:
            raise ValueError(
                "Loss 'binary_cross_entropy' needs a model with 1 output unit (one logit); "
                f"the model has {units}. Use 'cross_entropy' for several classes."
            )

    def prepare_targets(self, y: np.ndarray, units: int, dtype: np.dtype[Any]) -> np.ndarray:
        self.check_units(units)
        y = np.asarray(y)
        if y.dtype.kind == "f" and y.size and not np.isin(y, (0.0, 1.0)).all():
            column = y.reshape(-1) if y.ndim == 1 or y.shape[1:] == (1,) else None
            if column is None or column.min() < 0.0 or column.max() > 1.0:
                raise ValueError(
                    "Loss 'binary_cross_entropy' needs targets that are 0/1 labels or "
                    f"probabilities in [0, 1], one per sample. Received: y with shape {y.shape}"
                )
            return column.astype(dtype)[:, None]  # (n, 1)
        return check_labels(y, 1).astype(dtype)[:, None]  # (n, 1)


class CrossEntropy(Loss):
    """`cross_entropy` from logits: integer labels or one-hot rows; at least 2 outputs."""

    name = "cross_entropy"
    from_logits = True

    def __call__(self, outputs: Tensor, targets: np.ndarray) -> Tensor:
        return cross_entropy(outputs, targets)

    def check_units(self, units: int) -> None:
        if units < 2:
            raise ValueError(
                "Loss 'cross_entropy' needs a model with one output unit per class (at least "
                f"2); the model has {units}. Use 'binary_cross_entropy' with 1 output unit."
            )

    def prepare_targets(self, y: np.ndarray, units: int, dtype: np.dtype[Any]) -> np.ndarray:
        self.check_units(units)
        return check_labels(y, units)  # (n,) int64; one-hot rows become indices


_REGISTRY: dict[str, type[Loss]] = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "binary_cross_entropy": BinaryCrossEntropy,
    "binary_crossentropy": BinaryCrossEntropy,
    "bce": BinaryCrossEntropy,
    "cross_entropy": CrossEntropy,
    "categorical_crossentropy": CrossEntropy,
    "sparse_categorical_crossentropy": CrossEntropy,
}


def get(identifier: str | Loss) -> Loss:
    """The loss called `identifier` (a Loss instance is returned as is).

    Raises:
        ValueError: for an unknown name; the message lists the valid names.
    """
    expected = "a name such as 'cross_entropy' or a memograd.nn.losses.Loss"
    return instance("loss", identifier, Loss, _REGISTRY, expected)


def names() -> list[str]:
    """Every registered loss name (aliases included)."""
    return sorted(_REGISTRY)
