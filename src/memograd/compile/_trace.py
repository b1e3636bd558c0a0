"""The tracer: run one training step on recording stand-ins, and keep what they recorded.

A model offers its step as ``loss_and_outputs(x, y)`` (`Trainable`). To trace it, the batch,
the targets and every parameter become `Rec` stand-ins (`_record`), and the step runs as it
always does: the same layers, the same op definitions (`memograd.tensor`), then the one
reverse sweep of `memograd.graph` from the loss to the parameters (``wrt=params,
prune=True``: only the nodes on a path to a parameter, as the compiler's pruning). Each op's
forward and VJP record their NumPy calls as kernels; the parameters' gradients are bound to
the step's gradient buffers (the last kernel of each writes there directly), and dead
temporaries share storage (`_plan`).

Nothing here knows a layer, a loss or an activation: whatever the step does with ops —
a custom activation or loss made of primitives, `defop` ops, dropout's random mask — is
recorded. What cannot be (Python that reads the values: ``float(x)``, ``if x.max() > 0``;
a hand-written node; a model that says so up front) raises `Untraceable` with the reason.

Before a tape is used it must reproduce the eager step it was traced from: the first replay's
loss, outputs and parameter gradients are compared with an eager forward and backward on the
same batch, bit for bit (`self_check`): a debug check of the recording namespace, since the
replay makes the eager step's own calls.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> model = mg.nn.Sequential([mg.nn.Dense(4, activation=lambda t: t * t), mg.nn.Dense(2)])
    >>> model.compile(optimizer="sgd", jit_compile=True)
    >>> X, y = np.ones((8, 3), np.float32), np.array([0, 1] * 4)
    >>> _ = model.train_on_batch(X, y)
    >>> step = model._get_train_step()
    >>> step.fallback_reason is None, sorted(set(step.trace_for((8, 3)).tape.forward_ops))
    (True, ['cross_entropy', 'linear', 'mul'])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from memograd import _grad_mode
from memograd.compile._plan import assign_buffers
from memograd.compile._record import Rec, Recorder, Untraceable, resolve
from memograd.compile._tape import Kernel, Tape
from memograd.graph import reverse_sweep
from memograd.tensor import Tensor, constant


class Trainable(Protocol):
    """What a compiled step asks of a model (`memograd.nn.Model` has all of it)."""

    dtype: Any
    optimizer: Any

    def parameters(self) -> list[Tensor]:
        """The trainable Tensors, in a fixed order."""
        ...

    def buffers(self) -> list[Tensor]:
        """The non-trainable state (constant Tensors) the step reads and may update in
        place, such as moving averages: traced as stand-ins, so the tape updates it too."""
        ...

    def loss_and_outputs(self, x: Tensor, y: Any) -> tuple[Tensor, Tensor]:
        """The traced part of a step: the loss (0-d) and the outputs, before backward."""
        ...

    def untraceable_reason(self) -> str | None:
        """None, or why this model's step cannot be traced (asked before every trace)."""
        ...

    def modes(self) -> tuple[bool, ...]:
        """The training flags of the model's modules (part of each trace's cache key)."""
        ...

    def _eager_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """One eager step with the update: the fallback."""
        ...


@dataclass
class Trace:
    """A traced step for one input shape: the tape and the buffers it reads and writes.

    Attributes:
        tape: forward and backward kernels.
        inputs: the buffer the batch inputs are copied into before each replay.
        labels: the buffer the targets are copied into.
        loss: 0-d buffer holding the loss after the forward kernels.
        outputs: the model's outputs (B, units) after the forward kernels.
        trained: the parameters that receive a gradient (the others keep ``grad = None``).
        rng_states: the random generators the step draws from, with their states before the
            trace (the self-check replays the same draws as the eager reference).
        run: the kernels of one step without the update, unrolled into one function (set
            by `CompiledStep`).
        update: binds the gradients to ``.grad`` and updates the parameters in place.
        bind_grads: only binds the gradients (a step whose loss is not finite).
    """

    tape: Tape
    inputs: np.ndarray
    labels: np.ndarray
    loss: np.ndarray
    outputs: np.ndarray
    trained: list[Tensor]
    rng_states: list[tuple[Any, Any]] = field(default_factory=list)
    run: Callable[[], None] = field(default=lambda: None)
    update: Callable[[], None] = field(default=lambda: None)
    bind_grads: Callable[[], None] = field(default=lambda: None)

    @property
    def kernels(self) -> list[Kernel]:
        """Forward then backward kernels: one step without the update."""
        return self.tape.forward + self.tape.backward


