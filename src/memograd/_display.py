"""Jupyter drawings of core objects, registered from the layer that draws (`memograd.viz`).

`Value`, `Tensor` and `memo.Trace` show themselves in Jupyter through `_repr_svg_`, but
drawing needs matplotlib and lives in `memograd.viz`, layers above them. So their
`_repr_svg_` asks this registry for a renderer of a *kind* ("graph", "trace") and never
imports `viz`: `memograd.viz.notebook` registers its renderers when it is imported, and the
package root installs a loader that imports it at the first drawing (so `import memograd`
stays free of matplotlib).

Example:
    >>> from memograd import _display
    >>> _display.register("shout", lambda obj: f"<svg>{obj}!</svg>")
    >>> _display.svg("shout", "hi")
    '<svg>hi!</svg>'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Renderer = Callable[[Any], "str | None"]
"""``render(obj) -> SVG text``, or None when the object is too big to draw readably."""

_renderers: dict[str, Renderer] = {}
_loader: Callable[[], None] | None = None


def register(kind: str, render: Renderer) -> None:
    """Draw objects of `kind` with `render` from now on (replaces an earlier renderer)."""
    _renderers[kind] = render


def set_loader(load: Callable[[], None]) -> None:
    """`load()` runs once, at the first drawing of a kind nobody registered yet."""
    global _loader
    _loader = load


def svg(kind: str, obj: Any) -> str | None:
    """The SVG of `obj` by the renderer of `kind`; None without one (Jupyter shows the text)."""
    global _loader
    if kind not in _renderers and _loader is not None:
        load, _loader = _loader, None
        load()
    render = _renderers.get(kind)
    return None if render is None else render(obj)


__all__ = ["Renderer", "register", "set_loader", "svg"]
