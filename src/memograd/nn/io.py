"""Save and load whole models: weights, architecture, compile settings, optimizer state.

A model file is a safetensors file written by `memograd.nn._fileformat` (atomically, never
pickled). Tensors:

- ``param/<name>``: each parameter and buffer, e.g. ``param/0.kernel`` (shape (in, out)).
- ``optimizer/<index>.<slot>``: the optimizer's moment buffers, e.g. ``optimizer/0.exp_avg``.

JSON metadata (``kind: "memograd.Sequential"``): ``architecture`` (the model's config: layer
class names and constructor arguments, dtype, seed, input shape), ``compile`` (loss name,
optimizer class and hyperparameters, metrics), ``optimizer_state`` (step count),
``epoch`` (finished epochs), ``history``, ``training`` (the seed, validation split and a
fingerprint of the data `fit` trained on) — everything `fit(resume_from=...)` needs — and
``info`` (`model.info`: free JSON facts such as the dataset and class names).

Loading verifies the file's sha256 checksum (over all of that and the tensors), validates the
metadata field by field (`memograd.nn._model_schema`) and compares the architecture with the
stored tensor shapes before building anything.

Example:
    >>> import memograd as mg  # doctest: +SKIP
    >>> model.save("m.safetensors"); same = mg.nn.load("m.safetensors")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from memograd.nn._fileformat import Check, load_model_file, save_model_file
from memograd.nn._model_schema import KIND, check_model
from memograd.nn._schema import SchemaError
from memograd.nn.history import History

if TYPE_CHECKING:
    from memograd.nn.model import Model
    from memograd.nn.sequential import Sequential

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
    if model._training_record is not None:
        metadata["training"] = model._training_record
    if model.compiled:
        metadata["compile"] = model.get_compile_config()
        optimizer = model.optimizer
        if optimizer is not None and optimizer.built:
            state = optimizer.state_dict()
            metadata["optimizer_state"] = {"iterations": state["iterations"]}
            for key, buffer in state["slots"].items():
                tensors[_OPTIMIZER + key] = buffer
    save_model_file(path, tensors, metadata, check=_check(f"Cannot save {str(path)!r}: the model"))


def _check(prefix: str) -> Check:
    """`check_model` with errors that start with `prefix` (which names the file)."""

    def check(metadata: dict[str, Any], shapes: dict[str, tuple[str, tuple[int, ...]]]) -> None:
        if metadata.get("kind") != KIND:
            raise ValueError(
                f"{prefix} is a memograd file but not a saved model "
                f"(kind={metadata.get('kind')!r}); write one with model.save(path)."
            )
        try:
            check_model(metadata, shapes)
        except SchemaError as error:
            raise ValueError(f"{prefix} has an invalid {error}") from None
        except ValueError as error:
            raise ValueError(f"{prefix} {error}") from None

    return check


def _read(
    path: str | os.PathLike[str], where: str, verify: bool = True
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The file's tensors and metadata, validated before the tensors are read."""
    return load_model_file(path, verify=verify, check=_check(f"Model file {where}"))


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
    saved_class = metadata["compile"]["optimizer"]["class_name"]
    try:
        optimizer.load_state_dict(
            {"name": saved_class, "iterations": state["iterations"], "slots": slots}
        )
    except ValueError as error:
        raise ValueError(f"Model file {where}: {error}") from None


def rebuild(
    path: str | os.PathLike[str],
    from_config: Callable[[dict[str, Any]], Sequential],
    *,
    verify: bool = True,
) -> Sequential:
    """The model saved at `path`, made by `from_config` from its architecture, then built,
    given its weights and (if it was compiled) compiled with its optimizer state; see
    `memograd.nn.load`, which passes ``Sequential.from_config``."""
    where = repr(str(path))
    tensors, metadata = _read(path, where, verify)
    try:
        model = from_config(metadata["architecture"])
        assert model.config_input_shape is not None  # required by the schema
        model.build(model.config_input_shape)
    except (TypeError, ValueError) as error:
        raise ValueError(f"Model file {where} has an invalid architecture: {error}") from None
    model.load_state_dict(_weights(tensors))  # names and shapes were checked with the schema
    compile_config = metadata.get("compile")
    if compile_config:
        try:
            model.compile(**model.compile_arguments(compile_config))
        except (TypeError, ValueError) as error:
            raise ValueError(f"Model file {where} has invalid compile settings: {error}") from None
        _restore_optimizer(model, tensors, metadata, where)
    model._epochs_done = metadata["epoch"]
    model.info = metadata.get("info", {})
    model._training_record = metadata.get("training")
    if "history" in metadata:
        model.history = _history(metadata["history"])
    return model


def _weights(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k[len(_PARAM) :]: v for k, v in tensors.items() if k.startswith(_PARAM)}


