"""`export_onnx(model, path)`: the model's inference graph as an ONNX file.

The graph is what `model.predict` computes (evaluation mode: dropout is left out and
`BatchNormalization` uses its moving statistics), written with standard ONNX ops through the
`onnx` package's helper API and checked by ``onnx.checker`` before it is written (atomically):

- `Dense` is one ``Gemm`` (memograd's kernel is already (in, out): no transpose);
- activations are their ONNX op where opset 17 has one (Relu, LeakyRelu, Sigmoid, Tanh,
  Softmax, Elu, Selu, Softplus, Softsign, Clip for hard_tanh) and are composed otherwise:
  gelu = x · ½ · (1 + erf(x/√2)) (the ``Gelu`` op from opset 20), gelu_tanh with Tanh,
  silu = x · σ(x), mish = x · tanh(softplus(x)) (the ``Mish`` op from opset 18);
- `Normalization` is Sub and Div; `BatchNormalization` and `LayerNormalization` are the ONNX
  ops of those names (LayerNormalization needs opset 17).

The input is called ``input`` (shape (batch, n_features)), the output ``output``; both have the
model's dtype unless `dtype` says otherwise. onnxruntime's CPU build has float32 kernels for every
op used here but no float64 ones for Elu, Selu, Erf, Softplus and Softsign: to run a float64
model with those activations there, export it with ``dtype="float32"``.

`onnx` is optional (``pip install memograd[export]``): it is imported here only.

Example:
    >>> model.export_onnx("m.onnx")  # doctest: +SKIP
    >>> import onnxruntime  # doctest: +SKIP
    >>> session = onnxruntime.InferenceSession("m.onnx")  # doctest: +SKIP
    >>> session.run(None, {"input": X})[0]  # equals model.predict(X)  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import DTypeLike

from memograd._atomic import write_bytes
from memograd._errors import invalid_value
from memograd.nn._fileformat import _memograd_version
from memograd.nn.layers import Dense, Dropout, Normalization
from memograd.nn.module import Module, resolve_dtype
from memograd.nn.normalization import BatchNormalization, LayerNormalization
from memograd.tensor.smooth import SELU_ALPHA, SELU_SCALE

if TYPE_CHECKING:
    from memograd.nn.sequential import Sequential

MIN_OPSET = 17  # LayerNormalization


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ModuleNotFoundError(
            "ONNX export needs the onnx package: pip install 'memograd[export]' (or onnx)"
        ) from None
    return onnx


class _Graph:
    """Nodes and initializers of the graph being written, with fresh names."""

    def __init__(self, onnx: Any, dtype: np.dtype[Any], opset: int) -> None:
        self.onnx = onnx
        self.dtype = dtype
        self.opset = opset
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def _name(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def const(self, stem: str, value: Any) -> str:
        """An initializer holding `value` in the model's dtype; returns its name."""
        name = self._name(stem)
        array = np.asarray(value, dtype=self.dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, *inputs: str, **attributes: Any) -> str:
        """Append a node with one output; returns the output's name."""
        output = self._name(op_type.lower())
        node = self.onnx.helper.make_node(op_type, list(inputs), [output], **attributes)
        self.nodes.append(node)
        return output


def _activation(graph: _Graph, name: str, x: str, where: str) -> str:
    """The output of activation `name` applied to `x`."""
    simple = {
        "relu": "Relu",
        "sigmoid": "Sigmoid",
        "tanh": "Tanh",
        "softplus": "Softplus",
        "softsign": "Softsign",
    }
    if name in simple:
        return graph.op(simple[name], x)
    if name == "linear":
        return x
    if name == "leaky_relu":
        return graph.op("LeakyRelu", x, alpha=0.01)
    if name == "softmax":
        return graph.op("Softmax", x, axis=-1)
    if name == "elu":
        return graph.op("Elu", x, alpha=1.0)
    if name == "selu":
        return graph.op("Selu", x, alpha=SELU_ALPHA, gamma=SELU_SCALE)
    if name == "hard_tanh":
        return graph.op("Clip", x, graph.const("min", -1.0), graph.const("max", 1.0))
    if name in ("silu", "swish"):
        return graph.op("Mul", x, graph.op("Sigmoid", x))
    if name == "mish":
        if graph.opset >= 18:
            return graph.op("Mish", x)
        return graph.op("Mul", x, graph.op("Tanh", graph.op("Softplus", x)))
    if name == "gelu":
        if graph.opset >= 20:
            return graph.op("Gelu", x)
        erf = graph.op("Erf", graph.op("Mul", x, graph.const("inv_sqrt2", math.sqrt(0.5))))
        return _half_x_times_one_plus(graph, x, erf)
    if name == "gelu_tanh":
        if graph.opset >= 20:
            return graph.op("Gelu", x, approximate="tanh")
        cube = graph.op("Mul", graph.op("Mul", x, x), x)
        inner = graph.op("Add", x, graph.op("Mul", cube, graph.const("c", 0.044715)))
        scaled = graph.op("Mul", inner, graph.const("sqrt_2_over_pi", math.sqrt(2.0 / math.pi)))
        return _half_x_times_one_plus(graph, x, graph.op("Tanh", scaled))
    raise ValueError(
        f"Cannot export layer {where!r} to ONNX: its activation {name!r} is a custom function "
        "(only the built-in activations have ONNX ops)."
    )


