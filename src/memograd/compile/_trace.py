"""The tracer: run a model's forward pass and loss once, and turn the graph into a tape.

Tracing marks the batch input as needing a gradient, so that everything computed from the
batch is recorded as a graph node (a `Normalization` of the inputs, say) and nothing that
changes from batch to batch is mistaken for a constant. The recorded graph is then walked in
topological order (forward kernels) and each node's rule also emits its backward kernels,
which the tape runs in reverse order: the reverse sweep of `memograd.graph`, unrolled once.

What cannot be traced raises `Untraceable`: layers other than Dense / Normalization /
Dropout(rate=0) (a custom layer may branch on data), Dropout with a rate (a new random mask
every step), Dense with a custom activation, losses other than the built-in three, the
recomputing checkpoint policies, ops without a tape rule.

Before a tape is used it must reproduce the eager computation it was traced from: the first
replay's loss, outputs and every parameter gradient are compared with an eager backward on
the same batch (`self_check`); a mismatch is untraceable too.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> from memograd.compile._trace import check_model
    >>> model = mg.nn.Sequential([mg.nn.Dense(4), mg.nn.Dropout(0.5), mg.nn.Dense(2)])
    >>> try:
    ...     check_model(model)
    ... except Exception as error:
    ...     print(error)
    Dropout(rate=0.5) draws a new random mask every step
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from memograd import _grad_mode
from memograd.compile._rules import rule_for
from memograd.compile._tape import Kernel, Tape, TapeBuilder, Untraceable
from memograd.graph import topological_order
from memograd.nn import activations, layers, losses
from memograd.tensor import Tensor

_LAYERS = (layers.Dense, layers.Dropout, layers.Normalization)
_LOSSES = (losses.CrossEntropy, losses.BinaryCrossEntropy, losses.MeanSquaredError)


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
    run: Callable[[], None] = field(default=lambda: None)
    update: Callable[[], None] = field(default=lambda: None)
    bind_grads: Callable[[], None] = field(default=lambda: None)

    @property
    def kernels(self) -> list[Kernel]:
        """Forward then backward kernels: one step without the update."""
        return self.tape.forward + self.tape.backward


def check_model(model: Any) -> None:
    """Raise `Untraceable` if `model`'s step may not be traced (see the module docstring)."""
    from memograd.nn.sequential import Sequential

    if type(model) is not Sequential:
        raise Untraceable(f"the model class {type(model).__name__} is not Sequential")
    if model.checkpoint != "all":
        raise Untraceable(f"checkpoint={model.checkpoint!r} recomputes activations")
    for layer in model.layers:
        if type(layer) not in _LAYERS:  # a subclass may override `call` and branch on data
            raise Untraceable(f"custom layer {layer.name!r} ({type(layer).__name__})")
        if isinstance(layer, layers.Dropout) and layer.rate > 0.0:
            raise Untraceable(f"Dropout(rate={layer.rate}) draws a new random mask every step")
        if isinstance(layer, layers.Dense):
            name = layer.activation_name
            if name not in activations.names() or activations.get(name) is not layer.activation:
                raise Untraceable(f"layer {layer.name!r} has a custom activation {name!r}")
    if type(model.loss) not in _LOSSES:
        raise Untraceable(f"custom loss {type(model.loss).__name__}")


def trace(
    model: Any, x: np.ndarray, y: np.ndarray, grads: dict[int, np.ndarray], params: list[Tensor]
) -> tuple[Trace, Tensor, Tensor]:
    """Record `model`'s forward pass and loss on (x, y) and build its tape.

    Args:
        grads: gradient buffers by parameter ``id`` (created here for new parameters).
        params: the model's parameters.

    Returns:
        The trace, and the eager loss and outputs it was recorded from (for `self_check`).
    """
    check_model(model)
    inputs = np.array(x, dtype=model.dtype, order="C")  # (B, D), refilled every replay
    labels = np.array(y, order="C")
    x_node = Tensor(inputs, requires_grad=True)  # so that all batch-derived values are nodes
    with _grad_mode.enable_grad():
        outputs = model(x_node)  # (B, units)
        loss = model.loss(outputs, labels)  # 0-d
    if not loss.requires_grad or loss.data.ndim != 0:
        raise Untraceable("the loss does not depend on any parameter")
    order: list[Tensor] = topological_order(loss)  # type: ignore[assignment]
    param_ids = {id(p) for p in params}
    needs: set[int] = set()
    for node in order:
        if not node._parents:
            if id(node) in param_ids:
                needs.add(id(node))
            elif node is not x_node:
                raise Untraceable("a tensor outside the model's parameters requires grad")
        elif any(id(parent) in needs for parent in node._parents):
            needs.add(id(node))
    for p in params:
        if id(p) in needs and id(p) not in grads:
            grads[id(p)] = np.zeros_like(p.data)
    leaves = {id(p): p.data for p in params}
    leaves[id(x_node)] = inputs
    builder = TapeBuilder(order, leaves, grads, needs, loss, labels)
    forward: list[tuple[str, Kernel]] = []
    blocks: list[list[tuple[str, Kernel]]] = []
    for node in order:
        if node._parents:
            builder.begin(node)
            fwd, bwd = rule_for(node)(node, builder)
            forward += [(node.op, kernel) for kernel in fwd]
            blocks.append([(node.op, kernel) for kernel in bwd])
    backward = [pair for block in reversed(blocks) for pair in block]  # the reverse sweep
    trained = [p for p in params if id(p) in needs]
    tape = builder.finish(forward, backward)
    result = Trace(tape, inputs, labels, builder.value(loss), builder.value(outputs), trained)
    return result, loss, outputs


def self_check(result: Trace, loss: Tensor, outputs: Tensor, grads: dict[int, np.ndarray]) -> None:
    """Run the tape once and compare it with the eager forward and backward it was traced from.

    Leaves the replayed gradients in the gradient buffers (no parameter is updated).

    Raises:
        Untraceable: when a value differs beyond rounding (a rule that does not match its op).
    """
    for p in result.trained:
        p.grad = None
    result.tape.run_forward()
    _compare("loss", result.loss, loss.data)
    _compare("outputs", result.outputs, outputs.data)
    loss.backward()  # the eager reference gradients, in p.grad
    result.tape.run_backward()
    for p in result.trained:
        _compare("a parameter gradient", grads[id(p)], p.grad)
        p.grad = None


def _compare(what: str, replayed: np.ndarray, eager: Any) -> None:
    eager = np.asarray(eager)
    if replayed.shape != eager.shape or replayed.dtype != eager.dtype:
        raise Untraceable(
            f"the replayed {what} has shape {replayed.shape} and dtype {replayed.dtype}, "
            f"the eager one {eager.shape} and {eager.dtype}"
        )
    with np.errstate(invalid="ignore", over="ignore"):
        scale = float(np.max(np.abs(eager), initial=0.0))
        if not np.isfinite(scale):
            return  # a diverged batch: nothing to compare; the step's guard handles it
        tolerance = 1e-4 * scale + (1e-30 if eager.dtype == np.float64 else 1e-12)
        if not np.allclose(replayed, eager, rtol=1e-4, atol=tolerance, equal_nan=True):
            error = float(np.max(np.abs(replayed - eager)))
            raise Untraceable(
                f"self-check failed: the replayed {what} differs from the eager one by {error:.3g}"
            )


__all__ = ["Trace", "check_model", "self_check", "trace"]
