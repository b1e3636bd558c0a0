"""`Sequential`: a stack of layers, with Keras's `compile` / `fit` / `evaluate` / `predict`.

Training and inference live in `memograd.nn.model.Model`; this module arranges the layers:
adding, building them from the input width, the forward pass, the saved configuration (and
`load`, which rebuilds a saved model; the file format is `memograd.nn.io`'s).

The `checkpoint=` hook (space–time policy of the forward pass): "all" keeps every
activation for backward. The other policies ("none", "sqrt", an int k, "binomial:<slots>")
are validated by ``memograd.checkpointing.check_policy`` and applied in `Sequential.call` by
``memograd.checkpointing.sequential_forward(layers, x, policy)``.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> X = np.random.default_rng(0).standard_normal((64, 2)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> model = mg.nn.Sequential([mg.nn.Dense(8, activation="relu"), mg.nn.Dense(2)])
    >>> model.compile(loss="cross_entropy", optimizer=mg.optim.Adam(0.05), metrics=["accuracy"])
    >>> history = model.fit(X, y, epochs=20, batch_size=16, verbose=0)
    >>> model.evaluate(X, y)["accuracy"] > 0.9
    True
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from memograd.checkpointing import check_policy, sequential_forward
from memograd.nn import io, onnx_export, summary, torch_bridge
from memograd.nn._checks import optional_seed
from memograd.nn.layers import Dense, Dropout, Layer, Normalization
from memograd.nn.model import Model
from memograd.nn.module import Module
from memograd.nn.normalization import BatchNormalization, LayerNormalization
from memograd.tensor import Tensor

# The layer classes a model file may name (`get_config` / `from_config`).
_LAYERS: dict[str, type[Layer]] = {
    "BatchNormalization": BatchNormalization,
    "Dense": Dense,
    "Dropout": Dropout,
    "LayerNormalization": LayerNormalization,
    "Normalization": Normalization,
}


def serialize(layer: Module) -> dict[str, Any]:
    """`{"class_name": ..., "config": ...}` for a model file."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(document: dict[str, Any]) -> Layer:
    """Rebuild a layer (unbuilt) from `serialize`'s output."""
    class_name = document.get("class_name")
    if class_name not in _LAYERS:
        valid = ", ".join(sorted(_LAYERS))
        raise ValueError(f"Unknown layer class {class_name!r}. Valid layers are: {valid}.")
    return _LAYERS[str(class_name)](**document.get("config", {}))


