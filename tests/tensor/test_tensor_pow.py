"""`**` gradients at a zero base and a zero exponent follow PyTorch (issue 11 §3).

PyTorch defines ∂(x**y)/∂x = 0 where y == 0 and ∂(x**y)/∂y = 0 where x == 0 and y >= 0
instead of letting 0 · inf become NaN. These tests compare every form of `**` (Tensor
exponent, Python number exponent, Python number base, broadcast) over a grid of bases and
exponents with PyTorch, value for value, including the sign of zeros and where NaN or inf
come out; then `Value` against `Tensor`, then second derivatives under create_graph.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import memograd as mg
from memograd.autograd import gradients

torch = pytest.importorskip("torch")

BASES = [0.0, -0.0, -2.0, -0.5, 0.7, 1.5]
# (Not -0.5: torch computes x ** -0.5 as rsqrt(x), which is -inf at -0.0 where pow gives +inf.)
EXPONENTS: list[int | float] = [0, 0.0, 0.3, 1, 1.0, 2, 2.0, 2.5, 3, -1, -1.0, -2, -1.5]
DTYPES = ["float32", "float64"]
PAIRS = [(b, e) for b in BASES for e in EXPONENTS]


def _assert_same(ours: np.ndarray, theirs: Any, dtype: str, what: str) -> None:
    """Equal up to rounding, with NaN, ±inf and the sign of zero exactly where torch has them."""
    theirs = theirs.detach().numpy()
    assert ours.dtype == theirs.dtype, what
    rtol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=0, equal_nan=True, err_msg=what)
    zeros = theirs == 0
    np.testing.assert_array_equal(np.signbit(ours[zeros]), np.signbit(theirs[zeros]), what)


def _seed(shape: tuple[int, ...]) -> np.ndarray:
    # Of both signs, so that the sign of a zero gradient is exercised too.
    return np.random.default_rng(0).uniform(0.5, 2.0, shape) * np.resize([1.0, -1.0], shape)


def _grads_both(
    fn: Callable[..., Any], inputs: list[np.ndarray], dtype: str
) -> tuple[list[np.ndarray], list[Any], np.ndarray, Any]:
    ours = [mg.Tensor(x, dtype=dtype, requires_grad=True) for x in inputs]
    theirs = [torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True) for x in inputs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's forward warns on 0 ** -1
        out = fn(*ours)
    tout = fn(*theirs)
    seed = _seed(out.shape)
    out.backward(seed.astype(dtype))
    tout.backward(torch.tensor(seed, dtype=getattr(torch, dtype)))
    assert all(t.grad is not None for t in ours)
    return [t.grad for t in ours], [t.grad for t in theirs], out.data, tout  # type: ignore[misc]


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_to_tensor_power_matches_torch_on_the_grid(dtype: str) -> None:
    xs = np.array([b for b, _ in PAIRS])
    ys = np.array([float(e) for _, e in PAIRS])
    (gx, gy), (tgx, tgy), out, tout = _grads_both(lambda x, y: x**y, [xs, ys], dtype)
    _assert_same(out, tout, dtype, "x ** y")
    _assert_same(gx, tgx, dtype, "d(x ** y)/dx")
    _assert_same(gy, tgy, dtype, "d(x ** y)/dy")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", EXPONENTS, ids=[f"{type(p).__name__}{p}" for p in EXPONENTS])
def test_tensor_to_number_power_matches_torch(p: int | float, dtype: str) -> None:
    (gx,), (tgx,), out, tout = _grads_both(lambda x: x**p, [np.array(BASES)], dtype)
    _assert_same(out, tout, dtype, f"x ** {p!r}")
    _assert_same(gx, tgx, dtype, f"d(x ** {p!r})/dx")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("c", BASES)
def test_number_to_tensor_power_matches_torch(c: float, dtype: str) -> None:
    ys = np.array([float(e) for e in EXPONENTS])
    (gy,), (tgy,), out, tout = _grads_both(lambda y: c**y, [ys], dtype)
    _assert_same(out, tout, dtype, f"{c} ** y")
    _assert_same(gy, tgy, dtype, f"d({c} ** y)/dy")


@pytest.mark.parametrize("dtype", DTYPES)
def test_broadcast_power_sums_gradients_like_torch(dtype: str) -> None:
    # Finite everywhere (no negative base, no negative exponent), so the sums can be compared.
    xs = np.array([[0.0], [0.7], [1.5]])  # (3, 1)
    ys = np.array([[0.0, 0.3, 1.0, 2.0, 2.5]])  # (1, 5)
    (gx, gy), (tgx, tgy), out, tout = _grads_both(lambda x, y: x**y, [xs, ys], dtype)
    assert gx.shape == (3, 1) and gy.shape == (1, 5)
    _assert_same(out, tout, dtype, "x ** y")
    _assert_same(gx, tgx, dtype, "d(x ** y)/dx")
    _assert_same(gy, tgy, dtype, "d(x ** y)/dy")


def test_the_cases_of_the_issue() -> None:
    """Each case the issue lists, spelled out: 0 where there used to be NaN."""
    x = mg.Tensor([0.5, 2.0], requires_grad=True)
    (0**x).sum().backward()  # 0 ** x, x > 0
    assert x.grad.tolist() == [0.0, 0.0]
    x = mg.Tensor([0.0, 3.0], requires_grad=True)
    (x**0).sum().backward()  # x ** 0 with x containing 0
    assert x.grad.tolist() == [0.0, 0.0]
    x, y = mg.Tensor(0.0, requires_grad=True), mg.Tensor(0.0, requires_grad=True)
    (x**y).backward()  # x = 0, y = 0
    assert (float(x.grad), float(y.grad)) == (0.0, 0.0)
    x, y = mg.Tensor(0.0, requires_grad=True), mg.Tensor(0.3, requires_grad=True)
    (x**y).backward()  # x = 0, y = 0.3: d/dy is 0, d/dx is PyTorch's inf
    assert (float(x.grad), float(y.grad)) == (math.inf, 0.0)
    v = mg.Value(0.0)
    (v**0).backward()
    assert v.grad == 0.0


def test_backward_of_masked_entries_does_not_warn() -> None:
    x = mg.Tensor([0.0, 0.0, 1.0], requires_grad=True)
    y = mg.Tensor([0.0, 0.5, 2.0], requires_grad=True)
    out = x**y
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out.sum().backward()


@pytest.mark.parametrize("p", EXPONENTS, ids=[f"{type(p).__name__}{p}" for p in EXPONENTS])
@pytest.mark.parametrize("base", BASES)
def test_value_and_tensor_agree(base: float, p: int | float) -> None:
    v = mg.Value(base)
    try:
        out = v**p
    except ValueError:  # the scalar engine refuses what is not a finite real number
        assert (p < 0 and base == 0.0) or (base < 0 and not float(p).is_integer())
        return
    out.backward()
    t = mg.Tensor(base, dtype="float64", requires_grad=True)
    tout = t**p
    tout.backward()
    # math.pow and NumPy's power may differ in the last bit; the zero, inf and NaN cases not.
    # (Signs of zero are not compared: a Value leaf accumulates into 0.0, and 0.0 + -0.0 = 0.0.)
    np.testing.assert_allclose(out.data, tout.data, rtol=1e-14, atol=0)
    np.testing.assert_allclose(v.grad, t.grad, rtol=1e-14, atol=0, equal_nan=True)  # type: ignore[arg-type]


# ------------------------------------------------------------------ second derivatives
def _second_derivatives(x0: np.ndarray, y0: np.ndarray) -> tuple[np.ndarray, ...]:
    """∂/∂x and ∂/∂y of (∂f/∂x + ∂f/∂y) for f = Σ x**y, in memograd and in torch."""
    x = mg.Tensor(x0, dtype="float64", requires_grad=True)
    y = mg.Tensor(y0, dtype="float64", requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # log 0, 0 · inf: NaN as in torch
        gx, gy = gradients((x**y).sum(), [x, y], create_graph=True)
        hx, hy = gradients(gx.sum() + gy.sum(), [x, y])
    tx, ty = torch.tensor(x0, requires_grad=True), torch.tensor(y0, requires_grad=True)
    tgx, tgy = torch.autograd.grad((tx**ty).sum(), [tx, ty], create_graph=True)
    thx, thy = torch.autograd.grad(tgx.sum() + tgy.sum(), [tx, ty])
    return gx.data, gy.data, hx, hy, tgx, tgy, thx, thy


def test_create_graph_first_derivatives_match_torch_and_the_plain_sweep() -> None:
    xs = np.array([b for b, _ in PAIRS])
    ys = np.array([float(e) for _, e in PAIRS])
    gx, gy, _, _, tgx, tgy, _, _ = _second_derivatives(xs, ys)
    x = mg.Tensor(xs, dtype="float64", requires_grad=True)
    y = mg.Tensor(ys, dtype="float64", requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        plain = gradients((x**y).sum(), [x, y])
    _assert_same(gx, tgx, "float64", "create_graph d/dx")
    _assert_same(gy, tgy, "float64", "create_graph d/dy")
    for recorded, swept in zip((gx, gy), plain, strict=True):  # the two VJP branches agree
        np.testing.assert_array_equal(recorded, swept)
        np.testing.assert_array_equal(np.signbit(recorded), np.signbit(swept))


def test_second_derivatives_match_torch_off_the_zero_exponent() -> None:
    xs, ys = np.meshgrid([0.0, 0.7, 1.5], [0.3, 1.0, 2.0, 2.5, 3.0])
    *_, hx, hy, _, _, thx, thy = _second_derivatives(xs.ravel(), ys.ravel())
    _assert_same(hx, thx, "float64", "d²/dx(..)")
    _assert_same(hy, thy, "float64", "d²/dy(..)")


def test_second_derivatives_at_zero_exponent_are_the_true_ones() -> None:
    """At y == 0 (x != 0), ∂²(x**y)/∂x∂y = 1/x. PyTorch's masked first derivative drops it
    (its double backward gives only the ∂²/∂y² part); memograd keeps the first derivative's
    values identical to PyTorch's but differentiates the real formula, checked here against
    central differences of the first derivatives."""
    x0, y0 = np.array([0.7, 1.5]), np.array([0.0, 0.0])
    *_, hx, hy, _, _, _, thy = _second_derivatives(x0, y0)

    def first(x: float, y: float) -> float:  # ∂f/∂x + ∂f/∂y, in closed form
        return y * x ** (y - 1) + x**y * math.log(x)

    h = 1e-6
    for i, x in enumerate(x0):
        dx = (first(x + h, 0.0) - first(x - h, 0.0)) / (2 * h)
        dy = (first(x, h) - first(x, -h)) / (2 * h)
        assert hx[i] == pytest.approx(dx, rel=1e-7)
        assert hy[i] == pytest.approx(dy, rel=1e-7)
        assert hy[i] == pytest.approx(1 / x + math.log(x) ** 2, rel=1e-12)
    assert not np.allclose(hy, thy.numpy())  # PyTorch's answer: log(x)² alone


@pytest.mark.parametrize("p", [0, 0.0, 0.3, 1, 2, 2.5, 3, -1])
def test_second_derivative_of_number_power_matches_torch(p: int | float) -> None:
    xs = np.array([0.0, 0.7, 1.5, -2.0])
    x = mg.Tensor(xs, dtype="float64", requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        (gx,) = gradients((x**p).sum(), [x], create_graph=True)
        (hx,) = gradients(gx.sum(), [x])
    tx = torch.tensor(xs, requires_grad=True)
    (tgx,) = torch.autograd.grad((tx**p).sum(), [tx], create_graph=True)
    # x ** 0: PyTorch's first derivative is a constant (zeros_like), so it has no graph.
    thx = torch.autograd.grad(tgx.sum(), [tx])[0] if tgx.requires_grad else torch.zeros(4)
    _assert_same(gx.data, tgx, "float64", f"d(x ** {p!r})/dx")
    _assert_same(hx, thx.double(), "float64", f"d²(x ** {p!r})/dx²")
