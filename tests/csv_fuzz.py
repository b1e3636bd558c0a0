"""Random CSV mutations through `mg.data.load`, one JSON line per case (issue 12's fuzz).

Run by tests/test_data_csv_fuzz.py in a subprocess whose address space is capped with
``resource.setrlimit(RLIMIT_AS)`` at its size after the imports plus ``--cap-mb``, so a case
that allocates more dies with MemoryError instead of taking the machine. Run it directly for
a longer campaign::

    python tests/csv_fuzz.py --cases 20000 --seed 1 --folder /tmp/fuzz

Each case starts from one of a few small valid files and applies 1-3 mutations: byte flips,
inserted quotes, commas, line breaks, NULs and odd Unicode, huge cells, odd numbers (1e999,
0x10, 1_0, NaN, -0, 2**63 ...), blank lines, ragged rows, byte-order marks, other encodings,
truncation. The outcome is one of: ``load`` (the arrays are then checked), ``ValueError`` or
``OSError`` (with the message), or ``other`` (any other exception: a bug).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

ODD_NUMBERS = [
    "1e999", "-1e999", "1e39", "3.4028236e38", "3.4028235e38", "1e-400", "-0", "+0", "-0.0",
    "0x10", "0b1", "0o7", "1_0", "1_000", "NaN", "nan", "-nan", "inf", "-Infinity", "INF",
    ".5", "5.", ".", "", " ", "+", "-", "--1", "+-1", "1e", "1e+", "e3", "1.2.3", "1,5",
    "1 000", "0" * 1000 + "1", "9" * 400, "1" + "0" * 5000, "1e5000", "1e20",
    "100000000000000000001", "9223372036854775808", "-9223372036854775809",
    "18446744073709551616", "１２", "٣", "\u00a01", "1\u00a0", "∞", "1/2", "1j", "true",
    "None", "\x00", "é", "\ufeff1", "'1'", '"1"', "\t1\t", "1e-45", "1.4e-45", "0.1e1_0",
    "1\x1f2", "1\x1f", "\x1f1", "\x0c1", "1\x0b",
]  # fmt: skip
INSERTS = ['"', '"', ",", "\n", "\r", "\r\n", "\x00", " ", "\ufeff", "é", "\u2028", "\x85",
           "\u0301", "\U0001f600", '""', '"\n', "\\", "'", "\t", "\x1f", "\x0c"]  # fmt: skip


def base_file(rng: random.Random) -> str:
    """A small valid file: 3 features and a text, integer or real-valued target."""
    kind = rng.choice(["text", "integer", "real"])
    rows = []
    for _ in range(rng.randint(12, 40)):
        features = [f"{rng.uniform(-100, 100):.{rng.randint(0, 6)}g}" for _ in range(3)]
        target = {
            "text": rng.choice(["cat", "dog", "bird"]),
            "integer": str(rng.choice([0, 1, 2])),
            "real": f"{rng.uniform(-5, 5):.4f}",
        }[kind]
        rows.append(",".join([*features, target]))
    return "x0,x1,x2,label\n" + "\n".join(rows) + "\n"


def _cells(text: str) -> list[tuple[int, int]]:
    """(start, end) of every unquoted cell, found by splitting on commas and line breaks."""
    spans, start = [], 0
    for i, ch in enumerate(text):
        if ch in ",\n":
            spans.append((start, i))
            start = i + 1
    return spans or [(0, len(text))]


def mutate(text: str, rng: random.Random) -> tuple[bytes, list[str]]:
    """Apply 1-3 random mutations; returns the file's bytes and what was done."""
    done: list[str] = []
    encoding = "utf-8"
    for _ in range(rng.choice([1, 1, 2, 3])):
        op = rng.choice(
            ["cell", "cell", "cell", "insert", "insert", "flip", "delete", "huge", "blank",
             "ragged", "bom", "newlines", "truncate", "header", "wide", "long", "encoding",
             "quote"]
        )  # fmt: skip
        done.append(op)
        if op == "cell":
            start, end = rng.choice(_cells(text))
            text = text[:start] + rng.choice(ODD_NUMBERS) + text[end:]
        elif op == "insert":
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(INSERTS) + text[at:]
        elif op == "flip":  # flips act on the encoded bytes, below
            pass
        elif op == "delete":
            at = rng.randrange(len(text) + 1)
            text = text[:at] + text[at + rng.randint(1, 10) :]
        elif op == "huge":
            start, end = rng.choice(_cells(text))
            size = rng.choice([131_071, 131_072, 131_073, 200_000, 1_000_000])
            filler = rng.choice(["x", "9", '"', ","])
            text = text[:start] + filler * size + text[end:]
        elif op == "blank":
            lines = text.split("\n")
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(["", " ", ",,,", "\t"]))
            text = "\n".join(lines)
        elif op == "ragged":
            lines = text.split("\n")
            i = rng.randrange(len(lines))
            lines[i] = lines[i] + ",7" if rng.random() < 0.5 else lines[i].rsplit(",", 1)[0]
            text = "\n".join(lines)
        elif op == "bom":
            text = "\ufeff" * rng.randint(1, 2) + text
        elif op == "newlines":
            text = text.replace("\n", rng.choice(["\r\n", "\r", "\n\n"]))
        elif op == "truncate":
            text = text[: rng.randrange(len(text) + 1)]
        elif op == "header":
            header, _, body = text.partition("\n")
            header = rng.choice(["1,2,3,4", "x0,x0,x2,label", "x0,,x2,label", "nan,inf,-0,1e5",
                                 "x0;x1;x2;label", "x0,x1,x2", '"x0,x1",x2,label'])  # fmt: skip
            text = header + "\n" + body
        elif op == "wide":
            lines = text.split("\n")
            i = rng.randrange(len(lines))
            lines[i] = lines[i] + ",1" * rng.choice([100, 10_000])
            text = "\n".join(lines)
        elif op == "long" and done.count("long") == 1 and len(text) < 100_000:  # <= ~4,000 rows
            text = text + text.partition("\n")[2] * rng.choice([10, 100])
        elif op == "encoding":
            encoding = rng.choice(["utf-16", "latin-1", "cp1252"])
        elif op == "quote":
            start, _ = rng.choice(_cells(text))
            text = text[:start] + '"' + text[start:]
    data = text.encode(encoding, errors="replace")
    if "flip" in done and data:
        flipped = bytearray(data)
        for _ in range(done.count("flip")):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        data = bytes(flipped)
    return data, done


