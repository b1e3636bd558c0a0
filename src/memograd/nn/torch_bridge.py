"""PyTorch in both directions: `to_torch(model)` and `read_module(module)` (`from_torch`).

`to_torch` returns a ``torch.nn.Sequential`` with the model's weights and buffers copied and its
training mode, whose outputs equal the model's (1e-6): each `Dense` becomes a ``Linear``
(memograd's kernel is (in, out), PyTorch's weight (out, in): transposed) followed by the
activation's module; `BatchNormalization` becomes ``BatchNorm1d`` with PyTorch's momentum
1 − momentum (Keras's momentum weighs the old average, PyTorch's the new batch);
`LayerNormalization` becomes ``LayerNorm``; `Dropout` ``Dropout``; `Normalization`, which
PyTorch has no layer for, becomes `TorchNormalization` ((x − mean) / scale, buffers).

`read_module` reads a ``torch.nn.Sequential`` (nested ones are flattened) of those modules back
into layers, which ``Sequential.from_torch`` builds into a model. memograd applies activations
inside `Dense`, so an activation must follow a ``Linear``; whatever cannot be imported exactly
is refused with a ValueError naming the submodule (its path in the module tree and its type).

torch is optional: it is imported inside the functions only.

Example:
    >>> import memograd as mg
    >>> model = mg.nn.Sequential([mg.nn.Dense(4, activation="gelu"), mg.nn.Dense(2)])
    >>> model.build((None, 3))
    >>> to_torch(model)  # doctest: +SKIP
    Sequential(
      (0): Linear(in_features=3, out_features=4, bias=True)
      (1): GELU(approximate='none')
      (2): Linear(in_features=4, out_features=2, bias=True)
    )
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from memograd._errors import invalid_type
from memograd.nn.layers import Dense, Dropout, Layer, Normalization
from memograd.nn.module import Module
from memograd.nn.normalization import BatchNormalization, LayerNormalization

if TYPE_CHECKING:
    from memograd.nn.sequential import Sequential


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ModuleNotFoundError(
            "PyTorch conversion needs the torch package: pip install torch"
        ) from None
    return torch


@functools.cache
def _normalization_class() -> type:
    """`TorchNormalization`, made on first use (it subclasses ``torch.nn.Module``)."""
    torch = _torch()

    base: Any = torch.nn.Module

    class TorchNormalization(base):
        """memograd's `Normalization` in PyTorch: (x − mean) / scale, both buffers."""

        def __init__(self, mean: Any, scale: Any) -> None:
            super().__init__()
            self.register_buffer("mean", torch.as_tensor(mean).clone())
            self.register_buffer("scale", torch.as_tensor(scale).clone())

        def forward(self, x: Any) -> Any:
            return (x - self.mean) / self.scale

    # Found again by name (module __getattr__ below), so torch.save / pickle can store it.
    TorchNormalization.__module__ = __name__
    TorchNormalization.__qualname__ = "TorchNormalization"
    return TorchNormalization


def __getattr__(name: str) -> Any:
    if name == "TorchNormalization":
        return _normalization_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- memograd -> PyTorch ---------------------------------------------------------------------


def _activation_modules(nn: Any) -> dict[str, Callable[[], Any]]:
    return {
        "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(0.01),
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "softmax": lambda: nn.Softmax(dim=-1),
        "gelu": nn.GELU,
        "gelu_tanh": lambda: nn.GELU(approximate="tanh"),
        "silu": nn.SiLU,
        "swish": nn.SiLU,
        "elu": nn.ELU,
        "selu": nn.SELU,
        "softplus": nn.Softplus,
        "mish": nn.Mish,
        "hard_tanh": nn.Hardtanh,
        "softsign": nn.Softsign,
    }


def to_torch(model: Sequential) -> Any:
    """A ``torch.nn.Sequential`` equal to `model` (weights, buffers, dtype, training mode).

    Raises:
        ValueError: the model is not built, or has a layer or activation PyTorch has no module
            for (a custom activation function); the message names the layer.
        ModuleNotFoundError: torch is not installed.
    """
    if not model.built:
        raise ValueError(
            "to_torch needs a built model (its weights exist once it has seen an input): call "
            "fit, predict or model.build((None, n_features)) first."
        )
    torch = _torch()
    nn = torch.nn
    dtype = torch.float64 if model.dtype == np.float64 else torch.float32
    activations = _activation_modules(nn)
    modules: list[Any] = []
    for layer in model.layers:
        modules.extend(_torch_modules(layer, torch, dtype, activations))
    result = nn.Sequential(*modules).to(dtype)
    result.train(model.training)
    return result


