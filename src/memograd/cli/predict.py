"""`memograd predict`: a saved model's predictions for the rows of a CSV file.

Example:
    memograd predict m.safetensors new_rows.csv            # every column is a feature
    memograd predict m.safetensors labelled.csv --target y  # the column `y` is ignored
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from memograd.cli._common import CLIError, add_json_flag, print_json

if TYPE_CHECKING:
    import numpy as np

    from memograd.nn import Sequential


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `predict` subcommand."""
    parser = subparsers.add_parser(
        "predict",
        help="predict with a saved model on the rows of a CSV file",
        description="Load a model saved by `memograd train --save` (or model.save) and print "
        "one prediction per CSV row as CSV (row, prediction, probability). The CSV has a "
        "header row; every column is a feature unless --target names a column to ignore.",
    )
    parser.add_argument("model", metavar="MODEL", help="a .safetensors model file")
    parser.add_argument("data", metavar="DATA.csv", help="CSV file with a header row")
    parser.add_argument("--target", default=None, help="a column to ignore (name or index)")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def check_width(model: Sequential, X: np.ndarray, path: str, hint: bool) -> None:
    """One readable line when the file's feature count differs from the model's input."""
    expected = model.n_features
    if X.shape[1] != expected:
        extra = ""
        if hint and X.shape[1] == expected + 1:
            extra = " Pass --target COL to ignore the target column."
        raise CLIError(
            f"{path!r} has {X.shape[1]} feature column(s), but the model expects {expected}.{extra}"
        )


def run(args: argparse.Namespace) -> int:
    """Load the model and the rows; print predictions as CSV lines (or JSON)."""
    import numpy as np

    import memograd as mg

    model = mg.nn.load(args.model)
    X, _ = mg.data.read_csv_features(args.data, ignore=args.target)  # errors name the line
    check_width(model, X, args.data, hint=args.target is None)
    outputs = model.predict(X)
    document: dict[str, Any] = {"model": args.model, "data": args.data, "rows": len(X)}
    loss = model.loss.name if model.loss is not None else None
    classes = model.info.get("classes")
    if outputs.shape[1] > 1 and loss != "mse":
        shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
        probs = shifted / shifted.sum(axis=1, keepdims=True)  # (N, C) softmax
        labels = probs.argmax(axis=1)
        confidence = probs.max(axis=1)
    elif outputs.shape[1] == 1 and loss == "binary_cross_entropy":
        p1 = 1.0 / (1.0 + np.exp(-outputs[:, 0]))
        labels = (p1 > 0.5).astype(np.int64)
        confidence = np.where(labels == 1, p1, 1.0 - p1)
    else:
        document["predictions"] = outputs.tolist()
        if args.json:
            print_json(document)
        else:
            print("row," + ",".join(f"output_{k}" for k in range(outputs.shape[1])))
            for row, values in enumerate(outputs):
                print(f"{row}," + ",".join(f"{v:.6g}" for v in values))
        return 0
    names = [str(classes[k]) if classes else str(int(k)) for k in labels]
    document["predictions"] = names
    document["probability"] = confidence.tolist()
    if args.json:
        print_json(document)
    else:
        print("row,prediction,probability")
        for row, (name, p) in enumerate(zip(names, confidence, strict=True)):
            print(f"{row},{name},{p:.4f}")
    return 0
