"""Weight initializers: functions `(shape, rng, dtype) -> ndarray`, looked up by name.

He initialisation keeps the variance of ReLU activations steady from layer to layer
(variance 2 / fan_in); Glorot balances forward and backward variance for symmetric
activations (variance 2 / (fan_in + fan_out)). Every initializer draws from the
`np.random.Generator` it is given, so weights are a pure function of the seed.

Example:
    >>> import numpy as np
    >>> from memograd.nn import initializers
    >>> w = initializers.get("he_normal")((64, 128), np.random.default_rng(0), np.float32)
    >>> w.shape, w.dtype
    ((64, 128), dtype('float32'))
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import DTypeLike

from memograd.nn._checks import lookup, name_of, not_a_name

Initializer = Callable[[tuple[int, ...], np.random.Generator, DTypeLike], np.ndarray]

# A normal truncated at ±2σ has standard deviation 0.8796σ; dividing by it restores σ.
_TRUNCATED_STD = 0.87962566103423978


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


def _truncated_normal(
    shape: tuple[int, ...], rng: np.random.Generator, std: float, dtype: DTypeLike
) -> np.ndarray:
    values = rng.standard_normal(shape)
    # Redraw the values beyond two standard deviations (about 4.6 % per round).
    bad = np.abs(values) > 2.0
    while bad.any():
        values[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(values) > 2.0
    return (values * (std / _TRUNCATED_STD)).astype(dtype)


def zeros(shape: tuple[int, ...], rng: np.random.Generator, dtype: DTypeLike) -> np.ndarray:
    """All zeros (the default for biases)."""
    return np.zeros(shape, dtype=dtype)


def ones(shape: tuple[int, ...], rng: np.random.Generator, dtype: DTypeLike) -> np.ndarray:
    """All ones."""
    return np.ones(shape, dtype=dtype)


def glorot_uniform(
    shape: tuple[int, ...], rng: np.random.Generator, dtype: DTypeLike
) -> np.ndarray:
    """Uniform on ±sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def glorot_normal(shape: tuple[int, ...], rng: np.random.Generator, dtype: DTypeLike) -> np.ndarray:
    """Truncated normal with standard deviation sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(shape)
    return _truncated_normal(shape, rng, float(np.sqrt(2.0 / (fan_in + fan_out))), dtype)


def he_uniform(shape: tuple[int, ...], rng: np.random.Generator, dtype: DTypeLike) -> np.ndarray:
    """Uniform on ±sqrt(6 / fan_in) (He et al., 2015)."""
    fan_in, _ = _fans(shape)
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def he_normal(shape: tuple[int, ...], rng: np.random.Generator, dtype: DTypeLike) -> np.ndarray:
    """Truncated normal with standard deviation sqrt(2 / fan_in) (He et al., 2015)."""
    fan_in, _ = _fans(shape)
    return _truncated_normal(shape, rng, float(np.sqrt(2.0 / fan_in)), dtype)


_REGISTRY: dict[str, Initializer] = {
    "zeros": zeros,
    "ones": ones,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
}


def get(identifier: str | Initializer) -> Initializer:
    """The initializer called `identifier` (a callable is returned unchanged).

    Raises:
        ValueError: for an unknown name; the message lists the valid names.
    """
    if callable(identifier):
        return identifier
    if not isinstance(identifier, str):
        raise not_a_name("initializer", "a name or a callable", identifier)
    return lookup("initializer", identifier, _REGISTRY)


def serialize(initializer: Initializer) -> str:
    """The registered name of `initializer` (its `__name__` for a custom function)."""
    return name_of(initializer, _REGISTRY)


def names() -> list[str]:
    """Every registered initializer name."""
    return sorted(_REGISTRY)
