"""Code fingerprints: what a function does, transitively over the user's own code."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import memograd as mg
from memograd.memo import fingerprint

BASE = """
import numpy as np
import memograd as mg

SCALE = 3

def helper(x):
    return x * SCALE

def make_adder(k):
    def add(x):
        return x + k
    return add

adder = make_adder(1)

@mg.memoize
def cached_helper(x):
    return x - 1

def target(x):
    y = helper(x) + adder(x) + cached_helper(x)
    return np.sum([y, 2.5])
"""

_counter = iter(range(10**6))


@pytest.fixture
def load(tmp_path: Path) -> Iterator[Callable[[str], Any]]:
    """Import `source` as a fresh module (same name each time, as an edited file would be)."""
    name = f"fp_module_{next(_counter)}"

    def _load(source: str) -> Any:
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    yield _load
    sys.modules.pop(name, None)


def _digest(load: Callable[[str], Any], source: str) -> str:
    return fingerprint(load(source).target).digest


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s.replace("def target(x):", "# a comment\n\n\ndef target(x):  # more\n"),
        lambda s: s.replace("def target(x):\n", 'def target(x):\n    """Docs."""\n'),
        lambda s: "\n\n\n" + s.replace("return x * SCALE", "return (x *\n            SCALE)"),
        lambda s: s.replace("def helper(x):\n", 'def helper(x):\n    "helper docs"\n'),
    ],
    ids=["comments", "docstring", "moved-and-reformatted", "helper-docstring"],
)
def test_cosmetic_edits_keep_the_fingerprint(load: Callable[[str], Any], edit: Any) -> None:
    assert _digest(load, BASE) == _digest(load, edit(BASE))


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s.replace("[y, 2.5]", "[y, 2.75]"),  # a constant of the function
        lambda s: s.replace("x * SCALE", "x * SCALE * 2"),  # a helper's body (global)
        lambda s: s.replace("SCALE = 3", "SCALE = 4"),  # a global constant it reads
        lambda s: s.replace("return x + k", "return x + k + 1"),  # a helper in a closure
        lambda s: s.replace("adder = make_adder(1)", "adder = make_adder(2)"),  # closure value
        lambda s: s.replace("return x - 1", "return x - 2"),  # a memoized helper
        lambda s: s.replace("helper(x) + adder", "helper(x) - adder"),  # an operation
    ],
    ids=["constant", "helper", "global", "closure", "closure-value", "memoized", "operator"],
)
def test_semantic_edits_change_the_fingerprint(load: Callable[[str], Any], edit: Any) -> None:
    assert _digest(load, BASE) != _digest(load, edit(BASE))


def test_helpers_reached_through_a_user_module(load: Callable[[str], Any], tmp_path: Path) -> None:
    helpers = tmp_path / "fp_helpers_mod.py"
    helpers.write_text("def prep(x):\n    return x + 1\n")
    sys.path.insert(0, str(tmp_path))
    try:
        source = "import fp_helpers_mod\n\ndef target(x):\n    return fp_helpers_mod.prep(x)\n"
        before = _digest(load, source)
        helpers.write_text("def prep(x):\n    return x + 2\n")
        sys.modules.pop("fp_helpers_mod")
        after = _digest(load, source)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("fp_helpers_mod", None)
    assert before != after


def test_installed_packages_go_in_by_version(load: Callable[[str], Any]) -> None:
    fp = fingerprint(load(BASE).target)
    kinds = {(p.kind, p.name) for p in fp.parts}
    assert ("package", "numpy") in kinds
    numpy_part = next(p for p in fp.parts if p.name == "numpy")
    assert numpy_part.detail.endswith(np.__version__)
    # numpy's own functions are not walked; the user's are, once each.
    functions = [p.name for p in fp.parts if p.kind == "function"]
    assert all(name.startswith("fp_module_") for name in functions)
    assert len(functions) == len(set(functions)) == 4  # target, helper, add, cached_helper
    assert "fingerprint" in str(fp) and fp.digest[:16] in str(fp)


def test_recursion_is_followed_once() -> None:
    @mg.memoize
    def fib(n: int) -> int:
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    fp = fingerprint(fib)
    assert [p.kind for p in fp.parts].count("function") == 1


def test_fingerprint_refuses_non_functions() -> None:
    with pytest.raises(TypeError, match="expected a Python function"):
        fingerprint(len)


def test_mutable_globals_are_listed_but_not_keyed(load: Callable[[str], Any]) -> None:
    source = "HISTORY = [1, 2]\nLIMIT = (1, 2)\n\ndef target(x):\n    return len(HISTORY) + x\n"
    module = load(source)
    fp = fingerprint(module.target)
    (part,) = [p for p in fp.parts if p.name.endswith(".HISTORY")]
    assert "not part of the key" in part.detail
    module.HISTORY.append(3)  # the program appends as it runs: keys must not move
    assert fingerprint(module.target).digest == fp.digest
