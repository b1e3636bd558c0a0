"""`memograd fib N`: Fibonacci naive, with the lesson's dictionary, memoized, bottom-up.

Prints one row per method: calls, cache hits, seconds and the result (long numbers shortened,
digit count shown). `--tree calls.png` draws the naive and the memoized call trees side by
side, every repeated subtree in its own colour.

Limits (each refusal is one line, exit status 1):
    * naive: N > 35 unless `--force` (the message gives the predicted calls and time);
    * table methods (memo-dict, memoized, bottom-up): the table of N + 1 big integers must fit
      in `MEMORY_BUDGET` bytes (F(N) has about 0.209·N digits); memoized and memo-dict also
      need their recursion to fit the deep-recursion limit;
    * constant-memory: N <= 1,000,000 (its additions of huge numbers take seconds beyond);
    * `--tree`: N <= 12 (naive fib(12) already makes 465 calls).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from memograd._machine import conditions, describe_conditions
from memograd.cli._common import CLIError, add_json_flag, console, output_file, print_json

NAIVE_MAX = 35
TREE_MAX = 12
CONSTANT_MEMORY_MAX = 1_000_000
MEMORY_BUDGET = 2 * 1024**3
_ORDER = ("naive", "memo-dict", "memoized", "bottom-up", "constant-memory")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `fib` subcommand."""
    parser = subparsers.add_parser(
        "fib",
        help="Fibonacci naive vs memoized vs bottom-up: calls, cache hits, time",
        description="Compute F(N) (F(0)=0, F(1)=1) by each method and show how many calls "
        "and cache hits it took. Naive recursion makes 2·F(N+1)−1 calls; memoized, 2N−1.",
    )
    parser.add_argument("n", metavar="N", help="the index, a non-negative integer")
    parser.add_argument(
        "--method",
        default="all",
        choices=[*_ORDER, "all"],
        help="which method to run (default: all that fit their limits)",
    )
    parser.add_argument("--force", action="store_true", help=f"run naive even above N={NAIVE_MAX}")
    parser.add_argument(
        "--tree",
        metavar="PATH",
        default=None,
        help=f"draw the naive and memoized call trees (.png or .svg; N <= {TREE_MAX})",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def parse_n(text: str) -> int:
    """N from the command line, or CLIError naming what was expected."""
    try:
        n = int(text.strip().replace("_", ""))
    except ValueError:
        raise CLIError(f"N expects a non-negative integer such as 30. Received: {text!r}") from None
    if n < 0:
        raise CLIError(f"N expects a non-negative integer such as 30. Received: {n}")
    return n


def refusal(method: str, n: int, force: bool = False) -> str | None:
    """Why `method` will not run for `n` (None if it will)."""
    from memograd import fib
    from memograd.memo import _deep

    if method == "naive":
        if n <= NAIVE_MAX or force:
            return None
        if n <= 1_000:
            calls = f"{fib.naive_calls(n):,}"
            seconds = _duration(fib.predict_naive_seconds(n))
        else:  # the exact numbers are themselves huge: give orders of magnitude
            log_calls = math.log10(2) + (n + 1) * math.log10((1 + 5**0.5) / 2) - math.log10(5**0.5)
            per_call = fib.predict_naive_seconds(20) / fib.naive_calls(20)
            log_years = log_calls + math.log10(per_call) - math.log10(365.25 * 86400)
            calls = f"about 10^{log_calls:.0f}"
            seconds = f"about 10^{log_years:.0f} years"
        return (
            f"naive fib({n}) would make {calls} calls, predicted {seconds} here "
            f"(timed on fib(20)); naive runs up to N={NAIVE_MAX}, use --force to run it anyway"
        )
    if method == "constant-memory":
        if n <= CONSTANT_MEMORY_MAX:
            return None
        return (
            f"N={n:,} is too large for constant-memory: F(N) has about {fib.fib_digits(n):,} "
            f"digits and the additions take minutes; the limit is N={CONSTANT_MEMORY_MAX:,}"
        )
    needed = fib.table_bytes(n)
    if needed > MEMORY_BUDGET:
        return (
            f"N={n:,} is too large for {method}: its table of {n + 1:,} numbers (F(N) has "
            f"about {fib.fib_digits(n):,} digits) needs about {needed / 1e9:.1f} GB, over the "
            f"{MEMORY_BUDGET / 1e9:.1f} GB limit; use --method constant-memory"
        )
    frames_per_level = {"memoized": 3, "memo-dict": 2}.get(method)
    if frames_per_level is not None:
        max_n = (_deep.DEEP_RECURSION_LIMIT - 1_000) // frames_per_level
        if n > max_n:
            return (
                f"N={n:,} is too deep for {method}: its recursion needs about "
                f"{frames_per_level * n:,} frames, over the deep-recursion limit of "
                f"{_deep.DEEP_RECURSION_LIMIT:,}; use --method bottom-up or constant-memory"
            )
    return None


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("hours", 3600)):
        if seconds >= size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds / 60:.1f} minutes"


