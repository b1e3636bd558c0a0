"""Workloads: finding workloads.json, selecting by name, FLOP counts, seeded data."""

import json
from pathlib import Path

import numpy as np
import pytest

from memograd.bench import (
    Workload,
    find_workloads_file,
    load_workloads,
    make_data,
    select_workloads,
)


def test_shared_workloads_file_is_found_and_read() -> None:
    workloads = load_workloads()
    assert [w.short for w in workloads] == ["W1", "W2", "W3", "W4"]
    tiny = workloads[0]
    assert tiny.sizes == (2, 16, 16, 2) and tiny.batch == 100
    # 6 * batch * sum(fan_in * fan_out) = 6 * 100 * (2*16 + 16*16 + 16*2)
    assert tiny.flops == 6 * 100 * 320


def test_explicit_file_and_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "w.json"
    file.write_text(json.dumps({"workloads": [{"name": "X1-a", "sizes": [3, 2], "batch": 4}]}))
    assert [w.name for w in load_workloads(file)] == ["X1-a"]
    monkeypatch.setenv("MEMOGRAD_WORKLOADS", str(file))
    assert find_workloads_file() == file


def test_missing_and_malformed_files_raise_readable_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(FileNotFoundError, match=r"workloads_file='.*nope\.json'"):
        find_workloads_file(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"items": []}))
    with pytest.raises(ValueError, match="is not a workloads file"):
        load_workloads(bad)
    # Upward search from a folder with no shared/ above it (and the package's own folder
    # hidden): the error names the places searched and the way out.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("memograd.bench._workloads.__file__", str(tmp_path / "x.py"))
    with pytest.raises(FileNotFoundError, match="--workloads-file"):
        find_workloads_file()


def test_select_by_short_or_full_name() -> None:
    ws = load_workloads()
    assert [w.name for w in select_workloads(ws, ["w4", "W1-tiny", "W1"])] == [
        "W4-large",
        "W1-tiny",
    ]
    assert select_workloads(ws, None) == ws
    with pytest.raises(ValueError, match=r"W1-tiny \(W1\).*Received: workloads='W9'"):
        select_workloads(ws, ["W9"])


def test_make_data_is_seeded_float32_with_integer_labels() -> None:
    w = Workload("T1-x", (5, 3, 4), 32)
    X, y = make_data(w, seed=0)
    X2, y2 = make_data(w, seed=0)
    X3, _ = make_data(w, seed=1)
    assert X.dtype == np.float32 and X.shape == (32, 5)
    assert np.issubdtype(y.dtype, np.integer) and y.shape == (32,)
    assert y.min() >= 0 and y.max() < 4
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, X3)
