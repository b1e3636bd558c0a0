"""Where a second BLAS thread starts to pay off: float32 products, 1 thread vs all, quiet and busy.

The measurement behind memograd's thread policy (`memograd._threads`: one BLAS thread unless
asked). For each product size — the products of the bench workloads' forward passes, and
square ones up to 1024 — it times `a @ b` with 1 BLAS thread and with as many as the machine
has CPUs, quiet and then beside two CPU-bound processes (`load_step.Busy`), and prints the
median and p90 of each with the speed-up of the extra threads. The policy is right for your
machine if the extra threads pay off only for products larger than your model's, or not at
all under load; otherwise set `MEMOGRAD_NUM_THREADS`.

Run:
    python benchmarks/blas_threads.py                   # 200 products per size and case
    python benchmarks/blas_threads.py --repeats 50 --json blas.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from load_step import Busy, p90

SQUARE = (64, 128, 256, 512, 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200, help="products per size and case")
    parser.add_argument("--busy", type=int, default=2, help="CPU-bound neighbours (2)")
    parser.add_argument("--json", metavar="PATH", help="also write the numbers here")
    args = parser.parse_args()

    import numpy as np
    from threadpoolctl import ThreadpoolController

    import memograd as mg
    from memograd._atomic import write_text
    from memograd._machine import conditions, describe_conditions, usable_cpus
    from memograd.bench._workloads import load_workloads

    many = usable_cpus()
    shapes: list[tuple[int, int, int]] = []  # (rows, inner, columns) of one product
    for w in load_workloads():
        shapes += [(w.batch, fan_in, fan_out) for fan_in, fan_out in w.layers]
    shapes += [(n, n, n) for n in SQUARE]
    shapes = sorted(set(shapes), key=lambda s: s[0] * s[1] * s[2])
    rng = np.random.default_rng(0)
    controller = ThreadpoolController()

    def timed(shape: tuple[int, int, int], threads: int) -> list[float]:
        m, k, n = shape
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        out = np.empty((m, n), np.float32)
        # fewer repeats for the large products: the total time per case stays about equal
        count = max(10, min(args.repeats, int(args.repeats * 2e6 / (m * k * n))))
        with controller.limit(limits=threads, user_api="blas"):
            for _ in range(3):
                np.matmul(a, b, out=out)
            times = []
            for _ in range(count):
                t = time.perf_counter()
                np.matmul(a, b, out=out)
                times.append(time.perf_counter() - t)
        return times

    start = conditions()
    rows = []
    for load in ("quiet", "loaded"):
        with Busy(args.busy if load == "loaded" else 0):
            for shape in shapes:
                one, all_ = timed(shape, 1), timed(shape, many)
                rows.append(
                    {
                        "load": load,
                        "shape": list(shape),
                        "multiply_adds": shape[0] * shape[1] * shape[2],
                        "one_median_s": statistics.median(one),
                        "one_p90_s": p90(one),
                        "many_median_s": statistics.median(all_),
                        "many_p90_s": p90(all_),
                        "load_average": os.getloadavg()[0],
                    }
                )
    ran = conditions(start)
    print(
        f"{many} threads against 1; conditions: {describe_conditions(ran)}; policy: "
        f"{mg.get_num_threads()} thread(s)"
    )
    print(
        f"\n| load | product (m×k @ k×n) | 1 thread median / p90 | {many} threads median / p90 "
        f"| speed-up of {many} threads (median, p90) |"
    )
    print("|---|---|---|---|---|")
    for r in rows:
        m, k, n = r["shape"]
        print(
            f"| {r['load']} | {m}×{k} @ {k}×{n} | {us(r['one_median_s'])} / {us(r['one_p90_s'])} "
            f"| {us(r['many_median_s'])} / {us(r['many_p90_s'])} "
            f"| {r['one_median_s'] / r['many_median_s']:.2f}×, "
            f"{r['one_p90_s'] / r['many_p90_s']:.2f}× |"
        )
    for load in ("quiet", "loaded"):
        mine = [r for r in rows if r["load"] == load]
        for verdict, wins in (("faster", True), ("slower", False)):
            # ≥10% apart in the median and in the p90 alike
            sizes = [
                f"{r['shape'][0]}×{r['shape'][1]} @ {r['shape'][1]}×{r['shape'][2]}"
                for r in mine
                if _apart(r["one_median_s"], r["many_median_s"], wins)
                and _apart(r["one_p90_s"], r["many_p90_s"], wins)
            ]
            print(f"{load}: {many} threads ≥10% {verdict} for {', '.join(sizes) or 'none'}")
    if args.json:
        document = {"threads": many, "conditions": ran, "rows": rows}
        write_text(args.json, json.dumps(document, indent=2) + "\n")


def _apart(one: float, many: float, many_wins: bool) -> bool:
    return one >= 1.1 * many if many_wins else many >= 1.1 * one


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs" if seconds < 1e-2 else f"{seconds * 1e3:,.1f} ms"


if __name__ == "__main__":
    main()