def trace(
    model: Trainable,
    x: np.ndarray,
    y: np.ndarray,
    grads: dict[int, np.ndarray],
    params: list[Tensor],
) -> Trace:
    """Record `model`'s step on (x, y) and build its tape (see the module docstring).

    Args:
        grads: gradient buffers by parameter ``id`` (created here for new parameters).
        params: the model's parameters.

    Raises:
        Untraceable: the step cannot be traced; the reason says why.
    """
    reason = model.untraceable_reason()
    if reason is not None:
        raise Untraceable(reason)
    inputs = np.array(x, dtype=model.dtype, order="C")  # (B, D), refilled every replay
    labels = np.array(y, order="C")
    recorder = Recorder()
    held = [*params, *model.buffers()]
    arrays = [t.data for t in held]
    try:
        with recorder.active(), _grad_mode.enable_grad():
            for p in params:
                p.data = recorder.live(p.data, "live")
            for b in held[len(params) :]:
                b.data = recorder.state(b.data)
            loss, outputs = model.loss_and_outputs(
                constant(recorder.live(inputs, "input")), recorder.live(labels, "input")
            )
            _check_loss(loss, outputs)
            recorder.phase = "backward"
            seed = np.ones((), dtype=loss.data.dtype)
            found = reverse_sweep(
                loss, seed, wrt=params, prune=True, unexpected_leaf=_outside_parameters
            ).grads
    finally:
        for t, array in zip(held, arrays, strict=True):
            t.data = array
        for rng, state in recorder.rng_states.values():
            rng.bit_generator.state = state  # the draws happen again at the first replay
    trained = _bind_gradients(recorder, params, found, grads)
    assign_buffers(recorder, pinned={id(loss.data.buffer), id(outputs.data.buffer)})
    forward = [k for k in recorder.kernels if k.phase == "forward"]
    backward = [k for k in recorder.kernels if k.phase == "backward"]
    storage = {id(b.array): b.array for b in recorder.buffers if b.kind == "temp"}
    buffers = list(storage.values())
    tape = Tape(
        [recorder.bind(k) for k in forward],
        [recorder.bind(k) for k in backward],
        sum(b.nbytes for b in buffers),
        buffers,
        [k.op for k in forward],
        [k.op for k in backward],
        kept=recorder.kept,
    )
    states = list(recorder.rng_states.values())
    return Trace(tape, inputs, labels, resolve(loss.data), resolve(outputs.data), trained, states)


def _check_loss(loss: Any, outputs: Any) -> None:
    if not isinstance(loss, Tensor) or not isinstance(outputs, Tensor):
        raise Untraceable("the step must return a loss Tensor and an outputs Tensor")
    if not loss.requires_grad or loss.data.ndim != 0 or not isinstance(loss.data, Rec):
        raise Untraceable("the loss does not depend on any parameter")
    if not isinstance(outputs.data, Rec):
        raise Untraceable("the outputs do not depend on the batch")


def _outside_parameters(leaf: Any) -> None:
    raise Untraceable(
        f"a tensor of shape {leaf.shape} outside the model's parameters requires grad"
    )


def _bind_gradients(
    recorder: Recorder, params: list[Tensor], found: tuple[Any, ...], grads: dict[int, np.ndarray]
) -> list[Tensor]:
    """Point each gradient's buffer at the parameter's gradient buffer, or copy into it.

    A gradient computed into a buffer of its own (the usual case: the last kernel of a VJP
    made it) becomes that buffer: its kernel writes the gradient buffer directly, no copy. A
    view, a constant or a buffer already taken by another parameter is copied at the end.
    """
    trained: list[Tensor] = []
    taken: set[int] = set()
    for p, g in zip(params, found, strict=True):
        if g is None:
            continue
        trained.append(p)
        target = grads.get(id(p))
        if target is None:
            target = grads[id(p)] = np.zeros_like(p.data, order="C")
        if (
            isinstance(g, Rec)
            and not g.views
            and g.buffer.kind == "temp"
            and id(g.buffer) not in taken
            and g.value.shape == target.shape
            and g.value.dtype == target.dtype
            and g.value.flags.c_contiguous
        ):
            g.buffer.array = target
            g.buffer.kind = "grad"
            taken.add(id(g.buffer))
        else:
            recorder.emit(np.copyto, (target, g))
    return trained


def self_check(
    result: Trace, model: Trainable, params: list[Tensor], grads: dict[int, np.ndarray]
) -> None:
    """Run the tape once and compare it with the eager forward and backward of its batch.

    Leaves the replayed gradients in the gradient buffers (no parameter is updated) and the
    layers' buffers updated once, by the replay (compared with the eager update).

    Raises:
        Untraceable: when a value differs in any bit (a recording that is not its op's call).
    """
    for p in params:
        p.grad = None
    buffers = [b.data for b in model.buffers()]
    before = [b.copy() for b in buffers]
    with _grad_mode.enable_grad():
        loss, outputs = model.loss_and_outputs(Tensor(result.inputs.copy()), result.labels.copy())
        loss.backward()
    eager = {id(p): p.grad for p in params}
    updated = [b.copy() for b in buffers]  # the state after the eager step
    for b, value in zip(buffers, before, strict=True):
        b[...] = value  # the replay updates it once more, from where the eager step began
    for p in params:
        p.grad = None
    for rng, state in result.rng_states:
        rng.bit_generator.state = state  # the replay draws what the eager step drew
    result.tape.run_forward()
    result.tape.run_backward()
    _compare("loss", result.loss, loss.data)
    _compare("outputs", result.outputs, outputs.data)
    for b, value in zip(buffers, updated, strict=True):
        _compare("state of a layer (a buffer)", b, value)
    for p in result.trained:
        _compare("a parameter gradient", grads[id(p)], eager[id(p)])
    trained = {id(p) for p in result.trained}
    for p in params:
        if id(p) not in trained and eager[id(p)] is not None:
            raise Untraceable("the replay left a parameter without the gradient eager gives it")


def _compare(what: str, replayed: np.ndarray, eager: Any) -> None:
    eager = np.asarray(eager)
    if replayed.shape != eager.shape or replayed.dtype != eager.dtype:
        raise Untraceable(
            f"the replayed {what} has shape {replayed.shape} and dtype {replayed.dtype}, "
            f"the eager one {eager.shape} and {eager.dtype}"
        )
    if not np.array_equal(replayed, eager, equal_nan=True):
        with np.errstate(invalid="ignore", over="ignore"):
            error = float(np.nanmax(np.abs(replayed - eager), initial=0.0))
        raise Untraceable(
            f"self-check failed: the replayed {what} differs from the eager one by {error:.3g}"
        )


__all__ = ["Trace", "Trainable", "self_check", "trace"]
