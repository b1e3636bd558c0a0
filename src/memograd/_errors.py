"""Keras-style messages for a bad argument, shared by every module that checks one.

A message names the argument, says what was expected and shows what was received, so the
caller can fix the call without reading our code::

    Received an invalid value for `units`, expected a positive integer. Received: units=0

`invalid_value` (a ValueError: right type, wrong value) and `invalid_type` (a TypeError)
build the exception; the caller raises it, so tracebacks end at the check itself.

Example:
    >>> str(invalid_value("units", "a positive integer", 0))
    'Received an invalid value for `units`, expected a positive integer. Received: units=0'
    >>> str(invalid_type("mode", "a bool", "yes", show_type=True))
    "Received an invalid value for `mode`, expected a bool. Received: mode='yes' of type str"
"""

from __future__ import annotations


def invalid_message(name: str, expected: str, value: object, *, show_type: bool = False) -> str:
    """``Received an invalid value for `name`, expected <expected>. Received: name=<value!r>``.

    Args:
        name: the argument, as the caller spells it.
        expected: what would have been accepted ("a positive integer", "one of 'a', 'b'").
        value: what was received (shown with repr).
        show_type: append " of type <type name>" (when the repr alone does not say it).
    """
    message = (
        f"Received an invalid value for `{name}`, expected {expected}. Received: {name}={value!r}"
    )
    return f"{message} of type {type(value).__name__}" if show_type else message


def invalid_value(
    name: str, expected: str, value: object, *, show_type: bool = False
) -> ValueError:
    """The ValueError for an argument of the right type but a wrong value."""
    return ValueError(invalid_message(name, expected, value, show_type=show_type))


def invalid_type(name: str, expected: str, value: object, *, show_type: bool = False) -> TypeError:
    """The TypeError for an argument of the wrong type."""
    return TypeError(invalid_message(name, expected, value, show_type=show_type))


__all__ = ["invalid_message", "invalid_type", "invalid_value"]
