"""`Model`: Keras's `compile` / `fit` / `evaluate` / `predict` / `train_on_batch` / `save`.

`Sequential` is the model memograd has; this base holds everything that does not depend on
how the layers are arranged.

The training step (`train_on_batch`, and each batch of `fit`) is: drop the gradients
(``grad = None``), run the layers forward into a graph, compute the loss, one reverse sweep,
one optimizer update (skipped if the loss is NaN/Inf). `fit` checks the data once at the
boundary; the step itself checks nothing, so what the benchmarks time is the engine. For
forward-only timing, call the model on a Tensor: ``with mg.no_grad(): model(mg.Tensor(X))``
(inference) or ``model.loss(model(mg.Tensor(X)), y)`` (the graph recorded, as in training).

The `jit_compile=True` hook: ``memograd.compile.compile_train_step(model)`` returns a step
with the signature of `Model._eager_step` — ``(x, y) -> (loss, outputs)`` on prepared arrays —
that traces `loss_and_outputs` once per batch shape and replays it (a step it cannot trace
runs eagerly after one warning); `_get_train_step` uses it instead of the eager step. The
compiler asks the model `untraceable_reason()` first (a recomputing checkpoint policy answers),
and traces the layers' buffers as state the step updates (`BatchNormalization`'s moving
statistics).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from memograd import _grad_mode
from memograd._heap import settle as settle_heap
from memograd.compile import compile_train_step
from memograd.data import check_X, check_X_y
from memograd.nn import io, losses, metrics, optim, training
from memograd.nn._checks import optional_positive_int
from memograd.nn.callbacks import Callback
from memograd.nn.history import History
from memograd.nn.module import Module, resolve_dtype
from memograd.tensor import Tensor

Step = Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]

_PREDICT_CHUNK = 4096  # rows per forward pass in predict/evaluate when batch_size is None


class Model(Module):
    """A trainable network: compile, the training step, fit, inference, files.

    Subclasses provide `build`, `call`, `n_features`, `units` and `_ensure_input`.
    """

    def __init__(self, name: str | None = None, dtype: DTypeLike = "float32") -> None:
        super().__init__(name)
        self.dtype = resolve_dtype(dtype)
        # compile state
        self.compiled = False
        self.loss: losses.Loss | None = None
        self.optimizer: optim.Optimizer | None = None
        self.metric_specs: list[str | metrics.Metric] = []
        self.jit_compile = False
        self._compiled_step_factory: Callable[[Model], Step] | None = None
        self._train_step: Step | None = None
        # bound by _get_train_step so the step does no attribute lookups through the model
        self._params_list: list[Tensor] = []
        self._loss_fn: Callable[[Tensor, np.ndarray], Tensor] = _unset_loss
        self._optimizer_step: Callable[[], None] = _unset_step
        self._target_kind: tuple[np.dtype[Any], int] | None = None
        # fit state
        self.stop_training = False
        self._stop_reason: str | None = None
        self.history: History | None = None
        self._epochs_done = 0
        self._training_record: dict[str, Any] | None = None  # what fit trained on (io.py)
        #: JSON-serialisable facts saved with the model (dataset, class names, ...)
        self.info: dict[str, Any] = {}

    @property
    def n_features(self) -> int:
        """Input width (after build)."""
        raise NotImplementedError

    @property
    def units(self) -> int:
        """Output width (after build)."""
        raise NotImplementedError

    def _ensure_input(self, X: np.ndarray) -> None:
        """Build for `X`, or check that its feature count matches the built model."""
        raise NotImplementedError

    # -- compile -----------------------------------------------------------------------------

    def compile(
        self,
        loss: str | losses.Loss = "cross_entropy",
        optimizer: str | optim.Optimizer = "adam",
        metrics: Sequence[str | metrics.Metric] | None = None,
        jit_compile: bool = False,
    ) -> None:
        """Choose the loss, optimizer and metrics (names or objects).

        Args:
            loss: "cross_entropy" (logits; integer or one-hot labels), "binary_cross_entropy"
                (one logit; 0/1 labels), "mse", or a `losses.Loss`.
            optimizer: "adam", "adamw", "sgd", "rmsprop" (default settings) or an instance.
            metrics: e.g. ["accuracy"].
            jit_compile: trace the training step once per batch shape and replay it as a
                flat tape of NumPy kernels over reused buffers (memograd.compile); a step
                that cannot be traced runs eagerly after one warning naming the reason.
        """
        self.loss = losses.get(loss)
        self.optimizer = optim.get(optimizer)
        if isinstance(metrics, str):
            metrics = [metrics]
        self.metric_specs = list(metrics or [])
        threshold = 0.0 if self.loss.from_logits else 0.5
        for spec in self.metric_specs:
            metrics_get(spec, threshold)  # validate names now
        self.jit_compile = bool(jit_compile)
        self._compiled_step_factory = None
        if self.jit_compile:
            self._compiled_step_factory = compile_train_step
        self.compiled = True
        self._train_step = None
        if self.built:
            self.loss.check_units(self.units)
            self.optimizer.build(self.parameters())

    def _require_compiled(self, what: str) -> tuple[losses.Loss, optim.Optimizer]:
        if not self.compiled or self.loss is None or self.optimizer is None:
            raise RuntimeError(f"You must call `compile(loss=..., optimizer=...)` before `{what}`.")
        return self.loss, self.optimizer

    def get_compile_config(self) -> dict[str, Any]:
        """The compile arguments as JSON (names and hyperparameters), for model files."""
        loss, optimizer = self._require_compiled("get_compile_config")
        config = {
            "loss": loss.name,
            "optimizer": optim.serialize(optimizer),
            "metrics": [m if isinstance(m, str) else m.name for m in self.metric_specs],
            "jit_compile": self.jit_compile,
        }
        if loss.get_config():  # huber's delta, cross_entropy's label_smoothing
            config["loss_config"] = loss.get_config()
        return config

    @staticmethod
    def compile_arguments(config: dict[str, Any]) -> dict[str, Any]:
        """Turn `get_compile_config()` output back into `compile` keyword arguments."""
        return {
            "loss": losses.deserialize(config["loss"], config.get("loss_config")),
            "optimizer": optim.deserialize(config["optimizer"]),
            "metrics": list(config.get("metrics", [])),
            "jit_compile": bool(config.get("jit_compile", False)),
        }

    def _make_metrics(self) -> list[metrics.Metric]:
        assert self.loss is not None
        threshold = 0.0 if self.loss.from_logits else 0.5
        made = [metrics_get(spec, threshold) for spec in self.metric_specs]
        for metric in made:
            metric.reset()
        return made

    # -- the training step ---------------------------------------------------------------------

    def _prepare(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Boundary checks for (X, y): build the model, convert the targets for the loss."""
        loss, optimizer = self._require_compiled("training or evaluating")
        X_arr, y_arr = check_X_y(X, y, dtype=self.dtype)
        # C order, as a compiled step's input buffer is: a product's library (MKL or NumPy's,
        # `memograd._mkl`) depends on its operands' layout, and eager and compiled must agree.
        X_arr = np.ascontiguousarray(X_arr)
        self._ensure_input(X_arr)
        if not optimizer.built:
            optimizer.build(self.parameters())
        targets = loss.prepare_targets(y_arr, self.units, self.dtype)
        self._target_kind = (targets.dtype, targets.ndim)  # train_on_batch's fast path
        return X_arr, targets

    def _eager_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """One optimisation step on prepared arrays: (loss, outputs before the update).

        A non-finite loss skips the update, so the weights stay those before this step.
        """
        for param in self._params_list:
            param.grad = None
        loss, outputs = self.loss_and_outputs(Tensor(x), y)
        loss.backward()
        value = float(loss.data)
        if math.isfinite(value):
            self._optimizer_step()
        return value, outputs.data

    def loss_and_outputs(self, x: Tensor, y: np.ndarray) -> tuple[Tensor, Tensor]:
        """The part of a training step that `jit_compile` traces: the loss (0-d) and the
        outputs (B, units) of a batch of prepared arrays, before backward."""
        outputs = self.call(x)  # (B, units)
        return self._loss_fn(outputs, y), outputs

    def __getstate__(self) -> dict[str, Any]:
        """The state `copy.deepcopy` (and pickle) copy: everything but the built training step,
        which the copy builds again at its first step. A compiled step's kernels hold this
        model's arrays (and raw pointers into them): shared, the copy's steps trained this
        model; copied, they could not be (ctypes pointers)."""
        state = self.__dict__.copy()
        state["_train_step"] = None
        return state

    def _get_train_step(self) -> Step:
        """The step `fit` and `train_on_batch` call (built on first use)."""
        if self._train_step is None:
            loss, optimizer = self._require_compiled("training")
            self._params_list = self.parameters()
            self._loss_fn = loss.__call__
            self._optimizer_step = optimizer.step
            step: Step = self._eager_step
            settle_heap()  # steps then recycle their memory instead of faulting it back in
            if self.jit_compile and self._compiled_step_factory is not None:
                step = self._compiled_step_factory(self)  # the jit_compile hook
            self._train_step = step
        return self._train_step

    def train_on_batch(self, X: Any, y: Any) -> float:
        """Exactly one optimisation step (forward, loss, backward, update); returns the loss.

        The first call checks the data fully and builds the model; later calls only check
        dtype and shapes. A NaN/Inf loss skips the update and is returned as is.
        """
        if self._train_step is None:
            X, y = self._prepare(X, y)
        else:
            if type(X) is not np.ndarray or X.dtype != self.dtype or not X.flags.c_contiguous:
                X = np.ascontiguousarray(X, dtype=self.dtype)  # (C order: see `_prepare`)
            if X.ndim != 2 or X.shape[1] != self.n_features:
                self._ensure_input(check_X(X, dtype=self.dtype))
            if type(y) is not np.ndarray or (y.dtype, y.ndim) != self._target_kind:
                assert self.loss is not None
                y = self.loss.prepare_targets(np.asarray(y), self.units, self.dtype)
            if len(y) != len(X):
                raise ValueError(f"X has {len(X)} samples but y has {len(y)}.")
        if not self.training:
            self.train()
        return self._get_train_step()(X, y)[0]

    # -- inference -----------------------------------------------------------------------------

    def _forward_chunks(self, X: np.ndarray, batch_size: int | None) -> list[np.ndarray]:
        size = batch_size or _PREDICT_CHUNK
        was_training = self.training
        self.eval()
        try:
            with _grad_mode.no_grad():
                return [self.call(Tensor(X[i : i + size])).data for i in range(0, len(X), size)]
        finally:
            self.train(was_training)

    def predict(self, X: Any, batch_size: int | None = None) -> np.ndarray:
        """Outputs of the last layer, shape (n_samples, units), in the model's dtype.

        With a loss "from logits" and no final activation these are logits (apply softmax or
        sigmoid for probabilities); `predict_classes` gives labels. Dropout is off.
        `batch_size` (rows per forward pass) is a positive integer, or None for large chunks.
        """
        batch_size = optional_positive_int("batch_size", batch_size)
        X_arr = check_X(X, dtype=self.dtype)
        self._ensure_input(X_arr)
        return np.concatenate(self._forward_chunks(X_arr, batch_size), axis=0)

    def predict_classes(self, X: Any, batch_size: int | None = None) -> np.ndarray:
        """Class labels (int64): arg-max of the outputs, or a threshold for one output."""
        outputs = self.predict(X, batch_size)
        if outputs.shape[1] > 1:
            return outputs.argmax(axis=1).astype(np.int64)
        threshold = 0.0 if (self.loss is None or self.loss.from_logits) else 0.5
        return (outputs[:, 0] > threshold).astype(np.int64)

    def evaluate(self, X: Any, y: Any, batch_size: int | None = None) -> dict[str, float]:
        """Loss and metrics on (X, y): ``{"loss": ..., "accuracy": ...}`` (dropout off).

        `batch_size` (rows per forward pass) is a positive integer, or None for large chunks.
        """
        batch_size = optional_positive_int("batch_size", batch_size)
        X_arr, y_arr = self._prepare(X, y)
        return self._evaluate_prepared(X_arr, y_arr, batch_size)

    def _evaluate_prepared(
        self, X: np.ndarray, y: np.ndarray, batch_size: int | None = None
    ) -> dict[str, float]:
        loss, _ = self._require_compiled("evaluate")
        size = batch_size or _PREDICT_CHUNK
        made = self._make_metrics()
        total = 0.0
        chunks = self._forward_chunks(X, size)
        with _grad_mode.no_grad():
            for start, outputs in zip(range(0, len(X), size), chunks, strict=True):
                targets = y[start : start + size]
                total += float(loss(Tensor(outputs), targets).data) * len(outputs)
                for metric in made:
                    metric.update(outputs, targets)
        return {"loss": total / len(X), **{m.name: m.result() for m in made}}

    # -- fit, summary, files -------------------------------------------------------------------

    def fit(
        self,
        X: Any,
        y: Any,
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
        """Train for `epochs` epochs (total, counting resumed ones); see `memograd.nn.training`."""
        return training.fit(
            self,
            X,
            y,
            epochs=epochs,
            batch_size=batch_size,
            validation_split=validation_split,
            validation_data=validation_data,
            shuffle=shuffle,
            seed=seed,
            callbacks=callbacks,
            verbose=verbose,
            resume_from=resume_from,
            class_weight=class_weight,
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write weights, architecture, compile settings and optimizer state (safetensors)."""
        io.save(self, path)


def metrics_get(spec: str | metrics.Metric, threshold: float) -> metrics.Metric:
    """A metric instance for `spec`; accuracy thresholds a single output at `threshold`."""
    made = metrics.get(spec)
    if isinstance(spec, str) and hasattr(made, "threshold"):  # a class read off one output
        made.threshold = threshold
    return made


def _unset_loss(outputs: Tensor, targets: np.ndarray) -> Tensor:
    raise RuntimeError("internal error: the training step was used before it was bound")


def _unset_step() -> None:
    raise RuntimeError("internal error: the training step was used before it was bound")
