"""squeeze, unsqueeze/expand_dims, flatten, permute/transpose(*axes), repeat, tile, split, pad:
values equal NumPy's (and torch's where they agree), gradients equal torch's, finite
differences."""

import numpy as np
import pytest
from _torch_check import against_torch, by_finite_differences

import memograd as mg

torch = pytest.importorskip("torch")
F = torch.nn.functional
T = mg.tensor
X = np.random.default_rng(7).uniform(-2, 2, (2, 1, 3))

CASES = [
    ("squeeze", lambda t: t.squeeze(), lambda t: t.squeeze()),
    ("squeeze_axis", lambda t: T.squeeze(t, 1), lambda t: t.squeeze(1)),
    ("unsqueeze", lambda t: t.unsqueeze(-1), lambda t: t.unsqueeze(-1)),
    ("expand_dims", lambda t: T.expand_dims(t, 0), lambda t: t.unsqueeze(0)),
    ("flatten", lambda t: t.flatten(), lambda t: t.flatten()),
    ("flatten_range", lambda t: T.flatten(t, 1), lambda t: t.flatten(1)),
    ("permute", lambda t: t.permute(2, 0, 1), lambda t: t.permute(2, 0, 1)),
    ("transpose_axes", lambda t: t.transpose(1, 2, 0), lambda t: t.permute(1, 2, 0)),
    ("repeat", lambda t: t.repeat(3, axis=2), lambda t: t.repeat_interleave(3, dim=2)),
    ("repeat_flat", lambda t: T.repeat(t, 2), lambda t: t.reshape(-1).repeat_interleave(2)),
    (
        "repeat_counts",
        lambda t: T.repeat(t, [2, 0, 1], axis=-1),
        lambda t: t.repeat_interleave(torch.tensor([2, 0, 1]), dim=-1),
    ),
    ("tile", lambda t: t.tile((2, 3, 1)), lambda t: t.tile((2, 3, 1))),
    ("tile_short", lambda t: T.tile(t, 2), lambda t: t.tile((2,))),
    ("tile_long", lambda t: T.tile(t, (2, 1, 1, 2)), lambda t: t.tile((2, 1, 1, 2))),
    ("pad", lambda t: T.pad(t, 1), lambda t: F.pad(t, (1, 1, 1, 1, 1, 1))),
    (
        "pad_pairs",
        lambda t: T.pad(t, ((0, 1), (2, 0), (1, 3)), constant_values=-2.5),
        lambda t: F.pad(t, (1, 3, 2, 0, 0, 1), value=-2.5),
    ),
    ("split", lambda t: T.split(t, 3, axis=2)[1], lambda t: t.split(1, dim=2)[1]),
    ("split_at", lambda t: T.split(t, [1], axis=-1)[1], lambda t: t.split([1, 2], dim=-1)[1]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "ours", "theirs"), CASES, ids=[c[0] for c in CASES])
def test_equal_torch_and_finite_differences(name, ours, theirs, dtype) -> None:
    against_torch(ours, theirs, [X], dtype)
    by_finite_differences(ours, [X])


def test_numpy_semantics_where_torch_differs() -> None:
    x = mg.Tensor(X)
    with pytest.raises(ValueError, match="not 1"):
        x.squeeze(0)  # torch would return x unchanged
    np.testing.assert_array_equal(x.repeat(2, axis=0).data, np.repeat(X, 2, axis=0))
    parts = T.split(x, [1, 2], axis=2)
    for ours, theirs in zip(parts, np.split(X, [1, 2], axis=2), strict=True):
        np.testing.assert_array_equal(ours.data, theirs)
    np.testing.assert_array_equal(T.pad(x, (1, 2)).data, np.pad(X, (1, 2)))
    np.testing.assert_array_equal(T.tile(x, (2, 1, 1, 2)).data, np.tile(X, (2, 1, 1, 2)))
    with pytest.raises(ValueError, match="equal sections"):
        T.split(x, 2, axis=2)
    assert T.flatten(mg.Tensor(3.0)).shape == (1,)


def test_bad_arguments() -> None:
    x = mg.Tensor(X)
    with pytest.raises(mg.tensor.AxisError):
        x.unsqueeze(4)
    with pytest.raises(ValueError, match="start_dim"):
        x.flatten(2, 1)
    with pytest.raises(ValueError, match="pad_width"):
        T.pad(x, -1)
    with pytest.raises(TypeError, match="repeats"):
        x.repeat(1.5)
    with pytest.raises(ValueError, match="permutation"):
        x.permute(0, 0, 1)
