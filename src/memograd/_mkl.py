"""Matrix products through Intel MKL's GEMM, when the optional `mkl` wheel is installed.

NumPy's wheels multiply matrices with OpenBLAS. On the Xeon these benchmarks run on (one
thread, AVX-512), MKL's sgemm is faster at every size the workloads use (median of 200
interleaved calls, µs, load 1.9, `benchmarks/gemm_libraries.py`):

=========================  ========  =====
product                    OpenBLAS   MKL
=========================  ========  =====
128×64 @ 64×128               19.4    16.0
128×128 @ 128×128ᵀ            39.8    29.9
256×1024 @ 1024×1024        3812.9  3395.6
256×1024 @ 1024×10           117.9    70.0
=========================  ========  =====

The small products are the compiled W2/W3 steps' time (28 of W3's products are 128³): no
fusion of the elementwise passes around them reaches JAX's step while they run at OpenBLAS'
speed. So memograd's own products (`memograd.tensor._xp_numpy.matmul` and `matmul_add`, which
every op definition, the eager step and the compiled tape call alike) go to MKL's
``cblas_?gemm`` through ctypes when:

- the library loads (``pip install memograd[fast]``; Linux/Windows x86-64) on an Intel
  processor, the kind it was measured on (``MEMOGRAD_GEMM=mkl`` uses it on others too,
  ``MEMOGRAD_GEMM=openblas`` on none: `wanted`);
- the thread policy is one thread (the default, `memograd._threads`). MKL runs in its
  sequential layer, so no second OpenMP runtime is loaded beside PyTorch's; with more threads
  the products go to NumPy's threaded OpenBLAS, as before;
- both operands are float32 or float64 matrices of one dtype that BLAS can read as they lie
  (C- or F-ordered, or rows at a stride: transposes are flags), with at least `MKL_FROM`
  multiply-adds (below, NumPy's dispatch is cheaper than a ctypes call).

Everything else is NumPy's product. The choice depends on shapes, dtypes, layouts and the
thread count only, so an eager call and a replayed kernel make the same call and round alike.
At many shapes MKL's results differ from OpenBLAS' in the last bits (another summation order;
W4's, 256×1024×10), at some not (128³), as PyTorch's (MKL) differ from NumPy's.

Example:
    >>> import numpy as np
    >>> a = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> matmul(a, a.T).tolist()
    [[5.0, 14.0], [14.0, 50.0]]
"""

from __future__ import annotations

import ctypes
import os
import sys
import warnings
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

#: The environment variable that turns MKL off (``MEMOGRAD_GEMM=openblas``).
ENV_VAR = "MEMOGRAD_GEMM"
#: Products with fewer multiply-adds stay with NumPy (W1's): its dispatch costs less there.
MKL_FROM = 1 << 17

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_SEQUENTIAL = 1  # MKL_THREADING_SEQUENTIAL
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

_gemm: dict[np.dtype[Any], Any] = {}
# MKL's JIT: a GEMM kernel generated for one (dtype, transposes, sizes, leading dimensions,
# beta), called through a 4-argument function pointer. For the MLP products up to 128 on a
# side it is 1.2-1.9x faster than cblas_sgemm (128x64x128: 12.5 against 15.5 us; 128x10x128:
# 3.4 against 5.2). Larger ones MKL declines ("no JIT"), and the pointer runs its standard
# GEMM: still ~2 us cheaper to call than cblas_sgemm's 14 ctypes arguments. A kernel is made
# at its key's first product and kept for the process (about 65 KB of code when generated).
# At most `MAX_KERNELS` are made: a process multiplying more distinct shapes than that gets
# cblas_?gemm for the later ones, which may round differently from the kernel a fresh process
# would make for them (eager and compiled still agree: the choice is shared).
MAX_KERNELS = 4096
_JIT_ERROR = 2
_INT_MAX = 2**31 - 1  # MKL's LP64 interface: sizes and leading dimensions are 32-bit ints
_LP64 = 0  # MKL_INTERFACE_LP64
_jit_create: dict[np.dtype[Any], Any] = {}
_jit_pointer: dict[np.dtype[Any], Any] = {}
_KERNEL = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
_kernels: dict[tuple[Any, ...], Any] = {}  # key -> (kernel, jitter) or None (cblas_?gemm)
_state = {"loaded": False, "threads_ok": True}


