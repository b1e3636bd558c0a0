"""Call tracing: make calls of memoized and `@traced` functions visible as trees.

`trace()` turns a process-wide flag (`STATE.active`) on and repoints every generated wrapper
at its recording path (`register_switch`), so when nobody traces those wrappers do no tracing
work at all; the few hand-written wrappers (`*args` signatures, the miss path) check the
flag. While tracing, each call becomes a `CallNode` appended under the call that made it (one
open-node stack per thread), and a cache hit becomes a leaf with `cached=True`.

Example:
    >>> @traced
    ... def fib(n: int) -> int:
    ...     return n if n < 2 else fib(n - 1) + fib(n - 2)
    >>> with trace() as t:
    ...     _ = fib(3)
    >>> t.calls, t.counts["fib"], [c.args for c in t.roots[0].children]
    (5, 5, [(2,), (1,)])
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from memograd import _display
from memograd.memo._signature import build, function_name, mirror

P = ParamSpec("P")
R = TypeVar("R")


class _State:
    """The process-wide tracing switch read by every wrapper (one attribute load)."""

    __slots__ = ("active", "current")

    def __init__(self) -> None:
        self.active = False
        self.current: Trace | None = None


STATE = _State()
_switch_lock = threading.Lock()
_switchable: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()  # gone when unused


def register_switch(wrapper: Callable[..., Any], switches: dict[str, tuple[Any, Any]]) -> None:
    """Let `trace()` switch globals of a generated wrapper: `{name: (off, on)}`.

    Generated wrappers read what depends on tracing from globals of their own (for
    `@memoize`, the cache's tables: while tracing, empty ones, so every call reaches the
    miss path, which records it; for `@traced`, the function to call). Not tracing then
    costs nothing on their hot path: not even a flag check.
    """
    space = wrapper.__globals__
    space["_mg_switches"] = switches
    with _switch_lock:
        for name, (off, on) in switches.items():
            space[name] = on if STATE.active else off
        _switchable.add(wrapper)


def _switch_all(active: bool) -> None:
    """Point every live generated wrapper at its tracing or plain path (under `_switch_lock`)."""
    for wrapper in list(_switchable):
        space = wrapper.__globals__
        for name, (off, on) in space["_mg_switches"].items():
            space[name] = on if active else off


@dataclass(eq=False)
class CallNode:
    """One recorded call.

    Attributes:
        name: the function's `__name__`.
        args: positional arguments of the call.
        result: the value returned (None while running or if the call raised).
        cached: True when the result came from the cache (such nodes are leaves).
        children: the calls made while computing this one, in call order.
        kwargs: keyword arguments of the call.
        error: the exception the call raised, if any.
    """

    name: str
    args: tuple[Any, ...]
    result: Any = None
    cached: bool = False
    children: list[CallNode] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    error: BaseException | None = None

    def label(self) -> str:
        """`fib(3)`-style text for drawings and tables."""
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{self.name}({', '.join(parts)})"

    def walk(self) -> Iterator[CallNode]:
        """This node and all below it, depth-first in call order (iterative: deep trees work)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def __repr__(self) -> str:  # shallow: a tree 100,000 deep must not recurse here
        return (
            f"CallNode({self.label()}, result={self.result!r}, cached={self.cached}, "
            f"children={len(self.children)})"
        )


class Trace:
    """What one `trace()` block recorded: call trees under `roots`, plus totals."""

    def __init__(self) -> None:
        self.roots: list[CallNode] = []
        self._stacks: dict[int, list[CallNode]] = {}

    def walk(self) -> Iterator[CallNode]:
        """Every recorded node, root by root, depth-first."""
        for root in self.roots:
            yield from root.walk()

    @property
    def calls(self) -> int:
        """Number of recorded calls (cached hits included)."""
        return sum(1 for _ in self.walk())

    @property
    def hits(self) -> int:
        """Number of calls answered from a cache (`cached=True` nodes)."""
        return sum(1 for node in self.walk() if node.cached)

    cached = hits

    @property
    def counts(self) -> Counter[str]:
        """Calls per function name."""
        return Counter(node.name for node in self.walk())

    @property
    def hit_counts(self) -> Counter[str]:
        """Cache hits per function name."""
        return Counter(node.name for node in self.walk() if node.cached)

    def __repr__(self) -> str:
        return f"Trace(roots={len(self.roots)}, calls={self.calls}, hits={self.hits})"

    def _repr_svg_(self) -> str | None:
        """Jupyter: draw the recorded call trees (None when empty or too big to read)."""
        return _display.svg("trace", self)  # drawn by memograd.viz, which registers it


@contextlib.contextmanager
def trace() -> Iterator[Trace]:
    """Record calls of memoized and `@traced` functions made inside the block, in any thread.

    Blocks nest: the innermost active trace records; the outer one resumes after it.

    Example:
        >>> with trace() as t:
        ...     pass
        >>> t.roots
        []
    """
    recording = Trace()
    with _switch_lock:
        previous = STATE.current
        STATE.current = recording
        STATE.active = True
        _switch_all(True)
    try:
        yield recording
    finally:
        with _switch_lock:
            STATE.current = previous
            STATE.active = previous is not None
            _switch_all(STATE.active)


