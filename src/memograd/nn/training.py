"""The `fit` loop: epochs of shuffled mini-batches, metrics, validation, callbacks, resume.

Reproducibility: the batch order of epoch e is drawn from ``np.random.default_rng((seed, e))``
and dropout masks restart from (layer seed, e), so epoch e does the same work whether the run
started at epoch 0 or resumed from a checkpoint written after epoch e − 1.

Guard: a NaN/Inf loss stops training with a warning naming the epoch and batch. The step
that produced it skipped its update, so the weights are those from before it; if they are
already non-finite (an update overflowed), the weights from the start of the epoch come back.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> X = np.random.default_rng(0).standard_normal((32, 3)).astype(np.float32)
    >>> y = (X.sum(axis=1) > 0).astype(np.int64)
    >>> model = mg.nn.Sequential([mg.nn.Dense(2)])
    >>> model.compile(loss="cross_entropy", optimizer="sgd", metrics=["accuracy"])
    >>> history = model.fit(X, y, epochs=3, batch_size=8, verbose=0)
    >>> sorted(history.history), history.epoch
    (['accuracy', 'loss'], [0, 1, 2])
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from memograd._errors import invalid_value
from memograd._progress import progress
from memograd.data import batches, train_validation_split
from memograd.nn._checks import optional_seed, positive_int
from memograd.nn.callbacks import Callback, CallbackList
from memograd.nn.history import History
from memograd.nn.io import restore_checkpoint, training_record

if TYPE_CHECKING:
    from memograd.nn.model import Model


def _verbosity(verbose: int | str) -> int:
    if verbose == "auto":
        return 1 if sys.stderr.isatty() else 0
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise invalid_value("verbose", "'auto', 0, 1 or 2", verbose)
    return int(verbose)


def _format(logs: dict[str, float]) -> str:
    # "loss=0.1234": one word per figure, so a progress bar wrapped on a narrow terminal
    # never parts a name from its value.
    return "  ".join(f"{key}={value:.4f}" for key, value in logs.items())


def _validation(
    model: Model,
    X: np.ndarray,
    y: np.ndarray,
    validation_split: float,
    validation_data: tuple[Any, Any] | None,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    if validation_data is not None:
        if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
            raise invalid_value("validation_data", "a tuple (X_val, y_val)", type(validation_data))
        X_val, y_val = model._prepare(*validation_data)
        return X, y, (X_val, y_val)
    if isinstance(validation_split, bool) or not isinstance(validation_split, int | float):
        raise invalid_value("validation_split", "a float in [0, 1)", validation_split)
    if not 0.0 <= validation_split < 1.0:
        raise invalid_value("validation_split", "a float in [0, 1)", validation_split)
    if validation_split == 0.0:
        return X, y, None
    X_train, X_val, y_train, y_val = train_validation_split(
        X, y, float(validation_split), seed=seed
    )
    return X_train, y_train, (X_val, y_val)


def fit(
    model: Model,
    X: Any,
    y: Any,
    *,
    epochs: int = 1,
    batch_size: int = 32,
    validation_split: float = 0.0,
    validation_data: tuple[Any, Any] | None = None,
    shuffle: bool = True,
    seed: int = 0,
    callbacks: Sequence[Callback] | None = None,
    verbose: int | str = "auto",
    resume_from: str | os.PathLike[str] | None = None,
    class_weight: dict[int, float] | None = None,
) -> History:
    """Train `model` (compiled) on (X, y); returns the `History` of every epoch so far.

    Args:
        epochs: the total number of epochs; a resumed run starts after the checkpoint's.
        batch_size: samples per optimisation step (the last batch may be smaller).
        validation_split: a fraction of (X, y) held out (a seeded random subset) for val_*.
        validation_data: (X_val, y_val) instead of `validation_split`.
        shuffle: shuffle the batches each epoch (order drawn from (seed, epoch)).
        seed: seeds the validation split and the batch orders.
        callbacks: `memograd.nn.callbacks.Callback` instances.
        verbose: 0 silent, 1 a progress bar per epoch (only on a terminal), 2 one line per
            epoch on stderr; "auto" is 1 on a terminal and 0 otherwise.
        resume_from: a checkpoint written by `model.save` / `ModelCheckpoint`: weights,
            optimizer state, finished epochs and history are restored first.
        class_weight: ``{class index: weight}`` (Keras's): each training sample's loss is
            multiplied by its class's weight (classes not named weigh 1); validation is not
            weighted. Needs the 'cross_entropy' loss.
    """
    epochs = positive_int("epochs", epochs)
    batch_size = positive_int("batch_size", batch_size)
    seed = optional_seed("seed", seed) or 0
    level = _verbosity(verbose)
    model._require_compiled("fit")
    X_all, y_all = model._prepare(X, y)
    X_train, y_train, validation = _validation(
        model, X_all, y_all, validation_split, validation_data, seed
    )
    if class_weight is not None:
        if not isinstance(class_weight, dict):
            raise invalid_value("class_weight", "a dict {class index: weight}", class_weight)
        assert model.loss is not None
        y_train = model.loss.weight_targets(y_train, class_weight, model.units, model.dtype)
    history = History()
    start_epoch = 0
    # Saved with the model, so that a resume with other data or another seed is refused.
    explicit = validation if validation_data is not None else None
    split = 0.0 if validation_data is not None else float(validation_split)
    record = training_record(X_all, y_all, explicit, seed, split)
    if resume_from is not None:
        start_epoch, history = restore_checkpoint(model, resume_from, record)
    model._training_record = record
    n = len(X_train)
    steps = math.ceil(n / batch_size)
    keys = ["loss", *(m.name for m in model._make_metrics())]
    if validation is not None:
        keys += [f"val_{key}" for key in keys]
    history.params = {
        "epochs": epochs,
        "batch_size": batch_size,
        "steps": steps,
        "samples": n,
        "metrics": keys,  # the keys of each epoch's logs (Keras 2's params["metrics"])
    }
    model.history = history
    model.stop_training = False
    model._stop_reason = None
    callback_list = CallbackList(callbacks)
    callback_list.set_model(model)
    callback_list.set_params(history.params)
    step = model._get_train_step()
    params = model.parameters()
    logs: dict[str, float] = {}
    callback_list.on_train_begin()
    # A diverging run reports itself through the guard below, not through NumPy warnings.
    with progress(enabled=level == 1) as bar, np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(start_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            model.train()
            model._reseed(epoch)
            snapshot = [p.data.copy() for p in params]  # for the non-finite guard
            made = model._make_metrics()
            task = bar.add_task(f"Epoch {epoch + 1}/{epochs}", total=steps)
            order = np.random.default_rng((seed, epoch))
            total, seen = 0.0, 0
            for index, (xb, yb) in enumerate(
                batches(X_train, y_train, batch_size, shuffle=shuffle, seed=order)
            ):
                callback_list.on_train_batch_begin(index)
                value, outputs = step(xb, yb)
                if not math.isfinite(value):
                    _stop_on_non_finite(model, params, snapshot, value, epoch, index)
                    break
                total += value * len(xb)
                seen += len(xb)
                for metric in made:
                    metric.update(outputs, yb)
                callback_list.on_train_batch_end(index, {"loss": value})
                if not bar.disable:
                    running = {"loss": total / seen, **{m.name: m.result() for m in made}}
                    bar.update(
                        task,
                        advance=1,
                        description=f"Epoch {epoch + 1}/{epochs}  {_format(running)}",
                    )
            if model._stop_reason is not None and seen < n:
                break  # the guard stopped mid-epoch: this epoch is not recorded
            logs = {"loss": total / seen, **{m.name: m.result() for m in made}}
            if validation is not None:
                scores = model._evaluate_prepared(*validation)
                logs.update({f"val_{key}": value for key, value in scores.items()})
            bar.update(task, description=f"Epoch {epoch + 1}/{epochs}  {_format(logs)}")
            if level == 2:
                print(f"Epoch {epoch + 1}/{epochs}  {_format(logs)}", file=sys.stderr)
            model._epochs_done = epoch + 1
            history.record(epoch, logs)
            callback_list.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
    history.stopped_reason = model._stop_reason
    callback_list.on_train_end(logs)
    return history


def _stop_on_non_finite(
    model: Model,
    params: list[Any],
    snapshot: list[np.ndarray],
    value: float,
    epoch: int,
    batch: int,
) -> None:
    """The always-on guard: keep the last good weights, stop, and say where it happened."""
    for param in params:
        param.grad = None
    restored = "the weights are those from before this step"
    if not all(np.isfinite(p.data).all() for p in params):
        for param, saved in zip(params, snapshot, strict=True):
            param.data[...] = saved
        restored = f"the weights were restored to the start of epoch {epoch + 1}"
    model.stop_training = True
    model._stop_reason = (
        f"non-finite loss ({value}) at epoch {epoch + 1}, batch {batch + 1}: training "
        f"stopped; {restored}. Try a smaller learning rate."
    )
    warnings.warn(model._stop_reason, RuntimeWarning, stacklevel=4)
