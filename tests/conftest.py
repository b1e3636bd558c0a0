"""Session checks shared by every test module."""

import importlib
import os
import shutil
from collections.abc import Iterator

import pytest

from memograd.memo.store._redis_server import start_redis_server, stop_redis_server

# `make test` sets MEMOGRAD_REQUIRE=torch,onnx,onnxruntime: there the PyTorch and ONNX cross-checks
# must run, so a missing one is an error of the set-up, not a reason to skip them quietly.
REQUIRED_MODULES = [name for name in os.environ.get("MEMOGRAD_REQUIRE", "").split(",") if name]


def pytest_sessionstart(session: pytest.Session) -> None:
    for name in REQUIRED_MODULES:
        if name == "mkl":  # a wheel of shared libraries, no module: memograd must load it
            from memograd import _mkl

            if not _mkl.available():
                pytest.exit("MEMOGRAD_REQUIRE names mkl, which memograd cannot load", returncode=3)
            continue
        try:
            importlib.import_module(name)
        except ImportError as error:
            pytest.exit(
                f"MEMOGRAD_REQUIRE names {name!r}, which cannot be imported ({error}); "
                "run `make test`, which installs it",
                returncode=3,
            )


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `redis-server` on a free loopback port for this test session (stopped after).

    No persistence (`--save ''`, `--appendonly no`), working folder in a temp dir. Skipped only
    when the binary is absent (`.ci/run` installs it).
    """
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed")
    folder = tmp_path_factory.mktemp("redis")
    started = start_redis_server(binary, folder, attempts=5)
    if started is None:
        pytest.fail("could not start redis-server on a loopback port (5 attempts)")
    server, url = started
    try:
        yield url
    finally:
        stop_redis_server(server)
