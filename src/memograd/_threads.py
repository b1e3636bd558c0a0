"""How many threads NumPy's BLAS may use for memograd's matrix products: a deliberate policy.

Left alone, OpenBLAS starts one thread per core and splits every product above a tiny size
(about 64³ multiply-adds) across them. Measured on 2 shared cores (`benchmarks/blas_threads.py`
and `benchmarks/load_step.py`, README "Threads and honest timings"), that split is:

- a loss for MLP-sized products, whatever the load: W2's 128×64 @ 64×128 takes 1.5× as long
  with 2 threads, 128×128 @ 128×128 up to 1.3× as long;
- a gain of up to 2× for larger ones (W4's 256×784 @ 784×1024) while a core is free, and a
  loss of up to 20× (median; more at p90) when other processes hold the cores, because the
  threads wait for each other at every product. The W2 step beside two busy processes had a
  p90 of 3.6 ms (load 1.6) and 269 ms (load 7-11) with 2 threads, 0.42 ms and 0.74 ms with 1.

So the default is one BLAS thread, applied when memograd is imported (through threadpoolctl:
environment variables set after NumPy is loaded change nothing). `MEMOGRAD_NUM_THREADS=n` in
the environment, or `set_num_threads(n)`, gives more to large models on a machine whose cores
are free; `benchmarks/blas_threads.py` measures where the second thread starts to pay off on
your machine, quiet and under load.

Example:
    >>> import memograd as mg
    >>> before = mg.get_num_threads()
    >>> mg.set_num_threads(1)
    >>> mg.get_num_threads()
    1
    >>> mg.set_num_threads(before)
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from memograd import _mkl
from memograd._errors import invalid_type, invalid_value

#: The environment variable read once, when memograd is imported.
ENV_VAR = "MEMOGRAD_NUM_THREADS"
#: BLAS threads when nothing else is asked for (see the module docstring for the measurements).
DEFAULT_THREADS = 1

# The BLAS libraries loaded when the policy was first applied (NumPy's, loaded by then):
# `get_num_threads` reports on these, so a second BLAS loaded later (SciPy's, with its own
# thread pool) does not hide what memograd's products run with.
_tracked: set[str] = set()
# BLAS libraries of their own (SciPy's wheel ships one) that memograd calls only for one-pass
# kernels (`memograd._blas`: axpy, small products with a bias): kept at ONE thread whatever
# the policy. Their pool and NumPy's would otherwise take turns, each one's workers spinning
# while the other's run: more threads than cores at n = 2. One thread also suits what runs
# there (memory-bound passes; products too small to gain from a second thread).
_single: set[str] = set()


def keep_single_threaded(library_dir: str) -> None:
    """Hold the BLAS pools loaded from `library_dir` (SciPy's ``scipy.libs``) at one thread,
    now and after every `set_num_threads` (NumPy's own pool is never held)."""
    numpy_dir = _numpy_libs()
    for pool in _blas_pools():
        path = str(pool.get("filepath"))
        if path.startswith(library_dir) and not path.startswith(numpy_dir):
            _single.add(path)
    _hold_single()


def _numpy_libs() -> str:
    import numpy

    return os.path.dirname(numpy.__file__) + ".libs"


def _hold_single() -> None:
    if _single:
        from threadpoolctl import ThreadpoolController

        ThreadpoolController().select(filepath=sorted(_single)).limit(limits=1)


def _blas_pools() -> list[dict[str, Any]]:
    from threadpoolctl import threadpool_info

    return [pool for pool in threadpool_info() if pool.get("user_api") == "blas"]


def check_num_threads(n: object, name: str = "n") -> int:
    """`n` if it is a positive integer, else a TypeError/ValueError naming `name`.

    Example:
        >>> check_num_threads(0)
        Traceback (most recent call last):
        ...
        ValueError: Received an invalid value for `n`, expected a positive integer. Received: n=0
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise invalid_type(name, "a positive integer", n, show_type=True)
    if n < 1:
        raise invalid_value(name, "a positive integer", n)
    return n


def set_num_threads(n: int) -> None:
    """Let NumPy's BLAS use `n` threads for every matrix product (like `torch.set_num_threads`).

    Applies to every BLAS library loaded in this process now (threadpoolctl), for the rest
    of the process.

    Raises:
        TypeError: `n` is not an integer.
        ValueError: `n` is below 1.
    """
    from threadpoolctl import ThreadpoolController

    check_num_threads(n)
    if not _tracked:
        _tracked.update(str(pool.get("filepath")) for pool in _blas_pools())
    ThreadpoolController().limit(limits=n, user_api="blas")
    _hold_single()
    _mkl.set_threads(n)  # MKL's products (sequential) serve the one-thread policy only


def get_num_threads() -> int:
    """The threads NumPy's BLAS may use now, as the library itself reports (threadpoolctl).

    The largest pool among the BLAS libraries memograd's policy applies to; 1 when NumPy has
    no threaded BLAS.
    """
    pools = [p for p in _blas_pools() if str(p.get("filepath")) not in _single]
    mine = [p for p in pools if str(p.get("filepath")) in _tracked] or pools
    return max((int(p.get("num_threads") or 1) for p in mine), default=1)


def blas_library() -> str | None:
    """`openblas 0.3.27` (internal API and version) of NumPy's BLAS, or None if none is found."""
    pools = _blas_pools()
    mine = [p for p in pools if str(p.get("filepath")) in _tracked] or pools
    if not mine:
        return None
    pool = mine[0]
    return " ".join(str(pool[k]) for k in ("internal_api", "version") if pool.get(k))


def threads_from_environment() -> int | None:
    """`$MEMOGRAD_NUM_THREADS` as a positive integer; None (with a warning) if unset or invalid."""
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return None
    try:
        return check_num_threads(int(raw), ENV_VAR)
    except ValueError:
        # A typo in the environment should not make the library unimportable: say so, go on.
        warnings.warn(
            f"Ignoring {ENV_VAR}={raw!r}: expected a positive integer; using "
            f"{DEFAULT_THREADS} BLAS thread(s).",
            RuntimeWarning,
            stacklevel=2,
        )
        return None


def apply_default() -> int:
    """Set the policy's thread count (`$MEMOGRAD_NUM_THREADS`, else 1); return it."""
    n = threads_from_environment() or DEFAULT_THREADS
    set_num_threads(n)
    return n
