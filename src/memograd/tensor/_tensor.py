"""The Tensor: one array per graph node, with the `graph.Node` protocol for backward.

A Tensor holds `.data` (an array of the backend, NumPy today) and, when it takes part in a
graph, its parents, the primitive that produced it (`_prim`: the op's one definition, forward
and vector–Jacobian product (VJP) written against an array namespace, with its static
parameters) and the arrays that VJP needs (`_saved`). Ops live in the sibling modules
(``arithmetic``, ``elementwise``, ``reduce``, ``shape``, ``index``, ``linalg``,
``activations``, ``fused``), which import this module; `memograd.tensor._methods` sets them on
`Tensor` as its operators and methods. `constant` wraps an array as a leaf outside any graph.

During an ordinary backward the VJP runs on arrays; under ``backward(create_graph=True)`` the
adjoint is a Tensor and the same VJP runs on Tensors (the parents and the node itself), so
that the gradient is itself differentiable (`memograd.tensor._primitive`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from .. import _display
from .._errors import invalid_type
from ..graph import SweepStats, reverse_sweep
from ._backend import STAND_INS, as_node_data, ndarray, xp
from ._dtype import DEFAULT_DTYPE, as_array

# Set by `memograd.tensor.memory.track()` while it counts bytes saved for backward: called
# with every node the sweep releases. None (free) otherwise.
on_release: Callable[[Tensor], None] | None = None


class Rule(Protocol):
    """What a node keeps of the op that produced it (``node._prim``): its name and its VJP.

    Every `memograd.tensor._primitive.Primitive` is one; declared here, below the primitives
    (which build Tensors), so that this module needs nothing from them.
    """

    @property
    def name(self) -> str: ...

    def backward(self, node: Any, g: Any) -> tuple[Any, ...]: ...


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    Args:
        data: a number, a (nested) list or an array.
        requires_grad: whether backward should compute ∂L/∂(this tensor) into `.grad`.
        dtype: a floating dtype; if None, Python numbers, lists and integer/bool arrays become
            float32, and a floating array keeps its dtype (as `torch.tensor` does). An array
            whose dtype needs no conversion is wrapped without a copy (as `torch.as_tensor`).

    Dtype rule: an operand that is not a Tensor (a Python number, a list, an array) is a
    constant and is converted to the Tensor's dtype. Two Tensors of different dtypes (float32
    with float64) are refused with a TypeError rather than silently promoted: convert one
    with `astype` first.

    Gradients accumulate: every `backward` adds into `.grad` (as in PyTorch); call
    `zero_grad()` (sets `.grad` to None) between steps. `.grad` is a fresh array owned by the
    tensor, so updating it in place never touches another tensor's gradient. After
    ``backward(create_graph=True)`` it is a Tensor that can itself be differentiated.

    Example:
        >>> import numpy as np
        >>> import memograd as mg
        >>> w = mg.Tensor(np.array([[1.0], [2.0]], dtype=np.float32), requires_grad=True)
        >>> x = mg.Tensor([[3.0, 4.0]])
        >>> loss = (x @ w).relu().sum()
        >>> _ = loss.backward()
        >>> w.grad.ravel().tolist()
        [3.0, 4.0]
    """

    __slots__ = (
        "__weakref__",
        "_parents",
        "_prim",
        "_saved",
        "_tangent",  # forward mode only (memograd.forward); unset otherwise
        "data",
        "grad",
        "requires_grad",
    )

    # NumPy defers to our reflected operators (ndarray + Tensor -> Tensor.__radd__).
    __array_ufunc__ = None

    data: Any
    grad: Any
    requires_grad: bool
    _parents: tuple[Tensor, ...]
    _prim: Rule | None
    _saved: tuple[Any, ...] | None
    _tangent: Any

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        if not isinstance(requires_grad, bool):
            raise invalid_type("requires_grad", "a bool", requires_grad)
        self.data = as_array(data, dtype)
        self.requires_grad = requires_grad
        self.grad = None
        self._parents = ()
        self._prim = None
        self._saved = None

    # ----------------------------------------------------------------- graph.Node protocol
    def _backward(self, adjoint: Any) -> tuple[Any, ...]:
        prim = self._prim
        if self._saved is None or prim is None:
            raise RuntimeError(
                f"Cannot backward through the `{self.op}` node again: the arrays it saved for "
                f"backward were released by an earlier backward. Call backward(retain_graph="
                f"True) the first time to keep them, or recompute the forward pass."
            )
        return prim.backward(self, adjoint)

    def _accumulate_grad(self, adjoint: Any) -> None:
        if type(adjoint) is not ndarray:
            if isinstance(adjoint, Tensor):  # create_graph: keep the gradient differentiable
                self.grad = adjoint if self.grad is None else adjoint + self.grad
                return
            if type(adjoint) in STAND_INS:  # a compiler's stand-in: it owns the buffers
                self.grad = adjoint if self.grad is None else self.grad + adjoint
                return
        if adjoint.shape != self.data.shape:  # a VJP broke its contract: internal error
            raise RuntimeError(
                f"internal error: gradient of shape {adjoint.shape} for a tensor of shape "
                f"{self.data.shape}"
            )
        grad = self.grad
        if grad is None:
            # The gradient must be an array of our own: adjoints may be shared (an add passes
            # one array to both parents) or read-only broadcast views, and an optimizer may
            # update .grad in place. An array nobody else refers to (the sweep's local is its
            # only owner) is taken as it is, as PyTorch's AccumulateGrad steals a gradient
            # whose use count is 1; anything else is copied.
            if (
                adjoint.base is None
                and adjoint.dtype == self.data.dtype
                and adjoint.flags.writeable
                and _refcount(adjoint) <= _OWNED_REFS
            ):
                self.grad = adjoint
            else:
                self.grad = xp.array(adjoint, dtype=self.data.dtype, copy=True)
        elif isinstance(grad, Tensor):
            self.grad = grad + adjoint
        else:
            grad += adjoint

    def _saved_nbytes(self) -> int:
        total = 0
        for a in self._saved or ():
            if a is not None:
                total += a.nbytes
        return total

    def _release(self) -> None:
        if on_release is not None:  # memory.track() is counting
            on_release(self)
        self._saved = None

    # ----------------------------------------------------------------------- attributes
    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape."""
        return self.data.shape

    @property
    def dtype(self) -> Any:
        """The array's dtype (a NumPy dtype)."""
        return self.data.dtype

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """Number of elements."""
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (inputs and parameters)."""
        return not self._parents

    @property
    def op(self) -> str:
        """Name of the op that produced this tensor ('' for a leaf)."""
        prim = self._prim
        return prim.name if prim is not None else ""

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d Tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:  # else Python iterates by indexing and finds nothing
            raise TypeError("iteration over a 0-d Tensor")
        return (self[i] for i in range(len(self.data)))

    def __bool__(self) -> bool:
        if self.data.size != 1:  # else Python asks len(): any non-empty tensor was true
            raise ValueError(
                f"The truth value of a Tensor with {self.data.size} elements is ambiguous "
                f"(shape={self.shape}); compare and reduce it first, e.g. (t > 0).all()"
            )
        return bool(self.data)

    def __repr__(self) -> str:
        body = xp.array2string(self.data, separator=", ", prefix="Tensor(")
        extras = ""
        if self.data.dtype != DEFAULT_DTYPE:
            extras += f", dtype={self.data.dtype}"
        if self.requires_grad:
            extras += ", requires_grad=True"
        if self._prim is not None:
            extras += f", op={self._prim.name!r}"
        return f"Tensor({body}{extras})"

    def _repr_svg_(self) -> str | None:
        """Jupyter: draw the graph that produced this tensor (None when too big to read)."""
        return _display.svg("graph", self)  # drawn by memograd.viz, which registers it

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Any:
        return self.data if dtype is None else self.data.astype(dtype)

    def __float__(self) -> float:
        return self.item()

    def __int__(self) -> int:  # truncates, as int(float) and torch
        return int(self.item())

    def __format__(self, spec: str) -> str:
        if spec and self.data.ndim == 0:  # f"{loss:.4f}", as a 0-d torch tensor or ndarray
            return format(self.item(), spec)
        return super().__format__(spec)

    # ------------------------------------------------------------------------ utilities
    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a tensor with exactly one element. Received shape={self.shape}"
            )
        return float(self.data.item())

    def numpy(self) -> Any:
        """The underlying array (shared, not copied)."""
        return self.data

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, outside any graph."""
        return constant(self.data)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets `.grad` to None)."""
        self.grad = None

    def backward(
        self,
        grad: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
    ) -> SweepStats:
        """Accumulate ∂self/∂leaf into the `.grad` of every leaf that requires grad.

        Args:
            grad: the seed ∂L/∂self; may be omitted only for a one-element tensor (then 1).
            retain_graph: keep the saved arrays so that backward can run again through the
                same graph; defaults to `create_graph`.
            create_graph: record the backward pass itself, so that the gradients (then
                Tensors in `.grad`) can be differentiated again (Hessian–vector products).

        Returns:
            The `graph.SweepStats` of the reverse sweep (nodes, edges, adjoint reuses, ...).

        Raises:
            RuntimeError: the tensor does not require grad, a non-scalar tensor got no seed,
                or the graph was already released by an earlier backward.
        """
        if not self.requires_grad:
            raise RuntimeError(
                f"backward: this tensor (shape={self.shape}) does not require grad: no input "
                f"of the ops that produced it has requires_grad=True (or it was computed "
                f"under no_grad())."
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: a seed is only implicit for a one-element tensor; this one has "
                    f"shape={self.shape}. Reduce it first (e.g. .sum() or .mean()) or pass "
                    f"`grad` with shape {self.shape}."
                )
            seed: Any = xp.ones_like(self.data)
        else:
            seed = grad.data if isinstance(grad, Tensor) else xp.asarray(grad, self.data.dtype)
            if seed.shape != self.data.shape:
                raise ValueError(
                    f"backward: `grad` must have the tensor's shape {self.shape}. "
                    f"Received: grad of shape {seed.shape}"
                )
        if create_graph:  # the VJPs then build Tensors: the seed must be one
            seed = grad if isinstance(grad, Tensor) else constant(seed)
        return reverse_sweep(
            self,
            seed,
            retain_graph=create_graph if retain_graph is None else retain_graph,
            create_graph=create_graph,
        ).stats

    # Comparisons give NumPy boolean arrays (no gradient; see `memograd.tensor.compare`).
    # Defining __eq__ would drop hashing: a Tensor stays hashable by identity, as in torch.
    __hash__ = object.__hash__

    # ------------------------------------------------------- the ops, as operators and methods
    # The op modules import this one, so this one cannot import them: `memograd.tensor._methods`
    # (imported by the package) sets the op functions themselves on the class, once, as these
    # operators and methods (no forwarding call in between). The declarations below are what
    # the type checker and the reader see; tests/tensor/test_tensor_methods.py checks that
    # each is attached with this signature.
    if TYPE_CHECKING:
        # ------------------------------------------------------------------- arithmetic
        def __add__(self, other: Any) -> Tensor: ...

        def __radd__(self, other: Any) -> Tensor: ...

        def __sub__(self, other: Any) -> Tensor: ...

        def __rsub__(self, other: Any) -> Tensor: ...

        def __mul__(self, other: Any) -> Tensor: ...

        def __rmul__(self, other: Any) -> Tensor: ...

        def __truediv__(self, other: Any) -> Tensor: ...

        def __rtruediv__(self, other: Any) -> Tensor: ...

        def __pow__(self, other: Any) -> Tensor: ...

        def __rpow__(self, other: Any) -> Tensor: ...

        def __neg__(self) -> Tensor: ...

        def __abs__(self) -> Tensor: ...

        def __matmul__(self, other: Any) -> Tensor: ...

        def __rmatmul__(self, other: Any) -> Tensor: ...

        def __getitem__(self, index: Any) -> Tensor: ...

        # ------------------------------------------------------------------- elementwise
        def exp(self) -> Tensor:
            """e ** self."""

        def log(self) -> Tensor:
            """Natural logarithm."""

        def sqrt(self) -> Tensor:
            """Square root."""

        def abs(self) -> Tensor:
            """Absolute value (gradient 0 at 0)."""

        def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
            """Limit values to [min, max]; the gradient passes where min <= x <= max."""

        def astype(self, dtype: Any) -> Tensor:
            """Convert to another floating dtype (differentiable)."""

        # ------------------------------------------------------------------- activations
        def tanh(self) -> Tensor:
            """Hyperbolic tangent."""

        def sigmoid(self) -> Tensor:
            """Logistic sigmoid 1 / (1 + e^-x), computed without overflow."""

        def relu(self) -> Tensor:
            """max(x, 0) (gradient 0 at 0)."""

        def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
            """x for x > 0, negative_slope * x otherwise."""

        def softmax(self, axis: int = -1) -> Tensor:
            """exp(x) / sum(exp(x)) along `axis`, computed without overflow."""

        def log_softmax(self, axis: int = -1) -> Tensor:
            """x - logsumexp(x) along `axis`, computed without overflow."""

        # ------------------------------------------------------------------- reductions
        def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
            """Sum over `axis` (all axes if None)."""

        def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
            """Mean over `axis` (all axes if None)."""

        def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
            """Maximum over `axis`; tied maxima share the gradient equally."""

        # ------------------------------------------------------------------- shape
        def reshape(self, *shape: Any) -> Tensor:
            """Same data, new shape (one entry may be -1); accepts ints or one tuple."""

        def transpose(self, *axes: Any) -> Tensor:
            """Permute axes (reverse them if none are given); accepts ints or one tuple."""

        def swapaxes(self, axis1: int, axis2: int) -> Tensor:
            """Exchange two axes."""

        def broadcast_to(self, shape: tuple[int, ...]) -> Tensor:
            """Broadcast to `shape` (NumPy rules); the gradient is summed back."""

        @property
        def T(self) -> Tensor:
            """All axes reversed (the transpose of a matrix)."""

        # ------------------------------------------- the op suite (issue 14): forwarding only
        def min(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
            """Minimum over `axis`; tied minima share the gradient equally."""

        def prod(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
            """Product over `axis` (all axes if None)."""

        def cumsum(self, axis: int | None = None) -> Tensor:
            """Running sums along `axis` (None: of the flattened tensor, as NumPy)."""

        def argmax(self, axis: int | None = None, keepdims: bool = False) -> Any:
            """Index of the maximum, as an integer NumPy array (no gradient)."""

        def argmin(self, axis: int | None = None, keepdims: bool = False) -> Any:
            """Index of the minimum, as an integer NumPy array (no gradient)."""

        def var(
            self,
            axis: Any = None,
            ddof: float | None = None,
            keepdims: bool = False,
            *,
            correction: float | None = None,
        ) -> Tensor:
            """Variance over `axis` (ddof 0 by default, as NumPy; `correction`: PyTorch's name)."""

        def std(
            self,
            axis: Any = None,
            ddof: float | None = None,
            keepdims: bool = False,
            *,
            correction: float | None = None,
        ) -> Tensor:
            """Standard deviation over `axis` (see `var`)."""

        def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
            """log Σ exp over `axis`, without overflow."""

        def sin(self) -> Tensor:
            """Sine."""

        def cos(self) -> Tensor:
            """Cosine."""

        def log1p(self) -> Tensor:
            """log(1 + x), accurate for small x."""

        def expm1(self) -> Tensor:
            """eˣ − 1, accurate for small x."""

        def square(self) -> Tensor:
            """x²."""

        def squeeze(self, axis: Any = None) -> Tensor:
            """Drop axes of length 1 (NumPy: squeezing a longer axis is an error)."""

        def unsqueeze(self, axis: int) -> Tensor:
            """Insert an axis of length 1."""

        def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
            """Merge axes start_dim … end_dim (all by default)."""

        def permute(self, *axes: Any) -> Tensor:
            """The axes in a new order (ints or one tuple)."""

        def repeat(self, repeats: Any, axis: int | None = None) -> Tensor:
            """Repeat elements, as `numpy.repeat` (torch's ``repeat`` is `tile`)."""

        def tile(self, reps: Any) -> Tensor:
            """Repeat the whole tensor, as `numpy.tile`."""

        def __eq__(self, other: object) -> Any: ...

        def __ne__(self, other: object) -> Any: ...

        def __lt__(self, other: Any) -> Any: ...

        def __le__(self, other: Any) -> Any: ...

        def __gt__(self, other: Any) -> Any: ...

        def __ge__(self, other: Any) -> Any: ...


def constant(data: Any, op: str = "") -> Tensor:
    """Wrap an array (already of the right dtype) as a Tensor outside any graph."""
    out = _new(Tensor)
    out.data = data if isinstance(data, ndarray) else as_node_data(data)
    out.grad = None
    out.requires_grad = False
    out._parents = ()
    out._prim = None
    out._saved = None
    return out


_new = object.__new__


class _Probe:
    def take(self, a: Any) -> int:
        return _refcount(a)


def _owned_refs() -> int:
    """`sys.getrefcount` of an array in a method whose caller's local is its only owner.

    Measured through the same call shape as ``node._accumulate_grad(adjoint)`` in the sweep,
    so that it holds for the running interpreter; -1 (never steal) without `getrefcount`.
    """
    if not hasattr(sys, "getrefcount"):
        return -1
    array = xp.empty(0)
    return _Probe().take(array)


_refcount: Callable[[Any], int] = getattr(sys, "getrefcount", lambda a: 1 << 30)
_OWNED_REFS = _owned_refs()
