"""`SQLiteStore`: the embedded default, one file shared by every process on one machine.

* Nothing torn: the database is in WAL mode and every write is one transaction, so a
  process killed at any instant, mid-write included, leaves each entry whole or absent;
  concurrent writers are serialised by SQLite's lock (`busy_timeout` waits for it).
  `synchronous=NORMAL`: a committed entry survives a crash of the process; after a power
  loss the last transactions may be missing (never torn).
* Leases: `lease()` is one `BEGIN IMMEDIATE` transaction on the key's row of `leases`
  (owner, expiry): it takes the row if absent or expired, renews it if the owner matches.
* One connection per thread and per process (a connection never crosses a `fork`).
* Large values (`SIDE_FILE_MIN` bytes and up) live in files beside the database
  (`<db>-values/`), one checked `read` per hit; see `_side_files` for why a reader never
  sees a row without its whole file, nor an altered file's bytes.
* Local file systems only: SQLite's locks are not reliable over NFS/SMB. Share across
  machines with `RedisStore`.

Tables: `entries(key, function, value, size, created, last_used, expires, hits, file,
checksum, stamp)` (the last three set, `value` empty, for a value in a side file),
`leases(key, owner, expires)`, `stats(function, hits, misses)`.

Example:
    >>> import tempfile, os
    >>> store = SQLiteStore(os.path.join(tempfile.mkdtemp(), "memo.db"))
    >>> store.put_if_absent("k" * 64, b"MGS1N0", function="f"), store.get("k" * 64)
    (True, b'MGS1N0')
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

from memograd.memo.store._protocol import Entry, Pending
from memograd.memo.store._side_files import SIDE_FILE_MIN, SideFileCorrupt, SideFiles

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY, function TEXT NOT NULL, value BLOB NOT NULL, size INTEGER NOT NULL,
    created REAL NOT NULL, last_used REAL NOT NULL, expires REAL, hits INTEGER NOT NULL,
    file TEXT, checksum BLOB, stamp TEXT
);
CREATE INDEX IF NOT EXISTS entries_function ON entries(function);
CREATE TABLE IF NOT EXISTS leases (key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires REAL);
CREATE TABLE IF NOT EXISTS stats (
    function TEXT PRIMARY KEY, hits INTEGER NOT NULL, misses INTEGER NOT NULL
);
"""

BUSY_TIMEOUT_S = 60.0
_CHUNK = 65536
_GET = (  # the value itself only when small; larger ones are read by `_read_large`
    "SELECT expires, CASE WHEN size <= 16384 THEN value END, file, size, checksum, stamp "
    "FROM entries WHERE key = ?"
)


