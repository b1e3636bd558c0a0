"""`RedisStore`: one store shared by every process on every machine that reaches the server.

Layout under a prefix (default `memograd:`):

* `<prefix>v:<key>`: the entry's bytes; `<prefix>m:<key>`: a hash of its metadata
  (function, size, created, last_used, expires, hits). Both written by one Lua script,
  which Redis runs atomically: a reader sees both or neither, and a client killed while
  sending leaves nothing (Redis applies a command only once it has all of it). A TTL is
  Redis's own key expiry (`PX`) on both.
* `<prefix>lease:<key>`: the lease, taken with `SET NX PX` and renewed/released by small
  scripts that first check the owner, so a process never extends or drops another's lease.
* `<prefix>stats`: a hash of per-function hit and miss counters.

Uses the `redis` client (redis-py); its connection pool reconnects after `fork`.

Example (needs a running server):
    >>> store = RedisStore("redis://127.0.0.1:6379/0")  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from memograd._errors import invalid_value
from memograd.memo.store._protocol import Entry, Pending

_PUT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local ttl = tonumber(ARGV[5])
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
else
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('HSET', KEYS[2], 'function', ARGV[2], 'size', ARGV[3], 'created', ARGV[4],
           'last_used', ARGV[4], 'expires', ARGV[6], 'hits', 0)
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) else redis.call('PERSIST', KEYS[2]) end
return 1
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_TOUCH = """
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('HSET', key, 'last_used', ARGV[2 * i - 1])
    redis.call('HINCRBY', key, 'hits', ARGV[2 * i])
  end
end
return 0
"""


class RedisStore:
    """A memo store on a Redis server.

    Args:
        url: `redis://[:password@]host:port/db` (as `redis.Redis.from_url` takes).
        prefix: prepended to every Redis key this store uses.
    """

    def __init__(self, url: str, *, prefix: str = "memograd:") -> None:
        try:
            import redis
        except ImportError:  # pragma: no cover (redis is a dependency)
            raise ImportError("RedisStore needs the `redis` package: pip install redis") from None
        if not isinstance(url, str) or not url.startswith(("redis://", "rediss://", "unix://")):
            raise invalid_value("url", "redis://HOST:PORT/DB", url)
        self.url = url
        self.prefix = prefix
        self._redis: Any = redis.Redis.from_url(url)
        self._put = self._redis.register_script(_PUT)
        self._renew = self._redis.register_script(_RENEW)
        self._release = self._redis.register_script(_RELEASE)
        self._touch = self._redis.register_script(_TOUCH)
        self._pending = Pending(self._flush)

    def __repr__(self) -> str:
        return f"RedisStore({self.url!r})"

    def get(self, key: str) -> bytes | bytearray | None:
        value = self._redis.get(self.prefix + "v:" + key)
        if value is None:
            return None
        self._pending.use(key)
        return bytes(value)

    def put_if_absent(
        self, key: str, value: bytes, *, function: str, ttl: float | None = None
    ) -> bool:
        now = time.time()
        ttl_ms = 0 if ttl is None else max(1, round(ttl * 1000))
        expires = "" if ttl is None else repr(now + ttl)
        keys = [self.prefix + "v:" + key, self.prefix + "m:" + key]
        args: list[Any] = [value, function, len(value), repr(now), ttl_ms, expires]
        return bool(self._put(keys=keys, args=args))

    def lease(self, key: str, owner: str, seconds: float) -> bool:
        name = self.prefix + "lease:" + key
        ms = max(1, round(seconds * 1000))
        if self._redis.set(name, owner, nx=True, px=ms):
            return True
        return bool(self._renew(keys=[name], args=[owner, ms]))

    def release(self, key: str, owner: str) -> None:
        self._release(keys=[self.prefix + "lease:" + key], args=[owner])

    def delete(self, keys: Iterable[str]) -> int:
        deleted = 0
        pipe = self._redis.pipeline()
        batch = 0
        for key in keys:
            pipe.delete(self.prefix + "v:" + key)
            pipe.delete(self.prefix + "m:" + key)
            batch += 1
            if batch == 500:
                deleted += sum(pipe.execute()[::2])
                batch = 0
        if batch:
            deleted += sum(pipe.execute()[::2])
        return int(deleted)

    def scan(self) -> Iterator[Entry]:
        self._pending.flush()
        start = len(self.prefix) + 2
        names = list(self._redis.scan_iter(match=self.prefix + "m:*", count=1000))
        for i in range(0, len(names), 500):
            chunk = names[i : i + 500]
            pipe = self._redis.pipeline()
            for name in chunk:
                pipe.hgetall(name)
            for name, meta in zip(chunk, pipe.execute(), strict=True):
                if not meta:  # expired between the scan and the read
                    continue
                meta = {k.decode(): v.decode() for k, v in meta.items()}
                yield Entry(
                    key=name.decode()[start:],
                    function=meta["function"],
                    size=int(meta["size"]),
                    created=float(meta["created"]),
                    last_used=float(meta["last_used"]),
                    expires=float(meta["expires"]) if meta.get("expires") else None,
                    hits=int(meta["hits"]),
                )

    def record(self, function: str, *, hits: int = 0, misses: int = 0) -> None:
        self._pending.count(function, hits, misses)

    def counts(self) -> dict[str, tuple[int, int]]:
        self._pending.flush()
        raw = self._redis.hgetall(self.prefix + "stats")
        out: dict[str, list[int]] = {}
        for field, value in raw.items():
            function, _, which = field.decode().rpartition("\0")
            out.setdefault(function, [0, 0])[which == "misses"] += int(value)
        return {function: (h, m) for function, (h, m) in out.items()}

    def close(self) -> None:
        self._pending.flush()
        self._redis.close()

    def _flush(self, uses: dict[str, tuple[float, int]], counts: dict[str, list[int]]) -> None:
        pipe = self._redis.pipeline()
        if uses:
            keys = [self.prefix + "m:" + key for key in uses]
            args: list[Any] = []
            for when, n in uses.values():
                args += [repr(when), n]
            self._touch(keys=keys, args=args, client=pipe)
        stats = self.prefix + "stats"
        for function, (h, m) in counts.items():
            if h:
                pipe.hincrby(stats, function + "\0hits", h)
            if m:
                pipe.hincrby(stats, function + "\0misses", m)
        pipe.execute()
