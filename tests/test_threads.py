"""The BLAS thread policy: mg.set_num_threads / mg.get_num_threads, the default, the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from threadpoolctl import threadpool_info

import memograd as mg
from memograd import _threads

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _blas_threads() -> list[int]:
    """What the BLAS libraries themselves report (not memograd's own bookkeeping), leaving
    out a pool held at one thread for the fused passes (SciPy's: tests/test_fused_step.py) and
    MKL's, sequential by design (memograd._mkl: it serves the one-thread policy only)."""
    held = _threads._single
    return [
        int(p["num_threads"])
        for p in threadpool_info()
        if p["user_api"] == "blas" and p["filepath"] not in held and p["internal_api"] != "mkl"
    ]


@pytest.fixture
def restore_threads() -> Iterator[None]:
    before = mg.get_num_threads()
    yield
    mg.set_num_threads(before)


@pytest.mark.usefixtures("restore_threads")
def test_set_then_get_round_trips_and_reaches_the_blas() -> None:
    if not _blas_threads():
        pytest.skip("NumPy has no BLAS that threadpoolctl can see")
    for n in (2, 1, 3):
        mg.set_num_threads(n)
        assert mg.get_num_threads() == n
        assert set(_blas_threads()) == {n}  # the library's own count, read back


@pytest.mark.parametrize("bad", [0, -2])
def test_non_positive_counts_raise_value_error_naming_n(bad: int) -> None:
    before = mg.get_num_threads()
    with pytest.raises(ValueError, match=rf"`n`, expected a positive integer\. Received: n={bad}"):
        mg.set_num_threads(bad)
    assert mg.get_num_threads() == before  # nothing changed


@pytest.mark.parametrize("bad", [1.5, "2", True, None])
def test_non_integers_raise_type_error_naming_n(bad: object) -> None:
    with pytest.raises(TypeError, match=r"`n`, expected a positive integer\. Received: n="):
        mg.set_num_threads(bad)  # type: ignore[arg-type]


def _fresh(env_value: str | None) -> subprocess.CompletedProcess[str]:
    """A new interpreter importing memograd with $MEMOGRAD_NUM_THREADS set (or unset)."""
    env = {k: v for k, v in os.environ.items() if k != "MEMOGRAD_NUM_THREADS"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH")) if p)
    if env_value is not None:
        env["MEMOGRAD_NUM_THREADS"] = env_value
    code = (
        "import memograd as mg; from threadpoolctl import threadpool_info;"
        "print(mg.get_num_threads(),"
        " sorted({p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'}))"
    )
    return subprocess.run(
        [sys.executable, "-W", "always", "-c", code], env=env, capture_output=True, text=True
    )


def test_import_applies_one_thread_by_default_and_the_variable_overrides_it() -> None:
    if not _blas_threads():
        pytest.skip("NumPy has no BLAS that threadpoolctl can see")
    default = _fresh(None)
    assert default.returncode == 0, default.stderr
    assert default.stdout.split() == ["1", "[1]"]
    two = _fresh("2")
    assert two.returncode == 0, two.stderr
    assert two.stdout.split() == ["2", "[2]"]


def test_an_invalid_variable_warns_and_keeps_the_default() -> None:
    done = _fresh("many")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "1"
    assert "Ignoring MEMOGRAD_NUM_THREADS='many': expected a positive integer" in done.stderr
