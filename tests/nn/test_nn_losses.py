"""Losses: values and gradients against PyTorch (float64), stability, target checks; metrics."""

from __future__ import annotations

import numpy as np
import pytest

import memograd as mg
from memograd.nn import losses, metrics


def _logits(shape: tuple[int, ...], seed: int = 0, scale: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape) * scale


def _ours(name: str, logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    z = mg.Tensor(logits.copy(), requires_grad=True)
    loss = losses.get(name)(z, targets)
    loss.backward()
    return float(loss.data), z.grad


def test_cross_entropy_matches_torch_integer_and_one_hot() -> None:
    torch = pytest.importorskip("torch")
    logits = _logits((6, 4), scale=3.0)
    labels = np.array([0, 3, 1, 1, 2, 0])
    t = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(t, torch.tensor(labels))
    expected.backward()
    value, grad = _ours("cross_entropy", logits, labels)
    assert value == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-10, atol=1e-14)
    one_hot = np.eye(4)[labels]
    value2, grad2 = _ours("cross_entropy", logits, one_hot)
    assert value2 == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(grad2, grad, rtol=1e-10, atol=1e-14)


def test_binary_cross_entropy_matches_torch_and_is_stable() -> None:
    torch = pytest.importorskip("torch")
    logits = np.array([[-800.0], [-3.0], [0.0], [2.5], [900.0]])
    targets = np.array([[1.0], [0.0], [1.0], [0.0], [0.0]])
    t = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(t, torch.tensor(targets))
    expected.backward()
    value, grad = _ours("binary_cross_entropy", logits, targets)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    assert value == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_mse_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    outputs = _logits((5, 3))
    targets = _logits((5, 3), seed=1)
    t = torch.tensor(outputs, requires_grad=True)
    expected = torch.nn.functional.mse_loss(t, torch.tensor(targets))
    expected.backward()
    value, grad = _ours("mse", outputs, targets)
    assert value == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-12)


def test_prepare_targets_converts_and_rejects() -> None:
    f32 = np.dtype(np.float32)
    ce = losses.get("cross_entropy")
    assert ce.prepare_targets(np.eye(3)[[2, 0]], 3, f32).tolist() == [2, 0]
    with pytest.raises(ValueError, match=r"label 3 .*3 output units"):
        ce.prepare_targets(np.array([0, 3]), 3, f32)
    with pytest.raises(ValueError, match="binary_cross_entropy"):
        ce.prepare_targets(np.array([0, 1]), 1, f32)
    bce = losses.get("bce")
    prepared = bce.prepare_targets(np.array([0, 1, 1]), 1, f32)
    assert prepared.shape == (3, 1) and prepared.dtype == np.float32
    assert bce.prepare_targets(np.array([0.25, 1.0]), 1, f32)[:, 0].tolist() == [0.25, 1.0]
    with pytest.raises(ValueError, match="1 output unit"):
        bce.prepare_targets(np.array([0, 1]), 2, f32)
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        bce.prepare_targets(np.array([0.5, 1.5]), 1, f32)
    mse = losses.get("mse")
    assert mse.prepare_targets(np.array([1.0, 2.0]), 1, f32).shape == (2, 1)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\)"):
        mse.prepare_targets(np.zeros((3, 3)), 2, f32)


def test_loss_registry_errors() -> None:
    assert isinstance(losses.get("categorical_crossentropy"), losses.CrossEntropy)
    with pytest.raises(ValueError, match=r"loss identifier: 'hinge'.*'cross_entropy'.*'mse'"):
        losses.get("hinge")
    with pytest.raises(TypeError, match="loss"):
        losses.get(None)  # type: ignore[arg-type]


def test_accuracy_binary_and_multiclass() -> None:
    acc = metrics.get("accuracy")
    acc.update(np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1]]), np.array([1, 2]))
    acc.update(np.array([[0.0, 0.0, 1.0]]), np.array([[0, 0, 1]]))
    assert acc.result() == pytest.approx(2 / 3)
    binary = metrics.Accuracy(threshold=0.0)
    binary.update(np.array([[-1.0], [2.0], [0.5], [-0.1]]), np.array([[0.0], [1.0], [0.0], [0.0]]))
    assert binary.result() == 0.75
    probs = metrics.Accuracy(threshold=0.5)
    probs.update(np.array([[0.4], [0.6]]), np.array([[0.0], [1.0]]))
    assert probs.result() == 1.0
    with pytest.raises(ValueError, match="metric identifier"):
        metrics.get("f2")


def test_binary_cross_entropy_gradcheck() -> None:
    targets = np.array([[1.0], [0.0], [0.3], [1.0]])
    logits = np.array([[0.7], [-1.2], [2.0], [-0.4]])
    mg.gradcheck(lambda z: losses.binary_cross_entropy(z, targets), logits)
