"""Checkpointing: trade the memo table of backprop for recomputation.

Backprop keeps every activation of the forward pass for the backward pass, so memory grows
with depth × width × batch. Recomputing instead of storing trades time back for space:

- `checkpoint(fn, *args)`: one segment whose inner activations are recomputed on backward;
- ``Sequential(layers, checkpoint=policy)``: a whole chain under a policy — "all" (keep
  everything, the default), an int k (store every k-th activation), "sqrt" (k ≈ √n, Chen et
  al. 2016), "binomial:<s>" (the fewest recomputations with s stored activations, Griewank's
  revolve generalized), "none" (keep only the input; quadratic in depth);
- `schedule` / `simulate`: a policy's plan and its cost on paper.

Measuring the policies on `nn` models (`measure`, `memory_figure`, what `memograd memory`
prints) is `memograd.tradeoff`, one layer above `nn`, which itself uses this package.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> from memograd.tensor import memory
    >>> layers = lambda: [mg.nn.Dense(64, activation="relu") for _ in range(16)]
    >>> x = mg.Tensor(np.ones((32, 64), dtype=np.float32))
    >>> peaks = {}
    >>> for policy in ("all", "sqrt", "none"):
    ...     model = mg.nn.Sequential(layers(), checkpoint=policy, seed=0)
    ...     with memory.track() as t:
    ...         _ = model(x).sum().backward()
    ...     peaks[policy] = t.peak_bytes // (32 * 64 * 4)   # in activations of 32×64 floats
    >>> peaks
    {'all': 17, 'sqrt': 8, 'none': 3}
"""

from ._chain import sequential_forward
from ._policy import (
    POLICY_FORMS,
    Policy,
    Schedule,
    Simulation,
    binomial_evaluations,
    check_policy,
    revolve_advances,
    schedule,
    simulate,
)
from ._segment import Recomputed, checkpoint, count_recomputation, find_parameters

__all__ = [
    "POLICY_FORMS",
    "Policy",
    "Recomputed",
    "Schedule",
    "Simulation",
    "binomial_evaluations",
    "check_policy",
    "checkpoint",
    "count_recomputation",
    "find_parameters",
    "revolve_advances",
    "schedule",
    "sequential_forward",
    "simulate",
]
