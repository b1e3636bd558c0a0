"""Products through MKL's GEMM (memograd._mkl): which products go there, that they are right
in every layout MKL reads, that everything else is NumPy's product bit for bit, and that the
compiled tape calls MKL directly yet stays bit-identical to the eager step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import memograd as mg
from memograd import _mkl
from memograd._machine import describe_conditions
from memograd.tensor import _xp_numpy

SRC = str(Path(__file__).resolve().parents[1] / "src")

pytestmark = pytest.mark.skipif(
    not _mkl.available(), reason="MKL is not installed (`pip install memograd[fast]`)"
)


def _layouts(rng: np.random.Generator, rows: int, cols: int, dtype: type) -> dict[str, np.ndarray]:
    """The same (rows, cols) values laid out in the three ways BLAS reads without a copy."""
    values = rng.standard_normal((rows, cols)).astype(dtype)
    wide = np.zeros((rows, cols + 7), dtype)
    wide[:, :cols] = values
    return {
        "C": values,
        "F": np.asfortranarray(values),
        "row stride": wide[:, :cols],  # rows at a stride longer than a row
    }


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("left", ["C", "F", "row stride"])
@pytest.mark.parametrize("right", ["C", "F", "row stride"])
def test_every_layout_mkl_reads_gives_the_product(dtype: type, left: str, right: str) -> None:
    rng = np.random.default_rng(0)
    a = _layouts(rng, 96, 80, dtype)[left]
    b = _layouts(rng, 80, 72, dtype)[right]
    out = np.empty((96, 72), dtype)
    assert _mkl.gemm_call(a, b, out, 0.0) is not None  # this product is MKL's
    result = _mkl.matmul(a, b)
    exact = a.astype(np.float64) @ b.astype(np.float64)
    tolerance = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(result, exact, rtol=tolerance, atol=tolerance)
    assert result.dtype == dtype and result.flags.c_contiguous


def test_the_bias_epilogue_adds_the_bias_once() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((128, 64)).astype(np.float32)
    w = rng.standard_normal((64, 128)).astype(np.float32)
    b = rng.standard_normal(128).astype(np.float32)
    out = np.full((128, 128), np.nan, np.float32)  # whatever `out` held is overwritten
    assert _mkl.matmul_add_into(x, w, b, out)
    exact = x.astype(np.float64) @ w.astype(np.float64) + b
    np.testing.assert_allclose(out, exact, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(_xp_numpy.matmul_add(x, w, b), out)  # the namespace's call


def _numpy_cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(2)
    big = rng.standard_normal((128, 128))
    return {
        "below MKL_FROM": (big[:32, :32].copy(), big[:32, :32].copy()),
        "integers": (np.arange(128 * 128).reshape(128, 128), np.eye(128, dtype=np.int64)),
        "mixed dtypes": (big.astype(np.float32), big),
        "a stack of matrices": (np.stack([big, big]), big),
        "a vector": (big, big[0].copy()),
        "columns at a stride": (big[:, ::2], big[:64]),
    }


@pytest.mark.parametrize("case", list(_numpy_cases()))
def test_what_mkl_does_not_take_is_numpys_product_bit_for_bit(case: str) -> None:
    a, b = _numpy_cases()[case]
    # (The route itself: MKL's and OpenBLAS' bits agree at some shapes, so equal bits alone
    # would not show which library ran.)
    assert _mkl._product(a, b, None) is None
    np.testing.assert_array_equal(_mkl.matmul(a, b), np.matmul(a, b))


def test_an_out_overlapping_an_operand_is_left_to_numpy() -> None:
    a = np.random.default_rng(3).standard_normal((128, 128)).astype(np.float32)
    expected = np.matmul(a, a.copy())
    assert _mkl.gemm_call(a, a.copy(), a, 0.0) is None  # MKL would read what it overwrites
    np.testing.assert_array_equal(_mkl.matmul(a, a.copy(), out=a), expected)


def test_more_threads_give_the_products_back_to_numpy() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((2, 128, 128)).astype(np.float32)
    before = mg.get_num_threads()
    try:
        mg.set_num_threads(2)
        assert _mkl.describe() is None and _mkl._product(a, b, None) is None
        np.testing.assert_array_equal(_mkl.matmul(a, b), np.matmul(a, b))
        mg.set_num_threads(1)
        assert _mkl.describe() is not None and _mkl.gemm_call(a, b, b.copy(), 0.0) is not None
    finally:
        mg.set_num_threads(before)


def test_memograd_gemm_openblas_turns_mkl_off() -> None:
    code = "from memograd import _mkl; print(_mkl.available(), _mkl.describe())"
    env = dict(os.environ, PYTHONPATH=SRC, MEMOGRAD_GEMM="openblas")
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "None"]


def test_conditions_name_mkl_when_products_use_it() -> None:
    line = describe_conditions(
        {"blas_threads": 1, "cpus": 2, "products": _mkl.describe(), "load_average": [0.5]}
    )
    assert f"products: MKL {_mkl.describe().split()[-1]}" in line  # type: ignore[union-attr]


def test_gradients_through_mkl_products_match_torch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((128, 96))
    w = rng.standard_normal((96, 80))
    b = rng.standard_normal(80)
    assert _mkl.gemm_call(x, w, np.empty((128, 80)), 0.0) is not None
    tw, tb = mg.Tensor(w, requires_grad=True), mg.Tensor(b, requires_grad=True)
    loss = (mg.tensor.functional.linear(mg.Tensor(x), tw, tb, activation="tanh") ** 2).sum()
    loss.backward()
    pw = torch.tensor(w, requires_grad=True)
    pb = torch.tensor(b, requires_grad=True)
    ref = (torch.tanh(torch.tensor(x) @ pw + pb) ** 2).sum()
    ref.backward()
    np.testing.assert_allclose(float(loss.data), ref.item(), rtol=1e-12)
    np.testing.assert_allclose(tw.grad, pw.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(tb.grad, pb.grad.numpy(), rtol=1e-10, atol=1e-10)


def _twins(hidden: int, seed: int) -> tuple[np.ndarray, np.ndarray, mg.nn.Model, mg.nn.Model]:
    """A batch (128 rows, 64 features, 10 classes) and two equal models of `hidden` 128-wide
    ReLU layers, eager and compiled."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((128, 64)).astype(np.float32)
    y = rng.integers(0, 10, size=128)
    models = []
    for jit in (False, True):
        layers = [mg.nn.Dense(128, activation="relu") for _ in range(hidden)]
        model = mg.nn.Sequential([*layers, mg.nn.Dense(10)], seed=0)
        model.compile(loss="cross_entropy", optimizer=mg.optim.SGD(0.05), jit_compile=jit)
        models.append(model)
    return X, y, models[0], models[1]


