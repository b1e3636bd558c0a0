"""Losses by name: mse, mae, huber, binary and categorical cross-entropy from logits.

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

from memograd._errors import invalid_value
from memograd.data import check_labels
from memograd.nn._checks import instance, non_negative_float
from memograd.tensor import Primitive, Tensor
from memograd.tensor import functional as F
from memograd.tensor._primitive import apply, primitive
from memograd.tensor.activations import stable_sigmoid


def mse(outputs: Tensor, targets: np.ndarray) -> Tensor:
    """Mean over all entries of (outputs − targets)²; `targets` has the outputs' shape."""
    diff = outputs - targets  # (B, K)
    return (diff * diff).mean()


@primitive
class MeanAbsoluteError(Primitive):
    """Mean of |z − y| over all entries, targets y (aux); the gradient at z = y is 0 (as
    PyTorch's L1Loss)."""

    name = "mae"
    n_aux = 1
    scalar = True  # forward mode: the JVP is ⟨VJP(1), t⟩
    saves = (0,)

    def forward(self, xp: Any, z: Any, y: Any) -> Any:
        return xp.abs(z - y).mean()

    def vjp(
        self, xp: Any, g: Any, z: Any, out: Any, y: Any, *, needs: tuple[bool, ...]
    ) -> tuple[Any, ...]:
        return (xp.sign(z - y) * (g / y.size),)


@primitive
class HuberLoss(Primitive):
    """Mean over all entries of ½d² where |d| ≤ δ and δ(|d| − ½δ) elsewhere, d = z − y.

    Written with q = min(|d|, δ) as q·(|d| − ½q), one expression for both pieces; the
    gradient is clip(d, −δ, δ) / N (PyTorch's HuberLoss and Keras's Huber).
    """

    delta: float
    name = "huber"
    n_aux = 1
    scalar = True  # forward mode: the JVP is ⟨VJP(1), t⟩
    saves = (0,)

    def forward(self, xp: Any, z: Any, y: Any) -> Any:
        a = xp.abs(z - y)
        q = xp.clip(a, 0.0, self.delta)
        return (q * (a - 0.5 * q)).mean()

    def vjp(
        self, xp: Any, g: Any, z: Any, out: Any, y: Any, *, needs: tuple[bool, ...]
    ) -> tuple[Any, ...]:
        return (xp.clip(z - y, -self.delta, self.delta) * (g / y.size),)


def _as_targets(outputs: Tensor, targets: np.ndarray, loss: str) -> np.ndarray:
    z = outputs.data
    y = targets if getattr(targets, "dtype", None) == z.dtype else np.asarray(targets, z.dtype)
    if y.shape != z.shape:
        raise ValueError(
            f"{loss}: targets of shape {y.shape} do not match outputs of shape {z.shape}."
        )
    return y


def mae(outputs: Tensor, targets: np.ndarray) -> Tensor:
    """Mean over all entries of |outputs − targets| (one node, `MeanAbsoluteError`)."""
    return apply(MeanAbsoluteError(), (outputs,), (_as_targets(outputs, targets, "mae"),))


def huber(outputs: Tensor, targets: np.ndarray, delta: float = 1.0) -> Tensor:
    """Mean Huber loss with threshold `delta` (one node, `HuberLoss`)."""
    y = _as_targets(outputs, targets, "huber")
    return apply(HuberLoss(float(delta)), (outputs,), (y,))


@primitive
class BinaryCrossEntropyLogits(Primitive):
    """Mean of −[y·log σ(z) + (1 − y)·log(1 − σ(z))] from logits z, targets y (aux), one node.

    The forward uses max(z, 0) − z·y + log(1 + exp(−|z|)), which never exponentiates a large
    positive number; the residual is σ(z), and the VJP (σ(z) − y) / N is exact at z = 0 too
    (composing relu and abs would give a subgradient there).
    """

    name = "bce_logits"
    n_aux = 1
    scalar = True  # forward mode: the JVP is ⟨VJP(1), t⟩
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

    def weight_targets(
        self,
        targets: np.ndarray,
        class_weight: dict[int, float],
        units: int,
        dtype: np.dtype[Any],
    ) -> np.ndarray:
        """Targets of `prepare_targets` with each sample's loss scaled by its class's weight
        (`fit(class_weight=...)`); only the classification losses support it."""
        raise ValueError(
            f"`class_weight` needs a classification loss ('cross_entropy'); the model's loss is "
            f"{self.name!r}."
        )

    def get_config(self) -> dict[str, Any]:
        """The loss's hyperparameters (saved with the compile settings)."""
        return {}

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


class MeanAbsoluteErrorLoss(MeanSquaredError):
    """`mae`: mean absolute error, targets as for `mse`."""

    name = "mae"

    def __call__(self, outputs: Tensor, targets: np.ndarray) -> Tensor:
        return mae(outputs, targets)


