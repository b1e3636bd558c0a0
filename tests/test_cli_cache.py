"""`memograd cache stats|ls|clear|prune STORE_URL [--json]`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import memograd as mg
from memograd.cli import main


def _fill(url: str) -> tuple[Any, Any]:
    @mg.memoize(store=url)
    def features(n: int) -> np.ndarray:
        return np.zeros(n)

    @mg.memoize(store=url)
    def labels(n: int) -> list[int]:
        return [0] * n

    for n in (10, 20, 30):
        features(n)
    labels(5)
    return features, labels


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(params=["sqlite", "redis"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'memo.db'}"
    redis_url: str = request.getfixturevalue("redis_url")
    import redis

    redis.Redis.from_url(redis_url).flushall()
    return redis_url


def test_stats_ls_clear_prune(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    features, _labels = _fill(url)
    features.cache_clear()
    features(10)  # a store hit
    f_name = "test_cli_cache._fill.<locals>.features"
    stats = _json(capsys, "cache", "stats", url, "--json")
    rows = {row["function"]: row for row in stats["functions"]}
    expected_bytes = sum(len(mg.memo.store.encode(np.zeros(n), None)) for n in (10, 20, 30))
    assert rows[f_name] == {
        "function": f_name,
        "entries": 3,
        "bytes": expected_bytes,
        "hits": 1,
        "misses": 3,
    }
    assert rows["test_cli_cache._fill.<locals>.labels"]["entries"] == 1
    assert stats["entries"] == 4

    listing = _json(capsys, "cache", "ls", url, "--json", "--function", f_name)["entries"]
    assert len(listing) == 3 and {e["function"] for e in listing} == {f_name}
    assert {e["key"] for e in listing} == {features.cache_key(n) for n in (10, 20, 30)}
    assert all(e["age_seconds"] >= 0 and e["last_used_seconds_ago"] >= 0 for e in listing)
    assert sum(e["hits"] for e in listing) == 1

    # prune to a size: least recently used first (features(10) was used last)
    time.sleep(0.01)
    pruned = _json(capsys, "cache", "prune", url, "--max-bytes", str(expected_bytes), "--json")
    assert pruned["deleted"] >= 1 and pruned["bytes"] <= expected_bytes

    cleared = _json(capsys, "cache", "clear", url, "--function", f_name, "--json")
    left = _json(capsys, "cache", "ls", url, "--json")["entries"]
    assert cleared["deleted"] >= 1 and all(e["function"] != f_name for e in left)
    assert _json(capsys, "cache", "clear", url, "--json")["deleted"] == len(left)
    assert _json(capsys, "cache", "stats", url, "--json")["entries"] == 0


def test_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'memo.db'}"
    _fill(url)
    for action in ("stats", "ls", "prune", "clear"):
        assert main(["cache", action, url]) == 0
    out = capsys.readouterr().out
    assert "features" in out and "deleted 4 entries" in out


def test_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cache", "stats", f"sqlite:///{tmp_path / 'missing.db'}"]) == 1
    assert "No store at" in capsys.readouterr().err
    assert main(["cache", "ls", "ftp://x"]) == 1
    assert "STORE_URL must be" in capsys.readouterr().err
    assert main(["cache", "stats", "redis://127.0.0.1:1/0"]) == 1  # nothing listens on port 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Cannot use the store" in err
    _fill(f"sqlite:///{tmp_path / 'memo.db'}")
    assert main(["cache", "prune", f"sqlite:///{tmp_path / 'memo.db'}", "--max-bytes", "-1"]) == 1
    assert "--max-bytes expects" in capsys.readouterr().err
