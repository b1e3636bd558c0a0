"""`memograd evaluate`: a saved model's loss and accuracy on a dataset's test part or a CSV.

Example:
    memograd evaluate m.safetensors --data digits       # the test split the model was trained on
    memograd evaluate m.safetensors --data rows.csv --target label
"""

from __future__ import annotations

import argparse
from typing import Any

from memograd.cli._common import CLIError, add_json_flag, console, print_json


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `evaluate` subcommand."""
    parser = subparsers.add_parser(
        "evaluate",
        help="loss and accuracy of a saved model on a dataset or a CSV file",
        description="Evaluate a saved model. A dataset name evaluates the test part of the "
        "split (seed and test size default to those the model was trained with by `memograd "
        "train`, else 0 and 0.2); a CSV file is evaluated whole, its target column given by "
        "--target (default: the last column).",
    )
    parser.add_argument("model", metavar="MODEL", help="a .safetensors model file")
    parser.add_argument("--data", required=True, help="dataset name or CSV path")
    parser.add_argument("--target", default=None, help="CSV target column (default: last)")
    parser.add_argument("--seed", type=int, default=None, help="split seed (dataset names)")
    parser.add_argument("--test-size", type=float, default=None, help="test fraction")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load the model and the data, evaluate, print a table (or JSON)."""
    import memograd as mg
    from memograd.cli.predict import check_width
    from memograd.nn import Normalization

    model = mg.nn.load(args.model)
    if not model.compiled:
        raise CLIError(
            f"Model file {args.model!r} has no loss saved with it (it was never compiled), so "
            "it cannot be evaluated."
        )
    document: dict[str, Any] = {"model": args.model, "data": args.data}
    if args.data.strip().lower() in mg.data.DATASETS:
        seed = args.seed if args.seed is not None else int(model.info.get("seed", 0))
        test_size = args.test_size or float(model.info.get("test_size", 0.2))
        # Models without their own Normalization layer were trained on mg.data.load's
        # standardized features: give them the same.
        standardize = not (model.layers and isinstance(model.layers[0], Normalization))
        _, X, _, y = mg.data.load(
            args.data, test_size=test_size, seed=seed, standardize=standardize, target=args.target
        )
        document.update(split="test", seed=seed, test_size=test_size)
    else:
        table = mg.data.load_dataset(args.data, target=args.target)  # unknown names: a list
        X, y = table.X, table.y
        document["split"] = "all rows"
    check_width(model, X, args.data, hint=False)
    scores = model.evaluate(X, y)
    document.update(samples=len(X), **scores)
    if args.json:
        print_json(document)
        return 0
    from rich.table import Table

    result = Table()
    for key in scores:
        result.add_column(key, justify="right")
    result.add_row(*(f"{value:.4f}" for value in scores.values()))
    out = console()
    out.print(f"{args.model} on {args.data} ({document['split']}, {len(X)} samples)")
    out.print(result)
    return 0
