"""`memograd backprop`: the four strategies on a neuron-level MLP — work, time, the formula.

Examples::

    memograd backprop --layers 2,3,3,1 --compare      # the five strategies, the G–W constant
    memograd backprop --layers 2,2,2,1 --explain w1_11
    memograd backprop --scaling depth --max 8 --budget 2000000 --plot scaling.png
"""

from __future__ import annotations

import argparse
import random
from typing import Any

from memograd._machine import conditions, describe_conditions
from memograd.cli._common import (
    CLIError,
    add_json_flag,
    console,
    figure_file,
    int_list,
    non_negative,
    print_json,
)

_COLORS = {"paths": "#D55E00", "recursive": "#E69F00", "memoized": "#0072B2", "reverse": "#009E73"}
_ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `backprop` subcommand."""
    parser = subparsers.add_parser(
        "backprop",
        help="gradients by every path, plain recursion, memoized recursion, reverse sweep",
        description="Build a neuron-level MLP of Values and compute ∂L/∂(every parameter) four "
        "ways: enumerating paths, plain recursion, the same recursion memoized, and the "
        "reverse sweep. Shows their work (counted and predicted), time and agreement; writes "
        "∂L/∂w as the lesson's sum of path products; measures scaling with depth or width.",
    )
    parser.add_argument(
        "--layers", default="2,2,2,1", help="layer sizes, inputs first (default 2,2,2,1)"
    )
    parser.add_argument("--activation", default="sigmoid", choices=_ACTIVATIONS)
    parser.add_argument("--seed", type=int, default=0, help="weights and input (default 0)")
    parser.add_argument(
        "--compare", action="store_true", help="table of the strategies (the default)"
    )
    parser.add_argument(
        "--explain", metavar="PARAM", help="write ∂L/∂PARAM as paths, e.g. w1_11 or b2_1"
    )
    parser.add_argument(
        "--scaling", choices=("depth", "width"), help="run depths (or widths) 1..--max"
    )
    parser.add_argument("--max", type=int, default=6, help="largest depth/width (default 6)")
    parser.add_argument(
        "--width", type=int, default=4, help="width for --scaling depth (default 4)"
    )
    parser.add_argument(
        "--depth", type=int, default=3, help="hidden layers for --scaling width (default 3)"
    )
    parser.add_argument(
        "--budget",
        type=int,
        default=None,
        help="refuse strategies predicted to take more multiplications than this "
        "(default: none for --compare, 2000000 for --scaling)",
    )
    parser.add_argument("--plot", metavar="PNG", help="with --scaling: write the figure here")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the requested analyses; print rich tables, or one JSON document with --json."""
    from memograd import backprop
    from memograd.scalar import MLP

    layers = int_list(args.layers, name="--layers", minimum=1, min_items=2)
    non_negative(args.seed, "--seed")
    if args.budget is not None and args.budget < 1:
        raise CLIError(f"--budget expects a positive integer. Received: {args.budget}")
    if args.plot and not args.scaling:
        raise CLIError("--plot draws the scaling figure: add --scaling depth or --scaling width")
    if args.plot:
        figure_file(args.plot, "--plot")  # before measuring, not after
    for option, value in (("--max", args.max), ("--width", args.width), ("--depth", args.depth)):
        if value < 1:
            raise CLIError(f"{option} expects a positive integer. Received: {value}")
    document: dict[str, Any] = {"layers": layers, "activation": args.activation}
    show_compare = args.compare or not (args.explain or args.scaling)
    net = MLP(layers, activation=args.activation, seed=args.seed)
    rng = random.Random(args.seed)
    x = [rng.uniform(-1.0, 1.0) for _ in range(layers[0])]
    y = [rng.uniform(0.0, 1.0) for _ in range(layers[-1])]
    loss = net.loss(x, y)
    out = console()
    start = conditions()  # the compare table and the scaling rows are timed

    if show_compare:
        results = backprop.compare(
            loss, net.parameters(), strategies=backprop.ALL_STRATEGIES, budget=args.budget
        )
        document["compare"] = _compare_document(results, net, layers, args.activation)
        cheap = backprop.cheap_gradient(layers, args.activation, repeats=3, seed=args.seed)
        document["compare"]["cheap_gradient"] = cheap.as_dict()
        if not args.json:
            _print_compare(out, document["compare"], layers, args.activation)
            _print_cheap_gradient(out, cheap)
    if args.explain:
        try:
            param = net[args.explain]
        except (KeyError, IndexError) as error:
            raise CLIError(f"--explain: {error.args[0]}") from None
        explanation = backprop.explain(loss, wrt=param)
        document["explain"] = {
            "parameter": args.explain,
            "text": explanation.text,
            "latex": explanation.latex,
            "expanded": explanation.expanded,
            "paths": explanation.paths,
            "path_values": explanation.path_values,
            "value": explanation.value,
            "repeated": explanation.repeated,
            "shared_adjoints": explanation.shared_adjoints,
        }
        if not args.json:
            out.print(str(explanation), markup=False, highlight=False, soft_wrap=True)
            out.print(
                f"\nLaTeX: {explanation.latex}", markup=False, highlight=False, soft_wrap=True
            )
    if args.scaling:
        budget = 2_000_000 if args.budget is None else args.budget
        rows = backprop.scaling(
            args.scaling,
            args.max,
            width=args.width,
            depth=args.depth,
            budget=budget,
            activation=args.activation,
            seed=args.seed,
            show_progress=not args.json,
        )
        document["scaling"] = {"kind": args.scaling, "budget": budget, "rows": rows}
        if args.plot:
            _plot_scaling(rows, args.scaling, args.plot)
            document["scaling"]["plot"] = args.plot
        if not args.json:
            _print_scaling(out, rows, args.scaling)
            if args.plot:
                out.print(f"wrote {args.plot}")
    document["conditions"] = ran = conditions(start)
    if args.json:
        print_json(document)
    elif show_compare or args.scaling:
        out.print(f"timed under: {describe_conditions(ran)}", highlight=False)
    return 0


