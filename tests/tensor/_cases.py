"""Shared op cases for the tensor tests: (name, function, input arrays)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import memograd as mg
from memograd.tensor import functional as F

rng = np.random.default_rng(1234)


def normal(*shape: int) -> np.ndarray:
    return rng.normal(size=shape)


def positive(*shape: int) -> np.ndarray:
    return rng.uniform(0.5, 2.0, size=shape)


def away_from_zero(*shape: int) -> np.ndarray:
    return rng.uniform(0.2, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)


COND = normal(3, 4) > 0
COND_COL = normal(3, 1) > 0
LEFT = normal(2, 3)
WEIGHTS = normal(4, 2, 3)

Case = tuple[str, Callable[..., Any], tuple[np.ndarray, ...]]

UNARY: list[Case] = [
    ("neg", lambda a: -a, (normal(3, 4),)),
    ("exp", lambda a: a.exp(), (normal(3, 4),)),
    ("log", lambda a: a.log(), (positive(3, 4),)),
    ("sqrt", lambda a: a.sqrt(), (positive(3, 4),)),
    ("abs", lambda a: a.abs(), (away_from_zero(3, 4),)),
    ("clip", lambda a: a.clip(-0.5, 0.5), (away_from_zero(3, 4),)),
    ("clip_min_only", lambda a: a.clip(min=0.1), (away_from_zero(3, 4),)),
    ("clip_min_above_max", lambda a: a.clip(0.5, -0.5), (away_from_zero(3, 4),)),  # all max
    ("tanh", lambda a: a.tanh(), (normal(3, 4),)),
    ("sigmoid", lambda a: a.sigmoid(), (normal(3, 4) * 3,)),
    ("relu", lambda a: a.relu(), (away_from_zero(3, 4),)),
    ("leaky_relu", lambda a: a.leaky_relu(0.1), (away_from_zero(3, 4),)),
    ("softmax_last", lambda a: a.softmax(), (normal(3, 4),)),
    ("softmax_axis0", lambda a: a.softmax(axis=0), (normal(3, 4),)),
    ("log_softmax", lambda a: a.log_softmax(), (normal(3, 4),)),
    ("log_softmax_axis0", lambda a: a.log_softmax(axis=0), (normal(2, 3, 2),)),
    ("pow2", lambda a: a**2, (normal(3, 4),)),
    ("pow3", lambda a: a**3, (normal(3, 4),)),
    ("pow_neg_half", lambda a: a**-0.5, (positive(3, 4),)),
    ("rpow", lambda a: 2.0**a, (normal(3, 4),)),
    (
        "radd",
        lambda a: 1.5 + a,
        (
            normal(
                3,
            ),
        ),
    ),
    (
        "rsub",
        lambda a: 1.5 - a,
        (
            normal(
                3,
            ),
        ),
    ),
    (
        "rmul",
        lambda a: 1.5 * a,
        (
            normal(
                3,
            ),
        ),
    ),
    (
        "rdiv",
        lambda a: 1.5 / a,
        (
            away_from_zero(
                3,
            ),
        ),
    ),
    ("scalar_paths", lambda a: (a * 2 - 1) / 4.0 + 3, (normal(3, 2),)),
    ("sum_all", lambda a: a.sum(), (normal(2, 3, 4),)),
    ("sum_axis1", lambda a: a.sum(axis=1), (normal(2, 3, 4),)),
    ("sum_axes_keep", lambda a: a.sum(axis=(0, 2), keepdims=True), (normal(2, 3, 4),)),
    ("mean_all", lambda a: a.mean(), (normal(2, 3, 4),)),
    ("mean_neg_axis", lambda a: a.mean(axis=-1), (normal(2, 3, 4),)),
    ("max_all", lambda a: a.max(), (normal(2, 3, 4),)),
    ("max_axis1_keep", lambda a: a.max(axis=1, keepdims=True), (normal(2, 3, 4),)),
    ("max_axes", lambda a: a.max(axis=(0, 2)), (normal(2, 3, 4),)),
    ("reshape", lambda a: a.reshape(4, -1) * np.arange(6.0), (normal(2, 3, 4),)),
    ("reshape_tuple", lambda a: a.reshape((24,)) ** 2, (normal(2, 3, 4),)),
    ("transpose", lambda a: a.transpose(2, 0, 1) ** 2, (normal(2, 3, 4),)),
    ("T", lambda a: a.T @ np.ones((2, 2)), (normal(2, 3),)),
    ("swapaxes", lambda a: a.swapaxes(0, -1) ** 2, (normal(2, 3, 4),)),
    ("broadcast_to", lambda a: a.broadcast_to((4, 2, 3)) * WEIGHTS, (normal(2, 1),)),
    ("getitem_slice", lambda a: a[1:, ::-2] ** 2, (normal(3, 4),)),
    ("getitem_int", lambda a: a[1] ** 2, (normal(3, 4),)),
    ("getitem_gather", lambda a: a[np.array([0, 2, 0, 0])] ** 2, (normal(3, 4),)),
    ("getitem_pairs", lambda a: a[np.array([0, 0, 2]), np.array([1, 1, 3])] ** 2, (normal(3, 4),)),
    ("getitem_mask", lambda a: a[np.array([True, False, True])] ** 2, (normal(3, 4),)),
    ("getitem_none_ellipsis", lambda a: a[None, ..., 1] ** 2, (normal(3, 4),)),
    ("getitem_list", lambda a: a[:, [3, 3, 0]] ** 2, (normal(3, 4),)),
]

BINARY: list[Case] = [
    ("add_broadcast", lambda a, b: a + b, (normal(3, 4), normal(4))),
    ("sub_broadcast", lambda a, b: a - b, (normal(3, 1), normal(1, 4))),
    ("mul_broadcast", lambda a, b: a * b, (normal(2, 3, 4), normal(3, 1))),
    ("div_broadcast", lambda a, b: a / b, (normal(3, 4), away_from_zero(3, 1))),
    ("pow_tensor", lambda a, b: a**b, (positive(3, 4), normal(4))),
    ("mul_same", lambda a, b: a * b * a, (normal(3), normal(3))),
    ("matmul_1d_1d", lambda a, b: a @ b, (normal(3), normal(3))),
    ("matmul_1d_2d", lambda a, b: a @ b, (normal(3), normal(3, 4))),
    ("matmul_2d_1d", lambda a, b: a @ b, (normal(2, 3), normal(3))),
    ("matmul_2d_2d", lambda a, b: a @ b, (normal(2, 3), normal(3, 4))),
    ("matmul_3d_2d", lambda a, b: a @ b, (normal(5, 2, 3), normal(3, 4))),
    ("matmul_2d_3d", lambda a, b: a @ b, (normal(2, 3), normal(5, 3, 4))),
    ("matmul_3d_3d", lambda a, b: a @ b, (normal(5, 2, 3), normal(5, 3, 4))),
    ("matmul_batch_bcast", lambda a, b: a @ b, (normal(1, 2, 3), normal(5, 3, 4))),
    ("matmul_1d_3d", lambda a, b: a @ b, (normal(3), normal(5, 3, 4))),
    ("matmul_3d_1d", lambda a, b: a @ b, (normal(5, 2, 3), normal(3))),
    ("rmatmul_const", lambda a, b: LEFT @ a + b, (normal(3, 4), normal(4))),
    ("where", lambda a, b: mg.tensor.where(COND, a, b), (normal(3, 4), normal(4))),
    ("where_const", lambda a, b: mg.tensor.where(COND_COL, a, 2.0) * b, (normal(3, 4), normal(4))),
    ("concatenate0", lambda a, b: mg.tensor.concatenate([a, b]) ** 2, (normal(2, 3), normal(4, 3))),
    (
        "concatenate1",
        lambda a, b: mg.tensor.concatenate([a, b, a], axis=1) ** 2,
        (normal(2, 3), normal(2, 1)),
    ),
    ("stack0", lambda a, b: mg.tensor.stack([a, b]) ** 2, (normal(2, 3), normal(2, 3))),
    (
        "stack_last",
        lambda a, b: mg.tensor.stack([a, b, a], axis=-1) ** 2,
        (normal(2, 3), normal(2, 3)),
    ),
]

FUSED: list[Case] = [
    ("linear", lambda x, w, b: F.linear(x, w, b), (normal(5, 3), normal(3, 4), normal(4))),
    ("linear_nobias", lambda x, w: F.linear(x, w), (normal(5, 3), normal(3, 4))),
    (
        "linear_relu",
        lambda x, w, b: F.linear(x, w, b, activation="relu"),
        (normal(5, 3), normal(3, 4), normal(4)),
    ),
    (
        "linear_tanh",
        lambda x, w, b: F.linear(x, w, b, activation="tanh"),
        (normal(5, 3), normal(3, 4), normal(4)),
    ),
    (
        "linear_sigmoid",
        lambda x, w, b: F.linear(x, w, b, activation="sigmoid"),
        (normal(5, 3), normal(3, 4), normal(4)),
    ),
    (
        "linear_1d",
        lambda x, w, b: F.linear(x, w, b, activation="relu"),
        (normal(3), normal(3, 4), normal(4)),
    ),
    ("linear_3d", lambda x, w, b: F.linear(x, w, b), (normal(2, 5, 3), normal(3, 4), normal(4))),
    (
        "cross_entropy_labels",
        lambda z: F.cross_entropy(z, np.array([0, 2, 1, 2, 0])),
        (normal(5, 3),),
    ),
    ("cross_entropy_probs", lambda z, p: F.cross_entropy(z, p), (normal(5, 3), positive(5, 3) / 3)),
    (
        "cross_entropy_float_labels",
        lambda z: F.cross_entropy(z, mg.Tensor([1, 0, 1])),
        (normal(3, 2),),
    ),
]

ALL: list[Case] = UNARY + BINARY + FUSED
