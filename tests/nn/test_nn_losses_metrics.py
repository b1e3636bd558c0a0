"""huber, mae, label smoothing, class_weight (against torch and finite differences) and the
precision/recall/f1/top-k/regression metrics (against scikit-learn)."""

from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as sk

import memograd as mg
from memograd.nn import losses, metrics

torch = pytest.importorskip("torch")
F = torch.nn.functional


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("loss", "reference"),
    [
        (losses.get("mae"), lambda z, y: F.l1_loss(z, y)),
        (losses.get("huber"), lambda z, y: F.huber_loss(z, y, delta=1.0)),
        (losses.Huber(delta=0.3), lambda z, y: F.huber_loss(z, y, delta=0.3)),
    ],
)
def test_regression_losses_equal_torch(dtype, loss, reference) -> None:
    rng = np.random.default_rng(0)
    Z = (rng.standard_normal((9, 2)) * 2).astype(dtype)
    Y = rng.standard_normal((9, 2)).astype(dtype)
    Z[0, 0] = Y[0, 0]  # a zero residual: gradient 0 in both
    z = mg.Tensor(Z, requires_grad=True)
    value = loss(z, Y)
    value.backward()
    tz = torch.tensor(Z, requires_grad=True)
    reference(tz, torch.tensor(Y)).backward()
    tol = 1e-6 if dtype == np.float32 else 1e-14
    assert abs(float(value.data) - float(reference(torch.tensor(Z), torch.tensor(Y)))) < tol * 10
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), atol=tol)
    shifted = Z + 0.05 * np.sign(Z - Y + 0.5)  # away from the kinks for finite differences
    assert mg.gradcheck(lambda t: loss(t, Y), shifted) < 1e-6


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_label_smoothing_equals_torch(dtype) -> None:
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((6, 4)).astype(dtype)
    y = np.array([0, 1, 2, 3, 1, 0])
    loss = losses.CrossEntropy(label_smoothing=0.2)
    targets = loss.prepare_targets(y, 4, np.dtype(dtype))
    z = mg.Tensor(Z, requires_grad=True)
    value = loss(z, targets)
    value.backward()
    tz = torch.tensor(Z, requires_grad=True)
    reference = F.cross_entropy(tz, torch.tensor(y), label_smoothing=0.2)
    reference.backward()
    tol = 1e-6 if dtype == np.float32 else 1e-14
    assert abs(float(value.data) - reference.item()) < tol * 10
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), atol=tol)


def test_class_weight_is_kerass_weighted_mean() -> None:
    rng = np.random.default_rng(2)
    Z = rng.standard_normal((6, 3))
    y = np.array([0, 1, 2, 2, 1, 0])
    loss = losses.CrossEntropy()
    weighted = loss.weight_targets(y, {2: 3.0}, 3, np.dtype("float64"))
    z = mg.Tensor(Z, requires_grad=True)
    value = loss(z, weighted)
    value.backward()
    tz = torch.tensor(Z, requires_grad=True)
    w = torch.tensor([1.0, 1.0, 3.0], dtype=torch.float64)
    reference = F.cross_entropy(tz, torch.tensor(y), weight=w, reduction="none").mean()
    reference.backward()
    assert abs(float(value.data) - reference.item()) < 1e-14
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), atol=1e-14)


def test_fit_class_weight_changes_training_and_is_checked() -> None:
    X, y = mg.data.load("moons", seed=0)[::2]

    def trained(class_weight):
        model = mg.nn.Sequential([mg.nn.Dense(2)], seed=0)
        model.compile(loss="cross_entropy", optimizer="sgd")
        model.fit(X, y, epochs=1, verbose=0, class_weight=class_weight)
        return model.layers[0].kernel.data.copy()

    assert not np.allclose(trained(None), trained({1: 5.0}))
    np.testing.assert_array_equal(trained(None), trained({0: 1.0, 1: 1.0}))
    with pytest.raises(ValueError, match="class_weight"):
        trained({7: 2.0})
    with pytest.raises(ValueError, match="class_weight"):
        trained({0: -1.0})
    model = mg.nn.Sequential([mg.nn.Dense(1)])
    model.compile(loss="mse", optimizer="sgd")
    with pytest.raises(ValueError, match="classification loss"):
        model.fit(X, y, verbose=0, class_weight={0: 2.0})


