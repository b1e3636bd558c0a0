"""Deep recursion: let a memoized recursion go 100,000+ calls deep under default settings.

Mechanism (this module plus the memoize miss path, `_cache.Store.compute`):

1. A memoized computation first runs in place, in the caller's thread. Shallow recursions
   (nearly all calls) pay a dict lookup per miss and a registration per outermost call.
2. If the *outermost* memoized computation of a thread fails with `RecursionError` (the
   interpreter's limit, or more than `IN_PLACE_LEVELS` nested misses), it is run again by
   `run_deep`: in a helper thread created with a large C stack (`threading.stack_size`,
   `DEEP_STACK_BYTES`) while the recursion limit is raised to `DEEP_RECURSION_LIMIT`; the
   caller waits. Every sub-result the first attempt finished is already cached.
3. The wrappers call the user function with a plain `f(a)` / `f(a, b)` call rather than
   `f(*args)`. CPython 3.11+ runs Python-to-Python calls made with the CALL instruction
   without recursing in C ("inlined" calls; 3.13 also inlines `f(*args)`), so the deep chain
   wrapper -> miss path -> user function costs only Python frames, which the raised limit
   allows; no C stack is needed for it at all.
4. Restoring: the limit is raised once, by the first deep run, and put back when no outermost
   memoized computation is running any more in any thread (`THREADS` is empty), and only
   if nobody changed it meanwhile. Waiting for *all* of them matters: the limit is
   interpreter-wide, so an in-place computation in another thread may have gone past the
   default depth while it was raised, and lowering the limit under a thread that deep makes
   CPython 3.11 abort ("Cannot recover from stack overflow"). The thread stack size is put
   back as soon as the helper thread has started.

Limits:
    * CPython 3.11-3.13 keep one limit per interpreter (`sys.setrecursionlimit` updates every
      thread). While a deep run is going, other threads see the raised limit too; a plain
      (non-memoized) recursion in another thread that goes past the default depth in that
      window, and is still that deep when the limit is restored, fails as described above.
    * Since 3.12, C-level recursion has its own fixed budget that `sys.setrecursionlimit`
      does not raise: a recursion that goes through C on every level (`map`, `sorted(key=)`,
      a class `__call__`, keyword arguments with `f(*args, **kwargs)` on 3.12) stays limited
      to a few thousand levels there. On 3.11 it works (the helper's stack is large enough).
      Keep the recursive call a plain call of the memoized function with positional arguments.
    * Each level costs about three Python frames: fib(100_000) needs ~300,000 frames, under
      `DEEP_RECURSION_LIMIT`. A genuinely infinite recursion uses the whole raised limit
      before it fails (seconds and a few hundred MB); lower the limit to fail sooner.
    * Calls made by the aborted first attempt that were answered from the cache are counted
      in `cache_info()` (they happened); computations cut short by the retry are not.

Example:
    >>> import sys
    >>> def depth(n: int) -> int:
    ...     return 0 if n == 0 else 1 + depth(n - 1)
    >>> run_deep(depth, 50_000)
    50000
    >>> sys.getrecursionlimit() < DEEP_RECURSION_LIMIT
    True
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any, Final, TypeVar

from memograd.memo import _trace

R = TypeVar("R")

DEEP_RECURSION_LIMIT = 500_000
"""Recursion limit while a deep run is going (frames; ~3 per memoized level). Read at each
deep run, so it can be changed."""

DEEP_STACK_BYTES = 1 << 30
"""C stack of the helper thread (virtual memory, committed only as used); read at each run."""

IN_PLACE_LEVELS = 2_000
"""Nested misses allowed before an in-place attempt is moved to a deep run. Normally the
interpreter's limit stops it first; this bound holds when the limit was raised (by another
thread's deep run or by the user), keeping C-recursive chains within a normal thread stack."""

# What a thread is doing, as seen by the memoize miss path.
IN_PLACE: Final = 1  # inside the outermost computation, first attempt (may be retried)
DEEP: Final = 2  # inside a deep run (no further retry)
MODE, LEVELS = 0, 1  # fields of a thread's state: [mode, nested misses of an in-place attempt]

THREADS: dict[object, list[int]] = {}
"""The state of every thread running a memoized computation (key: thread ident), and of every
deep run being started (key: a private token). Empty when no computation runs anywhere:
only then is a raised recursion limit put back. Reads and writes are single dict operations."""

_lock = threading.Lock()
_saved_limit: int | None = None  # the limit to restore, while we hold it raised
_raised_to = 0
_stack_lock = threading.Lock()


def enter(key: object, mode: int) -> list[int]:
    """Register a computation (an outermost memoized call, or a deep run); returns its state."""
    state = [mode, 0]
    THREADS[key] = state
    if _saved_limit is not None:
        # A raised limit may be being restored by `leave` right now: wait until it is done,
        # so that this computation runs either under the raised limit with restoring held
        # off (it is registered), or under the restored one.
        with _lock:
            pass
    return state


def leave(key: object) -> None:
    """Unregister; the last computation out restores the limit if a deep run raised it."""
    global _saved_limit
    THREADS.pop(key, None)
    if _saved_limit is None:
        return
    with _lock:
        if THREADS or _saved_limit is None:
            return
        if sys.getrecursionlimit() == _raised_to:  # unless someone set another meanwhile
            try:
                sys.setrecursionlimit(_saved_limit)
            except RecursionError:  # this thread is itself deeper: the next leave() retries
                return
        _saved_limit = None


def _raise_limit() -> None:
    global _saved_limit, _raised_to
    with _lock:
        current = sys.getrecursionlimit()
        if current < DEEP_RECURSION_LIMIT:
            if _saved_limit is None:
                _saved_limit = current
            _raised_to = DEEP_RECURSION_LIMIT
            sys.setrecursionlimit(DEEP_RECURSION_LIMIT)


def run_deep(func: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """Run `func(*args, **kwargs)` where a recursion 100,000+ levels deep can finish.

    The call runs in a helper thread with a large stack and a raised recursion limit; the
    caller waits. Interpreter settings are restored when the last computation ends.
    Exceptions are re-raised in the caller; calls are recorded under the caller's open
    `trace()` node.

    Example:
        >>> run_deep(sum, [1, 2, 3])
        6
    """
    outcome: list[tuple[bool, Any]] = []
    parent_stack = _trace.current_stack()

    def target() -> None:
        ident = threading.get_ident()
        enter(ident, DEEP)
        try:
            with _trace.adopted(parent_stack):
                outcome.append((True, func(*args, **kwargs)))
        except BaseException as error:
            outcome.append((False, error))
        finally:
            leave(ident)

    hold = object()  # registered before the limit is raised: it stays raised until `leave`
    enter(hold, DEEP)
    try:
        _raise_limit()
        with _stack_lock:
            try:
                previous: int | None = threading.stack_size(DEEP_STACK_BYTES)
            except (ValueError, RuntimeError):  # platform refuses: keep the default stack
                previous = None
            try:
                helper = threading.Thread(target=target, name="memograd-deep", daemon=True)
                helper.start()
            finally:
                if previous is not None:
                    threading.stack_size(previous)
        helper.join()
    finally:
        leave(hold)
    ok, value = outcome[0]
    if not ok:
        raise value
    return value