def shorten(value: int, digits: int, keep: int = 5) -> str:
    """`12345…67890` for numbers longer than 2·keep + 1 digits (no full decimal conversion)."""
    if digits <= 2 * keep + 1:
        return str(value)
    head = value // 10 ** (digits - keep)
    tail = value % 10**keep
    return f"{head}…{tail:0{keep}d}"


def _decimal(value: int) -> str:
    # Python refuses str() of ints over 4,300 digits by default (a guard against untrusted
    # input); this value is ours, so lift the guard for this one conversion.
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return str(value)
    finally:
        sys.set_int_max_str_digits(limit)


def run(args: argparse.Namespace) -> int:
    """Run the chosen methods, print the table or JSON, draw the trees if asked."""
    from memograd import fib

    n = parse_n(args.n)
    if args.tree is not None:
        _check_tree_path(args.tree, n)
    methods = list(_ORDER) if args.method == "all" else [args.method]
    skipped: list[dict[str, str]] = []
    plan: list[str] = []
    for method in methods:
        reason = refusal(method, n, args.force)
        if reason is None:
            plan.append(method)
        elif args.method != "all":
            raise CLIError(reason)
        else:
            skipped.append({"method": method, "reason": reason})
    if not plan:
        raise CLIError(
            f"no method can compute fib({n}): " + "; ".join(s["reason"] for s in skipped)
        )
    start = conditions()
    runs = [fib.measure(method, n) for method in plan]
    ran = conditions(start)
    rows: list[dict[str, Any]] = [
        {
            "method": r.method,
            "calls": r.calls,
            "cache_hits": r.cache_hits,
            "seconds": r.seconds,
            "result_digits": fib.digit_count(r.result),
            "value": r.result,
        }
        for r in runs
    ]
    if len({row["value"] for row in rows}) != 1:  # pragma: no cover - would be a bug
        raise RuntimeError(f"methods disagree on fib({n})")
    if args.json:
        document: dict[str, Any] = {
            "n": n,
            "results": [
                {key: value for key, value in row.items() if key != "value"}
                | {"result": _decimal(row["value"])}
                for row in rows
            ],
        }
        if skipped:
            document["skipped"] = skipped
        document["conditions"] = ran
        print_json(document)
    else:
        _print_table(n, rows, skipped)
        console().print(f"measured under: {describe_conditions(ran)}", highlight=False)
    if args.tree is not None:
        path = _draw_trees(n, args.tree)
        if not args.json:
            console().print(f"call trees written to {path}")
    return 0


def _print_table(n: int, rows: list[dict[str, Any]], skipped: list[dict[str, str]]) -> None:
    from rich.table import Table

    table = Table(title=f"fib({n})", title_justify="left")
    table.add_column("method")
    table.add_column("calls", justify="right")
    table.add_column("cache hits", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("result", justify="right")
    table.add_column("digits", justify="right")
    for row in rows:
        table.add_row(
            row["method"],
            f"{row['calls']:,}",
            f"{row['cache_hits']:,}",
            f"{row['seconds']:.6f}" if row["seconds"] < 1 else f"{row['seconds']:.2f}",
            shorten(row["value"], row["result_digits"]),
            f"{row['result_digits']:,}",
        )
    out = console()
    out.print(table)
    for entry in skipped:
        out.print(f"[yellow]skipped[/] {entry['method']}: {entry['reason']}")
    out.print(
        "calls: calls of the recursive function (the loops are one call); cache hits: values "
        "taken from the table instead of computed again (bottom-up: its table reads)."
    )


def _check_tree_path(text: str, n: int) -> None:
    from memograd import fib

    if n > TREE_MAX:
        raise CLIError(
            f"--tree draws every call: naive fib({n}) makes {fib.naive_calls(n):,} calls, too "
            f"many to read; use N <= {TREE_MAX}"
        )
    suffix = Path(text).suffix.lower()
    if suffix not in (".png", ".svg"):
        raise CLIError(f"--tree expects a .png or .svg file name. Received: {text!r}")
    output_file(text, "--tree")


def _draw_trees(n: int, path_text: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from memograd import fib
    from memograd._atomic import atomic_path
    from memograd.memo import trace

    with trace() as naive_trace:
        fib.naive(n)
    with trace() as memo_trace:
        fib.memoized(n)
    figure = draw_side_by_side(naive_trace.roots[0], memo_trace.roots[0])
    path = Path(path_text)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=150, bbox_inches="tight")
    return path


def draw_side_by_side(naive_root: Any, memo_root: Any) -> Any:
    """The two call trees on one figure, drawn by `memograd.viz.calltree` (shared with the demo
    report and notebooks): a subtree computed more than once by the naive recursion gets a
    colour, used for the same call in both trees; memo hits are dashed."""
    from memograd.viz.calltree import compare_call_trees

    return compare_call_trees(naive_root, memo_root)
