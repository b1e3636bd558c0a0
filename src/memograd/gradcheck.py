"""Check backward against central finite differences, in float64.

For every entry x_j of every input that requires grad, the numeric derivative of
⟨f(x), r⟩ — r a fixed random cotangent, so non-scalar outputs are checked too — is
(φ(x_j + ε) − φ(x_j − ε)) / 2ε, compared with the entry the reverse sweep computed.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> x = mg.Tensor(np.array([0.3, -1.2]), requires_grad=True)
    >>> mg.gradcheck(lambda t: t.tanh() * t, x) < 1e-6
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .tensor._backend import xp
from .tensor._tensor import Tensor


class GradcheckError(ValueError):
    """A backward gradient disagrees with finite differences.

    Attributes:
        input_index: position of the offending input among the arguments.
        entry: index of the offending entry within that input.
        analytic: the value from backward.
        numeric: the finite-difference value.
    """

    def __init__(self, input_index: int, entry: tuple[int, ...], analytic: float, numeric: float):
        self.input_index = input_index
        self.entry = entry
        self.analytic = analytic
        self.numeric = numeric
        super().__init__(
            f"gradcheck failed for input {input_index} at entry {entry}: backward gives "
            f"{analytic!r}, finite differences give {numeric!r} "
            f"(difference {abs(analytic - numeric):.3g})"
        )


def _as_input(value: Any, index: int) -> Tensor:
    """A float64 copy of an argument; non-Tensors are checked (requires_grad=True)."""
    if isinstance(value, Tensor):
        return Tensor(xp.array(value.data, dtype=xp.float64), requires_grad=value.requires_grad)
    try:
        data = xp.array(value)
    except (TypeError, ValueError):  # a ragged list
        data = None
    if data is None or data.dtype.kind not in "biuf":  # None, strings: not NaN or a parse
        raise TypeError(
            f"gradcheck: input {index} must be a Tensor, an array or a number. "
            f"Received: {value!r} of type {type(value).__name__}"
        )
    return Tensor(data.astype(xp.float64), requires_grad=True)


def gradcheck(
    f: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> float:
    """Compare the gradients of `f` from backward with central finite differences.

    Args:
        f: a function of Tensors returning a Tensor (any shape); it must work in float64.
        *inputs: Tensors (checked if they require grad) or arrays/numbers (always checked);
            all are copied to float64 first.
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance (to the numeric value).
        seed: seed of the random cotangent that reduces a non-scalar output.

    Returns:
        The largest absolute difference seen.

    Raises:
        GradcheckError: some entry differs by more than ``atol + rtol * |numeric|``.
        ValueError: no input requires grad.
    """
    args = [_as_input(v, i) for i, v in enumerate(inputs)]
    checked = [i for i, t in enumerate(args) if t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    out = f(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: `f` must return a Tensor. Received: {type(out).__name__}")
    cotangent = xp.random.default_rng(seed).normal(size=out.shape)
    for t in args:
        t.grad = None
    if out.requires_grad:
        out.backward(cotangent)

    def objective() -> float:
        # Grad mode stays on: `f` may itself differentiate (checking second derivatives).
        return float((f(*args).data * cotangent).sum())

    worst = 0.0
    for i in checked:
        x = args[i].data
        analytic = args[i].grad if args[i].grad is not None else xp.zeros_like(x)
        for entry in xp.ndindex(x.shape):
            original = x[entry]
            x[entry] = original + eps
            up = objective()
            x[entry] = original - eps
            down = objective()
            x[entry] = original
            numeric = (up - down) / (2.0 * eps)
            a = float(analytic[entry])
            diff = abs(a - numeric)
            worst = max(worst, diff)
            if not diff <= atol + rtol * abs(numeric):  # also catches NaN
                raise GradcheckError(i, tuple(int(k) for k in entry), a, numeric)
    return worst


__all__ = ["GradcheckError", "gradcheck"]
