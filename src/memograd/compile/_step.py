"""`CompiledStep`: the `jit_compile=True` training step — trace once per shape, then replay.

The traces are kept in an explicit dict keyed by ``(x.shape, x.dtype, y.shape, y.dtype,
model.modes(), products)`` (the modules' training flags, and whether MKL takes the products
now): memoization again, of a whole step
this time. A full batch and the smaller last batch of an
epoch get a trace each; every later step with a known key only copies the batch into the
trace's input buffers and runs its kernels.

A layer's buffers (BatchNormalization's moving statistics) are state the tape itself updates
in place, as the eager step does: the trace records their update on stand-ins (see
`memograd.nn.Module.add_buffer`), so nothing here knows which layer keeps what.

The update runs in place over the parameters' arrays and preallocated gradient buffers
(shared by all traces: they have the parameters' shapes, and are views into one flat array).
The optimizer is asked for a step over those flat arrays (``optimizer.flat_update``: plain
SGD offers one BLAS axpy over the whole model, the eager rule's arithmetic); otherwise its own
`step()` runs on the gradient buffers (its updates are already in place over preallocated
state), so its rule, learning-rate schedule and step count stay the eager ones.

A step that cannot be traced (`Untraceable`: the model says so, or its Python reads the data)
runs eagerly after one warning naming the reason. An error that the eager step raises too (a
label out of range, a shape mismatch) is raised as the eager step raises it.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> X = np.random.default_rng(0).standard_normal((32, 3)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> model = mg.nn.Sequential([mg.nn.Dense(8, activation="relu"), mg.nn.Dense(2)])
    >>> model.compile(loss="cross_entropy", optimizer="sgd", jit_compile=True)
    >>> loss = model.train_on_batch(X, y)
    >>> step = model._get_train_step()
    >>> step.traces, step.fallback_reason
    (1, None)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from memograd import _mkl
from memograd.compile._record import Untraceable
from memograd.compile._tape import straight_line
from memograd.compile._trace import Trace, Trainable, self_check, trace
from memograd.tensor import Tensor

Step = Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]

_EAGER = None  # a cache entry meaning "this key falls back to the eager step"


class CompiledStep:
    """A model's training step that replays traced tapes (see the module docstring).

    Args:
        model: a built, compiled model (`Trainable`: its parameters, its optimizer, its
            traced step ``loss_and_outputs`` and its eager step).

    Calling it with prepared arrays ``(x, y)`` runs one step and returns ``(loss, outputs)``
    like the eager step. `outputs` is the trace's output buffer: valid until the next step.

    Attributes:
        traces: how many tapes were recorded (one per distinct input shape).
        replays: steps run from a tape (the first step of each trace included).
        fallback_reason: why the step falls back to eager, or None.
    """

    def __init__(self, model: Trainable) -> None:
        self.model = model
        self._modes = model.modes
        self._cache: dict[Hashable, Trace | None] = {}
        self._params: list[Tensor] = []
        self._arrays: list[np.ndarray] = []
        self._identity: list[tuple[Tensor, np.ndarray]] = []
        # Gradient buffers by id(param), shared by every trace; views into one flat array, so
        # that an optimizer's flat update scales every gradient at once (a scratch array
        # beside, of the same size).
        self._grads: dict[int, np.ndarray] = {}
        self._flat: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._bind_params()
        self.traces = 0
        self.replays = 0
        self.fallback_reason: str | None = None

    # -- the step --------------------------------------------------------------------------

    def __call__(self, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        # The modules' training flags too: a layer put in eval() after a trace (a frozen
        # BatchNormalization, a Dropout turned off) computes something else.
        # And whether products go to MKL now (`memograd._mkl`: one-thread policy only): a tape
        # binds its products, so after `set_num_threads(2)` a new trace makes NumPy's calls.
        key = (x.shape, x.dtype, y.shape, y.dtype, self._modes(), _mkl.in_use())
        entry = self._cache.get(key, self)  # `self` as the miss sentinel
        if entry is self:
            return self._trace_and_step(key, x, y)
        for p, array in self._identity:  # O(params): weights and buffers are the traced arrays
            if p.data is not array:
                return self._trace_and_step(key, x, y)
        if entry is None:
            return self.model._eager_step(x, y)
        assert isinstance(entry, Trace)
        np.copyto(entry.inputs, x)
        np.copyto(entry.labels, y)
        entry.run()
        return self._finish(entry)

    def _finish(self, entry: Trace) -> tuple[float, np.ndarray]:
        """After the kernels ran: the update (skipped for a non-finite loss, as eagerly)."""
        value = float(entry.loss)
        if math.isfinite(value):
            entry.update()
        else:
            entry.bind_grads()
        self.replays += 1
        return value, entry.outputs

    def _arrays_unchanged(self) -> bool:
        """Whether every parameter and buffer still holds the array the tapes read."""
        return all(p.data is array for p, array in self._identity)

    def _trace_and_step(
        self, key: Hashable, x: np.ndarray, y: np.ndarray
    ) -> tuple[float, np.ndarray]:
        if not self._arrays_unchanged():  # weights replaced (not updated in place): start over
            self._cache.clear()
            self._bind_params()
        state = [b.data for b in self.model.buffers()]
        before = [b.copy() for b in state]  # the self-check updates it; a failure undoes that
        try:
            entry = trace(self.model, x, y, self._grads, self._params)
            self.traces += 1
            self_check(entry, self.model, self._params, self._grads)
        except Exception as error:
            for p in self._params:
                p.grad = None
            for b, value in zip(state, before, strict=True):
                b[...] = value  # the eager step below starts from the state it would have
            if not isinstance(error, Untraceable):
                # Tracing stumbled on something the eager step may do fine (or may raise
                # on, as for a bad label: then the user gets the eager error, not ours).
                value, outputs = self.model._eager_step(x, y)
                self._fall_back(key, f"{type(error).__name__}: {error}")
                return value, outputs
            self._fall_back(key, error.reason)
            return self.model._eager_step(x, y)
        self._attach(entry)
        self._cache[key] = entry
        return self._finish(entry)  # the self-check ran this step's kernels already

    def _fall_back(self, key: Hashable, reason: str) -> None:
        """Run this key eagerly from now on; warn the first time (naming the reason)."""
        self._cache[key] = _EAGER
        if self.fallback_reason is None:
            self.fallback_reason = reason
            warnings.warn(
                f"jit_compile=True: this training step cannot be compiled ({reason}); "
                "it runs eagerly instead.",
                RuntimeWarning,
                stacklevel=5,
            )

    def _bind_params(self) -> None:
        """Lay the parameters and their gradients out in flat arrays (and a scratch array).

        Each parameter's `.data` becomes a view of the flat parameter array (same values),
        so a plain SGD update is one BLAS axpy for the whole model instead of one per
        parameter. Arrays taken from `.data` before this point are no longer the weights.
        """
        self._params = self.model.parameters()
        dtypes = {p.data.dtype for p in self._params}
        if len(dtypes) != 1:  # (no parameters, or mixed dtypes: trace() makes its own)
            self._grads, self._flat = {}, None
        else:
            size, dtype = sum(p.data.size for p in self._params), dtypes.pop()
            flat = np.empty(size, dtype), np.zeros(size, dtype), np.zeros(size, dtype)
            self._flat = flat
            self._grads = {}
            start = 0
            for p in self._params:
                stop = start + p.data.size
                weights = flat[0][start:stop].reshape(p.data.shape)
                weights[...] = p.data
                p.data = weights
                self._grads[id(p)] = flat[1][start:stop].reshape(p.data.shape)
                start = stop
        self._arrays = [p.data for p in self._params]
        self._identity = list(zip(self._params, self._arrays, strict=True))
        # The layers' buffers too: the tapes update these arrays in place (a moving average).
        self._identity += [(b, b.data) for b in self.model.buffers()]

    # -- the update ------------------------------------------------------------------------

    def _attach(self, entry: Trace) -> None:
        """Give `entry` its kernel list, its update and its gradient binding."""
        entry.run = straight_line(entry.kernels)
        trained = entry.trained
        pairs = [(p, self._grads[id(p)]) for p in trained]
        untouched = [p for p in self._params if all(p is not q for q in trained)]

        def bind_grads() -> None:
            for p in untouched:
                p.grad = None
            for p, g in pairs:
                p.grad = g  # as after an eager backward: the gradient of this step

        optimizer = self.model.optimizer
        flat = self._flat
        fast = None
        if flat is not None and pairs and all(self._grads.get(id(p)) is g for p, g in pairs):
            offer = getattr(optimizer, "flat_update", None)
            fast = offer(flat[0], flat[1], flat[2]) if offer is not None else None

        def update() -> None:
            bind_grads()
            if fast is None or not fast():
                optimizer.step()

        entry.bind_grads = bind_grads
        entry.update = update

    # -- introspection ---------------------------------------------------------------------

    def cache_info(self) -> dict[str, Any]:
        """The cache: keys, traces, replays, eager keys, bytes of the tapes' buffers."""
        entries = [e for e in self._cache.values() if e is not None]
        return {
            "keys": list(self._cache),
            "traces": self.traces,
            "replays": self.replays,
            "eager_keys": [k for k, e in self._cache.items() if e is None],
            "buffer_bytes": sum(e.tape.nbytes for e in entries),
        }

    def trace_for(self, x_shape: tuple[int, ...]) -> Trace | None:
        """The trace whose input shape is `x_shape` (None if there is none)."""
        for key, entry in self._cache.items():
            if entry is not None and key[0] == x_shape:  # type: ignore[index]
                return entry
        return None


def compile_train_step(model: Trainable) -> Step:
    """The `jit_compile=True` hook of `memograd.nn.Model`: a `CompiledStep` for `model`.

    Example:
        >>> import memograd as mg
        >>> model = mg.nn.Sequential([mg.nn.Dense(2)])
        >>> type(compile_train_step(model)).__name__
        'CompiledStep'
    """
    return CompiledStep(model)


__all__ = ["CompiledStep", "compile_train_step"]
