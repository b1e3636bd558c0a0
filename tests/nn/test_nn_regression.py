"""Regression end to end: the bundled diabetes set, trained with mse, against scikit-learn's
LinearRegression on the same splits; `memograd train --task` on a CSV with whole-number targets."""

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score

import memograd as mg
from memograd.cli import main


def test_diabetes_r2_is_within_003_of_linear_regression() -> None:
    ours, baseline = [], []
    for seed in range(3):
        X_train, X_test, y_train, y_test = mg.data.load("diabetes", test_size=0.2, seed=seed)
        mean, std = y_train.mean(), y_train.std()
        model = mg.nn.Sequential([mg.nn.Dense(1)], seed=seed)
        model.compile(loss="mse", optimizer=mg.optim.Adam(1e-2), metrics=["r2"])
        model.fit(X_train, (y_train - mean) / std, epochs=100, batch_size=32, verbose=0)
        predicted = model.predict(X_test)[:, 0] * std + mean
        ours.append(r2_score(y_test, predicted))
        reference = LinearRegression().fit(X_train, y_train)
        baseline.append(r2_score(y_test, reference.predict(X_test)))
    assert np.mean(ours) >= np.mean(baseline) - 0.03, (ours, baseline)


def test_diabetes_is_a_regression_dataset() -> None:
    ds = mg.data.load_dataset("diabetes")
    assert ds.task == "regression" and ds.X.shape == (442, 10) and ds.y.dtype == np.float32


def test_train_task_regression_reads_whole_numbers_as_targets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 3))
    y = np.round(10 * X[:, 0] + 3 * X[:, 1] + 50).astype(int)  # whole numbers: classes by default
    path = tmp_path / "data.csv"
    lines = (f"{r[0]:.4f},{r[1]:.4f},{r[2]:.4f},{t}" for r, t in zip(X, y, strict=True))
    rows = ["a,b,c,y", *lines]
    path.write_text("\n".join(rows) + "\n")
    args = ["train", "--data", str(path), "--epochs", "60", "--lr", "0.05", "--layers", "8"]
    assert main([*args, "--task", "regression", "--json", "--quiet"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document["results"]["test"]) == {"loss", "mae", "r2"}
    assert document["results"]["test"]["r2"] > 0.9
    # without --task the whole numbers are read as 44 classes: one readable error line
    assert main([*args, "--json", "--quiet"]) == 1
    assert "classes" in capsys.readouterr().err
