"""Callbacks, the non-finite-loss guard, and resuming after a simulated kill."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import memograd as mg
from memograd.nn import Callback, Dense, Dropout, EarlyStopping, ModelCheckpoint, Sequential, losses


def _data(n: int = 160, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(np.int64) + (X[:, 2] > 1).astype(np.int64)
    return X, y


def _model(optimizer: Any = None) -> Sequential:
    model = Sequential(
        [Dense(16, activation="relu"), Dropout(0.2), Dense(8, activation="tanh"), Dense(3)],
        seed=5,
    )
    model.compile(
        loss="cross_entropy",
        optimizer=optimizer or mg.optim.Adam(1e-2),
        metrics=["accuracy"],
    )
    return model


class Recorder(Callback):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, int]] = []

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self.events.append(("train_begin", -1))

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.events.append(("epoch_begin", epoch))

    def on_train_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        assert logs is not None and np.isfinite(logs["loss"])
        self.events.append(("batch_end", batch))

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.events.append(("epoch_end", epoch))

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        self.events.append(("train_end", -1))


def test_callback_hooks_are_called_in_order() -> None:
    X, y = _data(50)
    recorder = Recorder()
    _model().fit(X, y, epochs=2, batch_size=20, callbacks=[recorder], verbose=0)
    batches = [("batch_end", 0), ("batch_end", 1), ("batch_end", 2)]
    assert recorder.events == [
        ("train_begin", -1),
        ("epoch_begin", 0),
        *batches,
        ("epoch_end", 0),
        ("epoch_begin", 1),
        *batches,
        ("epoch_end", 1),
        ("train_end", -1),
    ]
    assert recorder.model is not None


# -- EarlyStopping ----------------------------------------------------------------------------


def _fake_model() -> SimpleNamespace:
    state = {"w": np.zeros(1)}
    return SimpleNamespace(
        stop_training=False,
        _stop_reason=None,
        get_weights=lambda: [state["w"].copy()],
        set_weights=lambda ws: state.__setitem__("w", ws[0].copy()),
        state=state,
    )


def test_early_stopping_patience_min_delta_and_restore() -> None:
    stop = EarlyStopping(monitor="val_loss", patience=2, min_delta=0.01)
    model = _fake_model()
    stop.set_model(model)  # type: ignore[arg-type]
    stop.on_train_begin()
    for epoch, value in enumerate([1.0, 0.5, 0.495, 0.6, 0.7]):
        model.state["w"] = np.array([float(epoch)])
        stop.on_epoch_end(epoch, {"val_loss": value})
        if model.stop_training:
            break
    assert stop.best_epoch == 1 and stop.stopped_epoch == 3
    assert model.state["w"].tolist() == [1.0]  # the best epoch's weights are back
    assert "did not improve" in model._stop_reason


def test_early_stopping_max_mode_and_missing_metric_warns() -> None:
    stop = EarlyStopping(monitor="val_accuracy", patience=0)
    model = _fake_model()
    stop.set_model(model)  # type: ignore[arg-type]
    stop.on_epoch_end(0, {"val_accuracy": 0.8})
    stop.on_epoch_end(1, {"val_accuracy": 0.9})
    assert not model.stop_training
    stop.on_epoch_end(2, {"val_accuracy": 0.85})
    assert model.stop_training
    missing = EarlyStopping()
    missing.set_model(_fake_model())  # type: ignore[arg-type]
    with pytest.warns(RuntimeWarning, match=r"`val_loss`, which is not available.*loss"):
        missing.on_epoch_end(0, {"loss": 1.0})
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")


def test_early_stopping_in_fit_restores_best_weights() -> None:
    X, y = _data()
    kept: list[list[np.ndarray]] = []

    class Keep(Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            assert self.model is not None
            kept.append(self.model.get_weights())

    model = _model()
    # min_delta is huge: only the first epoch counts as an improvement
    stop = EarlyStopping(monitor="loss", patience=1, min_delta=100.0)
    history = model.fit(X, y, epochs=10, callbacks=[Keep(), stop], verbose=0)
    assert len(history.epoch) == 2 and history.stopped_reason is not None
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), kept[0], strict=True))


# -- ModelCheckpoint ------------------------------------------------------------------------------


def test_model_checkpoint_best_only_and_epoch_template(tmp_path: Path) -> None:
    X, y = _data(80)
    model = _model()
    every = ModelCheckpoint(tmp_path / "e{epoch:02d}.safetensors", monitor="loss")
    best = ModelCheckpoint(tmp_path / "best.safetensors", monitor="val_loss", save_best_only=True)
    model.fit(X, y, epochs=3, validation_split=0.25, callbacks=[every, best], verbose=0)
    assert sorted(p.name for p in tmp_path.glob("e*.safetensors")) == [
        "e01.safetensors",
        "e02.safetensors",
        "e03.safetensors",
    ]
    loaded = mg.nn.load(tmp_path / "e02.safetensors")
    assert loaded._epochs_done == 2 and loaded.history is not None
    assert loaded.history.epoch == [0, 1]
    assert best.last_saved is not None
    saved_epoch = mg.nn.load(best.last_saved)._epochs_done
    val = model.history.history["val_loss"] if model.history else []
    assert saved_epoch == int(np.argmin(val)) + 1
    assert not list(tmp_path.glob(".*"))  # no temp files left behind


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("a{}.safetensors", "positional fields"),
        ("a{0}.safetensors", "positional fields"),
        ("a{.safetensors", "expected '}'"),
        ("a{foo}.safetensors", "the field {foo} is not one of: epoch, loss, accuracy"),
        ("a{val_loss}.safetensors", "the field {val_loss} is not one of: epoch, loss, accuracy"),
        ("a{epoch:s}.safetensors", "Unknown format code 's'"),
        ("a{loss:d}.safetensors", "Unknown format code 'd'"),
    ],
)
def test_model_checkpoint_path_is_checked_before_the_first_epoch(
    name: str, problem: str, tmp_path: Path
) -> None:
    # These used to raise IndexError / KeyError / ValueError from str.format after epoch 1.
    X, y = _data(40)
    model = _model()
    epochs_run: list[int] = []
    counter = Callback()
    counter.on_epoch_begin = lambda epoch, logs=None: epochs_run.append(epoch)  # type: ignore[method-assign]
    with pytest.raises(ValueError, match="Received an invalid value for `path`") as caught:
        checkpoint = ModelCheckpoint(tmp_path / name, monitor="loss")
        model.fit(X, y, epochs=2, callbacks=[counter, checkpoint], verbose=0)
    assert problem in str(caught.value) and repr(str(tmp_path / name)) in str(caught.value)
    assert epochs_run == [] and list(tmp_path.iterdir()) == []


def test_model_checkpoint_fills_epoch_and_log_keys_and_keeps_escaped_braces(
    tmp_path: Path,
) -> None:
    X, y = _data(40)
    template = ModelCheckpoint(tmp_path / "e{epoch:02d}-{val_accuracy:.2f}.safetensors")
    literal = ModelCheckpoint(tmp_path / "a{{epoch}}.safetensors", monitor="loss")
    recorder = Recorder()
    history = _model().fit(
        X, y, epochs=2, validation_split=0.25, callbacks=[template, literal, recorder], verbose=0
    )
    assert recorder.params["metrics"] == ["loss", "accuracy", "val_loss", "val_accuracy"]
    expected = [
        f"e{epoch + 1:02d}-{accuracy:.2f}.safetensors"
        for epoch, accuracy in zip(history.epoch, history.history["val_accuracy"], strict=True)
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a{epoch}.safetensors", *expected]


def test_model_checkpoint_folder_is_checked_before_the_first_epoch(tmp_path: Path) -> None:
    X, y = _data(40)
    model = _model()
    with pytest.raises(FileNotFoundError, match=r"the folder .*missing' does not exist"):
        model.fit(X, y, epochs=2, callbacks=[ModelCheckpoint(tmp_path / "missing" / "m.st")])
    with pytest.raises(IsADirectoryError, match="it is a directory"):
        model.fit(X, y, epochs=2, callbacks=[ModelCheckpoint(tmp_path)])
    assert model._epochs_done == 0 and list(tmp_path.iterdir()) == []


# -- the non-finite guard -------------------------------------------------------------------------


class FlakyLoss(losses.CrossEntropy):
    """Cross-entropy that turns NaN on its `bad`-th call."""

    def __init__(self, bad: int) -> None:
        self.bad = bad
        self.calls = 0

    def __call__(self, outputs: mg.Tensor, targets: np.ndarray) -> mg.Tensor:
        self.calls += 1
        loss = super().__call__(outputs, targets)
        return loss * float("nan") if self.calls == self.bad else loss


def test_nan_loss_stops_and_keeps_weights_from_before_the_bad_step() -> None:
    X, y = _data(64)
    model = Sequential([Dense(8, activation="relu"), Dense(3)])
    model.compile(loss=FlakyLoss(bad=6), optimizer=mg.optim.SGD(0.1))
    reference = Sequential([Dense(8, activation="relu"), Dense(3)])
    reference.compile(loss="cross_entropy", optimizer=mg.optim.SGD(0.1))
    with pytest.warns(RuntimeWarning, match=r"non-finite loss \(nan\) at epoch 2, batch 2"):
        history = model.fit(X, y, epochs=5, batch_size=16, shuffle=False, verbose=0)
    assert history.epoch == [0]  # the broken epoch is not recorded
    assert "epoch 2, batch 2" in (history.stopped_reason or "")
    for step in range(5):  # five good steps: 4 in epoch 1, 1 in epoch 2
        rows = slice(16 * (step % 4), 16 * (step % 4) + 16)
        reference.train_on_batch(X[rows], y[rows])
    for ours, theirs in zip(model.get_weights(), reference.get_weights(), strict=True):
        assert np.array_equal(ours, theirs)


def test_diverging_weights_are_restored_to_a_finite_state() -> None:
    X, y = _data(64)
    model = Sequential([Dense(8, activation="relu"), Dense(1)])
    model.compile(loss="mse", optimizer=mg.optim.SGD(1e18))
    with pytest.warns(RuntimeWarning, match=r"non-finite loss .* at epoch \d+, batch \d+"):
        history = model.fit(X, y * 1e3, epochs=50, batch_size=8, verbose=0)
    assert history.stopped_reason is not None
    assert all(np.isfinite(w).all() for w in model.get_weights())


# -- resume ------------------------------------------------------------------------------------


class Kill(Callback):
    """Simulate a crash in the middle of epoch `epoch` (0-based)."""

    def __init__(self, epoch: int, batch: int) -> None:
        super().__init__()
        self.at = (epoch, batch)
        self.epoch = -1

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        if (self.epoch, batch) == self.at:
            raise KeyboardInterrupt("simulated kill")


def test_resume_after_a_simulated_kill_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    X, y = _data()
    options: dict[str, Any] = {"batch_size": 16, "validation_split": 0.2, "seed": 3}
    options["verbose"] = 0
    full = _model()
    full_history = full.fit(X, y, epochs=4, **options)

    checkpoint = tmp_path / "ckpt.safetensors"
    interrupted = _model()
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit(
            X, y, epochs=4, callbacks=[ModelCheckpoint(checkpoint), Kill(2, 3)], **options
        )
    assert mg.nn.load(checkpoint)._epochs_done == 2  # epoch 3 was lost, nothing more

    resumed = _model()
    history = resumed.fit(X, y, epochs=4, resume_from=checkpoint, **options)
    assert history.epoch == [0, 1, 2, 3]
    for key, values in full_history.history.items():
        np.testing.assert_allclose(history.history[key], values, rtol=1e-6)
    for ours, theirs in zip(resumed.get_weights(), full.get_weights(), strict=True):
        assert np.array_equal(ours, theirs)  # bit for bit: same order, masks and state
    assert resumed.optimizer is not None and full.optimizer is not None
    assert resumed.optimizer.iterations == full.optimizer.iterations


def test_resume_rejects_a_different_model(tmp_path: Path) -> None:
    X, y = _data(40)
    model = _model()
    model.fit(X, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.safetensors")
    other = Sequential([Dense(4), Dense(3)])
    other.compile(loss="cross_entropy", optimizer="adam")
    with pytest.raises(ValueError, match=r"Cannot resume .* differ"):
        other.fit(X, y, resume_from=tmp_path / "m.safetensors", verbose=0)
    sgd = _model(mg.optim.SGD(0.1))
    with pytest.raises(ValueError, match="trained with Adam"):
        sgd.fit(X, y, resume_from=tmp_path / "m.safetensors", verbose=0)
    with pytest.raises(FileNotFoundError):
        _model().fit(X, y, resume_from=tmp_path / "missing.safetensors", verbose=0)
