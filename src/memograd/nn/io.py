"""Save and load whole models: weights, architecture, compile settings, optimizer state.

A model file is a safetensors file written by `memograd.nn._fileformat` (atomically, never
pickled). Tensors:

- ``param/<name>``: each parameter and buffer, e.g. ``param/0.kernel`` (shape (in, out)).
- ``optimizer/<index>.<slot>``: the optimizer's moment buffers, e.g. ``optimizer/0.exp_avg``.

JSON metadata (``kind: "memograd.Sequential"``): ``architecture`` (the model's config: layer
class names and constructor arguments, dtype, seed, input shape), ``compile`` (loss name,
optimizer class and hyperparameters, metrics), ``optimizer_state`` (step count),
``epoch`` (finished epochs), ``history`` — everything `fit(resume_from=...)` needs — and
``info`` (`model.info`: free JSON facts such as the dataset and class names).

Example:
    >>> import memograd as mg  # doctest: +SKIP
    >>> model.save("m.safetensors"); same = mg.nn.load("m.safetensors")  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from memograd.nn._fileformat import load_model_file, save_model_file
from memograd.nn.history import History

if TYPE_CHECKING:
    from memograd.nn.model import Model
    from memograd.nn.sequential import Sequential

KIND = "memograd.Sequential"
_PARAM = "param/"
_OPTIMIZER = "optimizer/"


def _finite_or_none(values: list[float]) -> list[float | None]:
    # JSON has no NaN: a diverged epoch is stored as null.
    return [v if math.isfinite(v) else None for v in values]


def save(model: Model, path: str | os.PathLike[str]) -> None:
    """Write `model` to `path` (see the module docstring for the layout).

    Raises:
        ValueError: the model is not built yet (it has no weights to save).
    """
    if not model.built:
        raise ValueError(
            "Cannot save a model that has not been built: call it on data, `fit` it, or "
            "`build((None, n_features))` first."
        )
    tensors: dict[str, np.ndarray] = {
        _PARAM + name: array for name, array in model._named_state().items()
    }
    metadata: dict[str, Any] = {
        "kind": KIND,
        "architecture": model.get_config(),
        "epoch": model._epochs_done,
        "info": model.info,
    }
    if model.history is not None:
        document = model.history.to_dict()
        document["history"] = {k: _finite_or_none(v) for k, v in document["history"].items()}
        metadata["history"] = document
    if model.compiled:
        metadata["compile"] = model.get_compile_config()
        optimizer = model.optimizer
        if optimizer is not None and optimizer.built:
            state = optimizer.state_dict()
            metadata["optimizer_state"] = {"iterations": state["iterations"]}
            for key, buffer in state["slots"].items():
                tensors[_OPTIMIZER + key] = buffer
    save_model_file(path, tensors, metadata)


def _read(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    tensors, metadata = load_model_file(path)
    if metadata.get("kind") != KIND or not isinstance(metadata.get("architecture"), dict):
        raise ValueError(
            f"Model file {str(path)!r} is a memograd file but not a saved model "
            f"(kind={metadata.get('kind')!r}); write one with model.save(path)."
        )
    return tensors, metadata


def _weights(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k[len(_PARAM) :]: v for k, v in tensors.items() if k.startswith(_PARAM)}


def _load_weights(model: Model, tensors: dict[str, np.ndarray], where: str) -> None:
    """Copy the file's weights into `model`, checking names, shapes and dtypes."""
    weights = _weights(tensors)
    params = model._named_state()
    if set(weights) != set(params):
        missing = sorted(set(params) - set(weights))
        unexpected = sorted(set(weights) - set(params))
        raise ValueError(
            f"Model file {where} does not match its architecture: missing weights {missing}, "
            f"unexpected weights {unexpected}."
        )
    for name, array in params.items():
        value = weights[name]
        if value.shape != array.shape or value.dtype != array.dtype:
            raise ValueError(
                f"Model file {where} does not match its architecture: weight {name!r} is "
                f"{value.dtype}{list(value.shape)}, the layers expect "
                f"{array.dtype}{list(array.shape)}."
            )
    model.load_state_dict(weights)


