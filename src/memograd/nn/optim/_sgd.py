"""SGD with momentum, Nesterov momentum and L2 weight decay (torch.optim.SGD's rule)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from memograd import _blas
from memograd._errors import invalid_value
from memograd.nn._checks import non_negative_float
from memograd.nn.optim._base import LearningRate, Optimizer, l2_grad


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay.

    `g ← grad + weight_decay·p;  b ← momentum·b + g;  g ← g + momentum·b (Nesterov) or b;
    p ← p − lr·g` — `torch.optim.SGD` with `dampening=0`. The last step is one BLAS ``axpy``
    pass (`memograd._blas`: one rounding per element) for float32/float64 parameters.

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
            raise invalid_value("momentum", "a positive number when nesterov=True", momentum)

    def _active_slots(self) -> tuple[str, ...]:
        return ("momentum_buffer",) if self.momentum else ()

    def _hyperparameters(self) -> dict[str, Any]:
        return {
            "momentum": self.momentum,
            "nesterov": self.nesterov,
            "weight_decay": self.weight_decay,
        }

    def flat_update(
        self, weights: np.ndarray, grads: np.ndarray, scratch: np.ndarray
    ) -> Callable[[], bool] | None:
        """A step over all parameters laid out in flat arrays (a compiled step asks).

        Returns a function doing one step — ``weights += −lr · grads``, one BLAS ``axpy``
        pass over every parameter, the eager rule's arithmetic (`_update`) — or returning
        False without one when momentum or weight decay is set (the caller then runs `step`).
        """
        lr = np.empty((), dtype=grads.dtype)  # (the NumPy spelling, for a dtype BLAS lacks)
        multiply, subtract = np.multiply, np.subtract
        axpy = _blas.axpy_for(grads.dtype)
        fused = axpy is not None and all(
            a.ndim == 1 and a.flags.c_contiguous for a in (grads, weights)
        )
        size = weights.size

        def step() -> bool:
            if self.momentum or self.weight_decay:
                return False
            rate = self.learning_rate
            self.iterations += 1
            if fused:
                axpy(grads, weights, size, -rate)  # in place: 1-D, contiguous, its dtype
                return True
            lr[...] = rate
            multiply(grads, lr, scratch)
            subtract(weights, scratch, weights)
            return True

        return step

    def _update(
        self,
        data: np.ndarray,
        grad: np.ndarray,
        slots: dict[str, np.ndarray],
        scratch: tuple[np.ndarray, np.ndarray],
        lr: float,
    ) -> None:
        tmp, tmp2 = scratch
        g = l2_grad(data, grad, self.weight_decay, tmp)
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
        if not _blas.axpy(-lr, g, data):  # a dtype or a layout BLAS cannot take
            np.multiply(g, lr, out=tmp)
            data -= tmp
