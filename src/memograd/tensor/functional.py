"""Functional forms of the Tensor ops, including the fused `linear` and `cross_entropy`.

Example:
    >>> import memograd as mg
    >>> from memograd.tensor import functional as F
    >>> F.relu(mg.Tensor([-1.0, 2.0])).data.tolist()
    [0.0, 2.0]
"""

from __future__ import annotations

from .activations import leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from .elementwise import absolute, clip, exp, log, log1p, sqrt, where
from .fused import ACTIVATIONS, cross_entropy, linear
from .index import scatter_add
from .linalg import matmul
from .reduce import reduce_max, reduce_mean, reduce_sum
from .shape import broadcast_to, concatenate, reshape, stack, swapaxes, transpose, unbroadcast

__all__ = [
    "ACTIVATIONS",
    "absolute",
    "broadcast_to",
    "clip",
    "concatenate",
    "cross_entropy",
    "exp",
    "leaky_relu",
    "linear",
    "log",
    "log1p",
    "log_softmax",
    "matmul",
    "reduce_max",
    "reduce_mean",
    "reduce_sum",
    "relu",
    "reshape",
    "scatter_add",
    "sigmoid",
    "softmax",
    "sqrt",
    "stack",
    "swapaxes",
    "tanh",
    "transpose",
    "unbroadcast",
    "where",
]
