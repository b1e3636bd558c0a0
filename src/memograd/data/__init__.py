"""Datasets, splits, mini-batches and input checks: everything between a file and `fit`.

- `load(name, ...)` -> ``X_train, X_test, y_train, y_test`` for a name in `DATASETS`
  (digits, iris, breast_cancer, wine, moons, circles, xor) or a CSV path;
  `load_dataset` returns the whole `Dataset` with feature and class names; `read_csv` and
  `read_csv_features` read a CSV file (strict number grammar, errors name file, line, column).
- `train_test_split`, `train_validation_split`, `Standardizer`, `batches`.
- `check_X`, `check_X_y`, `check_labels`, `one_hot`: validation at the model's boundary.

Example:
    >>> import memograd as mg
    >>> X_train, X_test, y_train, y_test = mg.data.load("digits", test_size=0.2, seed=0)
    >>> X_train.shape, X_test.shape, X_train.dtype, y_train.dtype
    ((1437, 64), (360, 64), dtype('float32'), dtype('int64'))
"""

from memograd.data._csv import CSVTable, read_csv, read_csv_features
from memograd.data._datasets import DATASETS, Dataset, load, load_dataset, names
from memograd.data._split import (
    Standardizer,
    batches,
    train_test_split,
    train_validation_split,
)
from memograd.data._validation import check_labels, check_X, check_X_y, one_hot

__all__ = [
    "DATASETS",
    "CSVTable",
    "Dataset",
    "Standardizer",
    "batches",
    "check_X",
    "check_X_y",
    "check_labels",
    "load",
    "load_dataset",
    "names",
    "one_hot",
    "read_csv",
    "read_csv_features",
    "train_test_split",
    "train_validation_split",
]
