"""Argument checks shared by the `nn` modules, with Keras-style messages.

Every check names the argument, what was expected and what was received, e.g.
``Received an invalid value for `units`, expected a positive integer. Received: units=0``
(the message of `memograd._errors`, which every layer shares).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import TypeVar

from memograd._errors import invalid_value

T = TypeVar("T")


def not_a_name(name: str, expected: str, value: object) -> TypeError:
    """The TypeError for a component that is neither a registered name nor a usable object."""
    return TypeError(
        f"Expected `{name}` to be {expected}. "
        f"Received: {name}={value!r} of type {type(value).__name__}"
    )


def positive_int(name: str, value: object) -> int:
    """Return `value` as an int if it is an integer >= 1 (bools are rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise invalid_value(name, "a positive integer", value)
    return int(value)


def optional_positive_int(name: str, value: object) -> int | None:
    """`value` unchanged if None (the callee's default), else as `positive_int` checks it."""
    return None if value is None else positive_int(name, value)


def non_negative_float(name: str, value: object, *, upper: float | None = None) -> float:
    """Return `value` as a float if it is a real number >= 0 (and < `upper` when given)."""
    expected = "a non-negative number" if upper is None else f"a number in [0, {upper})"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise invalid_value(name, expected, value)
    number = float(value)
    if not number >= 0.0 or (upper is not None and not number < upper):
        raise invalid_value(name, expected, value)
    return number


def positive_float(name: str, value: object) -> float:
    """Return `value` as a float if it is a finite real number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise invalid_value(name, "a positive number", value)
    number = float(value)
    if not 0.0 < number < float("inf"):
        raise invalid_value(name, "a positive number", value)
    return number


def optional_seed(name: str, value: object) -> int | None:
    """Return `value` if it is None or a non-negative integer seed."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 0:
        raise invalid_value(name, "None or a non-negative integer", value)
    return int(value)


def lookup(kind: str, identifier: str, table: Mapping[str, T]) -> T:
    """Find `identifier` in a registry; the error lists every valid name.

    Example:
        >>> lookup("activation", "relu", {"relu": 1})
        1
    """
    key = identifier.lower()
    if key in table:
        return table[key]
    valid = ", ".join(repr(name) for name in sorted(table))
    raise ValueError(
        f"Could not interpret {kind} identifier: {identifier!r}. Valid names are: {valid}."
    )


def instance(
    kind: str, identifier: object, base: type[T], table: Mapping[str, type[T]], expected: str
) -> T:
    """`identifier` if it is a `base` instance, else a fresh instance of the class it names.

    Raises:
        TypeError: for neither a name nor a `base` (message: "Expected `kind` to be `expected`").
        ValueError: for an unknown name; the message lists the valid names.

    Example:
        >>> instance("metric", "acc", dict, {"acc": dict}, "a name or a dict")
        {}
    """
    if isinstance(identifier, base):
        return identifier
    if not isinstance(identifier, str):
        raise not_a_name(kind, expected, identifier)
    return lookup(kind, identifier, table)()


def name_of(function: Callable[..., object], table: Mapping[str, Callable[..., object]]) -> str:
    """The registry name of `function`, or its `__name__` when it is not registered."""
    for key, value in table.items():
        if value is function:
            return key
    return getattr(function, "__name__", type(function).__name__)
