"""`SQLiteStore`'s side files: large values in files beside the database, never read torn.

Each guarantee of `memo/store/_side_files.py` has a test here that fails without it: a
damaged or missing file is a miss (never a wrong value, never the codec reading unchecked
bytes); every way an entry leaves the store removes its file; a writer SIGKILLed between
writing its file and committing its row leaves no entry, and its file is swept by
`prune`/`memograd cache clear`; concurrent processes never see a torn value.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import memograd
import memograd as mg
from memograd.cli import main
from memograd.memo.store import SQLiteStore, decode, encode, prune
from memograd.memo.store._side_files import SIDE_FILE_MIN, Staged

SRC = str(Path(memograd.__file__).resolve().parent.parent)
KEY = "ab" * 32


def _files(store: SQLiteStore) -> list[Path]:
    """Every file under the store's side-file folder (temporary ones included)."""
    folder = store.path.with_name(store.path.name + "-values")
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _row(store: SQLiteStore, key: str) -> tuple[Any, ...] | None:
    with sqlite3.connect(store.path) as conn:
        row = conn.execute(
            "SELECT length(value), file, size, checksum FROM entries WHERE key = ?", (key,)
        ).fetchone()
    return None if row is None else tuple(row)


def _big(seed: int = 0, n: int = 100_000) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=n)


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "memo.db")


def test_large_values_live_in_checked_side_files(store: SQLiteStore) -> None:
    big, small = encode(_big(), None), encode(np.arange(10.0), None)
    assert len(big) >= SIDE_FILE_MIN > len(small)
    assert store.put_if_absent(KEY, big, function="f")
    assert store.put_if_absent("cd" * 32, small, function="f")
    (path,) = _files(store)
    assert path.read_bytes() == big
    blob_len, file, size, checksum = _row(store, KEY)  # type: ignore[misc]
    assert blob_len == 0 and size == len(big) and len(checksum) == 16
    assert store.path.with_name("memo.db-values") / file == path
    assert _row(store, "cd" * 32)[1] is None  # type: ignore[index]  # small: in the database
    got = store.get(KEY)
    assert isinstance(got, bytearray) and got == big
    value = decode(got, None)
    np.testing.assert_array_equal(value, _big())
    value[0] = 1.0  # writable, as a computed result


def _corrupt_and_read(store: SQLiteStore, damage: Any) -> Any:
    assert store.put_if_absent(KEY, encode(_big(), None), function="f")
    (path,) = _files(store)
    damage(path)
    with pytest.warns(RuntimeWarning, match="damaged stored entry"):
        return store.get(KEY)


def _flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # a bit inside the array data: the codec alone cannot tell
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 8])


def _swap_for_another_value(path: Path) -> None:
    path.write_bytes(encode(_big(seed=1), None))  # a whole, valid entry of the same length


@pytest.mark.parametrize("damage", [_flip_one_byte, _truncate, _swap_for_another_value])
def test_damaged_side_file_is_a_miss_never_a_wrong_value(store: SQLiteStore, damage: Any) -> None:
    assert _corrupt_and_read(store, damage) is None
    assert _row(store, KEY) is None and _files(store) == []  # dropped: it can be stored anew
    assert store.put_if_absent(KEY, encode(_big(), None), function="f")
    np.testing.assert_array_equal(decode(store.get(KEY), None), _big())  # type: ignore[arg-type]


