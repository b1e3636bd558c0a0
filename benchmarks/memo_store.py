"""Persistent memo stores: the cost of a store hit, next to diskcache, joblib and redis-py.

Every contender runs in this one process, alternating repeat by repeat so machine drift hits
all alike; reported: median microseconds per hit over the repeats.

* SQLite store hit (`@memoize(maxsize=0, store="sqlite:///...")`: no in-process cache, so
  every call reads the store: key hashing, one SELECT, reading a side file for values of
  32 KiB and more, decoding) for a small dict and float64 arrays of 1 KiB, 64 KiB, 1 MiB and
  16 MiB, next to `diskcache.Cache.get` of the same value (pickled) and a `diskcache`
  memoized function, and a `joblib.Memory` cached function.
  Target: no slower than diskcache's `get` (the ratio is printed for each size).
* Redis store hit, next to a bare redis-py `GET` of the same entry's bytes. Target: within
  2x of that GET.
* Throughput: 8 processes, each calling the memoized function on 64 stored keys round-robin
  (SQLite and Redis), hits per second in total.
* The in-process hit (`@memoize(store=...)` repeated call), for reference: what a promoted
  entry costs.

Redis runs on a `redis-server` this script starts on a free loopback port (no persistence)
and stops afterwards; it is skipped when `redis-server` is not installed. BLAS threads and
the load average are printed with the results.

Run:
    python -m benchmarks.memo_store            # or: python benchmarks/memo_store.py
    python -m benchmarks.memo_store --json
    python -m benchmarks.memo_store --sqlite-only --repeats 15   # the SQLite table alone
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

import memograd as mg
from memograd.memo.store._redis_server import start_redis_server, stop_redis_server

SMALL = {"loss": 0.125, "accuracy": 0.97, "epochs": 30}
MIB = 1 << 20
ARRAYS = {"1kib": 1 << 10, "64kib": 1 << 16, "1mib": MIB, "16mib": 16 * MIB}
"""The float64 arrays timed on SQLite, by name and bytes (besides the small dict)."""


def _per_call(func: Callable[[], Any], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        func()
    return (time.perf_counter() - start) / number


def _alternate(contenders: dict[str, Callable[[], Any]], repeats: int, number: int) -> dict:
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for func in contenders.values():
        func()  # warm: every timed call is a hit
    for _ in range(repeats):
        for name, func in contenders.items():
            times[name].append(_per_call(func, number))
    return {name: statistics.median(t) * 1e6 for name, t in times.items()}


def _value(kind: str) -> Any:
    return SMALL if kind == "small" else np.arange(ARRAYS[kind] // 8, dtype=np.float64)


def _calls(kind: str, number: int, big_number: int) -> int:
    """Calls per repeat: `number` for small values, `big_number` at 1 MiB, scaled by size
    in between and beyond (at least 10)."""
    if kind == "small":
        return number
    return max(10, min(number, big_number * MIB // ARRAYS[kind]))


def sqlite_case(folder: Path, kind: str, repeats: int, number: int) -> dict[str, float]:
    import diskcache
    import joblib

    value = _value(kind)
    url = f"sqlite:///{folder / f'memo-{kind}.db'}"

    @mg.memoize(maxsize=0, store=url)
    def ours(n: int) -> Any:
        return value

    @mg.memoize(store=url)
    def ours_promoted(n: int) -> Any:
        return value

    cache = diskcache.Cache(str(folder / f"diskcache-{kind}"))
    cache.set(("key", 1), value)

    @cache.memoize()
    def dc_memoized(n: int) -> Any:
        return value

    memory = joblib.Memory(str(folder / f"joblib-{kind}"), verbose=0)

    def jl(n: int) -> Any:
        return value

    jl_cached = memory.cache(jl)
    return _alternate(
        {
            "memograd SQLiteStore hit": lambda: ours(1),
            "diskcache Cache.get": lambda: cache.get(("key", 1)),
            "diskcache memoize hit": lambda: dc_memoized(1),
            "joblib Memory hit": lambda: jl_cached(1),
            "memograd in-process hit (promoted)": lambda: ours_promoted(1),
        },
        repeats,
        number,
    )


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[str | None]:
    """A `redis-server` on a free loopback port, or None when it is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    started = start_redis_server(binary, folder)
    if started is None:
        raise RuntimeError("could not start redis-server on a loopback port (5 attempts)")
    server, url = started
    try:
        yield url
    finally:
        stop_redis_server(server)


