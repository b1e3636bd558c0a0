"""What a report section is made of, and the builder a section fills.

A section module writes figures, tables and text into a `SectionBuilder` and records every
number it measured with `number(...)`; the key numbers also go to the terminal summary via
`headline(...)`. A capability another module has not built yet is looked up with `need(...)`
inside a `part(...)` block: if it is missing, the block becomes a visible "not built yet"
placeholder instead of a figure. Any other exception inside a part becomes an error box, and
the section is marked as failed (its other parts still render).

Example:
    >>> out = SectionBuilder("demo", "Demo")
    >>> with out.part("a thing"):
    ...     need("memograd.no_such_module:thing", "the thing")
    >>> out.status, out.not_built
    ('not built', ['the thing'])
"""

from __future__ import annotations

import contextlib
import importlib
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


class NotBuilt(Exception):
    """A capability the report needs is not in the code base yet."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def need(target: str, what: str) -> Any:
    """Import `"package.module"` or `"package.module:attribute"`, or raise `NotBuilt(what)`.

    Only a missing module or attribute counts as "not built": an exception raised while the
    module imports (a bug) propagates and is reported as an error.
    """
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and (module_name == error.name or module_name.startswith(error.name + ".")):
            raise NotBuilt(what) from None
        raise
    if not attribute:
        return module
    value: Any = module
    for name in attribute.split("."):
        if not hasattr(value, name):
            raise NotBuilt(what)
        value = getattr(value, name)
    return value


@dataclass
class FigurePart:
    png: bytes
    caption: str
    alt: str


@dataclass
class TablePart:
    columns: list[str]
    rows: list[list[str]]
    caption: str = ""
    highlight_rows: list[int] = field(default_factory=list)


@dataclass
class TextPart:
    text: str  # plain text; blank lines separate paragraphs


@dataclass
class PrePart:
    text: str  # monospaced, kept as is (formulas, expansions)
    caption: str = ""
    mark: bool = False  # ⟨…⟩ spans are drawn highlighted


@dataclass
class NotBuiltPart:
    what: str


@dataclass
class ErrorPart:
    where: str
    message: str
    details: str


Part = FigurePart | TablePart | TextPart | PrePart | NotBuiltPart | ErrorPart


@dataclass
class Headline:
    label: str
    value: str
    number: float | int | None


class SectionBuilder:
    """Collects a section's parts, numbers and headlines while it runs."""

    def __init__(self, key: str, title: str, *, quick: bool = False) -> None:
        self.key = key
        self.title = title
        self.quick = quick
        self.parts: list[Part] = []
        self.numbers: dict[str, Any] = {}
        self.headlines: list[Headline] = []
        self.not_built: list[str] = []
        self.errors: list[str] = []
        self.seconds = 0.0

    # --- content -----------------------------------------------------------------------
    def text(self, text: str) -> None:
        """A paragraph (plain text; blank lines separate paragraphs)."""
        self.parts.append(TextPart(text.strip()))

    def pre(self, text: str, caption: str = "", *, mark: bool = False) -> None:
        """Monospaced text kept as is (a formula expansion, a small listing).

        With `mark`, spans written ⟨like this⟩ are highlighted on the page.
        """
        self.parts.append(PrePart(text.rstrip(), caption, mark))

    def figure(self, fig: Any, caption: str, *, alt: str | None = None, dpi: int = 110) -> None:
        """Embed a matplotlib figure (as PNG) with its caption."""
        from memograd.viz.plots import png_bytes

        self.parts.append(FigurePart(png_bytes(fig, dpi=dpi), caption, alt or caption))

    def png(self, data: bytes, caption: str, *, alt: str | None = None) -> None:
        """Embed PNG bytes drawn elsewhere (e.g. by `memograd.bench.save_plot`)."""
        if not data.startswith(b"\x89PNG"):
            raise ValueError("Received bytes that are not a PNG image for the report figure.")
        self.parts.append(FigurePart(data, caption, alt or caption))

    def table(
        self,
        columns: list[str],
        rows: list[list[Any]],
        caption: str = "",
        *,
        highlight_rows: list[int] | None = None,
    ) -> None:
        """A table; cells are turned into text with `str`."""
        self.parts.append(
            TablePart(
                list(columns),
                [[str(cell) for cell in row] for row in rows],
                caption,
                list(highlight_rows or []),
            )
        )

    # --- numbers -----------------------------------------------------------------------
    def number(self, key: str, value: Any) -> Any:
        """Record a measured number (or list/dict of numbers) under `key`; returns it."""
        self.numbers[key] = value
        return value

    def headline(self, label: str, value: str, number: float | int | None = None) -> None:
        """A key result for the terminal summary (`value` is its formatted text)."""
        self.headlines.append(Headline(label, value, number))

    # --- parts that may be missing or fail ---------------------------------------------
    @contextlib.contextmanager
    def part(self, where: str) -> Iterator[None]:
        """Run one piece of the section: missing capability → placeholder, error → error box."""
        try:
            yield
        except NotBuilt as missing:
            self.not_built.append(missing.what)
            self.parts.append(NotBuiltPart(missing.what))
        except Exception as error:  # a failing part must not take the report down
            message = f"{type(error).__name__}: {error}"
            self.errors.append(f"{where}: {message}")
            self.parts.append(ErrorPart(where, message, traceback.format_exc(limit=6)))

    @property
    def status(self) -> str:
        """`error`, `not built` (only placeholders), `partial` (some) or `ok`."""
        if self.errors:
            return "error"
        built = [p for p in self.parts if isinstance(p, FigurePart | TablePart | PrePart)]
        if self.not_built and not built:
            return "not built"
        if self.not_built:
            return "partial"
        return "ok"
