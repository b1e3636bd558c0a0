"""mg.data.load / load_dataset: named datasets, splits, standardization, errors naming names."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pytest

import memograd as mg
from memograd import data
from memograd.data import _csv, _csv_cells, _csv_scan, _datasets, _split, _validation


@pytest.mark.parametrize(
    "module", [data, _csv, _csv_cells, _csv_scan, _datasets, _split, _validation]
)
def test_docstring_examples_run(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0


def test_exported_from_package() -> None:
    assert mg.data is data
    assert "data" in mg.__all__
    assert set(data.names()) == {
        "digits",
        "iris",
        "breast_cancer",
        "wine",
        "diabetes",
        "moons",
        "circles",
        "xor",
    }
    assert data.names() == data.DATASETS


@pytest.mark.parametrize(
    ("name", "n", "d", "k"),
    [
        ("digits", 1797, 64, 10),
        ("iris", 150, 4, 3),
        ("breast_cancer", 569, 30, 2),
        ("wine", 178, 13, 3),
        ("moons", 1000, 2, 2),
        ("circles", 1000, 2, 2),
        ("xor", 1000, 2, 2),
    ],
)
def test_load_shapes_dtypes_and_stratified_split(name: str, n: int, d: int, k: int) -> None:
    X_train, X_test, y_train, y_test = data.load(name, test_size=0.2, seed=0)
    assert X_train.dtype == X_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    assert X_train.shape[1] == X_test.shape[1] == d
    assert len(X_train) + len(X_test) == n
    assert len(X_test) == int(np.ceil(0.2 * n))
    assert len(y_train) == len(X_train) and len(y_test) == len(X_test)
    assert set(np.unique(y_train)) == set(range(k))
    # Stratified: each class's share in the test part is within one sample of the whole.
    full = np.concatenate([y_train, y_test])
    for c in range(k):
        expected = np.mean(full == c) * len(y_test)
        assert abs(np.sum(y_test == c) - expected) <= 1.0


def test_standardization_uses_train_statistics_only() -> None:
    X_train, X_test, _, _ = data.load("wine", seed=0)
    raw_train, raw_test, _, _ = data.load("wine", seed=0, standardize=False)
    np.testing.assert_allclose(X_train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(X_train.std(axis=0), 1.0, atol=1e-4)
    mean = raw_train.astype(np.float64).mean(axis=0)
    std = raw_train.astype(np.float64).std(axis=0)
    np.testing.assert_allclose(X_test, (raw_test - mean) / std, rtol=1e-4, atol=1e-5)
    assert not np.allclose(X_test.mean(axis=0), 0.0, atol=1e-5)  # test stats were not used


def test_constant_columns_stay_finite() -> None:
    # digits has pixel columns that are always 0: no NaN, centred to 0, not scaled.
    X_train, X_test, _, _ = data.load("digits", seed=0)
    raw_train, _, _, _ = data.load("digits", seed=0, standardize=False)
    assert np.isfinite(X_train).all() and np.isfinite(X_test).all()
    constant = raw_train.std(axis=0) == 0
    assert constant.any()
    assert np.all(X_train[:, constant] == 0)


def test_same_seed_same_split_other_seed_different() -> None:
    a = data.load("moons", seed=3)
    b = data.load("moons", seed=3)
    c = data.load("moons", seed=4)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("name", ["moons", "circles", "xor"])
def test_generators_take_n_samples_and_noise(name: str) -> None:
    ds = data.load_dataset(name, n_samples=50, noise=0.0, seed=1)
    assert ds.X.shape == (50, 2) and ds.X.dtype == np.float32
    assert ds.classes == ("0", "1")
    noisy = data.load_dataset(name, n_samples=50, noise=0.3, seed=1)
    assert not np.allclose(ds.X, noisy.X)


def test_xor_labels_follow_the_sign_product_without_noise() -> None:
    ds = data.load_dataset("xor", n_samples=200, seed=0)
    np.testing.assert_array_equal(ds.y, (ds.X[:, 0] * ds.X[:, 1] < 0).astype(np.int64))
    assert 0.3 < ds.y.mean() < 0.7


def test_circles_use_factor_one_half() -> None:
    ds = data.load_dataset("circles", n_samples=200, noise=0.0, seed=0)
    radius = np.hypot(ds.X[:, 0], ds.X[:, 1])
    np.testing.assert_allclose(radius[ds.y == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(radius[ds.y == 1], 0.5, atol=1e-6)


def test_load_dataset_names_and_classes() -> None:
    iris = data.load_dataset("iris")
    assert iris.classes == ("setosa", "versicolor", "virginica")
    assert iris.n_classes == 3 and iris.task == "classification"
    assert len(iris.feature_names) == 4 and "petal" in iris.feature_names[2]
    assert data.load_dataset("Digits").X.shape == (1797, 64)  # names are case-insensitive


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="Unknown dataset 'mnist'") as info:
        data.load("mnist")
    for name in data.DATASETS:
        assert repr(name) in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "digits", "n_samples": 10}, "`n_samples` applies to the generated"),
        ({"name": "iris", "noise": 0.1}, "`noise` applies to the generated"),
        ({"name": "iris", "target": "x"}, "`target` applies to a CSV file"),
        ({"name": "iris", "task": "regression"}, "`task` applies to a CSV file"),
        ({"name": "moons", "n_samples": 0}, "expected a positive integer. Received: n_samples=0"),
        ({"name": "moons", "noise": -1.0}, "expected a non-negative number"),
        ({"name": "moons", "test_size": 1.5}, "Received: test_size=1.5"),
        ({"name": "moons", "test_size": 0}, "would hold out 0 of 1000"),
        ({"name": "iris", "test_size": 2}, "Cannot stratify"),
    ],
)
def test_invalid_arguments_name_the_argument(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        data.load(**kwargs)  # type: ignore[arg-type]


def test_missing_csv_is_oserror_naming_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(OSError, match=r"nope\.csv"):
        data.load(path)
    with pytest.raises(OSError, match=r"nope\.csv"):
        data.load(str(path))


def test_load_csv_classification_and_regression(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    labels = np.where(X[:, 0] > 0, "pos", "neg")
    lines = ["a,b,c,label"] + [f"{r[0]},{r[1]},{r[2]},{t}" for r, t in zip(X, labels, strict=True)]
    path = tmp_path / "d.csv"
    path.write_text("\n".join(lines) + "\n")
    X_train, X_test, y_train, y_test = data.load(path, target="label", seed=0, standardize=False)
    assert y_train.dtype == np.int64 and set(np.unique(y_train)) == {0, 1}
    assert len(X_test) == len(y_test) == 8
    # standardize=False keeps the file's values: every training row is a row of the file.
    rows = {tuple(np.float32(v) for v in r) for r in X}
    assert all(tuple(r) in rows for r in X_train)
    ds = data.load_dataset(path, target="label")
    assert ds.classes == ("neg", "pos") and ds.feature_names == ("a", "b", "c")
    np.testing.assert_array_equal(ds.y, (labels == "pos").astype(np.int64))
    # The same rows with a real-valued target: regression, not stratified.
    reg = tmp_path / "r.csv"
    reg.write_text("a,b,y\n" + "\n".join(f"{r[0]},{r[1]},{r[2]}" for r in X) + "\n")
    _, X_test, y_train, y_test = data.load(reg, seed=0)
    assert y_train.dtype == np.float32 and len(y_test) == len(X_test) == 8
    assert data.load_dataset(reg).task == "regression"
