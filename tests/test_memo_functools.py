"""`@memoize` against `functools.lru_cache`'s own test cases (CPython Lib/test/test_functools.py,
class TestLRU), adapted where memoize differs on purpose: one computation per key across
threads, content keys for lists, per-instance caches for methods, `maxsize=None` by default."""

from __future__ import annotations

import copy
import inspect
import json
import pickle
import random
import subprocess
import sys
import textwrap
import threading
import time
import unittest.mock
from collections import OrderedDict
from typing import Any

import pytest

from memograd.memo import CacheInfo, memoize


@memoize(maxsize=16)
def _module_level(x: int, y: int) -> int:
    return 3 * x + y


def _mock_int() -> Any:
    """A stand-in for the int 5 whose `__hash__` counts its calls (test_lru_hash_only_once)."""
    mock_int = unittest.mock.Mock()
    mock_int.__mul__ = unittest.mock.Mock(return_value=15)
    mock_int.__hash__ = unittest.mock.Mock(return_value=999)
    return mock_int


def _hash_calls(mock_int: Any) -> int:
    return int(mock_int.__hash__.call_count)


@pytest.mark.parametrize("maxsize", [1, None])
def test_hash_only_once(maxsize: int | None) -> None:
    @memoize(maxsize=maxsize)
    def f(x: Any, y: int) -> Any:
        return x * 3 + y

    mock_int = _mock_int()
    assert f(mock_int, 1) == 16  # a miss: one use as an argument, one __hash__ call
    assert _hash_calls(mock_int) == 1
    assert f.cache_info() == CacheInfo(0, 1, maxsize, 1)
    assert f(mock_int, 1) == 16  # a hit (bounded: also reordered): one more
    assert _hash_calls(mock_int) == 2
    assert f.cache_info() == CacheInfo(1, 1, maxsize, 1)
    assert f(6, 2) == 20  # maxsize=1 evicts (mock_int, 1): no use as an argument, no call
    assert _hash_calls(mock_int) == 2
    assert f(mock_int, 1) == 16
    assert _hash_calls(mock_int) == 3
    expected = CacheInfo(1, 3, 1, 1) if maxsize == 1 else CacheInfo(2, 2, None, 2)
    assert f.cache_info() == expected


def _star(*args: Any) -> Any:
    return args[0] * 3 + args[1]


def _keywords(x: Any, y: int) -> Any:
    return x * 3 + y


class _Holder:
    @memoize(maxsize=2)
    def method(self, x: Any, y: int) -> Any:
        return x * 3 + y


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: memoize(_star), id="*args"),
        pytest.param(lambda: memoize(maxsize=2)(_star), id="*args bounded"),
        pytest.param(lambda: memoize(typed=True)(_keywords), id="typed"),
        pytest.param(lambda: memoize(key=lambda x, y: (x, y))(_keywords), id="key="),
        pytest.param(lambda: _Holder().method, id="method"),
    ],
)
def test_hash_only_once_on_every_call_path(make: Any) -> None:
    f = make()
    mock_int = _mock_int()
    assert f(mock_int, 1) == 16
    assert f(mock_int, 1) == 16
    assert _hash_calls(mock_int) == 2  # a miss, then a hit: one call each


def test_hash_only_once_with_keywords_and_content_keys() -> None:
    @memoize
    def f(x: Any, y: Any = 0) -> Any:
        return x * 3

    mock_int = _mock_int()
    f(x=mock_int, y=1)
    f(mock_int, y=1)
    assert _hash_calls(mock_int) == 2

    @memoize
    def g(*args: Any, **kwargs: Any) -> Any:
        return args[0] * 3

    other = _mock_int()
    g(other, [1, 2], z=1)  # keywords and a list (content key): still one call per call
    g(other, [1, 2], z=1)
    assert _hash_calls(other) == 2
    assert g.cache_info().hits == 1


_MEMOIZED_LEN = textwrap.dedent(
    """
    import builtins, json, sys
    from memograd.memo import _deep, memoize

    # A regression (the wrapper calling the memoized `len`) recursed without end and ran
    # into deep runs; with a lower limit for those it fails fast instead of taking 30 s.
    _deep.DEEP_RECURSION_LIMIT = 20_000
    maxsize = None if sys.argv[1] == "none" else int(sys.argv[1])
    lengths = json.loads(sys.argv[2])
    real_len = len
    builtins.len = cached_len = memoize(maxsize=maxsize)(len)
    results = [len("abcdefghijklmn"[:i]) for i in lengths]
    builtins.len = real_len
    print(json.dumps({"results": results, "info": list(cached_len.cache_info())}))
    """
)