def _history(document: dict[str, Any]) -> History:
    cleaned = {
        "epoch": document["epoch"],
        "history": {
            k: [math.nan if v is None else v for v in values]
            for k, values in document["history"].items()
        },
    }
    return History.from_dict(cleaned)


# -- resume ------------------------------------------------------------------------------------


def training_record(
    X: np.ndarray,
    y: np.ndarray,
    validation: tuple[np.ndarray, np.ndarray] | None,
    seed: int,
    validation_split: float,
) -> dict[str, Any]:
    """What `fit` trains on, saved with the model so a resume can refuse other data.

    The fingerprint is a sha256 over the (prepared) arrays' dtypes, shapes and bytes: about
    0.1 s per 100 MB, once per `fit`.
    """
    h = hashlib.sha256()
    arrays = [X, y, *(validation or ())]
    for array in arrays:
        contiguous = np.ascontiguousarray(array)
        h.update(f"{contiguous.dtype.str}{contiguous.shape}".encode())
        h.update(contiguous.reshape(-1).view(np.uint8).data)
    return {
        "seed": seed,
        "validation_split": float(validation_split),
        "samples": len(X),
        "data_sha256": h.hexdigest(),
    }


def restore_checkpoint(
    model: Model, path: str | os.PathLike[str], training: dict[str, Any] | None = None
) -> tuple[int, History]:
    """Load a checkpoint into `model` (built, compiled) for `fit(resume_from=path)`.

    Args:
        training: this fit's `training_record`; a checkpoint that recorded another seed,
            validation split or data is refused.

    Returns:
        The number of epochs the checkpoint finished, and the history up to it.

    Raises:
        ValueError: the checkpoint's architecture, seed, data or optimizer differ from the
            model's and this fit's; the message names each difference.
    """
    where = repr(str(path))
    tensors, metadata = _read(path, where)
    differences = _architecture_differences(metadata["architecture"], model.get_config())
    saved = metadata.get("training")
    if training is not None and saved is not None:
        differences += _training_differences(saved, training)
    if differences:
        raise ValueError(
            f"Cannot resume from {where}: {'; '.join(differences)}. A resumed run must continue "
            "with the model, data and seed it was trained with; to train the saved model as a "
            "new run, load it with mg.nn.load(path) and call fit without resume_from."
        )
    model.load_state_dict(_weights(tensors))
    if model.optimizer is not None and metadata.get("optimizer_state") is not None:
        saved_class = metadata["compile"]["optimizer"]["class_name"]
        if saved_class != type(model.optimizer).__name__:
            raise ValueError(
                f"Cannot resume from {where}: it was trained with {saved_class}, the model is "
                f"compiled with {type(model.optimizer).__name__}."
            )
        _restore_optimizer(model, tensors, metadata, where)
    history = _history(metadata["history"]) if "history" in metadata else History()
    return metadata["epoch"], history


def _architecture_differences(theirs: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    """Each way the file's architecture differs from the model's (layer names aside)."""
    differences = [
        f"its {key} is {theirs.get(key)!r}, the model's {ours.get(key)!r}"
        for key in ("dtype", "seed", "input_shape")
        if theirs.get(key) != ours.get(key)
    ]
    mine, other = theirs["layers"], ours["layers"]
    if [layer["class_name"] for layer in mine] != [layer["class_name"] for layer in other]:
        return [f"its layers {_describe(theirs)} differ from the model's {_describe(ours)}"]
    for index, (a, b) in enumerate(zip(mine, other, strict=True)):
        config_a, config_b = a.get("config", {}), b.get("config", {})
        for key in sorted((set(config_a) | set(config_b)) - {"name"}):
            if config_a.get(key) != config_b.get(key):
                differences.append(
                    f"layer {index} ({a['class_name']}) has {key}={config_a.get(key)!r} in the "
                    f"file, {key}={config_b.get(key)!r} in the model"
                )
    return differences


def _training_differences(saved: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    differences = [
        f"it was trained with {key}={saved[key]!r}, this fit has {key}={ours[key]!r}"
        for key in ("seed", "validation_split")
        if saved[key] != ours[key]
    ]
    if saved["data_sha256"] != ours["data_sha256"]:
        differences.append(
            f"it was trained on other data ({saved['samples']} samples, fingerprint "
            f"{saved['data_sha256'][:12]}), this fit has {ours['samples']} samples "
            f"(fingerprint {ours['data_sha256'][:12]})"
        )
    return differences


def _describe(config: dict[str, Any]) -> str:
    parts = []
    for layer in config.get("layers", []):
        cfg = layer.get("config", {})
        detail = cfg.get("units", cfg.get("rate", ""))
        parts.append(f"{layer.get('class_name')}({detail})")
    return "[" + ", ".join(parts) + "]"


__all__ = ["rebuild", "restore_checkpoint", "save", "training_record"]