def test_the_compiled_tape_calls_mkl_directly_and_equals_eager() -> None:
    X, y, eager, jit = _twins(hidden=2, seed=6)
    for _ in range(5):
        assert eager.train_on_batch(X, y) == jit.train_on_batch(X, y)
    for p, q in zip(eager.parameters(), jit.parameters(), strict=True):
        np.testing.assert_array_equal(q.data, p.data)
    step = jit._get_train_step()
    assert step.fallback_reason is None
    tape = step.trace_for(X.shape).tape
    forward = [k for k in tape.forward if _mkl.calls_mkl(k)]
    backward = [k for k in tape.backward if _mkl.calls_mkl(k)]
    # The two 128-wide layers (bias copy, then the product), and the 10-class layer's product
    # (128·128·10 multiply-adds; its bias is added after it, as below DOT_BELOW).
    assert [getattr(k, "func", None) is _mkl._bias_then_product for k in forward] == [
        True,
        True,
        False,
    ]
    # Backward: each layer's weight gradient, and the input gradients of layers 2 and 3
    # (the 10-class layer's 128·10·128 reaches MKL_FROM; the first layer has none).
    assert len(backward) == 5
    # The kernels hold raw pointers: the tape keeps every array they point into.
    kept = {id(a) for a in tape.kept}
    assert all(id(p.data) in kept for p in jit.parameters()[:4])


