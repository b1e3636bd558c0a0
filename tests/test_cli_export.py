"""`memograd export MODEL OUTPUT.onnx`: the saved model as ONNX; errors are one line."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import memograd as mg
from memograd.cli import main

ort = pytest.importorskip("onnxruntime")


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, mg.nn.Sequential]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    model = mg.nn.Sequential(
        [mg.nn.Dense(8, activation="gelu"), mg.nn.BatchNormalization(), mg.nn.Dense(2)]
    )
    model.compile(loss="cross_entropy", optimizer=mg.optim.Adam(0.05))
    model.fit(X, y, epochs=2, verbose=0)
    path = tmp_path / "m.safetensors"
    model.save(path)
    return path, model


def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("memograd export: error: "), lines
    return lines[0]


def test_export_writes_an_onnx_file_onnxruntime_agrees_with(saved, tmp_path, capsys) -> None:
    path, model = saved
    out = tmp_path / "m.onnx"
    assert main(["export", str(path), str(out), "--opset", "18"]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    X = np.random.default_rng(1).standard_normal((7, 4)).astype(np.float32)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": X})[0], model.predict(X), atol=1e-5)


def test_the_output_path_is_checked_before_the_model_is_read(saved, tmp_path, capsys) -> None:
    path, _ = saved
    line = _one_line_error(capsys, ["export", str(path), str(tmp_path / "missing" / "m.onnx")])
    assert "OUTPUT: cannot write" in line and "does not exist" in line
    line = _one_line_error(capsys, ["export", str(tmp_path / "absent.safetensors"), str(tmp_path)])
    assert "is a directory" in line  # the output, before the missing model


def test_bad_inputs_are_one_readable_line(saved, tmp_path, capsys) -> None:
    path, _ = saved
    out = str(tmp_path / "m.onnx")
    assert "does not exist" in _one_line_error(capsys, ["export", str(tmp_path / "x"), out])
    not_a_model = tmp_path / "bad.safetensors"
    not_a_model.write_bytes(b"not a model")
    assert "bad.safetensors" in _one_line_error(capsys, ["export", str(not_a_model), out])
    assert "`opset`" in _one_line_error(capsys, ["export", str(path), out, "--opset", "9"])
    assert not Path(out).exists()


def test_without_onnx_it_says_what_to_install(saved, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)
    path, _ = saved
    line = _one_line_error(capsys, ["export", str(path), str(tmp_path / "m.onnx")])
    assert "pip install 'memograd[export]'" in line
