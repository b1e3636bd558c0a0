"""Show a BenchResult: rich tables for the terminal, a grouped bar chart for files."""

from __future__ import annotations

import os
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from memograd._atomic import atomic_path
from memograd._machine import describe_conditions
from memograd.bench._engines import ALL_ENGINES
from memograd.bench._results import (
    DISAGREEMENT,
    NOISY_SPREAD,
    BenchResult,
    EngineResult,
    format_seconds,
)

_SHORT_STATUS = {"not-applicable": "n/a"}


def machine_line(result: BenchResult) -> str:
    """One line naming the machine: CPU, cores, load average, GEMM speed, date."""
    m = result.machine
    load = m.get("load_average_start")
    gemm = m.get("gemm_gflops")
    parts = [f"{m.get('cpu', '?')}", f"{m.get('cores', '?')} cores"]
    if load:
        parts.append(f"load {load[0]:.2f}")
    if gemm:
        parts.append(f"GEMM {gemm:.0f} GFLOP/s")
    parts.append(str(m.get("date", "")))
    return " · ".join(parts)


def _time_cell(r: EngineResult | None, ratio: float | None) -> str:
    if r is None:
        return ""
    if r.status != "ok" or r.median_s is None:
        return f"[dim]{_SHORT_STATUS.get(r.status, r.status)}[/dim]"
    text = format_seconds(r.median_s)
    if r.disagrees:
        text = f"[bold red]![/bold red]{text}"
    elif r.noisy:
        text = f"[yellow]~[/yellow]{text}"
    if ratio is not None:
        text += f"\n[cyan]×{ratio:.2g}[/cyan]" if ratio < 10 else f"\n[cyan]×{ratio:.0f}[/cyan]"
    return text


def _memory_cell(r: EngineResult | None) -> str:
    if r is None or r.peak_rss_mb is None:
        return "[dim]—[/dim]"
    text = f"{r.peak_rss_mb:.0f}"
    if r.step_alloc_peak_mb is not None:
        text += f"\n[dim]{escape(f'[{r.step_alloc_peak_mb:.1f}]')}[/dim]"
    return text


def _grid(
    result: BenchResult,
    engines: list[str],
    cells: dict[tuple[str, str], str],
    *,
    title: str,
    caption: str,
    transpose: bool,
) -> Table:
    """Workloads down and engines across (or the other way round when `transpose`)."""
    table = Table(title=title, caption=caption)
    rows, columns = [w.name for w in result.workloads], engines
    if transpose:
        rows, columns = columns, rows
    table.add_column("engine" if transpose else "workload", style="bold", no_wrap=True)
    for name in columns:
        table.add_column(name, justify="right")
    for row in rows:
        keys = [(c, row) if transpose else (row, c) for c in columns]
        table.add_row(row, *[cells[key] for key in keys])
    return table


def _fits(result: BenchResult, engines: list[str], width: int) -> bool:
    """Whether engines-as-columns fits `width` (about 11 characters per engine column)."""
    return 12 + 11 * len(engines) <= width


def times_table(result: BenchResult, *, transpose: bool = False) -> Table:
    """Rows: workloads; columns: engines; cells: median step time and ratio to the reference."""
    ratios = result.ratios()
    caption = (
        f"median step time (quietest round); ×r = engine time / {result.reference} time "
        "(below 1: faster); "
        f"{result.settings.get('rounds')} rounds × {result.settings.get('steps')} steps"
    )
    if result.settings.get("threads"):
        caption += f"; --threads {result.settings['threads']}"
    if result.conditions:
        caption += f"; {describe_conditions(result.conditions)}"
    if any(r.noisy and not r.disagrees for r in result.results):
        caption += (
            f"; [yellow]~[/yellow] rounds differ by more than {NOISY_SPREAD}× (busy machine): "
            "the quieter round is shown"
        )
    if any(r.disagrees for r in result.results):
        caption += (
            f"; [bold red]![/bold red] rounds differ by more than {DISAGREEMENT:g}×: "
            "not a step time"
        )
    reasons = result.not_reportable_reasons()
    if reasons:
        caption += " · [bold red]not reportable:[/bold red] " + escape("; ".join(reasons))
    cells = {
        (w.name, e): _time_cell(result.get(w.name, e), ratios.get(w.name, {}).get(e))
        for w in result.workloads
        for e in result.engines
    }
    title = f"memograd bench — {machine_line(result)}"
    return _grid(result, result.engines, cells, title=title, caption=caption, transpose=transpose)


