"""`@memoize(store=...)` in one process, and the store protocol, for SQLite and Redis.

A second memoized function with the same module, qualified name and code has the same keys,
so it stands for "another process" here; the real multi-process tests are in
test_memo_store_processes.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import memograd as mg
from memograd.memo.store import (
    MemoStore,
    PickleSerializer,
    RedisStore,
    SQLiteStore,
    UntrustedEntry,
    encode,
    prune,
)


class Counting:
    """A store that counts `get` calls, in front of a real one (instrumentation, not a fake)."""

    def __init__(self, inner: MemoStore) -> None:
        self.inner = inner
        self.url = inner.url
        self.gets = 0

    def get(self, key: str) -> bytes | None:
        self.gets += 1
        return self.inner.get(key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> MemoStore:
    if request.param == "sqlite":
        return SQLiteStore(tmp_path / "memo.db")
    url: str = request.getfixturevalue("redis_url")
    return RedisStore(url, prefix=f"test-{time.monotonic_ns()}:")


def test_protocol_contract(store: MemoStore) -> None:
    assert isinstance(store, MemoStore)
    key = "a" * 64
    assert store.get(key) is None
    assert store.put_if_absent(key, b"first", function="mod.f")
    assert not store.put_if_absent(key, b"second", function="mod.f")  # first one kept
    assert store.get(key) == b"first"
    store.record("mod.f", hits=2, misses=1)
    assert store.counts()["mod.f"] == (2, 1)
    (entry,) = store.scan()  # scan writes the batched use of `get`
    assert (entry.key, entry.function, entry.size, entry.hits) == (key, "mod.f", 5, 1)
    assert entry.created <= entry.last_used <= time.time() and entry.expires is None
    assert store.delete([key, "b" * 64]) == 1
    assert store.get(key) is None and list(store.scan()) == []


def test_leases(store: MemoStore) -> None:
    key = "c" * 64
    assert store.lease(key, "one", 30)
    assert not store.lease(key, "two", 30)  # held by another owner
    assert store.lease(key, "one", 30)  # the owner renews
    store.release(key, "two")  # not the owner: no effect
    assert not store.lease(key, "two", 30)
    store.release(key, "one")
    assert store.lease(key, "two", 0.05)
    time.sleep(0.15)
    assert store.lease(key, "three", 30)  # expired: taken over


def test_ttl_entries_expire(store: MemoStore) -> None:
    assert store.put_if_absent("d" * 64, b"x", function="f", ttl=0.1)
    assert store.get("d" * 64) == b"x"
    time.sleep(0.25)
    assert store.get("d" * 64) is None
    assert store.put_if_absent("d" * 64, b"y", function="f", ttl=10)  # an expired key is free
    assert store.get("d" * 64) == b"y"


def test_prune_evicts_least_recently_used(store: MemoStore) -> None:
    for i in range(4):
        assert store.put_if_absent(f"{i:064x}", bytes(100), function="f")
        time.sleep(0.01)
    store.get(f"{0:064x}")  # entry 0 is now the most recently used
    assert prune(store, max_bytes=250) == 2
    assert sorted(e.key[-1] for e in store.scan()) == ["0", "3"]
    with pytest.raises(ValueError, match="max_bytes"):
        prune(store, max_bytes=-1)


def _factory(
    store: Any, calls: list[Any], **options: Any
) -> Callable[[], Callable[..., dict[str, Any]]]:
    """Each call makes a new memoized `train` with the same identity and code (same keys)."""

    def make() -> Callable[..., dict[str, Any]]:
        @mg.memoize(store=store, **options)
        def train(lr: float, layers: tuple[int, ...], seed: int = 0) -> dict[str, Any]:
            calls.append((lr, layers, seed))
            rng = np.random.default_rng(seed)
            return {"w": rng.normal(size=layers), "lr": lr, "layers": layers}

        return train

    return make


def test_store_hit_is_promoted_and_counted(store: MemoStore) -> None:
    counting = Counting(store)
    calls: list[Any] = []
    make = _factory(counting, calls)
    first = make()
    a = first(0.1, (2, 3))
    assert calls == [(0.1, (2, 3), 0)]
    assert first.cache_info() == (0, 1, None, 1, 0, 1)
    second = make()  # "another process": empty in-process cache, same store
    gets = counting.gets
    b = second(0.1, (2, 3))
    assert calls == [(0.1, (2, 3), 0)]  # not computed again
    np.testing.assert_array_equal(a["w"], b["w"])
    assert b["layers"] == (2, 3) and type(b["layers"]) is tuple
    assert counting.gets == gets + 1
    for _ in range(3):
        assert second(0.1, (2, 3)) is b  # promoted: in-process hits, the store is not asked
    assert counting.gets == gets + 1
    assert second.cache_info() == (3, 1, None, 1, 1, 0)
    second(0.2, (2, 3))  # a changed hyperparameter computes
    assert len(calls) == 2
    assert store.counts()["test_memo_store._factory.<locals>.make.<locals>.train"] == (1, 2)


def test_cache_parameters_and_clear(store: MemoStore) -> None:
    make = _factory(store, [], ttl=60, lease=5, max_bytes=10**6)
    f = make()
    params = f.cache_parameters()
    assert params["store"] == store.url and params["lease"] == 5 and params["ttl"] == 60
    f(0.1, (1,))
    f.cache_clear()  # the in-process cache only: the next call is a store hit
    f(0.1, (1,))
    assert f.cache_info().store_hits == 1


def test_max_bytes_bounds_the_store(store: MemoStore) -> None:
    calls: list[Any] = []
    f = _factory(store, calls, max_bytes=3000)()
    for i in range(6):
        f(0.1, (100,), seed=i)  # about 900 bytes each
    total = sum(e.size for e in store.scan())
    assert 0 < total <= 3000
    assert len(list(store.scan())) < 6


def test_ttl_option(store: MemoStore) -> None:
    calls: list[Any] = []
    make = _factory(store, calls, ttl=0.2)
    make()(0.1, (1,))
    make()(0.1, (1,))
    assert len(calls) == 1
    time.sleep(0.35)
    make()(0.1, (1,))
    assert len(calls) == 2


def test_result_without_native_format_needs_serializer(store: MemoStore) -> None:
    @mg.memoize(store=store)
    def f(n: int) -> Any:
        return {n}

    with pytest.raises(TypeError, match=r"Cannot store result of type builtins.set"):
        f(1)

    signed = PickleSerializer(b"0123456789abcdef")

    def make() -> Any:
        @mg.memoize(store=store, serializer=signed)
        def g(n: int) -> Any:
            return {n}

        return g

    assert make()(1) == {1}
    assert make()(1) == {1} and make().cache_info().store_hits == 0  # a fresh one
    other = make()
    assert other(1) == {1} and other.cache_info().store_hits == 1


def test_tampered_signed_entry_is_refused(store: MemoStore) -> None:
    signed = PickleSerializer(b"0123456789abcdef")

    def make() -> Any:
        @mg.memoize(store=store, serializer=signed)
        def g(n: int) -> Any:
            return {n}

        return g

    g = make()
    g(2)
    key = g.cache_key(2)
    # Someone with write access replaces the entry with an unsigned pickle.
    store.delete([key])
    forged = b"MGS1P" + b"\x00" * 32 + b"\x80\x04K\x01."
    assert store.put_if_absent(key, forged, function="x")
    with pytest.raises(UntrustedEntry):
        make()(2)
    store.delete([key])
    assert store.put_if_absent(
        key, encode({2}, PickleSerializer(b"another-key-16-by")), function="x"
    )
    with pytest.raises(UntrustedEntry):
        make()(2)


def test_store_option_errors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    with pytest.raises(ValueError, match=r"`lease`.*Received: lease=0"):
        mg.memoize(store=url, lease=0)
    with pytest.raises(ValueError, match=r"`ttl`.*Received: ttl=-1"):
        mg.memoize(store=url, ttl=-1)
    with pytest.raises(ValueError, match=r"`max_bytes`.*Received: max_bytes=1.5"):
        mg.memoize(store=url, max_bytes=1.5)
    with pytest.raises(TypeError, match="`serializer`"):
        mg.memoize(store=url, serializer="pickle")
    with pytest.raises(TypeError, match="need `store=`"):
        mg.memoize(ttl=5)
    with pytest.raises(ValueError, match=r"`store`.*Received: store='postgres://x'"):
        mg.memoize(store="postgres://x")(len)
    with pytest.raises(TypeError, match=r"`store`.*Received: store=3"):
        mg.memoize(store=3)(len)

    with pytest.raises(TypeError, match="does not support methods"):

        class Model:
            @mg.memoize(store=url)
            def predict(self, x: int) -> int:
                return x


def test_plain_memoize_unchanged() -> None:
    @mg.memoize
    def f(x: int) -> int:
        return x

    f(1)
    f(1)
    assert type(f.cache_info()) is mg.memo.CacheInfo and f.cache_info() == (1, 1, None, 1)
