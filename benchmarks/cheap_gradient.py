"""The Griewank–Walther constant on the lesson's MLPs: value + gradient / value alone.

Counted multiplications (exact, machine-independent) and times (medians of interleaved
rounds: f(θ), mg.grad(f)(θ) and mg.jacfwd(f)(θ) on the same network as Tensor ops) for
reverse mode and forward mode; see `memograd.backprop._cheap_gradient` for the cost model.

Run:
    python -m benchmarks.cheap_gradient               # or: python benchmarks/cheap_gradient.py
    python -m benchmarks.cheap_gradient --repeats 15 --json
"""

from __future__ import annotations

import argparse
import json

from memograd._machine import conditions, describe_conditions
from memograd.backprop import LESSON_NETWORKS, cheap_gradient_study


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds (default 7)")
    parser.add_argument("--json", action="store_true", help="one JSON document")
    args = parser.parse_args(argv)
    start = conditions()
    rows = [
        row
        for activation in ("sigmoid", "tanh")
        for row in cheap_gradient_study(LESSON_NETWORKS, activation, repeats=args.repeats)
    ]
    ran = conditions(start)
    if args.json:
        print(json.dumps({"rows": [r.as_dict() for r in rows], "conditions": ran}, indent=1))
        return 0
    print(
        "| network | act | n | evaluation | reverse (counted) | (timed) | forward strategy "
        "| forward sweeps | forward time / n |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {'-'.join(map(str, r.widths))} | {r.activation} | {r.parameters} | "
            f"{r.evaluation} | {r.reverse} = {r.reverse_ratio:.2f}× | {r.reverse_time_ratio:.1f}× "
            f"| {r.forward_ratio:.1f}× | {r.forward_sweeps} | "
            f"{r.forward_time_ratio / r.parameters:.1f}× |"
        )
    print(f"timed under: {describe_conditions(ran)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
