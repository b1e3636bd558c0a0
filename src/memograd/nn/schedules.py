"""Learning-rate schedules: pass one as an optimizer's `lr=`.

A schedule maps the optimizer's step count (0 for the first update) to a learning rate,
Keras style. The count is part of the optimizer state, so a resumed run picks the schedule up
exactly where it stopped.

Example:
    >>> from memograd.nn.schedules import ExponentialDecay
    >>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> schedule(0), schedule(10), schedule(20)
    (0.1, 0.05, 0.025)
"""

from __future__ import annotations

import math
from typing import Any

from memograd._errors import invalid_value
from memograd.nn._checks import lookup, non_negative_float, positive_float, positive_int


class LearningRateSchedule:
    """Base class: `schedule(step) -> float`, plus `get_config()` for model files."""

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-serialisable."""
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({args})"


class ExponentialDecay(LearningRateSchedule):
    """`lr * decay_rate ** (step / decay_steps)`; with `staircase`, the exponent is floored.

    Example:
        >>> ExponentialDecay(1.0, decay_steps=2, decay_rate=0.5, staircase=True)(3)
        0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
    ) -> None:
        self.initial_learning_rate = positive_float("initial_learning_rate", initial_learning_rate)
        self.decay_steps = positive_int("decay_steps", decay_steps)
        self.decay_rate = positive_float("decay_rate", decay_rate)
        self.staircase = bool(staircase)

    def __call__(self, step: int) -> float:
        exponent = step / self.decay_steps
        if self.staircase:
            exponent = math.floor(exponent)
        return self.initial_learning_rate * self.decay_rate**exponent

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
        }


class CosineDecay(LearningRateSchedule):
    """Half a cosine from `initial_learning_rate` down to `alpha * initial_learning_rate`.

    After `decay_steps` steps the rate stays at its floor.

    Example:
        >>> CosineDecay(1.0, decay_steps=4)(2)
        0.5
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0) -> None:
        self.initial_learning_rate = positive_float("initial_learning_rate", initial_learning_rate)
        self.decay_steps = positive_int("decay_steps", decay_steps)
        self.alpha = non_negative_float("alpha", alpha)
        if self.alpha > 1.0:
            raise invalid_value("alpha", "a number in [0, 1]", alpha)

    def __call__(self, step: int) -> float:
        progress = min(step, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
        return self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
        }


class StepDecay(LearningRateSchedule):
    """Multiply the rate by `gamma` every `step_size` steps (PyTorch's StepLR, per step).

    Example:
        >>> StepDecay(1.0, step_size=3, gamma=0.1)(7)
        0.010000000000000002
    """

    def __init__(self, initial_learning_rate: float, step_size: int, gamma: float = 0.1) -> None:
        self.initial_learning_rate = positive_float("initial_learning_rate", initial_learning_rate)
        self.step_size = positive_int("step_size", step_size)
        self.gamma = positive_float("gamma", gamma)

    def __call__(self, step: int) -> float:
        return self.initial_learning_rate * self.gamma ** (step // self.step_size)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "step_size": self.step_size,
            "gamma": self.gamma,
        }


_REGISTRY: dict[str, type[LearningRateSchedule]] = {
    "exponentialdecay": ExponentialDecay,
    "cosinedecay": CosineDecay,
    "stepdecay": StepDecay,
}


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """`{"class_name": ..., "config": ...}` for a model file."""
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(document: dict[str, Any]) -> LearningRateSchedule:
    """Rebuild a schedule written by `serialize`."""
    cls = lookup("learning-rate schedule", str(document.get("class_name")), _REGISTRY)
    return cls(**document.get("config", {}))