def test_loss_hyperparameters_are_saved(tmp_path: Path) -> None:
    X, y = mg.data.load("moons", seed=0)[::2]
    model = mg.nn.Sequential([mg.nn.Dense(2)], seed=0)
    model.compile(loss=losses.CrossEntropy(label_smoothing=0.1), optimizer="sgd")
    model.fit(X, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.safetensors")
    assert mg.nn.load(tmp_path / "m.safetensors").loss.label_smoothing == 0.1
    model.compile(loss=losses.Huber(delta=2.5), optimizer="sgd")
    model2 = mg.nn.Sequential([mg.nn.Dense(1)], seed=0)
    model2.compile(loss=losses.Huber(delta=2.5), optimizer="sgd")
    model2.fit(X, y.astype(float), epochs=1, verbose=0)
    model2.save(tmp_path / "h.safetensors")
    assert mg.nn.load(tmp_path / "h.safetensors").loss.delta == 2.5


def _feed(metric, outputs, targets, parts=3):
    metric.reset()
    for o, t in zip(np.array_split(outputs, parts), np.array_split(targets, parts), strict=True):
        metric.update(o, t)
    return metric.result()


@pytest.mark.parametrize("average", ["macro", "micro"])
def test_precision_recall_f1_equal_sklearn(average) -> None:
    rng = np.random.default_rng(3)
    outputs = rng.standard_normal((40, 4))
    y = rng.integers(0, 4, 40)
    predicted = outputs.argmax(axis=1)
    suffix = "" if average == "macro" else "_micro"
    for name, function in (
        ("precision", sk.precision_score),
        ("recall", sk.recall_score),
        ("f1", sk.f1_score),
    ):
        got = _feed(metrics.get(name + suffix), outputs, y)
        assert got == pytest.approx(function(y, predicted, average=average, zero_division=0))


def test_top_k_and_regression_metrics_equal_sklearn() -> None:
    rng = np.random.default_rng(4)
    outputs = rng.standard_normal((30, 6))
    y = rng.integers(0, 6, 30)
    got = _feed(metrics.get("top_k_accuracy"), outputs, y)
    assert got == pytest.approx(sk.top_k_accuracy_score(y, outputs, k=5, labels=np.arange(6)))
    assert _feed(metrics.TopKAccuracy(k=2), outputs, y) == pytest.approx(
        sk.top_k_accuracy_score(y, outputs, k=2)
    )
    pred, true = rng.standard_normal((30, 1)), rng.standard_normal(30)
    assert _feed(metrics.get("r2"), pred, true) == pytest.approx(sk.r2_score(true, pred[:, 0]))
    assert _feed(metrics.get("mae"), pred, true) == pytest.approx(
        sk.mean_absolute_error(true, pred[:, 0])
    )
    assert _feed(metrics.get("mse"), pred, true) == pytest.approx(
        sk.mean_squared_error(true, pred[:, 0])
    )


def test_metrics_in_fit_and_evaluate() -> None:
    X_train, X_test, y_train, y_test = mg.data.load("digits", test_size=0.2, seed=0)
    model = mg.nn.Sequential([mg.nn.Dense(10)], seed=0)
    model.compile(loss="cross_entropy", optimizer="adam", metrics=["f1", "top_k_accuracy"])
    history = model.fit(X_train, y_train, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "f1", "top_k_accuracy"}
    scores = model.evaluate(X_test, y_test)
    predicted = model.predict(X_test).argmax(axis=1)
    assert scores["f1"] == pytest.approx(sk.f1_score(y_test, predicted, average="macro"))
