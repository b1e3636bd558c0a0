"""`defop`: a user's op from one forward and one VJP, working in every mode (issue 13).

The softsign op of the issue, x / (1 + |x|), with d/dx = 1 / (1 + |x|)² and
d²/dx² = −2·sign(x) / (1 + |x|)³: through backward, create_graph, mg.grad, gradcheck and
against PyTorch. (Compiled with jit_compile=True: tests/test_compile_ops.py.)
"""

from __future__ import annotations

import numpy as np
import pytest

import memograd as mg
from memograd.autograd import gradients
from memograd.tensor import Primitive, _xp_numpy, _xp_tensor, defop

softsign = defop(
    "softsign",
    forward=lambda xp, x: x / (1 + xp.abs(x)),
    vjp=lambda xp, g, x, y: (g / (1 + xp.abs(x)) ** 2,),  # inputs, then output
)

X = np.array([-3.0, -0.5, 0.25, 2.0])


def test_forward_and_backward_match_the_closed_form() -> None:
    x = mg.Tensor(X, requires_grad=True)
    y = softsign(x)
    assert y.op == "softsign" and isinstance(y._prim, Primitive)
    np.testing.assert_allclose(y.data, X / (1 + np.abs(X)), rtol=1e-15)
    y.backward(np.ones(4))
    np.testing.assert_allclose(x.grad, 1 / (1 + np.abs(X)) ** 2, rtol=1e-15)


def test_second_derivative_under_create_graph() -> None:
    x = mg.Tensor(X, requires_grad=True)
    (g,) = gradients(softsign(x).sum(), [x], create_graph=True)
    assert isinstance(g, mg.Tensor) and g.requires_grad  # the VJP ran on Tensors
    (h,) = gradients(g.sum(), [x])
    np.testing.assert_allclose(h, -2 * np.sign(X) / (1 + np.abs(X)) ** 3, rtol=1e-12)


def test_mg_grad_and_nested_grad() -> None:
    def f(t: mg.Tensor) -> mg.Tensor:
        return softsign(t).sum()

    np.testing.assert_allclose(mg.grad(f)(X), 1 / (1 + np.abs(X)) ** 2, rtol=1e-15)
    second = mg.grad(lambda t: mg.grad(f)(t).sum())(X)
    np.testing.assert_allclose(second, -2 * np.sign(X) / (1 + np.abs(X)) ** 3, rtol=1e-12)


def test_gradcheck_first_and_second_order() -> None:
    assert mg.gradcheck(softsign, X) < 1e-6

    def slope(t: mg.Tensor) -> mg.Tensor:
        return gradients(softsign(t).sum(), [t], create_graph=True)[0]

    assert mg.gradcheck(slope, X) < 1e-6


def test_gradcheck_catches_a_wrong_vjp() -> None:
    wrong = defop("wrong", lambda xp, x: x * x, lambda xp, g, x, y: (g * x,))  # not 2x
    with pytest.raises(mg.GradcheckError, match="input 0"):
        mg.gradcheck(wrong, X)


def test_matches_torch_softsign() -> None:
    torch = pytest.importorskip("torch")
    for dtype in ("float32", "float64"):
        x = mg.Tensor(X, dtype=dtype, requires_grad=True)
        tx = torch.tensor(X, dtype=getattr(torch, dtype), requires_grad=True)
        seed = np.linspace(-1.0, 2.0, 4)
        y, ty = softsign(x), torch.nn.functional.softsign(tx)
        y.backward(seed.astype(dtype))
        ty.backward(torch.tensor(seed, dtype=getattr(torch, dtype)))
        rtol = 1e-6 if dtype == "float32" else 1e-15
        np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=rtol)
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=rtol)
        assert y.data.dtype == x.grad.dtype == np.dtype(dtype)


def test_two_inputs_and_constants() -> None:
    hypot = defop(
        "hypot",
        forward=lambda xp, a, b: xp.sqrt(a * a + b * b),
        vjp=lambda xp, g, a, b, y: (g * a / y, g * b / y),
    )
    a = mg.Tensor([3.0, 5.0], requires_grad=True)
    b = mg.Tensor([4.0, 12.0], requires_grad=True)
    out = hypot(a, b)
    out.sum().backward()
    np.testing.assert_allclose(out.data, [5.0, 13.0])
    np.testing.assert_allclose(a.grad, [0.6, 5 / 13])
    np.testing.assert_allclose(b.grad, [0.8, 12 / 13])
    c = hypot(a, [4.0, 12.0])  # a list is a constant of a's dtype: no gradient for it
    assert c._parents[1].requires_grad is False and c.dtype == a.dtype
    assert mg.gradcheck(hypot, a, b) < 1e-6


def test_no_graph_without_grad() -> None:
    assert not softsign(mg.Tensor(X)).requires_grad
    with mg.no_grad():
        assert not softsign(mg.Tensor(X, requires_grad=True)).requires_grad


def test_errors_name_the_op_and_what_was_wrong() -> None:
    x = mg.Tensor(X, requires_grad=True)
    bare = defop("bare", lambda xp, x: x * 2, lambda xp, g, x, y: g * 2)  # not a tuple
    with pytest.raises(TypeError, match=r"defop 'bare': `vjp` must return a tuple .* \(1\)"):
        bare(x).sum().backward()
    extra = defop("extra", lambda xp, x: x * 2, lambda xp, g, x, y: (g, g))
    with pytest.raises(TypeError, match=r"one gradient per input .* of length 2"):
        extra(x).sum().backward()
    shaped = defop("shaped", lambda xp, x: x.sum(), lambda xp, g, x, y: (g,))
    with pytest.raises(ValueError, match=r"gradient of shape \(\) for input 0 of shape \(4,\)"):
        shaped(x).backward()
    with pytest.raises(TypeError, match="`name`, expected a non-empty string"):
        defop("", lambda xp, x: x, lambda xp, g, x, y: (g,))
    with pytest.raises(TypeError, match="`vjp`, expected a function of `xp`"):
        defop("op", lambda xp, x: x, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="at least one input"):
        softsign()
    assert repr(softsign) == "defop('softsign')"


def test_the_namespaces_offer_the_same_names() -> None:
    for name in _xp_numpy.NAMES:
        assert callable(getattr(_xp_tensor, name)), name
    extra = {n for n in vars(_xp_tensor) if not n.startswith("_")} - set(_xp_numpy.NAMES)
    assert extra <= {"annotations", "Any", "Sequence", "Tensor"}


def test_every_op_node_holds_its_primitive_with_typed_parameters() -> None:
    x = mg.Tensor(np.ones((2, 3)), requires_grad=True)
    y = x.leaky_relu(0.2)
    assert type(y._prim).__name__ == "LeakyRelu" and y._prim.slope == 0.2
    assert repr(y._prim) == "LeakyRelu(slope=0.2)"
    assert repr(x.sum(axis=1)._prim) == "Sum(axes=(1,), keepdims=False, kept=(2, 1))"
    assert not hasattr(y, "_ctx") and not hasattr(y, "_vjp")
