"""`memograd train`, `predict`, `evaluate`: results, files, resume, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import memograd as mg
from memograd.cli import main

MOONS = ["--data", "moons", "--layers", "16", "--batch-size", "32", "--lr", "0.01"]


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def _error(capsys: pytest.CaptureFixture[str], argv: list[str], *fragments: str) -> str:
    assert main(argv) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"memograd {argv[0]}: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def test_train_reports_splits_and_writes_model_and_plot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model_path, plot_path = tmp_path / "m.safetensors", tmp_path / "curves.png"
    files = ["--save", str(model_path), "--plot", str(plot_path)]
    doc = _json(capsys, ["train", *MOONS, "--epochs", "15", *files, "--json"])
    assert set(doc["results"]) == {"train", "validation", "test"}
    assert doc["results"]["test"]["accuracy"] >= 0.9
    assert doc["epochs"] == 15 and len(doc["history"]["loss"]) == 15
    assert plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model = mg.nn.load(model_path)
    assert model.info["dataset"] == "moons" and model._epochs_done == 15
    # evaluate finds the same test split from the seed saved in the model
    scores = _json(capsys, ["evaluate", str(model_path), "--data", "moons", "--json"])
    assert scores["accuracy"] == pytest.approx(doc["results"]["test"]["accuracy"])
    assert scores["samples"] == 200


def test_train_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", *MOONS, "--epochs", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    for word in ("train", "validation", "test", "accuracy", "loss", "2 epochs"):
        assert word in out


def test_resume_continues_to_the_same_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "ckpt.safetensors")
    full = _json(capsys, ["train", *MOONS, "--epochs", "4", "--json"])
    _json(capsys, ["train", *MOONS, "--epochs", "2", "--save", path, "--json"])
    resumed = _json(
        capsys, ["train", *MOONS, "--epochs", "4", "--resume", path, "--save", path, "--json"]
    )
    assert resumed["epochs"] == 4
    assert resumed["history"]["loss"] == pytest.approx(full["history"]["loss"], rel=1e-6)
    assert resumed["results"]["test"] == pytest.approx(full["results"]["test"], rel=1e-6)


def test_predict_prints_one_row_per_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model_path = str(tmp_path / "m.safetensors")
    _json(capsys, ["train", *MOONS, "--epochs", "10", "--save", model_path, "--json"])
    X, _, y, _ = mg.data.load("moons", standardize=False)
    features = tmp_path / "rows.csv"
    features.write_text("x0,x1\n" + "\n".join(f"{a},{b}" for a, b in X[:20]) + "\n")
    labelled = tmp_path / "labelled.csv"
    rows = (f"{a},{b},{c}" for (a, b), c in zip(X[:20], y[:20], strict=True))
    labelled.write_text("x0,x1,label\n" + "\n".join(rows) + "\n")
    assert main(["predict", model_path, str(features)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "row,prediction,probability" and len(lines) == 21
    doc = _json(capsys, ["predict", model_path, str(labelled), "--target", "label", "--json"])
    predicted = np.array([int(p) for p in doc["predictions"]])
    assert [line.split(",")[1] for line in lines[1:]] == doc["predictions"]
    assert np.mean(predicted == y[:20]) >= 0.8
    assert all(0.5 <= p <= 1.0 for p in doc["probability"])
    scores = _json(
        capsys, ["evaluate", model_path, "--data", str(labelled), "--target", "label", "--json"]
    )
    assert scores["samples"] == 20
    assert scores["accuracy"] == pytest.approx(np.mean(predicted == y[:20]))
    _error(
        capsys,
        ["predict", model_path, str(labelled)],
        "3 feature column(s), but the model expects 2",
        "--target",
    )
    _error(capsys, ["evaluate", model_path, "--data", "digits"], "64", "expects 2")
    bad_cell = tmp_path / "bad.csv"
    bad_cell.write_text("x0,x1\n1,oops\n")
    _error(capsys, ["predict", model_path, str(bad_cell)], "line 2", "'oops'")


def test_every_bad_argument_is_one_readable_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _error(capsys, ["train", "--data", "mnist"], "Unknown dataset 'mnist'", "'digits'")
    _error(capsys, ["train", "--data", "moons", "--layers", "64,x"], "--layers", "'64,x'")
    _error(capsys, ["train", "--data", "moons", "--layers", "0"], "--layers")
    _error(capsys, ["train", "--data", "moons", "--lr", "0"], "--lr", "positive")
    _error(capsys, ["train", "--data", "moons", "--lr=-1e-3"], "--lr")
    _error(capsys, ["train", "--data", "moons", "--epochs", "0"], "--epochs")
    _error(capsys, ["train", "--data", "moons", "--optimizer", "lion"], "--optimizer", "adam")
    _error(capsys, ["train", "--data", "moons", "--activation", "gelu2"], "--activation", "relu")
    missing = str(tmp_path / "missing.safetensors")
    _error(capsys, ["train", *MOONS, "--resume", missing], "missing.safetensors")
    _error(capsys, ["predict", missing, str(tmp_path / "x.csv")], "missing.safetensors")
    _error(capsys, ["evaluate", missing, "--data", "moons"], "missing.safetensors")
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    _error(capsys, ["evaluate", str(corrupt), "--data", "moons"], "corrupt.safetensors")
    _error(capsys, ["predict", str(corrupt), str(tmp_path / "x.csv")], "corrupt.safetensors")
    model_path = str(tmp_path / "m.safetensors")
    _json(capsys, ["train", *MOONS, "--epochs", "1", "--save", model_path, "--json"])
    _error(capsys, ["evaluate", model_path, "--data", "nope"], "Unknown dataset 'nope'", "'moons'")
    data = Path(model_path).read_bytes()
    Path(model_path).write_bytes(data[:-10])
    _error(capsys, ["evaluate", model_path, "--data", "moons"], "truncated")


@pytest.mark.parametrize(
    ("flags", "fragments"),
    [
        (["--seed", "1"], ["--seed 0 (this run: 1)"]),
        (["--test-size", "0.3"], ["--test-size 0.2 (this run: 0.3)"]),
        (["--seed", "2", "--data", "circles"], ["--data 'moons' (this run: 'circles')", "--seed"]),
    ],
)
def test_resume_under_other_data_settings_is_refused_naming_the_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], fragments: list[str]
) -> None:
    path = str(tmp_path / "ckpt.safetensors")
    _json(capsys, ["train", *MOONS, "--epochs", "1", "--save", path, "--json"])
    argv = ["train", *MOONS, "--epochs", "3", "--resume", path, *flags]
    _error(capsys, argv, "Cannot resume", "ckpt.safetensors", *fragments)
    assert mg.nn.load(path)._epochs_done == 1  # nothing was trained or saved
