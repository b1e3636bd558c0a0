"""The W2 eager training step, quiet and beside two CPU-bound processes: BLAS threads matter.

Issue 11: on a 2-core machine with other work running, OpenBLAS's default threads fight the
other processes and a step's time jumps 10-150×. This script measures the W2 step
(``mg.nn.Sequential.train_on_batch``, SGD, float32, as ``memograd bench`` builds it) under

- ``old``: the BLAS thread count NumPy's BLAS chose for itself before memograd was imported
  (what memograd ran with before it had a thread policy);
- ``policy``: memograd's thread policy (``mg.get_num_threads()`` after import);
- ``torch``: PyTorch eager, the same step, at its own default thread count, and
  ``torch-1``: PyTorch with one thread (the count memograd's policy gives NumPy by default);

each one quiet and then with two busy processes beside it (spinning Python loops, started
with multiprocessing and stopped after the loaded block). Blocks are interleaved: every round
measures every case quiet, then every case loaded, so drift of a shared machine spreads over
all of them. Reported per case: the median and p90 of the step times, and the two targets
of the issue: the policy's loaded p90 within 3× of its quiet median, and its loaded median
no worse than PyTorch eager's under the same load.

Run:
    python benchmarks/load_step.py                      # W2, 3 rounds x 100 steps per block
    python benchmarks/load_step.py --rounds 5 --steps 200 --json results.json
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import time
from collections.abc import Callable
from typing import Any


def spin(stop: Any) -> None:
    """A CPU-bound neighbour: a Python loop until `stop` is set."""
    x = 0
    while not stop.is_set():
        for _ in range(10_000):
            x += 1


class Busy:
    """`with Busy(2):` two CPU-bound processes run beside the block."""

    def __init__(self, count: int) -> None:
        ctx = mp.get_context("spawn")  # a fresh interpreter: no copied thread pools
        self.stop = ctx.Event()
        self.procs = [ctx.Process(target=spin, args=(self.stop,)) for _ in range(count)]

    def __enter__(self) -> Busy:
        for p in self.procs:
            p.start()
        time.sleep(0.5)  # let them start spinning
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for p in self.procs:
            p.join()


def p90(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", default="W2")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=100, help="timed steps per block")
    parser.add_argument("--busy", type=int, default=2, help="CPU-bound neighbours (2)")
    parser.add_argument(
        "--settle", type=float, default=0.5, help="pause before each case, in seconds (0.5)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the numbers here")
    args = parser.parse_args()

    # What NumPy's BLAS picks by itself, read before memograd applies its policy.
    import numpy as np  # noqa: F401  (loads the BLAS)
    from threadpoolctl import ThreadpoolController, threadpool_info

    old_threads = max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")

    import torch

    import memograd as mg
    from memograd._atomic import write_text
    from memograd._machine import conditions, describe_conditions
    from memograd.bench._engines import build
    from memograd.bench._workloads import load_workloads, make_data, select_workloads

    policy_threads = mg.get_num_threads()
    torch_default = torch.get_num_threads()
    workload = select_workloads(load_workloads(), [args.workload])[0]
    X, y = make_data(workload, seed=0)
    memograd_step = build("memograd", workload, X, y).step
    torch_step = build("torch", workload, X, y).step
    controller = ThreadpoolController()

    def memograd_with(threads: int) -> Callable[[], Callable[[], object]]:
        def prepare() -> Callable[[], object]:
            controller.limit(limits=threads, user_api="blas")
            return memograd_step

        return prepare

    def torch_with(threads: int) -> Callable[[], Callable[[], object]]:
        def prepare() -> Callable[[], object]:
            torch.set_num_threads(threads)
            return torch_step

        return prepare

    cases = {
        f"memograd, old ({old_threads} BLAS threads)": memograd_with(old_threads),
        f"memograd, policy ({policy_threads} BLAS thread{'s' * (policy_threads != 1)})": (
            memograd_with(policy_threads)
        ),
        f"torch eager, default ({torch_default} threads)": torch_with(torch_default),
        "torch eager, 1 thread": torch_with(1),
    }
    times: dict[tuple[str, str], list[float]] = {
        (case, load): [] for case in cases for load in ("quiet", "loaded")
    }
    start = conditions()
    loads: dict[str, list[float]] = {"quiet": [], "loaded": []}

    def block(load: str) -> None:
        for case, prepare in cases.items():
            # Let the previous case's idle pool threads stop spinning first: OpenBLAS workers
            # busy-wait about 0.1 s after their last product and OpenMP's (torch) up to 0.2 s,
            # so without this pause a case is measured beside its predecessor's threads.
            time.sleep(args.settle)
            step = prepare()
            for _ in range(5):  # warm-up after switching thread counts
                step()
            for _ in range(args.steps):
                t = time.perf_counter()
                step()
                times[(case, load)].append(time.perf_counter() - t)
        loads[load].append(os.getloadavg()[0])

    for round_index in range(args.rounds):
        print(f"round {round_index + 1}/{args.rounds}: quiet", flush=True)
        block("quiet")
        print(f"round {round_index + 1}/{args.rounds}: {args.busy} busy processes", flush=True)
        with Busy(args.busy):
            block("loaded")
    ran = conditions(start)
    mg.set_num_threads(policy_threads)

    rows = []
    for case in cases:
        quiet, loaded = times[(case, "quiet")], times[(case, "loaded")]
        rows.append(
            {
                "case": case,
                "quiet_median_s": statistics.median(quiet),
                "quiet_p90_s": p90(quiet),
                "loaded_median_s": statistics.median(loaded),
                "loaded_p90_s": p90(loaded),
                "loaded_p90_over_quiet_median": p90(loaded) / statistics.median(quiet),
            }
        )
    print(
        f"\n{workload.name} {list(workload.sizes)} ×{workload.batch}, one train_on_batch step; "
        f"{args.rounds} rounds × {args.steps} steps per case and load; loaded = {args.busy} "
        f"CPU-bound processes beside it"
    )
    print(
        f"conditions: {describe_conditions(ran)} (1-min load average at the end of the quiet "
        f"blocks {loads['quiet']}, of the loaded blocks {loads['loaded']}); BLAS default "
        f"{old_threads} threads, memograd policy {policy_threads}, torch default {torch_default}"
    )
    header = "| case | quiet median | quiet p90 | loaded median | loaded p90 | loaded p90 / quiet median |"  # noqa: E501
    print("\n" + header + "\n|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['case']} | {ms(r['quiet_median_s'])} | {ms(r['quiet_p90_s'])} | "
            f"{ms(r['loaded_median_s'])} | {ms(r['loaded_p90_s'])} | "
            f"{r['loaded_p90_over_quiet_median']:.1f}× |"
        )
    policy = rows[1]
    target_p90 = policy["loaded_p90_over_quiet_median"]
    print(
        f"\ntarget 1: policy's loaded p90 / quiet median = {target_p90:.2f}× "
        f"({'met' if target_p90 <= 3 else 'NOT met'}: at most 3×)"
    )
    target_torch = {}
    for r in rows[2:]:
        target_torch[r["case"]] = ratio = policy["loaded_median_s"] / r["loaded_median_s"]
        print(
            f"target 2: policy's loaded median / {r['case']} loaded median = {ratio:.3g}× "
            f"({'met' if ratio <= 1 else 'NOT met'}: at most 1×)"
        )
    if args.json:
        document = {
            "workload": workload.to_dict(),
            "rounds": args.rounds,
            "steps": args.steps,
            "busy_processes": args.busy,
            "conditions": ran,
            "load_average_after_blocks": loads,
            "threads": {"blas_default": old_threads, "policy": policy_threads},
            "torch_default_threads": torch_default,
            "rows": rows,
            "targets": {
                "policy_loaded_p90_over_quiet_median": target_p90,
                "policy_loaded_median_over_torch": target_torch,
            },
        }
        write_text(args.json, json.dumps(document, indent=2) + "\n")


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"


if __name__ == "__main__":
    main()
