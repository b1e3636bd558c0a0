"""Drawings: call trees, the lesson's network, computation graphs, plot helpers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import memograd as mg
from memograd.memo import memoize, trace, traced
from memograd.viz import calltree, graph, network, notebook, plots


def _fib_iterative(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


@traced
def _naive(n: int) -> int:
    return n if n < 2 else _naive(n - 1) + _naive(n - 2)


@memoize
def _memo(n: int) -> int:
    return n if n < 2 else _memo(n - 1) + _memo(n - 2)


def _trees(n: int) -> tuple[mg.memo.CallNode, mg.memo.CallNode]:
    _memo.cache_clear()
    with trace() as a:
        _naive(n)
    with trace() as b:
        _memo(n)
    _memo.cache_clear()
    return a.roots[0], b.roots[0]


@pytest.mark.parametrize("n", [5, 7])
def test_repeated_subtrees_count_each_recomputation(n: int) -> None:
    naive_root, memo_root = _trees(n)
    repeats = calltree.repeated_subtrees(naive_root)
    # naive fib(n) computes fib(k) F(n − k + 1) times; subtrees are calls with k >= 2
    expected = {
        f"_naive({k})": _fib_iterative(n - k + 1)
        for k in range(2, n + 1)
        if _fib_iterative(n - k + 1) > 1
    }
    assert repeats == expected
    assert calltree.repeated_subtrees(memo_root) == {}
    if n == 5:  # the lesson's words: fib(3) twice, fib(2) three times
        assert repeats == {"_naive(3)": 2, "_naive(2)": 3}


def test_side_by_side_shares_colours_and_marks_memo_hits() -> None:
    naive_root, memo_root = _trees(5)
    fig = calltree.compare_call_trees(naive_root, memo_root)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == [
        "_naive(3) computed 2× by naive",
        "_naive(2) computed 3× by naive",
        "memo hit",
    ]
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["naive _naive(5): 15 calls", "@memoize _memo(5): 9 calls, 3 memo hits"]
    colours = calltree.repeat_colors([naive_root])
    # the memoized tree's boxes for fib(3) use the naive tree's colour for fib(3)
    right = fig.axes[1]
    faces = {
        t.get_text(): t.get_bbox_patch().get_facecolor() for t in right.texts if t.get_bbox_patch()
    }
    from matplotlib.colors import to_rgba

    assert faces["_memo(3)\nmemo hit"] == to_rgba(colours["(3)"])
    dashed = [t for t in right.texts if t.get_bbox_patch().get_linestyle() == "--"]
    assert len(dashed) == 3  # the three memo hits


def test_call_tree_refuses_unreadable_trees() -> None:
    with trace() as t:
        _naive(15)  # 1973 calls
    with pytest.raises(ValueError, match="1973 calls"):
        calltree.draw_call_tree(t.roots[0])


def test_large_tree_is_drawn_compactly() -> None:
    with trace() as t:
        _naive(9)  # 55 leaves
    fig = calltree.draw_call_tree(t.roots[0])
    texts = {x.get_text() for x in fig.axes[0].texts}
    assert "3" in texts and "_naive(3)" not in texts


def test_network_paths_are_the_product_of_later_widths() -> None:
    for sizes, weight in (([2, 2, 2, 1], "w1_11"), ([3, 4, 3, 2], "w1_21"), ([2, 3, 1], "w2_31")):
        layer = int(weight[1])
        paths = network.paths_from_weight(sizes, weight)
        assert len(paths) == math.prod(sizes[layer + 1 :])
        assert len({tuple(p) for p in paths}) == len(paths)
        for path in paths:
            assert [unit[0] for unit in path] == list(range(layer - 1, len(sizes)))


def test_network_drawing_names_the_lesson_nodes() -> None:
    fig = network.draw_network([2, 2, 2, 1], highlight="w1_11", annotations={"o₁₁": "note"})
    texts = [t.get_text() for t in fig.axes[0].texts]
    for name in ("x₁", "x₂", "o₁₁", "o₁₂", "o₂₁", "o₂₂", "ŷ", "L", "w¹₁₁", "w³₂₁", "note"):
        assert name in texts
    assert texts.count("w¹₁₁") == 1


@pytest.mark.parametrize("bad", ["w9_11", "w1_31", "x1_11", "w1_1"])
def test_network_rejects_unknown_weights(bad: str) -> None:
    with pytest.raises(ValueError, match="highlight"):
        network.draw_network([2, 2, 2, 1], highlight=bad)


def test_network_rejects_unreadable_sizes() -> None:
    with pytest.raises(ValueError, match="sizes"):
        network.draw_network([2, 40, 1])


def test_graph_collect_puts_parents_first_and_keeps_constants() -> None:
    x = mg.Value(2.0, label="x")
    c = mg.Value(3.0, label="c", requires_grad=False)
    y = x * c + x
    order = graph.collect(y)
    assert order[-1] is y
    position = {id(n): k for k, n in enumerate(order)}
    for node in order:
        for parent in node._parents:
            assert position[id(parent)] < position[id(node)]
    assert c in order  # a drawing shows constants too


def test_graph_drawing_shows_values_and_grads() -> None:
    x = mg.Value(-4.0, label="x")
    y = (2 * x + 2).relu() * x
    y.backward()
    fig = graph.draw_graph(y)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("x\ndata -4\ngrad") for t in texts)


def test_graph_drawing_refuses_big_graphs() -> None:
    x = mg.Value(1.0)
    y = x
    for _ in range(graph.MAX_NODES + 5):
        y = y + 1.0
    with pytest.raises(ValueError, match="at most"):
        graph.draw_graph(y)
    assert notebook.graph_svg(y) is None  # a notebook falls back to the text repr


def test_notebook_renderers_return_svg_and_png() -> None:
    x = mg.Value(3.0, label="x")
    svg = notebook.graph_svg(x * x)
    assert svg is not None and svg.lstrip().startswith("<?xml") and "</svg>" in svg
    png = notebook.graph_png(x * x)
    assert png is not None and png[:4] == b"\x89PNG"
    with trace() as t:
        _naive(4)
    assert (notebook.trace_svg(t) or "").count("</svg>") == 1
    with trace() as empty:
        pass
    assert notebook.trace_svg(empty) is None


def test_save_figure_is_atomic_and_follows_the_suffix(tmp_path: Path) -> None:
    fig, ax = plots.new_figure(3, 2)
    plots.log_lines(ax, {"naive": ([1, 2, 3], [0, 10, 100])}, logx=True)
    # the non-positive point cannot sit on a log axis: dropped, not an error
    assert list(ax.lines[0].get_xdata()) == [2, 3]
    plots.save_figure(fig, tmp_path / "a.png")
    plots.save_figure(fig, tmp_path / "a.svg")
    assert (tmp_path / "a.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (tmp_path / "a.svg").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "a.svg"]
    with pytest.raises(FileNotFoundError):
        plots.save_figure(fig, tmp_path / "missing" / "a.png")


def test_new_figure_validates_columns() -> None:
    with pytest.raises(ValueError, match="ncols"):
        plots.new_figure(ncols=0)


def test_value_tensor_and_trace_render_inline() -> None:
    import numpy as np

    x = mg.Value(2.0, label="x")
    svg = (x * x + x)._repr_svg_()
    assert svg is not None and "</svg>" in svg
    t = mg.Tensor(np.ones((2, 3)), requires_grad=True)
    svg = (t * 2.0).sum()._repr_svg_()
    assert svg is not None and "</svg>" in svg
    with trace() as recording:
        _naive(3)
    svg = recording._repr_svg_()
    assert svg is not None and "</svg>" in svg


def test_count_nodes_stops_early() -> None:
    x = mg.Value(1.0)
    y = x
    for _ in range(500):
        y = y + 1.0
    assert graph.count_nodes(y, 10) == 11
    assert graph.count_nodes(y, 10_000) == 501
