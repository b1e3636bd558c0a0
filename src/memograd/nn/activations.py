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


_REGISTRY: dict[str, Activation] = {
    "relu": relu,
    "leaky_relu": leaky_relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "softmax": softmax,
    "linear": linear,
}

#: activations whose layers use He initialisation (the rest use Glorot)
RELU_FAMILY = frozenset({"relu", "leaky_relu"})


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
