"""Metrics computed on model outputs (NumPy, outside the graph).

A metric accumulates over batches (`update`) and reports the dataset-wide value (`result`),
so the figure for an epoch is exact, not an average of batch averages.

- classification: ``accuracy``; ``precision``, ``recall``, ``f1`` (macro averages; the
  ``_micro`` names average over samples); ``top_k_accuracy`` (k = 5, as Keras);
- regression: ``mae``, ``mse``, ``r2``.

Everything but accuracy keeps the batch's predicted labels (or outputs) and computes the
figure with scikit-learn's function at `result` (sklearn.metrics; undefined precision and
recall count as 0, ``zero_division=0``).

Example:
    >>> import numpy as np
    >>> acc = get("accuracy")
    >>> acc.update(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0]))
    >>> acc.result()
    0.5
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn import metrics as _sk

from memograd.nn._checks import instance


class Metric:
    """Base class: `reset()`, `update(outputs, targets)`, `result() -> float`, a `name`."""

    name = "metric"

    def reset(self) -> None:
        raise NotImplementedError

    def update(self, outputs: np.ndarray, targets: np.ndarray) -> None:
        raise NotImplementedError

    def result(self) -> float:
        raise NotImplementedError


class Accuracy(Metric):
    """Fraction of correctly classified samples, binary or multiclass.

    Several outputs per sample: the class is the arg-max. One output: the class is 1 when the
    output exceeds `threshold` (0 for logits, 0.5 for probabilities). Targets are class
    indices, one-hot rows, or 0/1 values.
    """

    name = "accuracy"

    def __init__(self, threshold: float = 0.0) -> None:
        self.threshold = threshold
        self.correct = 0
        self.count = 0

    def reset(self) -> None:
        self.correct = 0
        self.count = 0

    def update(self, outputs: np.ndarray, targets: np.ndarray) -> None:
        if outputs.ndim == 2 and outputs.shape[1] > 1:
            predicted = outputs.argmax(axis=1)  # (B,)
            labels = targets.argmax(axis=1) if targets.ndim == 2 else targets
        else:
            predicted = outputs.reshape(-1) > self.threshold  # (B,)
            labels = targets.reshape(-1) > 0.5
        self.correct += int(np.count_nonzero(predicted == labels))
        self.count += int(predicted.shape[0])

    def result(self) -> float:
        return self.correct / self.count if self.count else float("nan")


def _labels(outputs: np.ndarray, targets: np.ndarray, threshold: float) -> tuple[Any, Any]:
    """(predicted, true) class indices, by the rule of `Accuracy`."""
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        labels = targets.argmax(axis=1) if targets.ndim == 2 else targets
        return outputs.argmax(axis=1), labels
    return outputs.reshape(-1) > threshold, targets.reshape(-1) > 0.5


class _Collecting(Metric):
    """Keeps per-batch arrays; `score` turns their concatenations into the figure."""

    def __init__(self) -> None:
        self.threshold = 0.0
        self._parts: list[tuple[np.ndarray, np.ndarray]] = []

    def reset(self) -> None:
        self._parts = []

    def _collect(self, outputs: np.ndarray, targets: np.ndarray) -> tuple[Any, Any]:
        return _labels(outputs, targets, self.threshold)

    def update(self, outputs: np.ndarray, targets: np.ndarray) -> None:
        predicted, true = self._collect(outputs, targets)
        self._parts.append((np.asarray(predicted), np.asarray(true)))

    def score(self, predicted: np.ndarray, true: np.ndarray) -> float:
        raise NotImplementedError

    def result(self) -> float:
        if not self._parts:
            return float("nan")
        predicted = np.concatenate([p for p, _ in self._parts])
        true = np.concatenate([t for _, t in self._parts])
        return float(self.score(predicted, true))


class PrecisionRecallF1(_Collecting):
    """Precision, recall or F1 of the predicted classes, averaged "macro" or "micro"."""

    def __init__(self, which: str = "f1", average: str = "macro") -> None:
        super().__init__()
        if which not in ("precision", "recall", "f1"):
            raise ValueError(f"Unknown metric {which!r}: expected precision, recall or f1.")
        if average not in ("macro", "micro"):
            raise ValueError(
                f"Received an invalid value for `average`, expected 'macro' or 'micro'. "
                f"Received: average={average!r}"
            )
        self.which, self.average = which, average
        self.name = which if average == "macro" else f"{which}_micro"

    def score(self, predicted: np.ndarray, true: np.ndarray) -> float:
        function = {"precision": _sk.precision_score, "recall": _sk.recall_score}.get(
            self.which, _sk.f1_score
        )
        return float(function(true, predicted, average=self.average, zero_division=0))


class TopKAccuracy(_Collecting):
    """Fraction of samples whose label is among the `k` largest outputs (several outputs)."""

    name = "top_k_accuracy"

    def __init__(self, k: int = 5) -> None:
        super().__init__()
        self.k = k

    def _collect(self, outputs: np.ndarray, targets: np.ndarray) -> tuple[Any, Any]:
        if outputs.ndim != 2 or outputs.shape[1] < 2:
            raise ValueError(
                "Metric 'top_k_accuracy' needs one output per class (at least 2). "
                f"Received: outputs with shape {outputs.shape}"
            )
        labels = targets.argmax(axis=1) if targets.ndim == 2 else targets
        return outputs, labels

    def score(self, predicted: np.ndarray, true: np.ndarray) -> float:
        classes = np.arange(predicted.shape[1])
        k = min(self.k, predicted.shape[1])
        return float(_sk.top_k_accuracy_score(true, predicted, k=k, labels=classes))


class _Regression(_Collecting):
    """mae, mse or r2 (scikit-learn's, averaged uniformly over several outputs)."""

    function: Any = None

    def _collect(self, outputs: np.ndarray, targets: np.ndarray) -> tuple[Any, Any]:
        return outputs.reshape(len(outputs), -1), targets.reshape(len(targets), -1)

    def score(self, predicted: np.ndarray, true: np.ndarray) -> float:
        return float(type(self).function(true, predicted))


class MeanAbsoluteError(_Regression):
    name = "mae"
    function = staticmethod(_sk.mean_absolute_error)


class MeanSquaredError(_Regression):
    name = "mse"
    function = staticmethod(_sk.mean_squared_error)


class R2(_Regression):
    """The coefficient of determination R² (1 is perfect, 0 predicts the mean)."""

    name = "r2"
    function = staticmethod(_sk.r2_score)


def _prf(which: str, average: str) -> Any:
    def make() -> Metric:
        return PrecisionRecallF1(which, average)

    return make


_REGISTRY: dict[str, Any] = {
    "accuracy": Accuracy,
    "acc": Accuracy,
    "top_k_accuracy": TopKAccuracy,
    "mae": MeanAbsoluteError,
    "mse": MeanSquaredError,
    "r2": R2,
    **{
        f"{which}{suffix}": _prf(which, average)
        for which in ("precision", "recall", "f1")
        for suffix, average in (("", "macro"), ("_micro", "micro"))
    },
}


def get(identifier: str | Metric) -> Metric:
    """A fresh metric for a name ("accuracy"/"acc"); a Metric instance is returned as is.

    Raises:
        ValueError: for an unknown name; the message lists the valid names.
    """
    return instance(
        "metric", identifier, Metric, _REGISTRY, "a name such as 'accuracy' or a Metric"
    )


def names() -> list[str]:
    """Every registered metric name."""
    return sorted(_REGISTRY)