class Huber(MeanSquaredError):
    """`huber`: quadratic within `delta` of the target, linear beyond (targets as for `mse`).

    Args:
        delta: the threshold (1.0, as PyTorch and Keras).
    """

    name = "huber"

    def __init__(self, delta: float = 1.0) -> None:
        if isinstance(delta, bool) or not isinstance(delta, int | float) or not delta > 0:
            raise invalid_value("delta", "a positive number", delta)
        self.delta = float(delta)

    def __call__(self, outputs: Tensor, targets: np.ndarray) -> Tensor:
        return huber(outputs, targets, self.delta)

    def get_config(self) -> dict[str, Any]:
        return {"delta": self.delta}

    def __repr__(self) -> str:
        return f"Huber(delta={self.delta})"


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
    """`cross_entropy` from logits: integer labels or one-hot rows; at least 2 outputs.

    Args:
        label_smoothing: ε in [0, 1): the targets become (1 − ε)·one_hot + ε / classes
            (PyTorch's `label_smoothing`, Keras's too).

    Smoothed or class-weighted targets are prepared once as rows of probabilities (n, classes),
    so the step is the same fused soft-target cross-entropy node.
    """

    name = "cross_entropy"
    from_logits = True
    label_smoothing = 0.0  # (a subclass may skip __init__)

    def __init__(self, label_smoothing: float = 0.0) -> None:
        self.label_smoothing = non_negative_float("label_smoothing", label_smoothing, upper=1.0)

    def __call__(self, outputs: Tensor, targets: np.ndarray) -> Tensor:
        return cross_entropy(outputs, targets)

    def _rows(self, labels: np.ndarray, units: int, dtype: np.dtype[Any]) -> np.ndarray:
        eps = self.label_smoothing
        rows = np.full((labels.shape[0], units), eps / units, dtype=dtype)  # (n, C)
        rows[np.arange(labels.shape[0]), labels] += 1.0 - eps
        return rows

    def weight_targets(
        self,
        targets: np.ndarray,
        class_weight: dict[int, float],
        units: int,
        dtype: np.dtype[Any],
    ) -> np.ndarray:
        """Rows scaled by the weight of each sample's class: the step's mean then is Keras's
        mean of w[y]·loss (PyTorch's ``CrossEntropyLoss(weight=w, reduction="none").mean()``)."""
        weights = np.ones(units)
        for label, weight in class_weight.items():
            if isinstance(label, bool) or not isinstance(label, int | np.integer):
                raise invalid_value("class_weight", "a dict {class index: weight}", class_weight)
            if not 0 <= label < units:
                raise ValueError(
                    f"Received an invalid value for `class_weight`, expected class indices in "
                    f"[0, {units}). Received: class_weight={class_weight!r}"
                )
            if isinstance(weight, bool) or not isinstance(weight, int | float | np.floating):
                raise invalid_value("class_weight", "positive numbers as weights", class_weight)
            if not (weight > 0 and np.isfinite(weight)):
                raise invalid_value("class_weight", "positive numbers as weights", class_weight)
            weights[int(label)] = float(weight)
        if targets.ndim == 1:
            labels = targets
            targets = self._rows(targets, units, dtype)
        else:
            labels = targets.argmax(axis=1)
        return (targets * weights[labels][:, None]).astype(dtype)

    def get_config(self) -> dict[str, Any]:
        return {"label_smoothing": self.label_smoothing} if self.label_smoothing else {}

    def __repr__(self) -> str:
        return f"CrossEntropy(label_smoothing={self.label_smoothing})"

    def check_units(self, units: int) -> None:
        if units < 2:
            raise ValueError(
                "Loss 'cross_entropy' needs a model with one output unit per class (at least "
                f"2); the model has {units}. Use 'binary_cross_entropy' with 1 output unit."
            )

    def prepare_targets(self, y: np.ndarray, units: int, dtype: np.dtype[Any]) -> np.ndarray:
        self.check_units(units)
        labels = check_labels(y, units)  # (n,) int64; one-hot rows become indices
        if self.label_smoothing:
            return self._rows(labels, units, dtype)  # (n, C) probabilities
        return labels


_REGISTRY: dict[str, type[Loss]] = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteErrorLoss,
    "mean_absolute_error": MeanAbsoluteErrorLoss,
    "huber": Huber,
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


def deserialize(name: str, config: dict[str, Any] | None = None) -> Loss:
    """The loss called `name` with the hyperparameters of its `get_config()`."""
    cls = type(get(name))
    return cls(**(config or {}))


def names() -> list[str]:
    """Every registered loss name (aliases included)."""
    return sorted(_REGISTRY)
