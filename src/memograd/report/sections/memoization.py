"""Section 1: memoization on Fibonacci — the call trees, the counts, the times.

Calls, cache hits and times come from `memograd.fib.measure`; call trees from
`memograd.memo.trace()`; the naive time for n too large to run is `fib.predict_naive_seconds`
(seconds per call measured on a small n, times the exact call count).
"""

from __future__ import annotations

import statistics
from typing import Any

from memograd.report import _fmt
from memograd.report._parts import SectionBuilder, need

KEY = "memoization"
TITLE = "1. Memoization"
CLAIM = (
    "Naive recursion recomputes the same subproblems and takes exponential time; storing "
    "each result once (memoization) makes Fibonacci linear."
)
TREE_N = 5
BIG = (2000, 100_000)
YEAR = 365.25 * 24 * 3600


def _settings(quick: bool) -> dict[str, Any]:
    if quick:
        return {
            "naive_n": list(range(2, 25, 2)),
            "memo_n": [2, 8, 30, 128, 512, 2000, 8000, 20000],
            "repeats": 3,
        }
    return {
        "naive_n": list(range(2, 33, 2)),
        "memo_n": [2, 8, 30, 32, 128, 512, 2000, 8000, 20000, 50000, 100000],
        "repeats": 5,
    }


def _best(fib: Any, method: str, n: int, repeats: int) -> Any:
    """The run with the median time of `repeats` runs (one run when a single one is slow)."""
    runs = [fib.measure(method, n)]
    if runs[0].seconds < 0.2:
        runs += [fib.measure(method, n) for _ in range(repeats - 1)]
    middle = statistics.median(r.seconds for r in runs)
    return min(runs, key=lambda r: abs(r.seconds - middle))


def build(out: SectionBuilder, ctx: Any) -> None:
    settings = _settings(ctx.quick)
    out.number("settings", settings)
    fib = need("memograd.fib", "memograd.fib (naive / memoized Fibonacci, call counts)")
    with out.part("the call trees"):
        _trees(out, fib)
    with out.part("calls and time vs n"):
        _scaling(out, fib, settings)
    with out.part("fib(2000) and fib(100000)"):
        _big(out, fib)


def _trees(out: SectionBuilder, fib: Any) -> None:
    memo = need("memograd.memo", "memograd.memo (trace)")
    from memograd.viz.calltree import compare_call_trees, repeated_subtrees

    with memo.trace() as naive_trace:
        fib.naive(TREE_N)
    with memo.trace() as memo_trace:
        fib.memoized(TREE_N)
    naive_root, memo_root = naive_trace.roots[0], memo_trace.roots[0]
    repeats = repeated_subtrees(naive_root)
    out.number("tree_n", TREE_N)
    out.number("naive_tree_calls", naive_trace.calls)
    out.number("memoized_tree_calls", memo_trace.calls)
    out.number("memoized_tree_hits", memo_trace.hits)
    out.number("naive_repeated_subtrees", repeats)
    fig = compare_call_trees(
        naive_root,
        memo_root,
        titles=(
            f"naive fib({TREE_N}): {naive_trace.calls} calls",
            f"memoized fib({TREE_N}): {memo_trace.calls} calls, {memo_trace.hits} memo hits",
        ),
    )
    out.figure(
        fig,
        f"The calls fib({TREE_N}) makes. Left, the plain recursion: every coloured subtree is "
        "computed again wherever it appears. Right, under @memoize: each value is computed "
        "once; the dashed boxes are cache hits that return at once, pruning the repeated "
        "subtrees.",
        alt="naive and memoized call trees of fib(5)",
    )
    listed = ", ".join(f"{label} {k} times" for label, k in repeats.items())
    out.text(
        f"Naive fib({TREE_N}) makes {naive_trace.calls} calls and computes {listed}. The "
        f"memoized version makes {memo_trace.calls} calls: {memo_trace.calls - memo_trace.hits} "
        f"that compute fib({TREE_N}) … fib(0) once each, and {memo_trace.hits} that find the "
        "answer already stored."
    )


