"""Adam and AdamW (torch.optim.Adam / AdamW's rules, amsgrad off)."""

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
        self.beta_1 = check_beta("beta_1", beta_1)
        self.beta_2 = check_beta("beta_2", beta_2)
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
        if self._decoupled:
            g = grad
            if self.weight_decay:
                data *= 1.0 - lr * self.weight_decay
        else:
            g = l2_grad(data, grad, self.weight_decay, tmp)
        lerp_(exp_avg, g, 1.0 - self.beta_1, tmp2)  # m ← β1·m + (1−β1)·g
        square_avg_(exp_avg_sq, g, self.beta_2, tmp2)  # v ← β2·v + (1−β2)·g²
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
