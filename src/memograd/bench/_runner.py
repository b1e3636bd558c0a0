"""Run the benchmark: a worker process per measurement, rounds interleaved, medians, ratios.

Round 1 measures every engine on every workload, then round 2 does it all again, and so on;
the engine order rotates from round to round, so slow drift of a shared machine (other
jobs, heat) spreads over all engines instead of landing on one. Step times of all rounds are
pooled and their median reported; each round's median is kept to show the drift.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import memograd
from memograd._progress import progress
from memograd.bench._engines import ENGINES, parse_engines
from memograd.bench._machine import machine_info
from memograd.bench._workloads import (
    Workload,
    find_workloads_file,
    load_workloads,
    select_workloads,
)

MIN_REPORTABLE_STEPS = 50
WORKER_TIMEOUT_S = 900.0
SKIPPED = ("missing", "unavailable", "not-applicable")

Record = dict[str, Any]
#: Runs one worker: (engine or "gemm", workload name) -> the worker's JSON record.
WorkerCall = Callable[[str, str], Record]


@dataclass
class EngineResult:
    """One engine on one workload, all rounds together."""

    workload: str
    engine: str
    status: str  # ok, missing, unavailable, not-applicable, error
    reason: str | None = None
    median_s: float | None = None
    steps: int = 0  # timed steps, all rounds
    rounds: int = 0  # rounds that produced times
    round_medians_s: list[float] = field(default_factory=list)
    forward_median_s: float | None = None
    peak_rss_mb: float | None = None
    import_rss_mb: float | None = None
    step_alloc_peak_mb: float | None = None
    versions: dict[str, str] = field(default_factory=dict)
    note: str = ""

    @property
    def backward_median_s(self) -> float | None:
        """Step minus forward+loss: the backward pass plus the (cheap) SGD update."""
        if self.median_s is None or self.forward_median_s is None:
            return None
        return self.median_s - self.forward_median_s

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the schema of `results` in the JSON document)."""
        backward = self.backward_median_s
        forward = self.forward_median_s
        return {
            "workload": self.workload,
            "engine": self.engine,
            "status": self.status,
            "reason": self.reason,
            "median_s": self.median_s,
            "steps": self.steps,
            "rounds": self.rounds,
            "round_medians_s": self.round_medians_s,
            "forward_median_s": forward,
            "backward_median_s": backward,
            "backward_forward_ratio": backward / forward if backward and forward else None,
            "peak_rss_mb": self.peak_rss_mb,
            "import_rss_mb": self.import_rss_mb,
            "step_alloc_peak_mb": self.step_alloc_peak_mb,
            "versions": self.versions,
            "note": self.note,
        }


