"""`trace()` and `@traced`: call trees of memoized and traced functions."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from memograd.memo import CallNode, memoize, trace, traced


def _naive_calls(n: int) -> int:
    """Calls made by naive fib(n), by its own recurrence c(n) = 1 + c(n-1) + c(n-2)."""
    c = [1, 1]
    for _ in range(2, n + 1):
        c.append(1 + c[-1] + c[-2])
    return c[n]


def test_traced_naive_tree_shape() -> None:
    @traced
    def fib(n: int) -> int:
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    with trace() as t:
        assert fib(5) == 5
    assert len(t.roots) == 1
    root = t.roots[0]
    assert (root.name, root.args, root.result, root.cached) == ("fib", (5,), 5, False)
    assert [c.args for c in root.children] == [(4,), (3,)]
    assert t.calls == _naive_calls(5) == 15
    assert t.hits == 0
    arguments = Counter(node.args[0] for node in t.walk())
    assert arguments[3] == 2 and arguments[2] == 3  # the repeated subtrees of the lesson
    for node in t.walk():  # every node's result is its children's sum (or a leaf value)
        if node.children:
            assert node.result == sum(c.result for c in node.children)


def test_memoized_tree_has_cached_leaves() -> None:
    @memoize
    def fib(n: int) -> int:
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    with trace() as t:
        fib(5)
        fib(5)  # a second call is one cached root
    assert len(t.roots) == 2
    assert t.roots[1].cached and not t.roots[1].children and t.roots[1].result == 5
    first = list(t.roots[0].walk())
    assert len(first) == 2 * 5 - 1  # n + 1 computed, n - 2 cached
    cached = [node for node in first if node.cached]
    assert sorted(node.args[0] for node in cached) == [1, 2, 3]
    assert all(not node.children for node in cached)
    assert t.counts == Counter({"fib": 10})
    assert t.hit_counts == Counter({"fib": 4})
    assert t.hits == 4 and t.cached == 4


def test_not_tracing_records_nothing_and_trace_nests() -> None:
    @traced
    def f(x: int) -> int:
        return x + 1

    f(1)
    with trace() as outer:
        f(1)
        with trace() as inner:
            f(2)
        f(3)
    f(4)
    assert [r.args for r in outer.roots] == [(1,), (3,)]
    assert [r.args for r in inner.roots] == [(2,)]


def test_exceptions_are_recorded_on_the_node() -> None:
    @traced
    def bad(x: int) -> int:
        raise ValueError(x)

    with trace() as t, pytest.raises(ValueError):
        bad(1)
    assert isinstance(t.roots[0].error, ValueError)


def test_kwargs_and_labels() -> None:
    @traced
    def scale(x: int, *, by: int = 2) -> int:
        return x * by

    with trace() as t:
        scale(3, by=4)
    node = t.roots[0]
    assert node.kwargs == {"by": 4}
    assert node.label() == "scale(3, by=4)"
    assert "children=0" in repr(node)


def test_threads_record_separate_roots() -> None:
    @traced
    def work(x: int) -> int:
        return x

    with trace() as t:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    assert sorted(r.args[0] for r in t.roots) == [0, 1, 2, 3]


def test_callnode_positional_fields() -> None:
    node = CallNode("f", (1,), 2, False, [])
    assert (node.name, node.args, node.result, node.cached, node.children) == (
        "f",
        (1,),
        2,
        False,
        [],
    )


def test_wrappers_made_during_a_trace_switch_back_after_it() -> None:
    from memograd.memo import _trace

    with trace() as t:

        @memoize
        def sq(x: int) -> int:
            return x * x

        sq(3)
        sq(3)
    assert [node.cached for node in t.roots] == [False, True]
    sq(3)  # plain path again: nothing recorded anywhere, the hit still counted
    assert sq.cache_info().hits == 2
    space = sq.__globals__  # type: ignore[attr-defined]
    for name, (off, _on) in space["_mg_switches"].items():
        assert space[name] is off
    count = len(_trace._switchable)
    del sq
    import gc

    gc.collect()
    assert len(_trace._switchable) < count  # the registry does not keep wrappers alive
