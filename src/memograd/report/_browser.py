"""Open a page in headless Chromium and check it as a reader would: images, console, screenshot.

Talks to Chromium over its DevTools protocol through a pipe (``--remote-debugging-pipe``:
JSON messages separated by NUL bytes on file descriptors 3 and 4), so it needs nothing but
the standard library and a `chromium` binary — no driver, no download.

Example:
    >>> check = check_page("report/index.html", "report/screenshot.png")  # doctest: +SKIP
    >>> check.broken_images, check.console_errors  # doctest: +SKIP
    ([], [])
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memograd._atomic import write_bytes

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")


class BrowserUnavailable(RuntimeError):
    """No Chromium could be found or started."""


@dataclass
class PageCheck:
    """What the browser saw.

    Attributes:
        images: ``{"alt", "naturalWidth", "complete"}`` for every ``<img>``.
        broken_images: the alt texts of images that did not load (naturalWidth 0).
        console_errors: console errors, uncaught exceptions and failed loads.
        title: the document's title.
        height: the page's scroll height in CSS pixels.
        text: the page's visible text (for checks on what a reader sees).
    """

    images: list[dict[str, Any]] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    title: str = ""
    height: int = 0
    text: str = ""


def find_chromium() -> str | None:
    """The path of a Chromium binary, or None."""
    for name in CANDIDATES:
        path = shutil.which(name) if not os.path.isabs(name) else name
        if path and os.access(path, os.X_OK):
            return path
    return None


class _Pipe:
    """A DevTools session over the two pipes; synchronous request/response."""

    def __init__(self, binary: str, profile: str) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire() -> None:  # runs in the child: the protocol wants exactly fds 3 and 4
            # Move both ends above 10 first, so that placing one on 3 or 4 cannot overwrite
            # the other; dup2 then makes inheritable copies (the originals close on exec).
            high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)
            os.close(high_r)
            os.close(high_w)

        # close_fds=False: subprocess would otherwise close fds 3 and 4 after `wire` ran.
        # Everything else Python opened is close-on-exec anyway.
        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,
            close_fds=False,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read(timeout=60.0)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def wait_event(self, method: str, timeout: float) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while True:
            event = self._read(timeout=max(deadline - time.monotonic(), 0.01))
            self.events.append(event)
            if event.get("method") == method:
                return event

    def _read(self, timeout: float) -> dict[str, Any]:
        import select

        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise BrowserUnavailable("Chromium closed the DevTools pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return dict(json.loads(message))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.write(
                self._to_child, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0"
            )
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)


_INSPECT = """(() => ({
  images: Array.from(document.images).map(i => ({alt: i.alt, naturalWidth: i.naturalWidth,
                                                  complete: i.complete})),
  title: document.title,
  height: document.documentElement.scrollHeight,
  text: document.body.innerText,
}))()"""


def check_page(
    html_path: str | os.PathLike[str],
    screenshot: str | os.PathLike[str] | None = None,
    *,
    width: int = 1200,
    binary: str | None = None,
    timeout: float = 60.0,
) -> PageCheck:
    """Load `html_path` from disk, inspect it, and save a full-page PNG screenshot.

    Raises:
        BrowserUnavailable: no Chromium binary, or it did not start.
    """
    binary = binary or find_chromium()
    if binary is None:
        raise BrowserUnavailable("no chromium binary found (tried " + ", ".join(CANDIDATES) + ")")
    url = Path(html_path).resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="memograd-chromium-") as profile:
        try:
            pipe = _Pipe(binary, profile)
        except OSError as error:
            raise BrowserUnavailable(f"cannot start {binary}: {error}") from None
        try:
            target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            for domain in ("Page", "Runtime", "Log"):
                pipe.send(f"{domain}.enable", session=session)
            pipe.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                session=session,
            )
            pipe.send("Page.navigate", {"url": url}, session=session)
            pipe.wait_event("Page.loadEventFired", timeout)
            found = pipe.send(
                "Runtime.evaluate",
                {"expression": _INSPECT, "returnByValue": True},
                session=session,
            )["result"]["value"]
            check = PageCheck(
                images=found["images"],
                broken_images=[i["alt"] for i in found["images"] if not i["naturalWidth"]],
                title=found["title"],
                height=int(found["height"]),
                text=found["text"],
            )
            if screenshot is not None:
                shot = pipe.send(
                    "Page.captureScreenshot",
                    {
                        "format": "png",
                        "captureBeyondViewport": True,
                        "clip": {
                            "x": 0,
                            "y": 0,
                            "width": width,
                            "height": check.height,
                            "scale": 1,
                        },
                    },
                    session=session,
                )
                write_bytes(screenshot, base64.b64decode(shot["data"]))
            check.console_errors = _errors(pipe.events)
            return check
        finally:
            pipe.close()


def _errors(events: list[dict[str, Any]]) -> list[str]:
    out = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            out.append(
                " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            )
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            out.append(str(details.get("exception", {}).get("description", details.get("text"))))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            out.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip())
    return out
