"""Input checks at the boundary: validate once, with messages that give the shape.

`fit`, `evaluate` and `predict` call these before any arithmetic, so a user mistake (a 1-D
array, a NaN, a label the model cannot output) fails at the call with a sentence naming the
argument, instead of deep inside a matrix product.

Example:
    >>> import numpy as np
    >>> from memograd.data import check_X_y, check_labels
    >>> X, y = check_X_y([[0.0, 1.0], [1.0, 0.0]], [1, 0])
    >>> X.dtype, check_labels(y, n_classes=2).tolist()
    (dtype('float32'), [1, 0])
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from memograd._errors import invalid_value

__all__ = ["check_X", "check_X_y", "check_labels", "one_hot"]


def _as_array(value: Any, name: str) -> NDArray[Any]:
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nested lists and the like
        raise ValueError(f"`{name}` could not be converted to a NumPy array: {exc}") from exc


def _first_non_finite(arr: NDArray[Any], name: str) -> None:
    bad = ~np.isfinite(arr)
    count = int(bad.sum())
    if count:
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        where = position[0] if len(position) == 1 else position
        kind = "NaN" if np.isnan(arr[position]) else "infinity"
        raise ValueError(
            f"Input `{name}` contains {count} non-finite value(s) (NaN or infinity); "
            f"the first is {kind} at position {where}."
        )


def _check_numeric(arr: NDArray[Any], name: str) -> None:
    if arr.dtype.kind == "c":
        raise TypeError(f"`{name}` must hold real numbers, got complex dtype {arr.dtype}.")
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"`{name}` must hold numbers, got an array of dtype {arr.dtype}. "
            "Encode text labels as integers first (mg.data.load_dataset does it for CSV files)."
        )


def check_X(X: Any, name: str = "X", *, dtype: DTypeLike | None = None) -> NDArray[np.floating]:
    """Return `X` as a 2-D, finite floating-point array of shape (n_samples, n_features).

    Lists become float32 (as ``torch.tensor`` does); integer and boolean arrays become
    float32; a float32/float64 array keeps its dtype (and is returned without a copy) unless
    `dtype` is given.

    Args:
        X: array-like of shape (n_samples, n_features).
        name: the argument name used in error messages.
        dtype: cast to this floating dtype (e.g. ``np.float64``); None keeps float dtypes.

    Raises:
        ValueError: not 2-D, no samples or no features, or NaN/infinity present.
        TypeError: non-numeric or complex values.

    Example:
        >>> check_X([[1, 2], [3, 4]]).dtype
        dtype('float32')
    """
    arr = _as_array(X, name)
    # Lists and object arrays hold Python numbers: they train in float32, like torch.tensor.
    from_python = not isinstance(X, np.ndarray) or arr.dtype == object
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"`{name}` must hold numbers: {exc}") from exc
    _check_numeric(arr, name)
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            hint = (
                f" Reshape your data with {name}.reshape(-1, 1) if it has a single feature "
                f"or {name}.reshape(1, -1) if it is a single sample."
            )
        raise ValueError(
            f"Expected a 2-D array for `{name}` (n_samples, n_features), got a {arr.ndim}-D "
            f"array of shape {arr.shape}.{hint}"
        )
    if arr.shape[0] == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={arr.shape}) while a minimum of 1 is required."
        )
    if arr.shape[1] == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required."
        )
    if dtype is not None:
        target = np.dtype(dtype)
        if target.kind != "f":
            raise ValueError(
                f"Received an invalid value for `dtype`, expected a floating dtype. "
                f"Received: dtype={target}"
            )
        arr = arr.astype(target, copy=False)
    elif from_python or arr.dtype.kind != "f" or arr.dtype.itemsize < 4:
        arr = arr.astype(np.float32)  # ints, bools and float16 train in float32 too
    _first_non_finite(arr, name)
    return arr


def check_X_y(
    X: Any, y: Any, *, dtype: DTypeLike | None = None
) -> tuple[NDArray[np.floating], NDArray[Any]]:
    """Check `X` as `check_X` does and `y` as numeric targets with one entry per sample.

    `y` may be 1-D (class labels or regression targets) or 2-D (one-hot or multi-output);
    it keeps its dtype. Class labels are checked against the model in `check_labels`.

    Raises:
        ValueError: shapes disagree, `y` is empty/0-D/3-D, or contains NaN/infinity.
        TypeError: `y` is not numeric.

    Example:
        >>> X, y = check_X_y([[1.0], [2.0], [3.0]], [0, 1, 1])
        >>> X.shape, y.shape
        ((3, 1), (3,))
    """
    X_arr = check_X(X, "X", dtype=dtype)
    y_arr = _as_array(y, "y")
    if y_arr.dtype == object:
        try:
            y_arr = y_arr.astype(np.float64)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"`y` must hold numbers: {exc}") from exc
    _check_numeric(y_arr, "y")
    if y_arr.ndim not in (1, 2):
        raise ValueError(
            f"Expected `y` to be 1-D (n_samples,) or 2-D (n_samples, n_outputs), got a "
            f"{y_arr.ndim}-D array of shape {y_arr.shape}."
        )
    if y_arr.shape[0] != X_arr.shape[0]:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"`X` has {X_arr.shape[0]} (shape={X_arr.shape}) but `y` has {y_arr.shape[0]} "
            f"(shape={y_arr.shape})."
        )
    if y_arr.dtype.kind == "f":
        _first_non_finite(y_arr, "y")
    return X_arr, y_arr


def check_labels(y: Any, n_classes: int, *, name: str = "y") -> NDArray[np.int64]:
    """Return class labels as int64 indices of shape (n_samples,), checked against the model.

    Accepted forms: integer labels in ``[0, n_classes)`` (also as integral floats or a
    (n, 1) column) or one-hot rows of width `n_classes`. With ``n_classes=1`` (a single
    sigmoid output) the labels must be 0 or 1.

    Args:
        y: the labels.
        n_classes: the model's output width.
        name: the argument name used in error messages.

    Raises:
        ValueError: a label outside the range, a non-integer label, a row that is not
            one-hot, or a one-hot width different from `n_classes`.

    Example:
        >>> check_labels([[0, 1, 0], [1, 0, 0]], n_classes=3).tolist()
        [1, 0]
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, int | np.integer) or n_classes < 1:
        raise invalid_value("n_classes", "a positive integer", n_classes)
    n_classes = int(n_classes)
    arr = _as_array(y, name)
    if not (arr.dtype == object and all(isinstance(v, int | np.integer) for v in arr.flat)):
        _check_numeric(arr, name)  # Python ints beyond int64 ([0, 2**63]) stay exact below
    units = f"{n_classes} output unit" + ("" if n_classes == 1 else "s")
    if arr.ndim == 2 and arr.shape[1] == n_classes and n_classes > 1:
        return _one_hot_to_index(arr, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"`{name}` has shape {arr.shape}, but the model has {units}: expected integer "
            f"labels of shape (n_samples,) or one-hot rows of shape (n_samples, {n_classes})."
        )
    if arr.dtype.kind == "f":
        _first_non_finite(arr, name)
        fractional = np.flatnonzero(arr != np.round(arr))
        if fractional.size:
            i = int(fractional[0])
            raise ValueError(
                f"`{name}` contains the value {arr[i].item()!r} at index {i}; class labels must be "
                f"integers in [0, {n_classes}) for a model with {units}."
            )
    high = 2 if n_classes == 1 else n_classes
    # Compared in the labels' own type: a cast to int64 first would wrap 2**63 to -2**63.
    bad = np.flatnonzero((arr < 0) | (arr >= high))
    if bad.size:
        i = int(bad[0])
        value = arr[i].item() if isinstance(arr[i], np.generic) else arr[i]
        label = int(value) if isinstance(value, float) else value  # integral: checked above
        allowed = "0 or 1 (binary)" if n_classes == 1 else f"integers in [0, {n_classes})"
        raise ValueError(
            f"`{name}` contains the label {label} (at index {i}), but the model has "
            f"{units}, so labels must be {allowed}."
        )
    return arr.astype(np.int64)


def _one_hot_to_index(arr: NDArray[Any], name: str) -> NDArray[np.int64]:
    is_binary = (arr == 0) | (arr == 1)
    ok_rows = is_binary.all(axis=1) & (arr.sum(axis=1) == 1)
    bad = np.flatnonzero(~ok_rows)
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"`{name}` looks one-hot (shape={arr.shape}) but row {i} is not: {arr[i].tolist()}. "
            "Each row must hold a single 1 and zeros elsewhere."
        )
    return np.argmax(arr, axis=1).astype(np.int64)


def one_hot(y: Any, n_classes: int, *, dtype: DTypeLike = np.float32) -> NDArray[Any]:
    """Return the one-hot matrix (n_samples, n_classes) of integer labels `y`.

    With ``n_classes=1`` (binary, one sigmoid output) it returns the 0/1 labels as a column.

    Example:
        >>> one_hot([2, 0], 3).tolist()
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    labels = check_labels(y, n_classes)
    if n_classes == 1:
        return labels.astype(dtype)[:, None]  # (N, 1)
    out = np.zeros((labels.shape[0], n_classes), dtype=dtype)  # (N, K)
    out[np.arange(labels.shape[0]), labels] = 1
    return out
