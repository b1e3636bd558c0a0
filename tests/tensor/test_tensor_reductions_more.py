"""min, prod, var, std (ddof/correction), logsumexp, cumsum against torch (values and
gradients, float32/float64) and finite differences; argmax/argmin as NumPy's."""

import numpy as np
import pytest
from _torch_check import against_torch, by_finite_differences

import memograd as mg

torch = pytest.importorskip("torch")
T = mg.tensor
rng = np.random.default_rng(5)
X = rng.uniform(-2, 2, (3, 4, 2))

CASES = [
    ("min_all", lambda t: t.min(), lambda t: t.amin()),
    ("min_axis", lambda t: T.min(t, axis=1), lambda t: t.amin(dim=1)),
    ("min_axes_keep", lambda t: t.min((0, 2), keepdims=True), lambda t: t.amin((0, 2), True)),
    ("prod_all", lambda t: t.prod(), lambda t: t.prod()),
    ("prod_axis", lambda t: T.prod(t, axis=-1), lambda t: t.prod(dim=-1)),
    ("var", lambda t: t.var(), lambda t: t.var(correction=0)),
    ("var_ddof1", lambda t: T.var(t, axis=1, ddof=1), lambda t: t.var(dim=1)),
    ("var_correction", lambda t: t.var(0, correction=1), lambda t: t.var(dim=0, correction=1)),
    ("std", lambda t: t.std(axis=(0, 1)), lambda t: t.std(dim=(0, 1), correction=0)),
    ("std_ddof_keep", lambda t: T.std(t, 2, 1, True), lambda t: t.std(2, keepdim=True)),
    ("logsumexp", lambda t: t.logsumexp(), lambda t: t.logsumexp(dim=(0, 1, 2))),
    ("logsumexp_axis", lambda t: T.logsumexp(t, 1, True), lambda t: t.logsumexp(1, True)),
    ("cumsum", lambda t: t.cumsum(axis=1), lambda t: t.cumsum(dim=1)),
    ("cumsum_flat", lambda t: T.cumsum(t), lambda t: t.reshape(-1).cumsum(0)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "ours", "theirs"), CASES, ids=[c[0] for c in CASES])
def test_equal_torch_and_finite_differences(name, ours, theirs, dtype) -> None:
    against_torch(ours, theirs, [X], dtype)
    by_finite_differences(ours, [X])


@pytest.mark.parametrize("zeros", [1, 2])
def test_prod_gradient_with_zeros_equals_torch(zeros) -> None:
    x = X.copy()
    x[0, :zeros, 0] = 0.0
    against_torch(lambda t: t.prod(axis=1), lambda t: t.prod(dim=1), [x], np.float64)
    against_torch(lambda t: t.prod(), lambda t: t.prod(), [x], np.float64)


@pytest.mark.parametrize("zeros", [0, 1, 2])
@pytest.mark.parametrize("axis", [1, (0, 2)])
def test_prod_second_derivatives_with_zeros_equal_torch(zeros, axis) -> None:
    # the first-order VJP masks the zeros with constants; differentiating it again lost the
    # terms in the zero entries (Hessian-vector products 0 where torch and finite
    # differences are not)
    x = X.copy()
    x[0, :zeros, 0] = 0.0
    v = rng.standard_normal(x.shape)
    dims = (axis,) if isinstance(axis, int) else axis

    def torch_prod(t):
        for d in sorted(dims, reverse=True):
            t = t.prod(d)
        return t

    tx = torch.tensor(x, requires_grad=True)
    (tg,) = torch.autograd.grad(torch_prod(tx).sum(), tx, create_graph=True)
    (tg * torch.tensor(v)).sum().backward()
    ours = mg.Tensor(x, requires_grad=True)
    (g,) = mg.autograd.gradients(ours.prod(axis=axis).sum(), [ours], create_graph=True)
    (g * mg.Tensor(v)).sum().backward()
    np.testing.assert_allclose(g.data, tg.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(ours.grad, tx.grad.numpy(), atol=1e-12)


def test_min_ties_share_the_gradient() -> None:
    x = mg.Tensor([2.0, 1.0, 1.0], requires_grad=True)
    x.min().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]


def test_logsumexp_is_stable_and_second_order() -> None:
    x = mg.Tensor([1000.0, 1000.0, -np.inf], dtype="float64", requires_grad=True)
    y = x.logsumexp()
    assert y.item() == pytest.approx(1000.0 + np.log(2.0))
    assert mg.tensor.logsumexp(mg.Tensor([-np.inf, -np.inf])).item() == -np.inf
    z = mg.Tensor(X, requires_grad=True)
    (g,) = mg.autograd.gradients(z.logsumexp(axis=1).sum(), [z], create_graph=True)
    (g * g).sum().backward()
    tz = torch.tensor(X, requires_grad=True)
    (tg,) = torch.autograd.grad(tz.logsumexp(1).sum(), tz, create_graph=True)
    (tg * tg).sum().backward()
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), atol=1e-12)