def _stack() -> tuple[Trace, list[CallNode]] | None:
    recording = STATE.current
    if recording is None:
        return None
    ident = threading.get_ident()
    stack = recording._stacks.get(ident)
    if stack is None:
        stack = recording._stacks.setdefault(ident, [])
    return recording, stack


def leaf(name: str, args: tuple[Any, ...], kwargs: dict[str, Any] | None, result: Any) -> None:
    """Record a call answered from a cache."""
    found = _stack()
    if found is None:
        return
    recording, stack = found
    node = CallNode(name, args, result, True, [], dict(kwargs) if kwargs else {})
    (stack[-1].children if stack else recording.roots).append(node)


Token = tuple[CallNode, list[CallNode], list[CallNode], int]


def begin(name: str, args: tuple[Any, ...], kwargs: dict[str, Any] | None) -> Token | None:
    """Open a node for a call that computes; returns a token for `end`/`fail`/`discard`."""
    found = _stack()
    if found is None:
        return None
    recording, stack = found
    node = CallNode(name, args, None, False, [], dict(kwargs) if kwargs else {})
    siblings = stack[-1].children if stack else recording.roots
    siblings.append(node)
    depth = len(stack)
    stack.append(node)
    return node, siblings, stack, depth


def end(token: Token, result: Any) -> None:
    """Close the node of `token` with its result."""
    node, _, stack, depth = token
    node.result = result
    # Truncate rather than pop: a frame that died near the recursion limit may not have
    # closed its own node.
    del stack[depth:]


def fail(token: Token, error: BaseException) -> None:
    """Close the node of `token` for a call that raised."""
    node, _, stack, depth = token
    node.error = error
    del stack[depth:]


def discard(token: Token) -> None:
    """Remove the node of `token` (an attempt that is retried and recorded again)."""
    node, siblings, stack, depth = token
    del stack[depth:]
    for i in range(len(siblings) - 1, -1, -1):
        if siblings[i] is node:
            del siblings[i]
            break


def current_stack() -> list[CallNode] | None:
    """This thread's open-node stack in the active trace (to hand to a helper thread)."""
    found = _stack()
    return None if found is None else found[1]


@contextlib.contextmanager
def adopted(stack: list[CallNode] | None) -> Iterator[None]:
    """Record this thread's calls under `stack` (a caller's stack; the caller waits meanwhile)."""
    recording = STATE.current
    if stack is None or recording is None:
        yield
        return
    ident = threading.get_ident()
    recording._stacks[ident] = stack
    try:
        yield
    finally:
        recording._stacks.pop(ident, None)


_TRACED_TEMPLATE = """\
def __make__({make_params}):
    def {name}({params}):
        return _mg_fast({call})

    def _mg_recording({params}):
        return _mg_record({args}, {kwargs})

    return {name}, _mg_recording
"""


def traced(func: Callable[P, R]) -> Callable[P, R]:
    """Make calls of `func` visible to `trace()`; nothing is cached.

    For a fixed signature the wrapper is generated with `func`'s own parameters and, when no
    trace is active, only calls `func` (with a plain call: no argument tuple, and a recursion
    through it stays a chain of Python-to-Python calls, see `_deep`); `trace()` points it at
    a recording path (`register_switch`). Other signatures check a flag per call.

    Example:
        >>> @traced
        ... def double(x: int) -> int:
        ...     return 2 * x
        >>> double(4)
        8
    """
    name = getattr(func, "__name__", type(func).__name__)
    state = STATE
    call: Callable[..., Any] = func
    try:
        signature: inspect.Signature | None = inspect.signature(func)
    except (TypeError, ValueError):
        signature = None
    fragments = None if signature is None else mirror(signature)

    def record(args: tuple[Any, ...], kwargs: dict[str, Any] | None) -> Any:
        return _record(name, call, args, kwargs or {})

    if fragments is not None and signature is not None:
        every = [p for p in signature.parameters.values()]
        call_text = ", ".join(
            p.name if p.kind is not p.KEYWORD_ONLY else f"{p.name}={p.name}" for p in every
        )
        env = {"_mg_record": record}
        wrapper, recording = build(
            _TRACED_TEMPLATE, func, fragments, function_name(name, signature), env, call=call_text
        )
        register_switch(wrapper, {"_mg_fast": (call, recording)})
    else:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if state.active:
                return _record(name, call, args, kwargs)
            if kwargs:
                return call(*args, **kwargs)
            n = len(args)
            if n == 1:
                return call(args[0])
            if n == 2:
                return call(args[0], args[1])
            if n == 3:
                return call(args[0], args[1], args[2])
            return call(*args)

    functools.update_wrapper(wrapper, func)
    return wrapper


def _record(
    name: str, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    token = begin(name, args, kwargs)
    try:
        if kwargs:
            result = func(*args, **kwargs)
        elif len(args) == 1:
            result = func(args[0])
        elif len(args) == 2:
            result = func(args[0], args[1])
        else:
            result = func(*args)
    except BaseException as error:
        if token is not None:
            fail(token, error)
        raise
    if token is not None:
        end(token, result)
    return result