def _library_path() -> Path | None:
    """Where the `mkl` wheel put ``libmkl_rt`` (None if it is not installed)."""
    from importlib import metadata

    try:
        files = metadata.files("mkl") or []
    except metadata.PackageNotFoundError:
        return None
    for f in files:
        if f.name.startswith(("libmkl_rt.so", "mkl_rt")) and not f.name.endswith(".lib"):
            path = Path(str(f.locate())).resolve()
            if path.exists():
                return path
    return None


def _intel_cpu() -> bool:
    """Whether this is an Intel processor (where MKL's speed was measured)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            return any("GenuineIntel" in line for line in info if line.startswith("vendor_id"))
    except OSError:
        import platform

        return "intel" in platform.processor().lower()


def wanted(setting: str, intel: bool) -> bool:
    """Whether to use MKL for `$MEMOGRAD_GEMM` = `setting` on an Intel CPU or not.

    ``openblas``: never; ``mkl``: wherever it is installed; unset or ``auto``: on Intel
    processors only, the ones it was measured on (on AMD's, MKL's sgemm was not measured
    here; NumPy's OpenBLAS stays). Anything else warns and counts as ``auto``.

    Example:
        >>> wanted("", intel=True), wanted("auto", intel=False), wanted("MKL", intel=False)
        (True, False, True)
    """
    choice = setting.strip().lower() or "auto"
    if choice not in ("auto", "mkl", "openblas"):
        # A typo in the environment should not make the library unusable: say so, go on.
        warnings.warn(
            f"Ignoring {ENV_VAR}={setting!r}: expected auto, mkl or openblas; using auto.",
            RuntimeWarning,
            stacklevel=3,
        )
        choice = "auto"
    return choice == "mkl" or (choice == "auto" and intel)


def _load() -> None:
    """Load MKL once (sequential layer, LP64) and declare its two GEMMs; quietly skip it
    when it is absent, turned off, or not loadable here."""
    _state["loaded"] = True
    if not wanted(os.environ.get(ENV_VAR, ""), _intel_cpu()):
        return
    path = _library_path()
    if path is None or sys.maxsize < 2**32:
        return
    try:
        lib = ctypes.CDLL(str(path))
        # Before any other MKL call, whatever $MKL_INTERFACE_LAYER / $MKL_THREADING_LAYER say:
        # 32-bit integers (the ctypes declarations below) and no OpenMP runtime (PyTorch
        # brings its own). MKL answers with the layer it took; anything else: no MKL.
        interface = lib.MKL_Set_Interface_Layer(ctypes.c_int(_LP64))
        threading = lib.MKL_Set_Threading_Layer(ctypes.c_int(_SEQUENTIAL))
    except (OSError, AttributeError):
        return
    if interface != _LP64 or threading != _SEQUENTIAL:
        return
    i, p = ctypes.c_int, ctypes.c_void_p
    for dtype, letter, scalar in (
        (_FLOATS[0], "s", ctypes.c_float),
        (_FLOATS[1], "d", ctypes.c_double),
    ):
        f = getattr(lib, f"cblas_{letter}gemm")
        f.argtypes = [i, i, i, i, i, i, scalar, p, i, p, i, scalar, p, i]
        f.restype = None
        _gemm[dtype] = f
        create = getattr(lib, f"mkl_cblas_jit_create_{letter}gemm", None)
        pointer = getattr(lib, f"mkl_jit_get_{letter}gemm_ptr", None)
        if create is not None and pointer is not None:
            create.argtypes = [ctypes.POINTER(p), i, i, i, i, i, i, scalar, i, i, scalar, i]
            create.restype = i
            pointer.argtypes = [p]
            pointer.restype = p
            _jit_create[dtype], _jit_pointer[dtype] = create, pointer


def _jit_kernel(dtype: np.dtype[Any], args: tuple[int, ...], beta: float) -> Any:
    """The JIT kernel and its jitter for one GEMM (made at the first call), or None."""
    key = (dtype, *args, beta)
    found = _kernels.get(key, _kernels)  # `_kernels` itself: the miss sentinel
    if found is not _kernels:
        return found
    create = _jit_create.get(dtype)
    if create is None or len(_kernels) >= MAX_KERNELS:
        return None  # (not stored: past the cap every new key stays with cblas_?gemm)
    ta, tb, m, n, k, lda, ldb, ldc = args
    jitter = ctypes.c_void_p()
    status = create(ctypes.byref(jitter), _ROW_MAJOR, ta, tb, m, n, k, 1.0, lda, ldb, beta, ldc)
    found = None
    if status != _JIT_ERROR and jitter.value:
        # Also on "no JIT" (MKL declines sizes above ~128): the pointer then runs the standard
        # GEMM, and a 4-argument ctypes call costs ~2 us less than cblas_sgemm's 14 arguments.
        found = (_KERNEL(_jit_pointer[dtype](jitter)), jitter.value)
    _kernels[key] = found
    return found


def available() -> bool:
    """Whether MKL is loaded (the wheel installed and not turned off)."""
    if not _state["loaded"]:
        _load()
    return bool(_gemm)


def describe() -> str | None:
    """``MKL 2026.2.1`` when memograd's products use MKL now, else None (NumPy's BLAS)."""
    if not in_use():
        return None
    from importlib import metadata

    return f"MKL {metadata.version('mkl')}"


def in_use() -> bool:
    """Whether products that qualify go to MKL now (loaded, and the policy is one thread)."""
    return _state["threads_ok"] and available()


def set_threads(n: int) -> None:
    """Called by the thread policy: MKL (sequential) serves one-thread policies only."""
    _state["threads_ok"] = n == 1


def _operand(m: np.ndarray) -> tuple[int, int] | None:
    """(transpose flag, leading dimension) reading `m` as it lies, or None if BLAS cannot.

    A row or a column is read by its one stride that matters (the other is arbitrary, even
    huge, in a sliced view), so equal vectors always get the same call."""
    rows, cols = m.shape
    size = m.itemsize
    s0, s1 = m.strides
    if rows == 1 and cols == 1:
        found = (_NO_TRANS, 1)
    elif rows == 1:
        found = (_NO_TRANS, cols) if s1 == size else (_TRANS, s1 // size)
        if s1 <= 0 or s1 % size:
            return None
    elif cols == 1:
        found = (_TRANS, rows) if s0 == size else (_NO_TRANS, s0 // size)
        if s0 <= 0 or s0 % size:
            return None
    elif s1 == size and s0 % size == 0 and s0 // size >= cols:
        found = (_NO_TRANS, s0 // size)
    elif s0 == size and s1 % size == 0 and s1 // size >= rows:
        found = (_TRANS, s1 // size)
    else:
        return None
    return found if found[1] <= _INT_MAX else None  # (LP64: 32-bit sizes)


def _cblas_product(
    f: Any, head: tuple[Any, ...], tail: tuple[Any, ...], pa: int, pb: int, pc: int
) -> None:
    """cblas_?gemm on raw pointers: ``head`` up to alpha, ``tail`` (lda, ldb, beta, ldc)."""
    lda, ldb, beta, ldc = tail
    f(*head, pa, lda, pb, ldb, beta, pc, ldc)


def _plan(a: np.ndarray, b: np.ndarray, beta: float) -> Any:
    """How ``a @ b + beta·out`` runs into a C-ordered `out`: ``(call, (m, n))`` where
    ``call(pa, pb, pc)`` is MKL's product on raw pointers, or None (NumPy's product).

    The one decision, for the eager product (a fresh output) and for a tape's bound kernel
    (`gemm_call`) alike: shapes, dtypes, strides and beta only."""
    if a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype or a.shape[1] != b.shape[0]:
        return None
    m, k = a.shape
    n = b.shape[1]
    f = _gemm.get(a.dtype)
    if f is None or m * k * n < MKL_FROM or max(m, n, k) > _INT_MAX:
        return None
    ta, tb = _operand(a), _operand(b)
    if ta is None or tb is None:
        return None
    jit = _jit_kernel(a.dtype, (ta[0], tb[0], m, n, k, ta[1], tb[1], n), beta)
    if jit is not None:
        return partial(jit[0], jit[1]), (m, n)
    head = (_ROW_MAJOR, ta[0], tb[0], m, n, k, 1.0)
    return partial(_cblas_product, f, head, (ta[1], tb[1], beta, n)), (m, n)


def gemm_call(a: Any, b: Any, out: Any, beta: float) -> Any:
    """``out ← a @ b + beta · out`` as a bound MKL call (a `functools.partial` of MKL's
    function with its pointers), or None where the product stays with NumPy."""
    if not in_use():
        return None
    if type(a) is not np.ndarray or type(b) is not np.ndarray or type(out) is not np.ndarray:
        return None
    if a.ndim != 2 or b.ndim != 2 or out.ndim != 2:
        return None
    if (
        out.dtype != a.dtype
        or out.shape != (a.shape[0], b.shape[1])
        or not out.flags.c_contiguous
        or not out.flags.writeable
        or not (a.flags.aligned and b.flags.aligned and out.flags.aligned)
        or np.may_share_memory(out, a)
        or np.may_share_memory(out, b)
    ):
        return None
    plan = _plan(a, b, beta)
    if plan is None:
        return None
    return partial(plan[0], a.ctypes.data, b.ctypes.data, out.ctypes.data)


# Eager products' plans by operand dtypes, shapes and strides (a model has a few dozen).
_plans: dict[tuple[Any, ...], Any] = {}
_MAX_PLANS = 4096


def _product(a: Any, b: Any, out: Any) -> Any:
    """``a @ b`` into `out` (or a new array) through MKL, or None where it does not apply."""
    # Cheapest rejections first: most small products of a step (W1's, a bias gradient's
    # ones @ g) leave after these few attribute reads.
    if (
        type(a) is not np.ndarray
        or type(b) is not np.ndarray
        or a.ndim != 2
        or b.ndim != 2
        or a.shape[0] * a.shape[1] * b.shape[1] < MKL_FROM
        or not in_use()
    ):
        return None
    if out is not None:  # (rare: the ops' products are fresh; a tape binds its own kernels)
        call = gemm_call(a, b, out, 0.0)
        if call is None:
            return None
        call()
        return out
    key = (a.dtype, a.shape, a.strides, b.dtype, b.shape, b.strides)
    plan = _plans.get(key, _plans)  # `_plans` itself: the miss sentinel
    if plan is _plans:
        plan = _plan(a, b, 0.0)
        if len(_plans) < _MAX_PLANS:
            _plans[key] = plan
    if plan is None:
        return None
    pa, pb = a.ctypes.data, b.ctypes.data
    size = a.itemsize
    if pa % size or pb % size:  # unaligned (a view into bytes): NumPy copes, BLAS may not
        return None
    call, shape = plan
    target = np.empty(shape, a.dtype)
    call(pa, pb, target.ctypes.data)
    return target


def matmul(a: Any, b: Any, out: Any = None) -> Any:
    """``a @ b`` (NumPy's `matmul` semantics), through MKL where the module docstring says."""
    found = _product(a, b, out)
    if found is not None:
        return found
    return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)


