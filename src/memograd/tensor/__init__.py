"""The Tensor engine: NumPy arrays per graph node, the same reverse sweep as `Value`.

`Tensor` is the array type; each op is one `Primitive` (``_primitive``) living in a module
named after its concept (``elementwise``, ``reduce``, ``shape``, ``index``, ``linalg``,
``activations``, ``fused``): its forward and its vector–Jacobian product written once against
an array namespace, run on arrays, on Tensors (higher order) or on the compiler's stand-ins.
`defop` makes such an op from two functions. `functional` gathers the functional forms,
including the fused `linear` (a Dense layer as one node) and `cross_entropy`.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> w = mg.Tensor(np.full((2, 1), 0.5, dtype=np.float32), requires_grad=True)
    >>> loss = (mg.Tensor([[1.0, 2.0]]) @ w).relu().mean()
    >>> _ = loss.backward()
    >>> w.grad.ravel().tolist()
    [1.0, 2.0]
"""

from . import functional, memory, smooth
from ._axis import AxisError
from ._backend import xp
from ._dtype import DEFAULT_DTYPE
from ._node import constant, grad_enabled_for, make_node, operand
from ._primitive import Primitive, defop
from ._tensor import Tensor
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
from .smooth import elu, erf, gelu, hard_tanh, mish, selu, silu, softplus, softsign, swish

__all__ = [
    "DEFAULT_DTYPE",
    "AxisError",
    "Primitive",
    "Tensor",
    "clip",
    "concatenate",
    "constant",
    "cross_entropy",
    "defop",
    "elu",
    "erf",
    "exp",
    "functional",
    "gelu",
    "grad_enabled_for",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log",
    "log_softmax",
    "make_node",
    "matmul",
    "memory",
    "mish",
    "operand",
    "relu",
    "selu",
    "sigmoid",
    "silu",
    "smooth",
    "softmax",
    "softplus",
    "softsign",
    "sqrt",
    "stack",
    "swish",
    "tanh",
    "where",
    "xp",
]
