"""`memograd bench`: the training step of every workload, timed on memograd and its peers.

Workloads come from the packaged `memograd/bench/workloads.json`. Each engine runs in its own
process (`python -m memograd.bench._worker`), rounds are interleaved, each round gives a median
step time (the quietest round's is reported), and ratios are taken to memograd's median
measured in the same run.

Example:
    >>> from memograd.bench import run_bench
    >>> result = run_bench(["W1"], ["numpy", "blas-bound"], steps=5, quick=True)  # doctest: +SKIP
    >>> result.to_dict()["results"][0]["status"]  # doctest: +SKIP
    'ok'
"""

from memograd.bench._engines import ALL_ENGINES, ENGINES, PSEUDO_ENGINES, parse_engines
from memograd.bench._numpy_mlp import NumpyMLP
from memograd.bench._report import bench_figure, print_report, save_plot
from memograd.bench._results import BenchResult, EngineResult, aggregate, compute_ratios
from memograd.bench._runner import run_bench
from memograd.bench._workloads import (
    Workload,
    find_workloads_file,
    load_workloads,
    make_data,
    select_workloads,
)

__all__ = [
    "ALL_ENGINES",
    "ENGINES",
    "PSEUDO_ENGINES",
    "BenchResult",
    "EngineResult",
    "NumpyMLP",
    "Workload",
    "aggregate",
    "bench_figure",
    "compute_ratios",
    "find_workloads_file",
    "load_workloads",
    "make_data",
    "parse_engines",
    "print_report",
    "run_bench",
    "save_plot",
    "select_workloads",
]