@pytest.mark.parametrize("shape", [(128, 128, 128), (128, 10, 128), (128, 128, 10), (64, 96, 80)])
@pytest.mark.parametrize("left", ["C", "F", "row stride"])
def test_an_eager_product_and_a_bound_kernel_make_the_same_call(
    shape: tuple[int, int, int], left: str
) -> None:
    m, k, n = shape
    rng = np.random.default_rng(7)
    a = _layouts(rng, m, k, np.float32)[left]
    b = _layouts(rng, k, n, np.float32)["F"]
    out = np.full((m, n), np.nan, np.float32)
    kernel = _mkl.bound_product(a, b, out)
    assert kernel is not None
    kernel()
    np.testing.assert_array_equal(_mkl.matmul(a, b), out)  # every bit
    np.testing.assert_array_equal(_mkl.dot(a, b), out)


def test_an_unaligned_operand_is_numpys_product() -> None:
    raw = np.zeros(128 * 128 * 4 + 1, np.uint8)
    a = raw[1:].view(np.float32).reshape(128, 128)  # one byte off a float's alignment
    a[...] = np.random.default_rng(8).standard_normal((128, 128))
    b = np.eye(128, dtype=np.float32)
    assert not a.flags.aligned
    assert _mkl._product(a, b, None) is None and _mkl.gemm_call(a, b, b.copy(), 0.0) is None
    np.testing.assert_array_equal(_mkl.matmul(a, b), np.matmul(a, b))


def test_a_compiled_step_retraces_when_more_threads_hand_products_to_numpy() -> None:
    X, y, eager, jit = _twins(hidden=1, seed=9)
    before = mg.get_num_threads()
    try:
        for threads in (1, 2, 1):
            mg.set_num_threads(threads)
            for _ in range(2):
                assert eager.train_on_batch(X, y) == jit.train_on_batch(X, y)
        step = jit._get_train_step()
        assert step.traces == 2  # one per products library, the MKL one reused at the end
        tapes = [entry.tape for entry in step._cache.values() if entry is not None]
        assert sorted(any(_mkl.calls_mkl(k) for k in t.forward) for t in tapes) == [False, True]
    finally:
        mg.set_num_threads(before)
    for p, q in zip(eager.parameters(), jit.parameters(), strict=True):
        np.testing.assert_array_equal(q.data, p.data)


def test_gradients_through_mkl_products_match_finite_differences_in_float64() -> None:
    # A directional central difference of the loss along a random direction of each operand
    # (sizes where every product of the forward and the VJP is MKL's).
    rng = np.random.default_rng(10)
    x0, w0 = rng.standard_normal((128, 96)), rng.standard_normal((96, 80)) / 10
    b0 = rng.standard_normal(80)

    def loss_of(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> float:
        out = mg.tensor.functional.linear(mg.Tensor(x), mg.Tensor(w), mg.Tensor(b), "tanh")
        return float((out**2).sum().data)

    x, w, b = (mg.Tensor(v, requires_grad=True) for v in (x0, w0, b0))
    assert _mkl.gemm_call(x0, w0, np.empty((128, 80)), 0.0) is not None
    (mg.tensor.functional.linear(x, w, b, "tanh") ** 2).sum().backward()
    eps = 1e-6
    for i, (tensor, value) in enumerate(zip((x, w, b), (x0, w0, b0), strict=True)):
        direction = rng.standard_normal(value.shape)
        shifted = [[x0, w0, b0], [x0, w0, b0]]
        shifted[0][i] = value + eps * direction
        shifted[1][i] = value - eps * direction
        numeric = (loss_of(*shifted[0]) - loss_of(*shifted[1])) / (2 * eps)
        analytic = float(np.sum(tensor.grad * direction))
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6)


