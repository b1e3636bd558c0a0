"""`memograd bench`: time one training step on memograd and its peers, side by side."""

from __future__ import annotations

import argparse

from memograd.cli._common import (
    CLIError,
    add_json_flag,
    console,
    figure_file,
    output_file,
    print_json,
)

ENGINE_HELP = "memograd,memograd-jit,numpy,torch,jax,micrograd,blas-bound"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `bench` subcommand."""
    parser = subparsers.add_parser(
        "bench",
        help="time a training step on memograd, hand-written NumPy, PyTorch, JAX, micrograd",
        description="Time one training step (forward, softmax cross-entropy, backward, SGD "
        "lr 0.01, float32) of the workloads shipped in memograd/bench/workloads.json. Every "
        "engine runs in its own process; rounds are interleaved; medians and ratios to memograd "
        "come from the same run. Engines that are not installed are listed as missing.",
    )
    parser.add_argument(
        "--workloads",
        default=None,
        help="comma-separated workload names, e.g. W1,W4-large (default: all)",
    )
    parser.add_argument(
        "--engines", default=None, help=f"comma-separated subset of {ENGINE_HELP} (default: all)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (default 2)")
    parser.add_argument(
        "--steps", type=int, default=50, help="timed steps per measurement (default 50, min 50)"
    )
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first (default 5)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="allow --steps below 50 for a fast look; results are marked not reportable",
    )
    parser.add_argument(
        "--reference", default="memograd", help="engine the ratios divide by (default memograd)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="give every engine N threads (memograd's policy, OpenMP/OpenBLAS/MKL, torch) "
        "and pin each worker to N CPUs (holds XLA too); default: memograd's policy "
        "($MEMOGRAD_NUM_THREADS, else 1 BLAS thread) for NumPy and torch alike, and JAX pinned "
        "to that many CPUs",
    )
    parser.add_argument("--plot", metavar="PNG", default=None, help="write a bar chart here")
    parser.add_argument(
        "--output", metavar="JSON", default=None, help="also write the JSON document here"
    )
    parser.add_argument(
        "--workloads-file",
        metavar="PATH",
        default=None,
        help="workloads JSON to measure instead of the packaged memograd/bench/workloads.json",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _names(text: str | None, option: str) -> list[str] | None:
    if text is None:
        return None
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise CLIError(f"{option} expects comma-separated names. Received: {text!r}")
    return names


def run(args: argparse.Namespace) -> int:
    """Run the benchmark and print tables (or JSON); write the plot and JSON file if asked."""
    import json

    from memograd._atomic import write_text
    from memograd.bench import parse_engines, print_report, run_bench, save_plot
    from memograd.bench._runner import MIN_REPORTABLE_STEPS

    if args.steps < MIN_REPORTABLE_STEPS and not args.quick:
        raise CLIError(
            f"--steps expects at least {MIN_REPORTABLE_STEPS} for a reportable median; add "
            f"--quick for a short run marked not reportable. Received: {args.steps}"
        )
    engines = _names(args.engines, "--engines")
    for option, names in (("--engines", engines), ("--reference", [args.reference])):
        try:
            parse_engines(names)
        except ValueError as error:
            raise CLIError(f"{option}: {error}") from None
    # Output files are checked before the engines run, not after.
    if args.plot:
        figure_file(args.plot, "--plot")
    if args.output:
        output_file(args.output, "--output")
    result = run_bench(
        _names(args.workloads, "--workloads"),
        engines,
        rounds=args.rounds,
        steps=args.steps,
        warmup=args.warmup,
        quick=args.quick,
        reference=args.reference,
        workloads_file=args.workloads_file,
        threads=args.threads,
        show_progress=not args.json,
    )
    document = result.to_dict()
    if args.plot:
        save_plot(result, args.plot)
    if args.output:
        write_text(args.output, json.dumps(document, indent=2) + "\n")
    if args.json:
        print_json(document)
        return 0
    print_report(result, console())
    for label, path in (("plot", args.plot), ("JSON", args.output)):
        if path:
            console().print(f"{label} written to {path}", highlight=False)
    return 0
