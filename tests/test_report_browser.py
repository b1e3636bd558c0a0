"""The report as a reader sees it: opened in headless Chromium, every image must load, the
console must stay clean, and a full-page screenshot is saved.

Skipped (with the reason) where no Chromium can be started; `.ci/run` installs Debian's
`chromium` when it runs as root with apt-get.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from memograd.report import run_report
from memograd.report._browser import BrowserUnavailable, check_page, find_chromium

SECTIONS = ["chain_rule", "backprop_cost", "numerical", "jacobian_orders"]


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


@pytest.fixture(scope="module")
def browser() -> str:
    binary = find_chromium()
    if binary is None:
        pytest.skip("no Chromium binary (apt-get install chromium); the page was not checked")
    return binary


def test_report_reads_well_in_a_browser(tmp_path: Path, browser: str) -> None:
    result = run_report(tmp_path, quick=True, sections=SECTIONS, show_progress=False)
    screenshot = tmp_path / "screenshot.png"
    try:
        check = check_page(result.html_path, screenshot, binary=browser)
    except BrowserUnavailable as error:
        pytest.skip(f"Chromium could not be started: {error}")
    figures = sum(1 for s in result.sections for p in s.parts if type(p).__name__ == "FigurePart")
    assert len(check.images) == figures > 0
    assert check.broken_images == [], check.broken_images
    assert all(i["naturalWidth"] > 100 for i in check.images)
    assert check.console_errors == [], check.console_errors
    assert check.title.startswith("memograd")
    for s in result.sections:
        assert s.title in check.text
    assert "not built yet" not in check.text or any(s.not_built for s in result.sections)
    width, height = _png_size(screenshot)
    assert width == 1200 and height == check.height > 1500


def test_a_broken_image_is_noticed(tmp_path: Path, browser: str) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title></head><body>'
        '<img alt="good" src="data:image/png;base64,'
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5E"
        'rkJggg=="><img alt="bad" src="data:image/png;base64,AAAA">'
        "<script>console.error('boom')</script></body></html>"
    )
    try:
        check = check_page(page, binary=browser)
    except BrowserUnavailable as error:
        pytest.skip(f"Chromium could not be started: {error}")
    assert check.broken_images == ["bad"]
    assert any("boom" in e for e in check.console_errors)
