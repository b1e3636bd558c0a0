"""Compiled training steps: trace one step once, replay a flat tape of array kernels.

An eager step builds a graph of Tensor nodes every time: Python objects, saved arrays, a
topological sort, an adjoint dict. All of it is the same from one batch to the next as long
as the shapes are. `memograd.compile` records the step once — forward, loss, the backward
sweep — as a list of NumPy calls writing into buffers allocated at trace time (`out=`), and
then only replays that list, followed by the optimizer's in-place update:

- **stand-ins** (`_record`, `_xp_record`): arrays that record. Each op of `memograd.tensor`
  is one definition (forward and VJP written against an array namespace); run on stand-ins,
  both emit their NumPy calls as kernels, so the tape is derived from the definitions —
  nothing here is written per op, and a `defop` op compiles like a built-in one;
- **tracer** (`_trace`): runs the model's step on stand-ins (the batch, the targets, the
  parameters) and the one reverse sweep of `memograd.graph`, and checks the first replay
  against the eager step, bit for bit;
- **tape** (`_tape`): the kernel lists, unrolled into one generated function;
- **cache and replay** (`_step`): one trace per ``(shape, dtype)`` of the batch in an explicit
  dict (a smaller last batch gets its own), in-place parameter updates, and the eager
  fallback, with one warning naming the reason, for steps that cannot be traced.

The compiler knows no layer, loss or optimizer: it takes a model's step (`Trainable`) and asks
the objects it meets (``model.untraceable_reason()``, ``optimizer.flat_update(...)``, and
``model.buffers()``: non-trainable state such as BatchNormalization's moving statistics,
traced as stand-ins so that the tape updates it in place at every replay, as eagerly).
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

from memograd.compile import _xp_record
from memograd.compile._record import Rec, Recorder, Untraceable
from memograd.compile._step import CompiledStep, compile_train_step
from memograd.compile._tape import Tape, straight_line
from memograd.compile._trace import Trace, Trainable
from memograd.tensor._primitive import register_namespace

register_namespace(Rec, _xp_record)  # the op definitions run on stand-ins with this namespace

__all__ = [
    "CompiledStep",
    "Rec",
    "Recorder",
    "Tape",
    "Trace",
    "Trainable",
    "Untraceable",
    "compile_train_step",
    "straight_line",
]
