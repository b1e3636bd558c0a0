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
    from memograd.backprop import LESSON_NETWORKS

    return {
        "widths": [1, 2, 3, 4, 6] if quick else [1, 2, 3, 4, 6, 8, 10],
        "shapes": [(1, 64), (4, 64), (16, 64), (64, 64), (64, 16), (64, 4), (64, 1)],
        "hidden": [32, 32],
        "dp_q": list(range(1, 7 if quick else 9)),
        "networks": [list(w) for w in LESSON_NETWORKS[: 2 if quick else None]],
        "repeats": 3 if quick else 7,
    }


def build(out: SectionBuilder, ctx: Any) -> None:
    settings = _settings(ctx.quick)
    out.number("settings", settings)
    need("memograd.backprop:jacobian", "memograd.backprop.jacobian (Jacobian orders)")
    with out.part("work vs number of parameters"):
        _gradient_work(out, settings)
    with out.part("the cheap-gradient constant"):
        _cheap_gradient(out, settings)
    with out.part("Jacobians across n/m"):
        _shapes(out, settings)
    with out.part("a bottleneck network"):
        _bottleneck(out)
    with out.part("the elimination DP with and without memo"):
        _dp_calls(out, settings)


def _gradient_work(out: SectionBuilder, settings: dict[str, Any]) -> None:
    import memograd as mg
    from memograd import backprop
    from memograd.backprop._cheap_gradient import evaluation_multiplications

    rows = []
    for w in settings["widths"]:
        widths = [2, w, w, 1]
        net = mg.scalar.MLP(widths, seed=0)
        loss = net.loss([0.5, -1.0], 1.0)
        params = net.parameters()
        # run: one forward sweep per parameter, and one reverse sweep, each counted
        rev, fwd = backprop.compare(loss, params, strategies=("reverse", "forward"))
        assert rev.counts is not None and fwd.counts is not None  # (no budget: both ran)
        closed = backprop.mlp_work(widths)
        rows.append(
            {
                "width": w,
                "parameters": len(params),
                "forward": fwd.counts.multiplications,
                "reverse": rev.counts.multiplications,
                "predicted_forward": closed["forward"].multiplications,
                "predicted_reverse": closed["reverse"].multiplications,
                "evaluation": evaluation_multiplications(widths),
                "forward_seconds": fwd.seconds,
                "reverse_seconds": rev.seconds,
            }
        )
    out.number("gradient_work", rows)
    from memograd.viz.plots import color_for, new_figure

    fig, ax = new_figure(6.4, 3.8)
    n = [r["parameters"] for r in rows]
    per_eval = [r["evaluation"] for r in rows]  # one loss evaluation's multiplications
    for name, role in (("forward", "naive"), ("reverse", "memoized")):
        color = color_for(role)
        predicted = [r[f"predicted_{name}"] / f for r, f in zip(rows, per_eval, strict=True)]
        counted = [r[name] / f for r, f in zip(rows, per_eval, strict=True)]
        ax.plot(n, predicted, "-", color=color, alpha=0.6)
        ax.plot(n, counted, "o", color=color, label=f"{name} sweeps (run, counted)")
    ax.lines[0].set_label("closed forms (lines)")
    ax.set_xscale("log")
    ax.set_xlabel("parameters n (log)")
    ax.set_ylabel("multiplications / one loss evaluation")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    out.figure(
        fig,
        "The gradient of one loss of neuron-level MLPs 2-w-w-1 with respect to all n "
        "parameters, in units of one loss evaluation. Markers: the sweeps run on the recorded "
        "graph and counted (forward: one sweep per parameter carrying ∂node/∂w up to L; "
        "reverse: one sweep storing ∂L/∂node); lines: the closed forms of the layer widths. "
        "Forward's work per evaluation grows with n; reverse's stays flat.",
        alt="counted multiplications of forward and reverse sweeps per loss evaluation against "
        "the number of parameters, with their closed-form predictions",
    )
    last = rows[-1]
    ratio = last["forward"] / last["reverse"]
    out.number("forward_over_reverse_largest", ratio)
    out.text(
        f"At {last['parameters']} parameters the forward sweeps take "
        f"{_fmt.count(last['forward'])} multiplications, the reverse sweep "
        f"{_fmt.count(last['reverse'])}: {ratio:.1f}× fewer. This is why training uses reverse "
        "mode: one output, many inputs."
    )


def _cheap_gradient(out: SectionBuilder, settings: dict[str, Any]) -> None:
    from memograd import backprop

    rows = backprop.cheap_gradient_study(settings["networks"], repeats=settings["repeats"])
    out.number("cheap_gradient", [r.as_dict() for r in rows])
    out.table(
        [
            "network",
            "n",
            "evaluation",
            "reverse",
            "G–W (counted)",
            "(timed)",
            "forward",
            "sweeps",
            "forward time / n",
        ],
        [
            [
                "-".join(map(str, r.widths)),
                f"{r.parameters:,}",
                f"{r.evaluation:,}",
                f"{r.reverse:,}",
                f"{r.reverse_ratio:.2f}×",
                f"{r.reverse_time_ratio:.1f}×",
                f"{r.forward_ratio:.1f}×",
                f"{r.forward_sweeps:,}",
                f"{r.forward_time_ratio / r.parameters:.1f}×",
            ]
            for r in rows
        ],
        "The cheap-gradient principle on the lesson's sigmoid MLPs. evaluation: multiplications "
        "of one loss; reverse: value and gradient by reverse mode (evaluation, local "
        "derivatives and the counted sweep), and its ratio to the evaluation — the "
        "Griewank–Walther constant, bounded by about 4–5 — counted and timed (the same network "
        "as Tensor ops: mg.grad against f(θ)); forward: the forward strategy's ratio; sweeps: "
        "the real forward sweeps mg.jacfwd ran for the gradient (one per parameter), whose "
        "time divided by n evaluations is the last column.",
    )
    worst = max(r.reverse_ratio for r in rows)
    out.headline("Griewank–Walther constant (reverse / evaluation)", f"{worst:.2f}×", worst)
    out.text(
        f"Reverse mode costs {min(r.reverse_ratio for r in rows):.2f}–{worst:.2f} loss "
        "evaluations in multiplications, whatever n (Griewank and Walther bound it by about "
        "4–5); forward mode runs n sweeps, each a few evaluations' worth: "
        f"{min(r.forward_time_ratio / r.parameters for r in rows):.1f}–"
        f"{max(r.forward_time_ratio / r.parameters for r in rows):.1f}·n evaluations' time."
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
