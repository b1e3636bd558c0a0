"""`Value`: values and gradients against PyTorch float64 and central differences; errors."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

import memograd as mg
from memograd.scalar import Value, squared_error, value_sum, weighted_sum

UnaryFn = Callable[[Value], Value]
BinaryFn = Callable[[Value, Value], Value]

# (name, function on Values, points where it is smooth)
UNARY: list[tuple[str, UnaryFn, list[float]]] = [
    ("neg", lambda x: -x, [-1.5, 0.3]),
    ("relu", lambda x: x.relu(), [-1.2, 0.7]),
    ("tanh", lambda x: x.tanh(), [-2.0, 0.1, 1.3]),
    ("sigmoid", lambda x: x.sigmoid(), [-3.0, 0.0, 2.5]),
    ("exp", lambda x: x.exp(), [-1.0, 0.5]),
    ("log", lambda x: x.log(), [0.2, 3.0]),
    ("abs", lambda x: abs(x), [-0.8, 1.1]),
    ("pow2", lambda x: x**2, [-1.3, 0.4]),
    ("pow-1", lambda x: x**-1, [-2.0, 0.6]),
    ("pow0.5", lambda x: x**0.5, [0.3, 2.0]),
    ("add_const", lambda x: x + 2.5, [0.1]),
    ("radd_const", lambda x: 2.5 + x, [0.1]),
    ("sub_const", lambda x: x - 2.5, [0.1]),
    ("rsub_const", lambda x: 2.5 - x, [0.1]),
    ("mul_const", lambda x: x * -1.5, [0.7]),
    ("rmul_const", lambda x: -1.5 * x, [0.7]),
    ("div_const", lambda x: x / 4.0, [0.7]),
    ("rdiv_const", lambda x: 4.0 / x, [0.7, -1.9]),
]

BINARY: list[tuple[str, BinaryFn]] = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b),
]


def central_difference(f: Callable[[list[float]], float], xs: list[float], i: int) -> float:
    h = 1e-6 * max(1.0, abs(xs[i]))
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(up) - f(down)) / (2 * h)


def grads_of(f: Callable[..., Value], xs: list[float]) -> tuple[float, list[float]]:
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


@pytest.mark.parametrize(("name", "fn", "points"), UNARY, ids=[u[0] for u in UNARY])
def test_unary_gradient_matches_finite_differences(
    name: str, fn: UnaryFn, points: list[float]
) -> None:
    for x in points:
        _, (grad,) = grads_of(fn, [x])
        numeric = central_difference(lambda v: fn(Value(v[0])).data, [x], 0)
        assert grad == pytest.approx(numeric, rel=1e-6, abs=1e-8), (name, x)


@pytest.mark.parametrize(("name", "fn"), BINARY, ids=[b[0] for b in BINARY])
def test_binary_gradient_matches_finite_differences(name: str, fn: BinaryFn) -> None:
    for xs in ([1.3, -0.7], [-2.0, 0.5]):
        _, grads = grads_of(fn, xs)
        for i in range(2):
            numeric = central_difference(lambda v: fn(Value(v[0]), Value(v[1])).data, xs, i)
            assert grads[i] == pytest.approx(numeric, rel=1e-6, abs=1e-8), (name, xs, i)


def test_nary_ops_match_finite_differences() -> None:
    def f(w1: Value, w2: Value, x2: Value, b: Value) -> Value:
        z = weighted_sum([w1, w2], [0.5, x2], b)
        return squared_error([z.tanh(), value_sum([z, 1.0, w1])], [0.2, -0.3])

    xs = [0.4, -1.1, 0.9, 0.3]
    _, grads = grads_of(f, xs)
    for i in range(4):
        numeric = central_difference(lambda v: f(*(Value(t) for t in v)).data, xs, i)
        assert grads[i] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_values_and_gradients_match_torch_float64() -> None:
    torch = pytest.importorskip("torch")
    xs = [0.7, -1.3, 2.1]

    def expression(a, b, c, *, ops):  # type: ignore[no-untyped-def]
        s = ops["sigmoid"](a * b + 3.0)
        t = ops["tanh"](c / (1.5 - b))
        u = ops["relu"](a - c) + ops["relu"](c - a) * 2.0
        v = ops["exp"](-(a**2)) + ops["log"](c * c + 0.5) + ops["abs"](b) ** 1.5
        return s * t + u / (v + 1.0) - 1.0 / c

    value_ops = {
        "sigmoid": Value.sigmoid,
        "tanh": Value.tanh,
        "relu": Value.relu,
        "exp": Value.exp,
        "log": Value.log,
        "abs": abs,
    }
    torch_ops = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "exp": torch.exp,
        "log": torch.log,
        "abs": torch.abs,
    }
    ours = [Value(x) for x in xs]
    out = expression(*ours, ops=value_ops)
    out.backward()
    theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    ref = expression(*theirs, ops=torch_ops)
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-14)
    for v, t in zip(ours, theirs, strict=True):
        assert v.grad == pytest.approx(t.grad.item(), rel=1e-12, abs=1e-15)


def test_micrograd_example_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xt = torch.tensor(-4.0, dtype=torch.float64, requires_grad=True)
    zt = 2 * xt + 2 + xt
    qt = zt.relu() + zt * xt
    ht = (zt * zt).relu()
    yt = ht + qt + qt * xt
    yt.backward()
    assert y.data == yt.item()
    assert x.grad == xt.grad.item()


def test_graph_structure_and_sweep_stats() -> None:
    x = Value(3.0)
    sq = x * x
    assert sq._parents == (x, x)  # one edge per use
    assert sq._local_derivatives() == (3.0, 3.0)
    assert sq.op == "*"
    assert (x + 2)._parents == (x,)  # numbers are folded into the op, not parents
    y = sq + x
    stats = y.backward()
    assert x.grad == 7.0
    assert (stats.nodes, stats.edges, stats.adjoint_reuses, stats.leaves) == (3, 4, 2, 1)
    assert stats.saved_bytes == 8 * 4  # one float per edge
    # y's adjoint feeds 2 edges, sq's feeds 2: each stored adjoint is reused once


def test_backward_accumulates_and_release() -> None:
    x = Value(2.0)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad == 8.0  # accumulated, like PyTorch
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_backward_seed_and_non_grad_root() -> None:
    x = Value(2.0)
    (x * 3).backward(0.5)
    assert x.grad == 1.5
    c = Value(1.0, requires_grad=False) * 2.0
    assert not c.requires_grad and c._parents == ()
    with pytest.raises(RuntimeError, match="does not require grad"):
        c.backward()


def test_no_grad_is_honoured() -> None:
    x = Value(2.0)
    with mg.no_grad():
        y = x * x
        z = weighted_sum([x], [3.0], x).sigmoid()
    assert not y.requires_grad and y._parents == ()
    assert not z.requires_grad and z._parents == ()
    assert y.data == 4.0
    assert (x * x).requires_grad  # recording is back on


@pytest.mark.parametrize("x", [1e4, -1e4, 745.0, -745.0])
def test_sigmoid_and_tanh_are_stable(x: float) -> None:
    for fn in (Value.sigmoid, Value.tanh):
        v = Value(x)
        out = fn(v)
        out.backward()
        assert math.isfinite(out.data) and math.isfinite(v.grad)
        assert abs(out.data) <= 1.0


def test_exp_overflow_gives_inf_not_an_exception() -> None:
    assert Value(1e4).exp().data == math.inf


def test_relu_passes_nan_through_as_torch_and_the_tensor_engine() -> None:
    import numpy as np

    torch = pytest.importorskip("torch")
    v = Value(math.nan)
    out = v.relu()
    out.backward()
    assert math.isnan(out.data)  # not 0.0: a NaN is not silently turned into a number
    assert math.isnan(torch.relu(torch.tensor(math.nan, dtype=torch.float64)).item())
    assert np.isnan(mg.Tensor([math.nan]).relu().data).all()
    assert v.grad == 0.0  # the derivative 1[x > 0], as micrograd's and the Tensor engine's
    assert Value(-0.0).relu().data == 0.0 and Value(2.5).relu().data == 2.5


def test_hundred_thousand_node_chain() -> None:
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    stats = y.backward()
    assert x.grad == 1.0
    assert stats.nodes == 200_001


def test_pow_with_value_exponent_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="expected a number"):
        Value(2.0) ** Value(3.0)  # type: ignore[operator]


def test_log_of_non_positive_names_the_value() -> None:
    with pytest.raises(ValueError, match=r"positive values only. Received: -2.0"):
        Value(-2.0).log()
    with pytest.raises(ValueError, match=r"Received: 0\.0"):
        Value(0.0).log()


def test_bad_operands_and_data() -> None:
    with pytest.raises(TypeError, match="Received: 'a'"):
        Value(1.0) + "a"  # type: ignore[operator]
    with pytest.raises(TypeError, match="expected a real number"):
        Value("1.0")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative base"):
        Value(-8.0) ** 0.5
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / Value(0.0)
    with pytest.raises(ValueError, match="as many weights as inputs"):
        weighted_sum([Value(1.0)], [1.0, 2.0])


def test_repr_label_and_slots() -> None:
    w = Value(0.5, label="w¹₁₁")
    assert repr(w) == "Value(data=0.5, grad=0.0, label='w¹₁₁')"
    assert "op='tanh'" in repr(w.tanh())
    with pytest.raises(AttributeError):
        w.extra = 1  # type: ignore[attr-defined]


def test_value_is_exported() -> None:
    assert mg.Value is Value
    assert mg.scalar.Value is Value
