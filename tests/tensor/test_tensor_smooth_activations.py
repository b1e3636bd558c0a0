"""The modern activations (and erf) against torch.nn.functional, values and gradients in float32
and float64, by finite differences, twice differentiable, and by name in Dense."""

import numpy as np
import pytest

import memograd as mg
from memograd.tensor import smooth

torch = pytest.importorskip("torch")
F = torch.nn.functional

CASES = [
    ("erf", smooth.erf, torch.erf),
    ("softplus", smooth.softplus, F.softplus),
    ("gelu", smooth.gelu, F.gelu),
    ("gelu_tanh", lambda x: smooth.gelu(x, "tanh"), lambda x: F.gelu(x, approximate="tanh")),
    ("silu", smooth.silu, F.silu),
    ("elu", smooth.elu, F.elu),
    ("elu_alpha", lambda x: smooth.elu(x, 0.4), lambda x: F.elu(x, 0.4)),
    ("selu", smooth.selu, F.selu),
    ("mish", smooth.mish, F.mish),
    ("hard_tanh", smooth.hard_tanh, F.hardtanh),
    ("softsign", smooth.softsign, F.softsign),
]
TOL = {np.float32: 2e-6, np.float64: 1e-14}


def _inputs(dtype):
    # below PyTorch's softplus threshold (20), with exact zeros and hard_tanh's corners
    x = np.concatenate([np.linspace(-8, 8, 41), [0.0, -1.0, 1.0, 15.0, -15.0]])
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "ours", "theirs"), CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_equal_torch(name, ours, theirs, dtype) -> None:
    X = _inputs(dtype)
    G = np.random.default_rng(0).standard_normal(X.shape).astype(dtype)
    x = mg.Tensor(X, requires_grad=True)
    y = ours(x)
    (y * mg.Tensor(G)).sum().backward()
    tx = torch.tensor(X, requires_grad=True)
    ty = theirs(tx)
    (ty * torch.tensor(G)).sum().backward()
    assert y.dtype == X.dtype
    scale = TOL[dtype]
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=scale, atol=scale)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=scale * 4, atol=scale * 4)


@pytest.mark.parametrize(("name", "ours", "theirs"), CASES, ids=[c[0] for c in CASES])
def test_gradients_by_finite_differences_and_second_order(name, ours, theirs) -> None:
    X = np.array([-2.3, -0.7, -0.2, 0.3, 0.6, 1.9])  # away from the kinks
    assert mg.gradcheck(lambda t: ours(t), X) < 1e-6
    # the VJP is built from ops, so the gradient differentiates again (torch's 2nd derivative)
    x = mg.Tensor(X, requires_grad=True)
    (g,) = mg.autograd.gradients(ours(x).sum(), [x], create_graph=True)
    tx = torch.tensor(X, requires_grad=True)
    (tg,) = torch.autograd.grad(theirs(tx).sum(), tx, create_graph=True)
    tg.sum().backward()
    if name == "hard_tanh":  # piecewise linear: the gradient is a constant of x
        assert not g.requires_grad and not tx.grad.numpy().any()
        return
    g.sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), atol=1e-10)


SMOOTH_AT_ZERO = ["softplus", "silu", "mish", "gelu", "gelu_tanh", "erf", "softsign"]


@pytest.mark.parametrize("name", SMOOTH_AT_ZERO)
def test_second_derivative_at_exactly_zero_equals_torch(name) -> None:
    # silu, softplus and mish differentiated the overflow-safe formulas' |x| and max(x, 0)
    # at 0 (derivative 0 there): their second derivatives at 0 were half torch's or 0
    ours, theirs = next((c[1], c[2]) for c in CASES if c[0] == name)
    X = np.array([0.0, -0.0, 0.8])
    x = mg.Tensor(X, requires_grad=True)
    (g,) = mg.autograd.gradients(ours(x).sum(), [x], create_graph=True)
    g.sum().backward()
    tx = torch.tensor(X, requires_grad=True)
    (tg,) = torch.autograd.grad(theirs(tx).sum(), tx, create_graph=True)
    tg.sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), atol=1e-12)


def test_large_inputs_stay_finite() -> None:
    x = mg.Tensor(np.array([-1e4, 1e4]), requires_grad=True)
    for op in (smooth.softplus, smooth.silu, smooth.mish, smooth.gelu, smooth.elu):
        y = op(x)
        y.sum().backward()
        assert np.isfinite(y.data).all() and np.isfinite(x.grad).all()
        x.grad = None


@pytest.mark.parametrize(
    "name",
    [
        "gelu",
        "gelu_tanh",
        "silu",
        "swish",
        "elu",
        "selu",
        "softplus",
        "mish",
        "hard_tanh",
        "softsign",
    ],
)
def test_activation_by_name_in_dense(name) -> None:
    layer = mg.nn.Dense(3, activation=name, seed=0)
    x = mg.Tensor(np.linspace(-2, 2, 8).reshape(2, 4))
    y = layer(x)
    plain = mg.nn.activations.get(name)(x @ layer.kernel + layer.bias)
    np.testing.assert_allclose(y.data, plain.data)
    assert layer.get_config()["activation"] == ("silu" if name == "swish" else name)


def test_bad_arguments_are_named() -> None:
    x = mg.Tensor([1.0])
    with pytest.raises(ValueError, match="approximate"):
        smooth.gelu(x, "fast")
    with pytest.raises(TypeError, match="alpha"):
        smooth.elu(x, "1")
    with pytest.raises(ValueError, match="max_val"):
        smooth.hard_tanh(x, 1.0, -1.0)
