"""Store guarantees across real processes (subprocesses, SIGKILL), for SQLite and Redis.

* One computation per key: N processes asking for the same missing key at once cause one
  computation; the others wait and read its result (fails if `lease` always granted).
* A killed owner's lease expires and exactly one waiter takes over.
* An exception is not stored: the process that raised sees it, a waiter computes.
* Nothing torn: a writer SIGKILLed mid-write leaves every entry whole or absent.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import memograd
from memograd.memo.store import SQLiteStore, decode, open_store, prune

WORKER = Path(__file__).with_name("memo_store_worker.py")
SRC = str(Path(memograd.__file__).resolve().parent.parent)


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'memo.db'}"
    url: str = request.getfixturevalue("redis_url")
    import redis

    redis.Redis.from_url(url).flushall()
    return url


def _start(url: str, tmp_path: Path, lease: float = 30.0, mode: str = "slow") -> Any:
    return subprocess.Popen(
        [
            sys.executable,
            str(WORKER),
            url,
            str(tmp_path / "log"),
            str(tmp_path / "go"),
            str(lease),
            "7",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(MG_WORKER_MODE=mode),
    )


def _finish(proc: Any) -> tuple[int, dict[str, Any] | None, str]:
    out, err = proc.communicate(timeout=120)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return proc.returncode, (json.loads(lines[-1]) if lines else None), err


def _computations(tmp_path: Path) -> list[int]:
    log = tmp_path / "log"
    return [int(x) for x in log.read_text().split()] if log.exists() else []


def _wait_for(predicate: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the worker"
        time.sleep(0.01)


def test_one_computation_across_processes(store_url: str, tmp_path: Path) -> None:
    procs = [_start(store_url, tmp_path) for _ in range(4)]
    time.sleep(0.3)  # let them import; they wait for `go`, then all ask at once
    (tmp_path / "go").touch()
    results = [_finish(p) for p in procs]
    for code, result, err in results:
        assert code == 0, err
        assert result is not None
    computed = _computations(tmp_path)
    assert len(computed) == 1, f"{len(computed)} processes computed the same key: {computed}"
    owner = computed[0]
    assert {r["pid"] for _, r, _ in results if r} == {owner}  # everyone got the owner's result
    assert all(r["weights_sum"] == 7.0 * 12 for _, r, _ in results if r)
    infos = [r["info"] for _, r, _ in results if r]
    # cache_info: (hits, misses, maxsize, currsize, store_hits, store_misses)
    assert sorted((i[4], i[5]) for i in infos) == [(0, 1), (1, 0), (1, 0), (1, 0)]


def test_killed_owner_lease_expires_and_one_waiter_takes_over(
    store_url: str, tmp_path: Path
) -> None:
    (tmp_path / "go").touch()
    owner = _start(store_url, tmp_path, lease=1.0, mode="hang")
    _wait_for(lambda: len(_computations(tmp_path)) == 1)  # it holds the lease, computing
    waiters = [_start(store_url, tmp_path, lease=1.0) for _ in range(3)]
    time.sleep(1.5)  # the waiters are polling; the owner keeps renewing its lease meanwhile
    assert _computations(tmp_path) == [owner.pid], "a waiter computed while the owner lived"
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    results = [_finish(p) for p in waiters]
    for code, result, err in results:
        assert code == 0, err
        assert result is not None
    computed = _computations(tmp_path)
    assert computed[0] == owner.pid and len(computed) == 2, computed
    assert {r["pid"] for _, r, _ in results if r} == {computed[1]}


def test_exception_is_not_stored_and_a_waiter_computes(store_url: str, tmp_path: Path) -> None:
    (tmp_path / "go").touch()
    failing = _start(store_url, tmp_path, mode="raise")
    _wait_for(lambda: len(_computations(tmp_path)) == 1)
    waiter = _start(store_url, tmp_path)
    code, result, err = _finish(failing)
    assert code != 0 and "ValueError: work(7) failed" in err and result is None
    code, result, err = _finish(waiter)
    assert code == 0, err
    assert result is not None and result["pid"] == waiter.pid  # computed, not read an error
    assert _computations(tmp_path) == [failing.pid, waiter.pid]
    entries = list(open_store(store_url).scan())
    assert len(entries) == 1  # only the successful result


_WRITER = """
import sys, numpy as np
from memograd.memo.store import encode, open_store
store = open_store(sys.argv[1])
for i in range(int(sys.argv[2]), 10**6):
    size = 1000 + (i * 7919) % 200_000
    blob = encode({"i": i, "data": np.full(size, i % 251, dtype=np.uint8)}, None)
    store.put_if_absent(f"{i:064x}", blob, function="writer")
    if i % 100 == 0:
        print(i, flush=True)  # the test kills only once writing is under way
"""


def _check_whole(url: str) -> int:
    store = open_store(url)
    entries = list(store.scan())
    for entry in entries:
        blob = store.get(entry.key)
        assert blob is not None
        value = decode(blob, None)  # raises on a torn entry
        i = int(entry.key, 16)
        assert value["i"] == i
        assert value["data"].shape == (1000 + (i * 7919) % 200_000,)
        assert np.all(value["data"] == i % 251)
    return len(entries)


def test_sigkill_mid_write_leaves_every_entry_whole(store_url: str, tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    start = 0
    for round_ in range(2):
        # Two writers at once (concurrent writers), killed at an arbitrary moment.
        writers = [
            subprocess.Popen(
                [sys.executable, str(script), store_url, str(start + k * 100_000)],
                env=_env(),
                stdout=subprocess.PIPE,
            )
            for k in range(2)
        ]
        for w in writers:
            assert w.stdout is not None and w.stdout.readline(), "writer did not start"
        time.sleep(0.1 + 0.17 * round_)  # kill at different points of the writing
        for w in writers:
            w.send_signal(signal.SIGKILL)
        for w in writers:
            w.wait()
            if w.stdout:
                w.stdout.close()
        start += 1000
    assert _check_whole(store_url) > 0
    if store_url.startswith("sqlite"):
        import sqlite3

        path = store_url[len("sqlite:///") :]
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # Values of 32 KiB and more are side files: the killed writers' unfinished ones are
        # orphans, swept by prune; every entry keeps its file.
        store = open_store(store_url)
        prune(store)
        files = [p for p in Path(path + "-values").rglob("*") if p.is_file()]
        assert files, "no value was large enough for a side file"
        assert {p.name.split("-")[0] for p in files} <= {e.key for e in store.scan()}
        assert _check_whole(store_url) > 0


def test_sqlite_store_reopens_after_a_killed_writer(tmp_path: Path) -> None:
    # The file is usable by a fresh SQLiteStore (new process state) after the kill above.
    url = f"sqlite:///{tmp_path / 'memo.db'}"
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    writer = subprocess.Popen(
        [sys.executable, str(script), url, "0"], env=_env(), stdout=subprocess.PIPE
    )
    assert writer.stdout is not None and writer.stdout.readline(), "writer did not start"
    time.sleep(0.2)
    writer.stdout.close()
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    store = SQLiteStore(tmp_path / "memo.db")
    assert store.put_if_absent("f" * 64, b"MGS1N0", function="after")
    assert store.get("f" * 64) == b"MGS1N0"
