"""`memograd bench`: JSON document, plot, and one-line errors for bad options."""

import json
from pathlib import Path

import pytest

from memograd.cli import main


def test_bench_json_document_and_plot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plot = tmp_path / "bench.png"
    status = main(
        [
            *("bench", "--workloads", "W1", "--engines", "numpy,memograd,blas-bound"),
            *("--rounds", "1", "--steps", "3", "--warmup", "1", "--quick", "--json"),
            *("--plot", str(plot)),
        ]
    )
    assert status == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) >= {"machine", "settings", "workloads", "results", "ratios", "reportable"}
    assert doc["reportable"] is False
    assert doc["machine"]["cores"] >= 1 and doc["machine"]["versions"]["numpy"]
    assert doc["machine"]["gemm_gflops"] > 0
    assert [w["name"] for w in doc["workloads"]] == ["W1-tiny"]
    rows = {r["engine"]: r for r in doc["results"]}
    assert list(rows) == ["numpy", "memograd", "blas-bound"]
    numpy_row = rows["numpy"]
    assert numpy_row["status"] == "ok" and numpy_row["steps"] == 3 and numpy_row["rounds"] == 1
    assert numpy_row["median_s"] > 0 and numpy_row["peak_rss_mb"] > 0
    # memograd is measured once mg.nn exists; until then it is reported, not an error
    assert rows["memograd"]["status"] in ("ok", "unavailable")
    if rows["memograd"]["status"] == "unavailable":
        assert rows["memograd"]["reason"]
    bound = rows["blas-bound"]
    assert bound["median_s"] == pytest.approx(
        doc["workloads"][0]["flops"] / (doc["machine"]["gemm_gflops"] * 1e9)
    )
    assert doc["ratios"]["reference"] == "memograd"
    assert plot.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--engines", "numpy,tensorflow"], "--engines: Received an invalid value for `engines`"),
        (["--engines", "tf"], "memograd, memograd-jit, numpy, torch, jax, micrograd, blas-bound"),
        (["--workloads", "W1,W7"], "W1-tiny (W1), W2-digits (W2)"),
        (["--steps", "10"], "--quick"),
        (["--engines", "numpy", "--reference", "keras"], "--reference: Received an invalid"),
    ],
)
def test_bad_options_exit_1_with_one_readable_line(
    options: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", *options]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("memograd bench: error:")
    assert expected in lines[0]
    assert captured.out == ""
