"""Model files: save -> load gives identical predictions and training state; broken files fail."""

from __future__ import annotations

import inspect
import json
import pickle
import re
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def _fresh(dtype: str = "float32", activation: str = "tanh", seed: int = 4) -> Sequential:
    X, _ = _data()
    norm = Normalization()
    norm.adapt(X)
    model = Sequential(
        [norm, Dense(12, activation=activation), Dropout(0.3), Dense(4)], dtype=dtype, seed=seed
    )
    model.compile(
        loss="cross_entropy",
        optimizer=mg.optim.AdamW(lr=mg.nn.schedules.CosineDecay(1e-2, 50)),
        metrics=["accuracy"],
    )
    return model


def _trained(tmp_path: Path, dtype: str = "float32") -> tuple[Sequential, Path]:
    X, y = _data()
    model = _fresh(dtype)
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
    with pytest.raises(ValueError, match=r"`architecture.layers\[0\].class_name`.*Dense.*Conv2D"):
        mg.nn.load(bad)

    bad_optimizer = {**metadata, "compile": {**metadata["compile"], "optimizer": {"x": 1}}}
    save_model_file(bad, tensors, bad_optimizer)
    with pytest.raises(ValueError, match=r"`compile.optimizer.class_name`: expected one of"):
        mg.nn.load(bad)

    no_slots = {k: v for k, v in tensors.items() if not k.startswith("optimizer/")}
    save_model_file(bad, no_slots, metadata)
    with pytest.raises(ValueError, match="Optimizer state does not match"):
        mg.nn.load(bad)


# -- the checksum covers the metadata; crafted metadata names the file and the field ---------


def _edit(path: Path, change: Callable[[dict[str, Any]], None], out: Path) -> Path:
    """Write `out`: `path` with its metadata changed in place (the checksum left as it was)."""
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    document = json.loads(header["__metadata__"]["memograd"])
    change(document["metadata"])
    text = json.dumps(document)  # allows Infinity, as a hand edit can
    header["__metadata__"]["memograd"] = text.replace('"DEEP"', "[" * 200_000 + "]" * 200_000)
    raw = json.dumps(header).encode()
    out.write_bytes(len(raw).to_bytes(8, "little") + raw + data[8 + n :])
    return out


def _layer(index: int, **config: Any) -> Callable[[dict[str, Any]], None]:
    return lambda m: m["architecture"]["layers"][index]["config"].update(config)


@pytest.mark.parametrize(
    "change",
    [_layer(1, activation="relu"), lambda m: m.update(epoch=1), lambda m: m["info"].update(x=1)],
    ids=["activation", "epoch", "info"],
)
def test_edited_metadata_fails_the_checksum_unless_verify_is_false(
    tmp_path: Path, change: Callable[[dict[str, Any]], None]
) -> None:
    _, path = _trained(tmp_path)
    edited = _edit(path, change, tmp_path / "edited.safetensors")
    with pytest.raises(ValueError, match=r"'.*edited\.safetensors' does not match its sha256"):
        mg.nn.load(edited)
    with pytest.raises(ValueError, match="does not match its sha256"):
        _fresh().fit(*_data(), epochs=3, batch_size=16, verbose=0, resume_from=edited)
    loaded = mg.nn.load(edited, verify=False)  # the documented opt-out
    loaded.save(edited)  # ...and saving it again gives it a valid checksum
    assert mg.nn.load(edited).get_config() == loaded.get_config()


def test_deleting_the_checksum_is_refused(tmp_path: Path) -> None:
    _, path = _trained(tmp_path)
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    document = json.loads(header["__metadata__"]["memograd"])
    del document["sha256"]
    header["__metadata__"]["memograd"] = json.dumps(document)
    raw = json.dumps(header).encode()
    flipped = bytearray(data[8 + n :])
    flipped[-1] ^= 0xFF  # and corrupt the data, which the checksum would have caught
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + bytes(flipped))
    with pytest.raises(ValueError, match="has no sha256 checksum"):
        mg.nn.load(path)


