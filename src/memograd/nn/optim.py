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

from collections.abc import Iterable
from typing import Any, Protocol

import numpy as np

from memograd.nn import schedules
from memograd.nn._checks import invalid, lookup, non_negative_float, positive_float


class Parameter(Protocol):
    """What an optimizer needs from a parameter."""

    data: np.ndarray
    grad: np.ndarray | None


LearningRate = float | schedules.LearningRateSchedule


def _check_lr(lr: object) -> LearningRate:
    if isinstance(lr, schedules.LearningRateSchedule):
        return lr
    return positive_float("lr", lr)


def _check_beta(name: str, value: object) -> float:
    return non_negative_float(name, value, upper=1.0)


def _lerp_(start: np.ndarray, end: np.ndarray, weight: float, tmp: np.ndarray) -> None:
    """`start += weight * (end - start)` in place, rounded the way torch's `lerp_` is."""
    np.subtract(end, start, out=tmp)
    if weight < 0.5:
        tmp *= weight
        start += tmp
    else:
        tmp *= 1.0 - weight
        np.subtract(end, tmp, out=start)


class Optimizer:
    """Base class: binds parameters, keeps slots (moment buffers) and the step count."""

    #: names of the per-parameter state buffers, created as zeros in `build`
    slot_names: tuple[str, ...] = ()

    def __init__(self, lr: LearningRate = 1e-3) -> None:
        self.lr: LearningRate = _check_lr(lr)
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

    def state_dict(self) -> dict[str, Any]:
        """`{"name", "config", "iterations", "slots": {"<index>.<slot>": ndarray}}`.

        Arrays are the live buffers; copy them if you keep the dict while training goes on.
        """
        flat = {
            f"{index}.{name}": buffer
            for index, slots in enumerate(self._slots)
            for name, buffer in slots.items()
        }
        return {
            "name": type(self).__name__,
            "config": self.get_config(),
            "iterations": self.iterations,
            "slots": flat,
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
        expected = {
            f"{index}.{name}": buffer
            for index, slots in enumerate(self._slots)
            for name, buffer in slots.items()
        }
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


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay.

    `g ← grad + weight_decay·p;  b ← momentum·b + g;  g ← g + momentum·b (Nesterov) or b;
    p ← p − lr·g` — `torch.optim.SGD` with `dampening=0`.

    Example:
        >>> SGD(lr=0.01, momentum=0.9, nesterov=True)
        SGD(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.0)
    """

    def __init__(
        self,
        lr: LearningRate = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr)
        self.momentum = non_negative_float("momentum", momentum)
        self.nesterov = bool(nesterov)
        self.weight_decay = non_negative_float("weight_decay", weight_decay)
        if self.nesterov and self.momentum == 0.0:
            raise invalid("momentum", "a positive number when nesterov=True", momentum)

    def _active_slots(self) -> tuple[str, ...]:
        return ("momentum_buffer",) if self.momentum else ()

    def _hyperparameters(self) -> dict[str, Any]:
        return {
            "momentum": self.momentum,
            "nesterov": self.nesterov,
            "weight_decay": self.weight_decay,
        }

    def _update(
        self,
        data: np.ndarray,
        grad: np.ndarray,
        slots: dict[str, np.ndarray],
        scratch: tuple[np.ndarray, np.ndarray],
        lr: float,
    ) -> None:
        tmp, tmp2 = scratch
        g = grad
        if self.weight_decay:
            np.multiply(data, self.weight_decay, out=tmp)
            tmp += grad
            g = tmp
        if self.momentum:
            buf = slots["momentum_buffer"]
            # torch starts the buffer as a copy of g; 0·momentum + g is that copy exactly.
            buf *= self.momentum
            buf += g
            if self.nesterov:
                np.multiply(buf, self.momentum, out=tmp2)
                np.add(g, tmp2, out=tmp)
                g = tmp
            else:
                g = buf
        np.multiply(g, lr, out=tmp)
        data -= tmp


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction; `weight_decay` is L2 added to the grad.

    Matches `torch.optim.Adam` (amsgrad=False): defaults lr=1e-3, betas=(0.9, 0.999),
    eps=1e-8.

    Example:
        >>> Adam(1e-3)
        Adam(lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-08, weight_decay=0.0)
    """

    slot_names = ("exp_avg", "exp_avg_sq")
    _decoupled = False

    def __init__(
        self,
        lr: LearningRate = 1e-3,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr)
        self.beta_1 = _check_beta("beta_1", beta_1)
        self.beta_2 = _check_beta("beta_2", beta_2)
        self.eps = positive_float("eps", eps)
        self.weight_decay = non_negative_float("weight_decay", weight_decay)

    def _hyperparameters(self) -> dict[str, Any]:
        return {
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "eps": self.eps,
            "weight_decay": self.weight_decay,
        }

    def _update(
        self,
        data: np.ndarray,
        grad: np.ndarray,
        slots: dict[str, np.ndarray],
        scratch: tuple[np.ndarray, np.ndarray],
        lr: float,
    ) -> None:
        tmp, tmp2 = scratch
        exp_avg, exp_avg_sq = slots["exp_avg"], slots["exp_avg_sq"]
        g = grad
        if self.weight_decay:
            if self._decoupled:
                data *= 1.0 - lr * self.weight_decay
            else:
                np.multiply(data, self.weight_decay, out=tmp)
                tmp += grad
                g = tmp
        _lerp_(exp_avg, g, 1.0 - self.beta_1, tmp2)  # m ← β1·m + (1−β1)·g
        exp_avg_sq *= self.beta_2  # v ← β2·v + (1−β2)·g²
        np.multiply(g, 1.0 - self.beta_2, out=tmp2)
        tmp2 *= g
        exp_avg_sq += tmp2
        step = self.iterations
        step_size = lr / (1.0 - self.beta_1**step)
        bias_correction2_sqrt = (1.0 - self.beta_2**step) ** 0.5
        np.sqrt(exp_avg_sq, out=tmp2)  # denominator √v̂ + ε
        tmp2 /= bias_correction2_sqrt
        tmp2 += self.eps
        np.multiply(exp_avg, step_size, out=tmp)
        tmp /= tmp2
        data -= tmp


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): `p ← p·(1 − lr·wd)` first.

    Matches `torch.optim.AdamW`, whose default weight_decay is 1e-2.

    Example:
        >>> AdamW(1e-3).weight_decay
        0.01
    """

    _decoupled = True

    def __init__(
        self,
        lr: LearningRate = 1e-3,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(lr, beta_1, beta_2, eps, weight_decay)


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root mean square of recent gradients.

    Matches `torch.optim.RMSprop` (defaults lr=1e-2, alpha=0.99, eps=1e-8), including the
    `centered` and `momentum` variants.

    Example:
        >>> RMSprop(1e-3, momentum=0.9).momentum
        0.9
    """

    def __init__(
        self,
        lr: LearningRate = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(lr)
        self.alpha = _check_beta("alpha", alpha)
        self.eps = positive_float("eps", eps)
        self.weight_decay = non_negative_float("weight_decay", weight_decay)
        self.momentum = non_negative_float("momentum", momentum)
        self.centered = bool(centered)

    def _active_slots(self) -> tuple[str, ...]:
        names = ["square_avg"]
        if self.momentum:
            names.append("momentum_buffer")
        if self.centered:
            names.append("grad_avg")
        return tuple(names)

    def _hyperparameters(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "eps": self.eps,
            "weight_decay": self.weight_decay,
            "momentum": self.momentum,
            "centered": self.centered,
        }

    def _update(
        self,
        data: np.ndarray,
        grad: np.ndarray,
        slots: dict[str, np.ndarray],
        scratch: tuple[np.ndarray, np.ndarray],
        lr: float,
    ) -> None:
        tmp, tmp2 = scratch
        g = grad
        if self.weight_decay:
            np.multiply(data, self.weight_decay, out=tmp)
            tmp += grad
            g = tmp
        square_avg = slots["square_avg"]
        square_avg *= self.alpha  # s ← α·s + (1−α)·g²
        np.multiply(g, 1.0 - self.alpha, out=tmp2)
        tmp2 *= g
        square_avg += tmp2
        if self.centered:
            grad_avg = slots["grad_avg"]
            _lerp_(grad_avg, g, 1.0 - self.alpha, tmp2)
            np.multiply(grad_avg, grad_avg, out=tmp2)
            np.subtract(square_avg, tmp2, out=tmp2)
            np.sqrt(tmp2, out=tmp2)
        else:
            np.sqrt(square_avg, out=tmp2)
        tmp2 += self.eps  # tmp2 = avg, the denominator
        if self.momentum:
            buf = slots["momentum_buffer"]
            buf *= self.momentum
            np.divide(g, tmp2, out=tmp2)
            buf += tmp2
            np.multiply(buf, lr, out=tmp)
        else:
            np.multiply(g, lr, out=tmp)
            tmp /= tmp2
        data -= tmp


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
    if isinstance(identifier, Optimizer):
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(
            "Expected `optimizer` to be a name such as 'adam' or an Optimizer instance. "
            f"Received: optimizer={identifier!r} of type {type(identifier).__name__}"
        )
    return lookup("optimizer", identifier, _REGISTRY)()


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
