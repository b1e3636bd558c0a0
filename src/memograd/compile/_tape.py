"""The tape: a flat list of array kernels over preallocated buffers, and its unrolling.

A *kernel* is a callable with no arguments that runs one array operation into a buffer it
was built with (mostly ``functools.partial(np.matmul, a, b, out=c)``), so replaying a step is
``for k in kernels: k()``: no graph, no Tensor objects, no allocation of batch-sized arrays.
The kernels are recorded by running the step's own op definitions on stand-ins (`_record`);
`straight_line` unrolls them into one generated function.

Example:
    >>> import numpy as np
    >>> from memograd.compile._tape import Tape
    >>> a, out = np.ones(3), np.empty(3)
    >>> tape = Tape(forward=[lambda: np.add(a, a, out=out)], backward=[], nbytes=out.nbytes)
    >>> tape.run_forward(); out.tolist()
    [2.0, 2.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

Kernel = Callable[[], object]


@dataclass
class Tape:
    """One traced step: forward and backward kernels, run in order.

    Attributes:
        forward: kernels computing every node's value up to the loss.
        backward: kernels filling the adjoint buffers, ending with the parameters' gradients.
        nbytes: bytes of the buffers this tape allocated (parameter gradients excluded).
        buffers: those buffers.
        forward_ops, backward_ops: the op whose rule emitted each kernel (for profiles).
        kept: arrays that kernels reach through raw pointers (`memograd._mkl`): held here so
            they live as long as the tape.
    """

    forward: list[Kernel]
    backward: list[Kernel]
    nbytes: int = 0
    buffers: list[np.ndarray] = field(default_factory=list)
    forward_ops: list[str] = field(default_factory=list)
    backward_ops: list[str] = field(default_factory=list)
    kept: list[np.ndarray] = field(default_factory=list)

    def run_forward(self) -> None:
        """Run the forward kernels (the loss buffer holds the loss afterwards)."""
        for kernel in self.forward:
            kernel()

    def run_backward(self) -> None:
        """Run the backward kernels (the gradient buffers hold the gradients afterwards)."""
        for kernel in self.backward:
            kernel()


def straight_line(kernels: Sequence[Kernel], name: str = "replay") -> Callable[[], None]:
    """The kernels unrolled into one generated function (as `dataclasses` generates __init__).

    A kernel that is a `functools.partial` becomes a direct call of its function with its
    arguments, which are bound as default values (read as fast locals); any other kernel is
    called as it is. Same calls, same order as ``for k in kernels: k()``, without the loop
    and the partial objects' dispatch: 10% of a small step.

    Example:
        >>> import numpy as np
        >>> from functools import partial
        >>> a, out = np.ones(2), np.empty(2)
        >>> run = straight_line([partial(np.add, a, a, out), partial(np.multiply, out, 3.0, out)])
        >>> run(); out.tolist()
        [6.0, 6.0]
    """
    env: dict[str, Any] = {}
    body: list[str] = []
    for i, kernel in enumerate(kernels):
        if type(kernel) is partial:
            env[f"f{i}"] = kernel.func
            args = []
            for j, value in enumerate(kernel.args):
                env[f"a{i}_{j}"] = value
                args.append(f"a{i}_{j}")
            for key, value in kernel.keywords.items():
                env[f"k{i}_{key}"] = value
                args.append(f"{key}=k{i}_{key}")
            body.append(f"    f{i}({', '.join(args)})")
        else:
            env[f"c{i}"] = kernel
            body.append(f"    c{i}()")
    source = f"def {name}({', '.join(f'{n}={n}' for n in env)}) -> None:\n"
    source += "\n".join(body or ["    pass"])
    exec(source, env)  # names are generated here, values are only bound: nothing is parsed
    function: Callable[[], None] = env[name]
    return function


__all__ = ["Kernel", "Tape", "straight_line"]
