"""`memograd evaluate`: a saved model's loss and accuracy on a dataset's test part or a CSV.

Example:
    memograd evaluate m.safetensors --data digits       # the test split the model was trained on
    memograd evaluate m.safetensors --data rows.csv --target label
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from memograd.cli._common import CLIError, add_json_flag, console, print_json

if TYPE_CHECKING:
    import numpy as np

    from memograd.nn import Sequential


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
        X, y = _csv_rows(model, args.data, args.target)
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


def _csv_rows(model: Sequential, path: str, target: str | None) -> tuple[np.ndarray, np.ndarray]:
    """A CSV file's features and targets, the targets read as the model's own task and classes.

    The file's labels are mapped onto the classes saved with the model by their names, so a
    file holding only some of the classes (or in another order) is scored correctly; a
    regression model reads integer targets as numbers, not as classes.
    """
    import numpy as np

    import memograd as mg

    regression = model.loss is not None and model.loss.name == "mse"
    task = "regression" if regression else "classification"
    table = mg.data.load_dataset(path, target=target, task=task)  # unknown names: a list
    known = model.info.get("classes")
    if regression or table.classes is None or not isinstance(known, list):
        return table.X, table.y  # a model without saved classes: labels as the file sorts them
    index = {str(name): k for k, name in enumerate(known)}
    unknown = [name for name in table.classes if name not in index]
    if unknown:
        shown = ", ".join(repr(str(name)) for name in known[:10])
        raise CLIError(
            f"CSV file {path!r}, target column {table.target_name!r}: the label "
            f"{unknown[0][:40]!r} is not one of the model's classes ({shown}"
            f"{', ...' if len(known) > 10 else ''})."
        )
    to_model = np.array([index[name] for name in table.classes], dtype=np.int64)
    return table.X, to_model[table.y]