def test_damaged_side_file_makes_memoize_compute_again(tmp_path: Path) -> None:
    calls: list[int] = []
    url = f"sqlite:///{tmp_path / 'memo.db'}"

    def make() -> Any:
        @mg.memoize(store=url)
        def features(seed: int) -> np.ndarray:
            calls.append(seed)
            return _big(seed)

        return features

    make()(3)
    (path,) = _files(SQLiteStore(tmp_path / "memo.db"))
    _flip_one_byte(path)
    with pytest.warns(RuntimeWarning, match="damaged stored entry"):
        np.testing.assert_array_equal(make()(3), _big(3))  # "another process": recomputes
    assert calls == [3, 3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(make()(3), _big(3))  # stored again, whole
    assert calls == [3, 3]


def test_edit_that_sets_the_modification_time_back_is_still_seen(store: SQLiteStore) -> None:
    def edit_and_hide(path: Path) -> None:
        time.sleep(0.05)  # an edit comes after the commit's tick of the file system's clock
        _flip_one_byte(path)
        os.utime(path, ns=(0, 0))  # as it was published: only the change time differs now

    assert _corrupt_and_read(store, edit_and_hide) is None


def test_unchanged_file_is_not_hashed_a_replaced_one_is(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from memograd.memo.store import _side_files

    big = encode(_big(), None)
    assert store.put_if_absent(KEY, big, function="f")
    hashed: list[int] = []
    real = _side_files._checksum

    def counting(data: Any) -> bytes:
        hashed.append(len(data))
        return real(data)

    monkeypatch.setattr(_side_files, "_checksum", counting)
    assert store.get(KEY) == big and hashed == []  # its stamp vouches for it
    (path,) = _files(store)
    copy = path.with_name("copy")
    copy.write_bytes(path.read_bytes())
    os.replace(copy, path)  # same bytes, another file (as in a copied store)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert store.get(KEY) == big  # checked by its checksum, and kept
    assert hashed == [len(big)]
    assert _row(store, KEY) is not None
    assert store.get(KEY) == big and hashed == [len(big)]  # its new stamp was recorded


def test_missing_side_file_is_a_miss_and_frees_the_key(store: SQLiteStore) -> None:
    assert store.put_if_absent(KEY, encode(_big(), None), function="f")
    (path,) = _files(store)
    path.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # gone is a miss (deleted meanwhile), not damage
        assert store.get(KEY) is None
    assert _row(store, KEY) is None
    assert store.put_if_absent(KEY, encode(_big(), None), function="f")
    assert store.get(KEY) is not None


def test_every_way_out_of_the_store_removes_the_file(store: SQLiteStore) -> None:
    blob = encode(_big(), None)
    keys = [f"{i:064x}" for i in range(4)]
    for key in keys:
        assert store.put_if_absent(key, blob, function="f")
        time.sleep(0.01)
    assert len(_files(store)) == 4
    assert store.delete([keys[0]]) == 1  # delete (and so `memograd cache clear`)
    assert len(_files(store)) == 3
    assert prune(store, max_bytes=2 * len(blob)) == 1  # least recently used evicted
    assert len(_files(store)) == 2
    assert store.put_if_absent("e" * 64, blob, function="f", ttl=0.05)
    time.sleep(0.1)
    assert prune(store) == 1  # expired
    assert len(_files(store)) == 2
    assert store.put_if_absent("e" * 64, blob, function="f", ttl=0.05)
    time.sleep(0.1)
    assert store.put_if_absent("e" * 64, blob, function="f")  # replaces the expired entry
    assert len(_files(store)) == 3
    assert store.delete([*keys, "e" * 64]) == 3
    assert _files(store) == []


def test_put_of_a_present_key_leaves_no_file(store: SQLiteStore) -> None:
    assert store.put_if_absent(KEY, encode(_big(), None), function="f")
    assert not store.put_if_absent(KEY, encode(_big(seed=2), None), function="f")
    assert len(_files(store)) == 1
    np.testing.assert_array_equal(decode(store.get(KEY), None), _big())  # type: ignore[arg-type]


def test_failed_insert_leaves_no_file(store: SQLiteStore) -> None:
    with pytest.raises(sqlite3.IntegrityError):  # function NOT NULL: fails after the rename
        store.put_if_absent(KEY, encode(_big(), None), function=None)  # type: ignore[arg-type]
    assert _files(store) == [] and list(store.scan()) == []


def test_max_bytes_option_evicts_files(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'memo.db'}"
    size = len(encode(_big(), None))

    @mg.memoize(store=url, max_bytes=2 * size)
    def features(seed: int) -> np.ndarray:
        return _big(seed)

    for seed in range(5):
        features(seed)
    assert len(_files(SQLiteStore(tmp_path / "memo.db"))) == 2


_CRASH = """
import os, signal, sys
import numpy as np
from memograd.memo.store import SQLiteStore, encode
from memograd.memo.store import _side_files

when = sys.argv[2]
publish = _side_files.Staged.publish

def crashing_publish(self):
    if when == "before-rename":  # the temp file is written, the transaction is open
        os.kill(os.getpid(), signal.SIGKILL)
    publish(self)
    if when == "after-rename":  # the file has its final name, the row is not committed
        os.kill(os.getpid(), signal.SIGKILL)

_side_files.Staged.publish = crashing_publish
store = SQLiteStore(sys.argv[1])
store.put_if_absent("ab" * 32, encode(np.ones(100_000), None), function="f")
print("not killed")
"""


@pytest.mark.parametrize("when", ["before-rename", "after-rename"])
@pytest.mark.parametrize("sweep", ["prune", "cli-clear", "cli-prune"])
def test_writer_killed_between_file_and_commit_leaves_no_entry(
    tmp_path: Path, when: str, sweep: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "memo.db"
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run(
        [sys.executable, "-c", _CRASH, str(db), when], env=env, capture_output=True, text=True
    )
    assert done.returncode == -9, done.stderr  # SIGKILLed where asked
    store = SQLiteStore(db)
    assert list(store.scan()) == [] and store.get(KEY) is None  # (scan first: get heals)
    (orphan,) = _files(store)
    assert orphan.name.startswith(".tmp-") == (when == "before-rename")
    assert store.put_if_absent("cd" * 32, encode(_big(), None), function="g")  # a live entry
    if sweep == "prune":
        assert prune(store) == 0
    else:
        assert main(["cache", sweep.removeprefix("cli-"), f"sqlite:///{db}", "--json"]) == 0
        capsys.readouterr()
    live = [] if sweep == "cli-clear" else [f"cd/{'cd' * 32}"]
    assert [f"{p.parent.name}/{p.name.split('-')[0]}" for p in _files(store)] == live


def test_file_has_its_name_before_the_row_is_committed(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []
    publish = Staged.publish
    elsewhere = SQLiteStore(store.path)  # another connection, as another process has

    def watched(self: Staged) -> None:
        publish(self)
        # Another connection (a reader elsewhere) must not see the row yet, and the file
        # must already be complete under its final name.
        seen.append((elsewhere.get(KEY), self.final.stat().st_size))

    monkeypatch.setattr(Staged, "publish", watched)
    blob = encode(_big(), None)
    assert store.put_if_absent(KEY, blob, function="f")
    assert seen == [(None, len(blob))]
    assert store.get(KEY) == blob


def test_sweep_keeps_a_live_writers_temp_file(store: SQLiteStore) -> None:
    folder = store.path.with_name(store.path.name + "-values")
    staged = Staged(folder, KEY, b"x" * SIDE_FILE_MIN)  # written by this (live) process
    assert store.remove_orphans() == 0
    assert staged.tmp.exists()
    staged.discard()
    assert _files(store) == []


def test_store_made_before_side_files_is_upgraded(tmp_path: Path) -> None:
    db = tmp_path / "memo.db"
    with sqlite3.connect(db) as conn:  # the schema of the first release
        conn.execute(
            "CREATE TABLE entries (key TEXT PRIMARY KEY, function TEXT NOT NULL, value BLOB "
            "NOT NULL, size INTEGER NOT NULL, created REAL NOT NULL, last_used REAL NOT NULL, "
            "expires REAL, hits INTEGER NOT NULL)"
        )
        conn.execute("INSERT INTO entries VALUES (?, 'f', ?, 6, 0, 0, NULL, 0)", (KEY, b"MGS1N0"))
    store = SQLiteStore(db)
    assert store.get(KEY) == b"MGS1N0"
    big = encode(_big(), None)
    assert store.put_if_absent("cd" * 32, big, function="f")
    assert store.get("cd" * 32) == big


_CHURN = """
import sys, time
import numpy as np
from memograd.memo.store import SQLiteStore, encode
store = SQLiteStore(sys.argv[1])
deadline = time.monotonic() + float(sys.argv[2])
i = 0
while time.monotonic() < deadline:
    k = i % 4
    blob = encode(np.full(20_000 + 5_000 * k, k, dtype=np.float64), None)
    store.put_if_absent(f"{k:064x}", blob, function="churn")
    if i % 3 == 0:
        store.delete([f"{(k + 2) % 4:064x}"])
    i += 1
print(i)
"""


def test_readers_never_see_a_torn_value_while_other_processes_write_and_delete(
    tmp_path: Path,
) -> None:
    db = tmp_path / "memo.db"
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _CHURN, str(db), "3"], env=env, stdout=subprocess.PIPE
        )
        for _ in range(2)
    ]
    store = SQLiteStore(db)
    hits = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a torn read would show as a damaged file
        while any(w.poll() is None for w in writers):
            for k in range(4):
                blob = store.get(f"{k:064x}")
                if blob is None:
                    continue
                value = decode(blob, None)
                assert value.shape == (20_000 + 5_000 * k,) and np.all(value == k)
                hits += 1
    for w in writers:
        out, _ = w.communicate()
        assert w.returncode == 0 and int(out) > 0
    assert hits > 0
    prune(store)
    named = {e.key for e in store.scan()}
    assert {p.name.split("-")[0] for p in _files(store)} == named  # one file per entry
