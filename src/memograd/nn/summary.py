"""`model.summary()`: a table of layers, output shapes and parameter counts (rich).

Example:
    >>> import memograd as mg
    >>> model = mg.nn.Sequential([mg.nn.Dense(4, activation="relu"), mg.nn.Dense(2)])
    >>> model.build((None, 3))
    >>> "Total params: 26" in model.summary(print_summary=False)
    True
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from memograd.nn.sequential import Sequential


def _shape(shape: tuple[int | None, ...] | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _describe(layer: object) -> str:
    activation = getattr(layer, "activation_name", None)
    rate = getattr(layer, "rate", None)
    if activation is not None and activation != "linear":
        return activation
    if rate is not None:
        return f"rate={rate}"
    return ""


def summarize(model: Sequential, *, print_summary: bool = True) -> str:
    """Render the summary table; print it on stdout if asked; return it as plain text."""
    title = f'Model: "{model.name}"' + ("" if model.built else " (unbuilt)")
    table = Table(title=title, title_justify="left")
    table.add_column("Layer (type)")
    table.add_column("Output Shape")
    table.add_column("Param #", justify="right")
    table.add_column("Activation")
    shapes = model.output_shapes if model.built else [None] * len(model.layers)
    for layer, shape in zip(model.layers, shapes, strict=True):
        table.add_row(
            f"{layer.name} ({type(layer).__name__})",
            _shape(shape),
            f"{layer.count_params():,}",
            _describe(layer),
        )
    total = model.count_params()
    trainable = model.count_trainable_params()
    nbytes = sum(array.nbytes for array in model._named_state().values())
    footer = (
        f"Total params: {total:,} ({nbytes / 1024:.1f} KiB, {model.dtype.name})\n"
        f"Trainable params: {trainable:,}   Non-trainable params: {total - trainable:,}\n"
        f"Input shape: {_shape(model.config_input_shape)}   checkpoint={model.checkpoint!r}"
    )
    if model.compiled and model.loss is not None and model.optimizer is not None:
        footer += f"\nLoss: {model.loss.name}   Optimizer: {model.optimizer!r}"
    buffer = io.StringIO()
    Console(file=buffer, width=100, color_system=None).print(table, footer)
    text = buffer.getvalue()
    if print_summary:
        Console().print(table, footer)
    return text
