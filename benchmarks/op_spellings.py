"""Why the op definitions spell some computations the way they do: each choice timed.

The definitions in `memograd.tensor` (and the recording namespace of `memograd.compile`) pick,
among NumPy spellings of one computation, the faster one; the code keeps the reason in a
comment and points here for the numbers. Every pair below computes the same values (checked
here: bit for bit, or to rounding where a sum is taken in another order — BLAS instead of
NumPy's pairwise sum), so the choice is about speed. Shapes are those of the benchmark
workloads (W1: batch 100, 16 units, 2 classes; W2/W3: 128 × 128, 10 classes; W4: 256 × 1024).

Run:
    python benchmarks/op_spellings.py            # median of 2000 calls (fewer for big ones)
    python benchmarks/op_spellings.py --json spellings.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import memograd as mg  # noqa: F401  (its thread policy: one BLAS thread)
from memograd._atomic import write_text
from memograd._machine import conditions, describe_conditions

SIZES = {"W1": (100, 16, 2), "W2": (128, 128, 10), "W4": (256, 1024, 10)}


def cases(
    batch: int, units: int, classes: int
) -> list[tuple[str, Callable[[], Any], Callable[[], Any]]]:
    """(what, the spelling used, the plain one): both return the same array."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal((batch, units), dtype=np.float32)
    w = rng.standard_normal((units, units), dtype=np.float32)
    g = rng.standard_normal((batch, units), dtype=np.float32)
    y = np.maximum(z, 0)
    logits = rng.standard_normal((batch, classes), dtype=np.float32)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    flat_e = e.reshape(-1)
    labels = rng.integers(0, classes, batch)
    flat = np.arange(batch) * classes + labels
    picked, out_z, out_g = np.empty(batch, np.float32), np.empty_like(z), np.empty_like(g)
    zeros_row, zeros_full = np.zeros(units, np.float32), np.zeros_like(z)
    ones_b, ones_c = np.ones(batch, np.float32), np.ones(classes, np.float32)
    return [
        # activations.Relu, fused.Linear: the gradient through a ReLU
        ("relu VJP: g * (y > 0), not where", lambda: g * (y > 0), lambda: np.where(y > 0, g, 0)),
        # fused.Linear's and Relu's forward: a maximum with the number 0
        (
            "relu: max(z, 0), not max(z, a row of zeros)",
            lambda: np.maximum(z, 0, out=out_z),
            lambda: np.maximum(z, zeros_row, out=out_z),
        ),
        # compile: max(z, 0) replayed against zeros of the result's shape (≤ 65536 elements)
        (
            "relu compiled: max(z, zeros of z's shape), not max(z, 0)",
            lambda: np.maximum(z, zeros_full, out=out_z),
            lambda: np.maximum(z, 0, out=out_z),
        ),
        # fused.Linear: the bias gradient
        ("Σ over the batch: ones @ g, not sum(0) ~", lambda: ones_b @ g, lambda: g.sum(axis=0)),
        # fused.CrossEntropy: row maxima and row sums over a few classes
        (
            "row max: x.T.copy().max(0), not max(1)",
            lambda: np.ascontiguousarray(logits.T).max(axis=0),
            lambda: logits.max(axis=1),
        ),
        ("row sums: e @ ones, not sum(1) ~", lambda: e @ ones_c, lambda: e.sum(axis=1)),
        # compile: the picked log-probabilities as a flat gather
        (
            "pick: flat.take(mode=clip), not np.take(out=)",
            lambda: flat_e.take(flat, None, picked, "clip"),
            lambda: np.take(flat_e, flat, out=picked),
        ),
        # tensor.linalg.product: small products through dot, large through matmul
        ("z @ w: dot", lambda: np.dot(z, w, out_g), lambda: np.matmul(z, w, out=out_g)),
        ("g @ w.T: dot", lambda: np.dot(g, w.T, out_g), lambda: np.matmul(g, w.T, out=out_g)),
        # compile: ufuncs with their out= passed positionally
        (
            "out= positional, not keyword",
            lambda: np.multiply(g, z, out_g),
            lambda: np.multiply(g, z, out=out_g),
        ),
    ]


def median_us(fn: Callable[[], Any], calls: int) -> float:
    for _ in range(10):
        fn()
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="timed calls per spelling")
    parser.add_argument("--json", metavar="PATH", help="also write the numbers here")
    args = parser.parse_args()
    start = conditions()
    rows = []
    for workload, (batch, units, classes) in SIZES.items():
        calls = max(50, args.calls * 16 // max(16, units))
        for what, used, plain in cases(batch, units, classes):
            a_value, b_value = np.asarray(used()), np.asarray(plain())
            if what.endswith("~"):  # another summation order: equal to rounding
                assert np.allclose(a_value, b_value, rtol=1e-5, atol=1e-5), what
            else:
                assert np.array_equal(a_value, b_value), what
            a, b = median_us(used, calls), median_us(plain, calls)
            rows.append({"workload": workload, "what": what, "used_us": a, "plain_us": b})
    ran = conditions(start)
    print(f"conditions: {describe_conditions(ran)}")
    print("\n(~: equal to rounding; the others bit for bit)")
    print("\n| shapes | spelling | used | plain | plain / used |")
    print("|---|---|---:|---:|---:|")
    for r in rows:
        ratio = r["plain_us"] / r["used_us"]
        print(
            f"| {r['workload']} | {r['what']} | {r['used_us']:.2f} µs | {r['plain_us']:.2f} µs "
            f"| {ratio:.2f}× |"
        )
    if args.json:
        write_text(args.json, json.dumps({"conditions": ran, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