@pytest.mark.parametrize("maxsize", [4, None])
def test_memoized_len_in_builtins(maxsize: int | None) -> None:
    # In a subprocess: `builtins.len` must not stay replaced in this one, even on a hang.
    lengths = [0, 0, 1, 2, 3, 3, 4, 5, 6, 1, 7, 2, 1]
    command = [sys.executable, "-c", _MEMOIZED_LEN, str(maxsize).lower(), json.dumps(lengths)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        done = None
    if done is None:
        pytest.fail("13 calls of a memoized len did not finish in 120 s")
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    assert out["results"] == lengths
    hits, misses, _, _ = out["info"]
    assert (hits, misses) == _lru_counts(lengths, maxsize)


def _lru_counts(calls: list[Any], maxsize: int | None) -> tuple[int, int]:
    """(hits, misses) of an LRU cache of `maxsize` entries over `calls` (reference model)."""
    model: OrderedDict[Any, None] = OrderedDict()
    hits = 0
    for x in calls:
        if x in model:
            model.move_to_end(x)
            hits += 1
        else:
            model[x] = None
            if maxsize is not None and len(model) > maxsize:
                model.popitem(last=False)
    return hits, len(calls) - hits


def test_negative_maxsize_means_no_storage() -> None:
    @memoize(maxsize=-10)
    def eq(n: int) -> int:
        return n

    for _ in (0, 1):
        assert [eq(n) for n in range(150)] == list(range(150))
    assert eq.cache_info() == CacheInfo(hits=0, misses=300, maxsize=0, currsize=0)
    assert eq.cache_parameters()["maxsize"] == 0
    assert memoize(-1)(abs).cache_parameters()["maxsize"] == 0


def test_lru_sizes_zero_one_two() -> None:
    count = 0

    @memoize(maxsize=0)
    def zero() -> int:
        nonlocal count
        count += 1
        return 20

    assert [zero() for _ in range(5)] == [20] * 5
    assert count == 5
    assert zero.cache_info() == CacheInfo(0, 5, 0, 0)

    count = 0

    @memoize(maxsize=1)
    def one() -> int:
        nonlocal count
        count += 1
        return 20

    assert [one() for _ in range(5)] == [20] * 5
    assert count == 1
    assert one.cache_info() == CacheInfo(4, 1, 1, 1)

    count = 0

    @memoize(maxsize=2)
    def two(x: int) -> int:
        nonlocal count
        count += 1
        return x * 10

    calls = [7, 9, 7, 9, 7, 9, 8, 8, 8, 9, 9, 9, 8, 8, 8, 7]
    for x in calls:
        assert two(x) == x * 10
    hits, misses = _lru_counts(calls, 2)
    assert count == misses == 4
    assert two.cache_info() == CacheInfo(hits, misses, 2, 2)


def test_lru_random_calls_and_clear() -> None:
    def orig(x: int, y: int) -> int:
        return 3 * x + y

    f = memoize(maxsize=20)(orig)
    rnd = random.Random(0)
    for _ in range(1000):
        x, y = rnd.choice(range(5)), rnd.choice(range(5))
        assert f(x, y) == orig(x, y)
    hits, misses, _, currsize = f.cache_info()
    assert hits > misses and hits + misses == 1000 and currsize == 20
    f.cache_clear()
    assert f.cache_info() == CacheInfo(0, 0, 20, 0)
    f(1, 2)
    assert f.cache_info() == CacheInfo(0, 1, 20, 1)
    assert f.__wrapped__ is orig


def test_reentrant_eq_in_a_single_thread() -> None:
    # functools uses an RLock because of this; memoize holds no lock while keys compare.
    @memoize(maxsize=10)
    def test_func(x: Any) -> Any:
        return x

    class DoubleEq:
        def __init__(self, x: int) -> None:
            self.x = x

        def __hash__(self) -> int:
            return self.x

        def __eq__(self, other: object) -> bool:
            if self.x == 2:
                test_func(DoubleEq(1))
            return isinstance(other, DoubleEq) and self.x == other.x

    test_func(DoubleEq(1))
    test_func(DoubleEq(2))
    assert test_func(DoubleEq(2)) == DoubleEq(2)


def test_recursive_call_with_the_same_key_keeps_the_cache_full() -> None:
    # CPython bug 35780: orphan links when the function re-enters with its own key.
    once = True

    @memoize(maxsize=10)
    def f(x: int) -> str:
        nonlocal once
        rv = f".{x}."
        if x == 20 and once:
            once = False
            rv = f(x)
        return rv

    for x in range(15):
        assert f(x) == f".{x}."
    assert f.cache_info().currsize == 10
    assert f(20) == ".20."
    assert f.cache_info().currsize == 10


def test_empty_keywords_share_the_key() -> None:
    @memoize
    def f(x: int) -> None:
        pass

    f(0)
    f(0, **{})
    assert f.cache_info().hits == 1


def test_exceptions_pass_through_unchained_and_uncached() -> None:
    for maxsize in (None, 128):

        @memoize(maxsize=maxsize)
        def func(i: int) -> str:
            return "abc"[i]

        assert func(0) == "a"
        with pytest.raises(IndexError) as raised:
            func(15)
        assert raised.value.__context__ is None
        with pytest.raises(IndexError):
            func(15)


def test_star_args_and_keyword_order() -> None:
    @memoize
    def f(*args: Any) -> tuple[Any, ...]:
        return args

    assert f(1, 2) == (1, 2)
    assert f((1, 2)) == ((1, 2),)

    @memoize(maxsize=10)
    def g(**kwargs: Any) -> list[tuple[str, Any]]:
        return list(kwargs.items())

    assert g(a=1, b=2) == [("a", 1), ("b", 2)]
    assert g(b=2, a=1) == [("b", 2), ("a", 1)]
    assert g.cache_info() == CacheInfo(0, 2, 10, 2)


def test_typed_is_not_recursive() -> None:
    cached = memoize(typed=True)(repr)
    assert [cached(v) for v in (1, True, 1.0, 0, False, 0.0)] == [
        "1",
        "True",
        "1.0",
        "0",
        "False",
        "0.0",
    ]
    assert [cached(v) for v in ((1,), (True,), (1.0,), (0,), (False,), (0.0,))] == [
        "(1,)",
        "(1,)",
        "(1,)",
        "(0,)",
        "(0,)",
        "(0,)",
    ]


def test_cache_parameters_as_functools() -> None:
    @memoize(maxsize=2)
    def f() -> int:
        return 1

    assert f.cache_parameters() == {"maxsize": 2, "typed": False}

    @memoize(maxsize=1000, typed=True)
    def g() -> int:
        return 1

    assert g.cache_parameters() == {"maxsize": 1000, "typed": True}


def test_common_signatures() -> None:
    f = memoize(maxsize=1)(lambda: None)
    for control in (f.cache_info, f.cache_clear, f.cache_parameters):
        assert str(inspect.signature(control)) == "()"


def test_pickle_and_copy_give_the_same_function() -> None:
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(_module_level, proto)) is _module_level
    assert copy.copy(_module_level) is _module_level
    assert copy.deepcopy(_module_level) is _module_level