def _param(torch: Any, array: np.ndarray, trainable: bool = True) -> Any:
    return torch.nn.Parameter(torch.from_numpy(np.array(array)), requires_grad=trainable)


def _torch_modules(
    layer: Module, torch: Any, dtype: Any, activations: dict[str, Callable[[], Any]]
) -> list[Any]:
    nn = torch.nn
    if isinstance(layer, Dense):
        assert layer.kernel is not None
        fan_in, units = layer.kernel.shape
        linear = nn.Linear(fan_in, units, bias=layer.use_bias, dtype=dtype)
        linear.weight = _param(torch, layer.kernel.data.T)  # (out, in)
        if layer.bias is not None:
            linear.bias = _param(torch, layer.bias.data)
        if layer.activation_name == "linear":
            return [linear]
        if layer.activation_name not in activations:
            raise ValueError(
                f"Cannot convert layer {layer.name!r} to PyTorch: its activation "
                f"{layer.activation_name!r} is a custom function. Supported activations: "
                f"{', '.join(sorted(activations))}, linear."
            )
        return [linear, activations[layer.activation_name]()]
    if isinstance(layer, Dropout):
        return [nn.Dropout(layer.rate)]
    if isinstance(layer, BatchNormalization):
        assert layer.moving_mean is not None and layer.moving_variance is not None
        norm = nn.BatchNorm1d(
            layer.moving_mean.shape[0],
            eps=layer.epsilon,
            momentum=1.0 - layer.momentum,
            affine=layer.center or layer.scale,
            dtype=dtype,
        )
        _copy_affine(torch, norm, layer)
        norm.running_mean.copy_(torch.from_numpy(layer.moving_mean))
        norm.running_var.copy_(torch.from_numpy(layer.moving_variance))
        return [norm]
    if isinstance(layer, LayerNormalization):
        gamma, _ = layer._affine()
        norm = nn.LayerNorm(
            gamma.shape[0],
            eps=layer.epsilon,
            elementwise_affine=layer.center or layer.scale,
            bias=layer.center,
            dtype=dtype,
        )
        _copy_affine(torch, norm, layer)
        return [norm]
    if isinstance(layer, Normalization):
        return [_normalization_class()(layer.mean, layer.scale)]
    raise ValueError(
        f"Cannot convert layer {layer.name!r} of type {type(layer).__name__} to PyTorch: "
        "supported layers are Dense, Dropout, Normalization, BatchNormalization and "
        "LayerNormalization."
    )


def _copy_affine(torch: Any, norm: Any, layer: BatchNormalization | LayerNormalization) -> None:
    """γ and β into `norm` (ones / zeros, not trained, where the layer learns one of them)."""
    if norm.weight is None:
        return  # affine=False: the layer learns neither
    gamma, beta = layer._affine()
    norm.weight = _param(torch, gamma.data, trainable=layer.scale)
    if norm.bias is not None:
        norm.bias = _param(torch, beta.data, trainable=layer.center)


# -- PyTorch -> memograd ---------------------------------------------------------------------


def _leaves(module: Any, path: str, torch: Any) -> Iterator[tuple[str, Any]]:
    """(path, module) of every module to import, nested ``Sequential``s flattened."""
    if isinstance(module, torch.nn.Sequential):
        for name, child in module.named_children():
            yield from _leaves(child, f"{path}.{name}" if path else name, torch)
    else:
        yield path or "<root>", module


def _describe(module: Any) -> str:
    """``ELU(alpha=0.5)``: the type and its arguments on one line."""
    extra = module.extra_repr() if not list(module.children()) else ""
    return f"{type(module).__name__}({extra})"


def _refuse(path: str, module: Any, why: str) -> ValueError:
    return ValueError(f"Cannot import submodule {path!r} ({_describe(module)}): {why}")


