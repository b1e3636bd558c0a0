"""Forward mode and the functional API (issue 16): jvp, vjp, linearize, jacfwd, jacrev and
hessian against torch.func in float64, the forward sweep's counted work and flat memory, and
the clear error of a primitive without a JVP."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import memograd as mg
from memograd.forward import counting
from memograd.tensor import defop
from memograd.tensor import functional as F

torch = pytest.importorskip("torch")
tf = torch.func

TOL = 1e-10
RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 4))
W = RNG.normal(size=(4, 4))
POS = np.abs(RNG.normal(size=(3, 4))) + 0.5


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64)


def _close(ours: object, theirs: object) -> None:
    if isinstance(theirs, tuple | list):
        assert isinstance(ours, tuple | list) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            _close(a, b)
        return
    b = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    a = np.asarray(ours)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=TOL, atol=TOL)


# One function per primitive family: (name, memograd function, torch function, primal).
# Every derivation of the JVP (linear, multilinear, self_adjoint, elementwise, reduction) and
# every explicit rule is on some path here.
CASES = [
    ("tanh_matmul", lambda x: (x @ mg.Tensor(W)).tanh() * x, lambda x: (x @ _t(W)).tanh() * x, X),
    (
        "sigmoid_relu",
        lambda x: x.sigmoid() + (x * 2.0).relu(),
        lambda x: x.sigmoid() + (x * 2.0).relu(),
        X,
    ),
    (
        "exp_log_sqrt",
        lambda x: (x.exp() + x.log() * x.sqrt()) / x,
        lambda x: (x.exp() + x.log() * x.sqrt()) / x,
        POS,
    ),
    ("pow", lambda x: x**3.0 + x**x, lambda x: x**3.0 + x**x, POS),
    (
        "div_sub_neg",
        lambda x: (1.0 - x) / (x + 3.0) - (-x),
        lambda x: (1.0 - x) / (x + 3.0) - (-x),
        POS,
    ),
    ("softmax", lambda x: F.softmax(x, axis=-1) * x, lambda x: torch.softmax(x, -1) * x, X),
    ("log_softmax", lambda x: F.log_softmax(x, axis=1), lambda x: torch.log_softmax(x, 1), X),
    (
        "reductions",
        lambda x: x.sum(axis=0) * x.mean(axis=0) + x.max(axis=1).sum(),
        lambda x: x.sum(0) * x.mean(0) + x.amax(1).sum(),
        X,
    ),
    (
        "var_std_lse",
        lambda x: x.var(axis=1) + x.std(axis=0).sum() + mg.tensor.statistics.logsumexp(x, axis=1),
        lambda x: x.var(1, correction=0) + x.std(0, correction=0).sum() + torch.logsumexp(x, 1),
        X,
    ),
    ("prod_min", lambda x: x.prod(axis=1) + x.min(axis=1), lambda x: x.prod(1) + x.amin(1), X),
    (
        "shape",
        lambda x: x.reshape(4, 3).T[1:, ::2] * 2.0,
        lambda x: x.reshape(4, 3).T[1:, ::2] * 2.0,
        X,
    ),
    (
        "concat_stack",
        lambda x: (
            F.concatenate([x, x * x], axis=0).sum(axis=0)
            + mg.tensor.shape.stack([x, x.exp()]).sum(axis=0).sum(axis=0)
        ),
        lambda x: torch.cat([x, x * x], 0).sum(0) + torch.stack([x, x.exp()]).sum(0).sum(0),
        X,
    ),
    (
        "maximum_where",
        lambda x: (
            mg.tensor.pointwise.maximum(x, x * x * 0.5)
            + mg.tensor.elementwise.where(x.data > 0, x, x.sin())
        ),
        lambda x: torch.maximum(x, x * x * 0.5) + torch.where(x > 0, x, x.sin()),
        X,
    ),
    (
        "einsum_cumsum",
        lambda x: mg.tensor.einsum("ij,kj->ik", x, x.cos()) + x.cumsum(axis=1).sum(),
        lambda x: torch.einsum("ij,kj->ik", x, x.cos()) + x.cumsum(1).sum(),
        X,
    ),
    (
        "linear_fused",
        lambda x: F.linear(x, mg.Tensor(W), mg.Tensor(W[0]), activation="tanh"),
        lambda x: torch.tanh(x @ _t(W) + _t(W[0])),
        X,
    ),
    (
        "smooth",
        lambda x: (
            mg.tensor.smooth.gelu(x) + mg.tensor.smooth.softplus(x) * mg.tensor.smooth.silu(x)
        ),
        lambda x: (
            torch.nn.functional.gelu(x)
            + torch.nn.functional.softplus(x) * torch.nn.functional.silu(x)
        ),
        X,
    ),
    (
        "pad_tile",
        lambda x: (
            mg.tensor.layout.pad(x, 1, constant_values=2.0).sum(axis=0)
            + mg.tensor.layout.tile(x, (1, 2)).sum(axis=1).sum()
        ),
        lambda x: (
            torch.nn.functional.pad(x, (1, 1, 1, 1), value=2.0).sum(0) + x.tile(1, 2).sum(1).sum()
        ),
        X,
    ),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize(("name", "f", "g", "x"), CASES, ids=IDS)
def test_jvp_equals_torch_func(name, f, g, x):
    v = RNG.normal(size=x.shape)
    out, tangent = mg.jvp(f, (x,), (v,))
    out_t, tangent_t = tf.jvp(g, (_t(x),), (_t(v),))
    _close(out, out_t)
    _close(tangent, tangent_t)


@pytest.mark.parametrize(("name", "f", "g", "x"), CASES, ids=IDS)
def test_jacfwd_and_jacrev_equal_torch_func(name, f, g, x):
    _close(mg.jacfwd(f)(x), tf.jacfwd(g)(_t(x)))
    _close(mg.jacrev(f)(x), tf.jacrev(g)(_t(x)))


def test_vjp_equals_torch_func_for_each_primal_and_cotangent():
    f = lambda x, y: (x @ y).tanh() * x  # noqa: E731
    g = lambda x, y: (x @ y).tanh() * x  # noqa: E731
    out, vjp_fn = mg.vjp(f, X, W)
    out_t, vjp_t = tf.vjp(g, _t(X), _t(W))
    _close(out, out_t)
    for _ in range(2):  # the graph is kept for another cotangent
        u = RNG.normal(size=X.shape)
        _close(vjp_fn(u), vjp_t(_t(u)))


def test_linearize_equals_torch_func():
    f = lambda x: (x * x.sin()).exp()  # noqa: E731
    out, jvp_fn = mg.linearize(f, X)
    out_t, jvp_t = tf.linearize(f, _t(X))
    _close(out, out_t)
    for _ in range(2):
        v = RNG.normal(size=X.shape)
        _close(jvp_fn(v), jvp_t(_t(v)))


def test_jvp_with_two_primals_and_a_tuple_output():
    f = lambda x, y: (x * y, (x @ y.T).sum())  # noqa: E731
    primals, tangents = (X, POS), (RNG.normal(size=X.shape), RNG.normal(size=X.shape))
    ours = mg.jvp(f, primals, tangents)
    theirs = tf.jvp(f, tuple(map(_t, primals)), tuple(map(_t, tangents)))
    _close(ours, theirs)


def test_argnums_tuples_equal_torch_func():
    f = lambda x, y: (x @ y).sigmoid()  # noqa: E731
    for ours, theirs in ((mg.jacfwd, tf.jacfwd), (mg.jacrev, tf.jacrev)):
        _close(ours(f, argnums=(0, 1))(X, W), theirs(f, argnums=(0, 1))(_t(X), _t(W)))
        _close(ours(f, argnums=1)(X, W), theirs(f, argnums=1)(_t(X), _t(W)))


HESSIANS = [
    (
        "elementwise",
        lambda x: (x.tanh() * x.exp()).sum(),
        lambda x: (x.tanh() * x.exp()).sum(),
        X[0],
    ),
    (
        "log_softmax_matmul",
        lambda x: F.log_softmax(x @ x.T, axis=1).sum() + (x**3.0).mean(),
        lambda x: torch.log_softmax(x @ x.T, 1).sum() + (x**3.0).mean(),
        X,
    ),
    (
        "linear_sigmoid_var",
        lambda x: F.linear(x, mg.Tensor(W), activation="sigmoid").var(),
        lambda x: torch.sigmoid(x @ _t(W)).var(correction=0),
        X,
    ),
    (
        "max_std_lse",
        lambda x: x.max() + x.std() * mg.tensor.statistics.logsumexp(x),
        lambda x: x.max() + x.std(correction=0) * torch.logsumexp(x.reshape(-1), 0),
        X,
    ),
]


@pytest.mark.parametrize(("name", "f", "g", "x"), HESSIANS, ids=[h[0] for h in HESSIANS])
def test_hessian_equals_torch_func(name, f, g, x):
    _close(mg.hessian(f)(x), tf.hessian(g)(_t(x)))


def test_hessian_argnums_tuple_is_nested_like_torch():
    f = lambda x, y: ((x * y).sin()).sum()  # noqa: E731
    a, b = X[0], POS[0]
    _close(mg.hessian(f, argnums=(0, 1))(a, b), tf.hessian(f, argnums=(0, 1))(_t(a), _t(b)))


def test_forward_sweep_work_is_counted_one_rule_per_op_per_input():
    depth, n = 5, 4
    x = RNG.normal(size=n)

    def f(x):
        for _ in range(depth):
            x = (x * 0.5).tanh()  # two primitives per layer
        return x.sum()

    with counting() as c:
        jac = mg.jacfwd(f)(x)
    assert c.sweeps == n  # one forward sweep per input element
    assert c.jvp_rules == n * (2 * depth + 1)
    assert c.by_primitive == {"mul": n * depth, "tanh": n * depth, "sum": n}
    _close(jac, tf.jacfwd(lambda t: _torch_chain(t, depth))(_t(x)))


def _torch_chain(x, depth):
    for _ in range(depth):
        x = (x * 0.5).tanh()
    return x.sum()


def test_forward_sweep_records_no_graph_and_its_memory_does_not_grow_with_depth():
    x = RNG.normal(size=20_000)  # 160 kB per array: large against Python's own allocations

    def chain(depth):
        def f(x):
            for _ in range(depth):
                x = (x * 0.9).sin()
            return x

        return f

    def peak(run):
        tracemalloc.start()
        try:
            run()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    forward = [peak(lambda d=d: mg.jvp(chain(d), (x,), (x,))) for d in (10, 80)]
    reverse = [peak(lambda d=d: mg.vjp(chain(d), x)) for d in (10, 80)]
    assert forward[1] < 1.3 * forward[0]  # flat: only the live values' tangents
    assert reverse[1] > 4 * reverse[0]  # the recorded graph grows with depth


def test_a_primitive_without_a_jvp_is_named_in_the_error():
    cube = defop("cube", lambda xp, x: x * x * x, lambda xp, g, x, y: (g * 3 * x * x,))
    with pytest.raises(NotImplementedError, match=r"'cube'.*no JVP rule"):
        mg.jvp(lambda x: cube(x), (X,), (X,))
    # the same op with a JVP rule joins forward mode, and agrees with torch
    cube = defop(
        "cube",
        lambda xp, x: x * x * x,
        lambda xp, g, x, y: (g * 3 * x * x,),
        jvp=lambda xp, tangents, x, y: 3 * x * x * tangents[0],
    )
    _close(mg.jacfwd(lambda x: cube(x))(X[0]), tf.jacfwd(lambda x: x**3)(_t(X[0])))
    # a hand-written node (a checkpointed segment) has no JVP: refused, not a zero tangent
    with pytest.raises(NotImplementedError, match="hand-written backward"):
        mg.hessian(lambda x: mg.checkpoint(lambda a: (a * a).tanh(), x).sum())(X[0])


def test_cross_entropy_and_dropout_jvps():
    labels = np.array([0, 3, 2])
    v = RNG.normal(size=X.shape)
    out, tangent = mg.jvp(lambda x: F.cross_entropy(x, labels), (X,), (v,))
    _close(
        (out, tangent),
        tf.jvp(
            lambda x: torch.nn.functional.cross_entropy(x, _t(labels).long()), (_t(X),), (_t(v),)
        ),
    )
    _close(
        mg.hessian(lambda x: F.cross_entropy(x, labels))(X),
        tf.hessian(lambda x: torch.nn.functional.cross_entropy(x, _t(labels).long()))(_t(X)),
    )
    # dropout's mask is drawn once per application and its tangent uses that same mask
    layer = mg.nn.Dropout(0.5, seed=0).train()
    out, tangent = mg.jvp(lambda x: layer(x), (POS,), (v,))
    mask = out / POS
    assert set(np.unique(mask.round(12))) <= {0.0, 2.0} and 0 < mask.sum() < 2 * mask.size
    _close(tangent, mask * v)


def test_bad_inputs_give_clear_errors():
    f = lambda x: x * x  # noqa: E731
    with pytest.raises(ValueError, match=r"tangent 0 must have its primal's shape \(3, 4\)"):
        mg.jvp(f, (X,), (X[0],))
    with pytest.raises(TypeError, match="`primals`, expected a tuple"):
        mg.jvp(f, X, (X,))
    with pytest.raises(ValueError, match="one tangent per primal"):
        mg.jvp(f, (X,), (X, X))
    with pytest.raises(TypeError, match="must return a Tensor"):
        mg.jvp(lambda x: 3.0, (X,), (X,))
    with pytest.raises(ValueError, match=r"`inner`, expected 'reverse' or 'forward'"):
        mg.hessian(f, inner="backward")
    _, vjp_fn = mg.vjp(f, X)
    with pytest.raises(ValueError, match=r"cotangent must have the output's shape \(3, 4\)"):
        vjp_fn(X[0])
    with pytest.raises(ValueError, match="argnums"):
        mg.jacfwd(f, argnums=2)(X)
