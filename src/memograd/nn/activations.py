"""Activation functions by name: `get("relu")` -> a function `Tensor -> Tensor`.

Each is a thin wrapper over a Tensor op (whose VJP lives beside its forward in
`memograd.tensor`). `Dense(activation="relu")` does not call `relu` here: it uses the fused
`linear(..., activation="relu")` op, one node instead of two.

Example:
    >>> import memograd as mg
    >>> get("relu")(mg.Tensor([-1.0, 2.0])).data.tolist()
    [0.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Callable

from memograd.nn._checks import lookup, name_of, not_a_name
from memograd.tensor import Tensor
from memograd.tensor import smooth as _smooth

Activation = Callable[[Tensor], Tensor]


def relu(x: Tensor) -> Tensor:
    """max(x, 0)."""
    return x.relu()


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, `negative_slope`·x otherwise (slope 0.01, as PyTorch)."""
    return x.leaky_relu(negative_slope)


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(−x))."""
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return x.tanh()


def softmax(x: Tensor) -> Tensor:
    """exp(x) normalised over the last axis."""
    return x.softmax(axis=-1)


def linear(x: Tensor) -> Tensor:
    """The identity (no activation)."""
    return x


def gelu(x: Tensor) -> Tensor:
    """x·Φ(x) (exact, through erf; PyTorch's default)."""
    return _smooth.gelu(x)


def gelu_tanh(x: Tensor) -> Tensor:
    """The tanh approximation of gelu (PyTorch's ``approximate="tanh"``)."""
    return _smooth.gelu(x, approximate="tanh")


def silu(x: Tensor) -> Tensor:
    """x·σ(x) (also registered as "swish")."""
    return _smooth.silu(x)


def elu(x: Tensor) -> Tensor:
    """x for x > 0, eˣ − 1 otherwise (alpha 1)."""
    return _smooth.elu(x)


def selu(x: Tensor) -> Tensor:
    """The self-normalizing ELU."""
    return _smooth.selu(x)


def softplus(x: Tensor) -> Tensor:
    """log(1 + eˣ)."""
    return _smooth.softplus(x)


def mish(x: Tensor) -> Tensor:
    """x·tanh(softplus(x))."""
    return _smooth.mish(x)


def hard_tanh(x: Tensor) -> Tensor:
    """clip(x, −1, 1)."""
    return _smooth.hard_tanh(x)


def softsign(x: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return _smooth.softsign(x)


_REGISTRY: dict[str, Activation] = {
    "relu": relu,
    "leaky_relu": leaky_relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "softmax": softmax,
    "linear": linear,
    "gelu": gelu,
    "gelu_tanh": gelu_tanh,
    "silu": silu,
    "swish": silu,
    "elu": elu,
    "selu": selu,
    "softplus": softplus,
    "mish": mish,
    "hard_tanh": hard_tanh,
    "softsign": softsign,
}

#: activations whose layers use He initialisation (the rest use Glorot): the ReLU-like ones
RELU_FAMILY = frozenset({"relu", "leaky_relu", "gelu", "gelu_tanh", "silu", "swish", "elu", "mish"})


def get(identifier: str | Activation | None) -> Activation:
    """The activation called `identifier`; None means "linear"; a callable is returned as is.

    Raises:
        ValueError: for an unknown name; the message lists the valid names.

    Example:
        >>> get(None) is linear
        True
    """
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if not isinstance(identifier, str):
        raise not_a_name("activation", "a name such as 'relu', a callable or None", identifier)
    return lookup("activation function", identifier, _REGISTRY)


def serialize(activation: Activation) -> str:
    """The registered name of `activation` (its `__name__` for a custom function)."""
    return name_of(activation, _REGISTRY)


def names() -> list[str]:
    """Every registered activation name."""
    return sorted(_REGISTRY)
