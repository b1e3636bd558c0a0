"""gradcheck passes correct gradients and pinpoints wrong ones."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import memograd as mg
from memograd.gradcheck import GradcheckError
from memograd.tensor import Tensor, make_node


def _bad_square(t: Tensor) -> Tensor:
    """t² with a VJP missing its factor 2."""
    return make_node(t.data**2, (t,), lambda g, node: (g * node._saved[0],), (t.data,), "bad")


def test_passes_and_returns_small_error() -> None:
    err = mg.gradcheck(lambda a, b: (a @ b).tanh(), np.ones((2, 3)) * 0.1, np.ones((3, 2)))
    assert 0.0 <= err < 1e-7


def test_detects_a_wrong_vjp_and_names_the_entry() -> None:
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(GradcheckError) as info:
        mg.gradcheck(lambda a, b: a * 2 + _bad_square(b), np.ones(2), x)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.input_index == 1 and err.entry == (0, 0)
    assert err.numeric == pytest.approx(2 * err.analytic, rel=1e-5)
    assert "input 1" in str(err) and "(0, 0)" in str(err)


def test_only_checks_inputs_that_require_grad() -> None:
    def f(a: Tensor, b: Tensor) -> Tensor:
        return a * _bad_square(b)

    # b does not require grad, so its wrong VJP is never consulted.
    assert mg.gradcheck(f, Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(3))) < 1e-6
    with pytest.raises(ValueError, match="nothing to check"):
        mg.gradcheck(f, Tensor(np.ones(3)), Tensor(np.ones(3)))


def test_does_not_modify_callers_inputs() -> None:
    x = np.array([0.5, -0.5])
    t = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    mg.gradcheck(lambda a, b: (a * b).exp(), x, t)
    np.testing.assert_array_equal(x, [0.5, -0.5])
    np.testing.assert_array_equal(t.data, [1.0, 2.0])
    assert t.grad is None


def test_float32_inputs_are_checked_in_float64() -> None:
    seen: list[Any] = []

    def f(a: Tensor) -> Tensor:
        seen.append(a.dtype)
        return a.sigmoid()

    mg.gradcheck(f, Tensor(np.array([0.1, 0.2], dtype=np.float32), requires_grad=True))
    assert set(seen) == {np.dtype(np.float64)}


@pytest.mark.parametrize("bad", ["x", None, [1.0, "a"]])
def test_an_input_that_is_not_numbers_names_its_position(bad: Any) -> None:
    # was NumPy's "could not convert string to float", or None checked as NaN
    with pytest.raises(TypeError, match="gradcheck: input 1 must be"):
        mg.gradcheck(lambda a, b: (a * b).sum(), np.ones(2), bad)
