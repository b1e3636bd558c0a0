"""RMSprop, plain, centered and with momentum (torch.optim.RMSprop's rule)."""

from __future__ import annotations

from typing import Any

import numpy as np

from memograd.nn._checks import non_negative_float, positive_float
from memograd.nn.optim._base import (
    LearningRate,
    Optimizer,
    check_beta,
    l2_grad,
    lerp_,
    square_avg_,
)


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
        self.alpha = check_beta("alpha", alpha)
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
        g = l2_grad(data, grad, self.weight_decay, tmp)
        square_avg = slots["square_avg"]
        square_avg_(square_avg, g, self.alpha, tmp2)  # s ← α·s + (1−α)·g²
        if self.centered:
            grad_avg = slots["grad_avg"]
            lerp_(grad_avg, g, 1.0 - self.alpha, tmp2)
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
