"""Fuzzing `mg.nn.load`: 1,200 seeded mutations of a valid model file, under a memory cap.

Mutations: bytes (flips, truncations, header-length edits, digit edits inside the header,
junk, zeroed ranges) and JSON fields of the memograd document (wrong types, Infinity, NaN,
huge numbers, deep nesting, long strings, missing and unknown fields, duplicated layers),
half of the latter with a recomputed checksum so they reach the schema, some loaded with
``verify=False``. Every outcome must be a load (and then a working `predict`) or a
`ValueError`/`OSError` whose message names the file.

The loads run in a subprocess whose address space is capped (RLIMIT_AS) at its size after
setup plus 500 MB, so a load that tries to allocate more fails with MemoryError, which the
test reports as a failure. Each case's time and traced peak memory are recorded; run this
file directly (``python tests/nn/test_model_file_fuzz.py OUT.json``) to see them.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

CASES = 1200
SEED = 20240512
HEADROOM = 500 * 2**20  # bytes of address space a load may add

_DEEP = "[" * 200_000 + "]" * 200_000
_WRONG = ["x", 7, -1, 0, 1.5, True, False, None, [], {}, [1, 2], {"a": 1}, "relu", [None]]
_SPECIAL = {"__INF__": "Infinity", "__NINF__": "-Infinity", "__NAN__": "NaN", "__BIG__": "1e400"}
_SPECIAL["__DEEP__"] = _DEEP


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every node of a JSON value, as a path of keys and indices (the root excluded)."""
    if not isinstance(value, dict | list):
        return []
    found: list[tuple[Any, ...]] = []
    for key, child in value.items() if isinstance(value, dict) else enumerate(value):
        found.append((*path, key))
        found.extend(_paths(child, (*path, key)))
    return found


