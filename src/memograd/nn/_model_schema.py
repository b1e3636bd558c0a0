"""What the metadata of a saved model may hold, and its agreement with the file's tensors.

`check_model(metadata, tensor_shapes)` runs before anything is built or allocated: the whole
metadata against `MODEL` (types, ranges, known names, no unknown fields), then the
architecture against the tensors — the weight shapes the layers would create must be the
shapes stored in the file, so a small file cannot make the loader build huge layers.

Every problem raises `SchemaError` (a ValueError) naming the field, e.g.
``field `architecture.layers[1].config.units`: expected an integer >= 1. Received: 0``.
The tables below mirror the constructors' arguments; tests compare them with the signatures.
"""

from __future__ import annotations

import math
from typing import Any

from memograd.nn import activations, initializers, losses
from memograd.nn._schema import (
    SchemaError,
    Spec,
    any_json,
    boolean,
    integer,
    list_of,
    map_of,
    number,
    obj,
    one_of,
    optional,
    string,
    tagged,
)

KIND = "memograd.Sequential"

_DTYPE = string(("float32", "float64"))
_SEED = integer(0)
_POSITIVE = number(0.0, math.inf, open_min=True)
_NON_NEGATIVE = number(0.0)
_FRACTION = number(0.0, 1.0, open_max=True)  # [0, 1)
_HEX64 = string(pattern=r"[0-9a-f]{64}")

_COMMON = {"name": optional(string(max_length=256)), "dtype": optional(_DTYPE)}
_NORM = {"epsilon": _POSITIVE, "center": boolean(), "scale": boolean()}
LAYER_CONFIGS: dict[str, tuple[dict[str, Spec], dict[str, Spec]]] = {
    # class name: (required fields, optional fields) of `config`
    "Dense": (
        {"units": integer(1)},
        {
            **_COMMON,
            "seed": optional(_SEED),
            "activation": optional(string(activations.names())),
            "use_bias": boolean(),
            "kernel_initializer": string([*initializers.names(), "auto"]),
            "bias_initializer": string(initializers.names()),
        },
    ),
    "Dropout": ({"rate": _FRACTION}, {**_COMMON, "seed": optional(_SEED)}),
    "Normalization": ({}, _COMMON),
    "BatchNormalization": ({}, {**_COMMON, **_NORM, "momentum": _FRACTION}),
    "LayerNormalization": ({}, {**_COMMON, **_NORM}),
}

SCHEDULE_CONFIGS: dict[str, tuple[dict[str, Spec], dict[str, Spec]]] = {
    "ExponentialDecay": (
        {"initial_learning_rate": _POSITIVE, "decay_steps": integer(1), "decay_rate": _POSITIVE},
        {"staircase": boolean()},
    ),
    "CosineDecay": (
        {"initial_learning_rate": _POSITIVE, "decay_steps": integer(1)},
        {"alpha": number(0.0, 1.0)},
    ),
    "StepDecay": (
        {"initial_learning_rate": _POSITIVE, "step_size": integer(1)},
        {"gamma": _POSITIVE},
    ),
}


def _class(table: dict[str, tuple[dict[str, Spec], dict[str, Spec]]]) -> Spec:
    """`{"class_name": <a key of table>, "config": {...}}` with that class's config fields."""
    return tagged(
        "class_name",
        {
            name: obj({"class_name": string(), "config": obj(required, optional_fields)})
            for name, (required, optional_fields) in table.items()
        },
    )


_SCHEDULE = _class(SCHEDULE_CONFIGS)


def _learning_rate(value: Any, path: str) -> None:
    (_SCHEDULE if isinstance(value, dict) else _POSITIVE)(value, path)


