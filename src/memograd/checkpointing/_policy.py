"""Checkpoint policies as schedules: which activations a chain of layers keeps, what it redoes.

A chain of n layers maps a_0 (the input) to a_n. Reversing it needs, for every layer i, its
input a_i while its VJP runs. "all" keeps every a_i from the forward pass (the memo table
of backprop: no recomputation, n activations held). Every other policy keeps fewer and
recomputes the rest from the nearest kept one. All are one procedure, `reverse(lo, hi,
free)`: reverse the layers lo..hi-1 given a_lo, with `free` slots for more activations:

- *tape*: run the layers lo..hi-1 with gradients on (the ordinary graph, which keeps one
  activation per layer) and sweep back through them;
- *split at m*: run lo..m-1 without a graph (*advance*), store a_m in a slot, reverse
  (m, hi, free - 1), drop a_m, then reverse (lo, m, free).

A policy is the rule `plan(lo, hi, free) -> m or None (tape)`:

- ``k`` (an int): segments of k layers, a_0, a_k, a_2k, ... stored, each segment taped
  when its turn comes (Chen et al. 2016, "Training deep nets with sublinear memory cost");
- ``"sqrt"``: k = round(√n), so about 2√n activations are held and one extra forward pass
  is paid;
- ``"binomial:<s>"``: the split that minimizes the total number of layer evaluations with s
  slots, found by dynamic programming over (length, free slots). With tapes limited to one
  layer this is Griewank's binomial checkpointing (revolve) and the DP reproduces his
  closed form (`revolve_advances`, tested); allowing a tape to span up to ``free + 2``
  layers (as much memory as ``free`` stored activations plus one layer's input and output)
  can only save evaluations. At most s + 2 activations are held at once;
- ``"none"``: s = 0: only the input is kept; every layer's input is recomputed from a_0
  when its VJP runs (n(n-1)/2 extra layer evaluations: the un-memoized extreme).

The forward pass runs the first descent of the procedure (advance, store, ..., tape the
last interval), so that an n-layer chain costs exactly n evaluations forward; everything
later is recomputation.

Example:
    >>> s = schedule("sqrt", 16)
    >>> s.segment, simulate(s).recomputed, simulate(s).peak_activations
    (4, 12, 7)
    >>> simulate(schedule("none", 16)).recomputed      # 16 * 15 / 2 - 1
    119
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from memograd._errors import invalid_value

Policy = str | int
"""A checkpoint policy: "all", "none", "sqrt", an int k >= 1 or "binomial:<slots>"."""

POLICY_FORMS = "'all', 'none', 'sqrt', a positive integer k or 'binomial:<slots>'"

_INF = 10**15  # "impossible" in the DP; three of them still fit in int64


def check_policy(policy: object) -> Policy:
    """Validate a checkpoint policy and return it (Keras-style error listing the forms).

    Example:
        >>> check_policy("binomial:3"), check_policy(4)
        ('binomial:3', 4)
    """
    if isinstance(policy, bool):
        pass
    elif isinstance(policy, int) and policy >= 1:
        return policy
    elif isinstance(policy, str):
        if policy in ("all", "none", "sqrt"):
            return policy
        head, _, slots = policy.partition(":")
        if head == "binomial" and slots.isdigit() and int(slots) >= 1:
            return policy
    raise invalid_value("checkpoint", POLICY_FORMS, policy)


@dataclass(frozen=True)
class Schedule:
    """A policy applied to a chain of `layers` layers.

    Attributes:
        policy: the policy it came from.
        layers: n, the chain's length.
        segment: k for "k"/"sqrt"/"all" policies (segments of k layers), else None.
        slots: s for "binomial"/"none" (activations stored besides the input), else None.
    """

    policy: Policy
    layers: int
    segment: int | None
    slots: int | None

    @property
    def top_free(self) -> int:
        """Free slots when the reversal of the whole chain begins."""
        return self.layers if self.slots is None else self.slots

    def plan(self, lo: int, hi: int, free: int) -> int | None:
        """Where to split the reversal of layers lo..hi-1 (None: tape them all)."""
        length = hi - lo
        if self.segment is not None:
            return None if length <= self.segment else lo + self.segment
        if length <= free + 2:
            return None
        assert free >= 0, "the binomial schedule never runs out of slots"
        _, split = _binomial_table(self.layers, self.top_free, True)
        return lo + int(split[free + 1, length])


def schedule(policy: Policy, layers: int) -> Schedule:
    """The schedule of `policy` for a chain of `layers` layers (layers >= 1)."""
    policy = check_policy(policy)
    if isinstance(layers, bool) or not isinstance(layers, int) or layers < 1:
        raise invalid_value("layers", "a positive integer", layers)
    if policy == "all":
        return Schedule(policy, layers, layers, None)
    if policy == "sqrt":
        return Schedule(policy, layers, max(1, round(math.sqrt(layers))), None)
    if isinstance(policy, int):
        return Schedule(policy, layers, policy, None)
    slots = 0 if policy == "none" else int(str(policy).partition(":")[2])
    # More than n - 2 slots never help: the whole chain fits on one tape.
    return Schedule(policy, layers, None, min(slots, max(layers - 2, 0)))


@functools.lru_cache(maxsize=32)
def _binomial_table(n: int, slots: int, long_tapes: bool) -> tuple[np.ndarray, np.ndarray]:
    """cost[f + 1, L]: fewest layer evaluations reversing L layers with f free slots.

    Row 0 is f = -1: right after storing a_m into the last slot, only a one-layer tape is
    possible. split[f + 1, L] is the best split offset j (0: tape). Bottom-up DP, one NumPy
    minimum per (f, L).
    """
    cost = np.full((slots + 2, n + 1), _INF, dtype=np.int64)
    split = np.zeros((slots + 2, n + 1), dtype=np.int64)
    cost[:, 0] = 0
    cost[0, 1] = 1
    for row in range(1, slots + 2):
        tape_max = row + 1 if long_tapes else 1  # free + 2 = row + 1
        for length in range(1, n + 1):
            if length <= tape_max:
                cost[row, length] = length
                continue
            j = np.arange(1, length)
            # advance j, reverse the right part with one slot fewer, then the left part
            total = j + cost[row - 1, length - j] + cost[row, j]
            best = int(np.argmin(total))
            cost[row, length] = total[best]
            split[row, length] = j[best]
    return cost, split


def binomial_evaluations(length: int, slots: int, *, long_tapes: bool = True) -> int:
    """Fewest layer evaluations (forward included) to reverse `length` layers with `slots`.

    With ``long_tapes=False`` every tape is one layer (Griewank's revolve), and
    ``binomial_evaluations(l, s - 1, long_tapes=False) - l == revolve_advances(l, s)``.
    """
    cost, _ = _binomial_table(length, slots, long_tapes)
    return int(cost[slots + 1, length])


def revolve_advances(steps: int, snapshots: int) -> int:
    """Griewank's minimal number of forward steps to reverse `steps` steps with `snapshots`.

    t(l, s) = r·l − β(s + 1, r − 1), with β(s, r) = C(s + r, s) and r the smallest integer
    with β(s, r) >= l (Griewank 1992, "Achieving logarithmic growth of temporal and spatial
    complexity in reverse automatic differentiation"). `snapshots` counts the input's.

    Example:
        >>> revolve_advances(10, 1)   # one snapshot (the input): 10 * 9 / 2
        45
    """
    if steps < 1 or snapshots < 1:
        raise ValueError(
            f"revolve_advances needs steps >= 1 and snapshots >= 1. "
            f"Received: steps={steps}, snapshots={snapshots}"
        )
    r = 0
    while math.comb(snapshots + r, snapshots) < steps:
        r += 1
    if r == 0:
        return 0
    return r * steps - math.comb(snapshots + 1 + r - 1, snapshots + 1)


@dataclass(frozen=True)
class Simulation:
    """What a schedule costs, counted on the chain without running any layer.

    Attributes:
        evaluations: layer evaluations in a forward plus backward (n for "all").
        recomputed: evaluations - n (the price in time).
        peak_activations: most activations held at once besides the input (n for "all").
    """

    evaluations: int
    recomputed: int
    peak_activations: int


def simulate(sched: Schedule) -> Simulation:
    """Run `sched` on paper: the same steps as `memograd.checkpointing`'s executor."""
    n = sched.layers
    stored: set[int] = set()
    evaluations = peak = 0
    stack = [(0, n, sched.top_free)]
    while stack:
        lo, hi, free = stack.pop()
        while (m := sched.plan(lo, hi, free)) is not None:
            evaluations += m - lo
            stored.add(m)
            stack.append((lo, m, free))
            lo, free = m, free - 1
        evaluations += hi - lo  # the tape: one activation kept per layer
        peak = max(peak, len(stored) + hi - lo)
        stored.discard(lo)
    return Simulation(evaluations, evaluations - n, peak)


__all__ = [
    "POLICY_FORMS",
    "Policy",
    "Schedule",
    "Simulation",
    "binomial_evaluations",
    "check_policy",
    "revolve_advances",
    "schedule",
    "simulate",
]
