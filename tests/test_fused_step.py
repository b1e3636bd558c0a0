"""The fused step: the SGD update as one BLAS axpy pass, the bias as the product's epilogue
(gemm with beta = 1), both under the thread policy and bit-identical between eager and replay."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import memograd as mg
from memograd import _blas, _mkl
from memograd.tensor import _xp_numpy, _xp_tensor

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _once_rounded(w: np.ndarray, g: np.ndarray, lr: float) -> np.ndarray:
    """w − lr·g computed exactly (float64 holds the float32 product) and rounded once."""
    a = np.float64(np.float32(lr))
    return (w.astype(np.float64) - a * g.astype(np.float64)).astype(np.float32)


def test_sgd_step_rounds_once_per_element_in_float32() -> None:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((64, 33)).astype(np.float32)
    g = rng.standard_normal((64, 33)).astype(np.float32)
    p = SimpleNamespace(data=w.copy(), grad=g)
    opt = mg.optim.SGD(0.01)
    opt.build([p])
    opt.step()
    twice = w - g * np.float32(0.01)  # NumPy's two passes round twice: some elements differ
    assert not np.array_equal(twice, _once_rounded(w, g, 0.01))
    np.testing.assert_array_equal(p.data, _once_rounded(w, g, 0.01))


def test_axpy_updates_in_place_or_declines() -> None:
    y = np.ones((3, 4), np.float32)
    view = y
    assert _blas.axpy(2.0, np.full((3, 4), 0.5, np.float32), y)
    assert view is y and np.array_equal(y, np.full((3, 4), 2.0, np.float32))
    # A layout or dtype BLAS cannot take in place: nothing is written, the caller decides.
    assert not _blas.axpy(1.0, np.ones((4, 3), np.float32).T, y)
    assert not _blas.axpy(1.0, np.ones((3, 4), np.float64), y)
    assert not _blas.axpy(1.0, np.ones(4, np.int64), np.ones(4, np.int64))
    np.testing.assert_array_equal(y, np.full((3, 4), 2.0, np.float32))


def test_float16_parameters_keep_the_numpy_update() -> None:
    p = SimpleNamespace(data=np.ones(4, np.float16), grad=np.ones(4, np.float16))
    opt = mg.optim.SGD(0.5)
    opt.build([p])
    opt.step()
    assert p.data.dtype == np.float16 and p.data.tolist() == [0.5] * 4


def test_scipy_blas_stays_at_one_thread_beside_numpys() -> None:
    # A fresh interpreter with the policy at 2 threads: SciPy's BLAS (its own pool, used by
    # the fused passes) is held at one thread, also after set_num_threads; NumPy's gets 2.
    # Two pools at 2 threads taking turns would put more threads than cores to work.
    env = {k: v for k, v in os.environ.items() if k != "MEMOGRAD_NUM_THREADS"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH")) if p)
    env["MEMOGRAD_NUM_THREADS"] = "2"
    code = (
        "import json, memograd as mg, numpy as np, os, scipy; from memograd import _blas;"
        "from threadpoolctl import threadpool_info;"
        "_blas.axpy(1.0, np.ones(2, np.float32), np.ones(2, np.float32)); mg.set_num_threads(2);"
        "scipy_libs = os.path.dirname(scipy.__file__) + '.libs';"
        "pools = [p for p in threadpool_info() if p['user_api'] == 'blas'];"
        "print(json.dumps([sorted({p['num_threads'] for p in pools if p['filepath']"
        ".startswith(scipy_libs)}), sorted({p['num_threads'] for p in pools if 'numpy' in"
        " p['filepath']}), mg.get_num_threads()]))"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    scipy_pools, numpy_pools, reported = json.loads(done.stdout)
    if not scipy_pools:
        pytest.skip("SciPy has no BLAS of its own here")
    assert scipy_pools == [1]
    assert numpy_pools == [2] and reported == 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_matmul_add_is_the_product_plus_the_bias(dtype: type, layout: str) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, 5)).astype(dtype)
    w = rng.standard_normal((5, 3)).astype(dtype)
    b = rng.standard_normal(3).astype(dtype)
    if layout == "F":
        x, w = np.asfortranarray(x), np.asfortranarray(w)
    elif layout == "strided":
        x = rng.standard_normal((14, 5)).astype(dtype)[::2]
    got = _xp_numpy.matmul_add(x, w, b)
    assert got.dtype == dtype and got.shape == (7, 3) and got.flags.c_contiguous
    np.testing.assert_allclose(got, x @ w + b, rtol=1e-5 if dtype == np.float32 else 1e-12)
    # The Tensor namespace (second derivatives) spells it with ops: the same values.
    tensor = _xp_tensor.matmul_add(mg.Tensor(x), mg.Tensor(w), mg.Tensor(b))
    np.testing.assert_allclose(tensor.data, got, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_integer_matmul_add_uses_numpy() -> None:
    x, w, b = np.arange(6).reshape(2, 3), np.ones((3, 2), np.int64), np.array([1, 2])
    np.testing.assert_array_equal(_xp_numpy.matmul_add(x, w, b), x @ w + b)


def test_the_bias_is_the_products_epilogue_and_the_replay_stays_bit_identical() -> None:
    # Layers large enough for BLAS' product (64 rows · 128 · 128 multiply-adds): the tape
    # has one gemm kernel per biased layer and no separate add for the bias.
    rng = np.random.default_rng(2)
    X = rng.standard_normal((64, 96)).astype(np.float32)
    y = rng.integers(0, 10, size=64)
    models = []
    for jit in (False, True):
        model = mg.nn.Sequential(
            [
                mg.nn.Dense(128, activation="relu"),
                mg.nn.Dense(128, activation="relu"),
                mg.nn.Dense(10),
            ],
            seed=0,
        )
        model.compile(loss="cross_entropy", optimizer=mg.optim.SGD(0.05), jit_compile=jit)
        models.append(model)
    eager, jit = models
    for _ in range(10):
        assert eager.train_on_batch(X, y) == jit.train_on_batch(X, y)
    for p, q in zip(eager.parameters(), jit.parameters(), strict=True):
        np.testing.assert_array_equal(q.data, p.data)
        np.testing.assert_array_equal(q.grad, p.grad)
    step = jit._get_train_step()
    assert step.fallback_reason is None
    tape = step.trace_for(X.shape).tape
    names = [getattr(k.func, "__name__", "") for k in tape.forward]
    linear = [n for n, op in zip(names, tape.forward_ops, strict=True) if op == "linear"]
    # (`_bias_then_product`: the same kernel bound to MKL's GEMM, where memograd._mkl applies)
    biased = [n for n in linear if n in ("matmul_add_into", "_bias_then_product")]
    assert len(biased) == 2  # the last layer (128·10) is below BLAS' size
    assert "add" not in linear[:-2] and "matmul" not in linear


def test_above_the_epilogue_size_the_product_is_numpys_then_the_add(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (NumPy's BLAS build runs large products faster than SciPy's: W4's stay NumPy's.) With
    # K = 1024 the epilogue would round differently (the bias joins before the last K-block).
    monkeypatch.setitem(_mkl._state, "threads_ok", False)  # OpenBLAS' path (MKL: tests/test_mkl)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((32, 1024)).astype(np.float32)
    w = rng.standard_normal((1024, 64)).astype(np.float32)
    b = rng.standard_normal(64).astype(np.float32)
    monkeypatch.setattr(_xp_numpy, "EPILOGUE_UP_TO", x.size * 64 - 1)
    expected = np.matmul(x, w)
    expected += b
    np.testing.assert_array_equal(_xp_numpy.matmul_add(x, w, b), expected)