def _compare_document(
    results: list[Any], net: Any, layers: list[int], activation: str
) -> dict[str, Any]:
    from memograd import backprop

    reference = next((r.grads for r in results if r.name == "reverse"), None)
    strategies = []
    for r in results:
        entry = r.as_dict()
        del entry["grads"]
        entry["max_abs_diff_to_reverse"] = (
            None
            if r.grads is None or reference is None
            else max(abs(a - b) for a, b in zip(r.grads, reference, strict=True))
        )
        strategies.append(entry)
    size = backprop.mlp_graph_size(layers, activation)
    return {
        "graph": size,
        "paths_from_first_layer_weight": backprop.paths_to_loss(layers, 1),
        "strategies": strategies,
        "gradients": dict(
            zip([n for n, _ in net.named_parameters()], reference or [], strict=False)
        ),
    }


def _print_compare(out: Any, doc: dict[str, Any], layers: list[int], activation: str) -> None:
    from rich.table import Table

    size = doc["graph"]
    table = Table(
        title=f"∂L/∂(all {size['parameters']} parameters) of MLP {layers} ({activation}): "
        f"{size['nodes']} nodes, {size['edges']} edges, "
        f"{doc['paths_from_first_layer_weight']} paths from each w¹ to L"
    )
    for column in ("strategy", "mult", "add", "evals", "hits", "stored", "paths", "time"):
        table.add_column(column, justify="right" if column != "strategy" else "left")
    table.add_column("max|Δ|", justify="right")
    table.caption = (
        "mult/add: multiplications/additions; evals: adjoints computed; hits: stored adjoints "
        "read again; stored: adjoints kept; max|Δ|: largest difference to reverse"
    )
    for s in doc["strategies"]:
        if s["refused"]:
            p = s["predicted"]
            table.add_row(
                s["name"],
                f"[dim]{p['multiplications']:,} (predicted)[/dim]",
                f"[dim]{p['additions']:,}[/dim]",
                f"[dim]{p['adjoint_evaluations']:,}[/dim]",
                f"[dim]{p['memo_hits']:,}[/dim]",
                f"[dim]{p['stored_values']:,}[/dim]",
                f"[dim]{p['paths']:,}[/dim]",
                "refused",
                "—",
            )
            continue
        c = s["counts"]
        diff = s["max_abs_diff_to_reverse"]
        table.add_row(
            s["name"],
            f"{c['multiplications']:,}",
            f"{c['additions']:,}",
            f"{c['adjoint_evaluations']:,}",
            f"{c['memo_hits']:,}",
            f"{c['stored_values']:,}",
            f"{c['paths']:,}",
            _seconds(s["seconds"]),
            "—" if diff is None else f"{diff:.1e}",
        )
    out.print(table)