@dataclass
class BenchResult:
    """Everything one `run_bench` measured, plus where and how."""

    machine: dict[str, Any]
    settings: dict[str, Any]
    workloads: list[Workload]
    results: list[EngineResult]
    reference: str = "memograd"

    @property
    def reportable(self) -> bool:
        """True when every timed engine ran at least 50 steps (and `quick` was off)."""
        return bool(self.settings.get("reportable", False))

    @property
    def engines(self) -> list[str]:
        """Engine names in the order they were asked for."""
        return list(self.settings.get("engines", []))

    def get(self, workload: str, engine: str) -> EngineResult | None:
        """The result of `engine` on `workload` (full workload name), if measured."""
        for r in self.results:
            if r.workload == workload and r.engine == engine:
                return r
        return None

    def ratios(self) -> dict[str, dict[str, float | None]]:
        """`{workload: {engine: median_s(engine) / median_s(reference)}}`; see `compute_ratios`."""
        return compute_ratios(self.results, self.reference)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document: machine, settings, workloads, results, ratios."""
        return {
            "machine": self.machine,
            "settings": self.settings,
            "reportable": self.reportable,
            "workloads": [w.to_dict() for w in self.workloads],
            "results": [r.to_dict() for r in self.results],
            "ratios": {
                "reference": self.reference,
                "meaning": "median step time of the engine / median step time of the reference",
                "values": self.ratios(),
            },
        }


def compute_ratios(
    results: Sequence[EngineResult], reference: str = "memograd"
) -> dict[str, dict[str, float | None]]:
    """Per workload, each engine's median over the reference's median (None where missing).

    A ratio below 1 means the engine is faster than the reference; the reference gets 1.0.

    Example:
        >>> rs = [EngineResult("W1", "memograd", "ok", median_s=2.0),
        ...       EngineResult("W1", "numpy", "ok", median_s=1.0)]
        >>> compute_ratios(rs)
        {'W1': {'memograd': 1.0, 'numpy': 0.5}}
    """
    table: dict[str, dict[str, float | None]] = {}
    for workload in dict.fromkeys(r.workload for r in results):
        row = [r for r in results if r.workload == workload]
        base = next((r.median_s for r in row if r.engine == reference), None)
        table[workload] = {
            r.engine: (r.median_s / base if base and r.median_s is not None else None) for r in row
        }
    return table


def aggregate(workload: str, engine: str, records: Sequence[Record]) -> EngineResult:
    """Merge one engine's worker records (one per round) into an EngineResult.

    Step times of all successful rounds are pooled for the median; a round that failed while
    others succeeded is mentioned in `reason`.
    """
    ok = [r for r in records if r.get("status") == "ok"]
    if not ok:
        first = records[0] if records else {"status": "error", "reason": "no measurement"}
        return EngineResult(workload, engine, str(first.get("status")), first.get("reason"))
    times = [t for r in ok for t in r["times_s"]]
    forward = [t for r in ok for t in r.get("forward_times_s", [])]
    failed = [r for r in records if r.get("status") != "ok"]
    allocs = [r["step_alloc_peak_mb"] for r in ok if "step_alloc_peak_mb" in r]
    return EngineResult(
        workload,
        engine,
        "ok",
        reason=(f"{len(failed)} of {len(records)} rounds failed: {failed[0].get('reason')}")
        if failed
        else None,
        median_s=statistics.median(times),
        steps=len(times),
        rounds=len(ok),
        round_medians_s=[statistics.median(r["times_s"]) for r in ok],
        forward_median_s=statistics.median(forward) if forward else None,
        peak_rss_mb=max(r["peak_rss_mb"] for r in ok),
        import_rss_mb=max(r["import_rss_mb"] for r in ok),
        step_alloc_peak_mb=max(allocs) if allocs else None,
        versions=ok[0].get("versions", {}),
        note=str(ok[0].get("note", "")),
    )


def gemm_rate(gemm_records: Sequence[Record]) -> float | None:
    """The best GEMM FLOP/s of the run (fastest product of all rounds), or None.

    A bound should not get slower when a neighbour steals the CPU for a moment: the fastest
    of the products measured is the speed this BLAS reaches on this machine.
    """
    rates = [r["best_flops_per_s"] for r in gemm_records if r.get("status") == "ok"]
    return max(rates) if rates else None


def blas_bound(workloads: Sequence[Workload], gemm_records: Sequence[Record]) -> list[EngineResult]:
    """The `blas-bound` pseudo-engine: each workload's FLOPs / the run's best GEMM FLOP/s."""
    rate = gemm_rate(gemm_records)
    if rate is None:
        reason = gemm_records[0].get("reason") if gemm_records else "GEMM not measured"
        return [EngineResult(w.name, "blas-bound", "error", reason) for w in workloads]
    rounds = sum(r.get("status") == "ok" for r in gemm_records)
    return [
        EngineResult(
            w.name,
            "blas-bound",
            "ok",
            median_s=w.flops / rate,
            rounds=rounds,
            note=f"{w.flops / 1e6:.1f} MFLOP / {rate / 1e9:.1f} GFLOP/s",
        )
        for w in workloads
    ]


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def worker_environment(threads: int | None = None) -> dict[str, str]:
    """The workers' environment: this package importable; thread pools capped if asked.

    `threads` sets the OpenMP/OpenBLAS/MKL pool sizes (NumPy, PyTorch); with 1, XLA's CPU
    thread pool is turned off too (JAX).
    """
    src = str(Path(memograd.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    if threads is not None:
        env.update({name: str(threads) for name in THREAD_VARIABLES})
        if threads == 1:
            flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
            env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {flags}".strip()
    return env


def subprocess_worker(
    *,
    steps: int,
    warmup: int,
    seed: int,
    workloads_file: Path,
    threads: int | None = None,
    timeout: float = WORKER_TIMEOUT_S,
) -> WorkerCall:
    """A WorkerCall that runs `python -m memograd.bench._worker` and parses its JSON line."""
    env = worker_environment(threads)

    def call(engine: str, workload: str) -> Record:
        command = [sys.executable, "-m", "memograd.bench._worker", "--engine", engine]
        command += ["--workload", workload, "--steps", str(steps), "--warmup", str(warmup)]
        command += ["--seed", str(seed), "--workloads-file", str(workloads_file)]
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
            raise ValueError(
                f"Received an invalid value for `{name}`, expected an integer >= {low}. "
                f"Received: {name}={value!r}"
            )
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
        steps=steps, warmup=warmup, seed=seed, workloads_file=file, threads=threads
    )
    machine = machine_info()

    records: dict[tuple[str, str], list[Record]] = {(w.name, e): [] for w in chosen for e in timed}
    gemm: list[Record] = []
    per_round = len(chosen) * len(timed) + ("blas-bound" in names)
    with progress(enabled=show_progress) as bar:
        task = bar.add_task("bench", total=rounds * per_round)
        for round_index in range(rounds):
            if "blas-bound" in names:
                bar.update(task, description=f"round {round_index + 1}/{rounds} · GEMM")
                gemm.append(call("gemm", chosen[0].name))
                bar.advance(task)
            shift = round_index % max(len(timed), 1)
            order = timed[shift:] + timed[:shift]  # rotate: no engine always runs first
            for w in chosen:
                for engine in order:
                    done = records[(w.name, engine)]
                    if done and done[0].get("status") in SKIPPED:
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
    settings = {
        "engines": names,
        "rounds": rounds,
        "steps": steps,
        "warmup": warmup,
        "seed": seed,
        "threads": threads,
        "quick": quick,
        "reportable": not quick and steps >= MIN_REPORTABLE_STEPS,
        "workloads_file": str(file),
        "learning_rate": 0.01,
        "dtype": "float32",
    }
    return BenchResult(machine, settings, chosen, results, reference)
