"""The fused optimizer update: one BLAS axpy pass, one rounding, under the thread policy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import memograd as mg
from memograd import _blas

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


def test_scipy_blas_follows_the_thread_policy() -> None:
    # A fresh interpreter: SciPy's BLAS has its own pool (today scikit-learn loads it before
    # the policy is applied at import; `_blas` applies it again when it loads SciPy itself).
    # The fused passes must run with the products' count, not one thread per core.
    env = {k: v for k, v in os.environ.items() if k != "MEMOGRAD_NUM_THREADS"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH")) if p)
    env["MEMOGRAD_NUM_THREADS"] = "1"
    code = (
        "import memograd as mg, numpy as np; from memograd import _blas;"
        "from threadpoolctl import threadpool_info;"
        "_blas.axpy(1.0, np.ones(2, np.float32), np.ones(2, np.float32));"
        "pools = [p for p in threadpool_info() if p['user_api'] == 'blas'];"
        "print(len({p['filepath'] for p in pools}), sorted({p['num_threads'] for p in pools}))"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    libraries, counts = done.stdout.split(maxsplit=1)
    if int(libraries) < 2:
        pytest.skip("NumPy and SciPy share one BLAS here")
    assert counts.strip() == "[1]"