def _print_cheap_gradient(out: Any, c: Any) -> None:
    """The Griewank–Walther constant of this network: gradient cost / loss-evaluation cost."""
    out.print(
        f"Cheap gradient (Griewank–Walther bound ≈ 4–5): one loss evaluation takes "
        f"{c.evaluation:,} multiplications; value + gradient by reverse mode "
        f"{c.reverse:,} = {c.reverse_ratio:.2f}× (timed: {c.reverse_time_ratio:.1f}×); "
        f"by forward mode {c.forward:,} = {c.forward_ratio:.2f}× with one sweep per parameter "
        f"on this graph, and {c.forward_sweeps:,} real forward sweeps (mg.jacfwd) took "
        f"{c.forward_time_ratio:.0f}× the evaluation's time for n = {c.parameters:,} "
        f"parameters ({c.forward_time_ratio / c.parameters:.1f}·n).",
        highlight=False,
    )


def _print_scaling(out: Any, rows: list[dict[str, Any]], kind: str) -> None:
    from rich.table import Table

    names = list(dict.fromkeys(r["strategy"] for r in rows))
    points = list(dict.fromkeys(r["n"] for r in rows))
    for what in ("multiplications", "time"):
        table = Table(title=f"{what} as {kind} grows (dim: refused, predicted)")
        table.add_column(kind, justify="right")
        for name in names:
            table.add_column(name, justify="right")
        for n in points:
            point = {r["strategy"]: r for r in rows if r["n"] == n}
            cells = []
            for name in names:
                r = point[name]
                if r["refused"]:
                    mults = r["predicted"]["multiplications"]
                    cells.append(
                        f"[dim]{mults:,}[/dim]" if what != "time" else "[dim]refused[/dim]"
                    )
                elif what == "time":
                    cells.append(_seconds(r["seconds"]))
                else:
                    cells.append(f"{r['counts']['multiplications']:,}")
            table.add_row(str(n), *cells)
        out.print(table)


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1e3:.2f} ms" if value < 1 else f"{value:.2f} s"


def _plot_scaling(rows: list[dict[str, Any]], kind: str, path: str) -> None:
    """Work and time against depth/width on log scale; refused points hollow and dashed."""
    from matplotlib.figure import Figure

    from memograd._atomic import atomic_path

    fig = Figure(figsize=(10, 4), layout="constrained")
    work_ax, time_ax = fig.subplots(1, 2)
    for name in dict.fromkeys(r["strategy"] for r in rows):
        mine = [r for r in rows if r["strategy"] == name]
        color = _COLORS.get(name, "#555555")
        ran = [r for r in mine if not r["refused"]]
        # seconds per multiplication at the largest run point: extrapolates refused times
        per_mult = (
            ran[-1]["seconds"] / max(ran[-1]["counts"]["multiplications"], 1) if ran else None
        )
        for ax, key in ((work_ax, "work"), (time_ax, "time")):
            xs = [r["n"] for r in ran]
            ys = [r["counts"]["multiplications"] if key == "work" else r["seconds"] for r in ran]
            size = 9 if name == "memoized" else 5  # memoized and reverse coincide in work
            ax.plot(xs, ys, marker="o", markersize=size, color=color, label=name)
            refused = [r for r in mine if r["refused"]]
            if not refused or (key == "time" and per_mult is None):
                continue
            px = ([ran[-1]["n"]] if ran else []) + [r["n"] for r in refused]
            py = ([ys[-1]] if ran else []) + [
                r["predicted"]["multiplications"] * (1 if key == "work" else per_mult)
                for r in refused
            ]
            ax.plot(px, py, linestyle="--", color=color)
            ax.plot(
                px[len(px) - len(refused) :],
                py[len(py) - len(refused) :],
                linestyle="none",
                marker="o",
                markerfacecolor="none",
                color=color,
                label=f"{name} (predicted, refused)",
            )
    work_ax.set_ylabel("multiplications")
    time_ax.set_ylabel("seconds (refused: predicted)")
    for ax in (work_ax, time_ax):
        ax.set_yscale("log")
        ax.set_xlabel("hidden layers" if kind == "depth" else "width")
        ax.grid(True, which="both", alpha=0.3)
    work_ax.legend(fontsize=8)
    work_ax.set_title(f"backprop work vs {kind}")
    time_ax.set_title(f"backprop time vs {kind}")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
