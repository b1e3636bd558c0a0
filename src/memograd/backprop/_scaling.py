"""`scaling`: work and time of every strategy as the network gets deeper or wider.

Each point builds the neuron-level MLP ``[width] + [width]·depth + [1]`` (depth = hidden
layers), predicts every strategy's work from the closed forms, runs the strategies whose
predicted multiplications fit the budget, and records measured counts and seconds. A refused
point keeps its prediction, so a plot can show where the naive strategies would go.

Example:
    >>> rows = scaling("depth", max_n=2, width=2, budget=10_000)
    >>> [(r["n"], r["strategy"], r["counts"]["multiplications"]) for r in rows][:4]
    [(1, 'paths', 39), (1, 'recursive', 39), (1, 'memoized', 15), (1, 'reverse', 15)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from memograd._errors import invalid_value
from memograd._progress import progress
from memograd.backprop._closed_forms import mlp_work
from memograd.backprop._compare import compare
from memograd.backprop._counts import STRATEGIES
from memograd.scalar import MLP

KINDS = ("depth", "width")
_REPEAT_BELOW = 100_000


def scaling_sizes(kind: str, n: int, *, width: int = 4, depth: int = 3) -> list[int]:
    """The layer sizes of point `n`: ``depth`` hidden layers of ``width`` units, one output.

    Example:
        >>> scaling_sizes("depth", 3, width=4), scaling_sizes("width", 2, depth=2)
        ([4, 4, 4, 4, 1], [2, 2, 2, 1])
    """
    if kind == "depth":
        return [width] * (n + 1) + [1]
    return [n] * (depth + 1) + [1]


def scaling(
    kind: str = "depth",
    max_n: int = 6,
    *,
    min_n: int = 1,
    width: int = 4,
    depth: int = 3,
    budget: int | None = 2_000_000,
    activation: str = "sigmoid",
    strategies: Sequence[str] = STRATEGIES,
    seed: int = 0,
    repeats: int = 3,
    show_progress: bool = False,
) -> list[dict[str, Any]]:
    """Run the strategies on MLPs of depth (or width) `min_n`..`max_n`.

    Args:
        kind: ``"depth"`` (hidden layers of `width` units) or ``"width"`` (`depth` hidden
            layers of n units).
        max_n: the largest depth or width.
        min_n: the smallest.
        width: the width when `kind` is depth.
        depth: the number of hidden layers when `kind` is width.
        budget: maximum predicted multiplications per strategy run (None: no limit).
        activation: the activation of every layer.
        strategies: which strategies to run.
        seed: seeds each network and its input.
        repeats: runs of each strategy whose predicted work is at most 100,000
            multiplications; the fastest is kept (single runs of a millisecond are noisy).
        show_progress: draw a progress bar on a terminal.

    Returns:
        One row per (n, strategy): ``kind``, ``n``, ``sizes``, ``strategy``, ``refused``,
        ``predicted`` (from the graph), ``closed_form``, ``counts`` and ``seconds`` (None
        when refused) and ``max_abs_diff`` (largest |grad − reverse's grad|, when both ran).
    """
    if kind not in KINDS:
        raise invalid_value("kind", f"one of {list(KINDS)}", kind)
    checks = (
        ("max_n", max_n),
        ("min_n", min_n),
        ("width", width),
        ("depth", depth),
        ("repeats", repeats),
    )
    for name, value in checks:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise invalid_value(name, "a positive integer", value)
    if min_n > max_n:
        raise ValueError(f"`min_n` ({min_n}) must not exceed `max_n` ({max_n}).")
    rows: list[dict[str, Any]] = []
    rng = np.random.default_rng(seed)
    with progress(enabled=show_progress) as bar:
        task = bar.add_task(f"backprop scaling ({kind})", total=max_n - min_n + 1)
        for n in range(min_n, max_n + 1):
            sizes = scaling_sizes(kind, n, width=width, depth=depth)
            net = MLP(sizes, activation=activation, seed=int(rng.integers(2**31)))
            x = rng.uniform(-1.0, 1.0, size=sizes[0]).tolist()
            loss = net.loss(x, [0.5])
            closed = mlp_work(sizes, activation)
            results = compare(loss, net.parameters(), strategies, budget=budget)
            seconds = {r.name: r.seconds for r in results}
            for r in results:
                if not r.refused and r.predicted.multiplications <= _REPEAT_BELOW:
                    for _ in range(repeats - 1):
                        (again,) = compare(loss, net.parameters(), [r.name])
                        seconds[r.name] = min(seconds[r.name] or 0.0, again.seconds or 0.0)
            reference = next((r.grads for r in results if r.name == "reverse" and r.grads), None)
            for r in results:
                diff = None
                if reference is not None and r.grads is not None:
                    diff = max(abs(a - b) for a, b in zip(r.grads, reference, strict=True))
                rows.append(
                    {
                        "kind": kind,
                        "n": n,
                        "sizes": sizes,
                        "strategy": r.name,
                        "refused": r.refused,
                        "predicted": r.predicted.as_dict(),
                        "closed_form": closed[r.name].as_dict(),
                        "counts": None if r.counts is None else r.counts.as_dict(),
                        "seconds": seconds[r.name],
                        "max_abs_diff": diff,
                    }
                )
            bar.update(task, advance=1, description=f"backprop scaling ({kind}={n})")
    return rows
