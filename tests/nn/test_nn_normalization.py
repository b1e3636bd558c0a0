"""BatchNormalization and LayerNormalization against torch.nn.BatchNorm1d / LayerNorm, by finite
differences, and saved with the model (moving statistics included)."""

import warnings
from pathlib import Path

import numpy as np
import pytest

import memograd as mg
from memograd.nn import BatchNormalization, LayerNormalization

torch = pytest.importorskip("torch")

TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}
TOL = {np.float32: 1e-5, np.float64: 1e-12}


def _run(layer, X, G):
    x = mg.Tensor(X, requires_grad=True)
    y = layer(x)
    (y * mg.Tensor(G)).sum().backward()
    return y.data, x.grad


def _torch_run(module, X, G):
    x = torch.tensor(X, requires_grad=True)
    y = module(x)
    (y * torch.tensor(G)).sum().backward()
    return y.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_normalization_equals_torch_in_train_and_eval(dtype) -> None:
    rng = np.random.default_rng(0)
    layer = BatchNormalization(dtype=dtype)
    module = torch.nn.BatchNorm1d(5).to(TORCH_DTYPE[dtype])
    tol = TOL[dtype]
    for step in range(3):  # three training batches move the statistics
        X = (rng.standard_normal((8, 5)) * 3 + step).astype(dtype)
        G = rng.standard_normal((8, 5)).astype(dtype)
        y, dx = _run(layer, X, G)
        ty, tdx = _torch_run(module, X, G)
        np.testing.assert_allclose(y, ty, atol=tol * 10, rtol=tol)
        np.testing.assert_allclose(dx, tdx, atol=tol * 10, rtol=tol)
        np.testing.assert_allclose(layer.gamma.grad, module.weight.grad.numpy(), atol=tol * 10)
        np.testing.assert_allclose(layer.beta.grad, module.bias.grad.numpy(), atol=tol * 10)
        layer.zero_grad()
        module.zero_grad()
    np.testing.assert_allclose(layer.moving_mean, module.running_mean.numpy(), atol=tol)
    np.testing.assert_allclose(layer.moving_variance, module.running_var.numpy(), atol=tol * 10)
    layer.eval()
    module.eval()
    X = rng.standard_normal((4, 5)).astype(dtype)
    G = rng.standard_normal((4, 5)).astype(dtype)
    y, dx = _run(layer, X, G)
    ty, tdx = _torch_run(module, X, G)
    np.testing.assert_allclose(y, ty, atol=tol * 10, rtol=tol)
    np.testing.assert_allclose(dx, tdx, atol=tol * 10, rtol=tol)
    np.testing.assert_allclose(layer.gamma.grad, module.weight.grad.numpy(), atol=tol * 10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_normalization_equals_torch(dtype) -> None:
    rng = np.random.default_rng(1)
    layer = LayerNormalization(dtype=dtype)
    layer(mg.Tensor(np.zeros((1, 6), dtype)))
    layer.gamma.data[...] = rng.standard_normal(6)
    layer.beta.data[...] = rng.standard_normal(6)
    module = torch.nn.LayerNorm(6).to(TORCH_DTYPE[dtype])
    with torch.no_grad():
        module.weight[...] = torch.tensor(layer.gamma.data)
        module.bias[...] = torch.tensor(layer.beta.data)
    X = (rng.standard_normal((7, 6)) * 4 - 2).astype(dtype)
    G = rng.standard_normal((7, 6)).astype(dtype)
    tol = TOL[dtype]
    y, dx = _run(layer, X, G)
    ty, tdx = _torch_run(module, X, G)
    np.testing.assert_allclose(y, ty, atol=tol * 10, rtol=tol)
    np.testing.assert_allclose(dx, tdx, atol=tol * 10, rtol=tol)
    np.testing.assert_allclose(layer.gamma.grad, module.weight.grad.numpy(), atol=tol * 10)
    np.testing.assert_allclose(layer.beta.grad, module.bias.grad.numpy(), atol=tol * 10)


@pytest.mark.parametrize("cls", [BatchNormalization, LayerNormalization])
def test_normalization_gradients_by_finite_differences(cls) -> None:
    rng = np.random.default_rng(2)
    layer = cls(dtype="float64")
    layer(mg.Tensor(np.zeros((2, 4))))
    layer.gamma.data[...] = rng.standard_normal(4)
    W = mg.Tensor(rng.standard_normal((5, 4)))

    def f(x, gamma, beta):
        layer.gamma, layer.beta = gamma, beta
        return (layer(x) * W).sum()

    X = rng.standard_normal((5, 4))
    gamma = mg.Tensor(layer.gamma.data.copy(), requires_grad=True)
    beta = mg.Tensor(rng.standard_normal(4), requires_grad=True)
    assert mg.gradcheck(f, X, gamma, beta) < 1e-6


def test_moving_statistics_are_saved_and_loaded(tmp_path: Path) -> None:
    X, y = mg.data.load("moons", seed=0)[::2]
    model = mg.nn.Sequential(
        [mg.nn.Dense(8), BatchNormalization(momentum=0.8), mg.nn.Dense(2)], seed=0
    )
    model.compile(loss="cross_entropy", optimizer=mg.optim.Adam(1e-2))
    model.fit(X, y, epochs=2, batch_size=16, verbose=0)
    bn = model.layers[1]
    assert not np.allclose(bn.moving_mean, 0.0)  # training moved them
    model.save(tmp_path / "m.safetensors")
    loaded = mg.nn.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded.layers[1].moving_mean, bn.moving_mean)
    np.testing.assert_array_equal(loaded.layers[1].moving_variance, bn.moving_variance)
    assert loaded.layers[1].momentum == 0.8
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_layer_normalization_without_affine_is_saved(tmp_path: Path) -> None:
    model = mg.nn.Sequential([mg.nn.Dense(3), LayerNormalization(center=False, scale=False)])
    model.build((None, 2))
    assert [n for n, _ in model.named_parameters()] == ["0.kernel", "0.bias"]
    model.save(tmp_path / "m.safetensors")
    X = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    loaded = mg.nn.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"momentum": 1.0}, "momentum"),
        ({"epsilon": 0}, "epsilon"),
        ({"center": "yes"}, "center"),
    ],
)
def test_bad_arguments_are_named(kwargs, message) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        BatchNormalization(**kwargs)


