"""Exact accounting of the bytes a graph holds for backward: live now, and at peak.

Backprop memoizes the forward pass: every node keeps the arrays its VJP will read (its
``_saved`` tuple), the forward memo table. `track()` counts those arrays while they are
alive: a node adds its saved arrays when it is built (`_node.new_node`) and removes them when the
sweep releases it (`_release`), or when it is garbage-collected without a backward.

What is counted, in bytes from the arrays' sizes (never estimated):

- distinct buffers: an array saved by two nodes (a layer's output is also the next layer's
  input) counts once, and a view counts as the whole buffer it keeps alive;
- not the data of leaves that require grad (parameters, inputs being differentiated): those
  arrays exist whether or not a backward follows;
- constants made during the forward (the input batch wrapped as a Tensor, a dropout mask)
  do count: the graph is what keeps them alive;
- arrays that something other than a node keeps for backward (the activations stored by
  `memograd.checkpointing`) are added with `hold` and removed with `drop`.

Counting happens only inside `track()`; outside it the engine pays one ``is None`` test per
node. Arrays saved before the outermost tracker started are not seen.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> from memograd.tensor import memory
    >>> w = mg.Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    >>> x = mg.Tensor(np.ones((4, 3), dtype=np.float32))
    >>> with memory.track() as t:
    ...     loss = (x @ w).relu().sum()    # matmul keeps x (4×3), relu its output (4×2)
    ...     _ = loss.backward()
    >>> t.peak_bytes, t.live_bytes          # (12 + 8) float32 values at peak, none after
    (80, 0)
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any

from . import _node, _tensor
from ._backend import ndarray
from ._tensor import Tensor


class Tracker:
    """What one `track()` window saw.

    Attributes:
        start_bytes: bytes held for backward when the window opened (non-zero only inside
            an enclosing tracker).
        peak_bytes: the most bytes held for backward at any moment of the window.
        live_bytes: bytes held now (while open) or when the window closed.
    """

    __slots__ = ("_closed_live", "peak_bytes", "start_bytes")

    def __init__(self, start: int) -> None:
        self.start_bytes = start
        self.peak_bytes = start
        self._closed_live: int | None = None

    @property
    def live_bytes(self) -> int:
        return _live if self._closed_live is None else self._closed_live

    def __repr__(self) -> str:
        return (
            f"Tracker(start_bytes={self.start_bytes}, peak_bytes={self.peak_bytes}, "
            f"live_bytes={self.live_bytes})"
        )


_trackers: list[Tracker] = []
_live = 0
# id(buffer) -> [number of owners holding it, its nbytes]; a buffer is alive while held.
_buffers: dict[int, list[int]] = {}
# owner key -> (ids of the buffers it holds, weakref that drops them if the owner dies)
_owners: dict[Hashable, tuple[tuple[int, ...], Any]] = {}


def tracking() -> bool:
    """Whether a `track()` window is open (only then are bytes counted)."""
    return bool(_trackers)


def live_bytes() -> int:
    """Bytes held for backward right now (0 outside `track()`)."""
    return _live


@contextlib.contextmanager
def track() -> Iterator[Tracker]:
    """Count bytes held for backward inside the block; yields a `Tracker` (peak, live).

    Windows nest: an inner tracker sees what the outer one already counts (`start_bytes`).
    When the outermost window closes the ledger is cleared.
    """
    if not _trackers:
        _node.on_node = _on_node
        _tensor.on_release = _on_release
    tracker = Tracker(_live)
    _trackers.append(tracker)
    try:
        yield tracker
    finally:
        tracker._closed_live = _live
        _trackers.remove(tracker)
        if not _trackers:
            _node.on_node = None
            _tensor.on_release = None
            _reset()


def hold(key: Hashable, arrays: Iterable[Any]) -> None:
    """Count `arrays` as held for backward by `key` until `drop(key)` (no-op outside track).

    The caller keeps the arrays alive until it drops them.
    """
    if _trackers:
        _add(key, [_root(a) for a in arrays if isinstance(a, ndarray)], None)


def drop(key: Hashable) -> None:
    """Stop counting what `key` holds (no-op if it holds nothing)."""
    _remove(key)


def recount(node: Tensor) -> None:
    """Re-read a node's ``_saved`` after its owner changed it (no-op outside track)."""
    if _trackers:
        _remove(id(node))
        _on_node(node)


def _root(a: Any) -> Any:
    """The array that owns the memory `a` looks at (a view keeps its base alive)."""
    while isinstance(a.base, ndarray):
        a = a.base
    return a


def _on_node(node: Tensor) -> None:
    saved = node._saved
    if not saved:
        return
    held = []
    for a in saved:
        if not isinstance(a, ndarray):
            continue
        root = _root(a)
        for parent in node._parents:  # a trainable leaf's array is not the graph's to count
            if parent.requires_grad and not parent._parents and _root(parent.data) is root:
                break
        else:
            held.append(root)
    if held:
        key = id(node)
        _add(key, held, weakref.ref(node, _forget(key)))


def _forget(key: Hashable) -> Callable[[Any], None]:
    """A weakref callback: an unswept node was garbage-collected, stop counting its arrays."""

    def callback(_ref: Any) -> None:
        _remove(key)

    return callback


def _on_release(node: Tensor) -> None:
    _remove(id(node))


def _add(key: Hashable, roots: list[Any], ref: Any) -> None:
    global _live
    if key in _owners:
        _remove(key)
    ids = []
    for root in roots:
        ident = id(root)
        if ident in ids:
            continue
        ids.append(ident)
        entry = _buffers.get(ident)
        if entry is None:
            _buffers[ident] = [1, root.nbytes]
            _live += root.nbytes
        else:
            entry[0] += 1
    _owners[key] = (tuple(ids), ref)
    for tracker in _trackers:
        if _live > tracker.peak_bytes:
            tracker.peak_bytes = _live


def _remove(key: Hashable) -> None:
    global _live
    entry = _owners.pop(key, None)
    if entry is None:
        return
    for ident in entry[0]:
        held = _buffers[ident]
        held[0] -= 1
        if held[0] == 0:
            _live -= held[1]
            del _buffers[ident]


def _reset() -> None:
    global _live
    _owners.clear()  # the weakrefs go too, so their callbacks never fire
    _buffers.clear()
    _live = 0


__all__ = ["Tracker", "drop", "hold", "live_bytes", "recount", "track", "tracking"]
