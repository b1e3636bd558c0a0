"""CSV loading: the rules, and a ValueError with the line number for every malformed file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from memograd import data


def write(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_features_and_string_target(tmp_path: Path) -> None:
    path = write(tmp_path, "x, y ,kind\n1,2,b\n\n3,4.5,a\n-1e-3,0,b\n")
    table = data.read_csv(path, target="kind")
    np.testing.assert_array_equal(
        table.X, np.array([[1, 2], [3, 4.5], [-1e-3, 0]], dtype=np.float32)
    )
    assert table.X.dtype == np.float32
    assert table.feature_names == ("x", "y")  # header cells are stripped
    assert table.classes == ("a", "b")
    assert table.y.tolist() == [1, 0, 1] and table.y.dtype == np.int64
    assert table.target_name == "kind"


def test_default_target_is_last_column_and_index_works(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,c\n1,2,0\n3,4,1\n")
    assert data.read_csv(path).target_name == "c"
    by_index = data.read_csv(path, target=0)
    assert by_index.target_name == "a" and by_index.feature_names == ("b", "c")
    assert data.read_csv(path, target=-2).target_name == "b"
    assert data.read_csv(path, target="1").target_name == "b"  # digits from a command line


def test_integer_targets_map_to_sorted_classes(tmp_path: Path) -> None:
    # UCI-style labels 1..3 (and 10) become indices 0..3 ordered by value, not by text.
    path = write(tmp_path, "f,label\n0,3\n1,1\n2,10\n3,2\n4,1.0\n")
    table = data.read_csv(path)
    assert table.classes == ("1", "2", "3", "10")
    assert table.y.tolist() == [2, 0, 3, 1, 0]


def test_real_valued_target_is_regression(tmp_path: Path) -> None:
    table = data.read_csv(write(tmp_path, "f,price\n0,1.5\n1,2\n"))
    assert table.classes is None
    assert table.y.dtype == np.float32 and table.y.tolist() == [1.5, 2.0]


def test_byte_order_mark_and_quoted_fields(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes('\ufeff"a","b",t\n"1",2,"x, y"\n3,4,z\n'.encode())
    table = data.read_csv(path)
    assert table.feature_names == ("a", "b")
    assert table.classes == ("x, y", "z")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", r"'.*t\.csv' is empty; expected a header row"),
        ("\n\n  \n", "is empty"),
        ("a,b,c\n", r"has a header \(line 1\) but no data rows"),
        ("a,b,c\n1,2,3\n4,5\n", r"line 3: found 2 field\(s\), expected 3"),
        ("a,b,c\n1,2,3\n\n4,5,6,7\n", r"line 4: found 4 field\(s\), expected 3"),
        ("a,b,c\n1,2,3\n4,x,6\n", r"line 3, column 'b': the cell holds 'x', not a number"),
        ("a,b,c\n1,,3\n", r"line 2, column 'b': the cell is empty"),
        ("a,b,c\n1,nan,3\n", r"line 2, column 'b': the cell holds 'nan'"),
        ("a,b,c\n1,inf,3\n", r"line 2, column 'b'"),
        ("a,b,c\n1,2, \n", r"line 2, target column 'c': the cell is empty"),
        (
            "1,2,3\n4,5,6\n",
            r"line 1: the first row holds only numbers .*looks like data; add a header row",
        ),
        ("a,,c\n1,2,3\n", "line 1: column 1 has an empty name"),
        ("a,b,a\n1,2,3\n", "line 1: the column name 'a' appears twice"),
        ("only\n1\n", "single column 'only'"),
    ],
)
def test_malformed_files_name_the_line(tmp_path: Path, text: str, match: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match=match):
        data.read_csv(path)
    with pytest.raises(ValueError, match=match):  # the same error through load()
        data.load(path)


def test_missing_target_column_lists_available_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "sepal,petal,species\n1,2,a\n")
    with pytest.raises(ValueError, match="Target column 'kind' not found") as info:
        data.read_csv(path, target="kind")
    assert "available columns: 'sepal', 'petal', 'species'" in str(info.value)
    with pytest.raises(ValueError, match=r"index in \[-3, 3\).*Received: target=3"):
        data.read_csv(path, target=3)
    with pytest.raises(TypeError, match=r"Received: target=1\.5"):
        data.read_csv(path, target=1.5)  # type: ignore[arg-type]


def test_not_utf8_is_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(b"a,b\n1,\xe9\xff\n")
    with pytest.raises(ValueError, match=r"latin\.csv' is not UTF-8"):
        data.read_csv(path)


def test_unterminated_quote_reports_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'a,b,c\n1,2,x\n3,"4,y\n', name="quote.csv")
    with pytest.raises(ValueError, match=r"quote\.csv', line 3: a quoted cell .* is never closed"):
        data.read_csv(path)


def test_nul_byte_in_a_feature_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"a,b\n1,2\n\x003,4\n")
    with pytest.raises(ValueError, match=r"nul\.csv', line 3, column 'a'"):
        data.read_csv(path)


def test_missing_file_is_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"absent\.csv"):
        data.read_csv(tmp_path / "absent.csv")
