"""`memograd cache stats|ls|clear|prune STORE_URL`: look into and tidy a persistent memo store."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from memograd.cli._common import CLIError, add_json_flag, console, print_json

ACTIONS = ("stats", "ls", "clear", "prune")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `cache` subcommand."""
    parser = subparsers.add_parser(
        "cache",
        help="inspect and tidy a persistent memo store (stats, ls, clear, prune)",
        description="stats: entries, bytes, hits and misses per function; ls: one line per "
        "entry (key, function, size, age, last use); clear: delete every entry, or one "
        "function's (--function); prune: delete expired entries now, then the least recently "
        "used until --max-bytes remain. STORE_URL is sqlite:///PATH or redis://HOST:PORT/DB.",
    )
    parser.add_argument("action", choices=ACTIONS, help="what to do")
    parser.add_argument("store", metavar="STORE_URL", help="sqlite:///PATH or redis://HOST:PORT/DB")
    parser.add_argument("--function", default=None, help="only this function (module.qualname)")
    parser.add_argument(
        "--max-bytes", type=int, default=None, help="prune: size to shrink the store to"
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _open(url: str) -> Any:
    from memograd.memo.store import open_store

    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :]).expanduser()
        if not path.is_file():
            raise CLIError(f"No store at {path} (STORE_URL {url!r}): the file does not exist.")
    if not url.startswith(("sqlite:///", "redis://", "rediss://", "unix://")):
        raise CLIError(
            f"STORE_URL must be sqlite:///PATH or redis://HOST:PORT/DB. Received: {url!r}"
        )
    return open_store(url)


def run(args: argparse.Namespace) -> int:
    if args.max_bytes is not None and args.max_bytes < 0:
        raise CLIError(f"--max-bytes expects an integer >= 0. Received: {args.max_bytes}")
    store = _open(args.store)
    try:
        document = _ACTIONS[args.action](store, args)
    except Exception as error:
        # A server that cannot be reached (redis.ConnectionError is not an OSError).
        if type(error).__module__.startswith("redis"):
            raise CLIError(f"Cannot use the store at {args.store}: {error}") from None
        raise
    if args.json:
        print_json(document)
    else:
        _print(args.action, document)
    return 0


def _entries(store: Any, function: str | None) -> list[Any]:
    return [e for e in store.scan() if function is None or e.function == function]


def _stats(store: Any, args: argparse.Namespace) -> dict[str, Any]:
    counts = store.counts()
    rows: dict[str, dict[str, Any]] = {}
    for entry in _entries(store, args.function):
        row = rows.setdefault(entry.function, {"entries": 0, "bytes": 0})
        row["entries"] += 1
        row["bytes"] += entry.size
    for function in counts:
        if args.function is None or function == args.function:
            rows.setdefault(function, {"entries": 0, "bytes": 0})
    functions = [
        {
            "function": name,
            **row,
            "hits": counts.get(name, (0, 0))[0],
            "misses": counts.get(name, (0, 0))[1],
        }
        for name, row in sorted(rows.items())
    ]
    return {
        "store": store.url,
        "entries": sum(f["entries"] for f in functions),
        "bytes": sum(f["bytes"] for f in functions),
        "functions": functions,
    }


def _ls(store: Any, args: argparse.Namespace) -> dict[str, Any]:
    now = time.time()
    entries = sorted(_entries(store, args.function), key=lambda e: -e.last_used)
    return {
        "store": store.url,
        "entries": [
            {
                "key": e.key,
                "function": e.function,
                "bytes": e.size,
                "age_seconds": round(now - e.created, 3),
                "last_used_seconds_ago": round(now - e.last_used, 3),
                "expires_in_seconds": None if e.expires is None else round(e.expires - now, 3),
                "hits": e.hits,
            }
            for e in entries
        ],
    }


def _clear(store: Any, args: argparse.Namespace) -> dict[str, Any]:
    from memograd.memo.store import remove_orphans

    keys = [e.key for e in _entries(store, args.function)]
    deleted = store.delete(keys)
    remove_orphans(store)
    return {"store": store.url, "function": args.function, "deleted": deleted}


def _prune(store: Any, args: argparse.Namespace) -> dict[str, Any]:
    from memograd.memo.store import prune

    deleted = prune(store, max_bytes=args.max_bytes)
    remaining = list(store.scan())
    return {
        "store": store.url,
        "deleted": deleted,
        "entries": len(remaining),
        "bytes": sum(e.size for e in remaining),
        "max_bytes": args.max_bytes,
    }


_ACTIONS = {"stats": _stats, "ls": _ls, "clear": _clear, "prune": _prune}


def _print(action: str, document: dict[str, Any]) -> None:
    from rich.table import Table

    out = console()
    if action == "stats":
        table = Table(
            title=f"{document['store']}: {document['entries']} entries, {document['bytes']:,} bytes"
        )
        for column in ("function", "entries", "bytes", "hits", "misses"):
            table.add_column(column, justify="left" if column == "function" else "right")
        for f in document["functions"]:
            table.add_row(
                f["function"],
                f"{f['entries']:,}",
                f"{f['bytes']:,}",
                f"{f['hits']:,}",
                f"{f['misses']:,}",
            )
        out.print(table)
    elif action == "ls":
        table = Table(title=f"{document['store']}: {len(document['entries'])} entries")
        for column in ("key", "function", "bytes", "age", "last use", "hits"):
            table.add_column(column, justify="left" if column in ("key", "function") else "right")
        for e in document["entries"]:
            table.add_row(
                e["key"][:16],
                e["function"],
                f"{e['bytes']:,}",
                _ago(e["age_seconds"]),
                _ago(e["last_used_seconds_ago"]),
                str(e["hits"]),
            )
        out.print(table)
    elif action == "clear":
        scope = f" of {document['function']}" if document["function"] else ""
        out.print(f"deleted {document['deleted']} entries{scope} from {document['store']}")
    else:
        out.print(
            f"pruned {document['deleted']} entries; {document['entries']} remain "
            f"({document['bytes']:,} bytes) in {document['store']}"
        )


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"
