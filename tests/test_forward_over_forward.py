"""Forward over forward (second-order forward mode): jacfwd of jacfwd, jvp of jvp and
hessian(inner="forward") agree with torch.func to 1e-10 in float64, through every kind of
JVP rule (derived from the forward, from the VJP, written out, with residuals)."""

from __future__ import annotations

import numpy as np
import pytest

import memograd as mg
from memograd.forward import counting
from memograd.nn import losses
from memograd.nn.normalization import NormalizeAffine
from memograd.tensor import _primitive
from memograd.tensor import functional as F
from memograd.tensor._primitive import apply

torch = pytest.importorskip("torch")
tf = torch.func
TF = torch.nn.functional

TOL = 1e-10
RNG = np.random.default_rng(3)
X = RNG.normal(size=(2, 3))
W = RNG.normal(size=(3, 3))
Y = RNG.normal(size=(2, 3))
LABELS = np.array([2, 0])
POS = np.abs(X) + 0.5


def _t(a):
    return torch.tensor(a, dtype=torch.float64)


def _close(ours, theirs):
    np.testing.assert_allclose(np.asarray(ours), theirs.detach().numpy(), rtol=TOL, atol=TOL)


# scalar functions (name, memograd, torch, x): each rule family on the way
SCALARS = [
    (
        "matmul_tanh_mul",
        lambda x: ((x @ mg.Tensor(W)).tanh() * x).sum(),
        lambda x: ((x @ _t(W)).tanh() * x).sum(),
        X,
    ),
    (
        "div_pow_exp_log",
        lambda x: (x.exp() / x + x**x + x.log() * x.sqrt()).sum(),
        lambda x: (x.exp() / x + x**x + x.log() * x.sqrt()).sum(),
        POS,
    ),
    (
        "softmax_logsumexp_var",
        lambda x: (F.softmax(x, axis=1) * x).sum() + mg.tensor.statistics.logsumexp(x) + x.var(),
        lambda x: (
            (torch.softmax(x, 1) * x).sum()
            + torch.logsumexp(x.reshape(-1), 0)
            + x.var(correction=0)
        ),
        X,
    ),
    (
        "log_softmax_max",
        lambda x: F.log_softmax(x @ x.T, axis=1).sum() + x.max(),
        lambda x: torch.log_softmax(x @ x.T, 1).sum() + x.max(),
        X,
    ),
    (
        "linear_sigmoid",
        lambda x: F.linear(x, mg.Tensor(W), activation="sigmoid").var(),
        lambda x: torch.sigmoid(x @ _t(W)).var(correction=0),
        X,
    ),
    (
        "cross_entropy_labels",
        lambda x: F.cross_entropy(x * x, LABELS),
        lambda x: TF.cross_entropy(x * x, _t(LABELS).long()),
        X,
    ),
    (
        "huber_bce",
        lambda x: (
            losses.huber(x * x, Y, delta=0.5)
            + losses.binary_cross_entropy(x, (Y > 0).astype(float))
        ),
        lambda x: (
            TF.huber_loss(x * x, _t(Y), delta=0.5)
            + TF.binary_cross_entropy_with_logits(x, _t((Y > 0).astype(float)))
        ),
        X,
    ),
    (
        "layer_norm",
        lambda x: (
            apply(NormalizeAffine((1,), 1e-5), (x, mg.Tensor(W[0]), mg.Tensor(W[1]))) ** 3.0
        ).sum(),
        lambda x: (TF.layer_norm(x, (3,), _t(W[0]), _t(W[1]), eps=1e-5) ** 3.0).sum(),
        X,
    ),
]
IDS = [c[0] for c in SCALARS]


# torch 2.13's own forward over forward is no reference here: huber_loss has no
# forward-mode derivative of its backward (NotImplementedError), and layer_norm's
# jacfwd(jacfwd) differs from its jacrev(jacrev) and hessian by ~270 on this input
TORCH_FWD_FWD_UNUSABLE = {"huber_bce", "layer_norm"}


@pytest.mark.parametrize(("name", "f", "g", "x"), SCALARS, ids=IDS)
def test_hessian_by_forward_over_forward_equals_torch(name, f, g, x):
    expected = tf.hessian(g)(_t(x))
    _close(mg.hessian(f, inner="forward")(x), expected)
    _close(mg.jacfwd(mg.jacfwd(f))(x), tf.jacrev(tf.jacrev(g))(_t(x)))
    if name not in TORCH_FWD_FWD_UNUSABLE:
        _close(mg.jacfwd(mg.jacfwd(f))(x), tf.jacfwd(tf.jacfwd(g))(_t(x)))
    # and forward over reverse, the default, gives the same matrix
    _close(mg.hessian(f)(x), expected)


def test_jacfwd_of_jacfwd_of_a_vector_function_and_a_third_order():
    f = lambda x: (x @ mg.Tensor(W)).sin() * x.exp()  # noqa: E731
    g = lambda x: (x @ _t(W)).sin() * x.exp()  # noqa: E731
    _close(mg.jacfwd(mg.jacfwd(f))(X[0]), tf.jacfwd(tf.jacfwd(g))(_t(X[0])))
    h = lambda x: (x**3.0).sum() * x.tanh().sum()  # noqa: E731
    third = mg.jacfwd(mg.jacfwd(mg.jacfwd(h)))(X[0])
    _close(third, tf.jacfwd(tf.jacfwd(tf.jacfwd(h)))(_t(X[0])))


def test_jvp_of_jvp_equals_torch():
    u, v = RNG.normal(size=X.shape), RNG.normal(size=X.shape)
    f = lambda x: (x.tanh() * x @ mg.Tensor(W)).sum(axis=1)  # noqa: E731
    g = lambda x: (x.tanh() * x @ _t(W)).sum(1)  # noqa: E731
    out, second = mg.jvp(lambda x: mg.jvp(f, (x,), (v,))[1], (X,), (u,))
    out_t, second_t = tf.jvp(lambda x: tf.jvp(g, (x,), (_t(v),))[1], (_t(X),), (_t(u),))
    _close(out, out_t)
    _close(second, second_t)


def test_forward_over_forward_counts_every_sweep_and_records_no_graph():
    n = X[0].size
    with counting() as c:
        hess = mg.hessian(lambda x: (x * x * x).sum(), inner="forward")(X[0])
    assert c.sweeps == n + n * n  # n outer sweeps, each running n inner ones
    # each inner sweep applies mul, mul and sum with a tangent; each rule of the inner level
    # runs as Tensor ops (the outer level's tangents) and is counted as well
    assert c.by_primitive["sum"] >= n * n and c.jvp_rules > 3 * n * n
    np.testing.assert_allclose(hess, np.diag(6 * X[0]), rtol=1e-12)
    assert _primitive.forward_mode == 0
    x = mg.Tensor(X[0], requires_grad=True)
    assert mg.jacfwd(mg.jacfwd(lambda t: (t * t).sum()))(x).shape == (n, n)
    assert x.grad is None  # nothing was recorded on the argument
