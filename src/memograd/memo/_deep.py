"""Deep recursion: let a memoized recursion go 100,000+ calls deep under default settings.

Mechanism (all of it is in `run_deep` and the memoize miss path):

1. A memoized call first runs in place, in the caller's thread, under the caller's recursion
   limit. Shallow recursions (nearly all calls) pay nothing more than a thread-local flag.
2. If the *outermost* memoized computation of a thread fails with `RecursionError`, it is run
   again by `run_deep`: in a helper thread created with a large stack (`threading.stack_size`,
   `DEEP_STACK_BYTES`) while the recursion limit is raised to `DEEP_RECURSION_LIMIT`. The
   caller waits for it; the limit is put back when the last deep run ends (a counter makes
   concurrent deep runs safe) and the stack size right after the thread starts. Every
   sub-result finished by the first attempt is already cached, so little work is repeated.
3. The wrappers call the user function with a plain `f(a)` / `f(a, b)` call instead of
   `f(*args)`. CPython 3.11+ runs such Python-to-Python calls without recursing in C
   ("inlined" calls), so the deep chain wrapper -> miss path -> user function costs only
   Python frames, which the raised limit allows.

Limits:
    * The recursion limit is interpreter-wide in CPython 3.11-3.13 (`sys.setrecursionlimit`
      updates every thread), so while a deep run is going other threads see the raised limit.
    * Since 3.12 C-level recursion has its own fixed budget that `sys.setrecursionlimit`
      does not raise. A recursion that passes through C on every level (a `map`, `sorted(key=)`,
      a class `__call__`, `f(*args)` with keywords) stays limited by it; keep the recursive
      call a plain call of the memoized function with positional arguments.
    * Each level costs about three Python frames (a few hundred bytes each): fib(100_000)
      needs ~300,000 frames, well under `DEEP_RECURSION_LIMIT`.
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
deep run, so it can be changed (a genuinely infinite recursion takes seconds to hit it)."""

DEEP_STACK_BYTES = 1 << 30
"""C stack of the helper thread (virtual memory, committed only as used); read at each run."""

# What a thread is doing, as seen by the memoize miss path.
OUTSIDE: Final = 0  # no memoized computation running in this thread
IN_PLACE: Final = 1  # inside the outermost computation, first attempt (may be retried)
DEEP: Final = 2  # inside a deep run (no further retry)


class _Local(threading.local):
    mode: int = OUTSIDE


LOCAL = _Local()

_limit_lock = threading.Lock()
_limit_users = 0
_saved_limit = 0
_stack_lock = threading.Lock()


def _raise_limit() -> None:
    global _limit_users, _saved_limit
    with _limit_lock:
        if _limit_users == 0:
            _saved_limit = sys.getrecursionlimit()
            if _saved_limit < DEEP_RECURSION_LIMIT:
                sys.setrecursionlimit(DEEP_RECURSION_LIMIT)
        _limit_users += 1


def _restore_limit() -> None:
    global _limit_users
    with _limit_lock:
        _limit_users -= 1
        if _limit_users == 0 and sys.getrecursionlimit() != _saved_limit:
            sys.setrecursionlimit(_saved_limit)


def run_deep(func: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """Run `func(*args, **kwargs)` where a recursion 100,000+ levels deep can finish.

    The call runs in a helper thread with a large stack and a raised recursion limit; the
    caller waits. Interpreter settings are restored when the last deep run ends. Exceptions
    are re-raised in the caller; calls are recorded under the caller's open `trace()` node.

    Example:
        >>> run_deep(sum, [1, 2, 3])
        6
    """
    outcome: list[Any] = []
    parent_stack = _trace.current_stack()

    def target() -> None:
        LOCAL.mode = DEEP
        try:
            # New threads take the interpreter's limit when created (3.11-3.13); setting it
            # here again keeps that true should a version read it per thread.
            if sys.getrecursionlimit() < DEEP_RECURSION_LIMIT:
                sys.setrecursionlimit(DEEP_RECURSION_LIMIT)
            with _trace.adopted(parent_stack):
                outcome.append((True, func(*args, **kwargs)))
        except BaseException as error:
            outcome.append((False, error))

    _raise_limit()
    try:
        with _stack_lock:
            try:
                previous = threading.stack_size(DEEP_STACK_BYTES)
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
        _restore_limit()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value
