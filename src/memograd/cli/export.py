"""`memograd export`: a saved model as an ONNX file (standard ops, opset >= 17).

Example:
    memograd export m.safetensors m.onnx
    memograd export m.safetensors m.onnx --opset 20 --dtype float32
"""

from __future__ import annotations

import argparse

from memograd.cli._common import CLIError, output_file


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `export` subcommand."""
    parser = subparsers.add_parser(
        "export",
        help="write a saved model as an ONNX file",
        description="Load a model saved by `memograd train --save` (or model.save) and write "
        "its inference graph as ONNX (standard ops; dropout left out, batch normalization "
        "with its moving statistics), checked by the onnx checker. Needs the onnx package "
        "(pip install 'memograd[export]').",
    )
    parser.add_argument("model", metavar="MODEL", help="a .safetensors model file")
    parser.add_argument("output", metavar="OUTPUT.onnx", help="the ONNX file to write")
    parser.add_argument(
        "--opset", type=int, default=17, help="ONNX opset, 17 or newer (default: 17)"
    )
    parser.add_argument(
        "--dtype",
        choices=["float32", "float64"],
        default=None,
        help="dtype of the graph (default: the model's; onnxruntime runs every activation in "
        "float32 but not all in float64)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the output path, load the model, write the ONNX file."""
    import memograd as mg

    output_file(args.output, "OUTPUT")
    model = mg.nn.load(args.model)
    try:
        model.export_onnx(args.output, opset=args.opset, dtype=args.dtype)
    except ImportError as error:
        raise CLIError(str(error)) from None
    print(
        f"wrote {args.output} (ONNX opset {args.opset}, input 'input' of shape "
        f"(batch, {model.n_features}), output 'output' of shape (batch, {model.units}))"
    )
    return 0