def _activation_name(module: Any, nn: Any, path: str) -> str | None:
    """The memograd activation equal to `module`, None if it is no activation.

    Raises ValueError for an activation whose arguments memograd's does not have.
    """
    plain = {
        nn.ReLU: "relu",
        nn.Sigmoid: "sigmoid",
        nn.Tanh: "tanh",
        nn.SiLU: "silu",
        nn.SELU: "selu",
        nn.Mish: "mish",
        nn.Softsign: "softsign",
    }
    with_arguments: dict[type, tuple[str, Callable[[Any], bool], str]] = {
        nn.LeakyReLU: ("leaky_relu", lambda m: m.negative_slope == 0.01, "negative_slope=0.01"),
        nn.ELU: ("elu", lambda m: m.alpha == 1.0, "alpha=1.0"),
        nn.Hardtanh: (
            "hard_tanh",
            lambda m: (m.min_val, m.max_val) == (-1.0, 1.0),
            "min_val=-1.0, max_val=1.0",
        ),
        nn.Softplus: (
            "softplus",
            lambda m: (m.beta, m.threshold) == (1.0, 20.0),
            "beta=1.0, threshold=20.0",
        ),
        nn.Softmax: ("softmax", lambda m: m.dim in (None, -1, 1), "dim=-1"),
        nn.GELU: (
            "gelu",
            lambda m: m.approximate in ("none", "tanh"),
            "approximate 'none' or 'tanh'",
        ),
    }
    kind = type(module)
    if kind in plain:
        return plain[kind]
    if kind not in with_arguments:
        return None
    name, supported, needed = with_arguments[kind]
    if not supported(module):
        raise _refuse(path, module, f"memograd's {name} has {needed} only.")
    if kind is nn.GELU and module.approximate == "tanh":
        return "gelu_tanh"
    return name


@dataclass(frozen=True)
class TorchLayers:
    """What `read_module` found: the layers (unbuilt), their dtype and input width, the
    module's training mode, and `fill`, which copies the weights and buffers into the layers
    once they are built."""

    layers: list[Layer]
    dtype: str
    input_width: int
    training: bool
    fills: list[Callable[[], None]]

    def fill(self) -> None:
        torch = _torch()
        with torch.no_grad():
            for fill_layer in self.fills:
                fill_layer()


def read_module(module: Any) -> TorchLayers:
    """The layers of a `Sequential` equal to the PyTorch MLP `module` (weights, buffers,
    mode); ``Sequential.from_torch(module)`` builds that model.

    Args:
        module: a ``torch.nn.Sequential`` (or one layer) of ``Linear``, each optionally followed
            by one of the activations ReLU, LeakyReLU(0.01), Sigmoid, Tanh, Softmax(dim=-1),
            GELU (approximate "none" or "tanh"), SiLU, ELU(1.0), SELU, Softplus(1, 20), Mish,
            Hardtanh(-1, 1), Softsign; ``BatchNorm1d``, ``LayerNorm`` (over the last axis),
            ``Dropout``, ``Identity`` and `TorchNormalization`. float32 or float64 weights.

    Raises:
        TypeError: `module` is not a ``torch.nn.Module``.
        ValueError: a submodule memograd cannot represent exactly; the message names its path
            in the module tree (e.g. ``'2'`` or ``'encoder.1'``) and its type.
    """
    torch = _torch()
    if not isinstance(module, torch.nn.Module):
        raise invalid_type("module", "a torch.nn.Module", module, show_type=True)
    leaves = list(_leaves(module, "", torch))
    tensors = [t for t in (*module.parameters(), *module.buffers()) if t.is_floating_point()]
    dtypes = {t.dtype for t in tensors}
    if not dtypes <= {torch.float32} and not dtypes <= {torch.float64}:
        raise ValueError(
            "from_torch imports float32 or float64 modules (one dtype). "
            f"Received: tensors of dtypes {sorted(str(d) for d in dtypes)}"
        )
    dtype = "float64" if dtypes == {torch.float64} else "float32"
    layers: list[Layer] = []
    fills: list[Callable[[], None]] = []
    first_width: int | None = None  # the input width: of the first layer that has one
    width: int | None = None  # the width the layers so far give
    index = 0
    while index < len(leaves):
        path, leaf = leaves[index]
        index += 1
        if _activation_name(leaf, torch.nn, path) is not None:
            raise _refuse(
                path,
                leaf,
                "memograd applies activations inside Dense, so an activation must directly "
                "follow a Linear.",
            )
        imported = _import_leaf(path, leaf, torch)
        if imported is None:
            continue  # Identity
        layer, fill, fan_in, fan_out = imported
        if isinstance(layer, Dense) and index < len(leaves):
            next_path, following = leaves[index]
            activation = _activation_name(following, torch.nn, next_path)
            if activation is not None:
                layer = Dense(layer.units, activation=activation, use_bias=layer.use_bias)
                index += 1
        if fan_in is not None:
            if width is not None and fan_in != width:
                raise _refuse(
                    path,
                    leaf,
                    f"it expects {fan_in} input features, the layers before give {width}.",
                )
            first_width = first_width if first_width is not None else fan_in
            width = fan_out
        layers.append(layer)
        fills.append(functools.partial(fill, layer))
    if not layers or first_width is None:
        raise ValueError(
            "from_torch needs a module with at least one Linear, BatchNorm1d, LayerNorm or "
            f"TorchNormalization (the input width comes from it). Received: {_describe(module)}"
        )
    return TorchLayers(layers, dtype, first_width, bool(module.training), fills)


