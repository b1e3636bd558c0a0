"""memograd: backpropagation is the chain rule plus memoization.

See it work (Fibonacci naive vs memoized; gradients by enumerating paths vs by storing each
node's adjoint once), then train real networks with the same engine.

Example:
    >>> import memograd as mg
    >>> @mg.memoize
    ... def fib(n: int) -> int:
    ...     return n if n < 2 else fib(n - 1) + fib(n - 2)
    >>> fib(90)
    2880067194370816120
"""

__version__ = "0.1.0"

# Public names are added here as their layers land (see DESIGN.md, "Public API contract").
from memograd import _display, backprop, checkpointing, data, fib, memo, nn, scalar, tensor
from memograd._grad_mode import enable_grad, no_grad
from memograd._threads import apply_default as _apply_thread_policy
from memograd._threads import get_num_threads, set_num_threads
from memograd.autograd import grad, jacrev, value_and_grad, vjp
from memograd.checkpointing import checkpoint
from memograd.forward import hessian, jacfwd, jvp, linearize
from memograd.gradcheck import GradcheckError, gradcheck
from memograd.memo import memoize
from memograd.nn import optim
from memograd.scalar import Value
from memograd.tensor import Tensor


def _load_drawings() -> None:
    """Jupyter drawings of Value/Tensor/Trace: `viz.notebook` registers them on import."""
    import memograd.viz.notebook  # noqa: F401  (matplotlib is imported here, at the first one)


# The engines draw themselves through `_display`, which never imports the layer above it.
_display.set_loader(_load_drawings)

# One BLAS thread unless $MEMOGRAD_NUM_THREADS says otherwise (memograd._threads: why).
# NumPy, and with it its BLAS, is loaded by now.
_apply_thread_policy()

__all__ = [
    "GradcheckError",
    "Tensor",
    "Value",
    "__version__",
    "backprop",
    "checkpoint",
    "checkpointing",
    "data",
    "enable_grad",
    "fib",
    "get_num_threads",
    "grad",
    "gradcheck",
    "hessian",
    "jacfwd",
    "jacrev",
    "jvp",
    "linearize",
    "memo",
    "memoize",
    "nn",
    "no_grad",
    "optim",
    "scalar",
    "set_num_threads",
    "tensor",
    "value_and_grad",
    "vjp",
]
