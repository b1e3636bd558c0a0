"""Sequential: compile, the training step, fit/evaluate/predict, summary, targets, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

import memograd as mg
from memograd.nn import Dense, Dropout, Sequential


def _blobs(n: int = 120, features: int = 4, classes: int = 3, seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    centers = rng.standard_normal((classes, features)) * 3
    X = (centers[y] + rng.standard_normal((n, features))).astype(np.float32)
    return X, y


def _model(**kwargs: object) -> Sequential:
    model = Sequential([Dense(16, activation="relu"), Dense(3)], **kwargs)  # type: ignore[arg-type]
    model.compile(loss="cross_entropy", optimizer=mg.optim.Adam(1e-2), metrics=["accuracy"])
    return model


# -- targets from the issue ------------------------------------------------------------------


def test_digits_reaches_97_percent() -> None:
    X_train, X_test, y_train, y_test = mg.data.load("digits", test_size=0.2, seed=0)
    model = Sequential([Dense(128, activation="relu"), Dense(10)])
    model.compile(loss="cross_entropy", optimizer=mg.optim.Adam(1e-3), metrics=["accuracy"])
    model.fit(X_train, y_train, epochs=20, batch_size=32, verbose=0)
    assert model.evaluate(X_test, y_test)["accuracy"] >= 0.97


def test_moons_reaches_96_percent() -> None:
    X_train, X_test, y_train, y_test = mg.data.load(
        "moons", test_size=0.2, seed=0, n_samples=1000, noise=0.2
    )
    model = Sequential([Dense(32, activation="relu"), Dense(32, activation="relu"), Dense(2)])
    model.compile(loss="cross_entropy", optimizer=mg.optim.Adam(1e-2), metrics=["accuracy"])
    model.fit(X_train, y_train, epochs=30, batch_size=32, verbose=0)
    assert model.evaluate(X_test, y_test)["accuracy"] >= 0.96


def test_binary_moons_with_one_logit() -> None:
    X_train, X_test, y_train, y_test = mg.data.load("moons", test_size=0.2, seed=1)
    model = Sequential([Dense(32, activation="tanh"), Dense(1)])
    model.compile(loss="binary_cross_entropy", optimizer=mg.optim.Adam(2e-2), metrics=["acc"])
    history = model.fit(X_train, y_train, epochs=25, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > history.history["accuracy"][0]
    assert model.evaluate(X_test, y_test)["accuracy"] >= 0.95
    classes = model.predict_classes(X_test)
    assert set(np.unique(classes)) <= {0, 1}
    assert np.mean(classes == y_test) == pytest.approx(model.evaluate(X_test, y_test)["accuracy"])


def test_first_ten_sgd_losses_match_torch_float64() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 5))
    y = rng.integers(0, 3, 80)
    model = Sequential([Dense(8, activation="relu"), Dense(3)], dtype="float64", seed=0)
    model.compile(loss="cross_entropy", optimizer=mg.optim.SGD(0.1))
    model.build((None, 5))
    net = torch.nn.Sequential(
        torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)
    ).double()
    with torch.no_grad():
        for linear, (kernel, bias) in zip(
            (net[0], net[2]), zip(*[iter(model.get_weights())] * 2, strict=True), strict=True
        ):
            linear.weight.copy_(torch.tensor(kernel.T))  # torch stores (out, in)
            linear.bias.copy_(torch.tensor(bias))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    ours, theirs = [], []
    for step in range(10):
        rows = slice(8 * step, 8 * step + 8)
        ours.append(model.train_on_batch(X[rows], y[rows]))
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(torch.tensor(X[rows])), torch.tensor(y[rows]))
        loss.backward()
        opt.step()
        theirs.append(loss.item())
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)  # in fact equal to rounding
    assert model.parameters()[0].dtype == np.float64


# -- the training step --------------------------------------------------------------------------


def test_train_on_batch_is_exactly_one_step() -> None:
    X, y = _blobs(16)
    model = Sequential([Dense(5, activation="relu"), Dense(3)], seed=2)
    model.compile(loss="cross_entropy", optimizer=mg.optim.SGD(0.5))
    model.build((None, 4))
    before = model.get_weights()
    # The same step written out by hand with Tensor ops.
    params = [mg.Tensor(w.copy(), requires_grad=True) for w in before]
    hidden = (mg.Tensor(X) @ params[0] + params[1]).relu()
    manual = mg.tensor.cross_entropy(hidden @ params[2] + params[3], y)
    manual.backward()
    loss = model.train_on_batch(X, y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(float(manual.data), rel=1e-6)
    for after, w, p in zip(model.get_weights(), before, params, strict=True):
        np.testing.assert_allclose(after, w - 0.5 * p.grad, rtol=1e-5, atol=1e-6)
    assert model.optimizer is not None and model.optimizer.iterations == 1
    # a second call takes the fast path and still checks the feature count
    model.train_on_batch(X, y)
    with pytest.raises(ValueError, match="5 features, but the model expects 4"):
        model.train_on_batch(np.zeros((2, 5), dtype=np.float32), y[:2])


def test_fit_is_reproducible_from_seed() -> None:
    X, y = _blobs()

    def run(seed: int) -> list[np.ndarray]:
        model = Sequential([Dense(16, activation="relu"), Dropout(0.3), Dense(3)])
        model.compile(loss="cross_entropy", optimizer="adam")
        model.fit(X, y, epochs=3, batch_size=16, seed=seed, verbose=0)
        return model.get_weights()

    first, again, other = run(1), run(1), run(2)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_fit_history_validation_and_predict() -> None:
    X, y = _blobs(150)
    model = _model()
    history = model.fit(X, y, epochs=4, batch_size=32, validation_split=0.2, verbose=0)
    assert history.epoch == [0, 1, 2, 3]
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 4 for v in history.history.values())
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.params["samples"] == 120
    scores = model.evaluate(X, y)
    assert set(scores) == {"loss", "accuracy"}
    out = model.predict(X)
    assert out.shape == (150, 3) and out.dtype == np.float32
    assert np.array_equal(model.predict(X, batch_size=7), out)
    assert model.training  # predict restored the mode
    h2 = model.fit(X, y, epochs=1, validation_data=(X[:10], y[:10]), verbose=0)
    assert "val_loss" in h2.history


def test_one_hot_labels_and_mse() -> None:
    X, y = _blobs(60)
    model = _model()
    model.fit(X, np.eye(3)[y], epochs=2, verbose=0)
    reg = Sequential([Dense(8, activation="tanh"), Dense(1)], dtype="float64")
    reg.compile(loss="mse", optimizer=mg.optim.SGD(0.05))
    target = X[:, 0] * 2.0 - X[:, 1]
    history = reg.fit(X, target, epochs=30, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]
    assert reg.predict(X).dtype == np.float64


def test_verbose_two_prints_one_line_per_epoch(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = _blobs(40)
    _model().fit(X, y, epochs=2, verbose=2)
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err and "accuracy" in err


def test_summary_lists_layers_shapes_and_counts(capsys: pytest.CaptureFixture[str]) -> None:
    model = Sequential([Dense(16, activation="relu"), Dropout(0.1), Dense(3)], name="clf")
    unbuilt = model.summary(print_summary=False)
    assert "unbuilt" in unbuilt
    model.build((None, 4))
    text = model.summary()
    assert capsys.readouterr().out  # printed too
    for fragment in ("clf", "dense (Dense)", "dropout (Dropout)", "dense_1 (Dense)"):
        assert fragment in text
    assert "(None, 16)" in text and "(None, 3)" in text
    total = 4 * 16 + 16 + 16 * 3 + 3
    assert f"Total params: {total:,}" in text
    assert "80" in text and "51" in text  # per-layer counts


# -- hooks and options -----------------------------------------------------------------------------


def test_checkpoint_argument_validation() -> None:
    assert Sequential([Dense(2)], checkpoint="all").checkpoint == "all"
    for valid in ("none", "sqrt", 3, "binomial:4"):
        assert Sequential([Dense(2)], checkpoint=valid).checkpoint == valid
    for invalid in ("some", 0, -2, "binomial:", "binomial:x", True, 1.5):
        with pytest.raises(ValueError, match="`checkpoint`"):
            Sequential([Dense(2)], checkpoint=invalid)  # type: ignore[arg-type]


# -- bad inputs -----------------------------------------------------------------------------------


def test_bad_inputs_raise_readable_errors() -> None:
    X, y = _blobs(30)
    uncompiled = Sequential([Dense(3)])
    with pytest.raises(RuntimeError, match="compile"):
        uncompiled.fit(X, y)
    with pytest.raises(ValueError, match="no layers"):
        Sequential([]).build((None, 3))
    with pytest.raises(TypeError, match=r"memograd\.nn\.Module"):
        Sequential(["dense"])  # type: ignore[list-item]
    model = _model()
    with pytest.raises(ValueError, match="optimizer identifier: 'adagrad'"):
        model.compile(loss="cross_entropy", optimizer="adagrad")
    with pytest.raises(ValueError, match="metric identifier"):
        model.compile(loss="cross_entropy", metrics=["specificity"])
    model = _model()
    with pytest.raises(ValueError, match="epochs=0"):
        model.fit(X, y, epochs=0)
    with pytest.raises(ValueError, match="batch_size=-1"):
        model.fit(X, y, batch_size=-1)
    with pytest.raises(ValueError, match=r"validation_split=1\.5"):
        model.fit(X, y, validation_split=1.5)
    with pytest.raises(ValueError, match="verbose"):
        model.fit(X, y, verbose=3)
    with pytest.raises(TypeError, match="Callback"):
        model.fit(X, y, callbacks=[print])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="label 5"):
        model.fit(X, np.full(30, 5))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        model.fit(X, y[:10])
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(bad, y)
    model.fit(X, y, verbose=0)
    with pytest.raises(ValueError, match="Input has 2 features, but the model expects 4"):
        model.predict(X[:, :2])
    with pytest.raises(ValueError, match="Input has 5 features"):
        model.evaluate(np.zeros((3, 5)), y[:3])
    with pytest.raises(ValueError, match="2-D"):
        model.predict(X[0])
    with pytest.raises(ValueError, match="float64, the model float32"):
        Sequential([Dense(3, dtype="float64")]).build((None, 2))
    with pytest.raises(ValueError, match="1 output unit"):
        binary = Sequential([Dense(3)])
        binary.compile(loss="binary_cross_entropy")
        binary.fit(X, (y > 0).astype(int))


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict", "predict_classes"])
@pytest.mark.parametrize("batch_size", [-1, 0, True, 2.5, "8"])
def test_every_batch_size_argument_is_checked_like_fit(method: str, batch_size: object) -> None:
    # evaluate(batch_size=-1) used to return {'loss': 0.0, 'accuracy': nan}, predict(-1) failed
    # inside np.concatenate, and 0 / True were taken as "the default" / 1.
    X, y = _blobs(30)
    model = _model()
    model.fit(X, y, epochs=1, verbose=0)
    call = getattr(model, method)
    args = (X,) if method.startswith("predict") else (X, y)
    with pytest.raises(ValueError, match=rf"`batch_size`.*batch_size={batch_size!r}$"):
        call(*args, batch_size=batch_size)


def test_inference_batch_size_does_not_change_results() -> None:
    X, y = _blobs(30)
    model = _model()
    model.fit(X, y, epochs=1, verbose=0)
    whole = model.evaluate(X, y)
    for size in (1, 7, np.int64(30), 100, None):
        assert model.evaluate(X, y, batch_size=size) == pytest.approx(whole, rel=1e-6)
        assert np.allclose(model.predict(X, batch_size=size), model.predict(X), atol=1e-6)
