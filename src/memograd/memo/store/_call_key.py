"""A call's store key: SHA-256 of function identity, code fingerprint and normalised arguments.

The arguments are bound to the function's signature with defaults applied, so `f(5)`,
`f(n=5)` and a default-filled call share a key (as they share one in process), and keyword
order does not matter. Each parameter goes in by name and by its stable encoding
(`_stable_key`); with `key=`, the user key function's return value goes in instead.

Example:
    >>> def f(n, scale=2): return n * scale
    >>> k = CallKey(f, typed=False, key=None, serializer=None)
    >>> k((5,), None) == k((), {"n": 5, "scale": 2})
    True
"""

from __future__ import annotations

import hashlib
import inspect
import threading
from collections.abc import Callable, Hashable
from typing import Any

from memograd.memo.store._codec import Serializer
from memograd.memo.store._fingerprint import Fingerprint, fingerprint
from memograd.memo.store._stable_key import Unstable, encode_into

KEY_FORMAT = b"memograd-store-key-1"


class CallKey:
    """Computes store keys for calls of `func`; the fingerprint is taken at the first call
    (helpers defined after the decorated function exist by then) and kept."""

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        typed: bool,
        key: Callable[..., Hashable] | None,
        serializer: Serializer | None,
    ) -> None:
        self.func = func
        self.typed = typed
        self.user_key = key
        self.serializer = serializer
        self.name = f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', '?')}"
        try:
            self.signature: inspect.Signature | None = inspect.signature(func)
        except (TypeError, ValueError):
            self.signature = None
        # Positional calls of a signature without *args/**kwargs are bound here without
        # `Signature.bind` (a quarter of a store hit's cost): names in order, defaults after.
        self._names: list[str] | None = None
        self._defaults: list[Any] = []
        if self.signature is not None:
            params = list(self.signature.parameters.values())
            if all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
                self._names = [p.name for p in params]
                self._defaults = [p.default for p in params]
        self._prefix: Any = None
        self._lock = threading.Lock()

    def fingerprint(self) -> Fingerprint:
        return fingerprint(self.func)

    def _base(self) -> Any:
        """A hash object fed with everything but the arguments (copied for each call)."""
        if self._prefix is None:
            with self._lock:
                if self._prefix is None:
                    h = hashlib.sha256(KEY_FORMAT)
                    for text in (
                        self.name,
                        self.fingerprint().digest,
                        "native" if self.serializer is None else self.serializer.name,
                        "typed" if self.typed else "untyped",
                        "key=" if self.user_key is not None else "",
                    ):
                        h.update(text.encode("utf-8") + b"\0")
                    self._prefix = h
        return self._prefix.copy()

    def __call__(self, args: tuple[Any, ...], kwargs: dict[str, Any] | None) -> str:
        """The key (64 hex characters); TypeError naming the argument that has no stable key."""
        h = self._base()
        kwargs = kwargs or {}
        if self.user_key is not None:
            value = self.user_key(*args, **kwargs)
            self._encode(h, value, "the value returned by `key=`", "")
            return h.hexdigest()
        bound: Any
        names = self._names
        if not kwargs and names is not None and len(args) <= len(names):
            defaults = self._defaults[len(args) :]
            if not any(d is inspect.Parameter.empty for d in defaults):
                bound = zip(names, (*args, *defaults), strict=True)
            else:
                bound = self._bind(args, kwargs)
        else:
            bound = self._bind(args, kwargs)
        for name, value in bound:
            h.update(name.encode("utf-8") + b"\0")
            self._encode(h, value, f"argument `{name}`", name)
        return h.hexdigest()

    def _bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[tuple[str, Any]]:
        bound: list[tuple[str, Any]]
        if self.signature is not None:
            try:
                binding = self.signature.bind(*args, **kwargs)
            except TypeError as error:
                raise TypeError(f"{self.name.rpartition('.')[2]}(): {error}") from None
            binding.apply_defaults()
            bound = list(binding.arguments.items())
        else:
            bound = [(f"#{i}", v) for i, v in enumerate(args)] + sorted(kwargs.items())
        return bound

    def _encode(self, h: Any, value: Any, what: str, name: str) -> None:
        try:
            encode_into(h, value, self.typed, name)
        except Unstable as error:
            where = f" (at {error.path})" if error.path and error.path != name else ""
            raise TypeError(
                f"Cannot key the call of {self.name!r} for a persistent store: {what} of "
                f"type {type(value).__name__}{where} holds a "
                f"{error.value_type.__module__}.{error.value_type.__qualname__}, which has no "
                "stable key across processes (expected None, bool, numbers, str, bytes, "
                "Enum members, paths, NumPy arrays and scalars, and lists, tuples, dicts and "
                "sets of these). Pass `key=` to memoize to key such calls yourself."
            ) from None
        except RecursionError:
            raise TypeError(
                f"Cannot key the call of {self.name!r}: {what} is nested too deeply."
            ) from None