def test_an_environment_asking_mkl_for_64_bit_integers_changes_nothing() -> None:
    # MKL obeys $MKL_INTERFACE_LAYER; memograd declares 32-bit sizes and sets the layer itself.
    code = (
        "import numpy as np; from memograd import _mkl; "
        "r = _mkl.matmul(np.ones((128, 128), 'f4'), np.ones((128, 256), 'f4')); "
        "print(_mkl.available(), float(r.min()), float(r.max()))"
    )
    env = dict(os.environ, PYTHONPATH=SRC, MKL_INTERFACE_LAYER="ILP64")
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["True", "128.0", "128.0"]


def test_a_row_sliced_with_a_huge_step_is_read_by_its_one_stride_that_matters() -> None:
    a = np.ones((4, 1024), np.float32)[:: 1 << 22]  # one row; its row stride 2**34 bytes
    b = np.ones((1024, 256), np.float32)
    assert a.shape == (1, 1024) and a.strides[0] > 2**31
    column = np.ones((1024, 4), np.float32)[:, ::4]  # one column, a 16-byte column stride
    np.testing.assert_array_equal(_mkl.matmul(a, b), np.full((1, 256), 1024.0, np.float32))
    np.testing.assert_array_equal(
        _mkl.matmul(np.ones((256, 1024), np.float32), column), np.full((256, 1), 1024.0)
    )


def test_eager_and_compiled_agree_on_a_batch_in_any_layout() -> None:
    # The batch is made C-ordered at the boundary, as the compiled step's input buffer is:
    # a product's library depends on its operands' layout.
    X, y, eager, jit = _twins(hidden=1, seed=11)
    for batch in (X[::-1], np.asfortranarray(X)):
        for _ in range(2):
            assert eager.train_on_batch(batch, y[::-1]) == jit.train_on_batch(batch, y[::-1])
    for p, q in zip(eager.parameters(), jit.parameters(), strict=True):
        np.testing.assert_array_equal(q.data, p.data)
    assert jit._get_train_step().fallback_reason is None


@pytest.mark.parametrize(
    ("setting", "intel", "expected"),
    [("", True, True), ("auto", False, False), ("mkl", False, True), ("OpenBLAS", True, False)],
)
def test_memograd_gemm_chooses_mkl_on_intel_by_default(
    setting: str, intel: bool, expected: bool
) -> None:
    assert _mkl.wanted(setting, intel) is expected


def test_a_misspelt_memograd_gemm_warns_and_counts_as_auto() -> None:
    with pytest.warns(RuntimeWarning, match=r"Ignoring MEMOGRAD_GEMM='mk1'.*using auto"):
        assert _mkl.wanted("mk1", intel=False) is False


@pytest.mark.parametrize("jit", [False, True])
def test_a_deep_copy_trains_itself_not_the_original(jit: bool) -> None:
    # A compiled step's kernels hold the model's arrays (MKL's: raw pointers); the copy
    # builds its own step. (Before, a copy's compiled steps updated the original's weights.)
    import copy

    X, y, eager, compiled = _twins(hidden=1, seed=12)
    model = compiled if jit else eager
    model.train_on_batch(X, y)
    twin = copy.deepcopy(model)
    before = [p.data.copy() for p in model.parameters()]
    assert twin.train_on_batch(X, y) == model.train_on_batch(X, y)  # same state, same step
    for a, p, q in zip(before, model.parameters(), twin.parameters(), strict=True):
        assert not np.array_equal(a, p.data)  # the original trained once more, by itself
        np.testing.assert_array_equal(q.data, p.data)  # and the copy exactly as it did
    before = [p.data.copy() for p in model.parameters()]
    twin.train_on_batch(X, y)
    for a, p in zip(before, model.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, a)  # the copy's step leaves the original alone
