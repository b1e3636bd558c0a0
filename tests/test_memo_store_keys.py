"""Store keys: the same call gives the same key in another interpreter and hash seed; equal
arguments (as the in-process cache sees them) share a key; unkeyable arguments are refused."""

from __future__ import annotations

import enum
import json
import os
import subprocess
import sys
from collections import namedtuple
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pytest

import memograd
import memograd as mg
from memograd.memo.store._stable_key import digest

SRC = str(Path(memograd.__file__).resolve().parent.parent)

_KEYS_SCRIPT = """
import json, sys
import numpy as np
import memograd as mg

@mg.memoize(store=sys.argv[1])
def f(a, b=None, *rest, **named):
    return 0

args = [
    ("text", {"z": 1, "a": [1.5, "é", b"\\x00"]}),
    (frozenset({"x", "y", "zz"}), {"s": {3, 1, 2}}),
    (np.arange(12, dtype=np.float32).reshape(3, 4).T, np.int64(5)),
]
print(json.dumps([f.cache_key(*a) for a in args] + [f.cache_key(1, 2, 3, k="v", j=None)]))
"""


def _keys_in_subprocess(tmp_path: Path, seed: str) -> list[str]:
    script = tmp_path / "keys.py"
    script.write_text(_KEYS_SCRIPT)
    env = dict(os.environ, PYTHONHASHSEED=seed)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, str(script), f"sqlite:///{tmp_path / 'k.db'}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    keys: list[str] = json.loads(out)
    return keys


def test_keys_equal_across_interpreters_and_hash_seeds(tmp_path: Path) -> None:
    first = _keys_in_subprocess(tmp_path, "1")
    second = _keys_in_subprocess(tmp_path, "2")
    assert len(first) == 4 and len(set(first)) == 4
    assert all(len(k) == 64 and int(k, 16) >= 0 for k in first)
    # str hashes, set and dict iteration orders differ between these seeds; keys must not.
    assert first == second


def test_equal_arguments_share_a_key() -> None:
    a = np.arange(6.0).reshape(2, 3)
    assert digest(a) == digest(np.asfortranarray(a)) == digest(a.T.copy().T)
    assert digest(a) != digest(a.reshape(3, 2))  # shape is part of the key
    assert digest(a) != digest(a.astype(np.float32))  # and dtype
    assert digest([1, 2.0, True]) == digest([1.0, 2, 1]) == digest([np.int8(1), 2, 1.0])
    assert digest({"a": 1, "b": [2]}) == digest({"b": [2], "a": 1})
    assert digest({3, 1, 2}) == digest(frozenset({1, 2, 3}))
    assert digest([1, 2]) != digest((1, 2))  # list and tuple stay apart, as in process
    assert digest(0.5) != digest(0.25) and digest(-0.0) == digest(0.0)
    Point = namedtuple("Point", "x y")
    assert digest(Point(1, 2)) == digest((1, 2))  # they are == in process too
    assert digest(1, typed=True) != digest(1.0, typed=True)
    assert digest("a") != digest(b"a")


def test_call_key_binds_the_signature(tmp_path: Path) -> None:
    @mg.memoize(store=f"sqlite:///{tmp_path / 'k.db'}")
    def f(n: int, scale: float = 2.0, *, mode: str = "x") -> float:
        return n * scale

    k = f.cache_key(5)
    assert f.cache_key(n=5) == f.cache_key(5, 2.0) == f.cache_key(5, mode="x") == k
    assert f.cache_key(5, 3.0) != k and f.cache_key(5, mode="y") != k


def test_typed_respected(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"

    @mg.memoize(store=url, typed=True)
    def g(x: Any) -> Any:
        return x

    @mg.memoize(store=url)
    def h(x: Any) -> Any:
        return x

    assert g.cache_key(1) != g.cache_key(1.0)
    assert h.cache_key(1) == h.cache_key(1.0)


class Color(enum.Enum):
    RED = 1


def test_enum_and_paths_are_keyable() -> None:
    assert digest(Color.RED) == digest(Color.RED)
    assert digest(PurePosixPath("a/b")) != digest("a/b")


def test_unkeyable_argument_is_refused_naming_it(tmp_path: Path) -> None:
    @mg.memoize(store=f"sqlite:///{tmp_path / 'k.db'}")
    def train(data: Any, config: Any) -> int:
        return 1

    class Config:
        pass

    with pytest.raises(TypeError, match=r"argument `config` of type Config .*no stable key"):
        train([1, 2], Config())
    with pytest.raises(TypeError, match=r"argument `data` of type list \(at data\[1\]\)"):
        train([1, object()], 2)
    # A hashable object is fine in process but has no meaning in another process.
    with pytest.raises(TypeError, match="argument `data`"):
        train(lambda: 0, 1)


def test_key_function_value_is_keyed_stably(tmp_path: Path) -> None:
    @mg.memoize(store=f"sqlite:///{tmp_path / 'k.db'}", key=lambda model, n: n)
    def evaluate(model: Any, n: int) -> int:
        return n

    assert evaluate(object(), 3) == 3
    assert evaluate.cache_key(object(), 3) == evaluate.cache_key(None, 3)
