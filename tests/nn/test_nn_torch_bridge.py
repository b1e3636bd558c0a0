"""model.to_torch() and Sequential.from_torch(module): same weights, same outputs (1e-6), same
running statistics, both ways; what cannot be imported exactly is refused by name."""

import pickle

import numpy as np
import pytest
from nn_models import every_layer_model

import memograd as mg
from memograd.nn import activations

torch = pytest.importorskip("torch")
nn = torch.nn

ACTIVATIONS = activations.names()


def _model(activation: str, dtype: str = "float64", dropout: float = 0.3) -> mg.nn.Sequential:
    return every_layer_model(
        activation, dtype, dropout=dropout, momentum=0.8, batch_norm_center=False
    )


def _inputs(dtype: str = "float64") -> np.ndarray:
    return (np.random.default_rng(2).standard_normal((9, 5)) * 3).astype(dtype)


def _torch_out(module, X: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return module(torch.from_numpy(X)).numpy()


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_to_torch_has_the_weights_and_outputs_of_the_model(activation: str) -> None:
    model = _model(activation)
    module = model.to_torch()
    assert isinstance(module, nn.Sequential) and module.training
    linears = [m for m in module if isinstance(m, nn.Linear)]
    denses = [layer for layer in model.layers if isinstance(layer, mg.nn.Dense)]
    for linear, dense in zip(linears, denses, strict=True):
        np.testing.assert_array_equal(linear.weight.detach().numpy(), dense.kernel.data.T)
    bn = next(m for m in module if isinstance(m, nn.BatchNorm1d))
    assert bn.momentum == pytest.approx(0.2)  # Keras's 0.8 weighs the old average
    np.testing.assert_array_equal(bn.running_mean.numpy(), model.layers[2].moving_mean)
    np.testing.assert_array_equal(bn.running_var.numpy(), model.layers[2].moving_variance)
    X = _inputs()
    np.testing.assert_allclose(_torch_out(module.eval(), X), model.predict(X), rtol=1e-6, atol=1e-6)
    assert module[-1].weight.dtype == torch.float64


@pytest.mark.parametrize("activation", ["relu", "gelu", "softmax", "mish"])
def test_to_torch_float32_outputs_agree_to_1e_6(activation: str) -> None:
    model = _model(activation, dtype="float32")
    X = _inputs("float32")
    module = model.to_torch().eval()
    assert module[-1].weight.dtype == torch.float32
    np.testing.assert_allclose(_torch_out(module, X), model.predict(X), rtol=1e-6, atol=1e-6)


def test_training_mode_batch_statistics_running_stats_and_gradients_agree() -> None:
    model = _model("gelu", dropout=0.0)
    module = model.to_torch()
    model.train()
    module.train()
    rng = np.random.default_rng(5)
    for _ in range(3):  # each training forward moves the running statistics the same way
        X = (rng.standard_normal((8, 5)) * 2).astype(np.float64)
        G = rng.standard_normal((8, 3))
        for layer in model.layers:
            layer.zero_grad()
        module.zero_grad()
        out = model(mg.Tensor(X))
        (out * mg.Tensor(G)).sum().backward()
        tout = module(torch.from_numpy(X))
        (tout * torch.from_numpy(G)).sum().backward()
        np.testing.assert_allclose(tout.detach().numpy(), out.data, atol=1e-10)
        dense = model.layers[1]
        np.testing.assert_allclose(module[1].weight.grad.numpy(), dense.kernel.grad.T, atol=1e-10)
    batch_norms = [m for m in module if isinstance(m, nn.BatchNorm1d)]
    for bn, layer in zip(batch_norms, [model.layers[2], model.layers[6]], strict=True):
        np.testing.assert_allclose(bn.running_mean.numpy(), layer.moving_mean, atol=1e-12)
        np.testing.assert_allclose(bn.running_var.numpy(), layer.moving_variance, atol=1e-12)


def test_to_torch_keeps_evaluation_mode_and_pickles() -> None:
    model = _model("relu")
    model.eval()
    module = model.to_torch()
    assert not module.training
    again = pickle.loads(pickle.dumps(module))  # TorchNormalization is found by name
    X = _inputs()
    np.testing.assert_array_equal(_torch_out(again, X), _torch_out(module, X))


def test_to_torch_refuses_an_unbuilt_model_and_a_custom_activation() -> None:
    with pytest.raises(ValueError, match="built model"):
        mg.nn.Sequential([mg.nn.Dense(2)]).to_torch()

    def cube(x):
        return x * x * x

    model = mg.nn.Sequential([mg.nn.Dense(2, activation=cube, name="cubic")])
    model.build((None, 3))
    with pytest.raises(ValueError, match=r"'cubic'.*'cube' is a custom function"):
        model.to_torch()


def _torch_mlp(dtype=torch.float64) -> nn.Module:
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Linear(5, 8),
        nn.GELU(approximate="tanh"),
        nn.BatchNorm1d(8, momentum=0.3, eps=1e-3),
        nn.Sequential(nn.Dropout(0.2), nn.Linear(8, 8), nn.LeakyReLU()),
        nn.LayerNorm(8),
        nn.Linear(8, 8, bias=False),
        nn.ELU(),
        nn.Identity(),
        nn.Linear(8, 8),
        nn.Softplus(),
        nn.Linear(8, 8),
        nn.Hardtanh(),
        nn.Linear(8, 8),
        nn.SELU(),
        nn.Linear(8, 8),
        nn.Mish(),
        nn.Linear(8, 8),
        nn.Softsign(),
        nn.Linear(8, 8),
        nn.SiLU(),
        nn.LayerNorm(8, elementwise_affine=False),
        nn.Linear(8, 8),
        nn.GELU(),
        nn.Linear(8, 8),
        nn.Tanh(),
        nn.Linear(8, 8),
        nn.Sigmoid(),
        nn.BatchNorm1d(8, affine=False),
        nn.Linear(8, 8),
        nn.ReLU(),
        nn.Linear(8, 3),
        nn.Softmax(dim=-1),
    ).to(dtype)
    with torch.no_grad():  # training-mode passes move the running statistics off 0 and 1
        for _ in range(3):
            module(torch.randn(16, 5, dtype=dtype) * 2 + 1)
    return module


