"""Where a benchmark ran: CPU, cores, load, library versions, NumPy's BLAS."""

from __future__ import annotations

import os
import platform
import time
from typing import Any

import memograd
from memograd._machine import cpu_name
from memograd.bench._engines import package_version


def machine_info() -> dict[str, Any]:
    """CPU, cores, load, Python and library versions, NumPy's BLAS (no heavy imports)."""
    import numpy as np

    blas: dict[str, Any] = {}
    try:
        config: Any = np.show_config(mode="dicts")
        blas = dict(config.get("Build Dependencies", {}).get("blas", {}))
    except (TypeError, AttributeError):
        pass
    versions: dict[str, str | None] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    for dist in ("torch", "jax", "jaxlib", "micrograd"):
        versions[dist] = package_version(dist)
    versions["memograd"] = memograd.__version__
    return {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "hostname": platform.node(),
        "load_average_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "versions": versions,
        "blas": {k: blas[k] for k in ("name", "version", "openblas configuration") if k in blas},
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
