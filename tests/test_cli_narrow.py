"""An 80-column terminal: nothing the CLI prints is cut to '…' (issue 11 §3).

rich takes the width from COLUMNS; 80 is also its width when output is not a terminal.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from rich.cells import cell_len

from memograd.cli import main
from memograd.cli import memory as memory_cli

_HEADER_WORDS = ("policy", "depth", "width", "peak", "saved", "closed", "form", "median")
_HEADER_WORDS += ("step", "recom", "puted", "max", "|Δgrad|", "trace", "malloc")


def _check_table(out: str, policies: list[str]) -> None:
    assert "…" not in out, out
    assert max(cell_len(line) for line in out.splitlines()) <= 80, out
    header = "".join(line for line in out.splitlines()[:8] if "┃" in line)
    for word in _HEADER_WORDS:
        assert word in header, (word, out)
    for policy in policies:  # every policy name whole, in the first column
        assert re.search(rf"^ ?{re.escape(policy)} +│", out, re.MULTILINE), (policy, out)


def test_memory_table_fits_80_columns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    argv = ["memory", "--depth", "2,5", "--width", "8,12", "--batch", "4", "--repeats", "1"]
    assert main([*argv, "--policies", "all,sqrt,none,2,binomial:1"]) == 0
    out = capsys.readouterr().out
    _check_table(out, ["all", "sqrt", "none", "every 2", "binomial:1"])
    assert "2×12" in out and "5×8" in out  # depth × width of each row


def test_memory_table_of_a_large_run_fits_80_columns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    rows = [
        {
            "policy": policy,
            "depth": 128,
            "width": 1024,
            "batch": 1024,
            "peak_saved_bytes": 700 * 1024**2,
            "saved_ratio": 0.123,
            "closed_form_bytes": 700 * 1024**2 if policy == "all" else None,
            "seconds": 12.345,
            "seconds_ratio": 10.25,
            "recomputed_layers": 8127,
            "max_abs_grad_diff": 0.0 if policy == "all" else 1.234e-7,
            "tracemalloc_peak_bytes": 1234 * 1024**2,
            "tracemalloc_ratio": 0.43,
        }
        for policy in ("all", "sqrt", "16", "binomial:12", "none")
    ]
    memory_cli._print_table(rows, {"cpus": 2, "load_before": 1.5, "load_after": 2.25})
    out = capsys.readouterr().out
    _check_table(out, ["all", "sqrt", "every 16", "binomial:12", "none"])
    for text in ("128×1024", "12.3 s", "8127", "1.2e-07", "700.00", "1.21"):
        assert text in out, (text, out)


def test_training_progress_bar_keeps_its_figures_at_80_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    import numpy as np
    from rich.console import Console

    import memograd as mg
    from memograd import _progress
    from memograd.nn import training

    bars = []

    def on_a_terminal(*, enabled: bool = True, stream_is_tty: bool | None = None) -> Any:
        bars.append(_progress.progress(enabled=enabled, stream_is_tty=True))
        return bars[-1]

    monkeypatch.setattr(training, "progress", on_a_terminal)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    model = mg.nn.Sequential([mg.nn.Dense(8, activation="relu"), mg.nn.Dense(2)])
    model.compile(loss="cross_entropy", optimizer=mg.optim.Adam(1e-2), metrics=["accuracy"])
    history = model.fit(X, y, epochs=2, batch_size=16, validation_split=0.25, verbose=1)
    assert len(bars) == 1 and not bars[0].disable

    screen = Console(width=80, file=io.StringIO(), color_system=None)
    screen.print(bars[0].get_renderable())
    out = screen.file.getvalue()
    assert "…" not in out, out
    assert max(cell_len(line) for line in out.splitlines()) <= 80, out
    steps = history.params["steps"]
    for epoch in range(2):
        assert f"Epoch {epoch + 1}/2" in out, out
        for name, values in history.history.items():  # every figure, name and value whole
            assert f"{name}={values[epoch]:.4f}" in out, (name, out)
    assert out.count(f"{steps}/{steps}") == 2 and out.count("━" * 20) == 2, out
