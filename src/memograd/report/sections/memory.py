"""Section 4: memory — what the memo costs: saved bytes against width and depth.

Saved bytes are what `memograd.graph.reverse_sweep` reports (`SweepStats.saved_bytes`: bytes
the graph's nodes hold for backward when the sweep starts), read from `loss.backward()` on
`mg.nn.Sequential` models (Tensor engine) and `mg.scalar.MLP` (Value engine). Building those
models and reading the number is a small adapter here; the checkpointing trade-off comes from
`memograd.checkpointing` (issue 7) once it exists.
"""

from __future__ import annotations

from typing import Any

from memograd.report import _fmt
from memograd.report._parts import SectionBuilder, need

KEY = "memory"
TITLE = "4. Memory"
CLAIM = (
    "Memoization trades space for time: the backward pass keeps values from the forward "
    "pass, and that memory grows with width and depth — unless some are recomputed."
)
BATCH = 64
FEATURES = 64


def _settings(quick: bool) -> dict[str, Any]:
    if quick:
        return {
            "widths": [16, 32, 64, 128],
            "depths": [1, 2, 4, 8],
            "fixed_width": 64,
            "fixed_depth": 3,
        }
    return {
        "widths": [16, 32, 64, 128, 256, 512],
        "depths": [1, 2, 4, 8, 16, 32],
        "fixed_width": 128,
        "fixed_depth": 4,
    }


def _tensor_saved_bytes(mg: Any, width: int, depth: int, seed: int) -> dict[str, int]:
    """One forward + backward of a ReLU MLP on a batch; the sweep's statistics."""
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((BATCH, FEATURES)).astype(np.float32)
    layers = [mg.nn.Dense(width, activation="relu") for _ in range(depth)]
    model = mg.nn.Sequential([*layers, mg.nn.Dense(10)])
    out = model(mg.Tensor(X))
    loss = (out * out).mean()
    stats = loss.backward()
    params = sum(int(p.data.nbytes) for p in model.parameters())
    return {
        "width": width,
        "depth": depth,
        "saved_bytes": int(stats.saved_bytes),
        "nodes": int(stats.nodes),
        "parameter_bytes": params,
    }


def build(out: SectionBuilder, ctx: Any) -> None:
    settings = _settings(ctx.quick)
    out.number("settings", settings)
    out.number("batch", BATCH)
    by_width: list[dict[str, int]] = []
    by_depth: list[dict[str, int]] = []
    with out.part("saved bytes vs width and depth"):
        mg = need("memograd", "memograd")
        need("memograd.nn:Sequential", "mg.nn.Sequential (Tensor-engine models)")
        need("memograd:Tensor", "mg.Tensor")
        by_width = [
            _tensor_saved_bytes(mg, w, settings["fixed_depth"], ctx.seed)
            for w in settings["widths"]
        ]
        by_depth = [
            _tensor_saved_bytes(mg, settings["fixed_width"], d, ctx.seed)
            for d in settings["depths"]
        ]
        out.number("tensor_by_width", by_width)
        out.number("tensor_by_depth", by_depth)
        _plot(out, by_width, by_depth, settings)
        _describe(out, by_width, by_depth, settings)
    with out.part("the checkpointing trade-off"):
        need(
            "memograd.checkpointing:measure",
            "the checkpointing trade-off (peak saved bytes vs recomputation per policy; issue 7: "
            "memograd.checkpointing.measure, `memograd memory`)",
        )


def _plot(
    out: SectionBuilder,
    by_width: list[dict[str, int]],
    by_depth: list[dict[str, int]],
    settings: dict[str, Any],
) -> None:
    from memograd.viz.plots import log_lines, new_figure

    fig, (left, right) = new_figure(10.5, 3.8, ncols=2)
    mib = 1024 * 1024
    log_lines(
        left,
        {
            "saved for backward": (
                [r["width"] for r in by_width],
                [r["saved_bytes"] / mib for r in by_width],
            ),
            "parameters": (
                [r["width"] for r in by_width],
                [r["parameter_bytes"] / mib for r in by_width],
            ),
        },
        xlabel=f"width ({settings['fixed_depth']} hidden layers)",
        ylabel="MiB (log)",
        title="vs width",
        logx=True,
    )
    log_lines(
        right,
        {
            "saved for backward": (
                [r["depth"] for r in by_depth],
                [r["saved_bytes"] / mib for r in by_depth],
            ),
            "parameters": (
                [r["depth"] for r in by_depth],
                [r["parameter_bytes"] / mib for r in by_depth],
            ),
        },
        xlabel=f"hidden layers (width {settings['fixed_width']})",
        ylabel="MiB (log)",
        title="vs depth",
        logx=True,
    )
    out.figure(
        fig,
        f"Bytes held for the backward pass (SweepStats.saved_bytes) by a ReLU MLP on a batch of "
        f"{BATCH} float32 examples with {FEATURES} features, next to the parameters' bytes.",
        alt="log-log plot of saved bytes against width and depth",
    )


def _describe(
    out: SectionBuilder,
    by_width: list[dict[str, int]],
    by_depth: list[dict[str, int]],
    settings: dict[str, Any],
) -> None:
    def growth(rows: list[dict[str, int]], key: str) -> float:
        first, last = rows[0], rows[-1]
        return (last["saved_bytes"] / first["saved_bytes"]) / (last[key] / first[key])

    w0, w1 = by_width[0], by_width[-1]
    d0, d1 = by_depth[0], by_depth[-1]
    out.number("saved_bytes_growth_per_width_factor", growth(by_width, "width"))
    out.number("saved_bytes_growth_per_depth_factor", growth(by_depth, "depth"))
    out.text(
        f"Going from width {w0['width']} to {w1['width']} "
        f"({w1['width'] / w0['width']:.0f}× wider) took the saved bytes from "
        f"{_fmt.count(w0['saved_bytes'])} to {_fmt.count(w1['saved_bytes'])} "
        f"({w1['saved_bytes'] / w0['saved_bytes']:.1f}×); going from {d0['depth']} to "
        f"{d1['depth']} hidden layers ({d1['depth'] / d0['depth']:.0f}× deeper) took them from "
        f"{_fmt.count(d0['saved_bytes'])} to {_fmt.count(d1['saved_bytes'])} "
        f"({d1['saved_bytes'] / d0['saved_bytes']:.1f}×). This is the space the speed of "
        "section 3 is bought with: one stored value per node, like the dictionary of the "
        "memoized Fibonacci."
    )
