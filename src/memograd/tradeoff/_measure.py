"""Measure the space–time trade-off of each policy on ReLU MLPs (`memograd memory`).

One *step* is: drop the gradients, forward pass, softmax cross-entropy, backward pass — the
part a checkpoint policy changes (the optimizer update is the same for every policy and is
left out). The model is ``depth`` hidden ``Dense(width, relu)`` layers and a
``Dense(classes)`` head on inputs of ``width`` features, built from the same seed for every
policy, so the weights — and the gradients — must agree.

Per policy × depth × width this reports:

- ``peak_saved_bytes``: the most bytes held for backward at any moment of the step, exact
  (`memograd.tensor.memory.track`);
- ``seconds``: the median step time over `repeats` steps, the policies interleaved round by
  round so that drift on a shared machine hits them alike;
- ``recomputed_layers``: layer evaluations beyond one forward pass (and the count the
  schedule predicts on paper);
- ``max_abs_grad_diff``: against "all", on every parameter;
- ``tracemalloc_peak_bytes``: the peak of every allocation (NumPy buffers included) made
  during one step, above what was allocated before it.

For "all" the saved bytes have a closed form (`closed_form_saved_bytes`), printed beside
the measurement and asserted equal to it in the tests.

This module builds `memograd.nn` models, so it sits above `nn` (not in `checkpointing`).
"""

from __future__ import annotations

import functools
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from memograd._errors import invalid_value
from memograd.checkpointing import Policy, check_policy, count_recomputation, schedule, simulate


def closed_form_saved_bytes(
    batch: int,
    features: int,
    widths: Sequence[int],
    classes: int,
    itemsize: int = 4,
    label_itemsize: int = 8,
) -> int:
    """Bytes the "all" policy holds for backward: an MLP step, derived op by op.

    The fused ``linear`` node of a Dense layer saves its input x (needed for ∂W = xᵀ·g), W
    (for ∂x = g·Wᵀ; a parameter, so not counted) and, with an activation, its output (for
    the activation's derivative). The first layer's x is the input batch (B × features);
    every later layer's x is the previous output, already counted; the head has no
    activation, so it adds nothing. ``cross_entropy`` saves softmax probabilities (B × C)
    and the integer labels (B). Hence

        B · (features + Σ widths + C) · itemsize + B · label_itemsize.

    Example:
        >>> closed_form_saved_bytes(32, 64, [128, 128], 10)   # 32·330·4 + 32·8
        42496
    """
    return batch * (features + sum(widths) + classes) * itemsize + batch * label_itemsize


def _model(depth: int, width: int, classes: int, policy: Policy, dtype: str, seed: int) -> Any:
    from memograd.nn import Dense, Sequential

    layers = [Dense(width, activation="relu") for _ in range(depth)] + [Dense(classes)]
    model = Sequential(layers, checkpoint=policy, dtype=dtype, seed=seed)
    model.build((None, width))
    return model


def _step(model: Any, X: np.ndarray, y: np.ndarray) -> None:
    from memograd.tensor import Tensor
    from memograd.tensor.functional import cross_entropy

    for p in model.parameters():
        p.grad = None
    cross_entropy(model(Tensor(X)), y).backward()


