"""`@memoize`: decoration forms, statistics, LRU bound, keys by content, errors, metadata."""

from __future__ import annotations

import functools
import inspect
from typing import Any

import numpy as np
import pytest

import memograd as mg
from memograd.memo import CacheInfo, memoize


def _counting(func: Any) -> tuple[Any, list[Any]]:
    seen: list[Any] = []

    def inner(*args: Any, **kwargs: Any) -> Any:
        seen.append((args, kwargs))
        return func(*args, **kwargs)

    functools.update_wrapper(inner, func)
    return inner, seen


def test_bare_and_configured_forms_share_behaviour() -> None:
    calls: list[int] = []

    @memoize
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    @memoize()
    def cube(x: int) -> int:
        calls.append(x)
        return x**3

    @memoize(maxsize=None, typed=False, key=None)
    def neg(x: int) -> int:
        calls.append(x)
        return -x

    assert [square(3), square(3), cube(2), cube(2), neg(1), neg(1)] == [9, 9, 8, 8, -1, -1]
    assert calls == [3, 2, 1]
    for f in (square, cube, neg):
        assert f.cache_info() == CacheInfo(hits=1, misses=1, maxsize=None, currsize=1)


def test_exported_from_package() -> None:
    assert mg.memoize is memoize
    assert mg.memo.memoize is memoize


def test_fibonacci_counts_match_the_recursion() -> None:
    @memoize
    def fib(n: int) -> int:
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    assert fib(30) == 832040
    # n + 1 distinct values computed once each; each fib(k) for k >= 3 asks fib(k - 2) after
    # fib(k - 1) has stored it (a hit), while fib(2) misses on both fib(1) and fib(0): n - 2 hits.
    assert fib.cache_info() == CacheInfo(hits=28, misses=31, maxsize=None, currsize=31)
    fib.cache_clear()
    assert fib.cache_info() == CacheInfo(0, 0, None, 0)
    assert fib(10) == 55


def test_none_is_a_cached_result() -> None:
    calls: list[int] = []

    @memoize
    def nothing(x: int) -> None:
        calls.append(x)

    assert nothing(1) is None
    assert nothing(1) is None
    assert calls == [1]


def test_metadata_and_wrapped() -> None:
    def area(width: float, height: float = 2.0, *, scale: float = 1.0) -> float:
        """Area of a rectangle."""
        return width * height * scale

    wrapped = memoize(area)
    assert wrapped.__wrapped__ is area
    assert wrapped.__name__ == "area"
    assert wrapped.__doc__ == "Area of a rectangle."
    assert wrapped.__qualname__ == area.__qualname__
    assert wrapped.__module__ == area.__module__
    assert inspect.signature(wrapped) == inspect.signature(area)
    # As functools.lru_cache reports them; a key function only when there is one.
    assert wrapped.cache_parameters() == {"maxsize": None, "typed": False}
    shape_key = memoize(key=len)(area)
    assert shape_key.cache_parameters() == {"maxsize": None, "typed": False, "key": len}


def test_keyword_positional_and_default_calls_share_a_key() -> None:
    calls: list[float] = []

    @memoize
    def area(width: float, height: float = 2.0, *, scale: float = 1.0) -> float:
        calls.append(width)
        return width * height * scale

    assert area(3.0) == area(3.0, 2.0) == area(width=3.0) == area(3.0, scale=1.0) == 6.0
    assert calls == [3.0]
    assert area(3.0, scale=2.0) == 12.0
    assert area.cache_info().misses == 2


def test_varargs_function_keys_args_and_kwargs() -> None:
    calls: list[Any] = []

    @memoize
    def total(*values: int, **weights: int) -> int:
        calls.append(values)
        return sum(values) + sum(weights.values())

    assert total(1, 2, a=3) == 6
    assert total(1, 2, a=3) == 6
    assert total(1, 2, b=3) == 6
    assert total(1, 2) == 3
    assert len(calls) == 3
    assert total.cache_info() == CacheInfo(1, 3, None, 3)


def test_typed_separates_types() -> None:
    calls: list[Any] = []

    @memoize(typed=True)
    def ident(x: Any) -> Any:
        calls.append(x)
        return x

    ident(1)
    ident(1.0)
    ident(True)
    ident(1)
    assert len(calls) == 3

    @memoize
    def loose(x: Any) -> Any:
        calls.append(x)
        return x

    calls.clear()
    loose(1)
    loose(1.0)
    assert len(calls) == 1  # 1 == 1.0, as dict keys


def test_maxsize_zero_stores_nothing_but_counts() -> None:
    calls: list[int] = []

    @memoize(maxsize=0)
    def f(x: int) -> int:
        calls.append(x)
        return x

    for _ in range(3):
        f(7)
    assert calls == [7, 7, 7]
    assert f.cache_info() == CacheInfo(hits=0, misses=3, maxsize=0, currsize=0)


def test_lru_evicts_least_recently_used() -> None:
    calls: list[int] = []

    @memoize(maxsize=2)
    def f(x: int) -> int:
        calls.append(x)
        return x

    f(1)
    f(2)
    f(1)  # 1 becomes most recent
    f(3)  # evicts 2
    f(1)
    f(2)
    assert calls == [1, 2, 3, 2]
    assert f.cache_info() == CacheInfo(hits=2, misses=4, maxsize=2, currsize=2)


def test_positional_maxsize_like_lru_cache() -> None:
    @memoize(3)
    def f(x: int) -> int:
        return x

    assert f.cache_parameters()["maxsize"] == 3


