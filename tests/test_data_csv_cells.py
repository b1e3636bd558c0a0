"""CSV cells (issue 12): the number grammar, float32 overflow, exact labels, missing targets,
and csv-module errors that name the file and line without quoting the rest of the file."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from memograd import data

FLOAT32_MAX = float(np.finfo(np.float32).max)


def write(tmp_path: Path, text: str, name: str = "cells.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("cell", ["1e39", "1e300", "-1e39", "1e999", "3.5e38", "-1E+309"])
def test_feature_that_overflows_float32_is_refused(tmp_path: Path, cell: str) -> None:
    path = write(tmp_path, f"a,b,y\n1,2,0\n3,{cell},1\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # before the fix: a RuntimeWarning and an inf feature
        with pytest.raises(ValueError, match=r"cells\.csv', line 3, column 'b'.*too large for"):
            data.read_csv(path)
    with pytest.raises(ValueError, match=r"line 3, column 'b'"):
        data.read_csv_features(path)


def test_largest_float32_and_underflow_are_read(tmp_path: Path) -> None:
    # The edge of the range still loads; a number too small for float32 rounds to zero.
    path = write(tmp_path, f"a,b,y\n{FLOAT32_MAX!r},1e-50,0\n-3.4028234e38,-0,1\n")
    X = data.read_csv(path).X
    assert X[0, 0] == np.float32(FLOAT32_MAX) and X[1, 0] == np.float32(-3.4028234e38)
    assert X[0, 1] == 0.0 and np.signbit(X[1, 1])  # "-0" is negative zero, as float() reads it


def test_regression_target_that_overflows_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,price\n1,2,1.5\n3,4,1.5e300\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"line 3, target column 'price'.*'1\.5e300'"):
            data.read_csv(path)


def test_integer_labels_are_exact(tmp_path: Path) -> None:
    big = [
        "1e20",
        "100000000000000000001",
        "9223372036854775808",  # 2**63: int64 would wrap it to -2**63
        "18446744073709551616",  # 2**64
        "-9223372036854775809",
        "100000000000000000000",  # the same integer as 1e20
        "9.223372036854775808E18",  # the same integer as 2**63
        "7",
    ]
    path = write(tmp_path, "f,label\n" + "".join(f"{i},{b}\n" for i, b in enumerate(big)))
    table = data.read_csv(path)
    assert table.classes == (
        "-9223372036854775809",
        "7",
        "9223372036854775808",
        "18446744073709551616",
        "100000000000000000000",
        "100000000000000000001",
    )
    names = [table.classes[k] for k in table.y]
    assert names == [
        "100000000000000000000",
        "100000000000000000001",
        "9223372036854775808",
        "18446744073709551616",
        "-9223372036854775809",
        "100000000000000000000",
        "9223372036854775808",
        "7",
    ]
    assert all(str(int(name)) == name for name in table.classes)


def test_integer_label_too_long_to_keep_exactly_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "f,label\n0,1\n1,1e5000\n")
    with pytest.raises(ValueError, match=r"line 3, target column 'label'.*more than 4300 digits"):
        data.read_csv(path)


@pytest.mark.parametrize(
    "cell",
    [
        "1_000",
        "1_0",
        "0x10",
        "0b1",
        "１２",  # fullwidth digits: float() accepts them
        "٣",  # Arabic-Indic three
        "\u00a01",  # no-break space
        "1e",
        ".",
        "+",
        "--1",
        "1.2.3",
        "1,5",
        "e3",
        "1\x1f2",  # \x1f separates cells in the reader's one-regex-per-row check
        "1\x1f",  # float() strips \x1c-\x1f and \x0b-\x0c as whitespace
        "\x0c1",
    ],
)
def test_feature_outside_the_number_grammar_is_refused(tmp_path: Path, cell: str) -> None:
    path = tmp_path / "grammar.csv"
    path.write_text(f'a,b,y\n1,2,0\n3,"{cell}",1\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"grammar\.csv', line 3, column 'b': the cell holds"):
        data.read_csv(path)


@pytest.mark.parametrize("cell", ["12", " -0.5 ", "+.5", "5.", "1E-3", "\t7e+2", "007"])
def test_numbers_in_the_grammar_are_read_as_float_reads_them(tmp_path: Path, cell: str) -> None:
    path = write(tmp_path, f'a,b,y\n1,"{cell}",0\n2,3,1\n')
    assert data.read_csv(path).X[0, 1] == np.float32(float(cell))


@pytest.mark.parametrize("cell", ["nan", "NaN", "-nan", "inf", "-Infinity", " INF "])
def test_non_finite_target_is_refused_not_a_class(tmp_path: Path, cell: str) -> None:
    path = write(tmp_path, f"a,label\n1,cat\n2,dog\n3,{cell}\n")
    with pytest.raises(ValueError, match=r"line 4, target column 'label'.*missing or non-finite"):
        data.read_csv(path)


def test_nan_in_regression_target_names_the_cell_not_the_classes(tmp_path: Path) -> None:
    # Before: one 'nan' turned 40 real-valued targets into 41 text classes and the split
    # complained about stratifying them.
    rows = [f"{i},{i * 0.37:.2f}" for i in range(40)] + ["40,nan"]
    path = write(tmp_path, "x,y\n" + "\n".join(rows) + "\n")
    with pytest.raises(ValueError, match=r"line 42, target column 'y': the cell holds 'nan'"):
        data.load(path)


def test_number_grammar_for_text_labels_keeps_them_text(tmp_path: Path) -> None:
    # "1_000" is not a number, so the column is text labels, kept exactly as written.
    table = data.read_csv(write(tmp_path, "a,label\n1,1_000\n2,1000\n3,1000.0\n"))
    assert table.classes == ("1000", "1000.0", "1_000")


def test_task_forces_how_the_target_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "a,t\n1,3\n2,10\n3,3\n")
    regression = data.read_csv(path, task="regression")
    assert regression.classes is None and regression.y.tolist() == [3.0, 10.0, 3.0]
    fractions = data.read_csv(
        write(tmp_path, "a,t\n1,0.5\n2,1.5\n", "f.csv"), task="classification"
    )
    assert fractions.classes == ("0.5", "1.5") and fractions.y.tolist() == [0, 1]
    with pytest.raises(ValueError, match=r"line 2, target column 't'.*'cat', not a number"):
        data.read_csv(write(tmp_path, "a,t\n1,cat\n", "text.csv"), task="regression")
    with pytest.raises(ValueError, match=r"expected 'classification', 'regression' or None"):
        data.read_csv(path, task="ranking")


def test_header_of_numbers_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "1.5,2,-3e2\n4,5,6\n")
    for read in (data.read_csv, data.read_csv_features):
        with pytest.raises(ValueError, match=r"line 1: .*looks like data; add a header row"):
            read(path)


def test_read_csv_features_skips_the_ignored_column_unread(tmp_path: Path) -> None:
    path = write(tmp_path, "a,label,b\n1,nan,2\n3,,4\n")
    X, names = data.read_csv_features(path, ignore="label")
    assert names == ("a", "b") and X.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(ValueError, match=r"line 2, column 'label': the cell holds 'nan'"):
        data.read_csv_features(path)


def test_cell_over_the_field_limit_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,y\n1,2,0\n3," + "9" * 140_000 + ",1\n", "long.csv")
    with pytest.raises(
        ValueError, match=r"long\.csv', line 3: a cell is longer than 131,072"
    ) as info:
        data.load(path)
    assert len(str(info.value)) - len(str(path)) < 300


def test_unclosed_quote_does_not_dump_the_file(tmp_path: Path) -> None:
    tail = "".join(f"{i},{i},secret{i}\n" for i in range(1000))
    path = write(tmp_path, 'a,b,y\n1,2,x\n3,"4,y\n' + tail, "open.csv")
    with pytest.raises(
        ValueError, match=r"open\.csv', line 3: a quoted cell .* never closed"
    ) as info:
        data.read_csv(path)
    assert "secret" not in str(info.value) and len(str(info.value)) - len(str(path)) < 300


def test_quote_closed_lines_later_is_shown_short_with_a_hint(tmp_path: Path) -> None:
    tail = "".join(f"{i},{i},secret{i}\n" for i in range(1000))
    path = write(tmp_path, 'a,b,y\n1,"2\n' + tail + '5",1\n', "spans.csv")
    with pytest.raises(ValueError, match=r"line 2, column 'b'.*spans several lines") as info:
        data.read_csv(path)
    assert "secret5" not in str(info.value) and len(str(info.value)) - len(str(path)) < 400


def test_not_utf8_names_file_byte_offset_and_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    head = b"a,b,y\n" + b"1,2,0\n" * 12_000  # past the first 64 KiB read
    path.write_bytes(head + b"3,4,caf\xe9\n")
    offset = len(head) + len(b"3,4,caf")
    with pytest.raises(
        ValueError, match=rf"latin\.csv' is not UTF-8 text: byte {offset:,} \(line 12002\) is 0xe9"
    ):
        data.load(path)
    cut = tmp_path / "cut.csv"
    cut.write_bytes(b"a,y\n1,\xc3")  # a two-byte character cut off by the end of the file
    with pytest.raises(ValueError, match=r"cut\.csv' is not UTF-8 text: byte 6 \(line 2\)"):
        data.read_csv(cut)


def test_split_errors_of_a_csv_name_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "a,y\n1,p\n2,p\n3,q\n", "tiny.csv")  # class 'q' has one row
    with pytest.raises(ValueError, match=r"CSV file '.*tiny\.csv': Cannot stratify"):
        data.load(path)


def test_long_header_names_and_many_columns_are_shortened(tmp_path: Path) -> None:
    header = ["n" * 1000] + [f"c{i}" for i in range(50)]
    path = write(tmp_path, ",".join(header) + "\n" + ",".join(["1"] * 50) + "\n", "wide.csv")
    with pytest.raises(ValueError, match=r"found 50 field\(s\), expected 51") as info:
        data.read_csv(path)
    assert "(1,000 characters)" in str(info.value) and "... (41 more)" in str(info.value)
    assert len(str(info.value)) - len(str(path)) < 400
