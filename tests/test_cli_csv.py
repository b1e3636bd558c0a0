"""`memograd train/predict/evaluate` on CSV files (issue 12): one readable line for every bad
file, and no silent wrong answer (headerless files, a file's labels, integer regression targets).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import memograd as mg
from memograd.cli import main

TRAIN = ["--layers", "8", "--epochs", "15", "--lr", "0.05", "--quiet", "--json"]


def _error(capsys: pytest.CaptureFixture[str], argv: list[str], *fragments: str) -> str:
    assert main(argv) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"memograd {argv[0]}: error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def _rows(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(seed).normal(size=(n, 2)).round(3)
    labels = np.array(["low", "mid", "high"])[np.digitize(X[:, 0], [-0.4, 0.4])]
    return X, labels


def _write(path: Path, header: str, X: np.ndarray, last: np.ndarray | None) -> Path:
    cells = [[f"{v:g}" for v in row] for row in X]
    if last is not None:
        cells = [[*row, str(t)] for row, t in zip(cells, last, strict=True)]
    path.write_text(header + "\n" + "".join(",".join(row) + "\n" for row in cells))
    return path


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("csvmodels")
    X, labels = _rows(300, seed=0)
    classes = _write(folder / "classes.csv", "a,b,label", X, labels)
    values = _write(folder / "values.csv", "a,b,t", X, 3 * X[:, 0] - X[:, 1] + 0.25)
    paths = {"classes": str(folder / "c.safetensors"), "regression": str(folder / "r.safetensors")}
    assert main(["train", "--data", str(classes), *TRAIN, "--save", paths["classes"]]) == 0
    assert main(["train", "--data", str(values), *TRAIN, "--save", paths["regression"]]) == 0
    return paths


def test_predict_refuses_a_file_without_header(
    models: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    # Two numeric columns, as the model expects: before, the first row became the "header".
    headless = tmp_path / "headless.csv"
    headless.write_text("0.5,1.5\n-1,2\n3,0.25\n")
    _error(
        capsys,
        ["predict", models["classes"], str(headless)],
        "headless.csv', line 1",
        "looks like data; add a header row",
    )


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (b"a,b\n1," + b"7" * 140_000 + b"\n", ["line 2", "longer than 131,072"]),
        (b'a,b\n1,"2\n' + b"3,4\n" * 500 + b"5,6\n", ["line 2", "never closed"]),
        (b"a,b\n1,caf\xe9\n", ["is not UTF-8", "byte 9 (line 2)"]),
        (b"a,b\n1,1_000\n", ["line 2, column 'b'", "'1_000', not a number"]),
        (b"a,b\n1,1e39\n", ["line 2, column 'b'", "too large for float32"]),
    ],
)
def test_predict_bad_files_are_one_line_naming_the_file(
    models: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    fragments: list[str],
) -> None:
    capsys.readouterr()
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    line = _error(capsys, ["predict", models["classes"], str(path)], "bad.csv'", *fragments)
    assert len(line) - len(str(path)) < 300  # no cell of 140,000 characters, no rest of the file


def test_predict_ignores_the_target_column_unread(
    models: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    path = tmp_path / "unlabelled.csv"
    path.write_text("a,label,b\n0.1,?,0.2\n-1,,3\n")
    assert main(["predict", models["classes"], str(path), "--target", "label"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3


def test_train_one_class_target_does_not_suggest_an_unselectable_loss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    X, _ = _rows(40, seed=1)
    path = _write(tmp_path / "one.csv", "a,b,label", X, np.full(40, "cat"))
    line = _error(capsys, ["train", "--data", str(path), *TRAIN], "one class", "--target")
    assert "binary_cross_entropy" not in line


def test_evaluate_maps_the_file_labels_onto_the_model_classes(
    models: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    model = mg.nn.load(models["classes"])
    known = model.info["classes"]
    X, labels = _rows(200, seed=2)
    keep = labels != "low"  # the file holds two of the three classes
    path = _write(tmp_path / "some.csv", "a,b,label", X[keep], labels[keep])
    assert main(["evaluate", models["classes"], "--data", str(path), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    y = np.array([known.index(label) for label in labels[keep]])
    expected = model.evaluate(X[keep].astype(np.float32), y)
    assert scores["accuracy"] == pytest.approx(expected["accuracy"])
    assert scores["loss"] == pytest.approx(expected["loss"], rel=1e-5)
    other = _write(tmp_path / "other.csv", "a,b,label", X[:4], np.array(["low", "mid", "x", "x"]))
    _error(
        capsys,
        ["evaluate", models["classes"], "--data", str(other)],
        "other.csv', target column 'label'",
        "'x' is not one of the model's classes",
    )


def test_evaluate_reads_integer_targets_of_a_regression_model_as_numbers(
    models: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    model = mg.nn.load(models["regression"])
    X, _ = _rows(100, seed=3)
    targets = np.round(3 * X[:, 0] - X[:, 1])  # whole numbers: before, read as class indices
    path = _write(tmp_path / "whole.csv", "a,b,t", X, targets.astype(int))
    assert main(["evaluate", models["regression"], "--data", str(path), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    expected = model.evaluate(X.astype(np.float32), targets.astype(np.float32))
    assert scores["loss"] == pytest.approx(expected["loss"], rel=1e-5)
