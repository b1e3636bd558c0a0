"""Checkpoint policies on paper: validation, schedules, the binomial DP against Griewank."""

from __future__ import annotations

import doctest
import functools
import importlib
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memograd.checkpointing import (
    binomial_evaluations,
    check_policy,
    revolve_advances,
    schedule,
    simulate,
)


@pytest.mark.parametrize("policy", ["all", "none", "sqrt", 1, 7, "binomial:1", "binomial:12"])
def test_valid_policies_are_returned_unchanged(policy: str | int) -> None:
    assert check_policy(policy) == policy


@pytest.mark.parametrize(
    "policy", ["some", "", 0, -2, True, 1.5, None, "binomial", "binomial:", "binomial:x", "4"]
)
def test_invalid_policies_list_the_valid_forms(policy: object) -> None:
    with pytest.raises(ValueError) as info:
        check_policy(policy)
    message = str(info.value)
    assert "`checkpoint`" in message and f"checkpoint={policy!r}" in message
    for form in ("'all'", "'none'", "'sqrt'", "positive integer", "'binomial:<slots>'"):
        assert form in message


@pytest.mark.parametrize("layers", [0, -1, 2.0, True])
def test_schedule_needs_a_positive_layer_count(layers: object) -> None:
    with pytest.raises(ValueError, match="`layers`"):
        schedule("sqrt", layers)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [1, 2, 5, 16, 65])
def test_all_keeps_everything_and_recomputes_nothing(n: int) -> None:
    sim = simulate(schedule("all", n))
    assert (sim.evaluations, sim.recomputed, sim.peak_activations) == (n, 0, n)


@pytest.mark.parametrize("n", [2, 3, 8, 30, 64])
def test_none_is_quadratic_and_holds_two_activations(n: int) -> None:
    # The forward tapes the last layer. Counted directly afterwards: reversing layers
    # 0..hi-1 for hi = n-1 down to 3 advances hi-1 layers from the input and tapes one
    # (hi evaluations); the first two layers are then taped together (2).
    expected = sum(hi for hi in range(3, n)) + (2 if n > 2 else 0)
    sim = simulate(schedule("none", n))
    assert sim.recomputed == expected == (n * (n - 1) // 2 - 1 if n > 2 else 0)
    assert sim.peak_activations <= 2


@pytest.mark.parametrize(("n", "k"), [(10, 3), (16, 4), (65, 8), (7, 7), (7, 10)])
def test_every_k_recomputes_all_but_the_last_segment(n: int, k: int) -> None:
    sim = simulate(schedule(k, n))
    last = n - (math.ceil(n / k) - 1) * k
    assert sim.recomputed == n - last
    boundaries = math.ceil(n / k) - 1  # a_k, a_2k, ... stored by the forward
    # At the end of the forward: the boundaries and the last segment's tape; later, while a
    # full segment is taped, the boundaries below it.
    assert sim.peak_activations == max(boundaries + last, boundaries - 1 + k if boundaries else 0)


@pytest.mark.parametrize("n", [4, 9, 16, 65, 100])
def test_sqrt_holds_about_two_root_n(n: int) -> None:
    sched = schedule("sqrt", n)
    assert sched.segment == round(math.sqrt(n))
    sim = simulate(sched)
    assert sim.peak_activations <= 2 * math.sqrt(n) + 2
    assert sim.recomputed < n  # at most one extra forward pass


@functools.cache
def _brute(length: int, free: int, long_tapes: bool) -> float:
    """The same cost model, by plain recursion over every split (no tables)."""
    tape_max = free + 2 if long_tapes else 1
    if length <= tape_max:
        return length
    if free < 0:
        return math.inf
    return min(
        j + _brute(length - j, free - 1, long_tapes) + _brute(j, free, long_tapes)
        for j in range(1, length)
    )


@pytest.mark.parametrize("long_tapes", [True, False])
def test_binomial_dp_equals_exhaustive_search(long_tapes: bool) -> None:
    for length in range(1, 25):
        for slots in range(0, 6):
            assert binomial_evaluations(length, slots, long_tapes=long_tapes) == _brute(
                length, slots, long_tapes
            )


def test_revolve_closed_form_small_cases() -> None:
    # One snapshot (the input): advance to step l-1, reverse it, repeat: l(l-1)/2.
    assert [revolve_advances(steps, 1) for steps in range(1, 7)] == [0, 1, 3, 6, 10, 15]
    # Enough snapshots to store every state: one forward sweep of l-1 steps.
    assert [revolve_advances(steps, 10) for steps in range(1, 7)] == [0, 1, 2, 3, 4, 5]
    with pytest.raises(ValueError, match="snapshots"):
        revolve_advances(3, 0)


@settings(max_examples=60, deadline=None)
@given(steps=st.integers(1, 120), snapshots=st.integers(1, 8))
def test_one_layer_tapes_reproduce_griewanks_binomial_formula(steps: int, snapshots: int) -> None:
    dp = binomial_evaluations(steps, snapshots - 1, long_tapes=False) - steps
    assert dp == revolve_advances(steps, snapshots)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 80), slots=st.integers(1, 12))
def test_binomial_schedule_runs_at_its_dp_cost_within_its_memory(n: int, slots: int) -> None:
    sim = simulate(schedule(f"binomial:{slots}", n))
    s = min(slots, max(n - 2, 0))
    assert sim.evaluations == binomial_evaluations(n, s)
    assert sim.peak_activations <= s + 2
    # Longer tapes never cost more than revolve's one-step tapes with the same slots.
    assert sim.evaluations <= binomial_evaluations(n, s, long_tapes=False)


def test_more_slots_never_cost_more() -> None:
    costs = [simulate(schedule(f"binomial:{s}", 64)).recomputed for s in range(1, 64)]
    assert costs == sorted(costs, reverse=True)
    assert costs[-1] == 0  # 62 slots hold the whole chain: like "all"
    assert (
        simulate(schedule("binomial:1", 64)).recomputed < simulate(schedule("none", 64)).recomputed
    )


@pytest.mark.parametrize(
    "name",
    [
        "memograd.checkpointing",
        "memograd.checkpointing._policy",
        "memograd.checkpointing._segment",
        "memograd.checkpointing._chain",
        "memograd.tradeoff",
        "memograd.tradeoff._measure",
        "memograd.tradeoff._plot",
        "memograd.tensor.memory",
    ],
)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
