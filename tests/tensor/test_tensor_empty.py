"""Zero-size tensors as PyTorch treats them: an op over an empty *other* axis gives an empty
result (and an empty gradient) instead of an error; only reducing an empty axis to a value
that does not exist (the minimum of nothing) raises."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import memograd as mg

torch = pytest.importorskip("torch")

EMPTY = np.zeros((2, 0, 3))

CASES: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any]]] = [
    ("softmax_empty_axis", lambda t: t.softmax(axis=1), lambda t: t.softmax(dim=1)),
    ("softmax_other_axis", lambda t: t.softmax(axis=-1), lambda t: t.softmax(dim=-1)),
    ("log_softmax_empty_axis", lambda t: t.log_softmax(axis=1), lambda t: t.log_softmax(dim=1)),
    ("log_softmax_other_axis", lambda t: t.log_softmax(axis=0), lambda t: t.log_softmax(dim=0)),
    ("min_other_axis", lambda t: t.min(axis=0), lambda t: t.amin(dim=0)),
    ("min_axes_keep", lambda t: mg.tensor.min(t, (0, 2), True), lambda t: t.amin((0, 2), True)),
    ("max_other_axis", lambda t: t.max(axis=2), lambda t: t.amax(dim=2)),
]


@pytest.mark.parametrize(("name", "ours", "theirs"), CASES, ids=[c[0] for c in CASES])
def test_ops_on_an_empty_tensor_give_torchs_shapes(name: str, ours: Any, theirs: Any) -> None:
    t = mg.Tensor(EMPTY, requires_grad=True)
    tt = torch.tensor(EMPTY, requires_grad=True)
    y, ty = ours(t), theirs(tt)
    assert y.shape == tuple(ty.shape)
    y.sum().backward()
    ty.sum().backward()
    assert t.grad.shape == tuple(tt.grad.shape) == EMPTY.shape


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_argmin_over_a_nonempty_axis_of_an_empty_tensor(op: str) -> None:
    found = getattr(mg.Tensor(EMPTY), op)(axis=2)
    expected = getattr(torch.tensor(EMPTY), op)(dim=2).numpy()
    assert found.shape == expected.shape == (2, 0)


def test_reducing_an_empty_axis_still_raises() -> None:
    with pytest.raises(ValueError, match="zero elements"):
        mg.Tensor(EMPTY).min(axis=1)
    with pytest.raises(ValueError, match="zero elements"):
        mg.Tensor(EMPTY).argmin(axis=1)
    with pytest.raises(ValueError, match="zero elements"):
        mg.Tensor(EMPTY).argmax()