_ADAM = {
    "lr": _learning_rate,
    "beta_1": _FRACTION,
    "beta_2": _FRACTION,
    "eps": _POSITIVE,
    "weight_decay": _NON_NEGATIVE,
}
OPTIMIZER_CONFIGS: dict[str, tuple[dict[str, Spec], dict[str, Spec]]] = {
    "SGD": (
        {},
        {
            "lr": _learning_rate,
            "momentum": _NON_NEGATIVE,
            "nesterov": boolean(),
            "weight_decay": _NON_NEGATIVE,
        },
    ),
    "Adam": ({}, _ADAM),
    "AdamW": ({}, _ADAM),
    "RMSprop": (
        {},
        {
            "lr": _learning_rate,
            "alpha": _FRACTION,
            "eps": _POSITIVE,
            "weight_decay": _NON_NEGATIVE,
            "momentum": _NON_NEGATIVE,
            "centered": boolean(),
        },
    ),
}


def _input_shape(value: Any, path: str) -> None:
    if not (isinstance(value, list) and len(value) == 2 and value[0] is None):
        raise SchemaError(path, "[null, n_features]", value)
    integer(1)(value[1], f"{path}[1]")


ARCHITECTURE = obj(
    {"layers": list_of(_class(LAYER_CONFIGS), min_length=1), "input_shape": _input_shape},
    {
        "name": optional(string(max_length=256)),
        "dtype": _DTYPE,
        "seed": _SEED,
        "checkpoint": one_of(
            "a checkpoint policy: 'all', 'none', 'sqrt', 'binomial:<slots>' or an integer >= 1",
            string(max_length=64),
            integer(1),
        ),
    },
)

COMPILE = obj(
    {"loss": string(losses.names()), "optimizer": _class(OPTIMIZER_CONFIGS)},
    {
        "metrics": list_of(string(max_length=64), max_length=64),
        "jit_compile": boolean(),
        "loss_config": obj({}, {"delta": _POSITIVE, "label_smoothing": _FRACTION}),
    },
)

INFO = obj(
    {},
    {
        "dataset": optional(string()),
        "classes": optional(
            list_of(one_of("a string or a number", string(), number()), min_length=1)
        ),
        "feature_names": optional(list_of(string())),
        "target_name": optional(string()),
        "seed": _SEED,
        "test_size": number(0.0, 1.0, open_min=True, open_max=True),
    },
    extra=any_json(),  # model.info is the user's: anything JSON holds
)

HISTORY = obj({"epoch": list_of(integer(0)), "history": map_of(list_of(optional(number())))})

#: What `fit` trained on, so `fit(resume_from=...)` can refuse other data or another seed.
TRAINING = obj(
    {
        "seed": _SEED,
        "validation_split": _FRACTION,
        "samples": integer(0),
        "data_sha256": _HEX64,
    }
)

MODEL = obj(
    {"kind": string((KIND,)), "architecture": ARCHITECTURE, "epoch": integer(0)},
    {
        "info": INFO,
        "history": HISTORY,
        "compile": COMPILE,
        "optimizer_state": obj({"iterations": integer(0)}),
        "training": TRAINING,
    },
)


def expected_state(
    architecture: dict[str, Any],
) -> tuple[dict[str, tuple[int, ...]], list[tuple[int, ...]], int]:
    """What building `architecture` (already valid) would create, without building it.

    Returns:
        every saved array's shape by name (``"1.kernel"``, ``"0.mean"``), the trainable
        parameters' shapes in optimizer order, and the output width.
    """
    width: int = architecture["input_shape"][1]
    state: dict[str, tuple[int, ...]] = {}
    trainable: list[tuple[int, ...]] = []
    buffers: dict[str, tuple[int, ...]] = {}
    for index, layer in enumerate(architecture["layers"]):
        config = layer["config"]
        if layer["class_name"] == "Dense":  # kernel (in, units), bias (units,)
            units = config["units"]
            state[f"{index}.kernel"] = (width, units)
            trainable.append((width, units))
            if config.get("use_bias", True):
                state[f"{index}.bias"] = (units,)
                trainable.append((units,))
            width = units
        elif layer["class_name"] == "Normalization":  # buffers, after the parameters
            buffers[f"{index}.mean"] = (width,)
            buffers[f"{index}.scale"] = (width,)
        elif layer["class_name"] in ("BatchNormalization", "LayerNormalization"):
            for weight, flag in (("gamma", "scale"), ("beta", "center")):
                if config.get(flag, True):  # gamma (width,), beta (width,)
                    state[f"{index}.{weight}"] = (width,)
                    trainable.append((width,))
            if layer["class_name"] == "BatchNormalization":
                buffers[f"{index}.moving_mean"] = (width,)
                buffers[f"{index}.moving_variance"] = (width,)
    return {**state, **buffers}, trainable, width