def _half_x_times_one_plus(graph: _Graph, x: str, t: str) -> str:
    """½ · x · (1 + t), the shape of both gelu formulas."""
    one_plus = graph.op("Add", t, graph.const("one", 1.0))
    return graph.op("Mul", graph.op("Mul", x, graph.const("half", 0.5)), one_plus)


def _layer(graph: _Graph, layer: Module, x: str) -> str:
    """Append the nodes of `layer` (inference) reading `x`; returns its output's name."""
    if isinstance(layer, Dense):
        assert layer.kernel is not None
        inputs = [x, graph.const(f"{layer.name}.kernel", layer.kernel.data)]  # (in, out)
        if layer.bias is not None:
            inputs.append(graph.const(f"{layer.name}.bias", layer.bias.data))
        return _activation(graph, layer.activation_name, graph.op("Gemm", *inputs), layer.name)
    if isinstance(layer, Dropout):
        return x  # the identity at inference
    if isinstance(layer, BatchNormalization):
        assert layer.moving_mean is not None and layer.moving_variance is not None
        gamma, beta = layer._affine()
        return graph.op(
            "BatchNormalization",
            x,
            graph.const(f"{layer.name}.gamma", gamma.data),
            graph.const(f"{layer.name}.beta", beta.data),
            graph.const(f"{layer.name}.moving_mean", layer.moving_mean),
            graph.const(f"{layer.name}.moving_variance", layer.moving_variance),
            epsilon=layer.epsilon,
        )
    if isinstance(layer, LayerNormalization):
        gamma, beta = layer._affine()
        return graph.op(
            "LayerNormalization",
            x,
            graph.const(f"{layer.name}.gamma", gamma.data),
            graph.const(f"{layer.name}.beta", beta.data),
            axis=-1,
            epsilon=layer.epsilon,
        )
    if isinstance(layer, Normalization):
        centred = graph.op("Sub", x, graph.const(f"{layer.name}.mean", layer.mean))
        return graph.op("Div", centred, graph.const(f"{layer.name}.scale", layer.scale))
    raise ValueError(
        f"Cannot export layer {layer.name!r} of type {type(layer).__name__} to ONNX: supported "
        "layers are Dense, Dropout, Normalization, BatchNormalization and LayerNormalization."
    )


def to_onnx(model: Sequential, opset: int = MIN_OPSET, dtype: DTypeLike | None = None) -> Any:
    """The ``onnx.ModelProto`` of `model`'s inference graph, checked by ``onnx.checker``.

    Args:
        opset: the ONNX opset (17, the first with LayerNormalization, or newer).
        dtype: "float32" or "float64", the graph's input, weights and output (None: the
            model's dtype).

    Raises:
        ValueError: the model is not built, `opset` is out of range, or a layer or activation
            has no ONNX form (a custom activation function); the message names the layer.
        ModuleNotFoundError: onnx is not installed.
    """
    onnx = _onnx()
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise invalid_value("opset", f"an integer from {MIN_OPSET} to {newest}", opset)
    if not model.built:
        raise ValueError(
            "export_onnx needs a built model (its weights exist once it has seen an input): "
            "call fit, predict or model.build((None, n_features)) first."
        )
    graph_dtype = model.dtype if dtype is None else resolve_dtype(dtype)
    graph = _Graph(onnx, graph_dtype, opset)
    x = "input"
    for layer in model.layers:
        x = _layer(graph, layer, x)
    if graph.nodes and graph.nodes[-1].output[0] == x:
        graph.nodes[-1].output[0] = "output"
    else:  # nothing computed (only dropout): the output is the input
        graph.op("Identity", x)
        graph.nodes[-1].output[0] = "output"
    elem = onnx.helper.np_dtype_to_tensor_dtype(graph_dtype)
    proto = onnx.helper.make_model(
        onnx.helper.make_graph(
            graph.nodes,
            model.name,
            [onnx.helper.make_tensor_value_info("input", elem, ["batch", model.n_features])],
            [onnx.helper.make_tensor_value_info("output", elem, ["batch", model.units])],
            initializer=graph.initializers,
        ),
        opset_imports=[onnx.helper.make_opsetid("", opset)],
        producer_name="memograd",
        producer_version=_memograd_version(),
    )
    # The oldest IR version that has this opset, so older runtimes read the file too.
    proto.ir_version = onnx.helper.find_min_ir_version_for(list(proto.opset_import))
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export_onnx(
    model: Sequential,
    path: str | os.PathLike[str],
    opset: int = MIN_OPSET,
    dtype: DTypeLike | None = None,
) -> None:
    """Write `to_onnx(model, opset, dtype)` to `path` atomically (never half a file)."""
    write_bytes(path, to_onnx(model, opset, dtype).SerializeToString())
