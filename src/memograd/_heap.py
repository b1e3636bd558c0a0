"""Keep the C heap from shrinking and regrowing at every eager training step.

An eager step allocates its temporaries (activations, masks, gradients: a few MiB) and frees
them all at the end. glibc's malloc gives the free memory at the top of its heap back to the
operating system as soon as more than its trim threshold (128 KiB by default) is free, and the
next step takes it back one page fault at a time: on W3 (eleven 128x128 layers) about 300
faults, a fifth of the step. glibc raises that threshold by itself — to twice the size of any
block it had to map separately (over 128 KiB) once that block is freed, up to 32 MiB — which
is why steps with large arrays never pay this. `settle()` frees one such block once, so steps
made of small arrays recycle their memory too. Elsewhere (other C libraries) it is a no-op
in effect: one allocation and one free.

Example:
    >>> from memograd._heap import settle
    >>> settle(); settle()  # once per process; the second call does nothing
"""

from __future__ import annotations

import numpy as np

BLOCK_BYTES = 16 << 20
"""Size of the block freed once: the heap then keeps up to twice that before trimming."""

_settled = False


def settle() -> None:
    """Allocate and free one `BLOCK_BYTES` block, once per process (see the module doc)."""
    global _settled
    if not _settled:
        _settled = True
        block = np.empty(BLOCK_BYTES, dtype=np.uint8)
        del block


__all__ = ["BLOCK_BYTES", "settle"]
