"""The `memograd demo` report: every claim of the lesson, measured and drawn, in one page.

`run_report(out_dir, quick=...)` runs the sections (one module each in
`memograd.report.sections`), then writes `index.html` (self-contained) and `summary.json`
(every number) into `out_dir`.

Example:
    >>> from memograd.report import run_report
    >>> result = run_report("report", quick=True)  # doctest: +SKIP
    >>> result.summary["sections"]["memoization"]["status"]  # doctest: +SKIP
    'ok'
"""

from memograd.report._runner import Context, ReportResult, machine, run_report, section_keys

__all__ = ["Context", "ReportResult", "machine", "run_report", "section_keys"]
