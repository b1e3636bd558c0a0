"""A process of the multi-process store tests (run as a script, never imported by pytest).

    python memo_store_worker.py STORE_URL LOG GO LEASE N

Waits until the file GO exists (so all workers ask at once), calls `work(N)` memoized in the
store, prints one JSON line: the result and `cache_info()`. `work` appends this process's id
to LOG each time it really computes. MG_WORKER_MODE (read inside `work`, so it is not part of
the code fingerprint and every worker shares one key) makes a computation `hang` (until
killed), `raise` (ValueError after a moment) or `slow` (the default: 0.5 s).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

import memograd as mg

url, log, go, lease, n = sys.argv[1:6]


@mg.memoize(store=url, lease=float(lease))
def work(n: int) -> dict[str, object]:
    with open(log, "a") as f:
        f.write(f"{os.getpid()}\n")
    mode = os.environ.get("MG_WORKER_MODE", "slow")
    if mode == "hang":
        time.sleep(600)
    time.sleep(0.5)
    if mode == "raise":
        raise ValueError(f"work({n}) failed in process {os.getpid()}")
    return {"n": n, "pid": os.getpid(), "weights": np.full((3, 4), float(n), dtype=np.float32)}


while not Path(go).exists():
    time.sleep(0.005)
result = work(int(n))
print(
    json.dumps(
        {
            "pid": result["pid"],
            "n": result["n"],
            "weights_sum": float(result["weights"].sum()),
            "info": list(work.cache_info()),
        }
    ),
    flush=True,
)