INF = float("inf")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda m: m["architecture"].update(layers=[1, 2]), "architecture.layers[0]"),
        (lambda m: m["architecture"].update(layers="dense"), "architecture.layers"),
        (lambda m: m.update(history="x"), "history"),
        (lambda m: m.update(optimizer_state="x"), "optimizer_state"),
        (lambda m: m["compile"].update(optimizer="adam"), "compile.optimizer"),
        (lambda m: m["architecture"].update(input_shape=[None]), "architecture.input_shape"),
        (lambda m: m.update(epoch=INF), "epoch"),
        (lambda m: m["optimizer_state"].update(iterations=INF), "optimizer_state.iterations"),
        (
            lambda m: m["architecture"].update(input_shape=[None, INF]),
            "architecture.input_shape[1]",
        ),
        (lambda m: m["info"].update(classes=["a", "b"]), "info.classes"),
        (lambda m: m.update(epoch="x"), "epoch"),
        (lambda m: m.update(epoch=-5), "epoch"),
        (lambda m: m.update(epoch=2.0), "epoch"),
        (lambda m: m["history"]["history"].update(loss=[1.0]), "history.history.loss"),
        (_layer(1, units=0), "architecture.layers[1].config.units"),
        (_layer(1, activation="gelu2"), "architecture.layers[1].config.activation"),
        (_layer(1, use_bias="yes"), "architecture.layers[1].config.use_bias"),
        (_layer(2, rate=1.5), "architecture.layers[2].config.rate"),
        (_layer(2, bogus=1), "architecture.layers[2].config.bogus"),
        (
            lambda m: m["compile"]["optimizer"]["config"]["lr"]["config"].update(decay_steps="x"),
            "compile.optimizer.config.lr.config.decay_steps",
        ),
        (lambda m: m["compile"].update(metrics="accuracy"), "compile.metrics"),
        (lambda m: m.update(surprise=1), "surprise"),
        (lambda m: m.pop("epoch"), "epoch"),
    ],
)
@pytest.mark.parametrize("verify", [True, False])
def test_crafted_metadata_is_a_value_error_naming_file_and_field(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], field: str, verify: bool
) -> None:
    _, path = _trained(tmp_path)
    crafted = _edit(path, change, tmp_path / "crafted.safetensors")
    with pytest.raises(ValueError) as info:
        mg.nn.load(crafted, verify=verify)
    message = str(info.value)
    assert str(crafted) in message and f"`{field}`" in message, message


def test_deeply_nested_metadata_is_a_value_error(tmp_path: Path) -> None:
    _, path = _trained(tmp_path)
    crafted = _edit(path, lambda m: m["info"].update(x="DEEP"), tmp_path / "deep.safetensors")
    with pytest.raises(ValueError, match=r"'.*deep\.safetensors' is corrupted: .* nested more"):
        mg.nn.load(crafted, verify=False)


def test_huge_declared_layers_are_refused_before_anything_is_built(tmp_path: Path) -> None:
    # A small file whose architecture declares 3,000-unit layers: the old loader built them
    # (3000 x 3000 floats per layer, plus optimizer state) before comparing with the tensors.
    _, path = _trained(tmp_path)
    tensors, metadata = load_model_file(path)
    metadata["architecture"]["layers"][1]["config"]["units"] = 3000
    metadata["architecture"]["layers"].insert(2, metadata["architecture"]["layers"][1])
    huge = tmp_path / "huge.safetensors"
    save_model_file(huge, tensors, metadata)  # a valid checksum: only the shapes disagree
    assert huge.stat().st_size < 20_000
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"'.*huge\.safetensors' does not match its archi"):
            mg.nn.load(huge)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # one 3000 x 3000 float32 kernel alone is 36 MB


def test_expected_state_matches_what_build_creates() -> None:
    from memograd.nn._model_schema import expected_state

    norm = Normalization()
    model = Sequential(
        [norm, Dense(7, activation="relu"), Dropout(0.5), Dense(3, use_bias=False), Dense(2)]
    )
    model.build((None, 5))
    state, trainable, units = expected_state(model.get_config())
    assert state == {name: a.shape for name, a in model._named_state().items()}
    assert list(state) == list(model._named_state())
    assert trainable == [p.shape for p in model.parameters()]
    assert units == model.units == 2


