"""The checkpointed forward of a chain of layers (``Sequential(checkpoint=...)``).

The whole chain becomes ONE graph node whose parents are the input and every trainable
parameter of the layers. The node runs a `Schedule` (see `_policy`): the forward pass
advances without a graph, storing the activations the schedule asks for, and tapes the last
interval (runs it with gradients on); the node's VJP sweeps that tape, then reverses the
earlier intervals one by one — recompute from the nearest stored activation, tape, sweep,
drop — entirely iteratively, so even "none" on a deep chain needs no deep recursion.

Memory: the stored activations are counted by `memograd.tensor.memory` under this executor
(they are dropped as soon as the interval above them is reversed), and the tapes' nodes are
ordinary graph nodes. A second backward through the same graph (``retain_graph=True``)
redoes the forward's descent from the kept input.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> model = mg.nn.Sequential([mg.nn.Dense(8, activation="relu") for _ in range(4)],
    ...                          checkpoint="sqrt")
    >>> out = model(mg.Tensor(np.ones((2, 3), dtype=np.float32)))
    >>> out.op
    'checkpoint_chain'
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from memograd import _grad_mode
from memograd.tensor import Tensor, constant, make_node, memory

from ._policy import Policy, Schedule, check_policy, schedule
from ._segment import (
    RngKeeper,
    backprop,
    detached,
    no_create_graph,
    note_recomputation,
)


def sequential_forward(layers: Sequence[Any], x: Tensor, policy: Policy) -> Tensor:
    """Apply `layers` to `x` under a checkpoint `policy` (the hook of `Sequential.call`).

    Outside grad mode, with nothing requiring grad, or when the policy keeps everything
    ("all", or k >= the number of layers), this is the plain loop.
    """
    policy = check_policy(policy)
    params = _trainable(layers)
    if policy == "all" or not _grad_mode.enabled or not layers or not (x.requires_grad or params):
        return _plain(layers, x)
    sched = schedule(policy, len(layers))
    if sched.segment is not None and sched.segment >= sched.layers:
        return _plain(layers, x)
    return _Chain(layers, sched, x, params).forward()


def _plain(layers: Sequence[Any], x: Tensor) -> Tensor:
    for layer in layers:
        x = layer(x)
    return x


def _trainable(layers: Sequence[Any]) -> list[Tensor]:
    seen: set[int] = set()
    params = []
    for layer in layers:
        for p in layer.parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                params.append(p)
    return params


def _drop_all(keys: set[Any]) -> None:
    for key in keys:
        memory.drop(key)
    keys.clear()


class _Chain:
    """Runs one schedule over the layers: the forward descent, then the reversal."""

    def __init__(
        self, layers: Sequence[Any], sched: Schedule, x: Tensor, params: list[Tensor]
    ) -> None:
        self.layers = list(layers)
        self.sched = sched
        self.x = x
        self.params = params
        self.rng = [RngKeeper([layer]) for layer in self.layers]
        self.recorded = [False] * len(self.layers)
        self.snapshots: dict[int, Any] = {}  # position -> stored activation a_m
        self.pending: list[tuple[int, int, int]] = []  # intervals left to reverse
        self.tape: tuple[int, Tensor, Tensor] | None = None  # (lo, input leaf, output)
        self.in_backward = False
        self._keys: set[Any] = set()
        # If the graph is dropped without a backward, stop counting what was stored.
        weakref.finalize(self, _drop_all, self._keys)

    # -- building blocks ---------------------------------------------------------------
    def _run(self, i: int, t: Tensor) -> Tensor:
        """Layer i on t; the first run records its random state, later runs replay it."""
        keeper = self.rng[i]
        if not self.recorded[i]:
            keeper.record()
            self.recorded[i] = True
            return self.layers[i](t)
        with keeper.replay():
            return self.layers[i](t)

    def _advance(self, lo: int, m: int) -> Any:
        """a_m from the stored a_lo, without a graph."""
        with _grad_mode.no_grad():
            t = constant(self.snapshots[lo])
            for i in range(lo, m):
                t = self._run(i, t)
        if self.in_backward:
            note_recomputation(layers=m - lo)
        return t.data

    def _tape(self, lo: int, hi: int) -> tuple[int, Tensor, Tensor]:
        """Layers lo..hi-1 with gradients on, from a fresh leaf over a_lo."""
        leaf = detached(self.snapshots[lo], lo > 0 or self.x.requires_grad)
        out = leaf
        with _grad_mode.enable_grad():
            for i in range(lo, hi):
                out = self._run(i, out)
        if self.in_backward:
            note_recomputation(layers=hi - lo)
        return lo, leaf, out

    def _store(self, m: int, a: Any) -> None:
        self.snapshots[m] = a
        key = (id(self), m)
        self._keys.add(key)
        memory.hold(key, (a,))

    def _drop(self, m: int) -> None:
        if m > 0:  # a_0 is the node's input, kept by the node itself
            self.snapshots.pop(m, None)
            key = (id(self), m)
            self._keys.discard(key)
            memory.drop(key)

    def _descend(self, lo: int, hi: int, free: int) -> tuple[int, Tensor, Tensor]:
        """Advance and store along the schedule until an interval is taped; push the rest."""
        while (m := self.sched.plan(lo, hi, free)) is not None:
            self._store(m, self._advance(lo, m))
            self.pending.append((lo, m, free))
            lo, free = m, free - 1
        return self._tape(lo, hi)

    def _sweep(self, tape: tuple[int, Tensor, Tensor], g: Any, grads: dict[int, Any]) -> Any:
        """Backprop g through a tape; add parameter gradients to `grads`; ∂/∂a_lo or None."""
        lo, leaf, out = tape
        if not out.requires_grad:
            return None
        found = backprop(out, g, (leaf, *self.params), "checkpoint")
        for p, contribution in zip(self.params, found[1:], strict=True):
            if contribution is not None:
                previous = grads.get(id(p))
                grads[id(p)] = contribution if previous is None else previous + contribution
        self._drop(lo)
        return found[0]

    # -- the node ------------------------------------------------------------------------
    def forward(self) -> Tensor:
        self.snapshots = {0: self.x.data}
        self.tape = self._descend(0, self.sched.layers, self.sched.top_free)
        out = self.tape[2]
        if not out.requires_grad:  # nothing differentiable flows out of the chain
            self._cleanup()
            return constant(out.data)
        stored = tuple(a for m, a in sorted(self.snapshots.items()) if m > 0)
        parents = (self.x, *self.params)
        return make_node(
            out.data, parents, _chain_vjp, (self.x.data, *stored), "checkpoint_chain", self
        )

    def backward(self, g: Any, node: Tensor) -> tuple[Any, ...]:
        saved = node._saved
        assert saved is not None
        self.in_backward = True
        if self.tape is None:  # a second backward (retain_graph): redo the descent
            self.snapshots = {0: saved[0]}
            self.tape = self._descend(0, self.sched.layers, self.sched.top_free)
        else:  # the executor owns the stored activations now, and drops them as it goes
            node._saved = saved[:1]
            memory.recount(node)
        grads: dict[int, Any] = {}
        try:
            first, self.tape = self.tape, None
            g = self._sweep(first, g, grads)
            del first  # the tape's input leaf would keep a dropped activation alive
            stack = self.pending  # _descend pushes the intervals it splits off onto it
            while stack and g is not None:
                g = self._sweep(self._descend(*stack.pop()), g, grads)
        finally:
            self._cleanup()
        return (g if self.x.requires_grad else None, *(grads.get(id(p)) for p in self.params))

    def _cleanup(self) -> None:
        self.tape = None
        self.pending = []
        for m in list(self.snapshots):
            self._drop(m)


def _chain_vjp(g: Any, node: Tensor) -> tuple[Any, ...]:
    if isinstance(g, Tensor):
        raise no_create_graph("Sequential(checkpoint=...)")
    chain: _Chain = node._prim.state  # type: ignore[union-attr]
    return chain.backward(g, node)


__all__ = ["sequential_forward"]
