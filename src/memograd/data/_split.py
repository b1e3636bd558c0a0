"""Splits, standardization and mini-batches: how a dataset is cut up for training.

Randomness comes only from an explicit `seed` (an int, or a `np.random.Generator` so that a
training loop can draw a fresh shuffle every epoch from one generator).

Example:
    >>> import numpy as np
    >>> X, y = np.arange(20.0).reshape(10, 2), np.arange(10) % 2
    >>> X_tr, X_val, y_tr, y_val = train_validation_split(X, y, 0.2, seed=0)
    >>> X_tr.shape, X_val.shape
    ((8, 2), (2, 2))
    >>> [len(xb) for xb, yb in batches(X_tr, y_tr, batch_size=3, seed=0)]
    [3, 3, 2]
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

from memograd._errors import invalid_value

__all__ = ["Standardizer", "batches", "train_test_split", "train_validation_split"]


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise invalid_value("seed", "a non-negative integer or a numpy.random.Generator", seed)
    return np.random.default_rng(int(seed))


def _check_same_length(X: NDArray[Any], y: NDArray[Any] | None) -> None:
    if y is not None and len(X) != len(y):
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"`X` has {len(X)} (shape={X.shape}) but `y` has {len(y)} (shape={y.shape})."
        )


def _n_held_out(n: int, fraction: float | int, name: str) -> int:
    """How many of `n` samples a float fraction (or int count) `fraction` holds out."""
    if isinstance(fraction, int | np.integer) and not isinstance(fraction, bool):
        count = int(fraction)
    elif isinstance(fraction, float | np.floating) and 0.0 < fraction < 1.0:
        count = math.ceil(float(fraction) * n)
    else:
        raise invalid_value(name, "a float in (0, 1) or a positive integer count", fraction)
    if not 1 <= count < n:
        raise ValueError(
            f"`{name}`={fraction!r} would hold out {count} of {n} sample(s); both parts need "
            "at least one sample."
        )
    return count


def train_test_split(
    X: NDArray[Any],
    y: NDArray[Any],
    test_size: float | int = 0.2,
    seed: int = 0,
    *,
    stratify: bool = True,
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
    """Shuffle and split into train and test parts, keeping class proportions when stratified.

    Args:
        X: features (N, D). y: labels or targets (N,).
        test_size: a fraction in (0, 1) or a number of test samples.
        seed: the split's seed.
        stratify: keep each class's share in both parts (use False for regression targets).

    Returns:
        X_train, X_test, y_train, y_test.

    Example:
        >>> import numpy as np
        >>> parts = train_test_split(np.zeros((10, 1)), np.arange(10) % 2, 0.2, seed=0)
        >>> [p.shape[0] for p in parts]
        [8, 2, 8, 2]
    """
    from sklearn.model_selection import train_test_split as sk_split  # heavy; import on use

    _check_same_length(X, y)
    count = _n_held_out(len(X), test_size, "test_size")
    if stratify:
        classes, counts = np.unique(y, return_counts=True)
        if counts.min() < 2 or not len(classes) <= count <= len(X) - len(classes):
            raise ValueError(
                f"Cannot stratify a split of {len(X)} samples with test_size={test_size!r}: "
                f"the {len(classes)} classes need at least 2 samples each (smallest has "
                f"{counts.min()}) and each part needs one sample per class. Use more data, "
                "another test_size, or stratify=False."
            )
    parts = sk_split(X, y, test_size=count, random_state=seed, stratify=y if stratify else None)
    X_train, X_test, y_train, y_test = parts
    return X_train, X_test, y_train, y_test


def train_validation_split(
    X: NDArray[Any],
    y: NDArray[Any],
    validation_split: float,
    seed: int | np.random.Generator = 0,
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
    """Hold out a random fraction `validation_split` of the samples (rounded up) for validation.

    Returns:
        X_train, X_val, y_train, y_val (copies, in shuffled order).

    Example:
        >>> import numpy as np
        >>> parts = train_validation_split(np.zeros((10, 3)), np.zeros(10), 0.25, seed=1)
        >>> [p.shape for p in parts]
        [(7, 3), (3, 3), (7,), (3,)]
    """
    _check_same_length(X, y)
    if not isinstance(validation_split, float | np.floating) or not 0 < validation_split < 1:
        raise invalid_value("validation_split", "a float in (0, 1)", validation_split)
    count = _n_held_out(len(X), validation_split, "validation_split")
    order = _rng(seed).permutation(len(X))
    train, val = order[count:], order[:count]
    return X[train], X[val], y[train], y[val]


@overload
def batches(
    X: NDArray[Any],
    y: NDArray[Any],
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int | np.random.Generator = 0,
) -> Iterator[tuple[NDArray[Any], NDArray[Any]]]: ...
@overload
def batches(
    X: NDArray[Any],
    y: None,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int | np.random.Generator = 0,
) -> Iterator[tuple[NDArray[Any], None]]: ...
def batches(
    X: NDArray[Any],
    y: NDArray[Any] | None,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int | np.random.Generator = 0,
) -> Iterator[tuple[NDArray[Any], NDArray[Any] | None]]:
    """Yield `(X_batch, y_batch)` pairs covering every sample once; the last batch may be short.

    Without shuffling the batches are views (slices, no copy); with shuffling they are copies
    in a random order drawn from `seed`. Pass one `np.random.Generator` for the whole training
    run so each epoch gets a different order. `y=None` yields `(X_batch, None)` (prediction).

    Example:
        >>> import numpy as np
        >>> [yb.tolist() for _, yb in batches(np.zeros((5, 1)), np.arange(5), 2, shuffle=False)]
        [[0, 1], [2, 3], [4]]
    """
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int | np.integer)
        or batch_size < 1
    ):
        raise invalid_value("batch_size", "a positive integer", batch_size)
    _check_same_length(X, y)
    n = len(X)
    order = _rng(seed).permutation(n) if shuffle else None
    return _batch_iter(X, y, int(batch_size), order)


def _batch_iter(
    X: NDArray[Any], y: NDArray[Any] | None, size: int, order: NDArray[np.intp] | None
) -> Iterator[tuple[NDArray[Any], NDArray[Any] | None]]:
    # A separate generator so argument errors surface at the call, not at the first next().
    for start in range(0, len(X), size):
        if order is None:
            rows: slice | NDArray[np.intp] = slice(start, start + size)
        else:
            rows = order[start : start + size]
        yield X[rows], None if y is None else y[rows]


@dataclass(frozen=True, eq=False)
class Standardizer:
    """Per-feature `(x - mean) / scale`, fitted on training data only.

    Columns with (near-)zero spread keep scale 1, so constant features become 0, never NaN.

    Example:
        >>> import numpy as np
        >>> s = Standardizer.fit(np.array([[1.0, 5.0], [3.0, 5.0]]))
        >>> s.transform(np.array([[2.0, 5.0], [3.0, 6.0]])).tolist()
        [[0.0, 0.0], [1.0, 1.0]]
    """

    mean: NDArray[np.float64]  # (D,)
    scale: NDArray[np.float64]  # (D,)

    @classmethod
    def fit(cls, X: NDArray[Any]) -> Standardizer:
        """Compute the mean and standard deviation of every column of `X` (N, D)."""
        X64 = np.asarray(X, dtype=np.float64)
        if X64.ndim != 2 or X64.shape[0] == 0:
            raise ValueError(
                f"Standardizer.fit expects a 2-D array with at least one sample, got shape "
                f"{X64.shape}."
            )
        mean = X64.mean(axis=0)
        std = X64.std(axis=0)
        # Rounding noise on a constant column is ~eps·|mean|; dividing by it would explode.
        tiny = 10 * np.finfo(np.float32).eps * np.maximum(1.0, np.abs(mean))
        scale = np.where(std > tiny, std, 1.0)
        return cls(mean=mean, scale=scale)

    def transform(self, X: NDArray[Any]) -> NDArray[Any]:
        """Standardize `X`; the result keeps `X`'s floating dtype (float32 for integers)."""
        arr = np.asarray(X)
        if arr.ndim != 2 or arr.shape[1] != self.mean.shape[0]:
            raise ValueError(
                f"Standardizer was fitted on {self.mean.shape[0]} feature(s); received an "
                f"array of shape {arr.shape}."
            )
        dtype = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float32)
        return ((arr - self.mean) / self.scale).astype(dtype, copy=False)

    def to_dict(self) -> dict[str, list[float]]:
        """JSON-ready form (for model metadata); `from_dict` inverts it exactly."""
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Standardizer:
        """Rebuild from `to_dict()` output."""
        try:
            mean = np.asarray(d["mean"], dtype=np.float64)
            scale = np.asarray(d["scale"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"Invalid standardizer record {d!r}: {exc}") from exc
        if mean.ndim != 1 or mean.shape != scale.shape or not np.all(scale > 0):
            raise ValueError(
                f"Invalid standardizer record: mean shape {mean.shape}, scale shape "
                f"{scale.shape}; expected two equal 1-D lists with positive scales."
            )
        return cls(mean=mean, scale=scale)
