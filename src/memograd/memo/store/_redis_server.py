"""Start and stop a throw-away `redis-server` on a free loopback port (for the RedisStore tests
and benchmarks/memo_store.py, which both need a real server; not used by the library itself)."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path


def start_redis_server(
    binary: str, folder: Path, attempts: int = 5
) -> tuple[subprocess.Popen[bytes], str] | None:
    """The server process and its ``redis://`` URL once it answers PING, or None when it did
    not come up in `attempts` tries. No persistence (``--save ''``, ``--appendonly no``); its
    working folder is `folder`."""
    for _attempt in range(attempts):
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
        return server, f"redis://127.0.0.1:{port}/0"
    return None


def stop_redis_server(server: subprocess.Popen[bytes]) -> None:
    """Terminate `server`, killing it if it has not exited after 10 s."""
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
