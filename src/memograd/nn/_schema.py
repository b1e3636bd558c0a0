"""A small typed validator for JSON documents (the metadata of model files).

A spec is a function ``check(value, path)`` that returns nothing or raises `SchemaError`
naming the field (``architecture.layers[1].config.units``), what it expected and what it
received. Specs are built from the constructors below and nest like the document::

    spec = obj({"units": integer(1)}, optional={"name": string()})
    spec({"units": 0}, "config")   # SchemaError: `config.units` ... expected an integer >= 1

Parsed JSON only holds dicts, lists, str, int, float, bool and None, and its nesting is
bounded by the reader (`memograd.nn._fileheader.parse_json`), so recursion here is safe.
(A dependency such as `jsonschema` would do the same at ten times the weight.)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

Spec = Callable[[Any, str], None]

#: the largest integer JSON readers agree on (2**53); counts and sizes stay below it
MAX_INT = 2**53


class SchemaError(ValueError):
    """A field of a document does not match its spec."""

    def __init__(
        self, path: str, expected: str, value: Any = None, *, received: str | None = None
    ) -> None:
        self.path = path
        self.expected = expected
        shown = short_repr(value) if received is None else received
        super().__init__(f"field `{path}`: expected {expected}. Received: {shown}")


def short_repr(value: Any, limit: int = 80) -> str:
    """`repr(value)` cut to `limit` characters (a crafted field can be megabytes long)."""
    if isinstance(value, dict | list) and len(value) > 20:
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit]  # repr only what is shown
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def integer(minimum: int = -MAX_INT, maximum: int = MAX_INT) -> Spec:
    """An integer (not a bool, not a float such as 3.0) in [minimum, maximum]."""
    expected = (
        f"an integer >= {minimum}"
        if maximum == MAX_INT
        else f"an integer in [{minimum}, {maximum}]"
    )

    def check(value: Any, path: str) -> None:
        if not _is_int(value) or not minimum <= value <= maximum:
            raise SchemaError(path, expected, value)

    return check


def number(
    minimum: float = -math.inf,
    maximum: float = math.inf,
    *,
    open_min: bool = False,
    open_max: bool = False,
) -> Spec:
    """A finite int or float (not a bool) within the bounds (open or closed at each end)."""
    low = "(" if open_min else "["
    high = ")" if open_max else "]"
    expected = "a finite number" + (
        f" in {low}{minimum}, {maximum}{high}"
        if (minimum, maximum) != (-math.inf, math.inf)
        else ""
    )

    def check(value: Any, path: str) -> None:
        if not (_is_int(value) or isinstance(value, float)) or not math.isfinite(value):
            raise SchemaError(path, expected, value)
        below = value <= minimum if open_min else value < minimum
        above = value >= maximum if open_max else value > maximum
        if below or above:
            raise SchemaError(path, expected, value)

    return check


def string(
    choices: Collection[str] | None = None, *, pattern: str | None = None, max_length: int = 4096
) -> Spec:
    """A string: one of `choices`, or matching `pattern`, at most `max_length` characters."""
    if choices is not None:
        expected = "one of " + ", ".join(repr(c) for c in sorted(choices))
    elif pattern is not None:
        expected = f"a string matching {pattern}"
    else:
        expected = f"a string of at most {max_length} characters"
    compiled = re.compile(pattern) if pattern is not None else None

    def check(value: Any, path: str) -> None:
        if not isinstance(value, str) or len(value) > max_length:
            raise SchemaError(path, expected, value)
        if choices is not None and value not in choices:
            raise SchemaError(path, expected, value)
        if compiled is not None and not compiled.fullmatch(value):
            raise SchemaError(path, expected, value)

    return check


def boolean() -> Spec:
    """true or false (not 0/1)."""

    def check(value: Any, path: str) -> None:
        if not isinstance(value, bool):
            raise SchemaError(path, "true or false", value)

    return check


def optional(spec: Spec) -> Spec:
    """null, or a value matching `spec`."""

    def check(value: Any, path: str) -> None:
        if value is not None:
            spec(value, path)

    return check


def one_of(expected: str, *specs: Spec) -> Spec:
    """A value matching at least one of `specs`; the error says `expected`."""

    def check(value: Any, path: str) -> None:
        for spec in specs:
            try:
                spec(value, path)
            except SchemaError:
                continue
            return
        raise SchemaError(path, expected, value)

    return check


def list_of(item: Spec, *, min_length: int = 0, max_length: int = MAX_INT) -> Spec:
    """A list whose every element matches `item` (paths ``field[i]``)."""

    def check(value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise SchemaError(path, "a list", value)
        if not min_length <= len(value) <= max_length:
            raise SchemaError(
                path,
                f"a list of {min_length} to {max_length} items",
                received=f"{len(value)} items",
            )
        for index, element in enumerate(value):
            item(element, f"{path}[{index}]")

    return check


def map_of(value_spec: Spec) -> Spec:
    """An object with any keys, every value matching `value_spec` (paths ``field.key``)."""

    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise SchemaError(path, "an object", value)
        for key, element in value.items():
            value_spec(element, f"{path}.{key}")

    return check


def obj(
    required: Mapping[str, Spec],
    optional: Mapping[str, Spec] | None = None,
    *,
    extra: Spec | None = None,
) -> Spec:
    """An object with the `required` keys, perhaps the `optional` ones, and others only if
    `extra` is given (each other value must match it)."""
    known = {**required, **(optional or {})}

    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise SchemaError(path, "an object", value)
        for key in required:
            if key not in value:
                raise SchemaError(_join(path, key), "a value", received="nothing (it is missing)")
        for key, element in value.items():
            spec = known.get(key, extra)
            if spec is None:
                names = ", ".join(sorted(known))
                raise SchemaError(
                    _join(path, key), f"only the known fields here ({names})", element
                )
            spec(element, _join(path, key))

    return check


def tagged(tag: str, variants: Mapping[str, Spec]) -> Spec:
    """An object whose `tag` field (e.g. ``class_name``) picks the spec of the whole object."""
    choose = string(variants)

    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise SchemaError(path, "an object", value)
        choose(value.get(tag), _join(path, tag))
        variants[value[tag]](value, path)

    return check


def any_json() -> Spec:
    """Anything JSON holds, with finite numbers only."""

    def check(value: Any, path: str) -> None:
        if isinstance(value, float) and not math.isfinite(value):
            raise SchemaError(path, "a finite number", value)
        if isinstance(value, dict):
            for key, element in value.items():
                check(element, _join(path, key))
        elif isinstance(value, list):
            for index, element in enumerate(value):
                check(element, f"{path}[{index}]")

    return check


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


__all__ = [
    "MAX_INT",
    "SchemaError",
    "Spec",
    "any_json",
    "boolean",
    "integer",
    "list_of",
    "map_of",
    "number",
    "obj",
    "one_of",
    "optional",
    "short_repr",
    "string",
    "tagged",
]