def dot(a: Any, b: Any, out: Any = None) -> Any:
    """NumPy's `dot` (for matrices the same product as `matmul`), through MKL likewise."""
    found = _product(a, b, out)
    if found is not None:
        return found
    return np.dot(a, b) if out is None else np.dot(a, b, out)


def matmul_add_into(x: Any, w: Any, b: Any, out: Any) -> bool:
    """``out ← x @ w + b`` (the bias rows first, the product accumulated onto them, beta 1)
    through MKL; False, doing nothing, where it does not apply."""
    call = bound_product_add(x, w, b, out)
    if call is None:
        return False
    call()
    return True


def _bias_then_product(copy_bias: Any, product: Any) -> None:
    copy_bias()
    product()


def calls_mkl(kernel: Any) -> bool:
    """Whether a compiled-tape kernel is a bound MKL product (for profiles and tests)."""
    func = getattr(kernel, "func", None)
    return isinstance(func, _KERNEL) or func in (_bias_then_product, _cblas_product)


def bound_product(a: Any, b: Any, out: Any) -> Any:
    """The compiled tape's kernel for ``matmul(a, b, out)`` over its final arrays: the MKL
    call `matmul` would make, with its pointers bound (None where it would use NumPy).

    Deciding once instead of at every replay saves about 3 µs of a 128³ product's 26. The
    caller keeps the arrays alive for as long as the kernel may run.
    """
    return gemm_call(a, b, out, 0.0)


def bound_product_add(x: Any, w: Any, b: Any, out: Any) -> Any:
    """As `bound_product`, for `matmul_add_into`: the bias copy, then the bound GEMM."""
    call = gemm_call(x, w, out, 1.0)
    if call is None:
        return None
    return partial(_bias_then_product, partial(np.copyto, out, b), call)


__all__ = [
    "ENV_VAR",
    "MKL_FROM",
    "available",
    "bound_product",
    "bound_product_add",
    "calls_mkl",
    "describe",
    "dot",
    "gemm_call",
    "in_use",
    "matmul",
    "matmul_add_into",
    "set_threads",
    "wanted",
]
