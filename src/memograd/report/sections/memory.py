"""Section 4: memory — what the memo costs, and what recomputation buys back.

The measurements and the figure are `memograd.tradeoff` (`measure`, `memory_figure`):
exact peak bytes held for backward (`memograd.tensor.memory.track`), median step time and
recomputed layers of each checkpoint policy on ReLU MLPs. This module picks the grid of depths
and widths, and writes the table and the text.
"""

from __future__ import annotations

from typing import Any

from memograd._machine import conditions, describe_conditions
from memograd.report import _fmt
from memograd.report._parts import SectionBuilder, need

KEY = "memory"
TITLE = "4. Memory"
CLAIM = (
    "Memoization trades space for time: the backward pass keeps values from the forward "
    "pass, and that memory grows with width and depth — unless some are recomputed."
)
POLICY_NOTES = {
    "all": "keep every activation (plain backprop)",
    "sqrt": "keep every ≈√n-th, recompute the rest",
    "2": "keep every 2nd, recompute the others",
    "binomial:3": "3 stored activations, fewest recomputations (revolve)",
    "none": "keep only the input, recompute everything",
}


def _settings(quick: bool) -> dict[str, Any]:
    if quick:
        return {
            "depths": [2, 4, 8, 16],
            "widths": [32, 64, 128],
            "batch": 64,
            "policies": ["all", "sqrt", "2", "none"],
            "repeats": 3,
        }
    return {
        "depths": [2, 4, 8, 16, 32],
        "widths": [64, 128, 256, 512],
        "batch": 128,
        "policies": ["all", "sqrt", "2", "binomial:3", "none"],
        "repeats": 5,
    }


def _policy(name: str) -> str | int:
    return int(name) if name.isdigit() else name


def build(out: SectionBuilder, ctx: Any) -> None:
    settings = _settings(ctx.quick)
    out.number("settings", settings)
    start = conditions()
    measure = need(
        "memograd.tradeoff:measure",
        "memory measurements per checkpoint policy (memograd.tradeoff.measure, issue 7)",
    )
    rows = measure(
        settings["depths"],
        settings["widths"],
        settings["batch"],
        [_policy(p) for p in settings["policies"]],
        repeats=settings["repeats"],
        seed=ctx.seed,
        use_tracemalloc=False,
    )
    out.number("rows", rows)
    ran = out.number("conditions", conditions(start))
    with out.part("saved bytes vs width and depth, and the trade-off"):
        memory_figure = need("memograd.tradeoff:memory_figure", "the memory figure (tradeoff)")
        out.figure(
            memory_figure(rows),
            f"Peak bytes held for the backward pass of one training step (batch "
            f"{settings['batch']}, float32, ReLU MLP, softmax cross-entropy), measured exactly, "
            "for each checkpoint policy: against depth at the largest width, against width at "
            "the largest depth, and median step time against peak memory — the space–time "
            "trade-off.",
            alt="saved bytes against depth and width per policy, and step time against memory",
        )
    depth, width = max(settings["depths"]), max(settings["widths"])
    largest = [r for r in rows if r["depth"] == depth and r["width"] == width]
    by_policy = {str(r["policy"]): r for r in largest}
    table = [
        [
            name,
            POLICY_NOTES.get(name, ""),
            _fmt.count(r["peak_saved_bytes"]),
            _fmt.ratio(r["saved_ratio"]),
            f"{r['recomputed_layers']} ({r['predicted_recomputed_layers']})",
            _fmt.seconds(r["seconds"]),
            _fmt.ratio(r["seconds_ratio"]),
            f"{r['max_abs_grad_diff']:.1e}",
        ]
        for name, r in by_policy.items()
    ]
    out.table(
        [
            "policy",
            "what it keeps",
            "peak bytes held",
            "vs all",
            "layers recomputed (planned)",
            "step time",
            "vs all",
            "max |Δgrad| vs all",
        ],
        table,
        f"Depth {depth}, width {width}, batch {settings['batch']}: one step, median of "
        f"{settings['repeats']}. Timed under {describe_conditions(ran)}.",
        highlight_rows=[k for k, name in enumerate(by_policy) if name == "all"],
    )
    _describe(out, rows, by_policy, settings, depth, width)


