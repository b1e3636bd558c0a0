"""Content keys (hypothesis): equal content -> equal key; different dtype -> different key;
LRU order against a reference model."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from memograd.memo import content_key, make_key, memoize

SETTINGS = settings(max_examples=60, deadline=None)

_dtypes = st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.uint8, np.bool_])


@st.composite
def _arrays(draw: st.DrawFn) -> np.ndarray:
    dtype = draw(_dtypes)
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=5))
    return draw(hnp.arrays(dtype, shape, elements={"allow_nan": False}))


def _layouts(a: np.ndarray) -> list[np.ndarray]:
    """The same values in other memory layouts: F order, a strided view, a reversed view."""
    bigger = np.zeros((2 * a.shape[0], *a.shape[1:]), dtype=a.dtype)
    bigger[::2] = a
    reversed_copy = np.ascontiguousarray(a[::-1])
    return [
        np.asfortranarray(a),
        bigger[::2],  # a strided view
        reversed_copy[::-1],  # a negative-stride view
        a.copy(order="K"),
    ]


@SETTINGS
@given(_arrays())
def test_equal_arrays_equal_keys_across_layouts(a: np.ndarray) -> None:
    key = content_key(a)
    for other in _layouts(a):
        assert np.array_equal(other, a)
        assert content_key(other) == key
        assert hash(content_key(other)) == hash(key)


@SETTINGS
@given(_arrays(), _dtypes)
def test_other_dtype_other_key(a: np.ndarray, dtype: Any) -> None:
    with np.errstate(all="ignore"):  # out-of-range casts are fine: only the key matters
        converted = a.astype(dtype)
    if converted.dtype != a.dtype:
        assert content_key(converted) != content_key(a)


_scalars = st.one_of(
    st.integers(-1000, 1000), st.text(max_size=4), st.none(), st.booleans(), st.floats(-9, 9)
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=3), inner, max_size=3),
        st.frozensets(st.integers(0, 9), max_size=4).map(set),
    ),
    max_leaves=12,
)


def _rebuild(value: Any) -> Any:
    """An equal value made of new containers (dicts in reversed insertion order)."""
    if isinstance(value, list):
        return [_rebuild(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_rebuild(v) for v in value)
    if isinstance(value, dict):
        return {k: _rebuild(value[k]) for k in reversed(list(value))}
    if isinstance(value, set):
        return set(sorted(value, reverse=True))
    return value


@SETTINGS
@given(_values)
def test_equal_containers_equal_keys(value: Any) -> None:
    copy = _rebuild(value)
    assert copy == value
    assert content_key(copy) == content_key(value)
    assert make_key((copy, 1), {"k": copy}, False) == make_key((value, 1), {"k": value}, False)


@SETTINGS
@given(_values, _values)
def test_different_content_different_keys(a: Any, b: Any) -> None:
    if content_key(a) == content_key(b):
        # Equal keys only for values Python itself considers equal (1 == 1.0 == True).
        assert a == b


@SETTINGS
@given(st.lists(st.integers(0, 9), max_size=60), st.integers(1, 5))
def test_lru_matches_reference_model(calls: list[int], maxsize: int) -> None:
    computed: list[int] = []

    @memoize(maxsize=maxsize)
    def f(x: int) -> int:
        computed.append(x)
        return x * 10

    model: OrderedDict[int, int] = OrderedDict()
    expected_computed: list[int] = []
    hits = 0
    for x in calls:
        assert f(x) == x * 10
        if x in model:
            model.move_to_end(x)
            hits += 1
        else:
            expected_computed.append(x)
            model[x] = x * 10
            if len(model) > maxsize:
                model.popitem(last=False)
    assert computed == expected_computed
    info = f.cache_info()
    assert (info.hits, info.misses, info.currsize) == (hits, len(expected_computed), len(model))


class _Colliding:
    """A key with a Python-level hash that collides often (hash chains) and a Python `==`."""

    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value

    def __hash__(self) -> int:
        return self.value % 3

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Colliding) and other.value == self.value

    def __repr__(self) -> str:
        return f"_Colliding({self.value})"


def _check_store(func: Any) -> None:
    """The store's structures agree with each other (internals)."""
    from memograd.memo._cache import CNEXT, CPREV, HASH, INDEXED, NOINDEX, ROOT, TOKEN

    store = func.__globals__["_mg_find"].__self__
    entries = []
    for h, head in store.table.items():
        assert head[CPREV] is None
        entry = head
        while entry is not None:
            assert entry[HASH] == h and entry[ROOT] is store.root
            if entry[CNEXT] is not None:
                assert entry[CNEXT][CPREV] is entry
            entries.append(entry)
            entry = entry[CNEXT]
    assert store.inflight == {}
    assert len(entries) == store.size == func.cache_info().currsize
    if store.bounded:
        assert sorted(map(id, store.order.values())) == sorted(map(id, entries))
        assert all(store.order[e[TOKEN]] is e for e in entries)
    for key, value in store.index.items():
        entry = value if store.bounded else None
        if entry is not None:
            assert entry[INDEXED] is not NOINDEX and entry[INDEXED] == key
            assert any(entry is e for e in entries)


@SETTINGS
@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 11)), max_size=80),
    st.one_of(st.none(), st.integers(0, 5)),
)
def test_lru_with_colliding_python_keys_matches_reference_model(
    calls: list[tuple[bool, int]], maxsize: int | None
) -> None:
    # Keys of both kinds: ints (looked up in the index) and `_Colliding` objects (hashed
    # once, chained on collisions; ints 0-2 share their hash values with them).
    computed: list[Any] = []

    @memoize(maxsize=maxsize)
    def f(x: Any) -> Any:
        computed.append(x)
        return ("value", x)

    model: OrderedDict[Any, Any] = OrderedDict()
    expected_computed: list[Any] = []
    hits = 0
    for colliding, value in calls:
        x: Any = _Colliding(value) if colliding else value
        assert f(x) == ("value", x)
        if x in model:
            model.move_to_end(x)
            hits += 1
        else:
            expected_computed.append(x)
            if maxsize != 0:
                model[x] = x
                if maxsize is not None and len(model) > maxsize:
                    model.popitem(last=False)
    assert computed == expected_computed
    info = f.cache_info()
    assert (info.hits, info.misses, info.currsize) == (hits, len(expected_computed), len(model))
    _check_store(f)
    if maxsize:  # the least recently used first, exactly as the model
        from memograd.memo._cache import KEY

        store = f.__globals__["_mg_find"].__self__  # type: ignore[attr-defined]
        assert [entry[KEY] for entry in store.order.values()] == list(model)
    f.cache_clear()
    _check_store(f)
