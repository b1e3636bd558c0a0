"""`memograd jacobian`: one Jacobian accumulated in every order, multiplications counted."""

from __future__ import annotations

import argparse

from memograd._machine import conditions, describe_conditions
from memograd.cli._common import CLIError, add_json_flag, console, int_list, print_json


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `jacobian` subcommand."""
    parser = subparsers.add_parser(
        "jacobian",
        help="the Jacobian of a layer chain in forward, reverse, Markowitz and optimal order",
        description="Accumulate the Jacobian of x ↦ W_k⋯W_1·x (widths LAYERS, constant "
        "Gaussian W) by vertex elimination in each order and count the multiplications "
        "(an a×b by b×c product costs a·b·c): forward W_k·(⋯(W_2·W_1)), reverse "
        "((W_k·W_(k−1))⋯)·W_1, Markowitz (greedy) and optimal (matrix-chain DP).",
    )
    parser.add_argument("--layers", default="64,8,64", help="comma-separated widths (64,8,64)")
    parser.add_argument(
        "--order",
        default="all",
        help="all, or comma-separated among forward, reverse, markowitz, optimal (all)",
    )
    parser.add_argument(
        "--activation",
        default="linear",
        choices=["linear", "tanh"],
        help="linear (the count convention's chain) or tanh after each product (linear)",
    )
    parser.add_argument("--seed", type=int, default=0, help="the weights and x (0)")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from memograd.backprop import ORDERS
    from memograd.backprop._jacobian_study import measure_chain

    layers = int_list(args.layers, name="--layers", min_items=2)
    orders = list(ORDERS) if args.order == "all" else [o.strip() for o in args.order.split(",")]
    bad = [o for o in orders if o not in ORDERS]
    if bad or not orders:
        raise CLIError(
            f"--order expects all or names among {', '.join(ORDERS)}. Received: {args.order!r}"
        )
    start = conditions()
    results = measure_chain(layers, orders, args.activation, args.seed)
    ran = conditions(start)
    first = results[0].value
    difference = max(float(np.max(np.abs(r.value - first))) for r in results)
    if args.json:
        print_json(
            {
                "layers": layers,
                "activation": args.activation,
                "shape": list(first.shape),
                "results": [r.as_dict() for r in results],
                "max_abs_difference": difference,
                "conditions": ran,
            }
        )
        return 0
    from rich.table import Table

    table = Table(title=f"Jacobian of {'→'.join(map(str, layers))} ({args.activation})")
    for name in ("order", "multiplications", "seconds", "bracketing / elimination sequence"):
        table.add_column(
            name, justify="right" if name in ("multiplications", "seconds") else "left"
        )
    for r in results:
        table.add_row(r.strategy, f"{r.multiplications:,}", f"{r.seconds:.2e}", r.order)
    out = console()
    out.print(table)
    out.print(f"largest difference between orders: {difference:.1e}", highlight=False)
    out.print(f"timed under: {describe_conditions(ran)}", highlight=False)
    return 0