@pytest.mark.parametrize("bad", [1.5, "10", True])
def test_bad_maxsize_is_rejected(bad: Any) -> None:
    with pytest.raises(TypeError, match="maxsize"):
        memoize(maxsize=bad)
    with pytest.raises(TypeError, match="maxsize"):
        memoize(bad)


@pytest.mark.parametrize("bad", [1.5, "10"])
def test_maxsize_of_a_wrong_type_is_a_type_error_as_in_lru_cache(bad: Any) -> None:
    with pytest.raises(TypeError):  # the reference behaviour this follows
        functools.lru_cache(maxsize=bad)
    with pytest.raises(TypeError, match="maxsize"):
        memoize(maxsize=bad)


def test_bad_typed_and_key_are_rejected() -> None:
    with pytest.raises(TypeError, match="`typed`"):
        memoize(typed=1)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="`key`"):
        memoize(key=3)  # type: ignore[call-overload]


def test_arrays_keyed_by_content_whatever_the_layout() -> None:
    calls: list[Any] = []

    @memoize
    def total(a: np.ndarray) -> float:
        calls.append(a)
        return float(a.sum())

    base = np.arange(12.0).reshape(3, 4)
    assert total(base) == 66.0
    assert total(np.asfortranarray(base)) == 66.0
    assert total(np.arange(24.0).reshape(3, 8)[:, ::2] // 2 * 0 + base) == 66.0
    assert total(base.copy()) == 66.0
    assert len(calls) == 1
    assert total(base.astype(np.float32)) == 66.0  # other dtype: other key
    assert total(base.reshape(4, 3)) == 66.0  # other shape: other key
    assert len(calls) == 3


def test_containers_keyed_by_content() -> None:
    calls: list[Any] = []

    @memoize
    def size(x: Any) -> int:
        calls.append(x)
        return len(x)

    assert size([1, [2, 3]]) == 2
    assert size([1, [2, 3]]) == 2
    assert size({"a": [1], "b": 2}) == 2
    assert size({"b": 2, "a": [1]}) == 2  # insertion order does not matter
    assert size({1, 2}) == 2
    assert size(frozenset({1, 2})) == 2  # equal to the set, as in Python
    assert size((1, [2])) == 2
    assert size((1, [2])) == 2
    assert size([1, [2]]) == 2  # a list is not the tuple of the same elements
    assert len(calls) == 5


def test_unkeyable_argument_names_parameter_and_type() -> None:
    class Blob:
        __hash__ = None  # type: ignore[assignment]

    @memoize
    def f(first: int, second: Any) -> int:
        return first

    with pytest.raises(TypeError, match=r"argument `second` of type Blob") as info:
        f(1, Blob())
    assert "not hashable" in str(info.value)
    with pytest.raises(TypeError, match=r"argument `second` of type list containing a Blob"):
        f(1, [Blob()])
    with pytest.raises(TypeError, match=r"argument `second`"):
        f(1, second=Blob())

    @memoize
    def g(*items: Any) -> int:
        return len(items)

    with pytest.raises(TypeError, match=r"argument `items\[1\]` of type Blob"):
        g(1, Blob())


def test_user_key_function() -> None:
    calls: list[Any] = []

    @memoize(key=lambda a, *_: a.shape)
    def zeros_like(a: np.ndarray, fill: float = 0.0) -> np.ndarray:
        calls.append(a)
        return np.full(a.shape, fill)

    zeros_like(np.ones((2, 2)))
    zeros_like(np.ones((2, 2)) * 5)
    zeros_like(np.ones((3, 2)))
    assert len(calls) == 2

    @memoize(key=lambda x: [x])
    def bad(x: int) -> int:
        return x

    with pytest.raises(TypeError, match="hashable"):
        bad(1)


def test_exception_is_not_cached() -> None:
    attempts: list[int] = []

    @memoize
    def flaky(x: int) -> int:
        attempts.append(x)
        if len(attempts) == 1:
            raise ValueError("first call fails")
        return x

    with pytest.raises(ValueError, match="first call fails"):
        flaky(1)
    assert flaky(1) == 1
    assert flaky(1) == 1
    assert attempts == [1, 1]
    assert flaky.cache_info() == CacheInfo(hits=1, misses=2, maxsize=None, currsize=1)


def test_function_exception_is_not_chained_to_key_errors() -> None:
    @memoize
    def fails(x: Any) -> int:
        raise KeyError("inner")

    with pytest.raises(KeyError) as info:
        fails([1, 2])  # unhashable: content key path
    assert info.value.__context__ is None


def test_recursive_self_call_with_same_key_does_not_deadlock() -> None:
    depth: list[int] = []

    @memoize
    def loop(x: int) -> int:
        depth.append(x)
        if len(depth) < 5:
            return loop(x)
        return 42

    assert loop(1) == 42
    assert len(depth) == 5


def test_generated_wrapper_names_never_shadow_parameters() -> None:
    square = memoize(lambda wrapper: wrapper * wrapper)
    assert square(3) == 9
    assert square(wrapper=3) == 9
    assert square.cache_info().misses == 1

    @memoize
    def f(f: int) -> int:
        return f + 1

    assert f(1) == 2

    @memoize
    def g(_mg_get: int) -> int:  # reserved prefix: the generic wrapper is used
        return _mg_get * 2

    assert g(2) == 4 and g(2) == 4
    assert g.cache_info().hits == 1
