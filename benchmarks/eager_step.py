"""One eager training step on the Tensor engine vs the same step written by hand in NumPy.

The step is the project's workload (``memograd/bench/workloads.json``; W1 by default): forward
through Dense layers with ReLU between them, softmax cross-entropy, backward, SGD (lr 0.01),
float32. memograd's side is built directly from Tensor ops — the fused `linear` (Dense + ReLU
as one node) and `cross_entropy` — with no `nn` layer on top, so it measures the engine's own
overhead. The NumPy side is the same step written by hand (`HandNumpyMLP` below: the chain rule
spelled out layer by layer, activation buffers reused, SGD in place): the floor for any NumPy
engine. Both start from the same weights and inputs, and steps alternate (eager, numpy,
eager, ...) so that drift of a shared machine hits both alike.

Run:
    python benchmarks/eager_step.py                 # W1, 5 warm-up + 200 timed steps each
    python benchmarks/eager_step.py --workload W2 --steps 100
    python benchmarks/eager_step.py --profile       # cProfile of the eager step instead
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import os
import pstats
import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np

import memograd as mg
from memograd.bench._workloads import load_workloads, select_workloads
from memograd.tensor.functional import cross_entropy, linear

LR = 0.01


class HandNumpyMLP:
    """ReLU MLP + softmax cross-entropy + SGD, gradients written out by hand in NumPy."""

    def __init__(self, sizes: Sequence[int], seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        pairs = list(itertools.pairwise(sizes))
        self.weights = [
            (rng.standard_normal((i, o)) * np.sqrt(2.0 / i)).astype(np.float32) for i, o in pairs
        ]
        self.biases = [np.zeros(o, np.float32) for _, o in pairs]
        self._acts: list[np.ndarray] = []

    def step(self, X: np.ndarray, y: np.ndarray, lr: float = LR) -> float:
        batch, last = X.shape[0], len(self.weights) - 1
        if not self._acts or self._acts[0].shape[0] != batch:
            self._acts = [np.empty((batch, w.shape[1]), np.float32) for w in self.weights]
        a = X
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = self._acts[i]
            np.matmul(a, w, out=z)  # (B, out)
            z += b
            if i < last:
                np.maximum(z, 0, out=z)
            a = z
        rows = np.arange(batch)
        shifted = a - a.max(axis=1, keepdims=True)  # (B, C)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, y]))
        delta = e / total  # softmax, then (softmax - onehot) / B
        delta[rows, y] -= 1.0
        delta /= batch
        for i in range(last, -1, -1):
            inputs = X if i == 0 else self._acts[i - 1]  # (B, in)
            grad_w = inputs.T @ delta  # (in, out)
            grad_b = delta.sum(axis=0)  # (out,)
            if i > 0:
                delta = delta @ self.weights[i].T  # (B, in)
                delta *= inputs > 0  # back through the previous ReLU
            grad_w *= lr
            grad_b *= lr
            self.weights[i] -= grad_w
            self.biases[i] -= grad_b
        return loss


def load_workload(name: str) -> tuple[str, list[int], int]:
    """(full name, sizes, batch) of `name` (W1...) from the packaged workloads file."""
    try:
        workload = select_workloads(load_workloads(), [name])[0]
    except ValueError as error:
        raise SystemExit(str(error)) from None
    return workload.name, list(workload.sizes), workload.batch


def make_eager_step(
    net: HandNumpyMLP, X: np.ndarray, y: np.ndarray
) -> tuple[Callable[[], float], list[mg.Tensor]]:
    """The step on Tensors, starting from copies of `net`'s weights; also its weights."""
    weights = [mg.Tensor(w.copy(), requires_grad=True) for w in net.weights]
    biases = [mg.Tensor(b.copy(), requires_grad=True) for b in net.biases]
    params = [p for pair in zip(weights, biases, strict=True) for p in pair]
    inputs = mg.Tensor(X)
    last = len(weights) - 1

    def step() -> float:
        h = inputs
        for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
            h = linear(h, w, b, activation=None if i == last else "relu")  # (B, fan_out)
        loss = cross_entropy(h, y)
        loss.backward()
        for p in params:  # SGD in place; .grad is the tensor's own array
            g = p.grad
            g *= LR
            p.data -= g
            p.grad = None
        return float(loss.data)

    return step, weights


def net_sizes(net: HandNumpyMLP) -> list[int]:
    return [net.weights[0].shape[0]] + [w.shape[1] for w in net.weights]


def _setup(workload: str) -> tuple[HandNumpyMLP, np.ndarray, np.ndarray, dict[str, object]]:
    name, sizes, batch = load_workload(workload)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], size=batch)
    net = HandNumpyMLP(sizes, seed=0)
    return net, X, y, {"workload": name, "sizes": sizes, "batch": batch}


def measure(workload: str, steps: int, warmup: int) -> dict[str, object]:
    """Median step times (seconds) of both sides and their ratio, from one run."""
    net, X, y, info = _setup(workload)
    eager, eager_weights = make_eager_step(HandNumpyMLP(net_sizes(net), seed=0), X, y)

    def numpy_step() -> float:
        return net.step(X, y, lr=LR)

    first = (eager(), numpy_step())
    assert abs(first[0] - first[1]) < 1e-4 * max(1.0, abs(first[1])), first  # same work
    for _ in range(warmup - 1):
        eager()
        numpy_step()
    for w_eager, w_numpy in zip(eager_weights, net.weights, strict=True):  # same trajectory
        np.testing.assert_allclose(w_eager.data, w_numpy, rtol=1e-4, atol=1e-5)
    times: dict[str, list[float]] = {"eager": [], "numpy": []}
    for _ in range(steps):
        for name, fn in (("eager", eager), ("numpy", numpy_step)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        **info,
        "steps": steps,
        "median_eager_us": med["eager"] * 1e6,
        "median_numpy_us": med["numpy"] * 1e6,
        "ratio_eager_over_numpy": med["eager"] / med["numpy"],
        "load_average_1min": os.getloadavg()[0],
    }


def profile(workload: str, steps: int) -> None:
    """Print where the eager step's time goes (cProfile, by own time)."""
    net, X, y, _ = _setup(workload)
    eager, _ = make_eager_step(net, X, y)
    for _ in range(5):
        eager()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        eager()
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(18)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", default="W1", help="W1, W2, W3 or W4 (default W1)")
    parser.add_argument("--steps", type=int, default=200, help="timed steps per side (>= 50)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile the eager step")
    args = parser.parse_args()
    if args.steps < 50 or args.warmup < 1:
        parser.error("--steps must be at least 50 and --warmup at least 1")
    if args.profile:
        profile(args.workload, args.steps * 10)
        return
    result = measure(args.workload, args.steps, args.warmup)
    print(
        f"{result['workload']} sizes={result['sizes']} batch={result['batch']}: "
        f"eager {result['median_eager_us']:.1f} us, numpy {result['median_numpy_us']:.1f} us, "
        f"ratio {result['ratio_eager_over_numpy']:.2f} (median of {result['steps']} steps; "
        f"load average {result['load_average_1min']:.2f})"
    )


if __name__ == "__main__":
    main()
