"""Boundary checks: check_X, check_X_y, check_labels, one_hot."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from memograd.data import check_labels, check_X, check_X_y, one_hot


def test_check_X_converts_and_keeps_float_dtype() -> None:
    assert check_X([[1, 2], [3, 4]]).dtype == np.float32
    assert check_X([[1.5, 2.0]]).dtype == np.float32  # lists train in float32
    assert check_X(np.ones((2, 2), dtype=np.int64)).dtype == np.float32
    assert check_X(np.ones((2, 2), dtype=np.float16)).dtype == np.float32
    a64 = np.ones((2, 3))
    assert check_X(a64) is a64  # valid float arrays pass through without a copy
    assert check_X(a64, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="expected a floating dtype"):
        check_X(a64, dtype=np.int32)


def test_check_X_rejects_1d_with_reshape_hint() -> None:
    with pytest.raises(ValueError, match=r"got a 1-D array of shape \(3,\)") as info:
        check_X(np.zeros(3))
    assert "X.reshape(-1, 1)" in str(info.value)
    with pytest.raises(ValueError, match=r"`inputs` .* 3-D array of shape \(2, 2, 2\)"):
        check_X(np.zeros((2, 2, 2)), name="inputs")
    with pytest.raises(ValueError, match="0-D"):
        check_X(5.0)


def test_check_X_empty_messages() -> None:
    expected = "Found array with 0 sample(s) (shape=(0, 3)) while a minimum of 1 is required."
    with pytest.raises(ValueError, match=re.escape(expected)):
        check_X(np.zeros((0, 3)))
    with pytest.raises(ValueError, match=re.escape("0 feature(s) (shape=(2, 0))")):
        check_X(np.zeros((2, 0)))


def test_check_X_non_finite_count_and_first_position() -> None:
    X = np.zeros((4, 3))
    X[1, 2] = np.nan
    X[3, 0] = np.inf
    with pytest.raises(ValueError, match=r"`X` contains 2 non-finite .* NaN at position \(1, 2\)"):
        check_X(X)
    X[1, 2] = 0
    with pytest.raises(ValueError, match=r"1 non-finite .* infinity at position \(3, 0\)"):
        check_X(X)


def test_check_X_types() -> None:
    with pytest.raises(TypeError, match="must hold numbers, got an array of dtype <U1"):
        check_X([["a", "b"]])
    with pytest.raises(TypeError, match="complex"):
        check_X(np.ones((2, 2), dtype=complex))
    with pytest.raises(ValueError, match="could not be converted"):
        check_X([[1.0, 2.0], [3.0]])
    assert check_X(np.array([[1, 2.5]], dtype=object)).dtype == np.float32


def test_check_X_y_lengths_name_both() -> None:
    msg = (
        "Found input variables with inconsistent numbers of samples: `X` has 5 "
        "(shape=(5, 2)) but `y` has 4 (shape=(4,))."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        check_X_y(np.zeros((5, 2)), np.zeros(4))
    X, y = check_X_y([[1.0, 2.0]], np.array([3], dtype=np.int32))
    assert X.dtype == np.float32 and y.dtype == np.int32  # y keeps its dtype


def test_check_X_y_bad_targets() -> None:
    X = np.zeros((2, 1))
    with pytest.raises(ValueError, match=r"`y` contains 1 non-finite .* NaN at position 1"):
        check_X_y(X, [0.0, np.nan])
    with pytest.raises(TypeError, match="Encode text labels as integers"):
        check_X_y(X, ["cat", "dog"])
    with pytest.raises(ValueError, match="got a 3-D array"):
        check_X_y(X, np.zeros((2, 1, 1)))
    with pytest.raises(ValueError, match="got a 0-D array"):
        check_X_y(X, 1)


def test_check_labels_accepts_the_three_forms() -> None:
    assert check_labels([2, 0, 1], 3).tolist() == [2, 0, 1]
    assert check_labels(np.array([[2], [0]]), 3).tolist() == [2, 0]
    assert check_labels(np.array([2.0, 0.0]), 3).tolist() == [2, 0]
    assert check_labels(np.eye(4)[[3, 1]], 4).tolist() == [3, 1]
    assert check_labels([True, False], 1).tolist() == [1, 0]
    assert check_labels(np.array([1, 2], dtype=np.uint8), 3).dtype == np.int64


@pytest.mark.parametrize(
    ("y", "n", "message"),
    [
        (
            [0, 10, 3],
            10,
            "`y` contains the label 10 (at index 1), but the model has 10 output units, "
            "so labels must be integers in [0, 10).",
        ),
        ([1, -1], 3, "`y` contains the label -1 (at index 1)"),
        ([0, 2], 1, "model has 1 output unit, so labels must be 0 or 1 (binary)."),
        ([0.0, 1.5], 3, "`y` contains the value 1.5 at index 1; class labels must be integers"),
        (np.zeros((2, 3)), 5, "`y` has shape (2, 3), but the model has 5 output units"),
        ([[0, 1, 1], [1, 0, 0]], 3, "row 0 is not: [0, 1, 1]"),
        ([[0.5, 0.5], [1, 0]], 2, "row 0 is not: [0.5, 0.5]"),
    ],
)
def test_check_labels_names_the_bad_value_and_width(y: object, n: int, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        check_labels(y, n)


@pytest.mark.parametrize(
    ("y", "label"),
    [
        (np.array([0.0, 1e20]), "100000000000000000000"),
        (np.array([0, 2**63], dtype=np.uint64), "9223372036854775808"),
        ([0, 2**64 + 1], "18446744073709551617"),  # beyond uint64: a list of Python ints
        ([0, -(2**70)], "-1180591620717411303424"),
    ],
)
def test_check_labels_reports_huge_labels_exactly(y: object, label: str) -> None:
    # Before: cast to int64 first, 2**63 and 1e20 were reported as -9223372036854775808 (with
    # a RuntimeWarning), and a list of big ints as "text labels".
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=rf"contains the label {label} \(at index 1\)"):
            check_labels(y, n_classes=3)


def test_check_labels_validates_n_classes() -> None:
    with pytest.raises(ValueError, match="Received: n_classes=0"):
        check_labels([0], 0)
    with pytest.raises(ValueError, match=r"Received: n_classes=2\.0"):
        check_labels([0], 2.0)  # type: ignore[arg-type]


def test_one_hot() -> None:
    out = one_hot([2, 0, 1], 3)
    np.testing.assert_array_equal(out, np.eye(3, dtype=np.float32)[[2, 0, 1]])
    assert out.dtype == np.float32
    assert one_hot([1, 0], 1).tolist() == [[1.0], [0.0]]
    assert one_hot([1], 2, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="label 3"):
        one_hot([3], 3)