def test_wrong_width_is_refused() -> None:
    layer = LayerNormalization()
    layer(mg.Tensor(np.zeros((2, 3), np.float32)))
    with pytest.raises(ValueError, match=r"expected shape \(batch, \.\.\., 3\)"):
        layer(mg.Tensor(np.zeros((2, 4), np.float32)))


def test_digits_with_batch_normalization_and_gelu_eager_and_compiled() -> None:
    X_train, X_test, y_train, y_test = mg.data.load("digits", test_size=0.2, seed=0)
    runs = []
    for jit_compile in (False, True):
        model = mg.nn.Sequential(
            [
                mg.nn.Dense(128),
                BatchNormalization(),
                mg.nn.Dense(128, activation="gelu"),
                mg.nn.Dense(10),
            ],
            seed=0,
        )
        model.compile(
            loss="cross_entropy",
            optimizer=mg.optim.Adam(1e-3),
            metrics=["accuracy"],
            jit_compile=jit_compile,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a fallback warning fails the test
            history = model.fit(X_train, y_train, epochs=30, batch_size=32, verbose=0)
        accuracy = model.evaluate(X_test, y_test)["accuracy"]
        assert accuracy >= 0.97
        runs.append((model, history.history, accuracy))
    (eager, eager_history, eager_accuracy), (jit, jit_history, jit_accuracy) = runs
    step = jit._get_train_step()
    assert step.fallback_reason is None and step.replays == 30 * 45  # 1437 rows, batches of 32
    # The compiled step updates the moving statistics as the eager one: bit for bit.
    assert jit_history == eager_history and jit_accuracy == eager_accuracy
    for (name, a), (_, b) in zip(eager.state_dict().items(), jit.state_dict().items(), strict=True):
        np.testing.assert_array_equal(b, a, err_msg=name)


def test_gelu_model_compiles_without_falling_back() -> None:
    X_train, _, y_train, _ = mg.data.load("digits", test_size=0.2, seed=0)
    model = mg.nn.Sequential([mg.nn.Dense(64, activation="gelu"), mg.nn.Dense(10)], seed=0)
    model.compile(loss="cross_entropy", optimizer=mg.optim.Adam(1e-3), jit_compile=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback warning fails the test
        model.fit(X_train, y_train, epochs=1, batch_size=64, verbose=0)