def memory_table(result: BenchResult, *, transpose: bool = False) -> Table:
    """Peak RSS of each worker process (MiB), with the tracemalloc peak of one step in []."""
    engines = [e for e in result.engines if e != "blas-bound"]
    cells = {
        (w.name, e): _memory_cell(result.get(w.name, e)) for w in result.workloads for e in engines
    }
    return _grid(
        result,
        engines,
        cells,
        title=escape("peak memory (MiB): worker process RSS [tracemalloc peak of one step]"),
        caption="RSS includes the interpreter and the engine's imports",
        transpose=transpose,
    )


def split_table(result: BenchResult) -> Table | None:
    """Forward (+loss) and backward (+update) medians where an engine reports them."""
    rows = [r for r in result.results if r.forward_median_s is not None]
    if not rows:
        return None
    table = Table(
        title="forward vs backward",
        caption="backward = step − forward (includes the SGD update); target for memograd "
        "on W2–W4: backward/forward ≤ 2.5",
    )
    for name in ("workload", "engine", "forward", "backward", "backward/forward"):
        table.add_column(name, justify="left" if name in ("workload", "engine") else "right")
    for r in rows:
        backward = r.backward_median_s
        forward = r.forward_median_s
        assert forward is not None and backward is not None  # both set once forward is
        noisy = backward <= 0  # step faster than forward alone: timing noise
        table.add_row(
            r.workload,
            r.engine,
            format_seconds(forward),
            "[dim]noisy[/dim]" if noisy else format_seconds(backward),
            "[dim]—[/dim]" if noisy else f"{backward / forward:.2f}",
        )
    return table


def print_report(result: BenchResult, console: Console | None = None) -> None:
    """Print the tables and one line per engine that did not run, with its reason."""
    out = console or Console()
    transpose = not _fits(result, result.engines, out.width)  # narrow terminal: engines down
    out.print(times_table(result, transpose=transpose))
    split = split_table(result)
    if split is not None:
        out.print(split)
    out.print(memory_table(result, transpose=transpose))
    reasons: dict[tuple[str, str], list[str]] = {}
    for r in result.results:
        if r.status != "ok" or r.reason:
            reasons.setdefault((r.engine, f"{r.status}: {r.reason}"), []).append(r.workload)
    for (engine, why), names in reasons.items():
        out.print(f"[bold]{engine}[/bold] ({', '.join(names)}) — {why}", highlight=False)


def save_plot(result: BenchResult, path: str | os.PathLike[str]) -> None:
    """Write `bench_figure(result)` to `path` atomically (format from the suffix).

    Example:
        >>> save_plot(result, "bench.png")  # doctest: +SKIP
    """
    fig = bench_figure(result)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)


def bench_figure(result: BenchResult) -> Any:
    """A matplotlib Figure: grouped bars (workloads × engines) of median step times, log scale.

    The machine it ran on is the x-axis label. Built without pyplot, so it needs no backend.
    """
    from matplotlib.figure import Figure  # no pyplot: no global figure state, no GUI backend

    engines = [
        e for e in result.engines if any(r.engine == e and r.median_s for r in result.results)
    ]
    fig = Figure(figsize=(max(6.0, 1.6 * len(result.workloads) + 3), 4.8), layout="constrained")
    ax: Any = fig.add_subplot()
    width = 0.8 / max(len(engines), 1)
    for index, engine in enumerate(engines):
        xs, heights = [], []
        for position, w in enumerate(result.workloads):
            r = result.get(w.name, engine)
            if r is not None and r.median_s:
                xs.append(position - 0.4 + width * (index + 0.5))
                heights.append(r.median_s * 1e3)
        hatch = "//" if engine == "blas-bound" else None
        color = f"C{ALL_ENGINES.index(engine) % 10}" if engine in ALL_ENGINES else None
        bars = ax.bar(xs, heights, width, label=engine, hatch=hatch, color=color)
        labels = [format_seconds(h / 1e3) for h in heights]
        ax.bar_label(bars, labels, fontsize=6, rotation=90, padding=2)
    ax.set_yscale("log")
    ax.set_xticks(range(len(result.workloads)), [w.name for w in result.workloads])
    ax.set_ylabel("median step time (ms, log scale)")
    title = "memograd bench: one training step (forward, loss, backward, SGD)"
    threads = result.conditions.get("blas_threads") or result.settings.get("threads")
    if threads:
        title += f" · {threads} thread(s)"
    if not result.reportable:
        title += " [not reportable]"
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(machine_line(result), fontsize=7, color="0.35")
    ax.margins(y=0.15)  # room for the value labels above the tallest bar
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="y", which="both", alpha=0.3)
    return fig
