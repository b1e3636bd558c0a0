"""Session checks shared by every test module."""

import importlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

# `make test` sets MEMOGRAD_REQUIRE=torch,onnx,onnxruntime: there the PyTorch and ONNX cross-checks
# must run, so a missing one is an error of the set-up, not a reason to skip them quietly.
REQUIRED_MODULES = [name for name in os.environ.get("MEMOGRAD_REQUIRE", "").split(",") if name]


def pytest_sessionstart(session: pytest.Session) -> None:
    for name in REQUIRED_MODULES:
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
    for _attempt in range(5):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(folder),
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                time.sleep(0.05)
        else:
            server.kill()
            server.wait()
            continue  # the port was taken meanwhile, or the server did not come up: retry
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        return
    pytest.fail("could not start redis-server on a loopback port (5 attempts)")
