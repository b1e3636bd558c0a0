"""The space–time trade-off of checkpoint policies, measured and drawn (`memograd memory`).

`memograd.checkpointing` makes a chain of layers recompute instead of store; this package,
one layer above `memograd.nn`, measures what each policy costs on real models:

- `measure`: saved bytes (exact, `memograd.tensor.memory`), time, recomputation and
  tracemalloc peaks of each policy on `nn` MLPs (what `memograd memory` prints);
- `closed_form_saved_bytes`: what the "all" policy must hold, derived op by op;
- `memory_figure` / `save_plot`: saved bytes against depth and width, time against memory.

It lives here, not in `checkpointing`, because it builds `nn` models while `nn.Sequential`
uses `checkpointing`: imports only go down (see the import contracts in pyproject.toml).

Example:
    >>> from memograd.tradeoff import measure
    >>> rows = measure([4], [16], 8, ["all", "sqrt"], repeats=1, use_tracemalloc=False)
    >>> [(r["policy"], r["saved_ratio"] < 1) for r in rows]
    [('all', False), ('sqrt', True)]
"""

from ._measure import closed_form_saved_bytes, measure
from ._plot import memory_figure, save_plot

__all__ = ["closed_form_saved_bytes", "measure", "memory_figure", "save_plot"]
