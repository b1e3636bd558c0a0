"""`Module`: the base of every layer and model — parameters, modes, state, lazy building.

The lifecycle is Keras's: `__init__` validates and stores the arguments, `build(input_shape)`
creates the weights the first time the module sees an input (so `Dense(64)` never asks for
its input size), and `call(x)` computes the output. Parameters are `memograd.Tensor` leaves
with `requires_grad=True`; optimizers update their `.data` in place.

Example:
    >>> import numpy as np
    >>> import memograd as mg
    >>> layer = mg.nn.Dense(3)
    >>> y = layer(mg.Tensor(np.ones((2, 4), dtype=np.float32)))
    >>> [name for name, _ in layer.named_parameters()], y.shape
    (['kernel', 'bias'], (2, 3))
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from memograd._errors import invalid_value
from memograd.tensor import Tensor

# Bumped when any module's training flag is set or a child is added: `Module.modes()` keeps
# its tuple until then.
_MODE_CHANGES = [0]


class Module:
    """Base class for layers and models.

    Subclasses override `build(input_shape)` (create weights with `add_weight`), `call(x)`,
    `compute_output_shape(input_shape)` and `get_config()`.

    Attributes:
        name: a label used in summaries and error messages.
        training: True in training mode (dropout active), False in evaluation mode.
        built: whether `build` has run.
    """

    def __init__(self, name: str | None = None) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Expected `name` to be a string. Received: name={name!r}")
        self.name = name or type(self).__name__.lower()
        self._modes: tuple[int, tuple[bool, ...]] = (-1, ())  # (stamp, flags): see `modes`
        self.training = True
        self.built = False
        self.input_shape: tuple[int | None, ...] | None = None
        self._params: dict[str, Tensor] = {}
        self._buffers: dict[str, Tensor] = {}  # constants: the step never differentiates them
        self._children: dict[str, Module] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Create weights for inputs of `input_shape` (batch dimension first, may be None)."""

    def call(self, x: Tensor) -> Tensor:
        """The forward computation."""
        raise NotImplementedError(f"{type(self).__name__} does not implement `call`.")

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """The output shape for `input_shape` (default: unchanged)."""
        return input_shape

    def untraceable_reason(self) -> str | None:
        """None, or why a compiled training step (`jit_compile=True`) cannot trace this module.

        A trace runs `call` once on stand-ins and replays only the array operations it
        recorded. A module whose `call` changes state some other way (in Python, or on arrays
        it did not get from `buffer`) would do that once, at the trace, not at every step: it
        says so here, and the step runs eagerly. State kept in buffers and updated in place
        through `buffer(name)` needs no reason: the step updates it (see `add_buffer`).
        """
        return None

    def ensure_built(self, input_shape: tuple[int | None, ...]) -> None:
        """Run `build` once, for the first input shape seen."""
        if not self.built:
            self.build(input_shape)
            self.input_shape = (None, *input_shape[1:])
            self.built = True

    def __call__(self, x: Tensor) -> Tensor:
        if not self.built:
            self.ensure_built(tuple(x.shape))
        return self.call(x)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, JSON-serialisable (used to rebuild the module from a file)."""
        return {"name": self.name}

    # -- parameters --------------------------------------------------------------------------

    def add_weight(self, name: str, value: np.ndarray) -> Tensor:
        """Register `value` as a trainable parameter called `name` and return it."""
        if name in self._params:
            raise ValueError(f"{self.name} already has a weight called {name!r}.")
        param = Tensor(value, requires_grad=True)
        self._params[name] = param
        return param

    def add_buffer(self, name: str, value: np.ndarray) -> np.ndarray:
        """Register a non-trainable array (saved with the model, never optimized).

        A layer that updates it while training (a moving average) reads it at call time
        with `buffer(name)` and updates it in place with array operations (``moving *= m``).
        A compiled step (`jit_compile=True`) passes a recording stand-in there while it
        traces, so those operations become kernels of the tape that update the buffer in
        place at every replayed step, as parameters are.
        """
        if name in self._params or name in self._buffers:
            raise ValueError(f"{self.name} already has a weight called {name!r}.")
        self._buffers[name] = Tensor(value)  # (a float array is kept as it is, not copied)
        return self.buffer(name)

    def buffer(self, name: str) -> np.ndarray:
        """The array of buffer `name`, read at call time (see `add_buffer`)."""
        data: np.ndarray = self._buffers[name].data
        return data

    def add_module(self, name: str, module: Module) -> Module:
        """Register a child module (its parameters appear as ``"<name>.<param>"``)."""
        if not isinstance(module, Module):
            raise TypeError(
                f"Expected a memograd.nn.Module for {name!r}. Received: {type(module).__name__}"
            )
        self._children[name] = module
        _MODE_CHANGES[0] += 1  # the flags of `modes()` change with the children
        return module

    def children(self) -> list[Module]:
        """Direct child modules, in registration order."""
        return list(self._children.values())

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """``(name, parameter)`` pairs, this module's first, then each child's (dotted)."""
        for name, param in self._params.items():
            yield prefix + name, param
        for child_name, child in self._children.items():
            yield from child.named_parameters(f"{prefix}{child_name}.")

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        """``(name, array)`` pairs of the non-trainable state, like `named_parameters`."""
        for name, buffer in self._buffers.items():
            yield prefix + name, buffer.data
        for child_name, child in self._children.items():
            yield from child.named_buffers(f"{prefix}{child_name}.")

    def _named_state(self) -> dict[str, np.ndarray]:
        """Every saved array by name: parameters' data, then buffers."""
        state = {name: param.data for name, param in self.named_parameters()}
        state.update(self.named_buffers())
        return state

    def parameters(self) -> list[Tensor]:
        """Every trainable parameter, in a stable order (the order optimizers and files use)."""
        return [param for _, param in self.named_parameters()]

    def buffers(self) -> list[Tensor]:
        """Every buffer as a constant Tensor holding its array, in `named_buffers` order: the
        state a compiled step reads and updates in place (as PyTorch's ``buffers()``)."""
        found = list(self._buffers.values())
        for child in self._children.values():
            found.extend(child.buffers())
        return found

    def count_params(self) -> int:
        """Number of scalars in the model: trainable parameters and buffers."""
        return int(sum(array.size for array in self._named_state().values()))

    def count_trainable_params(self) -> int:
        """Number of trainable scalars."""
        return int(sum(param.data.size for param in self.parameters()))

    def zero_grad(self) -> None:
        """Drop every parameter's gradient (`grad = None`: no array is touched)."""
        for param in self.parameters():
            param.grad = None

    # -- modes -------------------------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active) on this module and its children."""
        self.training = bool(mode)
        for child in self._children.values():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode (dropout is the identity)."""
        return self.train(False)

    @property
    def training(self) -> bool:
        """True in training mode (dropout active, batch statistics), False in eval mode."""
        return self._training

    @training.setter
    def training(self, mode: bool) -> None:
        self._training = mode
        _MODE_CHANGES[0] += 1

    def modes(self) -> tuple[bool, ...]:
        """The training flag of this module and of every descendant, depth first: what a
        compiled step's trace depends on besides the batch's shapes (a layer switched to
        `eval()` after the trace needs a trace of its own).

        Asked at every compiled step, so kept until a training flag or a child changes.
        """
        stamp, flags = self._modes
        if stamp == _MODE_CHANGES[0]:
            return flags
        found = [self._training]
        for child in self._children.values():
            found.extend(child.modes())
        self._modes = (_MODE_CHANGES[0], tuple(found))
        return self._modes[1]

    def _reseed(self, epoch: int) -> None:
        """Restart per-epoch random streams (dropout masks) so a resumed run repeats them."""
        for child in self._children.values():
            child._reseed(epoch)

    # -- state -------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """A snapshot ``{name: copy of the array}`` of every parameter and buffer."""
        return {name: array.copy() for name, array in self._named_state().items()}

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Copy arrays into the parameters (in place), checking names and shapes first.

        Raises:
            ValueError: missing or unexpected names, or a shape that differs; nothing is
                changed in that case.
        """
        ours = self._named_state()
        missing = [name for name in ours if name not in state]
        unexpected = [name for name in state if name not in ours]
        if missing or unexpected:
            raise ValueError(
                f"State does not match {self.name}: missing {missing}, unexpected {unexpected}."
            )
        for name, array in ours.items():
            shape = np.shape(state[name])
            if shape != array.shape:
                raise ValueError(
                    f"Shape mismatch for {name!r} in {self.name}: the model has "
                    f"{array.shape}, the state has {shape}."
                )
        for name, array in ours.items():
            array[...] = state[name]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every parameter, then every buffer (Keras's `get_weights`)."""
        return [array.copy() for array in self._named_state().values()]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Copy `weights` (in `get_weights()` order) into the model, checking shapes."""
        arrays = list(self._named_state().values())
        if len(weights) != len(arrays):
            raise ValueError(
                f"{self.name} expects {len(arrays)} weight arrays, received {len(weights)}."
            )
        for index, (array, value) in enumerate(zip(arrays, weights, strict=True)):
            if np.shape(value) != array.shape:
                raise ValueError(
                    f"Weight {index} of {self.name} has shape {array.shape}, "
                    f"received {np.shape(value)}."
                )
        for array, value in zip(arrays, weights, strict=True):
            array[...] = value

    def __repr__(self) -> str:
        config = {k: v for k, v in self.get_config().items() if k != "name"}
        args = ", ".join(f"{key}={value!r}" for key, value in config.items())
        return f"{type(self).__name__}({args})"


def resolve_dtype(dtype: DTypeLike | None, name: str = "dtype") -> np.dtype[Any]:
    """`float32` or `float64` as a NumPy dtype (None means float32)."""
    resolved = np.dtype("float32" if dtype is None else dtype)
    if resolved not in (np.dtype("float32"), np.dtype("float64")):
        raise invalid_value(name, "'float32' or 'float64'", dtype)
    return resolved