def test_var_follows_numpy() -> None:
    x = mg.Tensor(X, dtype="float64")
    np.testing.assert_allclose(x.var(axis=1, ddof=1).data, X.var(axis=1, ddof=1))
    np.testing.assert_allclose(x.std().data, X.std())
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):  # NumPy's, not ours
        assert np.isnan(mg.Tensor([1.0]).var(ddof=1).item()) == np.isnan(np.var([1.0], ddof=1))
    with pytest.raises(ValueError, match="not both"):
        x.var(ddof=1, correction=1)
    with pytest.raises(ValueError, match="ddof"):
        x.var(ddof=-1)


@pytest.mark.filterwarnings("ignore:.*degrees of freedom:UserWarning")  # torch's
@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize(("shape", "ddof"), [((1, 3), 1), ((4, 2), 4)])
def test_no_degree_of_freedom_left_gives_nan_or_inf_gradients_as_torch(op, shape, ddof) -> None:
    # n − ddof = 0: torch's values and gradients are NaN or ±inf; ours raised ZeroDivisionError
    x = rng.standard_normal(shape)
    with np.errstate(all="ignore"):
        against_torch(
            lambda t: getattr(t, op)(axis=0, ddof=ddof),
            lambda t: getattr(t, op)(dim=0, correction=ddof),
            [x],
            np.float64,
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ddof", [0, 1])
def test_std_of_a_constant_slice_has_torchs_zero_gradient(dtype, ddof) -> None:
    x = np.array([[1.0, 2.0, 3.0], [1.0, 5.0, 3.0], [1.0, -1.0, 3.0]])  # columns 0, 2 constant
    against_torch(  # was NaN (0/0) in the constant columns
        lambda t: t.std(axis=0, ddof=ddof), lambda t: t.std(dim=0, correction=ddof), [x], dtype
    )
    against_torch(lambda t: t[0].std(ddof=0), lambda t: t[0].std(correction=0), [x], dtype)


def test_std_of_a_constant_slice_has_finite_second_derivatives() -> None:
    x = np.array([[1.0, 2.0], [1.0, 5.0]])
    w = np.array([[0.3, -1.0], [2.0, 0.5]])
    ours = mg.grad(lambda a: (mg.grad(lambda b: b.std(axis=0).sum())(a) * w).sum())(x)
    tx = torch.tensor(x, requires_grad=True)
    (g,) = torch.autograd.grad(tx.std(0, correction=0).sum(), tx, create_graph=True)
    (g * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ours, tx.grad.numpy(), atol=1e-12)


def test_ddof_beyond_the_count_gives_nan_without_raising() -> None:
    t = mg.Tensor(rng.standard_normal((1, 3)), requires_grad=True)
    with np.errstate(all="ignore"):
        y = t.var(axis=0, ddof=5)
        y.sum().backward()
    assert np.isnan(y.data).all() and np.isnan(t.grad).all()  # NumPy's value: NaN


def test_argmax_argmin_match_numpy_and_carry_no_gradient() -> None:
    x = mg.Tensor(X, requires_grad=True)
    np.testing.assert_array_equal(x.argmax(), X.argmax())
    np.testing.assert_array_equal(T.argmax(x, axis=1), X.argmax(axis=1))
    np.testing.assert_array_equal(x.argmin(-1, keepdims=True), X.argmin(-1, keepdims=True))
    np.testing.assert_array_equal(T.argmin(x, 0), torch.tensor(X).argmin(0).numpy())
    assert isinstance(x.argmax(), np.ndarray) and x.argmax().dtype.kind == "i"
    with pytest.raises(mg.tensor.AxisError):
        x.argmax(axis=3)
    with pytest.raises(ValueError, match="zero elements"):
        T.argmin(mg.Tensor(np.zeros((0,))))


def test_errors_name_the_op() -> None:
    with pytest.raises(mg.tensor.AxisError, match="min"):
        mg.Tensor(X).min(axis=5)
    with pytest.raises(ValueError, match="zero elements"):
        mg.Tensor(np.zeros((2, 0))).min(axis=1)
    assert mg.Tensor(np.zeros((2, 0))).prod(axis=1).data.tolist() == [1.0, 1.0]  # as NumPy
