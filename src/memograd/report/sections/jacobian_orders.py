"""Section 8: which end to memoize from — forward, reverse and the cheapest elimination order.

Every number comes from `memograd.backprop.jacobian`, which accumulates the Jacobian on the
recorded graph by vertex elimination and counts multiplications (an a×b by b×c block product
costs a·b·c); the DP call counts from `backprop._elimination.dp_calls`.
"""

from __future__ import annotations

from typing import Any

from memograd.report import _fmt
from memograd.report._parts import SectionBuilder, need

KEY = "jacobian_orders"
TITLE = "8. Which end to memoize from"
CLAIM = (
    "Reverse mode stores ∂L/∂node and costs one sweep per output, forward mode stores "
    "∂node/∂x and costs one per input; for a Jacobian the cheapest order is in general "
    "neither, and finding it is again a memoized dynamic programme."
)
BOTTLENECK = [64, 64, 4, 64, 64]


def _settings(quick: bool) -> dict[str, Any]:
    return {
        "widths": [1, 2, 3, 4, 6] if quick else [1, 2, 3, 4, 6, 8, 10],
        "shapes": [(1, 64), (4, 64), (16, 64), (64, 64), (64, 16), (64, 4), (64, 1)],
        "hidden": [32, 32],
        "dp_q": list(range(1, 7 if quick else 9)),
    }


def build(out: SectionBuilder, ctx: Any) -> None:
    settings = _settings(ctx.quick)
    out.number("settings", settings)
    need("memograd.backprop:jacobian", "memograd.backprop.jacobian (Jacobian orders)")
    with out.part("work vs number of parameters"):
        _gradient_work(out, settings)
    with out.part("Jacobians across n/m"):
        _shapes(out, settings)
    with out.part("a bottleneck network"):
        _bottleneck(out)
    with out.part("the elimination DP with and without memo"):
        _dp_calls(out, settings)


def _gradient_work(out: SectionBuilder, settings: dict[str, Any]) -> None:
    import memograd as mg
    from memograd import backprop

    rows = []
    for w in settings["widths"]:
        net = mg.scalar.MLP([2, w, w, 1], seed=0)
        loss = net.loss([0.5, -1.0], 1.0)
        params = net.parameters()
        fwd, rev = backprop.jacobian_all(loss, params, ("forward", "reverse"))
        rows.append(
            {
                "width": w,
                "parameters": len(params),
                "forward": fwd.multiplications,
                "reverse": rev.multiplications,
            }
        )
    out.number("gradient_work", rows)
    from memograd.viz.plots import color_for, new_figure

    fig, ax = new_figure(6.4, 3.8)
    n = [r["parameters"] for r in rows]
    ax.plot(n, [r["forward"] for r in rows], "o-", color=color_for("naive"), label="forward")
    ax.plot(n, [r["reverse"] for r in rows], "o-", color=color_for("memoized"), label="reverse")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("parameters n (log)")
    ax.set_ylabel("multiplications (log)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    out.figure(
        fig,
        "The gradient of one loss (m = 1) of neuron-level MLPs 2-w-w-1 with respect to all n "
        "parameters, counted on the recorded graph. Forward order carries ∂node/∂(every "
        "parameter reaching it), so its work grows with n; reverse order stores one ∂L/∂node "
        "per node and does one multiplication per edge.",
        alt="multiplications of forward and reverse order against the number of parameters",
    )
    last = rows[-1]
    ratio = last["forward"] / last["reverse"]
    out.number("forward_over_reverse_largest", ratio)
    out.text(
        f"At {last['parameters']} parameters forward order takes "
        f"{_fmt.count(last['forward'])} multiplications, reverse "
        f"{_fmt.count(last['reverse'])}: {ratio:.1f}× fewer. This is why training uses reverse "
        "mode: one output, many inputs."
    )


