"""`memograd._errors`: the one Keras-style message for a bad argument, used across layers."""

from __future__ import annotations

import doctest

import pytest

import memograd as mg
from memograd import _errors
from memograd._errors import invalid_message, invalid_type, invalid_value


def test_message_names_the_argument_the_expectation_and_the_value() -> None:
    assert invalid_message("units", "a positive integer", 0) == (
        "Received an invalid value for `units`, expected a positive integer. Received: units=0"
    )
    assert invalid_message("mode", "a bool", "yes", show_type=True).endswith(
        "Received: mode='yes' of type str"
    )


def test_the_exception_types() -> None:
    assert type(invalid_value("x", "y", 1)) is ValueError
    assert type(invalid_type("x", "y", 1)) is TypeError


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: mg.set_num_threads(0), ValueError, "Received: n=0"),
        (lambda: mg.memoize(maxsize=1.5), TypeError, "Received: maxsize=1.5 of type float"),
        (lambda: mg.fib.naive(-3), ValueError, "Received: n=-3"),
        (lambda: mg.nn.Dense(4, use_bias="no"), ValueError, "Received: use_bias='no'"),
        (lambda: mg.checkpointing.schedule("most", 3), ValueError, "checkpoint='most'"),
    ],
)
def test_public_checks_share_the_message(call: object, error: type, message: str) -> None:
    with pytest.raises(error, match=r"^Received an invalid value for `") as raised:
        call()  # type: ignore[operator]
    assert str(raised.value).endswith(message)


def test_docstring_examples() -> None:
    result = doctest.testmod(_errors)
    assert result.attempted > 0 and result.failed == 0
