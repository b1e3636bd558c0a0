"""README statements checked against the code they describe (issue 11 §3): the checkpoint
table's activation counts against `checkpointing.simulate` and a measured step."""

from __future__ import annotations

import math
import re
from pathlib import Path

from memograd.checkpointing import schedule, simulate
from memograd.tradeoff import measure

README = Path(__file__).resolve().parents[1] / "README.md"


def _policy_table() -> tuple[str, dict[str, str]]:
    """(last header cell, {policy cell: last cell}) of the README's checkpoint-policy table."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| policy | kept for"))
    header = [c.strip() for c in lines[start].strip("|").split("|")]
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[re.sub(r"[`\"]| \(default\)", "", cells[0])] = cells[-1]
    return header[-1], rows


def test_checkpoint_table_counts_activations_as_simulate_does() -> None:
    header, rows = _policy_table()
    assert header == "most activations held besides the input"
    assert set(rows) == {"all", "k", "sqrt", "binomial:s", "none"}
    for n in (1, 5, 17, 64):
        assert rows["all"] == "n" and simulate(schedule("all", n)).peak_activations == n
    for n in (3, 8, 65):
        assert simulate(schedule("none", n)).peak_activations == int(rows["none"])
    assert rows["k"] == "≤ ⌈n/k⌉ − 1 + k"
    for n, k in ((16, 4), (65, 8), (10, 3), (7, 10)):
        bound = math.ceil(n / k) - 1 + k
        peak = simulate(schedule(k, n)).peak_activations
        assert peak <= bound and (peak == bound or n % k)  # reached when k divides n
    assert rows["binomial:s"] == "≤ s + 2"
    for s in (1, 2, 4):
        peaks = [simulate(schedule(f"binomial:{s}", n)).peak_activations for n in range(2, 60)]
        assert max(peaks) == s + 2


def test_none_measured_bytes_are_the_input_plus_the_tables_count() -> None:
    # "none" holds the input and the table's count besides it: measured here, and in the
    # README's own measurements (batch 256, width-256 float32 activations of 0.25 MiB).
    _, rows = _policy_table()
    held = 1 + int(rows["none"])
    batch, width = 32, 16
    for depth in (4, 12):
        (row,) = [
            r
            for r in measure([depth], [width], batch, ["none"], repeats=1, use_tracemalloc=False)
            if r["policy"] == "none"
        ]
        assert row["peak_saved_bytes"] == held * batch * width * 4
    readme = README.read_text(encoding="utf-8")
    measured = re.findall(r"^\| (\d+) \|.*\| ([0-9.]+) MiB \([0-9.]+×\), [^|]* \|$", readme, re.M)
    assert [depth for depth, _ in measured] == ["8", "16", "32", "64"]
    for _, mib in measured:  # the "none" column, the table's last
        assert float(mib) == held * 256 * 256 * 4 / 2**20
