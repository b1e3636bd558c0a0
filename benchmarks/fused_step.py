"""Before/after table of the fused step (issue 17): `memograd bench` on two checkouts, interleaved.

The "before" engine is an older commit's ``src`` (extracted with ``git archive``, nothing in
the work tree changes), the "after" one this checkout's. Each round runs ``memograd bench
--json`` once per checkout, alternating, so that a shared machine's drift hits both alike;
the peers (torch, JAX, the BLAS bound) are measured in the "after" runs only. A cell is the
median over rounds of the bench's own medians; ratios come from the same rounds.

Run (about 10 minutes on 2 cores with the defaults):
    python benchmarks/fused_step.py                           # before = 24c7c5b, 1 thread
    python benchmarks/fused_step.py --threads 2 --rounds 3 --before <commit>
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "24c7c5b"  # main before the fusions of issue 17
OURS = ("memograd", "memograd-jit")
PEERS = ("jax", "torch", "blas-bound")  # (the order of the ratio columns)


def extract_src(commit: str, into: Path) -> Path:
    """`src/` of `commit`, unpacked under `into` (git archive: the work tree is not touched)."""
    data = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "src"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def bench(src: Path, engines: tuple[str, ...], args: argparse.Namespace) -> dict[str, float]:
    """One `memograd bench` run with `src` first on the path: {"W1-tiny/memograd": seconds}."""
    env = dict(os.environ, PYTHONPATH=str(src))
    command = [sys.executable, "-m", "memograd", "bench", "--json", "--rounds", "1"]
    command += ["--engines", ",".join(engines), "--threads", str(args.threads)]
    command += ["--workloads", args.workloads, "--steps", str(args.steps)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    results = json.loads(done.stdout)["results"]
    return {
        f"{r['workload']}/{r['engine']}": r["median_s"]
        for r in results
        if r.get("median_s") is not None
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help=f"commit to compare (default {BEFORE})")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--workloads", default="W1,W2,W3,W4")
    args = parser.parse_args()
    runs: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        before_src = extract_src(args.before, Path(tmp))
        for done in range(args.rounds):
            for label, src, engines in (
                ("before", before_src, OURS),
                ("after", ROOT / "src", OURS + PEERS),
            ):
                for key, seconds in bench(src, engines, args).items():
                    runs.setdefault(f"{key}/{label}", []).append(seconds)
            print(f"round {done + 1}: {json.dumps(runs)}", file=sys.stderr, flush=True)
    table(runs, args)


def table(runs: dict[str, list[float]], args: argparse.Namespace) -> None:
    """The markdown table of the rounds' medians (and the load average at the end)."""
    median = {key: statistics.median(values) for key, values in runs.items()}
    load = os.getloadavg()
    print(f"threads {args.threads}, rounds {args.rounds}, load at the end {load[0]:.2f}")
    print(
        "| workload | engine | before | after | after/before | after/JAX | after/torch |"
        " after/BLAS bound |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    workloads = sorted({key.split("/")[0] for key in median})
    for w in workloads:
        peers = {p: median.get(f"{w}/{p}/after") for p in PEERS}
        for engine in OURS:
            before, after = median.get(f"{w}/{engine}/before"), median.get(f"{w}/{engine}/after")
            if before is None or after is None:
                continue
            cells = [f"{before * 1e3:.3f} ms", f"{after * 1e3:.3f} ms", f"{after / before:.2f}"]
            cells += [f"{after / peers[p]:.2f}" if peers[p] else "—" for p in PEERS]
            print(f"| {w} | {engine} | " + " | ".join(cells) + " |")
        for p in PEERS:
            if peers[p]:
                print(f"| {w} | {p} | | {peers[p] * 1e3:.3f} ms | | | | |")


if __name__ == "__main__":
    main()