def _tracemalloc_peak(run: Callable[[], None]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        run()
        return int(tracemalloc.get_traced_memory()[1] - base)
    finally:
        tracemalloc.stop()


def measure(
    depths: Sequence[int],
    widths: Sequence[int],
    batch: int,
    policies: Sequence[Policy] = ("all", "sqrt", "none"),
    *,
    repeats: int = 3,
    classes: int = 10,
    dtype: str = "float32",
    seed: int = 0,
    use_tracemalloc: bool = True,
    show_progress: bool = False,
) -> list[dict[str, Any]]:
    """Peak saved bytes, step time, recomputation and gradient agreement per configuration.

    Args:
        depths: hidden-layer counts to try.
        widths: layer widths to try (also the input's feature count).
        batch: rows per step.
        policies: checkpoint policies to report ("all" is always measured, as the
            reference for the ratios and the gradients).
        repeats: timed steps per policy (after one warm-up step); the median is reported.
        classes: outputs of the head.
        dtype: "float32" or "float64".
        seed: weights, inputs and labels.
        use_tracemalloc: also measure the tracemalloc peak of one step.
        show_progress: a progress bar on stderr.

    Returns:
        One dict per (depth, width, policy), in that order (see the module docstring; the
        ratios ``*_ratio`` divide by "all" on the same configuration).

    Example:
        >>> rows = measure([4], [16], 8, ["all", "none"], repeats=1, use_tracemalloc=False)
        >>> [(r["policy"], r["recomputed_layers"]) for r in rows]
        [('all', 0), ('none', 9)]
        >>> rows[0]["peak_saved_bytes"] == rows[0]["closed_form_bytes"]
        True
    """
    from memograd._progress import progress

    checked = [check_policy(p) for p in policies]
    for name, values in (("depths", depths), ("widths", widths)):
        if not values or any(
            isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in values
        ):
            raise invalid_value(name, "a non-empty list of positive integers", list(values))
    for name, value in (("batch", batch), ("repeats", repeats), ("classes", classes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise invalid_value(name, "a positive integer", value)
    runs: list[Policy] = ["all", *[p for p in dict.fromkeys(checked) if p != "all"]]
    rows: list[dict[str, Any]] = []
    with progress(enabled=show_progress) as bar:
        task = bar.add_task("memory", total=len(depths) * len(widths))
        for depth in depths:
            for width in widths:
                found = _measure_one(
                    depth,
                    width,
                    batch,
                    runs,
                    repeats,
                    classes,
                    dtype,
                    seed,
                    use_tracemalloc,
                    lambda label: bar.update(task, advance=1, description=label),
                )
                rows.extend(found[p] for p in checked)
    return rows


def _measure_one(
    depth: int,
    width: int,
    batch: int,
    runs: list[Policy],
    repeats: int,
    classes: int,
    dtype: str,
    seed: int,
    use_tracemalloc: bool,
    advance: Callable[[str], None],
) -> dict[Policy, dict[str, Any]]:
    from memograd.tensor import memory

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, width)).astype(dtype)
    y = rng.integers(0, classes, batch)
    models = {p: _model(depth, width, classes, p, dtype, seed) for p in runs}
    results: dict[Policy, dict[str, Any]] = {}
    reference: list[np.ndarray] = []
    for policy in runs:
        model = models[policy]
        with memory.track() as tracked, count_recomputation() as counted:
            _step(model, X, y)
        grads = [p.grad for p in model.parameters()]
        if policy == "all":
            reference = grads
        diff = max(float(np.max(np.abs(a - b))) for a, b in zip(grads, reference, strict=True))
        _step(model, X, y)  # warm-up before timing
        n_layers = depth + 1
        results[policy] = {
            "policy": str(policy),
            "depth": depth,
            "width": width,
            "batch": batch,
            "layers": n_layers,
            "dtype": dtype,
            "peak_saved_bytes": tracked.peak_bytes,
            "closed_form_bytes": (
                closed_form_saved_bytes(
                    batch, width, [width] * depth, classes, X.dtype.itemsize, y.dtype.itemsize
                )
                if policy == "all"
                else None
            ),
            "recomputed_layers": counted.layers,
            "predicted_recomputed_layers": simulate(schedule(policy, n_layers)).recomputed,
            "max_abs_grad_diff": diff,
            "tracemalloc_peak_bytes": (
                _tracemalloc_peak(functools.partial(_step, model, X, y))
                if use_tracemalloc
                else None
            ),
        }
    times: dict[Policy, list[float]] = {p: [] for p in runs}
    for _ in range(repeats):  # interleaved rounds: drift hits every policy alike
        for policy in runs:
            start = time.perf_counter()
            _step(models[policy], X, y)
            times[policy].append(time.perf_counter() - start)
    ref = results["all"]
    for policy in runs:
        row = results[policy]
        row["seconds"] = statistics.median(times[policy])
        row["repeats"] = repeats
        row["saved_ratio"] = row["peak_saved_bytes"] / ref["peak_saved_bytes"]
        row["seconds_ratio"] = row["seconds"] / ref["seconds"]
        row["tracemalloc_ratio"] = (
            row["tracemalloc_peak_bytes"] / ref["tracemalloc_peak_bytes"]
            if use_tracemalloc
            else None
        )
    advance(f"depth {depth} width {width}")
    return results


__all__ = ["closed_form_saved_bytes", "measure"]
