"""BLAS calls NumPy does not expose (`scipy.linalg.blas`), under memograd's thread policy.

NumPy reaches BLAS only through its products. An optimizer step ``p ← p − lr·g`` written
with NumPy is two passes over memory (``tmp = g·lr``; ``p -= tmp``); BLAS ``axpy`` is one
(``y ← a·x + y``, read x, read and write y). On W4's 1.86 M float32 parameters, one core,
interleaved, that was 0.52 ms against 1.14 ms for the two passes (the whole step, before and
after: benchmarks/fused_step.py).

``axpy`` rounds once per element (a fused multiply-add: OpenBLAS' kernels and their tails
alike), so ``p − lr·g`` through it is the correctly rounded value, not the NumPy pair's
double rounding. The eager optimizer and the compiled step's flat update both call it, so
the two stay bit-identical to each other.

SciPy's wheel loads a BLAS of its own, with its own thread pool. The first call here holds
that pool at one thread, now and after every `set_num_threads` (`memograd._threads`): the
products keep the policy's count in NumPy's BLAS, and the fused passes never add a second
pool of spinning workers beside it (at 2 threads on 2 cores the two pools would take turns
and oversubscribe).

Example:
    >>> import numpy as np
    >>> y = np.ones(3, np.float32)
    >>> axpy(-0.5, np.array([2.0, 4.0, 6.0], np.float32), y)
    True
    >>> y.tolist()
    [0.0, -1.0, -2.0]
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from memograd import _threads

_AXPY: dict[np.dtype[Any], Any] = {}
_GEMM: dict[np.dtype[Any], Any] = {}


def _load() -> None:
    """Import SciPy's BLAS once and give it the thread count the policy set for NumPy's."""
    import scipy
    from scipy.linalg import blas

    _AXPY[np.dtype(np.float32)] = blas.saxpy
    _AXPY[np.dtype(np.float64)] = blas.daxpy
    _GEMM[np.dtype(np.float32)] = blas.sgemm
    _GEMM[np.dtype(np.float64)] = blas.dgemm
    # SciPy's own BLAS (a wheel's scipy.libs), if it has one, runs at one thread (see
    # `_threads.keep_single_threaded`: two pools taking turns would oversubscribe).
    _threads.keep_single_threaded(os.path.dirname(scipy.__file__) + ".libs")


def axpy_for(dtype: Any) -> Any:
    """The BLAS ``axpy`` of `dtype` (float32 or float64), or None for any other dtype."""
    if not _AXPY:
        _load()
    return _AXPY.get(np.dtype(dtype))


def axpy(a: float, x: np.ndarray, y: np.ndarray) -> bool:
    """``y += a·x`` in place in one pass (BLAS axpy); False, doing nothing, where it cannot.

    It cannot for a dtype other than float32/float64, mixed dtypes, different shapes, or
    arrays that are not C-contiguous: the caller then runs its NumPy spelling.
    """
    f = axpy_for(y.dtype)
    if (
        f is None
        or x.dtype != y.dtype
        or x.shape != y.shape
        or not (x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable)
    ):
        return False
    flat = y.reshape(-1)  # (f2py would copy a 2-D array silently: pass 1-D views)
    result = f(x.reshape(-1), flat, flat.size, a)
    if result is not flat:  # (never for a contiguous array of the right dtype)
        flat[...] = result
    return True


def gemm_add(x: np.ndarray, w: np.ndarray, out: np.ndarray) -> bool:
    """``out += x @ w`` (2-D, one float dtype, `out` C-contiguous): BLAS gemm with beta = 1,
    the product accumulated onto what `out` holds (a broadcast bias: the GEMM epilogue).

    Transposes are flags, not copies: a C- or F-contiguous operand is passed as it lies
    (``out``ᵀ = ``w``ᵀ ``x``ᵀ in BLAS' column-major terms); any other layout is copied once.
    Returns False, doing nothing, for a dtype BLAS lacks (the caller uses NumPy).
    """
    if not _GEMM:
        _load()
    f = _GEMM.get(out.dtype)
    if f is None or x.dtype != out.dtype or w.dtype != out.dtype or not out.flags.c_contiguous:
        return False
    # Column-major view: outᵀ (n, m) = op(a) @ op(b) with op(a) = wᵀ, op(b) = xᵀ.
    a, trans_a = _transposed(w)
    b, trans_b = _transposed(x)
    c = out.T
    result = f(1.0, a, b, 1.0, c, trans_a, trans_b, 1)  # (alpha, a, b, beta, c, ..., overwrite_c)
    if result is not c:  # (never for a C-contiguous `out` of its dtype)
        c[...] = result
    return True


def _transposed(m: np.ndarray) -> tuple[np.ndarray, int]:
    """(array, flag) that BLAS reads as ``m``ᵀ without a copy: ``m.T`` as it lies (C order),
    or `m` itself with the transpose flag (F order); other layouts are copied once."""
    if m.flags.c_contiguous:
        return m.T, 0
    if m.flags.f_contiguous:
        return m, 1
    return np.ascontiguousarray(m).T, 0


__all__ = ["axpy", "axpy_for", "gemm_add"]