def test_threads_filling_and_clearing() -> None:
    # test_lru_cache_threaded: exact counts here (one computation per key).
    n, m = 5, 11

    def orig(x: int, y: int) -> int:
        return 3 * x + y

    f = memoize(maxsize=n * m)(orig)
    start = threading.Event()
    bad: list[Any] = []

    def full(k: int) -> None:
        start.wait(10)
        for _ in range(m):
            if f(k, 0) != orig(k, 0):
                bad.append(k)

    def clear() -> None:
        start.wait(10)
        for _ in range(2 * m):
            f.cache_clear()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=full, args=[k]) for k in range(n)]
        for t in threads:
            t.start()
        start.set()
        for t in threads:
            t.join(30)
        assert f.cache_info() == CacheInfo(m * n - n, n, n * m, n)
        start.clear()
        threads = [threading.Thread(target=clear)]
        threads += [threading.Thread(target=full, args=[k]) for k in range(n)]
        for t in threads:
            t.start()
        start.set()
        for t in threads:
            t.join(30)
        assert not any(t.is_alive() for t in threads)
    finally:
        sys.setswitchinterval(interval)
    assert bad == []
    assert f.cache_info().currsize <= n


def test_threads_with_evictions() -> None:
    # test_lru_cache_threaded3
    @memoize(maxsize=2)
    def f(x: int) -> int:
        time.sleep(0.01)
        return 3 * x

    results: dict[int, int] = {}

    def call(i: int, x: int) -> None:
        results[i] = f(x)

    values = [1, 2, 2, 3, 2]
    threads = [threading.Thread(target=call, args=(i, v)) for i, v in enumerate(values)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == {i: 3 * v for i, v in enumerate(values)}
