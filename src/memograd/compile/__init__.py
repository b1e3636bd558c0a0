"""Compiled training steps: trace one step once, replay a flat tape of array kernels.

An eager step builds a graph of Tensor nodes every time: Python objects, saved arrays, a
topological sort, an adjoint dict. All of it is the same from one batch to the next as long
as the shapes are. `memograd.compile` records the step once — forward, loss, the backward
sweep, the optimizer update — as a list of NumPy calls writing into buffers allocated at
trace time (`out=`), and then only replays that list:

- **tracer** (`_trace`): runs the model's forward pass and loss once with the batch marked as
  needing a gradient, and walks the recorded graph in topological order;
- **tape rules** (`_rules`, `_rules_basic`): per op, the forward and backward kernels over
  preallocated buffers; the adjoint buffers are the backward pass's memo table;
- **tape** (`_tape`): the kernel lists and the builder that hands out buffers;
- **cache and replay** (`_step`): one trace per ``(shape, dtype)`` of the batch in an explicit
  dict (a smaller last batch gets its own), in-place parameter updates, and the eager
  fallback, with one warning naming the reason, for steps that cannot be traced.

`Sequential.compile(..., jit_compile=True)` uses it through `compile_train_step`.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> X = np.random.default_rng(0).standard_normal((64, 2)).astype(np.float32)
    >>> y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    >>> model = mg.nn.Sequential([mg.nn.Dense(16, activation="relu"), mg.nn.Dense(2)])
    >>> model.compile(loss="cross_entropy", optimizer=mg.optim.SGD(0.1), jit_compile=True)
    >>> first = model.train_on_batch(X, y)
    >>> last = [model.train_on_batch(X, y) for _ in range(50)][-1]
    >>> last < first
    True
"""

from memograd.compile._rules import register_rule, rules
from memograd.compile._step import CompiledStep, compile_train_step
from memograd.compile._tape import Tape, TapeBuilder, Untraceable
from memograd.compile._trace import Trace, check_model

__all__ = [
    "CompiledStep",
    "Tape",
    "TapeBuilder",
    "Trace",
    "Untraceable",
    "check_model",
    "compile_train_step",
    "register_rule",
    "rules",
]
