"""`History`: what `fit` returns — per-epoch loss and metrics, Keras style.

Example:
    >>> h = History()
    >>> h.record(0, {"loss": 0.9, "val_loss": 1.0})
    >>> h.record(1, {"loss": 0.5, "val_loss": 0.7})
    >>> h.history["loss"], h.epoch
    ([0.9, 0.5], [0, 1])
"""

from __future__ import annotations

from typing import Any


class History:
    """Per-epoch logs of one training run.

    Attributes:
        history: metric name -> one value per epoch (``loss``, ``accuracy``, ``val_loss``, ...).
        epoch: the epoch index of each entry (0-based; a resumed run continues the count).
        params: what the run was asked to do (epochs, batch_size, steps per epoch, ...).
        stopped_reason: why training ended early (early stopping, a non-finite loss), or None.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params: dict[str, Any] = {}
        self.stopped_reason: str | None = None

    def record(self, epoch: int, logs: dict[str, float]) -> None:
        """Append one epoch's logs."""
        self.epoch.append(int(epoch))
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def last(self) -> dict[str, float]:
        """The most recent epoch's logs (empty before the first epoch)."""
        return {key: values[-1] for key, values in self.history.items() if values}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy: ``{"epoch": [...], "history": {...}}``."""
        return {
            "epoch": list(self.epoch),
            "history": {key: list(values) for key, values in self.history.items()},
        }

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> History:
        """Rebuild a History written by `to_dict`."""
        history = cls()
        history.epoch = [int(e) for e in document.get("epoch", [])]
        history.history = {
            str(key): [float(v) for v in values]
            for key, values in document.get("history", {}).items()
        }
        return history

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self) -> str:
        keys = ", ".join(self.history)
        return f"History(epochs={len(self.epoch)}, keys=[{keys}])"
