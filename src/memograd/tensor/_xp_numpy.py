"""The eager array namespace: what op definitions may call on ``xp``, computed with NumPy.

Every name here is also provided by the Tensor namespace (`_xp_tensor`, for higher-order
derivatives) and by the compiler's recording namespace (`memograd.compile._record`); a test
keeps the three lists equal. Most are NumPy's own functions, taken from the backend
(`_backend.xp`); ``erf`` is SciPy's ufunc (NumPy has none); five are memograd's, each a
small step NumPy spells as an indexing expression that the other interpreters need as one
named call (and ``matmul_add``, a product with its bias as one BLAS call):

- ``pick(a, index)``: ``a[i, index[i]]`` for every row i (a cross-entropy's picked
  log-probabilities);
- ``pick_subtract(a, index, v)``: ``a[i, index[i]] -= v``, in place on `a` (which the
  caller created) and returned;
- ``scatter(g, index, shape, advanced)``: zeros of `shape` with `g` added at `index`
  (repeated indices accumulate when `advanced`): the VJP of indexing;
- ``check_labels(index, classes, op)``: raise ValueError unless every label lies in
  [0, classes);
- ``uniform(rng, shape, dtype)``: draws in [0, 1) from a `numpy.random.Generator`;
- ``matmul_add(x, w, b)``: ``x @ w + b`` for matrices and a bias row, the bias as the
  product's initial value (BLAS gemm with beta = 1): the add is no pass of its own.

Example:
    >>> import numpy as np
    >>> from memograd.tensor import _xp_numpy as xp
    >>> xp.pick(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1, 0])).tolist()
    [2.0, 3.0]
"""

from __future__ import annotations

from typing import Any

from .. import _blas, _mkl
from ._backend import xp as _np

abs = _np.abs
arange = _np.arange
ascontiguousarray = _np.ascontiguousarray
broadcast_shapes = _np.broadcast_shapes
broadcast_to = _np.broadcast_to
clip = _np.clip
concatenate = _np.concatenate
cos = _np.cos
cumsum = _np.cumsum
dot = _mkl.dot  # (as `matmul`)
einsum = _np.einsum
equal = _np.equal
errstate = _np.errstate
exp = _np.exp
expm1 = _np.expm1
greater = _np.greater
greater_equal = _np.greater_equal
isfinite = _np.isfinite
less_equal = _np.less_equal
log = _np.log
log1p = _np.log1p
logical_and = _np.logical_and
matmul = _mkl.matmul  # NumPy's, or MKL's GEMM where it is installed and applies (`_mkl`)
maximum = _np.maximum
prod = _np.prod
sign = _np.sign
sin = _np.sin
sqrt = _np.sqrt
stack = _np.stack
tanh = _np.tanh
where = _np.where
zeros = _np.zeros
zeros_like = _np.zeros_like


# Small constant vectors the definitions only read (a sum as ones @ g, the rows of a pick):
# made once per shape and dtype, read-only, instead of allocated at every call.
_CONSTANTS: dict[tuple[Any, ...], Any] = {}


def _constant(key: tuple[Any, ...], make: Any) -> Any:
    found = _CONSTANTS.get(key)
    if found is None:
        found = make()
        found.flags.writeable = False  # shared: a definition writing into it fails loudly
        if len(_CONSTANTS) < 256:
            _CONSTANTS[key] = found
    return found


def ones(shape: Any, dtype: Any = float) -> Any:
    """Ones of `shape`, read-only (shared by every call with the same shape and dtype)."""
    return _constant(("ones", shape, dtype), lambda: _np.ones(shape, dtype))


def _rows(n: int) -> Any:
    return _constant(("rows", n), lambda: _np.arange(n))


def erf(x: Any, out: Any = None) -> Any:
    """The error function, elementwise (SciPy's ufunc; imported at the first call)."""
    from scipy.special import erf as _erf

    return _erf(x) if out is None else _erf(x, out=out)


def pick(a: Any, index: Any) -> Any:
    """``a[i, index[i]]`` for each row i of a 2-D `a` (shape (B,))."""
    return a[_rows(index.shape[0]), index]