def redis_case(url: str, kind: str, repeats: int, number: int) -> dict[str, float]:
    import redis

    value = _value(kind)

    @mg.memoize(maxsize=0, store=url)
    def ours(n: int) -> Any:
        return value

    ours(1)
    key = "memograd:v:" + ours.cache_key(1)
    client = redis.Redis.from_url(url)
    return _alternate(
        {"memograd RedisStore hit": lambda: ours(1), "redis-py GET": lambda: client.get(key)},
        repeats,
        number,
    )


def _throughput_worker(url: str, seconds: float, queue: Any) -> None:
    @mg.memoize(maxsize=0, store=url)
    def stored(n: int) -> Any:
        return {"n": n, **SMALL}

    for n in range(64):
        stored(n)
    queue.put("ready")
    calls = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for n in range(64):
            stored(n)
        calls += 64
    queue.put(calls)


def throughput(url: str, processes: int = 8, seconds: float = 3.0) -> float:
    """Store hits per second, all processes together (each warmed first)."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [
        ctx.Process(target=_throughput_worker, args=(url, seconds, queue)) for _ in range(processes)
    ]
    for w in workers:
        w.start()
    results = [queue.get(timeout=300) for _ in range(2 * processes)]
    for w in workers:
        w.join()
    calls = [r for r in results if r != "ready"]
    return sum(calls) / seconds


def _blas_threads() -> str:
    from threadpoolctl import threadpool_info

    pools = [f"{p['internal_api']}={p['num_threads']}" for p in threadpool_info()]
    return ", ".join(pools) or "none loaded"


def measure(
    repeats: int, number: int, big_number: int, seconds: float, sqlite_only: bool = False
) -> dict[str, Any]:
    load_before = os.getloadavg()
    out: dict[str, Any] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for kind in ("small", *ARRAYS):
            times = sqlite_case(folder, kind, repeats, _calls(kind, number, big_number))
            out[f"sqlite_{kind}_us"] = times
            out.setdefault("sqlite_vs_diskcache_get", {})[kind] = round(
                times["memograd SQLiteStore hit"] / times["diskcache Cache.get"], 3
            )
        if not sqlite_only:
            _redis_and_throughput(folder, out, repeats, number, big_number, seconds)
    out["blas_threads"] = _blas_threads()
    out["load_average_before"] = [round(x, 2) for x in load_before]
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


def _redis_and_throughput(
    folder: Path, out: dict[str, Any], repeats: int, number: int, big_number: int, seconds: float
) -> None:
    with redis_server(folder) as url:
        if url is None:
            out["redis"] = "skipped: redis-server not installed"
        else:
            out["redis_small_us"] = redis_case(url, "small", repeats, number)
            out["redis_1mib_us"] = redis_case(url, "1mib", repeats, big_number)
            out["redis_8proc_hits_per_s"] = round(throughput(url, 8, seconds))
    sqlite_url = f"sqlite:///{folder / 'throughput.db'}"
    out["sqlite_8proc_hits_per_s"] = round(throughput(sqlite_url, 8, seconds))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--number", type=int, default=2000, help="small-value calls per repeat")
    parser.add_argument("--big-number", type=int, default=100, help="1 MiB calls per repeat")
    parser.add_argument("--seconds", type=float, default=3.0, help="throughput run length")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--sqlite-only", action="store_true", help="only the SQLite hits (no Redis, no throughput)"
    )
    options = parser.parse_args(argv)
    result = measure(
        options.repeats, options.number, options.big_number, options.seconds, options.sqlite_only
    )
    if options.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    print(
        f"Store hits, median of {options.repeats} repeats, Python {result['python']}, "
        f"{result['cpus']} CPUs, BLAS threads: {result['blas_threads']}, load average "
        f"{result['load_average_before']} -> {result['load_average_after']}"
    )
    sqlite = [f"sqlite_{kind}_us" for kind in ("small", *ARRAYS)]
    for section in (*sqlite, "redis_small_us", "redis_1mib_us"):
        if section in result:
            print(f"\n{section}:")
            for name, us in result[section].items():
                print(f"  {name:<38}{us:>10.1f} us")
    print("\nSQLiteStore hit / diskcache Cache.get (target <= 1):")
    for kind, ratio in result["sqlite_vs_diskcache_get"].items():
        print(f"  {kind:<8}{ratio:>6.2f}x")
    for section in ("sqlite_8proc_hits_per_s", "redis_8proc_hits_per_s"):
        if section in result:
            print(f"{section}: {result[section]:,}")
    if "redis" in result:
        print(result["redis"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
