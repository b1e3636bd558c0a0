"""`memograd memory`: what the memo table costs, and what recomputation buys back."""

from __future__ import annotations

import argparse
import os
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

_MIB = 1024 * 1024


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `memory` subcommand."""
    parser = subparsers.add_parser(
        "memory",
        help="saved bytes, step time and recomputation of each checkpoint policy",
        description="Train-step memory of ReLU MLPs (DEPTH hidden Dense(WIDTH, relu) layers "
        "and a Dense(10) head, inputs of WIDTH features, float32) under each checkpoint "
        "policy: the exact peak of bytes held for backward, the median step time (forward, "
        "cross-entropy, backward), layers recomputed, the largest gradient difference from "
        "'all', and the tracemalloc peak of one step. For 'all' the closed form of the saved "
        "bytes is printed beside the measurement.",
    )
    parser.add_argument("--depth", default="8,16,32,64", help="hidden-layer counts (8,16,32,64)")
    parser.add_argument("--width", default="64,256", help="layer widths (64,256)")
    parser.add_argument("--batch", type=int, default=256, help="rows per step (256)")
    parser.add_argument(
        "--policies",
        default="all,sqrt,none",
        help="comma-separated checkpoint policies: all, none, sqrt, an integer k, "
        "binomial:<slots> (default all,sqrt,none)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed steps per policy (3)")
    parser.add_argument("--seed", type=int, default=0, help="weights, inputs, labels (0)")
    parser.add_argument(
        "--no-tracemalloc", action="store_true", help="skip the tracemalloc measurement"
    )
    parser.add_argument("--plot", metavar="PNG", default=None, help="write the figures here")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def parse_policies(text: str) -> list[str | int]:
    """`all,sqrt,4,binomial:3` -> ["all", "sqrt", 4, "binomial:3"] (CLIError if invalid)."""
    from memograd.checkpointing import POLICY_FORMS, check_policy

    policies: list[str | int] = []
    for part in (p.strip() for p in text.split(",")):
        value: str | int = int(part) if part.isdigit() else part
        try:
            policies.append(check_policy(value))
        except ValueError:
            raise CLIError(
                f"--policies expects comma-separated policies, each {POLICY_FORMS}. "
                f"Received: {part!r} in {text!r}"
            ) from None
    return policies


def _positive(value: int, option: str) -> int:
    if value < 1:
        raise CLIError(f"{option} expects a positive integer. Received: {value}")
    return value


def run(args: argparse.Namespace) -> int:
    """Measure, then print a table (or JSON) and write the plot if asked."""
    from memograd.tradeoff import measure, save_plot

    depths = int_list(args.depth, name="--depth")
    widths = int_list(args.width, name="--width")
    policies = parse_policies(args.policies)
    batch = _positive(args.batch, "--batch")
    repeats = _positive(args.repeats, "--repeats")
    non_negative(args.seed, "--seed")
    if args.plot:
        figure_file(args.plot, "--plot")  # before measuring, not after
    load_before = _load()
    start = conditions()
    rows = measure(
        depths,
        widths,
        batch,
        policies,
        repeats=repeats,
        seed=args.seed,
        use_tracemalloc=not args.no_tracemalloc,
        show_progress=not args.json,
    )
    machine = {"cpus": os.cpu_count(), "load_before": load_before, "load_after": _load()}
    ran = conditions(start)
    if args.plot:
        save_plot(rows, args.plot)
    if args.json:
        print_json({"results": rows, "machine": machine, "conditions": ran})
        return 0
    _print_table(rows, machine, ran)
    if args.plot:
        console().print(f"plot written to {args.plot}", highlight=False)
    return 0


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # not available on this platform
        return None


def _size(n: int | None) -> str:
    if n is None:
        return "—"
    for unit, scale in (("GiB", 1024 * _MIB), ("MiB", _MIB), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:,.2f} {unit}"
    return f"{n} B"


def _label(policy: str) -> str:
    return f"every {policy}" if policy.isdigit() else policy


def _print_table(
    rows: list[dict[str, Any]], machine: dict[str, Any], ran: dict[str, Any] | None = None
) -> None:
    from rich.table import Table

    from memograd.report._fmt import seconds

    # Narrow terminals: rich shrinks wrappable columns and cuts a word that does not fit with
    # "…". So headers are short words, depth and width share a column, there is no outer
    # border, and the columns whose words must stay whole (policy, shape, counts, 1.2e-07) do
    # not wrap; the others wrap at a space ("588.00 KiB" over two lines). The table then fits
    # 80 terminal columns.
    table = Table(
        title="Bytes held for backward per checkpoint policy (one training step; × = ratio to "
        "'all')",
        show_edge=False,
    )
    table.add_column("policy", no_wrap=True)
    table.add_column("depth\n×width", justify="right", no_wrap=True)
    for name in ("peak\nsaved", "closed\nform", "median\nstep"):
        table.add_column(name, justify="right")
    table.add_column("recom-\nputed", justify="right", no_wrap=True)
    table.add_column("max\n|Δgrad|", justify="right", no_wrap=True)
    table.add_column("trace-\nmalloc", justify="right")
    for r in rows:
        closed = r["closed_form_bytes"]
        closed_text = ""
        if closed is not None:
            closed_text = _size(closed) + ("\n✓" if closed == r["peak_saved_bytes"] else "\n✗")
        traced = r["tracemalloc_peak_bytes"]
        table.add_row(
            _label(str(r["policy"])),
            f"{r['depth']}×{r['width']}",
            f"{_size(r['peak_saved_bytes'])}\n{r['saved_ratio']:.3f}×",
            closed_text,
            f"{seconds(r['seconds'])}\n{r['seconds_ratio']:.2f}×",
            str(r["recomputed_layers"]),
            "0" if r["max_abs_grad_diff"] == 0 else f"{r['max_abs_grad_diff']:.1e}",
            _size(traced) + ("" if traced is None else f"\n{r['tracemalloc_ratio']:.2f}×"),
        )
    out = console()
    out.print(table)
    batch = rows[0]["batch"]
    out.print(
        f'closed form for "all": B·(features + depth·width + classes)·4 + B·8 bytes with '
        f"B={batch}: the input batch, one activation per hidden layer, the softmax "
        "probabilities (B×classes) and the int64 labels; weights are not counted (they exist "
        "without a backward). ✓: equal to the measured peak, byte for byte.",
        highlight=False,
    )
    where = (
        describe_conditions(ran)
        if ran
        else f"{machine['cpus']} CPUs, 1-min load {machine['load_before']} → "
        f"{machine['load_after']}"
    )
    out.print(
        f"measured under: {where} (times on a loaded machine drift; ratios come from "
        "interleaved rounds).",
        highlight=False,
    )