def pick_subtract(a: Any, index: Any, v: Any) -> Any:
    """Subtract `v` from ``a[i, index[i]]`` in place (`a` is the caller's fresh array)."""
    a[_rows(index.shape[0]), index] -= v
    return a


def scatter(g: Any, index: Any, shape: tuple[int, ...], advanced: bool) -> Any:
    """Zeros of `shape` with `g` placed at `index`; repeats accumulate when `advanced`."""
    out = _np.zeros(shape, dtype=g.dtype)
    if advanced:
        _np.add.at(out, index, g)
    else:
        out[index] = g
    return out


_UNSIGNED = {n: _np.dtype(f"u{n}") for n in (1, 2, 4, 8)}


def check_labels(index: Any, classes: int, op: str = "cross_entropy") -> None:
    """Raise ValueError unless every entry of the integer array `index` is in [0, classes)
    (the message names the op)."""
    # One reduction checks both ends: negative labels viewed as unsigned are huge.
    if index.size and index.view(_UNSIGNED[index.dtype.itemsize]).max() >= classes:
        raise ValueError(
            f"{op}: labels must lie in [0, {classes}). "
            f"Received values from {index.min()} to {index.max()}"
        )


def uniform(rng: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """Draws in [0, 1) of `dtype` from the generator `rng` (advancing it)."""
    return rng.random(shape, dtype=dtype)


def matmul_add(x: Any, w: Any, b: Any) -> Any:
    """``x @ w + b``: `x` (m, k), `w` (k, n), `b` (n,), a fresh (m, n) array."""
    dtype = _np.result_type(x, w, b)
    out = _np.empty((x.shape[0], w.shape[1]), dtype)
    return matmul_add_into(x, w, b, out)


def matmul_add_into(x: Any, w: Any, b: Any, out: Any) -> Any:
    """`matmul_add` written into `out` (the compiled step's kernel: the same arithmetic).

    The bias rows first, then the product accumulated onto them by BLAS: MKL's where it
    applies, else SciPy's OpenBLAS (one rounding of
    bias + Σ per K-block, as torch's ``addmm``); NumPy's product then an add where BLAS
    cannot (another dtype, mixed dtypes) and above `EPILOGUE_UP_TO`. The choice depends on
    shapes and dtypes only, so an eager call and a replayed kernel round alike.
    """
    if _mkl.matmul_add_into(x, w, b, out):  # where MKL's GEMM applies (`memograd._mkl`)
        return out
    if x.shape[0] * x.shape[1] * w.shape[1] <= EPILOGUE_UP_TO:
        _np.copyto(out, b)
        if _blas.gemm_add(x, w, out):
            return out
    _np.matmul(x, w, out=out)
    out += b
    return out


# Up to this many multiply-adds the bias goes in as the product's epilogue (SciPy's gemm);
# above, NumPy's product then the add. Measured on one core (fastest of 40 interleaved calls):
# the epilogue took 0.89x the time of matmul + add at W2's 128x64x128 and 0.95x at W3's
# 128x128x128, but NumPy's OpenBLAS build ran W4's 256x784x1024 and 256x1024x1024 products
# 4-6 % faster than SciPy's (3.11 against 3.23 ms; 3.84 against 4.07), more than the add
# pass costs there (under 1 % of the product).
EPILOGUE_UP_TO = 1 << 24


NAMES = [
    "abs",
    "arange",
    "ascontiguousarray",
    "broadcast_shapes",
    "broadcast_to",
    "check_labels",
    "clip",
    "concatenate",
    "cos",
    "cumsum",
    "dot",
    "einsum",
    "equal",
    "erf",
    "errstate",
    "exp",
    "expm1",
    "greater",
    "greater_equal",
    "isfinite",
    "less_equal",
    "log",
    "log1p",
    "logical_and",
    "matmul",
    "matmul_add",
    "maximum",
    "ones",
    "pick",
    "pick_subtract",
    "prod",
    "scatter",
    "sign",
    "sin",
    "sqrt",
    "stack",
    "tanh",
    "uniform",
    "where",
    "zeros",
    "zeros_like",
]
"""Every name a definition may use on ``xp`` (all three namespaces provide them)."""
