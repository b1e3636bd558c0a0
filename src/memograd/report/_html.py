"""The report page: one self-contained HTML file (figures inline as base64 PNG, CSS inline).

No scripts, fonts or images are fetched: the page reads the same offline, from a mail
attachment or a CI artifact. All text is escaped; only this module writes markup.

Example:
    >>> from memograd.report._parts import SectionBuilder
    >>> out = SectionBuilder("s", "1. Something")
    >>> out.text("It works.")
    >>> "It works." in render_page([out], {"generated": "now", "machine": {}, "quick": True})
    True
"""

from __future__ import annotations

import base64
import html
from typing import Any

from memograd._machine import describe_conditions
from memograd.report._parts import (
    ErrorPart,
    FigurePart,
    NotBuiltPart,
    Part,
    PrePart,
    SectionBuilder,
    TablePart,
    TextPart,
)

_CSS = """
:root { --ink: #1d2430; --muted: #5b6472; --line: #d9dee5; --accent: #0072B2;
        --ok: #1a7f37; --partial: #9a6700; --missing: #6e7781; --error: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: #f6f8fa; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 20px 64px; }
header h1 { margin: 0 0 4px; font-size: 28px; }
header p { margin: 4px 0; color: var(--muted); }
nav ul { padding-left: 0; list-style: none; columns: 2; }
nav li { margin: 2px 0; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px;
          padding: 18px 22px; margin: 22px 0; }
section h2 { margin: 0 0 4px; font-size: 22px; }
.claim { margin: 0 0 12px; color: var(--muted); font-style: italic; }
figure { margin: 16px 0; text-align: center; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
figcaption { color: var(--muted); font-size: 14px; margin-top: 6px; text-align: left; }
table { border-collapse: collapse; margin: 12px 0; font-size: 14px; width: auto; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f0f3f6; }
tr.hl td { background: #fff4d6; font-weight: 600; }
caption { caption-side: bottom; color: var(--muted); font-size: 13px; text-align: left;
          padding-top: 4px; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
      overflow-x: auto; font-size: 14px; line-height: 1.45; }
.badge { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px;
         border-radius: 10px; color: #fff; vertical-align: middle; margin-left: 6px; }
.badge.ok { background: var(--ok); } .badge.partial { background: var(--partial); }
.badge.not-built { background: var(--missing); } .badge.error { background: var(--error); }
.placeholder { border: 2px dashed var(--missing); border-radius: 8px; padding: 10px 14px;
               color: var(--missing); margin: 12px 0; background: #fafbfc; }
.errorbox { border: 2px solid var(--error); border-radius: 8px; padding: 10px 14px;
            margin: 12px 0; background: #fff5f5; }
.errorbox strong { color: var(--error); }
.errorbox pre { background: #fff; font-size: 12px; }
.meta { font-size: 13px; color: var(--muted); }
mark { background: #ffe08a; border-radius: 3px; padding: 0 1px; }
"""


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _badge(status: str) -> str:
    return f'<span class="badge {status.replace(" ", "-")}">{_esc(status)}</span>'


def _paragraphs(text: str) -> str:
    return "\n".join(f"<p>{_esc(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


def _part(part: Part) -> str:
    if isinstance(part, TextPart):
        return _paragraphs(part.text)
    if isinstance(part, FigurePart):
        data = base64.b64encode(part.png).decode("ascii")
        return (
            f'<figure><img src="data:image/png;base64,{data}" alt="{_esc(part.alt)}">'
            f"<figcaption>{_esc(part.caption)}</figcaption></figure>"
        )
    if isinstance(part, TablePart):
        head = "".join(f"<th>{_esc(c)}</th>" for c in part.columns)
        rows = []
        for index, row in enumerate(part.rows):
            cls = ' class="hl"' if index in part.highlight_rows else ""
            rows.append(f"<tr{cls}>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>")
        caption = f"<caption>{_esc(part.caption)}</caption>" if part.caption else ""
        return (
            f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )
    if isinstance(part, PrePart):
        caption = f'<p class="meta">{_esc(part.caption)}</p>' if part.caption else ""
        text = _esc(part.text)
        if part.mark:  # ⟨…⟩ survive escaping untouched
            text = text.replace("⟨", "<mark>").replace("⟩", "</mark>")
        return f"<pre>{text}</pre>{caption}"
    if isinstance(part, NotBuiltPart):
        return f'<div class="placeholder"><strong>not built yet:</strong> {_esc(part.what)}</div>'
    if isinstance(part, ErrorPart):
        return (
            f'<div class="errorbox"><strong>error in {_esc(part.where)}:</strong> '
            f"{_esc(part.message)}<details><summary>traceback</summary>"
            f"<pre>{_esc(part.details)}</pre></details></div>"
        )
    raise TypeError(f"Unknown report part: {type(part).__name__}")  # pragma: no cover


def _section(out: SectionBuilder, claim: str) -> str:
    body = "\n".join(_part(p) for p in out.parts)
    return (
        f'<section id="{_esc(out.key)}"><h2>{_esc(out.title)}{_badge(out.status)}</h2>'
        f'<p class="claim">{_esc(claim)}</p>{body}'
        f'<p class="meta">section measured in {out.seconds:.1f} s</p></section>'
    )


def render_page(sections: list[SectionBuilder], summary: dict[str, Any]) -> str:
    """The whole page as a string."""
    from memograd.report.sections import claims

    claim = claims()
    m = summary.get("machine", {})
    machine = ", ".join(
        str(x)
        for x in (
            m.get("cpu"),
            f"{m.get('cores')} cores" if m.get("cores") else None,
            f"Python {m.get('python')}" if m.get("python") else None,
            f"NumPy {m.get('numpy')}" if m.get("numpy") else None,
            f"load average {m.get('load_average')[0]}" if m.get("load_average") else None,
        )
        if x
    )
    ran = (
        f" · {_esc(describe_conditions(summary['conditions']))}"
        if summary.get("conditions")
        else ""
    )
    toc = "".join(
        f'<li><a href="#{_esc(s.key)}">{_esc(s.title)}</a>{_badge(s.status)}</li>' for s in sections
    )
    mode = "quick run (smaller measurements)" if summary.get("quick") else "full run"
    failed = summary.get("failed_sections") or []
    failed_note = (
        f'<p class="errorbox"><strong>failed sections:</strong> {_esc(", ".join(failed))}</p>'
        if failed
        else ""
    )
    body = "\n".join(_section(s, claim.get(s.key, "")) for s in sections)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>memograd — backpropagation is the chain rule plus memoization</title>
<style>{_CSS}</style>
</head>
<body>
<main>
<header>
<h1>Backpropagation is the chain rule plus memoization</h1>
<p>Every claim of the lesson, measured on this machine by <code>memograd demo</code> and drawn
from those measurements. All numbers are also in <code>summary.json</code>.</p>
<p class="meta">Generated {_esc(summary.get("generated", ""))} · {_esc(mode)} ·
{_esc(machine)}{ran} · {float(summary.get("seconds", 0.0)):.1f} s in total</p>
</header>
{failed_note}
<nav><ul>{toc}</ul></nav>
{body}
</main>
</body>
</html>
"""