def _shapes(out: SectionBuilder, settings: dict[str, Any]) -> None:
    from memograd.backprop._jacobian_study import measure_chain

    rows = []
    for n, m in settings["shapes"]:
        results = measure_chain([n, *settings["hidden"], m], activation="tanh")
        rows.append({"n": n, "m": m, **{r.strategy: r.multiplications for r in results}})
    out.number("shapes", rows)
    from memograd.viz.plots import color_for, new_figure

    fig, ax = new_figure(6.4, 3.8)
    ratio = [r["n"] / r["m"] for r in rows]
    for k, name in enumerate(("forward", "reverse", "optimal")):
        style = "o-" if name != "optimal" else "x--"
        ax.plot(ratio, [r[name] for r in rows], style, color=color_for("", k), label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("n / m (inputs per output, log)")
    ax.set_ylabel("multiplications (log)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    hidden = "-".join(map(str, settings["hidden"]))
    out.figure(
        fig,
        f"The Jacobian of tanh networks ℝⁿ → ℝᵐ (n-{hidden}-m). Forward order wins when the "
        "Jacobian is tall (few inputs, n < m), reverse when it is wide (n > m); the optimal "
        "bracketing (matrix-chain DP) is never worse than either.",
        alt="multiplications of forward, reverse and optimal against n/m",
    )


def _bottleneck(out: SectionBuilder) -> None:
    from memograd.backprop._jacobian_study import measure_chain

    results = measure_chain(BOTTLENECK)
    best = min(r.multiplications for r in results if r.strategy in ("forward", "reverse"))
    optimal = next(r for r in results if r.strategy == "optimal")
    saving = best / optimal.multiplications
    out.number(
        "bottleneck",
        {
            "layers": BOTTLENECK,
            "results": [
                {"order": r.strategy, "multiplications": r.multiplications, "seconds": r.seconds}
                for r in results
            ],
            "optimal_saving": saving,
        },
    )
    out.table(
        ["order", "multiplications", "seconds", "bracketing"],
        [[r.strategy, f"{r.multiplications:,}", _fmt.seconds(r.seconds), r.order] for r in results],
        f"The Jacobian of x ↦ W₄W₃W₂W₁x with widths {'-'.join(map(str, BOTTLENECK))}: a "
        "narrow middle layer. Multiplied from either end the product stays 64 wide; the "
        "optimal order multiplies each half first and meets at the 4-wide middle.",
        highlight_rows=[len(results) - 1],
    )
    out.headline("optimal vs best of forward/reverse (bottleneck)", _fmt.ratio(saving), saving)
    out.text(
        f"On the bottleneck network the optimal order does {_fmt.ratio(saving)} fewer "
        f"multiplications than the better of forward and reverse "
        f"({_fmt.count(optimal.multiplications)} against {_fmt.count(best)})."
    )


def _dp_calls(out: SectionBuilder, settings: dict[str, Any]) -> None:
    from memograd.backprop._elimination import dp_calls
    from memograd.backprop._lcg import linearize_graph
    from memograd.scalar import Value

    rows = []
    for q in settings["dp_q"]:
        x = Value(0.3)
        node = x
        for _ in range(q + 1):  # every step reads x again: q intermediates, not a chain
            node = node * x
        rows.append(dp_calls(linearize_graph(node, x)))
    out.number("dp_calls", rows)
    from memograd.viz.plots import color_for, new_figure

    fig, ax = new_figure(6.4, 3.8)
    qs = [r["intermediates"] for r in rows]
    ax.plot(qs, [r["calls_without_memo"] for r in rows], "o-", color=color_for("naive"))
    ax.plot(qs, [r["calls_with_memo"] for r in rows], "o-", color=color_for("memoized"))
    ax.lines[0].set_label("without memo: Σ q!/(q−r)!")
    ax.lines[1].set_label("with @memoize: 2^q")
    ax.set_yscale("log")
    ax.set_xlabel("intermediate vertices q")
    ax.set_ylabel("evaluations of the DP body (log)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    out.figure(
        fig,
        "Finding the optimal elimination order: the DP's best cost to finish depends only on "
        "the set of vertices already eliminated. Without the memo every order prefix is "
        "evaluated again (like naive Fibonacci); with @memoize each set once.",
        alt="DP body evaluations with and without memoization against q",
    )
    last = rows[-1]
    out.text(
        f"With q = {last['intermediates']} intermediate vertices the plain recursion evaluates "
        f"{_fmt.count(last['calls_without_memo'])} prefixes, the memoized one "
        f"{_fmt.count(last['calls_with_memo'])} sets ({_fmt.count(last['memo_hits'])} memo "
        "hits): the Fibonacci lesson once more."
    )
