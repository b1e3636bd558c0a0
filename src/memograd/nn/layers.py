"""Layers: `Dense` (fully connected), `Dropout`, and `Normalization` (preprocessing).

Both follow the Keras lifecycle: the constructor checks and stores its arguments, `build`
creates weights once the input width is known, `call` computes. Weights are drawn from a
`np.random.Generator` seeded by `seed` (or, inside a `Sequential`, by the model's seed and
the layer's position), so a model is a pure function of its seeds.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> layer = Dense(4, activation="relu", seed=0)
    >>> layer(mg.Tensor(np.ones((2, 3), dtype=np.float32))).shape
    (2, 4)
    >>> layer.kernel.shape, layer.bias.shape
    ((3, 4), (4,))
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from memograd._errors import invalid_value
from memograd.data import Standardizer, check_X
from memograd.nn import activations, initializers
from memograd.nn._checks import non_negative_float, optional_seed, positive_int
from memograd.nn.module import Module, resolve_dtype
from memograd.tensor import Primitive, Tensor
from memograd.tensor._primitive import apply, primitive
from memograd.tensor.functional import linear

_FUSABLE: dict[activations.Activation, str] = {
    activations.relu: "relu",
    activations.tanh: "tanh",
    activations.sigmoid: "sigmoid",
}


class Layer(Module):
    """A module with a dtype and a seed (the base of `Dense` and `Dropout`).

    The dtype is fixed at build time: the `dtype` argument if given, else the dtype of the
    first input (float32 or float64). `Sequential` passes its own dtype down.
    """

    def __init__(
        self, *, seed: int | None = None, dtype: DTypeLike | None = None, name: str | None = None
    ) -> None:
        super().__init__(name)
        self.seed = optional_seed("seed", seed)
        self.dtype: np.dtype[Any] | None = None if dtype is None else resolve_dtype(dtype)
        # Entropy used when `seed` is None; Sequential sets (model seed, position).
        self._seed_entropy: list[int] = [0]

    def _entropy(self) -> list[int]:
        return [self.seed] if self.seed is not None else list(self._seed_entropy)

    def __call__(self, x: Tensor) -> Tensor:
        if not self.built:
            if self.dtype is None:
                self.dtype = resolve_dtype(x.dtype, "input dtype")
            self.ensure_built(tuple(x.shape))
        return self.call(x)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["seed"] = self.seed
        config["dtype"] = None if self.dtype is None else self.dtype.name
        return config


class Dense(Layer):
    """A fully connected layer: `activation(x @ kernel + bias)`, kernel of shape (in, out).

    Args:
        units: output width (positive integer).
        activation: a name ("relu", "leaky_relu", "sigmoid", "tanh", "softmax", "linear"),
            a function `Tensor -> Tensor`, or None (linear).
        use_bias: whether to add a bias vector.
        kernel_initializer: an initializer name or function; "auto" picks He normal for the
            ReLU family and Glorot uniform otherwise.
        bias_initializer: an initializer name or function (zeros by default).
        seed: seed for the initial weights (None: derived from the model's seed).
        dtype: "float32" or "float64" (None: the input's dtype).
        name: a label for summaries.

    The forward pass is one fused `linear` node, with the activation fused in when it is
    "relu", "tanh" or "sigmoid".

    Example:
        >>> Dense(64, activation="relu").get_config()["kernel_initializer"]
        'he_normal'
    """

    def __init__(
        self,
        units: int,
        activation: str | activations.Activation | None = None,
        use_bias: bool = True,
        kernel_initializer: str | initializers.Initializer = "auto",
        bias_initializer: str | initializers.Initializer = "zeros",
        seed: int | None = None,
        dtype: DTypeLike | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(seed=seed, dtype=dtype, name=name or "dense")
        self.units = positive_int("units", units)
        self.activation = activations.get(activation)
        self.activation_name = activations.serialize(self.activation)
        if not isinstance(use_bias, bool):
            raise invalid_value("use_bias", "a bool", use_bias)
        self.use_bias = use_bias
        if kernel_initializer == "auto":
            kernel_initializer = (
                "he_normal" if self.activation_name in activations.RELU_FAMILY else "glorot_uniform"
            )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        # relu, tanh and sigmoid run inside the fused linear node (one node per layer)
        self._fused = _FUSABLE.get(self.activation)
        self._plain = self.activation is activations.linear
        self.kernel: Tensor | None = None
        self.bias: Tensor | None = None

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        fan_in = input_shape[-1] if input_shape else None
        if fan_in is None or fan_in < 1:
            raise ValueError(
                f"Layer {self.name!r} needs inputs with a known, positive last dimension. "
                f"Received: input_shape={input_shape}"
            )
        dtype = self.dtype if self.dtype is not None else np.dtype(np.float32)
        self.dtype = dtype
        rng = np.random.default_rng(self._entropy())
        self.kernel = self.add_weight(
            "kernel", self.kernel_initializer((fan_in, self.units), rng, dtype)
        )  # (in, out)
        if self.use_bias:
            self.bias = self.add_weight("bias", self.bias_initializer((self.units,), rng, dtype))

    def call(self, x: Tensor) -> Tensor:
        kernel = self.kernel
        assert kernel is not None  # built by __call__
        if x.shape[-1] != kernel.shape[0]:
            raise ValueError(
                f"Input of layer {self.name!r} is incompatible with the layer: expected axis -1 "
                f"of the input shape to have value {kernel.shape[0]}, but received an input "
                f"with shape {x.shape}."
            )
        y = linear(x, kernel, self.bias, activation=self._fused)  # (B, units)
        if self._fused is not None or self._plain:
            return y
        return self.activation(y)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            units=self.units,
            activation=self.activation_name,
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
        )
        return config


class Dropout(Layer):
    """Inverted dropout: in training, zero each input with probability `rate` and scale the
    rest by 1 / (1 − rate); in evaluation mode (`model.eval()`, `predict`), the identity.

    Masks come from a generator seeded by `seed` (or the model's seed); `fit` restarts it at
    each epoch from (seed, epoch), so a resumed run draws the same masks.

    Example:
        >>> import numpy as np
        >>> import memograd as mg
        >>> drop = Dropout(0.5, seed=0)
        >>> y = drop(mg.Tensor(np.ones((1, 6), dtype=np.float32)))
        >>> sorted(set(y.data.ravel().tolist()))
        [0.0, 2.0]
    """

    def __init__(
        self,
        rate: float,
        seed: int | None = None,
        dtype: DTypeLike | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(seed=seed, dtype=dtype, name=name or "dropout")
        self.rate = non_negative_float("rate", rate, upper=1.0)
        self._rng: np.random.Generator | None = None

    def _reseed(self, epoch: int) -> None:
        # In place: a compiled step holds this generator and draws its masks from it.
        seeded = np.random.default_rng([*self._entropy(), epoch])
        if self._rng is None:
            self._rng = seeded
        else:
            self._rng.bit_generator.state = seeded.bit_generator.state

    def call(self, x: Tensor) -> Tensor:
        if not self.training or self.rate == 0.0:
            return x
        if self._rng is None:
            self._rng = np.random.default_rng(self._entropy())
        return apply(DropoutMask(self.rate, self._rng), (x,))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["rate"] = self.rate
        return config


@primitive
class DropoutMask(Primitive):
    """x · mask, the mask drawn from `rng`: 0 with probability `rate`, else 1 / (1 − rate).

    The mask is a residual (the VJP is g · mask) that does not depend on x, so higher-order
    gradients reuse it as a constant; compiled, the draw is a kernel of every replayed step.
    """

    rate: float
    rng: np.random.Generator
    name = "dropout"
    residuals = 1
    self_adjoint = True  # x · mask: the VJP of the tangent, with this call's mask
    recompute_residuals = False

    def forward(self, xp: Any, x: Any) -> Any:
        keep = xp.greater_equal(xp.uniform(self.rng, x.shape, x.dtype), self.rate)  # (B, D)
        mask = keep.astype(x.dtype)
        mask *= 1.0 / (1.0 - self.rate)
        return x * mask, mask

    def vjp(
        self, xp: Any, g: Any, x: Any, y: Any, mask: Any, *, needs: tuple[bool, ...]
    ) -> tuple[Any, ...]:
        return (g * mask,)


class Normalization(Layer):
    """Standardize each feature: `(x − mean) / scale`, statistics from `adapt(X)`.

    The statistics are buffers (saved with the model, never trained), so a saved model
    applies its own preprocessing to raw inputs. Features with no spread keep scale 1.

    Example:
        >>> import numpy as np
        >>> import memograd as mg
        >>> norm = Normalization()
        >>> norm.adapt(np.array([[0.0, 5.0], [2.0, 5.0]]))
        >>> norm(mg.Tensor(np.array([[2.0, 5.0]], dtype=np.float32))).data.tolist()
        [[1.0, 0.0]]
    """

    def __init__(self, dtype: DTypeLike | None = None, name: str | None = None) -> None:
        super().__init__(dtype=dtype, name=name or "normalization")
        self._pending: tuple[np.ndarray, np.ndarray] | None = None
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None

    def adapt(self, X: Any) -> None:
        """Compute the mean and standard deviation of every column of `X` (n, features)."""
        stats = Standardizer.fit(check_X(X, dtype=np.float64))
        if self.built:
            assert self.mean is not None and self.scale is not None
            if stats.mean.shape != self.mean.shape:
                raise ValueError(
                    f"Layer {self.name!r} was built for {self.mean.shape[0]} features; "
                    f"adapt received {stats.mean.shape[0]}."
                )
            self.mean[...] = stats.mean
            self.scale[...] = stats.scale
        else:
            self._pending = (stats.mean, stats.scale)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        width = input_shape[-1]
        if width is None:
            raise ValueError(f"Layer {self.name!r} needs inputs with a known last dimension.")
        dtype = self.dtype if self.dtype is not None else np.dtype(np.float32)
        self.dtype = dtype
        mean, scale = self._pending or (np.zeros(width), np.ones(width))
        if mean.shape != (width,):
            raise ValueError(
                f"Layer {self.name!r} was adapted to {mean.shape[0]} features but receives "
                f"inputs with {width}."
            )
        self.mean = self.add_buffer("mean", mean.astype(dtype))
        self.scale = self.add_buffer("scale", scale.astype(dtype))
        self._pending = None

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["seed"]  # no randomness here
        return config

    def call(self, x: Tensor) -> Tensor:
        return (x - self.mean) / self.scale  # (B, D); constants: no graph for a plain input
