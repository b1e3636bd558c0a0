"""A failing or missing piece must show, not hide: error boxes, placeholders, exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from memograd.cli import main
from memograd.report import _parts, run_report
from memograd.report.sections import chain_rule, numerical


def test_a_failing_section_is_recorded_and_the_others_still_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(out: Any, ctx: Any) -> None:
        out.text("half a section")
        raise RuntimeError("the numerical study exploded")

    monkeypatch.setattr(numerical, "build", broken)
    result = run_report(
        tmp_path, quick=True, sections=["chain_rule", "numerical"], show_progress=False
    )
    assert result.failed == ["numerical"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "error"
    assert summary["failed_sections"] == ["numerical"]
    assert summary["sections"]["numerical"]["status"] == "error"
    assert (
        "RuntimeError: the numerical study exploded"
        in summary["sections"]["numerical"]["errors"][0]
    )
    assert summary["sections"]["chain_rule"]["status"] in ("ok", "partial")
    page = (tmp_path / "index.html").read_text()
    assert 'class="errorbox"' in page and "the numerical study exploded" in page
    assert "half a section" in page  # what ran before the failure is kept
    assert "failed sections:" in page


def test_the_command_exits_non_zero_naming_the_failed_sections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(out: Any, ctx: Any) -> None:
        raise ValueError("no network today")

    monkeypatch.setattr(chain_rule, "build", broken)
    status = main(["demo", "--quick", "--out", str(tmp_path), "--sections", "chain_rule"])
    assert status == 1
    err = capsys.readouterr().err
    assert "1 section(s) failed: chain_rule" in err
    assert (tmp_path / "index.html").exists() and (tmp_path / "summary.json").exists()


def test_a_missing_capability_becomes_a_visible_placeholder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def waiting(out: Any, ctx: Any) -> None:
        with out.part("the future"):
            _parts.need("memograd.not_written_yet:thing", "the thing from issue 99")
        out.text("the rest of the section")

    monkeypatch.setattr(numerical, "build", waiting)
    result = run_report(tmp_path, quick=True, sections=["numerical"], show_progress=False)
    assert result.failed == []
    section = result.summary["sections"]["numerical"]
    assert section["status"] == "not built"
    assert section["not_built"] == ["the thing from issue 99"]
    page = (tmp_path / "index.html").read_text()
    assert "not built yet:</strong> the thing from issue 99" in page


def test_need_finds_attributes_and_reports_only_missing_ones() -> None:
    assert _parts.need("memograd.report._parts:need", "x") is _parts.need
    with pytest.raises(_parts.NotBuilt, match="the widget"):
        _parts.need("memograd.report._parts:no_such_name", "the widget")
    with pytest.raises(_parts.NotBuilt):
        _parts.need("memograd.nope.deeper", "x")
    with pytest.raises(_parts.NotBuilt):
        _parts.need("json.no_such_submodule_xyz", "x")


def test_status_reflects_the_parts() -> None:
    out = _parts.SectionBuilder("k", "K")
    out.text("words only")
    assert out.status == "ok"
    with out.part("a"):
        raise _parts.NotBuilt("a")
    assert out.status == "not built"
    out.table(["a"], [[1]])
    assert out.status == "partial"
    with out.part("b"):
        raise KeyError("b")
    assert out.status == "error" and out.errors == ["b: KeyError: 'b'"]


def test_png_parts_must_be_png() -> None:
    out = _parts.SectionBuilder("k", "K")
    with pytest.raises(ValueError, match="PNG"):
        out.png(b"GIF89a", "caption")


def test_unknown_sections_are_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "memograd", "demo", "--out", str(tmp_path), "--sections", "nope"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "--sections expects names among memoization" in done.stderr
    with pytest.raises(ValueError, match="sections"):
        run_report(tmp_path, sections=["nope"], show_progress=False)


def test_json_flag_prints_the_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["demo", "--quick", "--out", str(tmp_path), "--sections", "chain_rule", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert status == 0
    assert document == json.loads((tmp_path / "summary.json").read_text())
    assert list(document["sections"]) == ["chain_rule"]


def test_a_module_that_breaks_on_import_is_an_error_not_a_placeholder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "half_written_mod.py").write_text("import a_dependency_nobody_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="a_dependency_nobody_installed"):
        _parts.need("half_written_mod:thing", "x")


def test_page_escapes_text_and_marks_repeated_factors() -> None:
    from memograd.report._html import render_page

    out = _parts.SectionBuilder("s", "1. <Title>")
    out.text("a < b & c")
    out.pre("x = ⟨∂L/∂ŷ⟩ · <y>", mark=True)
    out.pre("⟨kept⟩")
    page = render_page([out], {"generated": "now", "machine": {}, "quick": False, "seconds": 1.0})
    assert "a &lt; b &amp; c" in page and "1. &lt;Title&gt;" in page
    assert "x = <mark>∂L/∂ŷ</mark> · &lt;y&gt;" in page
    assert "<pre>⟨kept⟩</pre>" in page
