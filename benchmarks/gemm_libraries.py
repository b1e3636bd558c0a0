"""NumPy's OpenBLAS against MKL (memograd._mkl) on the products of the bench workloads.

For each workload of ``memograd/bench/workloads.json``, every distinct matrix product of one
training step (forward x @ W, backward dX = dZ @ Wᵀ and dW = Xᵀ @ dZ, in the layouts the
step uses: transposes are views), float32, timed interleaved call by call (so that a shared
machine's drift hits both alike): median µs and the ratio MKL / OpenBLAS. One BLAS thread,
memograd's default policy; the load average is printed before and after.

Run:
    python benchmarks/gemm_libraries.py
    python benchmarks/gemm_libraries.py --calls 1000 --workloads W2,W3
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from functools import partial

import numpy as np

import memograd as mg
from memograd import _mkl
from memograd.bench._workloads import load_workloads, select_workloads


def step_products(sizes: list[int], batch: int) -> list[tuple[str, tuple[int, int, int]]]:
    """(layout, (m, k, n)) of every product of one step: forward, then dX and dW per layer
    (no dX for the first layer: the inputs need no gradient)."""
    found: list[tuple[str, tuple[int, int, int]]] = []
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        found.append(("x @ W", (batch, fan_in, fan_out)))
        if i > 0:
            found.append(("dZ @ Wᵀ", (batch, fan_out, fan_in)))
        found.append(("Xᵀ @ dZ", (fan_in, batch, fan_out)))
    return list(dict.fromkeys(found))


def operands(layout: str, m: int, k: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    if layout == "dZ @ Wᵀ":
        b = np.ascontiguousarray(b.T).T  # Wᵀ: a transposed view of the (n, k) weights
    elif layout == "Xᵀ @ dZ":
        a = np.ascontiguousarray(a.T).T  # Xᵀ: a transposed view of the (k, m) inputs
    return a, b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--workloads", default="W1,W2,W3,W4")
    args = parser.parse_args()
    mg.set_num_threads(1)
    if not _mkl.available():
        raise SystemExit("MKL is not installed: pip install memograd[fast]")
    print(f"1 BLAS thread, load average {os.getloadavg()[0]:.2f} at the start; {_mkl.describe()}")
    print("| workload | product | m×k×n | OpenBLAS µs | MKL µs | MKL / OpenBLAS |")
    print("|---|---|---|---:|---:|---:|")
    seen: set[tuple[str, tuple[int, int, int]]] = set()
    for workload in select_workloads(load_workloads(), args.workloads.split(",")):
        for layout, shape in step_products(list(workload.sizes), workload.batch):
            if (layout, shape) in seen:
                continue
            seen.add((layout, shape))
            a, b = operands(layout, *shape)
            out = np.empty((shape[0], shape[2]), np.float32)
            mkl = _mkl.gemm_call(a, b, out, 0.0)
            if mkl is None:  # below MKL_FROM: memograd keeps NumPy's product there
                continue
            times: dict[str, list[float]] = {"openblas": [], "mkl": []}
            for _ in range(args.calls):
                for name, call in (("openblas", partial(np.matmul, a, b, out=out)), ("mkl", mkl)):
                    start = time.perf_counter()
                    call()
                    times[name].append(time.perf_counter() - start)
            ob, mk = (statistics.median(times[k]) * 1e6 for k in ("openblas", "mkl"))
            size = "×".join(map(str, shape))
            print(f"| {workload.short} | {layout} | {size} | {ob:.1f} | {mk:.1f} | {mk / ob:.2f} |")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