@pytest.mark.parametrize(
    ("table", "classes"),
    [
        (
            "LAYER_CONFIGS",
            {"Dense": Dense, "Dropout": Dropout, "Normalization": Normalization}
            | {"BatchNormalization": mg.nn.BatchNormalization}
            | {"LayerNormalization": mg.nn.LayerNormalization},
        ),
        (
            "OPTIMIZER_CONFIGS",
            {c.__name__: c for c in (mg.optim.SGD, mg.optim.Adam, mg.optim.AdamW)}
            | {"RMSprop": mg.optim.RMSprop},
        ),
        (
            "SCHEDULE_CONFIGS",
            {
                c.__name__: c
                for c in (
                    mg.nn.schedules.ExponentialDecay,
                    mg.nn.schedules.CosineDecay,
                    mg.nn.schedules.StepDecay,
                )
            },
        ),
    ],
)
def test_schema_tables_follow_the_constructors(table: str, classes: dict[str, type]) -> None:
    from memograd.nn import _model_schema

    specs = getattr(_model_schema, table)
    assert set(specs) == set(classes)
    for name, cls in classes.items():
        required, optional = specs[name]
        parameters = inspect.signature(cls).parameters
        assert set(required) | set(optional) == set(parameters), name
        assert set(required) == {
            p for p, v in parameters.items() if v.default is inspect.Parameter.empty
        }, name


# -- resume only under the settings the checkpoint was trained with --------------------------

_FIT = {"batch_size": 16, "validation_split": 0.2, "seed": 0, "verbose": 0}


@pytest.mark.parametrize(
    ("model_options", "fit_options", "data_seed", "match"),
    [
        ({}, {"seed": 1}, 0, r"trained with seed=0, this fit has seed=1"),
        ({}, {"validation_split": 0.3}, 0, r"validation_split=0.2, this fit has validation_sp"),
        ({}, {}, 1, r"trained on other data \(90 samples, fingerprint \w{12}\), this fit has 90"),
        ({"seed": 5}, {}, 0, r"its seed is 4, the model's 5"),
        (
            {"activation": "relu"},
            {},
            0,
            r"layer 1 \(Dense\) has activation='tanh' in the file, activation='relu' in the mod",
        ),
    ],
    ids=["fit seed", "validation split", "data", "model seed", "activation"],
)
def test_resume_refuses_other_settings_naming_the_difference(
    tmp_path: Path,
    model_options: dict[str, Any],
    fit_options: dict[str, Any],
    data_seed: int,
    match: str,
) -> None:
    checkpoint = tmp_path / "ckpt.safetensors"
    callbacks = [mg.nn.ModelCheckpoint(checkpoint)]
    _fresh().fit(*_data(), epochs=1, callbacks=callbacks, **_FIT)
    model = _fresh(**model_options)
    with pytest.raises(ValueError, match=r"Cannot resume from '.*ckpt\.safetensors': .*" + match):
        model.fit(*_data(seed=data_seed), epochs=3, resume_from=checkpoint, **_FIT | fit_options)
    resumed = _fresh().fit(*_data(), epochs=3, resume_from=checkpoint, **_FIT)  # same settings
    assert resumed.epoch == [0, 1, 2]


@pytest.mark.parametrize(
    ("info", "field"),
    [
        ({"classes": ["a"]}, "info.classes"),
        ({"seed": "0"}, "info.seed"),
        ({"test_size": 1.5}, "info.test_size"),
    ],
)
def test_save_refuses_what_load_would_refuse(
    tmp_path: Path, info: dict[str, Any], field: str
) -> None:
    model, path = _trained(tmp_path)
    before = path.read_bytes()
    model.info = info
    with pytest.raises(
        ValueError, match=rf"Cannot save '.*model\.safetensors'.*{re.escape(field)}"
    ):
        model.save(path)
    assert path.read_bytes() == before
