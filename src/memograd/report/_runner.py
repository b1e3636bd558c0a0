"""Run the report's sections under a progress bar, then write index.html and summary.json.

A section that raises is recorded (`"status": "error"`, with the message) and rendered as an
error box; the other sections still run. Both files are written atomically.

Example:
    >>> result = run_report("report", quick=True, show_progress=False)  # doctest: +SKIP
    >>> result.failed  # doctest: +SKIP
    []
"""

from __future__ import annotations

import datetime
import importlib
import json
import math
import os
import platform
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import memograd
from memograd._atomic import write_text
from memograd._machine import conditions, cpu_name
from memograd._paths import check_output_folder
from memograd._progress import progress
from memograd.report._parts import ErrorPart, SectionBuilder
from memograd.report.sections import SECTION_MODULES


@dataclass(frozen=True)
class Context:
    """What every section gets: the run's settings."""

    quick: bool
    seed: int
    out_dir: Path


@dataclass
class ReportResult:
    """What one run produced."""

    summary: dict[str, Any]
    sections: list[SectionBuilder]
    html_path: Path
    json_path: Path

    @property
    def failed(self) -> list[str]:
        """Keys of the sections that failed."""
        return [s.key for s in self.sections if s.status == "error"]


def machine() -> dict[str, Any]:
    """Where the numbers were measured: CPU, cores, load, Python, NumPy."""
    import numpy as np

    return {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "memograd": memograd.__version__,
        "load_average": [round(x, 2) for x in os.getloadavg()]
        if hasattr(os, "getloadavg")
        else None,
    }


def section_keys() -> list[str]:
    """The keys of all sections, in report order."""
    return [importlib.import_module(m).KEY for m in SECTION_MODULES]


def _select(only: Sequence[str] | None) -> list[Any]:
    modules = [importlib.import_module(m) for m in SECTION_MODULES]
    if only is None:
        return modules
    known = {m.KEY: m for m in modules}
    unknown = [k for k in only if k not in known]
    if unknown:
        raise ValueError(
            f"Received an invalid value for `sections`, expected names among {list(known)}. "
            f"Received: {unknown}"
        )
    return [m for m in modules if m.KEY in set(only)]


def run_report(
    out_dir: str | os.PathLike[str] = "report",
    *,
    quick: bool = False,
    sections: Sequence[str] | None = None,
    seed: int = 0,
    show_progress: bool = True,
) -> ReportResult:
    """Run the sections and write `out_dir/index.html` and `out_dir/summary.json`.

    Args:
        out_dir: the folder for the report (created if missing).
        quick: smaller measurements (the whole report in well under a minute).
        sections: keys of the sections to run (default: all, in report order).
        seed: seeds every random choice of every section.
        show_progress: show the rich progress bar (it is quiet anyway when not on a terminal).
    """
    from memograd.report._html import render_page

    modules = _select(sections)
    folder = check_output_folder(out_dir)  # a read-only folder fails now, not after the sections
    folder.mkdir(parents=True, exist_ok=True)
    ctx = Context(quick=quick, seed=seed, out_dir=folder)
    start = conditions()
    started = time.perf_counter()
    built: list[SectionBuilder] = []
    with progress(enabled=show_progress) as bar:
        task = bar.add_task("report", total=len(modules))
        for module in modules:
            bar.update(task, description=f"report · {module.TITLE}")
            out = SectionBuilder(module.KEY, module.TITLE, quick=quick)
            t0 = time.perf_counter()
            try:
                module.build(out, ctx)
            except Exception as error:  # the report must survive a failing section
                message = f"{type(error).__name__}: {error}"
                out.errors.append(message)
                out.parts.append(ErrorPart("section", message, traceback.format_exc(limit=8)))
            out.seconds = time.perf_counter() - t0
            built.append(out)
            bar.advance(task)
    summary = _summary(built, ctx, time.perf_counter() - started)
    summary["conditions"] = conditions(start)  # BLAS threads, CPUs, load before and after
    json_path = folder / "summary.json"
    html_path = folder / "index.html"
    document = json.dumps(_finite(summary), indent=2, default=_jsonable, allow_nan=False)
    write_text(json_path, document + "\n")
    write_text(html_path, render_page(built, summary))
    return ReportResult(summary, built, html_path, json_path)


def _summary(built: list[SectionBuilder], ctx: Context, seconds: float) -> dict[str, Any]:
    failed = [s.key for s in built if s.status == "error"]
    return {
        "memograd_version": memograd.__version__,
        "generated": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "quick": ctx.quick,
        "seed": ctx.seed,
        "seconds": round(seconds, 3),
        "status": "error" if failed else "ok",
        "failed_sections": failed,
        "machine": machine(),
        "headlines": [
            {"section": s.key, "label": h.label, "value": h.value, "number": h.number}
            for s in built
            for h in s.headlines
        ],
        "sections": {
            s.key: {
                "title": s.title,
                "status": s.status,
                "seconds": round(s.seconds, 3),
                "not_built": s.not_built,
                "errors": s.errors,
                "numbers": s.numbers,
            }
            for s in built
        },
    }


def _finite(value: Any) -> Any:
    """NaN and infinities become None: summary.json stays strict JSON (readable by browsers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if hasattr(value, "tolist"):
        return _finite(value.tolist())
    return value


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if hasattr(value, "as_dict"):
        return value.as_dict()
    return str(value)
