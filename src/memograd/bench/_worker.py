"""One engine on one workload in a fresh process; prints one JSON line on stdout.

`python -m memograd.bench._worker --engine numpy --workload W1-tiny --steps 50`

A process per measurement keeps engines from sharing thread pools, allocator state or peak
memory: `peak_rss_mb` is this process's high-water mark (imports included) and
`import_rss_mb` the mark before the engine was built. `--engine gemm` times a 1024x1024
float32 NumPy matrix product instead (the FLOP/s behind the `blas-bound` row).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from memograd._machine import conditions
from memograd._threads import get_num_threads
from memograd.bench._engines import ENGINES, EngineSkipped, build
from memograd.bench._workloads import load_workloads, make_data, select_workloads

GEMM_SIZE = 1024


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def limit_cpus(count: int) -> list[int]:
    """Pin this process to the first `count` CPUs it may use; returns them.

    Thread-count variables do not reach every library (XLA sizes its pool from the CPUs it
    can run on), an affinity mask does. Without `sched_setaffinity` (macOS) nothing changes.
    """
    if count < 1:
        raise ValueError(
            f"Received an invalid value for `cpus`, expected a positive integer. "
            f"Received: cpus={count}"
        )
    if not hasattr(os, "sched_setaffinity"):
        return []
    chosen = sorted(os.sched_getaffinity(0))[:count]
    os.sched_setaffinity(0, chosen)
    return chosen


def time_calls(fn: Callable[[], object], count: int) -> list[float]:
    """Seconds taken by each of `count` calls of `fn` (perf_counter)."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def measure_gemm(size: int = GEMM_SIZE, repeats: int = 20) -> dict[str, Any]:
    """FLOP/s (median and best) of a `size`x`size` float32 matrix product (2·n³ FLOPs)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    out = np.empty_like(a)
    for _ in range(3):
        np.matmul(a, b, out=out)
    times = time_calls(lambda: np.matmul(a, b, out=out), repeats)
    median = statistics.median(times)
    return {
        "engine": "gemm",
        "status": "ok",
        "size": size,
        "times_s": times,
        "median_s": median,
        "flops_per_s": 2.0 * size**3 / median,
        "best_flops_per_s": 2.0 * size**3 / min(times),
        "threads": get_num_threads(),
        "peak_rss_mb": peak_rss_mb(),
    }


def run_worker(
    engine: str,
    workload_name: str,
    *,
    steps: int = 50,
    warmup: int = 5,
    seed: int = 0,
    workloads_file: str | None = None,
) -> dict[str, Any]:
    """Time `steps` training steps of `engine` after `warmup` steps; a JSON-ready dict.

    `status` is `ok`, or `missing` / `unavailable` / `not-applicable` with a `reason`.
    Any other failure propagates (the parent reports it as `error`).
    """
    workload = select_workloads(load_workloads(workloads_file), [workload_name])[0]
    record: dict[str, Any] = {"engine": engine, "workload": workload.name, "status": "ok"}
    start = conditions()
    X, y = make_data(workload, seed)
    import_rss = peak_rss_mb()
    try:
        built = build(engine, workload, X, y, seed)
    except EngineSkipped as skipped:
        record.update(status=skipped.status, reason=skipped.reason)
        return record
    warm = built.warmup if built.warmup is not None else warmup
    count = min(steps, built.max_steps) if built.max_steps else steps
    calls = [built.step] if built.forward is None else [built.step, built.forward]
    for _ in range(warm):
        for call in calls:
            call()
    # Steps and forward passes alternate, so both see the same machine: a busy minute
    # cannot make the forward pass look slower than the whole step.
    timed = [time_calls(call, 1)[0] for _ in range(count) for call in calls]
    times = timed[:: len(calls)]
    record.update(
        steps=count,
        warmup=warm,
        times_s=times,
        median_s=statistics.median(times),
        versions=built.versions,
        note=built.note,
    )
    if built.forward is not None:
        forward_times = timed[1::2]
        record.update(
            forward_times_s=forward_times, forward_median_s=statistics.median(forward_times)
        )
    if built.python_allocations:
        # One extra step under tracemalloc (slow, so never a timed one): the peak of NumPy and
        # Python allocations during a step. Meaningless for torch/jax (own allocators).
        tracemalloc.start()
        built.step()
        record["step_alloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    record.update(import_rss_mb=import_rss, peak_rss_mb=peak_rss_mb())
    # JAX sizes its own pool (no count to report); torch's was set to the BLAS count.
    threads = None if engine == "jax" else built.threads or start["blas_threads"]
    record.update(threads=threads, conditions=conditions(start))
    return record


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run one measurement, print it as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m memograd.bench._worker")
    parser.add_argument("--engine", required=True, choices=[*ENGINES, "gemm"])
    parser.add_argument("--workload", default="W1")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workloads-file", default=None)
    parser.add_argument("--cpus", type=int, default=None, help="pin this process to N CPUs")
    args = parser.parse_args(argv)
    cpus = None if args.cpus is None else limit_cpus(args.cpus)  # before any thread pool starts
    if args.engine == "gemm":
        record = measure_gemm()
    else:
        record = run_worker(
            args.engine,
            args.workload,
            steps=args.steps,
            warmup=args.warmup,
            seed=args.seed,
            workloads_file=args.workloads_file,
        )
    if cpus is not None:
        record["cpus"] = cpus
    sys.stdout.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