class Sequential(Model):
    """Layers applied one after the other, with training built in.

    Args:
        layers: the layers, in order (more can be added with `add`).
        checkpoint: which activations the forward pass keeps for backward (see module doc).
        dtype: "float32" (default, fast) or "float64" (exact comparisons); inputs are cast
            to it and every layer computes in it.
        seed: seeds the initial weights and dropout masks of layers without their own seed
            (layer i draws from (seed, i)).
        name: a label for `summary`.
    """

    def __init__(
        self,
        layers: Sequence[Module] | None = None,
        checkpoint: str | int = "all",
        dtype: DTypeLike = "float32",
        seed: int = 0,
        name: str | None = None,
    ) -> None:
        super().__init__(name or "sequential", dtype)
        self.checkpoint = check_policy(checkpoint)
        self._checkpoint_forward: Callable[..., Tensor] | None = (
            None if self.checkpoint == "all" else sequential_forward
        )
        seed_value = optional_seed("seed", seed)
        self.seed = 0 if seed_value is None else seed_value
        self.layers: list[Module] = []
        for layer in layers or []:
            self.add(layer)
        self.config_input_shape: tuple[int | None, ...] | None = None
        self.output_shapes: list[tuple[int | None, ...]] = []

    # -- structure ---------------------------------------------------------------------------

    def add(self, layer: Module) -> None:
        """Append a layer (before the model is built)."""
        if not isinstance(layer, Module):
            raise TypeError(
                "Expected every layer to be a memograd.nn.Module such as Dense(64). "
                f"Received: {layer!r} of type {type(layer).__name__}"
            )
        if self.built:
            raise ValueError("Cannot add layers to a model that is already built.")
        taken = {existing.name for existing in self.layers}
        base, k = layer.name, 1
        while layer.name in taken:
            layer.name = f"{base}_{k}"
            k += 1
        self.add_module(str(len(self.layers)), layer)
        self.layers.append(layer)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Build every layer for inputs of shape (batch, n_features); records output shapes."""
        if not self.layers:
            raise ValueError("The model has no layers: pass some to Sequential([...]).")
        if self.built:
            return
        if len(input_shape) != 2 or input_shape[1] is None or input_shape[1] < 1:
            raise ValueError(
                "Expected an input shape (batch, n_features) with n_features >= 1. "
                f"Received: input_shape={input_shape}"
            )
        shape: tuple[int | None, ...] = (None, input_shape[1])
        self.output_shapes = []
        for index, layer in enumerate(self.layers):
            layer_dtype = getattr(layer, "dtype", None)
            if layer_dtype is not None and layer_dtype != self.dtype:
                raise ValueError(
                    f"Layer {layer.name!r} has dtype {layer_dtype}, the model {self.dtype}: "
                    "give the dtype to Sequential only."
                )
            if hasattr(layer, "_seed_entropy"):
                layer._seed_entropy = [self.seed, index]
            if hasattr(layer, "dtype"):
                layer.dtype = self.dtype
            layer.ensure_built(shape)
            shape = layer.compute_output_shape(shape)
            self.output_shapes.append(shape)
        self.config_input_shape = (None, input_shape[1])
        self.input_shape = self.config_input_shape
        self.built = True
        if self.optimizer is not None:
            self.optimizer.build(self.parameters())
        self._train_step = None

    @property
    def n_features(self) -> int:
        """Input width (after build)."""
        assert self.config_input_shape is not None and self.config_input_shape[1] is not None
        return self.config_input_shape[1]

    @property
    def units(self) -> int:
        """Output width (after build)."""
        last = self.output_shapes[-1][-1]
        assert last is not None
        return last

    def call(self, x: Tensor) -> Tensor:
        # Checkpoint-policy hook: with "all" every layer's saved arrays stay in the graph.
        if self._checkpoint_forward is not None:
            return self._checkpoint_forward(self.layers, x, self.checkpoint)
        for layer in self.layers:
            x = layer(x)
        return x

    def untraceable_reason(self) -> str | None:
        """Why `jit_compile` cannot trace this model's step: a checkpoint policy other than
        "all" recomputes activations inside backward, in hand-written nodes; or a layer's own
        reason."""
        if self.checkpoint != "all":
            return f"checkpoint={self.checkpoint!r} recomputes activations in backward"
        for layer in self.layers:
            reason = layer.untraceable_reason()
            if reason is not None:
                return f"layer {layer.name!r}: {reason}"
        return None

    def __call__(self, x: Tensor) -> Tensor:
        if not self.built:
            self.build(tuple(x.shape))
        return self.call(x)

    def _ensure_input(self, X: np.ndarray) -> None:
        """Build for `X`, or check that its feature count matches the built model."""
        if not self.built:
            self.build((None, X.shape[1]))
        elif X.shape[1] != self.n_features:
            raise ValueError(
                f"Input has {X.shape[1]} features, but the model expects {self.n_features} "
                f"(it was built for inputs of shape (n_samples, {self.n_features})). "
                f"Received: X with shape {X.shape}"
            )

    def summary(self, print_summary: bool = True) -> str:
        """A table of layers, output shapes and parameter counts; printed and returned."""
        return summary.summarize(self, print_summary=print_summary)

    # -- export (torch and onnx are optional: imported by the functions called) -------------

    def to_torch(self) -> Any:
        """A ``torch.nn.Sequential`` with this model's weights, outputs and mode (see
        `memograd.nn.torch_bridge`)."""
        return torch_bridge.to_torch(self)

    @classmethod
    def from_torch(cls, module: Any) -> Sequential:
        """Import a PyTorch MLP (``Linear``, activations, ``BatchNorm1d``, ``LayerNorm``,
        ``Dropout``); see `memograd.nn.torch_bridge.read_module`: a built model with the
        module's weights, buffers and mode."""
        imported = torch_bridge.read_module(module)
        model = cls(imported.layers, dtype=imported.dtype)
        model.build((None, imported.input_width))
        imported.fill()
        model.train(imported.training)
        return model

    def export_onnx(
        self, path: str | os.PathLike[str], opset: int = 17, dtype: DTypeLike | None = None
    ) -> None:
        """Write the model's inference graph (standard ONNX ops, `opset` >= 17, `dtype` the
        model's unless given) to `path`, atomically; see `memograd.nn.onnx_export`."""
        onnx_export.export_onnx(self, path, opset=opset, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dtype": self.dtype.name,
            "seed": self.seed,
            "checkpoint": self.checkpoint,
            "input_shape": None if self.config_input_shape is None else [None, self.n_features],
            "layers": [serialize(layer) for layer in self.layers],
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Sequential:
        """Rebuild an unbuilt model from `get_config()` (its `config_input_shape` is set)."""
        model = cls(
            [deserialize(layer) for layer in config["layers"]],
            checkpoint=config.get("checkpoint", "all"),
            dtype=config.get("dtype", "float32"),
            seed=config.get("seed", 0),
            name=config.get("name"),
        )
        shape = config.get("input_shape")
        if shape is not None:
            model.config_input_shape = (None, int(shape[1]))
        return model


def load(path: str | os.PathLike[str], *, verify: bool = True) -> Sequential:
    """Rebuild a model saved with `model.save(path)`: same layers, weights and compile state.

    Predictions of the loaded model are bit-identical to the saved one's. If the model was
    compiled, the loaded one is compiled with the same loss, metrics and optimizer (with its
    moment buffers and step count), so training can continue.

    Args:
        verify: check the file's sha256 checksum, which covers the weights and every
            metadata field (default). ``verify=False`` is the explicit opt-out for a file
            without a checksum (format 1) or one you edited on purpose: the file is still
            validated field by field, but edits are not detected. Save it again to give it a
            checksum.

    Raises:
        OSError: the file is missing or unreadable.
        ValueError: the file is truncated, tampered with, has no checksum (with verify), is
            not a memograd model, or its weights do not fit its architecture. The message
            names the file (and the field).

    Example:
        >>> model = mg.nn.load("m.safetensors")  # doctest: +SKIP
    """
    return io.rebuild(path, Sequential.from_config, verify=verify)
