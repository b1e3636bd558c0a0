"""The optimizer base class: binding parameters, slots (moment buffers), step count, state."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import numpy as np

from memograd.nn import schedules
from memograd.nn._checks import non_negative_float, positive_float


class Parameter(Protocol):
    """What an optimizer needs from a parameter."""

    data: np.ndarray
    grad: np.ndarray | None


LearningRate = float | schedules.LearningRateSchedule


def check_lr(lr: object) -> LearningRate:
    if isinstance(lr, schedules.LearningRateSchedule):
        return lr
    return positive_float("lr", lr)


def check_beta(name: str, value: object) -> float:
    return non_negative_float(name, value, upper=1.0)


def lerp_(start: np.ndarray, end: np.ndarray, weight: float, tmp: np.ndarray) -> None:
    """`start += weight * (end - start)` in place, rounded the way torch's `lerp_` is."""
    np.subtract(end, start, out=tmp)
    if weight < 0.5:
        tmp *= weight
        start += tmp
    else:
        tmp *= 1.0 - weight
        np.subtract(end, tmp, out=start)


def square_avg_(avg: np.ndarray, grad: np.ndarray, decay: float, tmp: np.ndarray) -> None:
    """`avg ← decay·avg + (1 − decay)·grad²` in place (Adam's and RMSprop's second moment)."""
    avg *= decay
    np.multiply(grad, 1.0 - decay, out=tmp)
    tmp *= grad
    avg += tmp


def l2_grad(data: np.ndarray, grad: np.ndarray, weight_decay: float, tmp: np.ndarray) -> np.ndarray:
    """`grad + weight_decay·data` written into `tmp` (`grad` itself when there is no decay)."""
    if not weight_decay:
        return grad
    np.multiply(data, weight_decay, out=tmp)
    tmp += grad
    return tmp


class Optimizer:
    """Base class: binds parameters, keeps slots (moment buffers) and the step count."""

    #: names of the per-parameter state buffers, created as zeros in `build`
    slot_names: tuple[str, ...] = ()

    def __init__(self, lr: LearningRate = 1e-3) -> None:
        self.lr: LearningRate = check_lr(lr)
        self.iterations = 0
        self._params: list[Parameter] = []
        self._slots: list[dict[str, np.ndarray]] = []
        self._scratch: list[tuple[np.ndarray, np.ndarray]] = []

    # -- binding -----------------------------------------------------------------------------

    def build(self, params: Iterable[Parameter]) -> None:
        """Bind `params` and create zeroed state for each (resets the step count)."""
        self._params = list(params)
        if not self._params:
            raise ValueError("The optimizer received an empty parameter list.")
        self._slots = [
            {name: np.zeros_like(p.data) for name in self._active_slots()} for p in self._params
        ]
        self._scratch = [(np.empty_like(p.data), np.empty_like(p.data)) for p in self._params]
        self.iterations = 0

    @property
    def built(self) -> bool:
        """Whether parameters are bound."""
        return bool(self._params)

    def _active_slots(self) -> tuple[str, ...]:
        return self.slot_names

    # -- stepping ----------------------------------------------------------------------------

    @property
    def learning_rate(self) -> float:
        """The learning rate the next step will use."""
        if isinstance(self.lr, schedules.LearningRateSchedule):
            return float(self.lr(self.iterations))
        return self.lr

    def step(self) -> None:
        """Apply one update to every bound parameter that has a gradient."""
        if not self._params:
            raise RuntimeError("The optimizer has no parameters: call `build(params)` first.")
        lr = self.learning_rate
        self.iterations += 1
        for param, slots, scratch in zip(self._params, self._slots, self._scratch, strict=True):
            grad = param.grad
            if grad is not None:
                self._update(param.data, grad, slots, scratch, lr)

    def zero_grad(self) -> None:
        """Drop every bound parameter's gradient (`grad = None`, as torch does by default)."""
        for param in self._params:
            param.grad = None

    def _update(
        self,
        data: np.ndarray,
        grad: np.ndarray,
        slots: dict[str, np.ndarray],
        scratch: tuple[np.ndarray, np.ndarray],
        lr: float,
    ) -> None:
        raise NotImplementedError

    # -- configuration and state -------------------------------------------------------------

    def _hyperparameters(self) -> dict[str, Any]:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments (JSON-serialisable; a schedule becomes a small dict)."""
        lr: Any = (
            schedules.serialize(self.lr)
            if isinstance(self.lr, schedules.LearningRateSchedule)
            else self.lr
        )
        return {"lr": lr, **self._hyperparameters()}

    def _flat_slots(self) -> dict[str, np.ndarray]:
        """Every slot buffer under its `"<parameter index>.<slot name>"` key."""
        return {
            f"{index}.{name}": buffer
            for index, slots in enumerate(self._slots)
            for name, buffer in slots.items()
        }

    def state_dict(self) -> dict[str, Any]:
        """`{"name", "config", "iterations", "slots": {"<index>.<slot>": ndarray}}`.

        Arrays are the live buffers; copy them if you keep the dict while training goes on.
        """
        return {
            "name": type(self).__name__,
            "config": self.get_config(),
            "iterations": self.iterations,
            "slots": self._flat_slots(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the step count and buffers written by `state_dict` (parameters bound first).

        Raises:
            ValueError: when the state belongs to another optimizer class or other shapes.
        """
        if not self._params:
            raise RuntimeError("Bind the parameters with `build(params)` before loading state.")
        if state.get("name") != type(self).__name__:
            raise ValueError(
                f"Cannot load {state.get('name')!r} optimizer state into {type(self).__name__}."
            )
        slots_in = state.get("slots", {})
        expected = self._flat_slots()
        if set(slots_in) != set(expected):
            missing = sorted(set(expected) - set(slots_in))
            unexpected = sorted(set(slots_in) - set(expected))
            raise ValueError(
                "Optimizer state does not match the parameters: "
                f"missing {missing[:5]}, unexpected {unexpected[:5]}."
            )
        for key, buffer in expected.items():
            value = np.asarray(slots_in[key])
            if value.shape != buffer.shape:
                raise ValueError(
                    f"Optimizer state {key!r} has shape {value.shape}, expected {buffer.shape}."
                )
            buffer[...] = value
        self.iterations = int(state.get("iterations", 0))

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({args})"
