"""A training step with BatchNormalization: eager vs `jit_compile=True`, side by side.

The model of the digits test (64 → Dense 128 → BatchNormalization → Dense 128 gelu → Dense 10,
float32, Adam, batch 32). The compiled step updates the moving statistics as kernels of its
tape (it used to fall back to the eager step). Both models start from the same weights and
steps alternate (eager, compiled, eager, ...) so that drift of a shared machine hits both
alike; one BLAS thread (threadpoolctl). Prints the median step of each and their ratio.

Run:
    python benchmarks/bn_step.py                  # 20 warm-up + 300 timed steps each
    python benchmarks/bn_step.py --steps 1000 --layer layer   # LayerNormalization instead
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

import memograd as mg


def make(jit: bool, layer: str) -> mg.nn.Sequential:
    norm = mg.nn.BatchNormalization() if layer == "batch" else mg.nn.LayerNormalization()
    model = mg.nn.Sequential(
        [mg.nn.Dense(128), norm, mg.nn.Dense(128, activation="gelu"), mg.nn.Dense(10)], seed=0
    )
    model.compile(loss="cross_entropy", optimizer=mg.optim.Adam(1e-3), jit_compile=jit)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--layer", choices=["batch", "layer"], default="batch")
    args = parser.parse_args()
    X, _, y, _ = mg.data.load("digits", test_size=0.2, seed=0)
    X, y = X[:32].astype(np.float32), y[:32]
    eager, jit = make(False, args.layer), make(True, args.layer)
    times: dict[str, list[float]] = {"eager": [], "compiled": []}
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback to eager would be a warning
        for i in range(args.warmup + args.steps):
            for name, model in (("eager", eager), ("compiled", jit)):
                start = time.perf_counter()
                model.train_on_batch(X, y)
                if i >= args.warmup:
                    times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    print(f"{args.layer} normalization, batch 32, 1 BLAS thread, load {os.getloadavg()[0]:.2f}")
    for name, median in medians.items():
        print(f"  {name:9s} {median * 1e6:8.1f} µs per step (median of {args.steps})")
    print(f"  compiled / eager = {medians['compiled'] / medians['eager']:.2f}")


if __name__ == "__main__":
    main()
