"""Optimizers: SGD, Adam, AdamW, RMSprop — PyTorch's update rules, in place, on NumPy arrays.

An optimizer updates parameters: objects with a `.data` ndarray and a `.grad` ndarray (or
None, then the parameter is skipped this step), such as `memograd.Tensor` leaves. Build it
Keras style without parameters (`Adam(1e-3)`, bound by `model.compile`), or bind them with
`build(params)`. Each rule follows `torch.optim`'s single-tensor implementation operation by
operation, so in float64 the two agree to rounding (the tests compare them step by step).

Updates write into `param.data` and per-parameter scratch buffers allocated once in
`build`, so a step allocates no parameter-sized arrays.

`lr` is a float or a `memograd.nn.schedules.LearningRateSchedule`, evaluated at the step
count before each update. `state_dict()` holds the step count and every moment buffer, so a
saved run resumes exactly.

Example:
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from memograd.nn import optim
    >>> p = SimpleNamespace(data=np.array([1.0, 2.0]), grad=np.array([0.5, -0.5]))
    >>> opt = optim.SGD(lr=0.1)
    >>> opt.build([p])
    >>> opt.step()
    >>> p.data
    array([0.95, 2.05])
"""

from __future__ import annotations

from typing import Any

from memograd.nn import schedules
from memograd.nn._checks import instance, lookup
from memograd.nn.optim._adam import Adam, AdamW
from memograd.nn.optim._base import LearningRate, Optimizer, Parameter
from memograd.nn.optim._rmsprop import RMSprop
from memograd.nn.optim._sgd import SGD

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "LearningRate",
    "Optimizer",
    "Parameter",
    "RMSprop",
    "deserialize",
    "get",
    "names",
    "serialize",
]


_REGISTRY: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adam": Adam,
    "adamw": AdamW,
    "rmsprop": RMSprop,
}


def get(identifier: str | Optimizer) -> Optimizer:
    """An optimizer instance: a name gives a fresh one with default settings.

    Raises:
        ValueError: for an unknown name; the message lists the valid names.
    """
    expected = "a name such as 'adam' or an Optimizer instance"
    return instance("optimizer", identifier, Optimizer, _REGISTRY, expected)


def names() -> list[str]:
    """Every registered optimizer name."""
    return sorted(_REGISTRY)


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """`{"class_name": ..., "config": ...}` for a model file."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(document: dict[str, Any]) -> Optimizer:
    """Rebuild an optimizer (without parameters or state) from `serialize`'s output."""
    config = dict(document.get("config", {}))
    lr = config.get("lr")
    if isinstance(lr, dict):
        config["lr"] = schedules.deserialize(lr)
    cls = lookup("optimizer", str(document.get("class_name")), _REGISTRY)
    return cls(**config)
