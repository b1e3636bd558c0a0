"""The Tensor engine: NumPy arrays per graph node, the same reverse sweep as `Value`.

`Tensor` is the array type; each op is one `Primitive` (``_primitive``) living in a module
named after its concept (``arithmetic``, ``elementwise``, ``reduce``, ``shape``, ``index``,
``linalg``, ``activations``, ``fused``): its forward and its vector–Jacobian product written
once against an array namespace, run on arrays, on Tensors (higher order) or on the
compiler's stand-ins.
`defop` makes such an op from two functions. `functional` gathers the functional forms,
including the fused `linear` (a Dense layer as one node) and `cross_entropy`.

Imports go one way (the contracts in pyproject.toml): `_tensor` (the class) at the bottom,
then `_node` and `_primitive`, then the op modules, then `_methods`, which sets the ops on
`Tensor` as its operators and methods.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> w = mg.Tensor(np.full((2, 1), 0.5, dtype=np.float32), requires_grad=True)
    >>> loss = (mg.Tensor([[1.0, 2.0]]) @ w).relu().mean()
    >>> _ = loss.backward()
    >>> w.grad.ravel().tolist()
    [1.0, 2.0]
"""

# (`_methods` is imported for what it does: it sets the ops on Tensor.)
from . import _methods, compare, creation, functional, memory, smooth  # noqa: F401
from ._axis import AxisError
from ._backend import xp
from ._dtype import DEFAULT_DTYPE
from ._node import constant, grad_enabled_for, operand
from ._primitive import Primitive, defop, make_node
from ._tensor import Tensor
from .compare import equal, greater, greater_equal, isfinite, isnan, less, less_equal, not_equal
from .contraction import einsum, outer, tensordot
from .creation import arange, eye, full, one_hot, ones, ones_like, rand, randn, zeros, zeros_like
from .elementwise import log1p
from .functional import (
    clip,
    concatenate,
    cross_entropy,
    exp,
    leaky_relu,
    linear,
    log,
    log_softmax,
    matmul,
    relu,
    sigmoid,
    softmax,
    sqrt,
    stack,
    tanh,
    where,
)
from .layout import expand_dims, flatten, pad, permute, repeat, split, squeeze, tile, unsqueeze
from .pointwise import cos, expm1, maximum, minimum, sin, square
from .reduce import argmax, argmin, cumsum
from .reduce import reduce_min as min
from .reduce import reduce_prod as prod
from .shape import transpose
from .smooth import elu, erf, gelu, hard_tanh, mish, selu, silu, softplus, softsign, swish
from .statistics import logsumexp, std, var

__all__ = [
    "DEFAULT_DTYPE",
    "AxisError",
    "Primitive",
    "Tensor",
    "arange",
    "argmax",
    "argmin",
    "clip",
    "compare",
    "concatenate",
    "constant",
    "cos",
    "creation",
    "cross_entropy",
    "cumsum",
    "defop",
    "einsum",
    "elu",
    "equal",
    "erf",
    "exp",
    "expand_dims",
    "expm1",
    "eye",
    "flatten",
    "full",
    "functional",
    "gelu",
    "grad_enabled_for",
    "greater",
    "greater_equal",
    "hard_tanh",
    "isfinite",
    "isnan",
    "leaky_relu",
    "less",
    "less_equal",
    "linear",
    "log",
    "log1p",
    "log_softmax",
    "logsumexp",
    "make_node",
    "matmul",
    "maximum",
    "memory",
    "min",
    "minimum",
    "mish",
    "not_equal",
    "one_hot",
    "ones",
    "ones_like",
    "operand",
    "outer",
    "pad",
    "permute",
    "prod",
    "rand",
    "randn",
    "relu",
    "repeat",
    "selu",
    "sigmoid",
    "silu",
    "sin",
    "smooth",
    "softmax",
    "softplus",
    "softsign",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "swish",
    "tanh",
    "tensordot",
    "tile",
    "transpose",
    "unsqueeze",
    "var",
    "where",
    "xp",
    "zeros",
    "zeros_like",
]
