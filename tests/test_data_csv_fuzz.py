"""Fuzz (issue 12): 1,000 seeded random mutations of small valid CSV files through
`mg.data.load`. Every outcome is a load (finite float32 features, sane targets) or a
ValueError/OSError whose message names the file; nothing else, no warning, no case above the
address-space cap. The cases run in one subprocess (tests/csv_fuzz.py) capped with RLIMIT_AS.

MEMOGRAD_FUZZ_CASES and MEMOGRAD_FUZZ_SEED change the campaign (defaults 1000 and 0).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import memograd

CASES = int(os.environ.get("MEMOGRAD_FUZZ_CASES", "1000"))
SEED = int(os.environ.get("MEMOGRAD_FUZZ_SEED", "0"))
CAP_MB = 500
HANG_GUARD_S = 5.0  # not a benchmark: a case this slow is stuck, not merely slow


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc: Linux")
def test_random_csv_mutations_load_or_name_the_file(tmp_path: Path) -> None:
    worker = Path(__file__).with_name("csv_fuzz.py")
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(memograd.__file__).parents[1]),  # the memograd under test
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }
    argv = [sys.executable, str(worker), "--cases", str(CASES), "--seed", str(SEED)]
    done = subprocess.run(
        [*argv, "--folder", str(tmp_path), "--cap-mb", str(CAP_MB)],
        capture_output=True,
        text=True,
        env=env,
        timeout=30 + CASES * HANG_GUARD_S / 10,
    )
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0, (done.stderr[-2000:], records[-1:])
    cap, *cases, summary = records
    assert cap["address_space_limit_mb"] > CAP_MB and summary["done"] == CASES
    assert [r["case"] for r in cases] == list(range(CASES))

    findings = []
    for r in cases:
        if r["outcome"] == "load":
            wrong = r["problem"]
        elif r["outcome"] in ("ValueError", "OSError"):
            wrong = None if r["path"] in r["message"] else "message does not name the file"
        else:
            wrong = r["message"]
        if wrong or r["warnings"] or r["seconds"] > HANG_GUARD_S:
            findings.append((r["case"], r["ops"], wrong, r["warnings"], r["seconds"]))
    assert not findings, findings[:5]

    outcomes = Counter(r["outcome"] for r in cases)
    slowest = max(cases, key=lambda r: r["seconds"])
    print(
        f"\ncsv fuzz: {CASES} cases, seed {SEED}: {dict(outcomes)}; slowest case "
        f"{slowest['seconds']:.3f} s ({'+'.join(slowest['ops'])}); worker peak RSS "
        f"{summary['peak_rss_mb']:.0f} MB under an address-space cap of "
        f"{cap['address_space_limit_mb']} MB"
    )
    # Both kinds of outcome occur, so the mutations neither break nor spare every file.
    assert outcomes["load"] >= CASES // 10 and outcomes["ValueError"] >= CASES // 2
