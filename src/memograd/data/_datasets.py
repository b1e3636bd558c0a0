"""Named datasets (scikit-learn's bundled ones, 2-D generators, XOR) and CSV files.

``diabetes`` (442 patients, 10 features) is the bundled regression set: float32 targets.

Every dataset comes out the same way: X (N, D) float32, y (N,) int64 class indices (or
float32 targets for a regression CSV), with its feature and class names. Nothing is
downloaded: the scikit-learn datasets ship inside the package.

Example:
    >>> import memograd as mg
    >>> X_train, X_test, y_train, y_test = mg.data.load("iris", test_size=0.2, seed=0)
    >>> X_train.shape, X_test.shape, y_train.dtype
    ((120, 4), (30, 4), dtype('int64'))
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from memograd._errors import invalid_type, invalid_value
from memograd.data._csv import read_csv
from memograd.data._split import Standardizer, train_test_split

__all__ = ["DATASETS", "Dataset", "load", "load_dataset", "names"]

#: generated datasets: name -> (default n_samples, default noise).
_GENERATED: dict[str, tuple[int, float]] = {
    "moons": (1000, 0.2),
    "circles": (1000, 0.1),
    "xor": (1000, 0.0),
}
_BUNDLED = ("digits", "iris", "breast_cancer", "wine", "diabetes")
#: bundled regression sets: float32 targets, no classes
_REGRESSION = frozenset({"diabetes"})

#: Every valid dataset name (a path to a CSV file is accepted too).
DATASETS: tuple[str, ...] = (*_BUNDLED, *_GENERATED)


def names() -> tuple[str, ...]:
    """The valid dataset names, in a stable order.

    Example:
        >>> "digits" in names()
        True
    """
    return DATASETS


@dataclass(frozen=True, eq=False)
class Dataset:
    """A whole dataset before splitting.

    Attributes:
        name: the dataset name or the CSV path.
        X: features, (N, D) float32.
        y: (N,) int64 class indices in [0, n_classes), or float32 regression targets.
        feature_names: one name per column of X.
        classes: ``classes[k]`` is the original label of class index k (e.g. ``"setosa"``);
            None for regression targets.
        target_name: the target column's name.
    """

    name: str
    X: NDArray[np.float32]
    y: NDArray[Any]
    feature_names: tuple[str, ...]
    classes: tuple[str, ...] | None
    target_name: str = "target"

    @property
    def n_classes(self) -> int | None:
        """The number of classes, or None for regression targets."""
        return None if self.classes is None else len(self.classes)

    @property
    def task(self) -> str:
        """``"classification"`` or ``"regression"``."""
        return "regression" if self.classes is None else "classification"


def _bundled(name: str) -> Dataset:
    from sklearn import datasets as skd  # heavy; import on use

    loader: Callable[[], Any] = getattr(skd, f"load_{name}")
    bunch = loader()
    if name in _REGRESSION:  # diabetes: disease progression after one year (25 to 346)
        return Dataset(
            name=name,
            X=np.asarray(bunch.data, dtype=np.float32),
            y=np.asarray(bunch.target, dtype=np.float32),
            feature_names=tuple(str(f) for f in bunch.feature_names),
            classes=None,
            target_name="progression",
        )
    return Dataset(
        name=name,
        X=np.asarray(bunch.data, dtype=np.float32),
        y=np.asarray(bunch.target, dtype=np.int64),
        feature_names=tuple(str(f) for f in bunch.feature_names),
        classes=tuple(str(c) for c in bunch.target_names),
    )


def _generated(name: str, n_samples: int, noise: float, seed: int) -> Dataset:
    if name == "xor":
        rng = np.random.default_rng(seed)
        X = rng.uniform(-1.0, 1.0, size=(n_samples, 2))  # (N, 2)
        y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)  # 1 where the signs differ
        X = X + noise * rng.standard_normal(X.shape)  # jitter after labelling: label noise
    else:
        from sklearn import datasets as skd

        if name == "moons":
            X, y = skd.make_moons(n_samples=n_samples, noise=noise, random_state=seed)
        else:
            X, y = skd.make_circles(n_samples=n_samples, noise=noise, factor=0.5, random_state=seed)
    return Dataset(
        name=name,
        X=np.asarray(X, dtype=np.float32),
        y=np.asarray(y, dtype=np.int64),
        feature_names=("x0", "x1"),
        classes=("0", "1"),
    )


def _unknown(name: object) -> ValueError:
    valid = ", ".join(repr(n) for n in DATASETS)
    return ValueError(
        f"Unknown dataset {name!r}: expected one of {valid}, or a path to a CSV file "
        "(ending in .csv or existing)."
    )


def _is_csv_path(name: str | os.PathLike[str]) -> bool:
    if not isinstance(name, str):
        return True  # a PathLike is always a file
    return name.lower().endswith(".csv") or os.sep in name or Path(name).is_file()


def load_dataset(
    name: str | os.PathLike[str],
    *,
    seed: int = 0,
    target: int | str | None = None,
    n_samples: int | None = None,
    noise: float | None = None,
    task: str | None = None,
) -> Dataset:
    """Load a whole dataset, unsplit and unscaled, with its feature and class names.

    Args:
        name: one of `DATASETS` or a path to a CSV file (see `read_csv` for its rules).
        seed: seeds the generated datasets (moons, circles, xor).
        target: CSV only: the target column, by name or index (default: the last column).
        task: CSV only: ``"classification"`` or ``"regression"`` reads the target column as
            class labels or as numbers; None decides from its values (see `read_csv`).
        n_samples: generated datasets only (default 1000).
        noise: generated datasets only: standard deviation of the gaussian jitter
            (defaults: moons 0.2, circles 0.1, xor 0.0).

    Raises:
        ValueError: an unknown name (the message lists the valid ones), an argument that the
            dataset does not take, or a malformed CSV file (the message gives the line).
        OSError: the CSV file cannot be read.

    Example:
        >>> ds = load_dataset("iris")
        >>> ds.X.shape, ds.classes
        ((150, 4), ('setosa', 'versicolor', 'virginica'))
    """
    if isinstance(name, str) and name.strip().lower() in DATASETS:
        key = name.strip().lower()
        for csv_arg, csv_value in (("target", target), ("task", task)):
            if csv_value is not None:
                raise ValueError(
                    f"`{csv_arg}` applies to a CSV file; dataset {key!r} has a fixed target. "
                    f"Received: {csv_arg}={csv_value!r}"
                )
        if key in _BUNDLED:
            for arg, value in (("n_samples", n_samples), ("noise", noise)):
                if value is not None:
                    raise ValueError(
                        f"`{arg}` applies to the generated datasets "
                        f"({', '.join(_GENERATED)}), not to {key!r}. Received: {arg}={value!r}"
                    )
            return _bundled(key)
        default_n, default_noise = _GENERATED[key]
        n = default_n if n_samples is None else n_samples
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise invalid_value("n_samples", "a positive integer", n_samples)
        sigma = default_noise if noise is None else noise
        if isinstance(sigma, bool) or not isinstance(sigma, int | float) or not sigma >= 0:
            raise invalid_value("noise", "a non-negative number", noise)
        return _generated(key, int(n), float(sigma), seed)
    if not isinstance(name, str | os.PathLike):
        raise invalid_type("name", "a dataset name or a CSV path", name)
    if not _is_csv_path(name):
        raise _unknown(name)
    for arg, value in (("n_samples", n_samples), ("noise", noise)):
        if value is not None:
            raise ValueError(
                f"`{arg}` applies to the generated datasets ({', '.join(_GENERATED)}), "
                f"not to a CSV file. Received: {arg}={value!r}"
            )
    table = read_csv(name, target=target, task=task)
    return Dataset(
        name=str(name),
        X=table.X,
        y=table.y,
        feature_names=table.feature_names,
        classes=table.classes,
        target_name=table.target_name,
    )


def load(
    name: str | os.PathLike[str],
    test_size: float | int = 0.2,
    seed: int = 0,
    standardize: bool = True,
    target: int | str | None = None,
    n_samples: int | None = None,
    noise: float | None = None,
    task: str | None = None,
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[Any], NDArray[Any]]:
    """Load a dataset and split it: ``X_train, X_test, y_train, y_test``.

    The split is shuffled with `seed` and stratified by class (regression CSVs are not
    stratified). With `standardize`, every feature is centred and scaled with the mean and
    standard deviation of the *training* part only, so no test information leaks in;
    constant columns are centred but not scaled. Use `load_dataset` for names and classes.

    Args:
        name: one of `DATASETS` or a path to a CSV file.
        test_size: a fraction in (0, 1) or a number of test samples.
        seed: seeds both the generated data and the split.
        standardize: standardize the features (fitted on the training part).
        target, n_samples, noise, task: as in `load_dataset`.

    Returns:
        X_train, X_test as float32 (N, D); y_train, y_test as int64 labels (or float32 targets).

    Example:
        >>> X_train, X_test, y_train, y_test = load("moons", seed=0)
        >>> X_train.shape, round(float(X_train.mean()), 6)
        ((800, 2), 0.0)
    """
    ds = load_dataset(name, seed=seed, target=target, n_samples=n_samples, noise=noise, task=task)
    try:
        X_train, X_test, y_train, y_test = train_test_split(
            ds.X, ds.y, test_size, seed, stratify=ds.classes is not None
        )
    except ValueError as exc:
        if ds.name in DATASETS:
            raise
        # The file's rows cannot be split as asked (too few, or a class with one row).
        raise ValueError(f"CSV file {ds.name!r}: {exc}") from exc
    if standardize:
        scaler = Standardizer.fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    return X_train, X_test, y_train, y_test