def test_from_torch_imports_every_supported_module() -> None:
    module = _torch_mlp()
    model = mg.nn.Sequential.from_torch(module)
    assert model.training and model.dtype == np.float64
    names = [layer.activation_name for layer in model.layers if isinstance(layer, mg.nn.Dense)]
    assert names == [
        "gelu_tanh", "leaky_relu", "elu", "softplus", "hard_tanh", "selu", "mish", "softsign",
        "silu", "gelu", "tanh", "sigmoid", "relu", "softmax",
    ]  # fmt: skip
    bn = model.layers[1]
    assert isinstance(bn, mg.nn.BatchNormalization)
    assert (bn.momentum, bn.epsilon) == (pytest.approx(0.7), 1e-3)
    np.testing.assert_array_equal(bn.moving_mean, module[2].running_mean.numpy())
    X = _inputs()
    np.testing.assert_allclose(model.predict(X), _torch_out(module.eval(), X), atol=1e-12)


def test_round_trips_both_ways() -> None:
    module = _torch_mlp(torch.float32)
    module.eval()
    back = mg.nn.Sequential.from_torch(module).to_torch()
    assert not back.training
    # num_batches_tracked only matters for momentum=None, which from_torch refuses
    ours = {k: v.numpy() for k, v in module.state_dict().items() if "num_batches" not in k}
    theirs = {k: v.numpy() for k, v in back.state_dict().items() if "num_batches" not in k}
    # Identity is dropped on import, so positions shift: compare the arrays in order.
    assert [a.shape for a in ours.values()] == [a.shape for a in theirs.values()]
    for a, b in zip(ours.values(), theirs.values(), strict=True):
        np.testing.assert_array_equal(a, b)
    model = _model("selu")
    again = mg.nn.Sequential.from_torch(model.to_torch())
    for (name, a), (name_b, b) in zip(
        model.state_dict().items(), again.state_dict().items(), strict=True
    ):
        np.testing.assert_array_equal(a, b, err_msg=f"{name} vs {name_b}")
    X = _inputs()
    np.testing.assert_array_equal(again.predict(X), model.predict(X))


@pytest.mark.parametrize(
    ("module", "message"),
    [
        (nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.Conv1d(4, 4, 1))), r"'1\.0' \(Conv1d"),
        (nn.Sequential(nn.Linear(3, 4), nn.ELU(alpha=0.5)), r"'1' \(ELU\(alpha=0\.5\)\).*alpha=1"),
        (nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.2)), r"'1' \(LeakyReLU.*negative_slope"),
        (nn.Sequential(nn.Linear(3, 4), nn.Softplus(beta=2)), r"'1' \(Softplus.*beta=1"),
        (nn.Sequential(nn.Linear(3, 4), nn.Hardtanh(0, 6)), r"'1' \(Hardtanh.*min_val=-1"),
        (nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU()), r"'2' \(ReLU.*follow a Li"),
        (nn.Sequential(nn.Linear(3, 4), nn.Linear(5, 2)), r"'1' \(Linear.*expects 5.*give 4"),
        (nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, momentum=None)), r"'1' \(BatchNorm1d"),
        (nn.Sequential(nn.Linear(3, 4), nn.LayerNorm((2, 2))), r"'1' \(LayerNorm.*last axis"),
        (nn.Sequential(nn.Linear(3, 4), nn.ReLU6()), r"'1' \(ReLU6"),
        (nn.ModuleDict({"a": nn.Linear(3, 4)}), r"'<root>' \(ModuleDict"),
        (nn.Sequential(nn.Dropout(0.1)), "at least one Linear"),
        (nn.Sequential(nn.Linear(3, 4).half()), "float32 or float64"),
    ],
)
def test_from_torch_refuses_what_it_cannot_import_naming_the_submodule(module, message) -> None:
    with pytest.raises(ValueError, match=message):
        mg.nn.Sequential.from_torch(module)


def test_from_torch_refuses_a_non_module() -> None:
    with pytest.raises(TypeError, match=r"`module`, expected a torch\.nn\.Module"):
        mg.nn.Sequential.from_torch([1, 2])
