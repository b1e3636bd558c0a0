"""The report's sections, one module each, in the order the page shows them.

A section module defines `KEY` (its name in summary.json), `TITLE`, `CLAIM` (the sentence of
the lesson it checks) and `build(out: SectionBuilder, ctx: Context) -> None`.
"""

from __future__ import annotations

import importlib

SECTION_MODULES = [
    f"memograd.report.sections.{name}"
    for name in (
        "memoization",
        "chain_rule",
        "backprop_cost",
        "memory",
        "numerical",
        "training",
        "speed",
        "jacobian_orders",
    )
]


def claims() -> dict[str, str]:
    """`{KEY: CLAIM}` of every section."""
    out: dict[str, str] = {}
    for name in SECTION_MODULES:
        module = importlib.import_module(name)
        out[module.KEY] = module.CLAIM
    return out
