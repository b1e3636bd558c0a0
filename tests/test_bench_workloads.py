"""Workloads: the packaged workloads.json, overrides, selecting by name, FLOPs, seeded data."""

import json
import os
import subprocess
import sys
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


def test_packaged_workloads_file_is_found_and_read() -> None:
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
    with pytest.raises(FileNotFoundError, match=r"workloads_file='.*nope\.json'"):
        load_workloads(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"items": []}))
    with pytest.raises(ValueError, match="is not a workloads file"):
        load_workloads(bad)
    monkeypatch.setenv("MEMOGRAD_WORKLOADS", str(tmp_path / "gone.json"))
    with pytest.raises(FileNotFoundError, match=r"workloads_file='.*gone\.json'"):
        find_workloads_file()


def test_packaged_workloads_load_from_a_folder_with_nothing_above_it(tmp_path: Path) -> None:
    # A fresh interpreter in an empty folder, no override: the workloads must come from the
    # package itself (no search of the folders around the repository).
    env = {k: v for k, v in os.environ.items() if k != "MEMOGRAD_WORKLOADS"}
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    code = (
        "from memograd.bench import find_workloads_file, load_workloads;"
        "print(find_workloads_file());"
        "print(','.join(w.name for w in load_workloads()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    where, names = done.stdout.splitlines()
    assert Path(where).parent.name == "bench" and Path(where).parent.parent.name == "memograd"
    assert names == "W1-tiny,W2-digits,W3-deep,W4-large"


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
