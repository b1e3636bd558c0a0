"""`memograd demo`: every claim of the lesson, measured and drawn, in one self-contained page.

Writes `<out>/index.html` and `<out>/summary.json`, shows a progress bar over the sections and
ends with a table of the key numbers. A section that fails does not stop the others; the
command then exits with status 1 and names the failed sections.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from memograd.cli._common import (
    CLIError,
    add_json_flag,
    console,
    non_negative,
    output_folder,
    print_json,
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run every measurement of the lesson and write an HTML report",
        description="Run every section of the report (memoization, the chain rule, naive vs "
        "memoized backprop, memory, numerics, training, speed) and write a self-contained "
        "index.html plus summary.json with every number.",
    )
    parser.add_argument("--out", default="report", help="folder for the report (default: report)")
    parser.add_argument(
        "--quick", action="store_true", help="smaller measurements: the whole report in < 60 s"
    )
    parser.add_argument(
        "--sections",
        default=None,
        help="comma-separated section names to run (default: all), e.g. memoization,chain_rule",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from memograd.report import run_report, section_keys

    sections = None
    if args.sections is not None:
        sections = [s.strip() for s in args.sections.split(",") if s.strip()]
        unknown = [s for s in sections if s not in section_keys()]
        if unknown or not sections:
            raise CLIError(
                f"--sections expects names among {', '.join(section_keys())}. "
                f"Received: {args.sections!r}"
            )
    non_negative(args.seed, "--seed")
    output_folder(args.out, "--out")  # before the sections run, not after
    result = run_report(args.out, quick=args.quick, sections=sections, seed=args.seed)
    if args.json:
        print_json(result.summary)
    else:
        _print_summary(result)
    if result.failed:
        print(
            f"memograd demo: {len(result.failed)} section(s) failed: {', '.join(result.failed)} "
            f"(see {result.html_path})",
            file=sys.stderr,
        )
        return 1
    return 0


def _print_summary(result: Any) -> None:
    from rich.table import Table

    out = console()
    table = Table(title="memograd demo — key numbers", title_justify="left")
    table.add_column("section")
    table.add_column("result")
    table.add_column("value", justify="right")
    for h in result.summary["headlines"]:
        table.add_row(h["section"], h["label"], h["value"])
    out.print(table)
    status = Table(title="sections", title_justify="left")
    status.add_column("section")
    status.add_column("status")
    status.add_column("seconds", justify="right")
    status.add_column("not built yet / errors")
    colors = {"ok": "green", "partial": "yellow", "not built": "bright_black", "error": "red"}
    for s in result.sections:
        notes = "; ".join([*s.errors, *s.not_built])
        color = colors.get(s.status, "white")
        status.add_row(s.title, f"[{color}]{s.status}[/{color}]", f"{s.seconds:.1f}", notes)
    out.print(status)
    out.print(
        f"report: [bold]{result.html_path}[/bold] · numbers: {result.json_path} · "
        f"{result.summary['seconds']:.1f} s",
        highlight=False,
    )