def _parent(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        document = document[key]
    return document


def _mutate_document(document: dict[str, Any], rng: np.random.Generator) -> bool:
    """Change one node of `document` in place; True if it still encodes as plain JSON."""
    paths = _paths(document)
    path = paths[rng.integers(len(paths))]
    parent, key = _parent(document, path), path[-1]
    old = parent[key]
    op = rng.integers(11)
    if op == 10:  # declare other (say huge) layers than the tensors hold
        architecture = document["metadata"]["architecture"]
        width = [12_000, 50_000, 9, 1][rng.integers(4)]
        if rng.random() < 0.25:
            architecture["input_shape"][1] = width
        else:
            architecture["layers"][[1, 3][rng.integers(2)]]["config"]["units"] = width
    elif op == 0:
        parent[key] = _WRONG[rng.integers(len(_WRONG))]
    elif op == 1:
        parent[key] = ["__INF__", "__NINF__", "__NAN__", "__BIG__"][rng.integers(4)]
        return False
    elif op == 2:
        parent[key] = [10**30, 2**64, -(2**63), 1e308, -1e308, 2**53 + 1][rng.integers(6)]
    elif op == 3:
        parent[key] = "__DEEP__"
        return False
    elif op == 4:
        del parent[key]  # a missing field, or a list one item shorter
    elif op == 5 and isinstance(old, dict):
        old[f"unknown_{rng.integers(100)}"] = 1
    elif op == 6:
        parent[key] = "y" * 100_000
    elif op == 7 and isinstance(old, list) and old:
        old.append(old[rng.integers(len(old))])  # e.g. one more layer
    elif op == 8 and isinstance(old, int) and not isinstance(old, bool):
        parent[key] = [old + 1, old - 1, old * 1000, -old, 12_000][rng.integers(5)]
    elif op == 9 and isinstance(old, float):
        parent[key] = [old * 2, -old, 0.0, 1.0][rng.integers(4)]
    else:
        parent[key] = _WRONG[rng.integers(len(_WRONG))]
    return True


def _assemble(header: dict[str, Any], data: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + data


def _mutation(
    base: bytes, tensors: dict[str, np.ndarray], rng: np.random.Generator
) -> tuple[str, bytes, bool]:
    """(kind, file bytes, verify) for one seeded case; `tensors` are the base file's."""
    from memograd.nn._fileformat import _checksum

    n = int.from_bytes(base[:8], "little")
    header = json.loads(base[8 : 8 + n])
    data = base[8 + n :]
    kind = ["flip", "truncate", "length", "digits", "junk", "zeros", "json", "json", "json"][
        rng.integers(9)
    ]
    verify = bool(rng.random() < 0.8)
    out = bytearray(base)
    if kind == "flip":
        for _ in range(rng.integers(1, 9)):
            at = rng.integers(8 + n if rng.random() < 0.7 else len(out))
            if rng.random() < 0.5:
                out[at] ^= int(rng.integers(1, 256))
            else:  # stays ASCII, so the header often still decodes
                out[at] = int(rng.integers(32, 127))
    elif kind == "truncate":
        del out[rng.integers(len(out)) :]
    elif kind == "length":
        choices = [0, 1, n - 1, n + 1, len(base), 2**63, 2**64 - 1, int(rng.integers(2**32))]
        out[:8] = choices[rng.integers(len(choices))].to_bytes(8, "little")
    elif kind == "digits":  # keeps the JSON valid: shapes, offsets, units, epochs change
        digits = [m.start() for m in re.finditer(rb"[0-9]", bytes(out[8 : 8 + n]))]
        for _ in range(rng.integers(1, 4)):
            out[8 + digits[rng.integers(len(digits))]] = ord("0") + int(rng.integers(10))
    elif kind == "junk":
        low = 0 if rng.random() < 0.5 else 32  # raw bytes, or printable ASCII
        junk = rng.integers(low, 127 + (low == 0) * 129, int(rng.integers(1, 1000)), np.uint8)
        at = len(out) if rng.random() < 0.5 else int(rng.integers(8, 8 + n))
        out[at:at] = junk.tobytes()
    elif kind == "zeros":
        start = int(rng.integers(len(out)))
        end = min(len(out), start + int(rng.integers(1, 200)))
        out[start:end] = bytes(end - start)
    else:
        document = json.loads(header["__metadata__"]["memograd"])
        plain = _mutate_document(document, rng)
        if plain and rng.random() < 0.5:
            document["sha256"] = _checksum(document, tensors)  # so it reaches the schema
        text = json.dumps(document)
        for token, replacement in _SPECIAL.items():
            text = text.replace(f'"{token}"', replacement)
        header["__metadata__"]["memograd"] = text
        return kind, _assemble(header, data), verify
    return kind, bytes(out), verify


def _base_file(folder: Path) -> tuple[Path, np.ndarray]:
    import memograd as mg

    rng = np.random.default_rng(0)
    X = (rng.standard_normal((120, 5)) * 3 + 1).astype(np.float32)
    y = rng.integers(0, 3, 120)
    norm = mg.nn.Normalization()
    norm.adapt(X)
    layers = [norm, mg.nn.Dense(8, activation="relu"), mg.nn.Dropout(0.2), mg.nn.Dense(3)]
    model = mg.nn.Sequential(layers, seed=1)
    schedule = mg.nn.schedules.ExponentialDecay(1e-2, decay_steps=10, decay_rate=0.9)
    model.compile(loss="cross_entropy", optimizer=mg.optim.Adam(schedule), metrics=["accuracy"])
    model.fit(X, y, epochs=2, batch_size=32, validation_split=0.2, verbose=0)
    model.info = {"dataset": "fuzz", "classes": ["a", "b", "c"], "seed": 0, "test_size": 0.2}
    path = folder / "base.safetensors"
    model.save(path)
    return path, X[:4]


def _vm_bytes() -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmSize:\s+(\d+) kB", status)[1]) * 1024  # type: ignore[index]


def worker(out: Path, cases: int = CASES) -> None:
    """Run every case under the memory cap and write one JSON record per case to `out`."""
    np.seterr(all="ignore")  # predict on garbage weights loaded with verify=False
    import resource
    import time
    import tracemalloc

    import memograd as mg
    from memograd.nn._fileformat import load_model_file

    folder = out.parent / "cases"
    folder.mkdir(exist_ok=True)
    base_path, X = _base_file(folder)
    base = base_path.read_bytes()
    tensors, _ = load_model_file(base_path)
    mg.nn.load(base_path).predict(X)  # every import done before the cap is measured
    cap = _vm_bytes() + HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (cap, resource.getrlimit(resource.RLIMIT_AS)[1]))
    tracemalloc.start()
    records = []
    path = folder / "case.safetensors"
    for case in range(cases):
        rng = np.random.default_rng([SEED, case])
        kind, content, verify = _mutation(base, tensors, rng)
        path.write_bytes(content)
        tracemalloc.reset_peak()
        start = time.perf_counter()
        try:
            mg.nn.load(path, verify=verify).predict(X)
            outcome, message = "loaded", ""
        except (ValueError, OSError) as error:
            outcome = "ValueError" if isinstance(error, ValueError) else "OSError"
            message = str(error)
        except BaseException as error:  # everything else is a finding
            outcome, message = f"unexpected {type(error).__name__}", str(error)[:300]
        seconds = time.perf_counter() - start
        records.append(
            {
                "case": case,
                "kind": kind,
                "verify": verify,
                "outcome": outcome,
                "names_file": str(path) in message,
                "message": message[:300],
                "seconds": seconds,
                "traced_peak": tracemalloc.get_traced_memory()[1],
            }
        )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    summary = {"cap": cap, "max_rss_kb": usage.ru_maxrss, "vm_peak": _vm_bytes()}
    out.write_text(json.dumps({"summary": summary, "records": records}))


def test_every_mutation_loads_or_raises_a_named_value_or_os_error(tmp_path: Path) -> None:
    out = tmp_path / "fuzz.json"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, __file__, str(out)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    records = json.loads(out.read_text())["records"]
    assert len(records) == CASES >= 1000
    unexpected = [r for r in records if r["outcome"] not in ("loaded", "ValueError", "OSError")]
    assert not unexpected, unexpected[:5]
    unnamed = [r for r in records if r["outcome"] != "loaded" and not r["names_file"]]
    assert not unnamed, unnamed[:5]
    assert max(r["traced_peak"] for r in records) < HEADROOM
    # The mutations reach every layer of the checks (not, say, only the checksum).
    messages = Counter()
    for r in records:
        for needle in ("invalid field", "sha256", "truncated", "not valid JSON", "nested more"):
            messages[needle] += needle in r["message"]
        messages["loaded"] += r["outcome"] == "loaded"
        messages["architecture"] += "does not match its architecture" in r["message"]
    assert min(messages.values()) >= 10, messages


if __name__ == "__main__":
    worker(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else CASES)
    records = json.loads(Path(sys.argv[1]).read_text())
    if len(sys.argv) > 2:  # a manual run: print the numbers
        rows = records["records"]
        slowest = max(rows, key=lambda r: r["seconds"])
        print(json.dumps(records["summary"]))
        print("max seconds", slowest["seconds"], slowest["kind"], slowest["outcome"])
        print("max traced MB", max(r["traced_peak"] for r in rows) / 2**20)
        print(Counter(r["outcome"] for r in rows), Counter(r["kind"] for r in rows))
        print("mean ms", 1000 * math.fsum(r["seconds"] for r in rows) / len(rows))
