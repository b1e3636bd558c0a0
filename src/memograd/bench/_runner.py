"""Run the benchmark: a worker process per measurement, rounds interleaved, medians, ratios.

Round 1 measures every engine on every workload, then round 2 does it all again, and so on;
the engine order rotates from round to round, so slow drift of a shared machine (other
jobs, heat) spreads over all engines instead of landing on one. Each round's median is kept;
the quietest round's is reported (see `aggregate`).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import memograd
from memograd._errors import invalid_value
from memograd._machine import conditions
from memograd._progress import progress
from memograd._threads import ENV_VAR, get_num_threads
from memograd.bench._engines import ENGINES, parse_engines
from memograd.bench._machine import machine_info
from memograd.bench._results import (
    DISAGREEMENT,
    BenchResult,
    EngineResult,
    Record,
    aggregate,
    blas_bound,
    gemm_rate,
)
from memograd.bench._workloads import (
    find_workloads_file,
    load_workloads,
    select_workloads,
)

MIN_REPORTABLE_STEPS = 50
WORKER_TIMEOUT_S = 900.0
SKIPPED = ("missing", "unavailable", "not-applicable")

#: Runs one worker: (engine or "gemm", workload name) -> the worker's JSON record.
WorkerCall = Callable[[str, str], Record]


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def worker_environment(threads: int | None = None) -> dict[str, str]:
    """The workers' environment: this package importable; thread pools capped if asked.

    Without `threads`, every worker runs under memograd's thread policy (`memograd._threads`:
    `$MEMOGRAD_NUM_THREADS`, else 1 BLAS thread), and the torch engine is set to the same
    count. `threads` sets that policy and the OpenMP/OpenBLAS/MKL pool sizes to it; the worker
    also pins itself to that many CPUs (`--cpus`), which is what holds XLA (JAX) to them.
    """
    src = str(Path(memograd.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    if threads is not None:
        env.update({name: str(threads) for name in (*THREAD_VARIABLES, ENV_VAR)})
    return env


def subprocess_worker(
    *,
    steps: int,
    warmup: int,
    seed: int,
    workloads_file: str | os.PathLike[str] | None = None,
    threads: int | None = None,
    timeout: float = WORKER_TIMEOUT_S,
) -> WorkerCall:
    """A WorkerCall that runs `python -m memograd.bench._worker` and parses its JSON line."""
    env = worker_environment(threads)
    # JAX has no thread-count setting: XLA sizes its pool from the CPUs it may run on. Without
    # --threads, the other engines run under memograd's policy (torch set to the same count),
    # so JAX is pinned to that many CPUs: a 1-thread step against a 2-thread one would
    # measure the thread count, not the engine.
    policy = get_num_threads()

    def call(engine: str, workload: str) -> Record:
        command = [sys.executable, "-m", "memograd.bench._worker", "--engine", engine]
        command += ["--workload", workload, "--steps", str(steps), "--warmup", str(warmup)]
        command += ["--seed", str(seed)]
        if workloads_file is not None:  # else the worker reads the packaged file too
            command += ["--workloads-file", str(workloads_file)]
        cpus = threads if threads is not None else (policy if engine == "jax" else None)
        if cpus is not None:
            command += ["--cpus", str(cpus)]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, env=env, check=False
            )
        except subprocess.TimeoutExpired:
            return {"status": "error", "reason": f"worker timed out after {timeout:.0f} s"}
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
        if done.returncode != 0 or not lines:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return {"status": "error", "reason": f"worker exit {done.returncode}: {last}"}
        record: Record = json.loads(lines[-1])
        return record

    return call


def run_bench(
    workloads: Sequence[str] | None = None,
    engines: Sequence[str] | None = None,
    *,
    rounds: int = 2,
    steps: int = 50,
    warmup: int = 5,
    quick: bool = False,
    seed: int = 0,
    reference: str = "memograd",
    workloads_file: str | os.PathLike[str] | None = None,
    threads: int | None = None,
    show_progress: bool = True,
    worker: WorkerCall | None = None,
) -> BenchResult:
    """Measure `engines` on `workloads`, each in its own process, `rounds` times interleaved.

    Args:
        workloads: names such as `["W1", "W4-large"]`; None means all of workloads.json.
        engines: from `memograd, memograd-jit, numpy, torch, jax, micrograd, blas-bound`;
            None means all. Engines not installed are reported as `missing`, not errors.
        rounds: how many times every measurement is repeated (interleaved).
        steps: timed steps per measurement (at least 50 unless `quick`).
        warmup: untimed steps before timing.
        quick: allow fewer steps; the result is then marked as not reportable.
        reference: the engine the ratios divide by.
        threads: cap every engine's thread pools (None: each library's default).
        worker: replaces the subprocess call (tests).

    Example:
        >>> result = run_bench(["W1"], ["numpy"], steps=3, quick=True)  # doctest: +SKIP
        >>> result.get("W1-tiny", "numpy").median_s  # doctest: +SKIP
        0.00012
    """
    checks = [("rounds", rounds, 1), ("steps", steps, 1), ("warmup", warmup, 0)]
    if threads is not None:
        checks.append(("threads", threads, 1))
    for name, value, low in checks:
        if not isinstance(value, int) or value < low:
            raise invalid_value(name, f"an integer >= {low}", value)
    if steps < MIN_REPORTABLE_STEPS and not quick:
        raise ValueError(
            f"Received an invalid value for `steps`, expected at least {MIN_REPORTABLE_STEPS} "
            f"for a reportable median (use quick=True / --quick for a short, unreportable run). "
            f"Received: steps={steps}"
        )
    file = find_workloads_file(workloads_file)
    chosen = select_workloads(load_workloads(file), workloads)
    names = parse_engines(list(engines) if engines is not None else None)
    reference = parse_engines([reference])[0]
    timed = [e for e in names if e in ENGINES]
    call = worker or subprocess_worker(
        steps=steps, warmup=warmup, seed=seed, workloads_file=workloads_file, threads=threads
    )
    machine = machine_info()
    start = conditions()

    records: dict[tuple[str, str], list[Record]] = {(w.name, e): [] for w in chosen for e in timed}
    gemm: list[Record] = []
    # The GEMM behind blas-bound is measured like an engine, once per workload and round, so
    # a busy moment on a shared machine cannot set the bound for the whole run.
    queue = timed + (["gemm"] if "blas-bound" in names else [])
    with progress(enabled=show_progress) as bar:
        task = bar.add_task("bench", total=rounds * len(chosen) * len(queue))
        for round_index in range(rounds):
            shift = round_index % max(len(queue), 1)
            order = queue[shift:] + queue[:shift]  # rotate: no engine always runs first
            for w in chosen:
                for engine in order:
                    done = gemm if engine == "gemm" else records[(w.name, engine)]
                    if engine != "gemm" and done and done[0].get("status") in SKIPPED:
                        bar.advance(task)  # absent stays absent: do not ask again
                        continue
                    bar.update(
                        task, description=f"round {round_index + 1}/{rounds} · {w.short} · {engine}"
                    )
                    done.append(call(engine, w.name))
                    bar.advance(task)
        bar.update(task, description=f"bench: {rounds} rounds done")

    results: list[EngineResult] = []
    bound = {r.workload: r for r in blas_bound(chosen, gemm)} if "blas-bound" in names else {}
    for w in chosen:
        for engine in names:
            if engine == "blas-bound":
                results.append(bound[w.name])
            else:
                results.append(aggregate(w.name, engine, records[(w.name, engine)]))
    rate = gemm_rate(gemm)
    medians = [r["flops_per_s"] for r in gemm if r.get("status") == "ok"]
    machine["gemm_gflops"] = rate / 1e9 if rate else None
    machine["gemm_gflops_median"] = statistics.median(medians) / 1e9 if medians else None
    machine["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    why_not = None
    if quick or steps < MIN_REPORTABLE_STEPS:
        why_not = f"quick run: {steps} steps per round (a reportable median needs 50)"
    elif rounds < 2:
        why_not = "one round: no second round to show the machine was steady"
    settings = {
        "engines": names,
        "rounds": rounds,
        "steps": steps,
        "warmup": warmup,
        "seed": seed,
        "threads": threads,
        "quick": quick,
        "reportable": why_not is None,
        "not_reportable_because": why_not,
        "disagreement_factor": DISAGREEMENT,
        "workloads_file": str(file),
        "learning_rate": 0.01,
        "dtype": "float32",
    }
    ran = conditions(start)
    # The workers' own thread counts, not this process's: they are what the times ran with.
    counts = sorted({r["threads"] for rs in records.values() for r in rs if r.get("threads")})
    if counts:
        ran["blas_threads"] = counts[0] if len(counts) == 1 else counts
    # Likewise the library memograd's products ran on (MKL serves the one-thread policy only).
    libraries = sorted(
        {
            str(r["conditions"]["products"])
            for (_, engine), rs in records.items()
            if engine.startswith("memograd")
            for r in rs
            if isinstance(r.get("conditions"), dict) and r["conditions"].get("products")
        }
    )
    if libraries:
        ran["products"] = libraries[0] if len(libraries) == 1 else ", ".join(libraries)
    return BenchResult(machine, settings, chosen, results, reference, ran)
