"""Where the time of one training step goes: eager phases, compiled kernels by op, hand NumPy.

The step is a workload of ``memograd/bench/workloads.json`` (W1 by default) through
``mg.nn.Sequential`` + ``train_on_batch`` with SGD(0.01), exactly as ``memograd bench`` times
it. Three things are measured in one process, interleaved step by step (so that drift of a
shared machine hits them alike), each reported as the median over the steps:

- the eager step, split into its phases with ``perf_counter`` between them: dropping the
  gradients, the forward pass (fused ``linear`` nodes), the loss (fused ``cross_entropy``),
  the reverse sweep, the SGD update, and what ``train_on_batch`` adds around them;
- the compiled step (``jit_compile=True``), its kernels timed one by one and grouped by the
  op whose definition recorded them, plus copying the batch in and the update;
- the same step written by hand in NumPy (``memograd.bench.NumpyMLP``), as a whole.

Run with another checkout's ``src`` on ``PYTHONPATH`` to measure an older engine (the
compiled column is left out where ``memograd.compile`` does not exist).

Run:
    python benchmarks/step_breakdown.py                  # W1, 2000 steps
    python benchmarks/step_breakdown.py --workload W3 --steps 300 --json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

import memograd as mg
from memograd.bench._numpy_mlp import NumpyMLP
from memograd.bench._workloads import load_workloads, make_data, select_workloads
from memograd.tensor import Tensor

LR = 0.01


def build(workload: Any, X: np.ndarray, y: np.ndarray, jit: bool) -> Any:
    nn = mg.nn
    hidden = [nn.Dense(width, activation="relu") for width in workload.sizes[1:-1]]
    model = nn.Sequential([*hidden, nn.Dense(workload.classes)])
    options = {"jit_compile": True} if jit else {}
    model.compile(loss="cross_entropy", optimizer=mg.optim.SGD(LR), **options)
    model.train_on_batch(X, y)
    return model


def eager_phases(model: Any, X: np.ndarray, y: np.ndarray) -> Callable[[], dict[str, float]]:
    """One eager step, as `Model._eager_step` runs it, with a clock between the phases."""
    params, loss_fn, optimizer = model.parameters(), model.loss, model.optimizer
    original = Tensor._backward
    in_vjps = [0.0]

    def timed_backward(node: Tensor, adjoint: Any) -> Any:
        start = time.perf_counter()
        contributions = original(node, adjoint)
        in_vjps[0] += time.perf_counter() - start
        return contributions

    def step() -> dict[str, float]:
        in_vjps[0] = 0.0
        t0 = time.perf_counter()
        for p in params:
            p.grad = None
        t1 = time.perf_counter()
        outputs = model.call(Tensor(X))  # (B, classes)
        t2 = time.perf_counter()
        loss = loss_fn(outputs, y)
        Tensor._backward = timed_backward  # type: ignore[method-assign]
        t3 = time.perf_counter()
        loss.backward()
        t4 = time.perf_counter()
        Tensor._backward = original  # type: ignore[method-assign]
        float(loss.data)
        optimizer.step()
        t5 = time.perf_counter()
        return {
            "drop gradients": t1 - t0,
            "forward (linear nodes)": t2 - t1,
            "loss (cross_entropy node)": t3 - t2,
            "backward (reverse sweep)": t4 - t3,
            "  of which in the VJPs": in_vjps[0],
            "SGD update": t5 - t4,
        }

    return step


def compiled_parts(model: Any, X: np.ndarray, y: np.ndarray) -> Callable[[], dict[str, float]]:
    """One compiled step with a clock around each run of kernels from the same op instance."""
    step = model._get_train_step()
    trace = step.trace_for(X.shape)
    tape = trace.tape
    # Consecutive kernels of one op instance form a segment: one clock reading per segment
    # (a reading per kernel would weigh as much as the small kernels themselves).
    segments: list[tuple[str, list[Any]]] = []
    for direction, ops, kernels in (
        ("forward", tape.forward_ops, tape.forward),
        ("backward", tape.backward_ops, tape.backward),
    ):
        previous = None
        for op, kernel in zip(ops, kernels, strict=True):
            if op != previous:
                segments.append((f"{direction}: {op}", []))
                previous = op
            segments[-1][1].append(kernel)
    names = ["copy the batch in", *[name for name, _ in segments], "SGD update"]
    clock = time.perf_counter

    def run() -> dict[str, float]:
        stamps = [clock()]
        np.copyto(trace.inputs, X)
        np.copyto(trace.labels, y)
        stamps.append(clock())
        for _, kernels in segments:
            for kernel in kernels:
                kernel()
            stamps.append(clock())
        trace.update()
        stamps.append(clock())
        times: dict[str, float] = defaultdict(float)
        for name, start, stop in zip(names, stamps, stamps[1:], strict=False):
            times[name] += stop - start
        return dict(times)

    return run


def measure(name: str, steps: int) -> dict[str, Any]:
    workload = select_workloads(load_workloads(), [name])[0]
    X, y = make_data(workload)
    eager = build(workload, X, y, jit=False)
    has_compile = importlib.util.find_spec("memograd.compile") is not None
    jit = build(workload, X, y, jit=True) if has_compile else None
    net = NumpyMLP(workload.sizes, dtype=np.float32, seed=0)
    timed: dict[str, Callable[[], Any]] = {
        "eager phases": eager_phases(eager, X, y),
        "eager train_on_batch": lambda: eager.train_on_batch(X, y),
        "numpy step": lambda: net.step(X, y, LR),
    }
    if jit is not None:
        timed["compiled parts"] = compiled_parts(jit, X, y)
        timed["compiled train_on_batch"] = lambda: jit.train_on_batch(X, y)
    for fn in timed.values():
        for _ in range(5):
            fn()
    samples: dict[str, list[float]] = defaultdict(list)
    for _ in range(steps):
        for label, fn in timed.items():
            start = time.perf_counter()
            parts = fn()
            samples[label].append(time.perf_counter() - start)
            if isinstance(parts, dict):
                for part, seconds in parts.items():
                    samples[f"{label}/{part}"].append(seconds)
    med = {key: statistics.median(values) for key, values in samples.items()}
    result: dict[str, Any] = {"workload": workload.name, "steps": steps, "version": mg.__version__}
    eager_parts = {k.split("/", 1)[1]: v for k, v in med.items() if k.startswith("eager phases/")}
    phases = sum(v for k, v in eager_parts.items() if not k.startswith(" "))
    eager_parts["train_on_batch checks and dispatch (difference)"] = (
        med["eager train_on_batch"] - phases
    )
    result["eager"] = {**eager_parts, "total": med["eager train_on_batch"]}
    if jit is not None:
        jit_parts = {
            k.split("/", 1)[1]: v for k, v in med.items() if k.startswith("compiled parts/")
        }
        jit_parts["train_on_batch checks, cache lookup (difference)"] = med[
            "compiled train_on_batch"
        ] - sum(jit_parts.values())
        result["compiled"] = {**jit_parts, "total": med["compiled train_on_batch"]}
    result["numpy"] = {"total": med["numpy step"]}
    return result


def table(result: dict[str, Any]) -> str:
    lines = [f"{result['workload']}, median of {result['steps']} interleaved steps (µs)", ""]
    for side in ("eager", "compiled", "numpy"):
        if side not in result:
            continue
        lines.append(f"| {side} | µs |")
        lines.append("|---|---:|")
        for part, seconds in result[side].items():
            lines.append(f"| {part} | {seconds * 1e6:.1f} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", default="W1")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    result = measure(args.workload, args.steps)
    print(json.dumps(result, indent=1) if args.json else table(result))


if __name__ == "__main__":
    main()
