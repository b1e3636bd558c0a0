"""Normalization layers: `BatchNormalization` and `LayerNormalization` (Keras names).

Both standardize their input with statistics over some axes and then scale and shift each
feature with trainable `gamma` and `beta`: y = (x − mean) / √(var + ε) · γ + β. They differ
only in the axes of the statistics, so they share one primitive, `NormalizeAffine`:

- `BatchNormalization` takes the statistics over the batch (every axis but the last) while
  training, and keeps moving averages of them (buffers, saved with the model) for inference;
- `LayerNormalization` takes them over the last axis of each sample, in both modes.

Numbers follow PyTorch: `momentum` is Keras's (the weight of the old moving average,
moving = momentum · moving + (1 − momentum) · batch), and its default 0.9 is
``torch.nn.BatchNorm1d``'s momentum=0.1; the moving variance is updated with the unbiased
batch variance (n / (n − 1)) as PyTorch does, while the batch itself is normalized with the
biased one; `epsilon` defaults to PyTorch's 1e-5 (Keras uses 1e-3).

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> bn = BatchNormalization()
    >>> y = bn(mg.Tensor(np.array([[1.0, 10.0], [3.0, 30.0]], dtype=np.float32)))
    >>> np.round(y.data, 3).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    >>> bn.moving_mean.tolist()
    [0.20000000298023224, 2.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from memograd._errors import invalid_value
from memograd.nn._checks import non_negative_float
from memograd.nn.layers import Layer
from memograd.tensor import Primitive, Tensor
from memograd.tensor._primitive import apply, primitive

Needs = tuple[bool, ...]


@primitive
class NormalizeAffine(Primitive):
    """(x − mean) / √(var + ε) · γ + β, the statistics (biased variance) over `axes` of x.

    γ and β have the shape of x's last axis. Residuals: x̂ (the standardized input) and
    1/√(var + ε). The VJP is the usual one for a standardization (the mean and variance
    depend on x too): dx = inv · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)) over `axes`.
    """

    axes: tuple[int, ...]
    epsilon: float
    name = "normalize"
    residuals = 2

    def forward(self, xp: Any, x: Any, gamma: Any, beta: Any) -> Any:
        mean = x.mean(axis=self.axes, keepdims=True)
        d = x - mean
        inv = 1.0 / xp.sqrt((d * d).mean(axis=self.axes, keepdims=True) + self.epsilon)
        xhat = d * inv
        return xhat * gamma + beta, xhat, inv

    def vjp(
        self,
        xp: Any,
        g: Any,
        x: Any,
        gamma: Any,
        beta: Any,
        y: Any,
        xhat: Any,
        inv: Any,
        *,
        needs: Needs,
    ) -> tuple[Any, ...]:
        batch = tuple(range(x.ndim - 1))  # the axes γ and β are broadcast over
        dx = dgamma = dbeta = None
        if needs[0]:
            dxhat = g * gamma
            dx = inv * (
                dxhat
                - dxhat.mean(axis=self.axes, keepdims=True)
                - xhat * (dxhat * xhat).mean(axis=self.axes, keepdims=True)
            )
        if needs[1]:
            dgamma = (g * xhat).sum(axis=batch)
        if needs[2]:
            dbeta = g.sum(axis=batch)
        return dx, dgamma, dbeta

    def jvp(
        self,
        xp: Any,
        tangents: tuple[Any, ...],
        x: Any,
        gamma: Any,
        beta: Any,
        y: Any,
        xhat: Any,
        inv: Any,
    ) -> Any:
        """Forward mode, read off the definition above: x ↦ x̂ has a symmetric Jacobian
        inv·(I − 11ᵀ/N − x̂x̂ᵀ/N), so its JVP is the VJP's dx with γ = 1; y is linear in
        (γ, β) given x̂."""
        tx, tgamma, tbeta = tangents
        out = None
        if tx is not None:
            ones = xp.ones(gamma.shape, gamma.dtype)
            out = self.vjp(xp, tx, x, ones, beta, y, xhat, inv, needs=(True, False, False))[0]
            out = out * gamma
        if tgamma is not None:
            out = xhat * tgamma if out is None else out + xhat * tgamma
        if tbeta is not None:
            out = tbeta if out is None else out + tbeta
        return out


class _Normalization(Layer):
    """Shared by the two layers: arguments, γ and β, and the config."""

    def __init__(
        self,
        epsilon: float,
        center: bool,
        scale: bool,
        dtype: DTypeLike | None,
        name: str,
    ) -> None:
        super().__init__(dtype=dtype, name=name)
        if isinstance(epsilon, bool) or not isinstance(epsilon, int | float) or not epsilon > 0:
            raise invalid_value("epsilon", "a positive number", epsilon)
        for argument, value in (("center", center), ("scale", scale)):
            if not isinstance(value, bool):
                raise invalid_value(argument, "a bool", value)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.gamma: Tensor | None = None
        self.beta: Tensor | None = None
        self._ones: Tensor | None = None  # γ when scale=False, β when center=False
        self._zeros: Tensor | None = None

    def _width(self, input_shape: tuple[int | None, ...]) -> int:
        width = input_shape[-1] if input_shape else None
        if width is None or width < 1 or len(input_shape) < 2:
            raise ValueError(
                f"Layer {self.name!r} needs inputs of shape (batch, ..., features) with a known, "
                f"positive last dimension. Received: input_shape={input_shape}"
            )
        return width

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        width = self._width(input_shape)
        dtype = self.dtype if self.dtype is not None else np.dtype(np.float32)
        self.dtype = dtype
        if self.scale:
            self.gamma = self.add_weight("gamma", np.ones(width, dtype))
        if self.center:
            self.beta = self.add_weight("beta", np.zeros(width, dtype))
        self._ones = Tensor(np.ones(width, dtype))
        self._zeros = Tensor(np.zeros(width, dtype))

    def _affine(self) -> tuple[Tensor, Tensor]:
        gamma = self.gamma if self.gamma is not None else self._ones
        beta = self.beta if self.beta is not None else self._zeros
        assert gamma is not None and beta is not None  # built by __call__
        return gamma, beta

    def _check_width(self, x: Tensor) -> None:
        gamma, _ = self._affine()
        if x.ndim < 2 or x.shape[-1] != gamma.shape[0]:
            raise ValueError(
                f"Input of layer {self.name!r} is incompatible with the layer: expected shape "
                f"(batch, ..., {gamma.shape[0]}), but received an input with shape {x.shape}."
            )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["seed"]  # no randomness here
        config.update(epsilon=self.epsilon, center=self.center, scale=self.scale)
        return config


class BatchNormalization(_Normalization):
    """Normalize each feature with the batch's statistics (training) or moving averages.

    Args:
        momentum: weight of the old moving average in [0, 1) (Keras's meaning; 0.9 is
            PyTorch's momentum=0.1).
        epsilon: added to the variance (PyTorch's 1e-5).
        center: learn the shift β.
        scale: learn the scale γ.
        dtype, name: as for `Dense`.

    Weights: ``gamma``, ``beta`` (trained); ``moving_mean``, ``moving_variance`` (buffers,
    saved with the model, updated by every training forward pass).
    """

    def __init__(
        self,
        momentum: float = 0.9,
        epsilon: float = 1e-5,
        center: bool = True,
        scale: bool = True,
        dtype: DTypeLike | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(epsilon, center, scale, dtype, name or "batch_normalization")
        self.momentum = non_negative_float("momentum", momentum, upper=1.0)

    @property
    def moving_mean(self) -> np.ndarray | None:
        """The moving mean (a buffer; None before the layer is built)."""
        return self.buffer("moving_mean") if self.built else None

    @property
    def moving_variance(self) -> np.ndarray | None:
        """The moving (unbiased) variance (a buffer; None before the layer is built)."""
        return self.buffer("moving_variance") if self.built else None

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        super().build(input_shape)
        width = self._width(input_shape)
        assert self.dtype is not None
        self.add_buffer("moving_mean", np.zeros(width, self.dtype))
        self.add_buffer("moving_variance", np.ones(width, self.dtype))

    def call(self, x: Tensor) -> Tensor:
        self._check_width(x)
        gamma, beta = self._affine()
        # Read at call time: while a compiled step is traced, these are recording stand-ins,
        # so the update below becomes kernels that update the buffers at every replay.
        moving_mean, moving_variance = self.buffer("moving_mean"), self.buffer("moving_variance")
        axes = tuple(range(x.ndim - 1))
        if not self.training:
            inv = 1.0 / np.sqrt(moving_variance + self.epsilon)  # (D,)
            return (x - moving_mean) * (gamma * inv) + beta
        _update_moving(x.data, axes, self.momentum, moving_mean, moving_variance)
        return apply(NormalizeAffine(axes, self.epsilon), (x, gamma, beta))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["momentum"] = self.momentum
        return config


def _update_moving(data: Any, axes: tuple[int, ...], m: float, mean: Any, var: Any) -> None:
    """moving = m · moving + (1 − m) · batch statistic, in place, for the mean and the
    unbiased variance of `data` over `axes` (array operations only: arrays when eager,
    recording stand-ins when traced, the same calls either way)."""
    n = data.size // data.shape[-1]
    batch_mean = data.mean(axis=axes, keepdims=True)  # (1, ..., D)
    d = data - batch_mean
    unbiased = (d * d).mean(axis=axes) * (n / max(n - 1, 1))  # (D,)
    mean *= m
    mean += (1.0 - m) * batch_mean.reshape(-1)
    var *= m
    var += (1.0 - m) * unbiased


class LayerNormalization(_Normalization):
    """Normalize each sample over its last axis (the same in training and inference).

    Args:
        epsilon: added to the variance (PyTorch's 1e-5; Keras uses 1e-3).
        center: learn the shift β.
        scale: learn the scale γ.
        dtype, name: as for `Dense`.

    Equals ``torch.nn.LayerNorm(features, eps=epsilon)``.
    """

    def __init__(
        self,
        epsilon: float = 1e-5,
        center: bool = True,
        scale: bool = True,
        dtype: DTypeLike | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(epsilon, center, scale, dtype, name or "layer_normalization")

    def call(self, x: Tensor) -> Tensor:
        self._check_width(x)
        gamma, beta = self._affine()
        return apply(NormalizeAffine((x.ndim - 1,), self.epsilon), (x, gamma, beta))


__all__ = ["BatchNormalization", "LayerNormalization", "NormalizeAffine"]
