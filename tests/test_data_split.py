"""Splits, standardization and mini-batches."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memograd.data import Standardizer, batches, train_test_split, train_validation_split


def data_xy(n: int = 10, d: int = 3) -> tuple[np.ndarray, np.ndarray]:
    X = np.arange(n * d, dtype=np.float32).reshape(n, d)
    return X, np.arange(n)  # y[i] == i identifies the row


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 60),
    batch_size=st.integers(1, 70),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_batches_cover_every_sample_once(n: int, batch_size: int, shuffle: bool, seed: int) -> None:
    X, y = data_xy(n)
    seen = []
    sizes = []
    for xb, yb in batches(X, y, batch_size, shuffle=shuffle, seed=seed):
        np.testing.assert_array_equal(xb, X[yb])  # rows and labels stay paired
        seen.extend(yb.tolist())
        sizes.append(len(yb))
    assert sorted(seen) == list(range(n))
    assert sizes == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    if not shuffle:
        assert seen == list(range(n))


def test_unshuffled_batches_are_views_shuffled_are_copies() -> None:
    X, y = data_xy(6)
    xb, _ = next(batches(X, y, 4, shuffle=False))
    assert np.shares_memory(xb, X)
    xb, _ = next(batches(X, y, 4, shuffle=True, seed=0))
    assert not np.shares_memory(xb, X)


def test_batch_order_is_seeded_and_a_generator_advances() -> None:
    X, y = data_xy(20)

    def order(seed: int | np.random.Generator) -> list[int]:
        return [int(i) for _, yb in batches(X, y, 5, seed=seed) for i in yb]

    assert order(1) == order(1)
    assert order(1) != order(2)
    rng = np.random.default_rng(0)
    first, second = order(rng), order(rng)
    assert first != second  # one generator across epochs: a fresh shuffle each epoch
    assert first == order(np.random.default_rng(0))


def test_batches_without_labels() -> None:
    X, _ = data_xy(5)
    out = list(batches(X, None, 2, shuffle=False))
    assert [yb for _, yb in out] == [None, None, None]
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in out]), X)


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, None])
def test_batch_size_must_be_a_positive_integer(bad: object) -> None:
    X, y = data_xy(4)
    with pytest.raises(ValueError, match=f"Received: batch_size={bad!r}"):
        batches(X, y, bad)  # type: ignore[call-overload]  # raises at the call, not at next()


def test_batches_length_mismatch_and_bad_seed() -> None:
    X, y = data_xy(4)
    with pytest.raises(ValueError, match=r"`X` has 4 .* but `y` has 3"):
        batches(X, y[:3], 2)
    with pytest.raises(ValueError, match="Received: seed=-1"):
        batches(X, y, 2, seed=-1)


def test_train_validation_split_partitions_rows() -> None:
    X, y = data_xy(10)
    X_tr, X_val, y_tr, y_val = train_validation_split(X, y, 0.25, seed=0)
    assert len(y_val) == 3 and len(y_tr) == 7  # ceil(0.25 * 10)
    assert sorted(np.concatenate([y_tr, y_val]).tolist()) == list(range(10))
    np.testing.assert_array_equal(X_tr, X[y_tr])
    np.testing.assert_array_equal(X_val, X[y_val])
    again = train_validation_split(X, y, 0.25, seed=0)
    np.testing.assert_array_equal(again[3], y_val)
    other = train_validation_split(X, y, 0.25, seed=5)
    assert not np.array_equal(other[3], y_val)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 2, "0.1"])
def test_validation_split_must_be_a_fraction(bad: object) -> None:
    X, y = data_xy(10)
    with pytest.raises(ValueError, match="validation_split"):
        train_validation_split(X, y, bad, seed=0)  # type: ignore[arg-type]


def test_validation_split_too_small_dataset() -> None:
    X, y = data_xy(1)
    with pytest.raises(ValueError, match="would hold out 1 of 1 sample"):
        train_validation_split(X, y, 0.5, seed=0)


def test_train_test_split_counts_and_stratification() -> None:
    X = np.zeros((100, 2))
    y = np.array([0] * 80 + [1] * 20)
    _, _, y_tr, y_te = train_test_split(X, y, 0.25, seed=0)
    assert len(y_te) == 25 and np.sum(y_te == 1) == 5
    assert len(y_tr) == 75 and np.sum(y_tr == 1) == 15
    _, X_te, _, _ = train_test_split(X, y, 10, seed=0)
    assert len(X_te) == 10
    _, X_te, _, _ = train_test_split(X, y.astype(float) + 0.5, 0.2, seed=0, stratify=False)
    assert len(X_te) == 20


def test_stratify_explains_a_class_with_one_sample() -> None:
    X, y = np.zeros((10, 1)), np.array([0] * 9 + [1])
    with pytest.raises(ValueError, match="smallest has 1") as info:
        train_test_split(X, y, 0.2, seed=0)
    assert "stratify=False" in str(info.value)


def test_standardizer_constant_and_near_constant_columns() -> None:
    X = np.array([[1.0, 7.0, 1e6], [3.0, 7.0, 1e6 + 1e-4], [5.0, 7.0, 1e6]], dtype=np.float32)
    s = Standardizer.fit(X)
    out = s.transform(X)
    assert out.dtype == np.float32 and np.isfinite(out).all()
    np.testing.assert_allclose(out[:, 0], [-1.2247449, 0.0, 1.2247449], rtol=1e-6)
    assert np.all(out[:, 1] == 0) and np.all(s.scale[1:] == 1.0)
    back = Standardizer.from_dict(s.to_dict())
    np.testing.assert_array_equal(back.transform(X), out)
    with pytest.raises(ValueError, match=r"fitted on 3 feature\(s\); received an array of shape"):
        s.transform(X[:, :2])
    with pytest.raises(ValueError, match="positive scales"):
        Standardizer.from_dict({"mean": [0.0], "scale": [0.0]})
    with pytest.raises(ValueError, match="Invalid standardizer record"):
        Standardizer.from_dict({"mean": [0.0]})
