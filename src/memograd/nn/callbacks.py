"""Callbacks: hooks `fit` calls at the start and end of training, epochs and batches.

`EarlyStopping` stops when a monitored value stops improving (and restores the best
weights); `ModelCheckpoint` saves the model — weights, optimizer state, epoch — atomically
after each epoch so that `fit(..., resume_from=path)` continues from it. The guard against a
NaN/Inf loss is not a callback: it is always on, inside `fit`.

Example:
    >>> from memograd.nn.callbacks import EarlyStopping
    >>> EarlyStopping(monitor="val_loss", patience=3).patience
    3
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from memograd._errors import invalid_value
from memograd._paths import check_output_file
from memograd.nn._checks import non_negative_float

if TYPE_CHECKING:
    from memograd.nn.model import Model


class Callback:
    """Base class; override the hooks you need. `self.model` and `self.params` are set by `fit`.

    `params` (Keras's): epochs, batch_size, steps, samples, and `metrics`, the keys the epoch
    logs will have (``["loss", "accuracy", "val_loss", "val_accuracy"]``).
    """

    def __init__(self) -> None:
        self.model: Model | None = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Model) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        """Called once before the first epoch."""

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        """Called once after the last epoch (also after an early stop)."""

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """Called at the start of each epoch (0-based index)."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """Called after each epoch with its logs (loss, metrics, validation metrics)."""

    def on_train_batch_begin(self, batch: int, logs: dict[str, float] | None = None) -> None:
        """Called before each training step (batch index within the epoch)."""

    def on_train_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        """Called after each training step with ``{"loss": ...}``."""


class CallbackList(Callback):
    """Forwards every hook to a list of callbacks, in order."""

    def __init__(self, callbacks: Iterable[Callback] | None = None) -> None:
        super().__init__()
        self.callbacks = list(callbacks or [])
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    "Expected every entry of `callbacks` to be a memograd.nn.callbacks.Callback. "
                    f"Received: {callback!r} of type {type(callback).__name__}"
                )

    def set_model(self, model: Model) -> None:
        super().set_model(model)
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_train_batch_begin(self, batch: int, logs: dict[str, float] | None = None) -> None:
        for callback in self.callbacks:
            callback.on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        for callback in self.callbacks:
            callback.on_train_batch_end(batch, logs)


class _Monitor:
    """Tracks the best value of one logged quantity ("min" or "max" is better)."""

    def __init__(self, monitor: str, mode: str, min_delta: float) -> None:
        if mode not in ("auto", "min", "max"):
            raise invalid_value("mode", "'auto', 'min' or 'max'", mode)
        if mode == "auto":
            mode = "max" if ("acc" in monitor or monitor.endswith("auc")) else "min"
        self.monitor = monitor
        self.mode = mode
        self.min_delta = min_delta
        self.best = math.inf if mode == "min" else -math.inf
        self._warned = False

    def value(self, logs: dict[str, float] | None, owner: str) -> float | None:
        value = (logs or {}).get(self.monitor)
        if value is None and not self._warned:
            self._warned = True
            available = ", ".join(sorted(logs or {})) or "none"
            warnings.warn(
                f"{owner} is conditioned on `{self.monitor}`, which is not available. "
                f"Available metrics are: {available}. (Use validation_split or "
                "validation_data to get val_* metrics.)",
                RuntimeWarning,
                stacklevel=4,
            )
        return value

    def improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(Callback):
    """Stop training when `monitor` has not improved for `patience` epochs.

    Args:
        monitor: a key of the epoch logs, e.g. "val_loss", "val_accuracy", "loss".
        patience: epochs without improvement to wait before stopping.
        min_delta: a change smaller than this does not count as an improvement.
        mode: "min", "max", or "auto" (max for accuracies, min otherwise).
        restore_best_weights: when stopping, put back the weights of the best epoch.

    Example:
        >>> stop = EarlyStopping(monitor="val_accuracy", patience=5)
        >>> stop._monitor.mode
        'max'
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 0,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = True,
    ) -> None:
        super().__init__()
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise invalid_value("patience", "a non-negative integer", patience)
        self.patience = patience
        self._monitor = _Monitor(monitor, mode, non_negative_float("min_delta", min_delta))
        self.restore_best_weights = bool(restore_best_weights)
        self.wait = 0
        self.stopped_epoch: int | None = None
        self.best_epoch: int | None = None
        self.best_weights: list[np.ndarray] | None = None

    @property
    def monitor(self) -> str:
        return self._monitor.monitor

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self.wait = 0
        self.stopped_epoch = None

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        value = self._monitor.value(logs, "Early stopping")
        if value is None or self.model is None:
            return
        if self._monitor.improved(value):
            self._monitor.best = value
            self.best_epoch = epoch
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = [w.copy() for w in self.model.get_weights()]
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            self.model._stop_reason = (
                f"early stopping: `{self.monitor}` did not improve for {self.wait} epochs "
                f"(best {self._monitor.best:.6g} at epoch {self.best_epoch})"
            )
            if self.restore_best_weights and self.best_weights is not None:
                self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model after each epoch (atomically), optionally only when `monitor` improves.

    The file holds weights, architecture, compile settings, optimizer state, the number of
    finished epochs and the history so far, so `fit(..., resume_from=path)` continues from it.
    `path` may contain ``{epoch}`` (1-based) and keys of the epoch logs, with format specs, e.g.
    ``"ckpt-{epoch:02d}-{val_loss:.3f}.safetensors"``; ``{{`` and ``}}`` are literal braces.
    Any other field (``{}``, ``{0}``, a key the logs will not have), a format spec that does not
    fit the value, or a folder that cannot be written raises before the first epoch.

    Example:
        >>> ModelCheckpoint("best.safetensors", save_best_only=True).monitor
        'val_loss'
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        monitor: str = "val_loss",
        save_best_only: bool = False,
        mode: str = "auto",
    ) -> None:
        super().__init__()
        self.path = os.fspath(path)
        _check_template(self.path, None)  # syntax and positional fields, before fit
        self.save_best_only = bool(save_best_only)
        self._monitor = _Monitor(monitor, mode, 0.0)
        self.last_saved: str | None = None

    @property
    def monitor(self) -> str:
        return self._monitor.monitor

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        """Check the path now, against the log keys this run will have, not after epoch 1."""
        keys = self.params.get("metrics")
        first = _check_template(self.path, None if keys is None else list(keys))
        check_output_file(first)

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if self.model is None:
            return
        if self.save_best_only:
            value = self._monitor.value(logs, "ModelCheckpoint")
            if value is None or not self._monitor.improved(value):
                return
            self._monitor.best = value
        path = self.path.format(epoch=epoch + 1, **(logs or {}))
        self.model.save(path)
        self.last_saved = path


class _AnyField(dict[str, Any]):
    """Format mapping that answers every named field (with an int, as `epoch` is)."""

    def __missing__(self, key: str) -> int:
        return 1


def _check_template(path: str, keys: list[str] | None) -> str:
    """`path` formatted as `on_epoch_end` will format it (epoch 1, each log 0.0), or ValueError.

    With `keys` None (the log keys are not known yet) any named field passes as an int.
    """
    fields: dict[str, Any] = _AnyField() if keys is None else dict.fromkeys(keys, 0.0)
    fields["epoch"] = 1
    try:
        return path.format_map(fields)
    except KeyError as error:
        available = ", ".join(["epoch", *(keys or [])])
        problem = f"the field {{{error.args[0]}}} is not one of: {available}"
    except (ValueError, IndexError, AttributeError, TypeError) as error:
        problem = str(error)
    raise invalid_value(
        "path",
        "a file name whose {fields} are {epoch} or keys of the epoch logs (write {{ and }} "
        f"for literal braces); {problem}",
        path,
    )