def _describe(
    out: SectionBuilder,
    rows: list[dict[str, Any]],
    by_policy: dict[str, dict[str, Any]],
    settings: dict[str, Any],
    depth: int,
    width: int,
) -> None:
    keep = [r for r in rows if str(r["policy"]) == "all"]
    d0, d1 = min(settings["depths"]), depth
    w0, w1 = min(settings["widths"]), width
    at = {(r["depth"], r["width"]): r["peak_saved_bytes"] for r in keep}
    deeper = at[(d1, w1)] / at[(d0, w1)]
    wider = at[(d1, w1)] / at[(d1, w0)]
    out.number("all_growth_depth", deeper)
    out.number("all_growth_width", wider)
    closed = all(r["peak_saved_bytes"] == r["closed_form_bytes"] for r in keep)
    out.number("all_equals_closed_form", closed)
    text = (
        f"Keeping every activation (what plain backprop does — the memo table of the forward "
        f"pass), {d1 // d0}× more layers took the peak from {_fmt.count(at[(d0, w1)])} to "
        f"{_fmt.count(at[(d1, w1)])} bytes ({deeper:.1f}×) and {w1 // w0}× wider layers took "
        f"it {wider:.1f}× higher: the memo grows with the depth, the width and the batch."
    )
    if closed:
        text += (
            " Every one of these measurements equals the closed form "
            "B·(inputs + Σ widths + classes)·4 + 8·B bytes."
        )
    out.text(text)
    all_row, none_row = by_policy.get("all"), by_policy.get("none")
    sqrt_row = by_policy.get("sqrt")
    if all_row and none_row and sqrt_row:
        out.headline(
            f"√n checkpointing: memory / time vs keep-all (depth {depth})",
            f"{_fmt.ratio(sqrt_row['saved_ratio'])} / {_fmt.ratio(sqrt_row['seconds_ratio'])}",
            sqrt_row["saved_ratio"],
        )
        out.text(
            f"Recomputing instead of storing buys the memory back. At depth {depth} and width "
            f"{width}, √n checkpointing holds {_fmt.ratio(sqrt_row['saved_ratio'])} the bytes "
            f"of keep-all and recomputes {sqrt_row['recomputed_layers']} layers; keeping "
            f"nothing holds {_fmt.ratio(none_row['saved_ratio'])} the bytes and recomputes "
            f"{none_row['recomputed_layers']} layers — the naive end of the same trade-off "
            f"that memoized Fibonacci makes. {_time_sentence(sqrt_row, none_row)} The "
            "gradients agree with keep-all in every case (largest difference "
            f"{max(r['max_abs_grad_diff'] for r in rows):.1e})."
        )


def _time_sentence(sqrt_row: dict[str, Any], none_row: dict[str, Any]) -> str:
    """What the step times say, worded by their side of 1 (recomputing costs time, so a
    ratio at or below 1 is named as a disturbed timing instead of a price paid).

    Example:
        >>> _time_sentence({"seconds_ratio": 1.3}, {"seconds_ratio": 1.9})
        'The price is time: their steps took 1.3× and 1.9× the time of keep-all.'
        >>> _time_sentence({"seconds_ratio": 0.8}, {"seconds_ratio": 1.9})[:60]
        'Their steps took 0.8× and 1.9× the time of keep-all; below 1'
    """
    s, n = sqrt_row["seconds_ratio"], none_row["seconds_ratio"]
    times = f"{_fmt.ratio(s)} and {_fmt.ratio(n)} the time of keep-all"
    if s > 1 and n > 1:
        return f"The price is time: their steps took {times}."
    return (
        f"Their steps took {times}; below 1, a step that recomputes layers beat one that "
        "does not, which only a timing disturbed by other work on the machine shows (the "
        "conditions are under the table)."
    )
