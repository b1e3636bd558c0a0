"""Section 2: the chain rule on the lesson's network, and the adjoint (memo) table.

Everything is computed by `memograd.backprop` (`explain`, `adjoint_table`) and
`memograd.scalar.MLP`; this module only lays it out. The finite-difference column is a
check of the table, computed here from forward passes only.
"""

from __future__ import annotations

from typing import Any

from memograd.report import _fmt
from memograd.report._parts import SectionBuilder, need

KEY = "chain_rule"
TITLE = "2. The chain rule on the lesson's network"
CLAIM = (
    "∂L/∂w¹₁₁ is a sum over every path from w¹₁₁ to L; the paths share factors, and the "
    "backward pass stores each node's ∂L/∂node once and reuses it."
)

SIZES = [2, 2, 2, 1]
X = [0.5, -1.0]
Y = [1.0]
WEIGHT = "w1_11"


def _finite_difference(net: Any, name: str, h: float = 1e-6) -> float:
    """Central difference of the loss in parameter `name` (forward passes only)."""
    param = net[name]
    original = param.data
    try:
        param.data = original + h
        up = net.loss(X, Y).data
        param.data = original - h
        down = net.loss(X, Y).data
    finally:
        param.data = original
    return float((up - down) / (2 * h))


def build(out: SectionBuilder, ctx: Any) -> None:
    scalar = need("memograd.scalar", "memograd.scalar (Value, MLP)")
    net = scalar.MLP(SIZES, activation="sigmoid", seed=ctx.seed)
    loss = net.loss(X, Y)
    out.number("sizes", SIZES)
    out.number("input", X)
    out.number("target", Y)
    out.number("loss", loss.data)

    rows: list[Any] = []
    with out.part("the adjoint table"):
        adjoint_table = need(
            "memograd.backprop:adjoint_table", "the adjoint table (memograd.backprop.adjoint_table)"
        )
        rows = adjoint_table(loss)

    with out.part("the network drawing"):
        from memograd.viz.network import draw_network

        shown = {"o₁₁", "o₁₂", "o₂₁", "o₂₂", "ŷ", "L"}
        notes = {
            r.name: f"value {_fmt.number(r.value, 3)}\n∂L/∂{r.name} {_fmt.number(r.adjoint, 3)}"
            for r in rows
            if r.name in shown
        }
        fig = draw_network(SIZES, highlight=WEIGHT, annotations=notes)
        out.figure(
            fig,
            "The lesson's network: 2 inputs, two hidden layers of 2 sigmoid neurons, one "
            "output ŷ and the loss L = (y − ŷ)². In colour: every path from w¹₁₁ to L. Under "
            "each neuron: its value and ∂L/∂node from the adjoint table"
            + (" below." if rows else " (table not built yet)."),
            alt="network x1, x2 -> o11, o12 -> o21, o22 -> y-hat -> L with the paths from w1_11",
        )

    explanation: Any = None
    with out.part("the expansion of ∂L/∂w¹₁₁"):
        explain = need("memograd.backprop:explain", "the chain-rule expansion (backprop.explain)")
        explanation = explain(loss, net[WEIGHT])
        out.number("expansion", explanation.text)
        out.number("paths", len(explanation.paths))
        out.number("path_values", explanation.path_values)
        out.number("dL_dw111", explanation.value)
        out.number("repeated_factors", dict(explanation.repeated))
        out.number("shared_adjoints", dict(explanation.shared_adjoints))
        listing = [
            "factored:  " + explanation.text,
            "",
            "expanded (highlighted: a factor that appears in more than one path product):",
            "  " + explanation.expanded,
            "",
        ]
        for k, (path, value) in enumerate(
            zip(explanation.paths, explanation.path_values, strict=True), 1
        ):
            listing.append(f"path {k}: {' · '.join(path)} = {value:.6g}")
        listing.append(f"sum    = {explanation.value:.10g}")
        out.pre(
            "\n".join(listing),
            caption="∂L/∂w¹₁₁ written out by memograd.backprop.explain.",
            mark=True,
        )
        repeated = ", ".join(f"{f} (in {n} products)" for f, n in explanation.repeated)
        shared = ", ".join(f"{f} (on {n} paths)" for f, n in explanation.shared_adjoints)
        out.text(
            f"w¹₁₁ reaches L along {len(explanation.paths)} paths, one through each neuron of "
            f"the second hidden layer, so ∂L/∂w¹₁₁ is a sum of {len(explanation.paths)} "
            f"products. Factors repeated across the products: {repeated or 'none'}. Written "
            f"out naively, each repeat is multiplied again; the backward pass instead stores "
            f"{shared or 'each shared adjoint'} once, exactly as the memoized Fibonacci stores "
            "fib(3)."
        )

    if rows:
        with out.part("the adjoint table"):
            grads = {name: p for name, p in net.named_parameters()}
            by_label = {p.label: name for name, p in grads.items()}
            table_rows = []
            worst = 0.0
            for r in rows:
                fd = ""
                if r.name in by_label:
                    fd_value = _finite_difference(net, by_label[r.name])
                    worst = max(worst, abs(fd_value - float(r.adjoint)))
                    fd = _fmt.number(fd_value, 6)
                table_rows.append(
                    [
                        r.name,
                        r.op or "leaf",
                        _fmt.number(r.value, 6),
                        _fmt.number(r.adjoint, 6),
                        fd,
                        r.reads,
                        r.reuses,
                        r.paths,
                    ]
                )
            stats = loss.backward()
            total_reuses = sum(r.reuses for r in rows)
            out.number("adjoint_table", [_row(r) for r in rows])
            out.number("table_reuses", total_reuses)
            out.number("sweep_adjoint_reuses", stats.adjoint_reuses)
            out.number("sweep_nodes", stats.nodes)
            out.number("sweep_edges", stats.edges)
            out.number("finite_difference_max_abs_diff", worst)
            out.headline("adjoint reuses, lesson network", f"{total_reuses}", total_reuses)
            out.table(
                [
                    "node",
                    "op",
                    "value",
                    "∂L/∂node (stored once)",
                    "finite difference",
                    "reads",
                    "reuses",
                    "paths to L",
                ],
                table_rows,
                "The memo table of the backward pass, in the order the reverse sweep fills it "
                "(L first). 'reads': edges that consumed the stored adjoint; 'reuses' = reads − 1: "
                "recomputations avoided. Highlighted: rows reused at least once.",
                highlight_rows=[k for k, r in enumerate(rows) if r.reuses > 0],
            )
            out.text(
                f"The table has {len(rows)} entries, one per node. Its adjoints were read "
                f"{total_reuses} more times than they were computed; the reverse sweep "
                f"(loss.backward()) reported {stats.adjoint_reuses} adjoint reuses over "
                f"{stats.edges} edges — the same count. For every parameter the stored "
                f"adjoint agrees with a central finite difference of the loss to within "
                f"{worst:.1e}."
            )


def _row(r: Any) -> dict[str, Any]:
    return {
        "name": r.name,
        "op": r.op,
        "value": float(r.value),
        "adjoint": float(r.adjoint),
        "reads": r.reads,
        "reuses": r.reuses,
        "paths": r.paths,
    }
