"""Run the full benchmark and keep its JSON document and plot under benchmarks/results/.

    .venv/bin/python benchmarks/run_bench.py               # all workloads, all engines
    .venv/bin/python benchmarks/run_bench.py --engines numpy,torch --rounds 3

Extra options are passed to `memograd bench` unchanged; the files are named after the date
and time of the run, so earlier runs are kept for comparison.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from memograd.cli import main

if __name__ == "__main__":
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    stem = results / time.strftime("bench-%Y%m%d-%H%M%S")
    options = ["--output", f"{stem}.json", "--plot", f"{stem}.png"]
    sys.exit(main(["bench", *options, *sys.argv[1:]]))
