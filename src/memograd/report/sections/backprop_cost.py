"""Section 3: naive vs memoized backprop — work and time against depth and width.

The measurements are `memograd.backprop.scaling` (every strategy on neuron-level MLPs, with a
budget that refuses runs predicted to be too long) and `memograd.backprop.compare` (repeated
at depth 10 for a median). Refused runs are drawn from their predicted counts; their time is
extrapolated from the strategy's measured seconds per multiplication (labelled as such).
"""

from __future__ import annotations

import statistics
from typing import Any

from memograd.report import _fmt
from memograd.report._parts import SectionBuilder, need

KEY = "backprop_cost"
TITLE = "3. Naive vs memoized backprop"
CLAIM = (
    "Summing over paths costs as many multiplications as there are path steps — exponential "
    "in depth; storing each adjoint once makes the cost linear in the number of edges."
)

STRATEGY_NOTES = {
    "paths": "every path, product from scratch (the lesson's formula)",
    "recursive": "adjoint(v) = Σ adjoint(child)·∂child/∂v, no cache",
    "memoized": "the same recursion under @memoize",
    "reverse": "reverse topological sweep (what loss.backward() does)",
}
DEPTH_WIDTH = 2  # width of the hidden layers when depth varies
WIDTH_DEPTH = 3  # hidden layers when width varies
HEADLINE_DEPTH = 10


def _settings(quick: bool) -> dict[str, Any]:
    if quick:
        return {"max_depth": 10, "max_width": 6, "budget": 300_000, "repeats": 3}
    return {"max_depth": 16, "max_width": 10, "budget": 3_000_000, "repeats": 7}


def _seconds_per_mult(rows: list[dict[str, Any]], strategy: str) -> float | None:
    """Measured seconds per multiplication at the largest measured point of `strategy`."""
    ran = [r for r in rows if r["strategy"] == strategy and not r["refused"] and r["seconds"]]
    if not ran:
        return None
    last = max(ran, key=lambda r: r["counts"]["multiplications"])
    return float(last["seconds"]) / max(last["counts"]["multiplications"], 1)


def _plot(
    out: SectionBuilder, rows: list[dict[str, Any]], kind: str, strategies: list[str]
) -> None:
    from memograd.viz.plots import color_for, new_figure

    fig, (left, right) = new_figure(10.5, 4.0, ncols=2)
    for index, name in enumerate(strategies):
        mine = sorted((r for r in rows if r["strategy"] == name), key=lambda r: r["n"])
        color = color_for(name, index)
        # memoized and reverse do exactly the same work: a bigger square keeps it visible
        marker, size = ("s", 7) if name == "memoized" else ("o", 4)
        ns = [r["n"] for r in mine]
        left.plot(
            ns,
            [r["predicted"]["multiplications"] for r in mine],
            "--",
            color=color,
            linewidth=1.0,
            alpha=0.7,
        )
        ran = [r for r in mine if not r["refused"]]
        left.plot(
            [r["n"] for r in ran],
            [r["counts"]["multiplications"] for r in ran],
            marker,
            linestyle="none",
            color=color,
            markersize=size,
            label=name,
        )
        refused = [r for r in mine if r["refused"]]
        if refused:
            left.plot(
                [r["n"] for r in refused],
                [r["predicted"]["multiplications"] for r in refused],
                "o",
                markerfacecolor="none",
                color=color,
                markersize=5,
            )
        right.plot(
            [r["n"] for r in ran],
            [r["seconds"] for r in ran],
            marker=marker,
            linestyle="-",
            color=color,
            markersize=size,
            label=name,
        )
        rate = _seconds_per_mult(rows, name)
        if refused and rate:
            last = ran[-1:] if ran else []
            right.plot(
                [r["n"] for r in last + refused],
                [
                    (r["seconds"] if not r["refused"] else rate * r["predicted"]["multiplications"])
                    for r in last + refused
                ],
                "o--",
                markerfacecolor="none",
                color=color,
                markersize=5,
            )
    axis = "depth (hidden layers of width 2)" if kind == "depth" else "width (3 hidden layers)"
    for ax, ylabel, title in (
        (left, "multiplications (log)", "work: measured ●, predicted ○ and dashed"),
        (right, "seconds (log)", "time: measured ●, extrapolated ○ for refused runs"),
    ):
        ax.set_yscale("log")
        ax.set_xlabel(axis)
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8)
    out.figure(
        fig,
        f"Work and time of every strategy for ∂L/∂(all parameters) as the network gets "
        f"{'deeper' if kind == 'depth' else 'wider'}. Filled markers were measured; hollow "
        "markers are runs refused by the budget, drawn at the counts predicted from the graph "
        "(dashed: predictions at every point) and at the measured seconds per multiplication.",
        alt=f"log-scale plot of multiplications and seconds against {kind}",
    )


