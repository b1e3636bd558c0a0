"""Figures a person can read: bounded size, no text drawn over other text (issue 11 §3).

Every check renders the figure with the Agg backend and compares the window extents of the
drawn text (boxes included) as matplotlib lays them out.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from memograd import fib
from memograd.cli import main
from memograd.memo import trace
from memograd.viz import calltree

_MIB = 1024 * 1024


def _render(fig: Any, dpi: float = 150) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _overlaps(named: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of (label, Bbox) whose rectangles overlap (touching edges do not count)."""
    if len(named) < 2:
        return []
    box = np.array([[b.x0, b.y0, b.x1, b.y1] for _, b in named])
    x0, y0, x1, y1 = (box[:, k] for k in range(4))
    hit = (
        (x0[:, None] < x1[None, :])
        & (x0[None, :] < x1[:, None])
        & (y0[:, None] < y1[None, :])
        & (y0[None, :] < y1[:, None])
    )
    i, j = np.nonzero(np.triu(hit, k=1))
    return [(named[a][0], named[b][0]) for a, b in zip(i, j, strict=True)]


def _tree_boxes(fig: Any) -> list[tuple[str, Any]]:
    renderer = _render(fig)
    named = []
    for ax in fig.axes:
        for text in ax.texts:
            named.append((text.get_text(), text.get_bbox_patch().get_window_extent(renderer)))
        named.append((ax.get_title(), ax.title.get_window_extent(renderer)))
    return named


def _fib_trees(n: int) -> tuple[Any, Any]:
    with trace() as naive:
        fib.naive(n)
    with trace() as memo:
        fib.memoized(n)
    return naive.roots[0], memo.roots[0]


@pytest.mark.parametrize("n", [1, 5, 9, 12])
def test_call_tree_labels_never_overlap(n: int) -> None:
    roots = _fib_trees(n)
    fig = calltree.compare_call_trees(*roots)
    named = _tree_boxes(fig)
    assert len(named) == sum(1 for root in roots for _ in root.walk()) + 2  # calls and titles
    assert _overlaps(named) == []
    # and the boxes stay inside the figure
    width, height = fig.get_size_inches() * fig.dpi
    for label, box in named:
        assert box.x0 >= 0 and box.x1 <= width and box.y0 >= 0 and box.y1 <= height, label


def test_single_call_tree_and_a_trace_of_several_roots_do_not_overlap() -> None:
    from memograd.viz.notebook import trace_figure

    naive, _ = _fib_trees(11)
    assert _overlaps(_tree_boxes(calltree.draw_call_tree(naive))) == []
    with trace() as both:
        fib.naive(6)
        fib.naive(4)
    assert len(both.roots) == 2
    assert _overlaps(_tree_boxes(trace_figure(both))) == []


def test_fib_tree_png_stays_a_readable_size(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "calls.png"
    assert main(["fib", "12", "--tree", str(path)]) == 0
    with Image.open(path) as image:
        width, height = image.size
    assert width <= 4000 and height <= 4000, (width, height)
    # the labels keep a readable size (the figure is not merely shrunk to fit)
    fig = calltree.compare_call_trees(*_fib_trees(12))
    sizes = [t.get_fontsize() for ax in fig.axes for t in ax.texts]
    assert min(sizes) >= 5.0


def _memory_rows(peak_mib: tuple[float, float], seconds: tuple[float, float]) -> list[dict]:
    """Rows shaped like `checkpointing.measure`'s, with peaks and times spread over the
    given ranges (log-spaced), for two depths, two widths and three policies."""
    rows = []
    policies = ("all", "sqrt", "none")
    peaks = np.geomspace(*peak_mib, 2 * 2 * len(policies))
    times = np.geomspace(*seconds, len(peaks))[::-1]
    k = 0
    for depth in (8, 16):
        for width in (64, 256):
            for policy in policies:
                peak = int(peaks[k] * _MIB)
                rows.append(
                    {
                        "policy": policy,
                        "depth": depth,
                        "width": width,
                        "peak_saved_bytes": peak,
                        "closed_form_bytes": peak if policy == "all" else None,
                        "seconds": float(times[k]),
                    }
                )
                k += 1
    return rows


@pytest.mark.parametrize(
    ("peak_mib", "seconds"),
    [
        ((0.1, 1.0), (0.001, 0.1)),  # matplotlib's default drew "3×10⁻¹4×10⁻¹" here
        ((3.1, 8.4), (0.01, 0.04)),  # under half a decade
        ((0.61, 0.93), (0.02, 0.03)),  # under half a decade
        ((0.05, 40.0), (0.001, 2.0)),  # several decades
        ((0.002, 900.0), (1e-4, 30.0)),  # more than five decades
    ],
)
def test_memory_figure_tick_labels_do_not_run_into_each_other(
    peak_mib: tuple[float, float], seconds: tuple[float, float]
) -> None:
    from memograd.tradeoff import memory_figure

    fig = memory_figure(_memory_rows(peak_mib, seconds))
    renderer = _render(fig, dpi=120)  # the dpi `save_plot` writes at
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() != "log":
                continue
            lo, hi = sorted(axis.get_view_interval())
            drawn = [
                (label.get_text(), label.get_window_extent(renderer))
                for tick in axis.get_major_ticks() + axis.get_minor_ticks()
                for label in (tick.label1,)
                if label.get_visible()
                and label.get_text()
                and lo <= tick.get_loc() * (1 + 1e-9)
                and tick.get_loc() <= hi * (1 + 1e-9)
            ]
            where = f"{ax.get_title()} {axis.axis_name}"
            assert len(drawn) >= 2, f"{where}: only {[t for t, _ in drawn]} labelled"
            assert _overlaps(drawn) == [], f"{where}: {_overlaps(drawn)}"


@pytest.mark.parametrize("n_wrong", [0, 3, 8, 10, 57])
def test_misclassified_digits_title_counts_the_digits_drawn(n_wrong: int) -> None:
    from memograd.report.sections.training import draw_misclassified
    from memograd.viz.plots import new_figure

    rng = np.random.default_rng(n_wrong)
    images = rng.uniform(0, 16, (100, 64))
    y_true = rng.integers(0, 10, 100)
    predicted = y_true.copy()
    wrong = rng.choice(100, n_wrong, replace=False)
    predicted[wrong] = (y_true[wrong] + 1 + rng.integers(0, 9, n_wrong)) % 10
    _, ax = new_figure(5, 4)
    drawn = draw_misclassified(ax, images, y_true, predicted)
    insets = [child for child in ax.child_axes if child.images]
    assert drawn == len(insets) == min(n_wrong, 8)
    numbers = [int(k) for k in re.findall(r"\d+", ax.get_title())]
    if n_wrong == 0:
        assert numbers == [] and "no misclassified" in ax.get_title()
    else:
        assert numbers[0] == len(insets)  # the first number in the title: digits shown
        assert numbers[-1] == int((predicted != y_true).sum())  # the last: digits wrong
    for inset in insets:  # each inset names a true and a different predicted class
        true, guess = re.fullmatch(r"true (\d) → (\d)", inset.get_title()).groups()
        assert true != guess
