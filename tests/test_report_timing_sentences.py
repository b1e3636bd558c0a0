"""Report sentences that compare two timings agree with their own numbers (issue 11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from memograd.bench import BenchResult, EngineResult, load_workloads
from memograd.report._parts import SectionBuilder
from memograd.report.sections import memory, speed


class _Ctx:
    def __init__(self, out_dir: Path) -> None:
        self.quick = False
        self.seed = 0
        self.out_dir = out_dir


def _bench(numpy_rounds: list[float]) -> BenchResult:
    w2 = load_workloads()[1]
    results = [
        EngineResult(w2.name, "memograd", "ok", median_s=9e-4, round_medians_s=[9e-4, 1e-3]),
        EngineResult(
            w2.name, "numpy", "ok", median_s=min(numpy_rounds), round_medians_s=numpy_rounds
        ),
    ]
    settings = {"engines": ["memograd", "numpy"], "rounds": 2, "steps": 50, "reportable": True}
    conditions = {"blas_threads": 2, "cpus": 2, "load_average": [5.0, 3.0, 1.0]}
    return BenchResult(
        {"cpu": "Test CPU", "cores": 2}, settings, [w2], results, "memograd", conditions
    )


def _speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, result: BenchResult) -> SectionBuilder:
    monkeypatch.setattr("memograd.bench.run_bench", lambda *a, **k: result)
    out = SectionBuilder(speed.KEY, speed.TITLE)
    speed.build(out, _Ctx(tmp_path))
    return out


def _texts(out: SectionBuilder) -> str:
    return " ".join(str(getattr(p, "text", "")) + str(getattr(p, "caption", "")) for p in out.parts)


def test_a_ratio_from_disagreeing_rounds_is_headlined_as_not_reportable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # hand NumPy's rounds: 0.8 ms and 80 ms (the W2 under load); memograd 0.9 ms
    out = _speed(tmp_path, monkeypatch, _bench([8.0e-2, 8.0e-4]))
    (headline,) = out.headlines
    assert headline.label.endswith("not reportable")
    text = _texts(out)
    assert "Not reportable: W2-digits numpy: round medians 800 µs and 80.0 ms" in text
    assert "2 BLAS threads · 2 CPUs · 1-min load average 5" in text  # conditions stated


def test_memograd_faster_than_hand_numpy_is_not_called_the_graph_s_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # steady rounds, but memograd's 0.9 ms against NumPy's 1.8 ms: a ratio of 0.5
    out = _speed(tmp_path, monkeypatch, _bench([1.8e-3, 1.9e-3]))
    (headline,) = out.headlines
    assert headline.value == "0.5×" and "not reportable" not in headline.label
    text = _texts(out)
    assert "took 0.5× the time on W2-digits: less than the hand-written step" in text
    assert "the cost of recording the graph" not in text


def _rows(sqrt_seconds: float, none_seconds: float) -> list[dict[str, Any]]:
    rows = []
    for depth in (2, 4):
        for width in (8, 16):
            for policy, saved, seconds, recomputed in (
                ("all", 1.0, 1.0, 0),
                ("sqrt", 0.5, sqrt_seconds, 2),
                ("none", 0.25, none_seconds, 5),
            ):
                bytes_ = int(1000 * depth * width * saved)
                rows.append(
                    {
                        "policy": policy,
                        "depth": depth,
                        "width": width,
                        "peak_saved_bytes": bytes_,
                        "closed_form_bytes": bytes_ if policy == "all" else None,
                        "saved_ratio": saved,
                        "seconds_ratio": seconds,
                        "recomputed_layers": recomputed,
                        "max_abs_grad_diff": 0.0,
                    }
                )
    return rows


@pytest.mark.parametrize(
    ("sqrt_seconds", "none_seconds", "price"), [(1.3, 1.9, True), (0.8, 1.9, False)]
)
def test_memory_text_calls_time_a_price_only_when_it_was_one(
    sqrt_seconds: float, none_seconds: float, price: bool
) -> None:
    rows = _rows(sqrt_seconds, none_seconds)
    largest = {str(r["policy"]): r for r in rows if (r["depth"], r["width"]) == (4, 16)}
    settings = {"depths": [2, 4], "widths": [8, 16]}
    out = SectionBuilder(memory.KEY, memory.TITLE)
    memory._describe(out, rows, largest, settings, 4, 16)
    text = _texts(out)
    assert ("The price is time" in text) is price
    assert f"{sqrt_seconds:.2g}× and {none_seconds:.2g}× the time of keep-all" in text
    if not price:
        assert "disturbed by other work" in text
