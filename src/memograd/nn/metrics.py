"""Metrics computed on model outputs (NumPy, outside the graph): accuracy for now.

A metric accumulates over batches (`update`) and reports the dataset-wide value (`result`),
so the figure for an epoch is exact, not an average of batch averages.

Example:
    >>> import numpy as np
    >>> acc = get("accuracy")
    >>> acc.update(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0]))
    >>> acc.result()
    0.5
"""

from __future__ import annotations

import numpy as np

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


_REGISTRY: dict[str, type[Metric]] = {"accuracy": Accuracy, "acc": Accuracy}


def get(identifier: str | Metric) -> Metric:
    """A fresh metric for a name ("accuracy"/"acc"); a Metric instance is returned as is.

    Raises:
        ValueError: for an unknown name; the message lists the valid names.
    """
    return instance(
        "metric", identifier, Metric, _REGISTRY, "a name such as 'accuracy' or a Metric"
    )