def check_loaded(parts: tuple[Any, ...]) -> str | None:
    """What is wrong with a successful load's arrays, or None."""
    import numpy as np

    X_train, X_test, y_train, y_test = parts
    if X_train.dtype != np.float32 or X_test.dtype != np.float32:
        return f"X dtype {X_train.dtype}"
    if not (np.isfinite(X_train).all() and np.isfinite(X_test).all()):
        return "non-finite X"
    if y_train.dtype == np.int64:
        if y_train.min() < 0 or y_test.min() < 0:
            return "negative class index"
    elif y_train.dtype != np.float32 or not np.isfinite(y_train).all():
        return f"bad targets {y_train.dtype}"
    if len(X_train) != len(y_train) or len(X_test) != len(y_test):
        return "lengths differ"
    return None


def _cap_address_space(cap_mb: int) -> int:
    """Cap this process at its current address space + cap_mb; returns the cap in MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[0])
    limit = pages * os.sysconf("SC_PAGE_SIZE") + cap_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    return limit // 2**20


def run(cases: int, seed: int, folder: Path, cap_mb: int, trace_memory: bool) -> None:
    import memograd as mg

    folder.mkdir(parents=True, exist_ok=True)
    warm = folder / "warmup.csv"
    warm.write_text(base_file(random.Random(0)))
    mg.data.load(warm)  # the lazy imports (scikit-learn) happen before the cap
    warm.unlink()
    limit_mb = _cap_address_space(cap_mb)
    print(json.dumps({"address_space_limit_mb": limit_mb}), flush=True)
    if trace_memory:
        tracemalloc.start()  # per-case peaks, at about three times the run time
    rng = random.Random(seed)
    for case in range(cases):
        content, ops = mutate(base_file(rng), rng)
        path = folder / f"case{case:05d}.csv"
        path.write_bytes(content)
        record: dict[str, Any] = {"case": case, "ops": ops, "path": str(path)}
        tracemalloc.reset_peak()
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                problem = check_loaded(mg.data.load(path, seed=0))
                record.update(outcome="load", problem=problem)
            except (ValueError, OSError) as exc:
                record.update(outcome=type(exc).__name__, message=str(exc))
            except BaseException as exc:  # every other exception is a finding
                record.update(outcome="other", message=f"{type(exc).__name__}: {exc}")
        record["seconds"] = time.perf_counter() - start
        if trace_memory:
            record["peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        record["warnings"] = [str(w.message) for w in caught]
        if record["outcome"] == "other" or record.get("problem") or record["warnings"]:
            record["content"] = content[:300].decode("latin-1")
        print(json.dumps(record), flush=True)
        path.unlink()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"done": cases, "peak_rss_mb": peak_rss_mb}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--cap-mb", type=int, default=500)
    parser.add_argument("--trace-memory", action="store_true", help="record per-case peaks")
    args = parser.parse_args()
    run(args.cases, args.seed, args.folder, args.cap_mb, args.trace_memory)


if __name__ == "__main__":
    sys.exit(main())