def _numpy(tensor: Any) -> np.ndarray:
    return np.asarray(tensor.detach().cpu().numpy())


def _import_leaf(
    path: str, leaf: Any, torch: Any
) -> tuple[Layer, Callable[[Layer], None], int | None, int | None] | None:
    """The layer for `leaf`, the function that copies its weights in (after build), and its
    input and output widths (None where the leaf keeps the width); None for ``Identity``."""
    nn = torch.nn
    kind = type(leaf)

    def nothing(layer: Layer) -> None:
        return None

    if kind is nn.Linear:

        def fill_dense(layer: Layer) -> None:
            assert isinstance(layer, Dense) and layer.kernel is not None
            layer.kernel.data[...] = _numpy(leaf.weight).T
            if layer.bias is not None:
                layer.bias.data[...] = _numpy(leaf.bias)

        dense = Dense(leaf.out_features, use_bias=leaf.bias is not None)
        return dense, fill_dense, leaf.in_features, leaf.out_features
    if kind is nn.Dropout:
        return Dropout(float(leaf.p)), nothing, None, None
    if kind is nn.Identity:
        return None
    if kind is nn.BatchNorm1d:
        if not leaf.track_running_stats or leaf.momentum is None:
            raise _refuse(
                path,
                leaf,
                "memograd's BatchNormalization keeps running statistics with a "
                "momentum (track_running_stats=True, momentum not None).",
            )
        bn = BatchNormalization(
            momentum=1.0 - float(leaf.momentum),
            epsilon=float(leaf.eps),
            center=_learned(leaf.bias, 0.0),
            scale=_learned(leaf.weight, 1.0),
        )

        def fill_bn(layer: Layer) -> None:
            assert isinstance(layer, BatchNormalization)
            assert layer.moving_mean is not None and layer.moving_variance is not None
            _fill_affine(layer, leaf)
            layer.moving_mean[...] = _numpy(leaf.running_mean)
            layer.moving_variance[...] = _numpy(leaf.running_var)

        return bn, fill_bn, leaf.num_features, leaf.num_features
    if kind is nn.LayerNorm:
        if len(leaf.normalized_shape) != 1:
            raise _refuse(path, leaf, "memograd's LayerNormalization normalizes the last axis.")
        width = int(leaf.normalized_shape[0])
        ln = LayerNormalization(
            epsilon=float(leaf.eps),
            center=_learned(leaf.bias, 0.0),
            scale=_learned(leaf.weight, 1.0),
        )

        def fill_ln(layer: Layer) -> None:
            assert isinstance(layer, LayerNormalization)
            _fill_affine(layer, leaf)

        return ln, fill_ln, width, width
    if kind is _normalization_class():
        norm = Normalization()
        norm.adapt(np.zeros((1, leaf.mean.shape[0])))  # the statistics are copied in by fill

        def fill_norm(layer: Layer) -> None:
            assert isinstance(layer, Normalization)
            assert layer.mean is not None and layer.scale is not None
            layer.mean[...] = _numpy(leaf.mean)
            layer.scale[...] = _numpy(leaf.scale)

        size = int(leaf.mean.shape[0])
        return norm, fill_norm, size, size
    raise _refuse(
        path,
        leaf,
        f"memograd cannot import {kind.__module__}.{kind.__qualname__}; it imports "
        "Linear, the activations, BatchNorm1d, LayerNorm, Dropout and Identity, in "
        "torch.nn.Sequential containers.",
    )


def _learned(parameter: Any, neutral: float) -> bool:
    """Whether a γ or β is learned: present, unless frozen at its neutral value (as `to_torch`
    writes the one a layer with scale=False or center=False does not learn)."""
    if parameter is None:
        return False
    return bool(parameter.requires_grad or (parameter != neutral).any())


def _fill_affine(layer: BatchNormalization | LayerNormalization, leaf: Any) -> None:
    if layer.gamma is not None:
        layer.gamma.data[...] = _numpy(leaf.weight)
    if layer.beta is not None:
        layer.beta.data[...] = _numpy(leaf.bias)