def _restore_optimizer(
    model: Model, tensors: dict[str, np.ndarray], metadata: dict[str, Any], where: str
) -> None:
    optimizer = model.optimizer
    state = metadata.get("optimizer_state")
    if optimizer is None or state is None:
        return
    if not optimizer.built:
        optimizer.build(model.parameters())
    slots = {k[len(_OPTIMIZER) :]: v for k, v in tensors.items() if k.startswith(_OPTIMIZER)}
    saved_class = metadata.get("compile", {}).get("optimizer", {}).get("class_name")
    try:
        optimizer.load_state_dict(
            {"name": saved_class, "iterations": state.get("iterations", 0), "slots": slots}
        )
    except ValueError as error:
        raise ValueError(f"Model file {where}: {error}") from None


def load(path: str | os.PathLike[str]) -> Sequential:
    """Rebuild a model saved with `model.save(path)`: same layers, weights and compile state.

    Predictions of the loaded model are bit-identical to the saved one's. If the model was
    compiled, the loaded one is compiled with the same loss, metrics and optimizer (with its
    moment buffers and step count), so training can continue.

    Raises:
        OSError: the file is missing or unreadable.
        ValueError: the file is truncated, tampered with, not a memograd model, or its
            weights do not fit its architecture.

    Example:
        >>> model = mg.nn.load("m.safetensors")  # doctest: +SKIP
    """
    from memograd.nn.sequential import Sequential

    where = repr(str(path))
    tensors, metadata = _read(path)
    try:
        model = Sequential.from_config(metadata["architecture"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"Model file {where} has an invalid architecture: {error}") from None
    if model.config_input_shape is None:
        raise ValueError(f"Model file {where} has no input shape in its architecture.")
    model.build(model.config_input_shape)
    _load_weights(model, tensors, where)
    compile_config = metadata.get("compile")
    if compile_config:
        try:
            model.compile(**Sequential.compile_arguments(compile_config))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"Model file {where} has invalid compile settings: {error}") from None
        _restore_optimizer(model, tensors, metadata, where)
    model._epochs_done = int(metadata.get("epoch", 0))
    info = metadata.get("info", {})
    model.info = info if isinstance(info, dict) else {}
    if "history" in metadata:
        model.history = _history(metadata["history"])
    return model


def _history(document: dict[str, Any]) -> History:
    cleaned = {
        "epoch": document.get("epoch", []),
        "history": {
            k: [math.nan if v is None else v for v in values]
            for k, values in document.get("history", {}).items()
        },
    }
    return History.from_dict(cleaned)


def restore_checkpoint(model: Model, path: str | os.PathLike[str]) -> tuple[int, History]:
    """Load a checkpoint into `model` (built, compiled) for `fit(resume_from=path)`.

    Returns:
        The number of epochs the checkpoint finished, and the history up to it.

    Raises:
        ValueError: the checkpoint's layers differ from the model's.
    """
    where = repr(str(path))
    tensors, metadata = _read(path)
    ours = model.get_config()
    theirs = metadata["architecture"]
    if _layers_signature(ours) != _layers_signature(theirs):
        raise ValueError(
            f"Cannot resume from {where}: its layers {_describe(theirs)} differ from the "
            f"model's {_describe(ours)}."
        )
    _load_weights(model, tensors, where)
    if model.optimizer is not None and metadata.get("optimizer_state") is not None:
        saved = metadata.get("compile", {}).get("optimizer", {}).get("class_name")
        if saved != type(model.optimizer).__name__:
            raise ValueError(
                f"Cannot resume from {where}: it was trained with {saved}, the model is "
                f"compiled with {type(model.optimizer).__name__}."
            )
        _restore_optimizer(model, tensors, metadata, where)
    epoch = int(metadata.get("epoch", 0))
    history = _history(metadata["history"]) if "history" in metadata else History()
    return epoch, history


def _layers_signature(config: dict[str, Any]) -> list[tuple[str, Any]]:
    layers = config.get("layers", [])
    return [
        (layer.get("class_name"), {k: v for k, v in layer.get("config", {}).items() if k != "name"})
        for layer in layers
    ] + [("dtype", config.get("dtype")), ("input_shape", config.get("input_shape"))]


def _describe(config: dict[str, Any]) -> str:
    parts = []
    for layer in config.get("layers", []):
        cfg = layer.get("config", {})
        detail = cfg.get("units", cfg.get("rate", ""))
        parts.append(f"{layer.get('class_name')}({detail})")
    return "[" + ", ".join(parts) + "]"


__all__ = ["load", "restore_checkpoint", "save"]
