"""Whether operations record a graph for backward: `no_grad`, `enable_grad`.

One module-level flag, read by every op of both engines before it builds a node. Inside
``with no_grad():`` ops compute values only: no parents, no saved arrays, no backward.

Example:
    >>> import memograd as mg
    >>> w = mg.Tensor([1.0, 2.0], requires_grad=True)
    >>> with mg.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from memograd._errors import invalid_type

enabled: bool = True
"""True when ops record the graph (the default). Engines read it directly: it is cheap."""

_F = TypeVar("_F", bound=Callable[..., Any])


def is_grad_enabled() -> bool:
    """Whether ops currently record a graph for backward."""
    return enabled


def set_grad_enabled(mode: bool) -> None:
    """Turn graph recording on or off globally (prefer the context managers)."""
    global enabled
    if not isinstance(mode, bool):
        raise invalid_type("mode", "a bool", mode)
    enabled = mode


class _GradMode:
    """A context manager (and decorator) that sets the flag and restores it on exit."""

    _mode: bool = True

    def __init__(self) -> None:
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        global enabled
        self._previous.append(enabled)  # a stack, so one instance can be re-entered
        enabled = self._mode

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        global enabled
        enabled = self._previous.pop()

    def __call__(self, func: _F) -> _F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Compute values without recording a graph (inference, optimizer updates).

    Works as a context manager or a decorator; nests and restores the previous state.

    Example:
        >>> import memograd as mg
        >>> x = mg.Tensor(3.0, requires_grad=True)
        >>> with mg.no_grad():
        ...     (x * x).requires_grad
        False
    """

    _mode = False


class enable_grad(_GradMode):
    """Record the graph again inside a `no_grad` block.

    Example:
        >>> import memograd as mg
        >>> x = mg.Tensor(3.0, requires_grad=True)
        >>> with mg.no_grad(), mg.enable_grad():
        ...     (x * x).requires_grad
        True
    """

    _mode = True


__all__ = ["enable_grad", "enabled", "is_grad_enabled", "no_grad", "set_grad_enabled"]
