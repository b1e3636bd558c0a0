"""A neuron-level multi-layer perceptron of `Value`s, named in the lesson's notation.

The graph one forward pass builds (what the closed forms in `memograd.backprop` count):

* parameters (leaves): ``w^l_ij`` connects unit i of layer l−1 (an input when l = 1) to neuron
  j of layer l — so w¹₁₁ joins input 1 to neuron 1 of layer 1 —, and ``b_lj`` is the bias of
  neuron j of layer l;
* per neuron two nodes: the weighted sum ``z_lj = Σ_i w^l_ij · o_(l−1)i + b_lj`` (one n-ary
  node, label ``z₁₁``) and its output ``o_lj = act(z_lj)`` (label ``o₁₁``; the last layer's
  output is ``ŷ``). A ``linear`` layer has no activation node: o is z itself;
* numeric inputs are constants folded into the first layer's weighted sums, not nodes;
* the loss ``L = Σ_k (y_k − ŷ_k)²`` is one node whose parents are the outputs.

Example:
    >>> import memograd as mg
    >>> net = mg.scalar.MLP([2, 2, 2, 1], activation="sigmoid", seed=0)
    >>> y_hat = net([0.5, -1.0])
    >>> y_hat.label, net.weight(1, 1, 1).label, net["w1_11"] is net.weight(1, 1, 1)
    ('ŷ', 'w¹₁₁', True)
    >>> loss = net.loss([0.5, -1.0], 1.0)
    >>> _ = loss.backward()
    >>> len(net.parameters())
    15
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from memograd._errors import invalid_value
from memograd.scalar._value import Value, squared_error, weighted_sum

ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "relu": Value.relu,
    "linear": None,
}

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_NAME = re.compile(r"^([wbo])(\d+)_(\d+)(?:_(\d+))?$")


def _indices(*idx: int) -> str:
    """Digits of the subscript: ``11`` when all are single digits, else ``1,12``."""
    return "".join(map(str, idx)) if all(i < 10 for i in idx) else ",".join(map(str, idx))


def lesson_name(kind: str, layer: int, *idx: int) -> str:
    """The Unicode name of a node: ``w¹₁₁``, ``b₁₁``, ``o₂₁``, ``z₂₁``.

    Example:
        >>> lesson_name("w", 1, 1, 2), lesson_name("o", 2, 1)
        ('w¹₁₂', 'o₂₁')
    """
    if kind == "w":
        return f"w{str(layer).translate(_SUP)}{_indices(*idx).translate(_SUB)}"
    return f"{kind}{_indices(layer, *idx).translate(_SUB)}"


def ascii_name(kind: str, layer: int, *idx: int) -> str:
    """The ASCII name used as a key: ``w1_11`` (``w1_1_12`` past 9), ``b1_1``, ``o2_1``."""
    if kind == "w":
        i, j = idx
        return f"w{layer}_{i}{j}" if i < 10 and j < 10 else f"w{layer}_{i}_{j}"
    return f"{kind}{layer}_{idx[0]}"


def _validate_sizes(sizes: Sequence[int]) -> list[int]:
    widths = list(sizes)
    if len(widths) < 2 or any(
        isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1 for n in widths
    ):
        raise invalid_value(
            "sizes", "at least two positive integers (inputs, then each layer's width)", list(sizes)
        )
    return [int(n) for n in widths]


class MLP:
    """A fully connected network whose every neuron is a pair of `Value` nodes.

    Args:
        sizes: ``[inputs, width of layer 1, ..., outputs]``, e.g. ``[2, 2, 2, 1]``.
        activation: ``"sigmoid"``, ``"tanh"``, ``"relu"`` or ``"linear"`` for hidden layers.
        output_activation: the last layer's activation (default: the same as `activation`).
        seed: seeds ``np.random.default_rng``; weights ~ N(0, 1/fan_in), biases ~ N(0, 0.1²).

    Example:
        >>> net = MLP([3, 4, 1], activation="tanh", seed=1)
        >>> [name for name, _ in net.named_parameters()][:4]
        ['w1_11', 'w1_21', 'w1_31', 'b1_1']
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "sigmoid",
        *,
        output_activation: str | None = None,
        seed: int = 0,
    ) -> None:
        self.sizes = _validate_sizes(sizes)
        for arg, name in (("activation", activation), ("output_activation", output_activation)):
            if name is not None and name not in ACTIVATIONS:
                raise invalid_value(arg, f"one of {sorted(ACTIVATIONS)}", name)
        self.activation = activation
        self.output_activation = activation if output_activation is None else output_activation
        rng = np.random.default_rng(seed)
        self._params: dict[str, Value] = {}
        # _weights[l-1][j-1][i-1] = w^l_ij ; _biases[l-1][j-1] = b_lj
        self._weights: list[list[list[Value]]] = []
        self._biases: list[list[Value]] = []
        for layer, (fan_in, width) in enumerate(zip(self.sizes, self.sizes[1:], strict=False), 1):
            w = rng.normal(0.0, 1.0 / np.sqrt(fan_in), size=(width, fan_in))
            b = rng.normal(0.0, 0.1, size=width)
            neurons_w: list[list[Value]] = []
            neurons_b: list[Value] = []
            for j in range(1, width + 1):
                row = []
                for i in range(1, fan_in + 1):
                    v = Value(float(w[j - 1, i - 1]), label=lesson_name("w", layer, i, j))
                    self._params[ascii_name("w", layer, i, j)] = v
                    row.append(v)
                bias = Value(float(b[j - 1]), label=lesson_name("b", layer, j))
                self._params[ascii_name("b", layer, j)] = bias
                neurons_w.append(row)
                neurons_b.append(bias)
            self._weights.append(neurons_w)
            self._biases.append(neurons_b)

    @property
    def depth(self) -> int:
        """Number of layers with parameters (hidden layers + the output layer)."""
        return len(self.sizes) - 1

    def layer_activation(self, layer: int) -> str:
        """The activation name of `layer` (1-based)."""
        return self.output_activation if layer == self.depth else self.activation

    def __call__(self, x: Sequence[float | Value]) -> Value | list[Value]:
        """Forward pass; returns ŷ (a Value) for one output unit, else the list of outputs."""
        inputs: list[float | Value] = list(x)
        outputs: list[Value] = []
        if len(inputs) != self.sizes[0]:
            raise ValueError(
                f"MLP expects {self.sizes[0]} inputs (sizes={self.sizes}). "
                f"Received: {len(inputs)} inputs"
            )
        for layer in range(1, self.depth + 1):
            act = ACTIVATIONS[self.layer_activation(layer)]
            last = layer == self.depth
            width = self.sizes[layer]
            outputs = []
            for j in range(1, width + 1):
                z = weighted_sum(
                    self._weights[layer - 1][j - 1], inputs, self._biases[layer - 1][j - 1]
                )
                z.label = lesson_name("z", layer, j)
                o = z if act is None else act(z)
                if last:
                    o.label = "ŷ" if width == 1 else f"ŷ{str(j).translate(_SUB)}"
                else:
                    o.label = lesson_name("o", layer, j)
                outputs.append(o)
            inputs = list(outputs)
        return outputs[0] if len(outputs) == 1 else outputs

    def loss(self, x: Sequence[float | Value], y: float | Sequence[float]) -> Value:
        """L = Σ_k (y_k − ŷ_k)² for one example, as one node labelled ``L``."""
        out = self(x)
        loss = squared_error(out, y)
        loss.label = "L"
        return loss

    def parameters(self) -> list[Value]:
        """All weights and biases: layer by layer, neuron by neuron (weights, then bias)."""
        return list(self._params.values())

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(ascii name, Value)`` pairs, e.g. ``("w1_11", w¹₁₁)``, in `parameters()` order."""
        return list(self._params.items())

    def weight(self, layer: int, i: int, j: int) -> Value:
        """w^layer_ij: from unit i of the previous layer (or input i) to neuron j (1-based)."""
        self._check_index("layer", layer, self.depth)
        self._check_index("i", i, self.sizes[layer - 1])
        self._check_index("j", j, self.sizes[layer])
        return self._weights[layer - 1][j - 1][i - 1]

    def bias(self, layer: int, j: int) -> Value:
        """b_layer,j: the bias of neuron j of `layer` (1-based)."""
        self._check_index("layer", layer, self.depth)
        self._check_index("j", j, self.sizes[layer])
        return self._biases[layer - 1][j - 1]

    def __getitem__(self, name: str) -> Value:
        """A parameter by its ASCII name: ``net["w1_11"]``, ``net["w1_1_12"]``, ``net["b2_1"]``."""
        match = _NAME.match(name) if isinstance(name, str) else None
        if match and match.group(1) == "w":
            layer, a, b = match.group(2), match.group(3), match.group(4)
            if b is None and len(a) == 2:
                return self.weight(int(layer), int(a[0]), int(a[1]))
            if b is not None:
                return self.weight(int(layer), int(a), int(b))
        elif match and match.group(1) == "b" and match.group(4) is None:
            return self.bias(int(match.group(2)), int(match.group(3)))
        raise KeyError(
            f"Unknown parameter name {name!r}: expected 'w<layer>_<i><j>' (e.g. 'w1_11', or "
            "'w1_1_12' past 9) or 'b<layer>_<j>' (e.g. 'b1_1')"
        )

    def zero_grad(self) -> None:
        for p in self._params.values():
            p.grad = 0.0

    def __repr__(self) -> str:
        return (
            f"MLP(sizes={self.sizes}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r}, parameters={len(self._params)})"
        )

    @staticmethod
    def _check_index(name: str, value: int, upper: int) -> None:
        if not isinstance(value, int) or not 1 <= value <= upper:
            raise IndexError(
                f"Received an invalid value for `{name}`, expected an integer in 1..{upper} "
                f"(indices follow the lesson and start at 1). Received: {name}={value!r}"
            )
