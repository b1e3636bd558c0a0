"""Model files: save -> load gives identical predictions and training state; broken files fail."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

import memograd as mg
from memograd.nn import Dense, Dropout, Normalization, Sequential
from memograd.nn._fileformat import load_model_file, save_model_file


def _data(n: int = 90, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((n, 6)) * 5 + 3).astype(np.float32)
    y = rng.integers(0, 4, n)
    return X, y


def _trained(tmp_path: Path, dtype: str = "float32") -> tuple[Sequential, Path]:
    X, y = _data()
    norm = Normalization()
    norm.adapt(X)
    model = Sequential(
        [norm, Dense(12, activation="tanh"), Dropout(0.3), Dense(4)], dtype=dtype, seed=4
    )
    model.compile(
        loss="cross_entropy",
        optimizer=mg.optim.AdamW(lr=mg.nn.schedules.CosineDecay(1e-2, 50)),
        metrics=["accuracy"],
    )
    model.fit(X.astype(dtype), y, epochs=2, batch_size=16, verbose=0)
    path = tmp_path / "model.safetensors"
    model.save(path)
    return model, path


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_save_load_gives_identical_predictions(tmp_path: Path, dtype: str) -> None:
    model, path = _trained(tmp_path, dtype)
    loaded = mg.nn.load(path)
    X, y = _data(30, seed=1)
    assert np.array_equal(model.predict(X), loaded.predict(X))
    assert loaded.predict(X).dtype == np.dtype(dtype)
    assert loaded.get_config() == model.get_config()
    assert [type(layer).__name__ for layer in loaded.layers] == [
        "Normalization",
        "Dense",
        "Dropout",
        "Dense",
    ]
    assert loaded.evaluate(X, y) == model.evaluate(X, y)
    assert loaded.history is not None and loaded.history.epoch == [0, 1]


def test_loaded_model_continues_training_identically(tmp_path: Path) -> None:
    model, path = _trained(tmp_path)
    loaded = mg.nn.load(path)
    assert loaded.compiled and loaded.loss is not None and loaded.loss.name == "cross_entropy"
    assert loaded.metric_specs == ["accuracy"]
    assert isinstance(loaded.optimizer, mg.optim.AdamW)
    assert model.optimizer is not None and loaded.optimizer is not None
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.optimizer.iterations == model.optimizer.iterations == 12
    ours, theirs = model.optimizer.state_dict(), loaded.optimizer.state_dict()
    assert ours["slots"] and set(ours["slots"]) == set(theirs["slots"])  # AdamW keeps m and v
    for key, value in ours["slots"].items():
        assert np.array_equal(value, theirs["slots"][key])
    X, y = _data(16, seed=2)
    model._reseed(7)  # the same dropout masks in both (fit does this at each epoch)
    loaded._reseed(7)
    model.train_on_batch(X, y)
    loaded.train_on_batch(X, y)
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        assert np.array_equal(a, b)


def test_uncompiled_model_round_trip_and_unbuilt_model_refused(tmp_path: Path) -> None:
    model = Sequential([Dense(3, activation="sigmoid", use_bias=False), Dense(2)])
    with pytest.raises(ValueError, match="not been built"):
        model.save(tmp_path / "x.safetensors")
    model.build((None, 5))
    model.save(tmp_path / "x.safetensors")
    loaded = mg.nn.load(tmp_path / "x.safetensors")
    assert not loaded.compiled
    X = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    assert np.array_equal(model.predict(X), loaded.predict(X))
    with pytest.raises(RuntimeError, match="compile"):
        loaded.evaluate(X, np.zeros(4, dtype=int))


def test_loading_never_unpickles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, path = _trained(tmp_path)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("pickle was used")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    assert mg.nn.load(path).built


def test_truncated_and_tampered_files_raise_value_error(tmp_path: Path) -> None:
    _, path = _trained(tmp_path)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(data[: len(data) - 100])
    with pytest.raises(ValueError, match="truncated"):
        mg.nn.load(truncated)
    tampered = tmp_path / "tampered.safetensors"
    flipped = bytearray(data)
    flipped[-5] ^= 0xFF
    tampered.write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="corrupted"):
        mg.nn.load(tampered)
    with pytest.raises(FileNotFoundError):
        mg.nn.load(tmp_path / "missing.safetensors")
    with pytest.raises(OSError):
        mg.nn.load(tmp_path)
    text = tmp_path / "notes.safetensors"
    text.write_text("hello")
    with pytest.raises(ValueError):
        mg.nn.load(text)


def test_architecture_and_weights_consistency_checks(tmp_path: Path) -> None:
    _, path = _trained(tmp_path)
    tensors, metadata = load_model_file(path)

    other = tmp_path / "other.safetensors"
    save_model_file(other, {"w": np.zeros(2)}, {"units": [2]})
    with pytest.raises(ValueError, match="not a saved model"):
        mg.nn.load(other)

    wrong_shape = dict(tensors)
    wrong_shape["param/1.kernel"] = np.zeros((6, 11), dtype=np.float32)
    bad = tmp_path / "bad_shape.safetensors"
    save_model_file(bad, wrong_shape, metadata)
    with pytest.raises(ValueError, match=r"does not match its architecture.*'1.kernel'"):
        mg.nn.load(bad)

    missing = {k: v for k, v in tensors.items() if k != "param/3.bias"}
    save_model_file(bad, missing, metadata)
    with pytest.raises(ValueError, match=r"missing weights \['3.bias'\]"):
        mg.nn.load(bad)

    unknown = {**metadata, "architecture": {**metadata["architecture"]}}
    unknown["architecture"]["layers"] = [{"class_name": "Conv2D", "config": {}}]
    save_model_file(bad, tensors, unknown)
    with pytest.raises(ValueError, match=r"invalid architecture.*Conv2D.*Dense"):
        mg.nn.load(bad)

    bad_optimizer = {**metadata, "compile": {**metadata["compile"], "optimizer": {"x": 1}}}
    save_model_file(bad, tensors, bad_optimizer)
    with pytest.raises(ValueError, match="invalid compile settings"):
        mg.nn.load(bad)

    no_slots = {k: v for k, v in tensors.items() if not k.startswith("optimizer/")}
    save_model_file(bad, no_slots, metadata)
    with pytest.raises(ValueError, match="Optimizer state does not match"):
        mg.nn.load(bad)