class SQLiteStore:
    """A memo store in one SQLite file (created with its folder if missing).

    Args:
        path: the database file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        if not isinstance(path, str | os.PathLike) or not str(path):
            raise TypeError(
                f"Received an invalid value for `path`, expected a file path. Received: {path!r}"
            )
        self.path = Path(path).expanduser().resolve()
        self.url = f"sqlite:///{self.path}"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._files = SideFiles(self.path.with_name(self.path.name + "-values"))
        self._local = threading.local()
        self._pending = Pending(self._flush)
        conn = self._conn()
        with _immediate(conn):
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            columns = {row[1] for row in conn.execute("PRAGMA table_info(entries)")}
            # A store made before side files gets their columns.
            for column in ("file TEXT", "checksum BLOB", "stamp TEXT"):
                if column.split()[0] not in columns:
                    conn.execute(f"ALTER TABLE entries ADD COLUMN {column}")

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    def _conn(self) -> sqlite3.Connection:
        local = self._local
        pid = os.getpid()
        if getattr(local, "pid", None) != pid:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=True
            )
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            local.conn, local.pid = conn, pid
        conn = local.conn
        assert isinstance(conn, sqlite3.Connection)
        return conn

    # -- the protocol -------------------------------------------------------------------

    def get(self, key: str) -> bytes | bytearray | None:
        conn = self._conn()
        row = conn.execute(_GET, (key,)).fetchone()
        if row is None:
            return None
        expires, value, file, size, checksum, stamp = row
        if expires is not None and expires <= time.time():
            return None
        if file is not None:
            value = self._read_file(key, file, size, checksum, stamp)
            if value is None:
                return None
        elif value is None:  # a large value: read through the blob API (below)
            value = self._read_large(conn, key)
            if value is None:
                return None
        self._pending.use(key)
        return value

    def _read_file(
        self, key: str, file: str, size: int, checksum: bytes, stamp: str
    ) -> bytearray | None:
        try:
            value, changed = self._files.read(file, size, checksum, stamp)
            if changed is not None:  # verified by its checksum: trust the new stamp
                with _immediate(self._conn()) as conn:
                    conn.execute(
                        "UPDATE entries SET stamp = ? WHERE key = ? AND file = ?",
                        (changed, key, file),
                    )
            return value
        except FileNotFoundError:
            # Deleted since our SELECT (a miss, as the entry is now), or removed by hand:
            # then the row is dropped so the key can be computed and stored again.
            self._drop(key, file)
        except SideFileCorrupt as error:
            warnings.warn(
                f"memograd: dropping the damaged stored entry {key} ({error}); it will be "
                "computed again.",
                RuntimeWarning,
                stacklevel=4,
            )
            self._drop(key, file)
        return None

    def _drop(self, key: str, file: str) -> None:
        """Delete the entry `key` if it is still the one kept in `file`, and the file."""
        conn = self._conn()
        with _immediate(conn):
            conn.execute("DELETE FROM entries WHERE key = ? AND file = ?", (key, file))
        self._files.remove([file])

    def _read_large(self, conn: sqlite3.Connection, key: str) -> bytearray | None:
        # SQLite's incremental blob I/O reads a large value several times faster than a
        # SELECT of it. Row lookup and read happen in one read transaction (a WAL snapshot),
        # so a concurrent delete cannot hand us another row's bytes.
        conn.execute("BEGIN")
        try:
            row = conn.execute("SELECT rowid FROM entries WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            with conn.blobopen("entries", "value", row[0], readonly=True) as blob:
                # Read in chunks into one bytearray: the decoder makes arrays views into it
                # (writable, no second copy), and no 1 MiB temporary is allocated per chunk.
                out = bytearray(len(blob))
                for start in range(0, len(out), _CHUNK):
                    out[start : start + _CHUNK] = blob.read(_CHUNK)
                return out
        finally:
            conn.execute("COMMIT")

    def put_if_absent(
        self, key: str, value: bytes, *, function: str, ttl: float | None = None
    ) -> bool:
        # A large value is written to its temporary file before the lock is taken, and
        # given its name inside the transaction that inserts its row (`_side_files`).
        staged = self._files.stage(key, value) if len(value) >= SIDE_FILE_MIN else None
        now = time.time()
        expires = None if ttl is None else now + ttl
        conn = self._conn()
        inserted = committed = False
        expired: list[str] = []
        try:
            with _immediate(conn):
                expired = _files_of(
                    conn,
                    "SELECT file FROM entries WHERE key = ? AND expires IS NOT NULL "
                    "AND expires <= ?",
                    (key, now),
                )
                conn.execute(
                    "DELETE FROM entries WHERE key = ? AND expires IS NOT NULL AND expires <= ?",
                    (key, now),
                )
                if conn.execute("SELECT 1 FROM entries WHERE key = ?", (key,)).fetchone() is None:
                    if staged is not None:
                        staged.publish()
                    conn.execute(
                        "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
                        (
                            key,
                            function,
                            value if staged is None else b"",
                            len(value),
                            now,
                            now,
                            expires,
                            None if staged is None else staged.name,
                            None if staged is None else staged.checksum,
                            None if staged is None else staged.stamp,
                        ),
                    )
                    inserted = True
            committed = True
        finally:
            if staged is not None and not (committed and inserted):
                staged.discard()  # another entry was there first, or the write failed
            if committed:
                self._files.remove(expired)
        return inserted

    def lease(self, key: str, owner: str, seconds: float) -> bool:
        now = time.time()
        conn = self._conn()
        with _immediate(conn):
            row = conn.execute("SELECT owner, expires FROM leases WHERE key = ?", (key,)).fetchone()
            if row is not None and row[0] != owner and row[1] > now:
                return False
            conn.execute(
                "INSERT OR REPLACE INTO leases VALUES (?, ?, ?)", (key, owner, now + seconds)
            )
            return True

    def release(self, key: str, owner: str) -> None:
        conn = self._conn()
        with _immediate(conn):
            conn.execute("DELETE FROM leases WHERE key = ? AND owner = ?", (key, owner))

    def delete(self, keys: Iterable[str]) -> int:
        conn = self._conn()
        deleted = 0
        files: list[str] = []
        with _immediate(conn):
            for key in keys:
                files += _files_of(conn, "SELECT file FROM entries WHERE key = ?", (key,))
                deleted += conn.execute("DELETE FROM entries WHERE key = ?", (key,)).rowcount
        self._files.remove(files)  # after the commit: no row names them any more
        return deleted

    def remove_orphans(self) -> int:
        """Delete side files that no entry names (a writer died before its commit);
        returns how many. Run by `prune` and `memograd cache clear|prune`."""
        conn = self._conn()
        with _immediate(conn):  # no writer can publish a file meanwhile
            names = set(_files_of(conn, "SELECT file FROM entries", ()))
            return self._files.sweep(names)

    def scan(self) -> Iterator[Entry]:
        self._pending.flush()
        rows = self._conn().execute(
            "SELECT key, function, size, created, last_used, expires, hits FROM entries"
        )
        for row in rows.fetchall():
            yield Entry(*row)

    def record(self, function: str, *, hits: int = 0, misses: int = 0) -> None:
        self._pending.count(function, hits, misses)

    def counts(self) -> dict[str, tuple[int, int]]:
        self._pending.flush()
        rows = self._conn().execute("SELECT function, hits, misses FROM stats").fetchall()
        return {function: (hits, misses) for function, hits, misses in rows}

    def close(self) -> None:
        self._pending.flush()
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            conn.close()
        self._local = threading.local()

    def _flush(self, uses: dict[str, tuple[float, int]], counts: dict[str, list[int]]) -> None:
        conn = self._conn()
        with _immediate(conn):
            conn.executemany(
                "UPDATE entries SET last_used = max(last_used, ?), hits = hits + ? WHERE key = ?",
                [(when, n, key) for key, (when, n) in uses.items()],
            )
            conn.executemany(
                "INSERT INTO stats VALUES (?, ?, ?) ON CONFLICT(function) DO UPDATE SET "
                "hits = hits + excluded.hits, misses = misses + excluded.misses",
                [(function, h, m) for function, (h, m) in counts.items()],
            )


def _files_of(conn: sqlite3.Connection, query: str, args: tuple[object, ...]) -> list[str]:
    """The side-file names among the rows `query` selects (its one column is `file`)."""
    return [row[0] for row in conn.execute(query, args) if row[0] is not None]


class _immediate:
    """`with _immediate(conn):` one write transaction (BEGIN IMMEDIATE ... COMMIT/ROLLBACK)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind: object, error: object, tb: object) -> None:
        self.conn.execute("COMMIT" if kind is None else "ROLLBACK")