def build(out: SectionBuilder, ctx: Any) -> None:
    settings = _settings(ctx.quick)
    out.number("settings", settings)
    scaling = need("memograd.backprop:scaling", "scaling measurements (backprop.scaling)")
    strategies = list(need("memograd.backprop:STRATEGIES", "the strategy names"))
    depth_rows: list[dict[str, Any]] = []
    with out.part("work and time vs depth"):
        depth_rows = scaling(
            "depth",
            max_n=settings["max_depth"],
            width=DEPTH_WIDTH,
            budget=settings["budget"],
            seed=ctx.seed,
        )
        out.number("depth_rows", depth_rows)
        _plot(out, depth_rows, "depth", strategies)
    with out.part("work and time vs width"):
        width_rows = scaling(
            "width",
            max_n=settings["max_width"],
            depth=WIDTH_DEPTH,
            budget=settings["budget"],
            seed=ctx.seed,
        )
        out.number("width_rows", width_rows)
        _plot(out, width_rows, "width", strategies)
    with out.part(f"the speed-up at depth {HEADLINE_DEPTH}"):
        _headline(out, ctx, strategies, settings, depth_rows)
    if depth_rows:
        agree = [r["max_abs_diff"] for r in depth_rows if r["max_abs_diff"] is not None]
        out.number("max_abs_diff_vs_reverse", max(agree) if agree else None)
        if agree:
            out.text(
                f"All strategies that ran return the same gradients: the largest difference "
                f"from the reverse sweep over all depths is {max(agree):.1e}."
            )


def _headline(
    out: SectionBuilder,
    ctx: Any,
    strategies: list[str],
    settings: dict[str, Any],
    depth_rows: list[dict[str, Any]],
) -> None:
    backprop = need("memograd.backprop", "memograd.backprop")
    scalar = need("memograd.scalar", "memograd.scalar")
    import numpy as np

    sizes = backprop.scaling_sizes("depth", HEADLINE_DEPTH, width=DEPTH_WIDTH)
    rng = np.random.default_rng(ctx.seed)
    net = scalar.MLP(sizes, activation="sigmoid", seed=ctx.seed)
    x = rng.uniform(-1.0, 1.0, size=sizes[0]).tolist()
    loss = net.loss(x, [0.5])
    params = net.parameters()
    times: dict[str, list[float]] = {name: [] for name in strategies}
    counts: dict[str, Any] = {}
    predicted: dict[str, Any] = {}
    for _ in range(settings["repeats"]):
        for r in backprop.compare(loss, params, strategies, budget=settings["budget"]):
            predicted[r.name] = r.predicted.as_dict()
            if not r.refused:
                times[r.name].append(r.seconds)
                counts[r.name] = r.counts.as_dict()
    medians: dict[str, float | None] = {
        name: statistics.median(t) if t else None for name, t in times.items()
    }
    out.number("depth10_sizes", sizes)
    out.number("depth10_median_seconds", medians)
    out.number("depth10_counts", counts)
    out.number("depth10_predicted", predicted)
    rows = []
    for name in strategies:
        c = counts.get(name) or predicted[name]
        rows.append(
            [
                name,
                STRATEGY_NOTES.get(name, ""),
                _fmt.count(c["multiplications"]) + ("" if name in counts else " (predicted)"),
                _fmt.count(c["memo_hits"]),
                _fmt.seconds(medians[name]),
            ]
        )
    out.table(
        ["strategy", "what it does", "multiplications", "memo hits", "median time"],
        rows,
        f"Depth {HEADLINE_DEPTH}: {len(sizes) - 2} hidden layers of {DEPTH_WIDTH} (sizes "
        f"{sizes}), ∂L/∂ every parameter, median of {settings['repeats']} runs.",
        highlight_rows=[strategies.index("reverse")] if "reverse" in strategies else None,
    )
    slow, fast = "paths", "reverse"
    slow_s, fast_s = medians.get(slow), medians.get(fast)
    if slow_s and fast_s:
        speedup = slow_s / fast_s
        work = counts[slow]["multiplications"] / counts[fast]["multiplications"]
        out.number("depth10_speedup_paths_over_reverse", speedup)
        out.number("depth10_work_ratio_paths_over_reverse", work)
        rec = medians.get("recursive")
        rec_text = (
            f" The plain recursion, which shares prefixes but not adjoints, took "
            f"{_fmt.seconds(rec)} ({_fmt.ratio(rec / fast_s)} the sweep)."
            if rec
            else ""
        )
        out.headline(f"backprop speed-up at depth {HEADLINE_DEPTH}", _fmt.ratio(speedup), speedup)
        out.text(
            f"At depth {HEADLINE_DEPTH} the path sum multiplied "
            f"{_fmt.count(counts[slow]['multiplications'])} local derivatives in "
            f"{_fmt.seconds(slow_s)}; the reverse sweep, storing each ∂L/∂node once, "
            f"multiplied {_fmt.count(counts[fast]['multiplications'])} (one per edge) in "
            f"{_fmt.seconds(fast_s)}: {_fmt.ratio(work)} less work and "
            f"{_fmt.ratio(speedup)} faster, for the same gradients.{rec_text}"
        )
    growth = _growth(depth_rows)
    if growth:
        out.number("work_growth_per_layer_at_depth10", growth)
        out.text(
            f"One more layer (depth {HEADLINE_DEPTH - 1} → {HEADLINE_DEPTH}) multiplies the "
            f"path sum's work by {growth['paths']:.2f} and the sweep's by "
            f"{growth['reverse']:.2f}: the first grows geometrically with depth, the second "
            "by a constant number of edges per layer."
        )


def _growth(rows: list[dict[str, Any]]) -> dict[str, float] | None:
    """Factor by which each strategy's predicted multiplications grow from depth 9 to 10."""
    work = {
        (r["strategy"], r["n"]): r["predicted"]["multiplications"]
        for r in rows
        if r["n"] in (HEADLINE_DEPTH - 1, HEADLINE_DEPTH)
    }
    try:
        return {
            name: work[(name, HEADLINE_DEPTH)] / work[(name, HEADLINE_DEPTH - 1)]
            for name in ("paths", "reverse")
        }
    except KeyError:
        return None