def _scaling(out: SectionBuilder, fib: Any, settings: dict[str, Any]) -> None:
    naive = [_best(fib, "naive", n, settings["repeats"]) for n in settings["naive_n"]]
    memo = [_best(fib, "memoized", n, settings["repeats"]) for n in settings["memo_n"]]
    out.number("naive", [{"n": r.n, "calls": r.calls, "seconds": r.seconds} for r in naive])
    exact = 2**53  # values a JSON reader (JavaScript) holds exactly
    out.number(
        "memoized",
        [
            {
                "n": r.n,
                "calls": r.calls,
                "hits": r.cache_hits,
                "seconds": r.seconds,
                "value": r.result if r.result < exact else None,
            }
            for r in memo
        ],
    )
    predicted_n = [40, 50, 60, 80, 100]
    predicted = [fib.predict_naive_seconds(n) for n in predicted_n]
    out.number("naive_predicted_seconds", dict(zip(predicted_n, predicted, strict=True)))

    from memograd.viz.plots import color_for, new_figure

    fig, (left, right) = new_figure(10.5, 4.0, ncols=2)
    naive_color, memo_color = color_for("naive"), color_for("memoized")
    left.plot(
        [r.n for r in naive], [r.calls for r in naive], "o-", color=naive_color, label="naive"
    )
    extra = list(range(naive[-1].n, 101, 4))
    left.plot(
        extra,
        [fib.naive_calls(n) for n in extra],
        "--",
        color=naive_color,
        label="naive, 2·F(n+1)−1 (not run)",
    )
    left.plot(
        [r.n for r in memo], [r.calls for r in memo], "o-", color=memo_color, label="memoized"
    )
    left.set_ylabel("calls (log)")
    left.set_title("calls made", fontsize=10)
    right.plot(
        [r.n for r in naive], [r.seconds for r in naive], "o-", color=naive_color, label="naive"
    )
    right.plot(
        [naive[-1].n, *predicted_n],
        [naive[-1].seconds, *predicted],
        "o--",
        markerfacecolor="none",
        color=naive_color,
        label="naive, predicted",
    )
    right.plot(
        [r.n for r in memo], [r.seconds for r in memo], "o-", color=memo_color, label="memoized"
    )
    right.axhline(YEAR, color="0.5", linestyle=":", linewidth=0.8)
    right.text(2.2, YEAR * 1.8, "1 year", fontsize=7, color="0.4")
    right.set_ylabel("seconds (log)")
    right.set_title("time", fontsize=10)
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("n (log)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    out.figure(
        fig,
        f"Calls and time of fib(n), log–log. Naive was run up to n = {naive[-1].n}; beyond, its "
        "calls are the exact count 2·F(n+1) − 1 and its time is predicted from the measured "
        f"seconds per call. Memoized was run up to n = {memo[-1].n:,}.",
        alt="log-log plot of calls and seconds against n for naive and memoized fib",
    )
    last = naive[-1]
    same_n = next((r for r in memo if r.n == last.n), None) or fib.measure("memoized", last.n)
    speedup = last.seconds / same_n.seconds
    out.number("speedup_n", last.n)
    out.number("speedup", speedup)
    out.headline(f"fib speed-up at n={last.n} (naive / memoized)", _fmt.ratio(speedup), speedup)
    years = predicted[-1] / YEAR
    out.text(
        f"At n = {last.n} the naive recursion made {_fmt.count(last.calls)} calls in "
        f"{_fmt.seconds(last.seconds)}; the memoized one made {same_n.calls} calls "
        f"({same_n.cache_hits} cache hits) in {_fmt.seconds(same_n.seconds)} — "
        f"{_fmt.ratio(speedup)} faster. Each step of n multiplies the naive calls by about "
        f"{fib.naive_calls(last.n) / fib.naive_calls(last.n - 1):.3f} (the golden ratio); "
        f"at this rate naive fib(100) would take about {years:.2g} years on this machine."
    )


def _big(out: SectionBuilder, fib: Any) -> None:
    rows = []
    for n in BIG:
        run = fib.measure("memoized", n)
        check = fib.bottom_up(n)
        digits = fib.digit_count(run.result)
        lead = run.result // 10 ** max(digits - 12, 0)
        tail = run.result % 10**12
        out.number(
            f"fib_{n}",
            {
                "seconds": run.seconds,
                "calls": run.calls,
                "cache_hits": run.cache_hits,
                "digits": digits,
                "leading_digits": str(lead),
                "trailing_digits": f"{tail:012d}",
                "equals_bottom_up": run.result == check,
            },
        )
        rows.append(
            [
                f"fib({n:,})",
                f"{lead}…{tail:012d}",
                _fmt.count(digits),
                _fmt.count(run.calls),
                _fmt.count(run.cache_hits),
                _fmt.seconds(run.seconds),
                "yes" if run.result == check else "NO",
            ]
        )
        if n == BIG[-1]:
            out.headline(f"memoized fib({n:,})", _fmt.seconds(run.seconds), run.seconds)
    out.table(
        ["call", "value", "digits", "calls", "cache hits", "time", "= bottom-up"],
        rows,
        "Through @memoize with the default interpreter settings (no sys.setrecursionlimit): "
        "deep recursions run in a big-stack thread. Checked against the bottom-up loop.",
    )
