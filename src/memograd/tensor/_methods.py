"""The ops become `Tensor`'s operators and methods here, once, from above the op modules.

`_tensor` is the bottom of the engine: every op module imports it, so it imports none of
them. This module sits above them all (the package imports it) and sets each op function
itself on the class: ``Tensor.__add__`` *is* `arithmetic.add`, so ``a + b`` costs one Python
call, the op's. What the type checker sees are the declarations in `Tensor`'s class body;
tests/tensor/test_tensor_methods.py checks that each is set here with the same signature.

It also hands `_primitive` the Tensor namespace (`_xp_tensor`, made of the op modules) that
the VJPs run on under ``create_graph``.

Example:
    >>> from memograd.tensor import Tensor, arithmetic, reduce
    >>> Tensor.__add__ is arithmetic.add, Tensor.sum is reduce.reduce_sum
    (True, True)
"""

from __future__ import annotations

from typing import Any

from . import _primitive, _xp_tensor
from ._tensor import Tensor
from .activations import leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from .arithmetic import add, div, mul, neg, power, rdiv, rpower, rsub, sub
from .compare import equal, greater, greater_equal, less, less_equal, not_equal
from .elementwise import absolute, astype, clip, exp, log, log1p, sqrt
from .index import getitem
from .layout import flatten, permute, repeat, squeeze, tile, unsqueeze
from .linalg import matmul, rmatmul
from .pointwise import cos, expm1, sin, square
from .reduce import (
    argmax,
    argmin,
    cumsum,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
)
from .shape import broadcast_to, reshape, swapaxes, transpose
from .statistics import logsumexp, std, var

# name on Tensor -> the op (its first parameter is the tensor; the others are the method's).
METHODS: dict[str, Any] = {
    # operators (a reflected one gets the Tensor first too: 2 - t is rsub(t, 2))
    "__add__": add,
    "__radd__": add,
    "__sub__": sub,
    "__rsub__": rsub,
    "__mul__": mul,
    "__rmul__": mul,
    "__truediv__": div,
    "__rtruediv__": rdiv,
    "__pow__": power,
    "__rpow__": rpower,
    "__neg__": neg,
    "__abs__": absolute,
    "__matmul__": matmul,
    "__rmatmul__": rmatmul,
    "__getitem__": getitem,
    # comparisons: NumPy boolean arrays, no gradient (`Tensor.__hash__` stays identity)
    "__eq__": equal,
    "__ne__": not_equal,
    "__lt__": less,
    "__le__": less_equal,
    "__gt__": greater,
    "__ge__": greater_equal,
    # elementwise
    "exp": exp,
    "log": log,
    "sqrt": sqrt,
    "abs": absolute,
    "clip": clip,
    "astype": astype,
    "sin": sin,
    "cos": cos,
    "log1p": log1p,
    "expm1": expm1,
    "square": square,
    # activations
    "tanh": tanh,
    "sigmoid": sigmoid,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "softmax": softmax,
    "log_softmax": log_softmax,
    # reductions
    "sum": reduce_sum,
    "mean": reduce_mean,
    "max": reduce_max,
    "min": reduce_min,
    "prod": reduce_prod,
    "cumsum": cumsum,
    "argmax": argmax,
    "argmin": argmin,
    "var": var,
    "std": std,
    "logsumexp": logsumexp,
    # shape and layout
    "reshape": reshape,
    "transpose": transpose,
    "swapaxes": swapaxes,
    "broadcast_to": broadcast_to,
    "T": property(transpose, doc="All axes reversed (the transpose of a matrix)."),
    "squeeze": squeeze,
    "unsqueeze": unsqueeze,
    "flatten": flatten,
    "permute": permute,
    "repeat": repeat,
    "tile": tile,
}

for _name, _op in METHODS.items():
    setattr(Tensor, _name, _op)

_primitive.use_tensor_namespace(_xp_tensor)
