"""Every primitive has a forward-mode (JVP) rule, and the rules added for the losses and the
normalization agree with finite differences (float64) and with torch.func.jvp."""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest

import memograd as mg
from memograd.nn import losses
from memograd.nn.normalization import NormalizeAffine
from memograd.tensor import _primitive
from memograd.tensor import functional as F
from memograd.tensor._primitive import Primitive, apply

torch = pytest.importorskip("torch")
tf = torch.func
TF = torch.nn.functional

RNG = np.random.default_rng(7)
Z = RNG.normal(size=(6, 3))
Y = RNG.normal(size=(6, 3))
BITS = (RNG.random(size=(6, 3)) > 0.5).astype(np.float64)
SOFT = RNG.dirichlet(np.ones(3), size=6)
GAMMA, BETA = RNG.normal(size=3), RNG.normal(size=3)

# user ops (defop: `jvp=` is optional, its absence is named when used) and hand-written
# checkpoint nodes (no definition to interpret) are the only primitives without a rule
EXEMPT = {"DefinedOp", "HandWritten"}


def _all_primitives() -> set[type]:
    import memograd

    for info in pkgutil.walk_packages(memograd.__path__, "memograd."):
        if info.name.endswith("__main__"):  # (runs the CLI)
            continue
        try:
            importlib.import_module(info.name)
        except ImportError:  # an optional dependency (the ONNX exporter, the redis store)
            continue
    found: set[type] = set()
    todo = [Primitive]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    return found


def test_every_primitive_has_a_jvp_rule():
    prims = _all_primitives()
    assert len({p.__name__ for p in prims}) > 60  # the enumeration did find the ops
    missing = sorted(
        f"{p.__module__}.{p.__name__}"
        for p in prims
        if p.__name__ not in EXEMPT and not p.has_jvp()
    )
    assert not missing, f"primitives without a JVP (forward mode): {missing}"


def _t(a):
    return torch.tensor(a, dtype=torch.float64)


def _finite_difference(f, primals, tangents, h=1e-6):
    plus = f(*(p + h * t for p, t in zip(primals, tangents, strict=True)))
    minus = f(*(p - h * t for p, t in zip(primals, tangents, strict=True)))
    return (np.asarray(plus) - np.asarray(minus)) / (2 * h)


def _value(f):
    """f on arrays, through memograd Tensors (for the finite differences)."""
    return lambda *arrays: f(*(mg.Tensor(a) for a in arrays)).data


def _batch_norm(x, g, b):
    return apply(NormalizeAffine((0,), 1e-5), (x, g, b))


def _layer_norm(x, g, b):
    return apply(NormalizeAffine((1,), 1e-5), (x, g, b))


# (name, memograd f, torch f, primals): every primal gets a random tangent
CASES = [
    ("mae", lambda z: losses.mae(z, Y), lambda z: TF.l1_loss(z, _t(Y)), (Z,)),
    (
        "huber",
        lambda z: losses.huber(z, Y, delta=0.7),
        lambda z: TF.huber_loss(z, _t(Y), delta=0.7),
        (Z,),
    ),
    (
        "bce_logits",
        lambda z: losses.binary_cross_entropy(z, BITS),
        lambda z: TF.binary_cross_entropy_with_logits(z, _t(BITS)),
        (Z * 3,),
    ),
    (
        "cross_entropy_soft",
        lambda z, p: F.cross_entropy(z, p),
        lambda z, p: TF.cross_entropy(z, p),
        (Z, SOFT),
    ),
    (
        "batch_norm",
        _batch_norm,
        lambda x, g, b: TF.batch_norm(x, None, None, g, b, training=True, eps=1e-5),
        (Z, GAMMA, BETA),
    ),
    (
        "layer_norm",
        _layer_norm,
        lambda x, g, b: TF.layer_norm(x, (3,), g, b, eps=1e-5),
        (Z, GAMMA, BETA),
    ),
]


@pytest.mark.parametrize(("name", "f", "g", "primals"), CASES, ids=[c[0] for c in CASES])
def test_jvp_rule_equals_finite_differences_and_torch(name, f, g, primals):
    tangents = tuple(RNG.normal(size=p.shape) for p in primals)
    out, tangent = mg.jvp(f, primals, tangents)
    out_t, tangent_t = tf.jvp(g, tuple(map(_t, primals)), tuple(map(_t, tangents)))
    np.testing.assert_allclose(out, out_t.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(tangent, tangent_t.numpy(), rtol=1e-10, atol=1e-10)
    fd = _finite_difference(_value(f), primals, tangents)
    np.testing.assert_allclose(tangent, fd, rtol=1e-6, atol=1e-7)
    # each input's tangent alone: the rule's per-input terms
    for k in range(len(primals)):
        only = tuple(t if i == k else np.zeros_like(t) for i, t in enumerate(tangents))
        _, part = mg.jvp(f, primals, only)
        _, part_t = tf.jvp(g, tuple(map(_t, primals)), tuple(map(_t, only)))
        np.testing.assert_allclose(part, part_t.numpy(), rtol=1e-10, atol=1e-10)


def test_batch_normalization_layer_in_training_forward_mode_equals_torch():
    layer = mg.nn.BatchNormalization(dtype="float64")
    layer(mg.Tensor(Z))  # builds γ, β
    layer.train()
    v = RNG.normal(size=Z.shape)
    out, tangent = mg.jvp(lambda x: layer(x), (Z,), (v,))
    gamma, beta = _t(layer.gamma.data), _t(layer.beta.data)
    expected = tf.jvp(
        lambda x: TF.batch_norm(x, None, None, gamma, beta, training=True, eps=1e-5),
        (_t(Z),),
        (_t(v),),
    )
    np.testing.assert_allclose(out, expected[0].numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(tangent, expected[1].numpy(), rtol=1e-10, atol=1e-10)


def test_the_jvp_counts_name_the_new_rules():
    from memograd.forward import counting

    with counting() as c:
        mg.jvp(lambda z: losses.huber(z, Y) + losses.mae(z, Y), (Z,), (Y,))
    assert c.by_primitive["huber"] == c.by_primitive["mae"] == 1
    assert _primitive.forward_mode == 0