def _shape(dtype: str, shape: tuple[int, ...]) -> str:
    return f"{dtype}{list(shape)}"


def check_tensors(
    metadata: dict[str, Any], tensors: dict[str, tuple[str, tuple[int, ...]]]
) -> None:
    """The file's tensors must be exactly the arrays the architecture creates (and optimizer
    slots of the trainable ones), with the model's dtype. Raises ValueError."""
    architecture = metadata["architecture"]
    dtype = architecture.get("dtype", "float32")
    expected, trainable, _ = expected_state(architecture)
    weights = {k[len("param/") :]: v for k, v in tensors.items() if k.startswith("param/")}
    if set(weights) != set(expected):
        missing = sorted(set(expected) - set(weights))
        unexpected = sorted(set(weights) - set(expected))
        raise ValueError(
            f"does not match its architecture: missing weights {missing}, unexpected weights "
            f"{unexpected}."
        )
    for name, shape in expected.items():
        if weights[name] != (dtype, shape):
            raise ValueError(
                f"does not match its architecture: weight {name!r} is "
                f"{_shape(*weights[name])}, the layers expect {_shape(dtype, shape)}."
            )
    for key, (got_dtype, got_shape) in tensors.items():
        if key.startswith("param/"):
            continue
        index, _, slot = key.removeprefix("optimizer/").partition(".")
        if not key.startswith("optimizer/") or not index.isdigit() or not slot:
            raise ValueError(f"has a tensor {key!r} that is neither a weight nor optimizer state.")
        if int(index) >= len(trainable) or (got_dtype, got_shape) != (dtype, trainable[int(index)]):
            wanted = (
                _shape(dtype, trainable[int(index)])
                if int(index) < len(trainable)
                else f"one of {len(trainable)} parameters"
            )
            raise ValueError(
                f"does not match its architecture: optimizer state {key!r} is "
                f"{_shape(got_dtype, got_shape)}, expected {wanted}."
            )
    if any(k.startswith("optimizer/") for k in tensors) and "optimizer_state" not in metadata:
        raise ValueError("has optimizer state tensors but no `optimizer_state` field.")


def check_model(metadata: dict[str, Any], tensors: dict[str, tuple[str, tuple[int, ...]]]) -> None:
    """Validate a model file's metadata and tensor table (see the module docstring).

    Raises:
        SchemaError: a field is missing, of the wrong type or out of range (names the field).
        ValueError: fields disagree with each other or with the tensors.
    """
    MODEL(metadata, "")
    if "optimizer_state" in metadata and "compile" not in metadata:
        raise SchemaError(
            "optimizer_state", "no optimizer state without `compile`", received="both"
        )
    history = metadata.get("history")
    if history is not None:
        for key, values in history["history"].items():
            if len(values) != len(history["epoch"]):
                raise SchemaError(
                    f"history.history.{key}",
                    f"one value per epoch ({len(history['epoch'])})",
                    received=f"{len(values)} values",
                )
    check_tensors(metadata, tensors)
    classes = metadata.get("info", {}).get("classes")
    _, _, units = expected_state(metadata["architecture"])
    if classes is not None and len(classes) != max(units, 2):
        raise SchemaError(
            "info.classes",
            f"{max(units, 2)} class names for a model with {units} output(s)",
            received=f"{len(classes)} names",
        )


__all__ = ["KIND", "MODEL", "check_model", "check_tensors", "expected_state"]
