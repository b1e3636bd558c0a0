"""`memograd train`: train an MLP on a named dataset or a CSV file, Keras style.

Example:
    memograd train --data digits --layers 128,64 --epochs 30 --save m.safetensors --plot c.png
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from memograd.cli._common import (
    CLIError,
    add_json_flag,
    console,
    figure_file,
    int_list,
    output_file,
    print_json,
)

if TYPE_CHECKING:
    from memograd.nn import History, Sequential

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `train` subcommand."""
    parser = subparsers.add_parser(
        "train",
        help="train an MLP (Dense layers) on a dataset or a CSV file",
        description="Train a multi-layer perceptron on a named dataset (digits, moons, ...) or a "
        "CSV file, show a progress bar per epoch, and print train/validation/test loss and "
        "accuracy. Features are standardized inside the model (a Normalization layer), so a "
        "saved model takes raw features. With --save the model is checkpointed after every "
        "epoch: rerun the same command with --resume PATH to continue a killed run.",
    )
    parser.add_argument("--data", required=True, help="dataset name or CSV path")
    parser.add_argument("--target", default=None, help="CSV target column (default: last)")
    parser.add_argument(
        "--task",
        choices=("classification", "regression"),
        default=None,
        help="CSV only: read the target as class labels or as numbers (default: decided from "
        "its values; whole numbers are read as classes). Regression trains with mse and "
        "reports MAE and R²",
    )
    parser.add_argument(
        "--layers", default="128,64", help="hidden layer widths, e.g. 128,64 (default 128,64)"
    )
    parser.add_argument("--activation", default="relu", help="hidden activation (default relu)")
    parser.add_argument("--dropout", type=float, default=0.0, help="dropout after hidden layers")
    parser.add_argument("--epochs", type=int, default=30, help="epochs (default 30)")
    parser.add_argument("--batch-size", type=int, default=64, help="batch size (default 64)")
    parser.add_argument(
        "--optimizer", default="adam", help=f"one of {', '.join(OPTIMIZERS)} (default adam)"
    )
    parser.add_argument("--lr", type=float, default=1e-3, help="learning rate (default 1e-3)")
    parser.add_argument("--seed", type=int, default=0, help="seed: split, weights, batches")
    parser.add_argument("--test-size", type=float, default=0.2, help="test fraction (0.2)")
    parser.add_argument(
        "--validation-split", type=float, default=0.1, help="validation fraction (0.1)"
    )
    parser.add_argument(
        "--save",
        metavar="PATH",
        default=None,
        help="save the model to this file after every epoch (the name is taken literally)",
    )
    parser.add_argument("--resume", metavar="PATH", default=None, help="continue from a model")
    parser.add_argument("--plot", metavar="PNG", default=None, help="write loss/accuracy curves")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _check_args(args: argparse.Namespace) -> list[int]:
    """Every argument error before any data is loaded."""
    from memograd.nn import activations

    layers = int_list(args.layers, name="--layers", minimum=1, min_items=1)
    if not args.lr > 0 or args.lr == float("inf"):
        raise CLIError(f"--lr expects a positive number. Received: {args.lr!r}")
    if args.epochs < 1:
        raise CLIError(f"--epochs expects a positive integer. Received: {args.epochs}")
    if args.batch_size < 1:
        raise CLIError(f"--batch-size expects a positive integer. Received: {args.batch_size}")
    if args.seed < 0:
        raise CLIError(f"--seed expects a non-negative integer. Received: {args.seed}")
    if not 0.0 <= args.dropout < 1.0:
        raise CLIError(f"--dropout expects a rate in [0, 1). Received: {args.dropout}")
    if not 0.0 < args.test_size < 1.0:
        raise CLIError(f"--test-size expects a fraction in (0, 1). Received: {args.test_size}")
    if not 0.0 <= args.validation_split < 1.0:
        raise CLIError(
            f"--validation-split expects a fraction in [0, 1). Received: {args.validation_split}"
        )
    if args.optimizer.lower() not in OPTIMIZERS:
        raise CLIError(
            f"--optimizer must be one of {', '.join(OPTIMIZERS)}. Received: {args.optimizer!r}"
        )
    if args.activation.lower() not in activations.names():
        raise CLIError(
            f"--activation must be one of {', '.join(activations.names())}. "
            f"Received: {args.activation!r}"
        )
    # Output files are checked now, not after training (which they would otherwise lose).
    if args.save:
        output_file(args.save, "--save")
    if args.plot:
        figure_file(args.plot, "--plot")
    return layers


def build_model(
    hidden: list[int], activation: str, dropout: float, outputs: int, seed: int
) -> Sequential:
    """Normalization, then Dense(+Dropout) hidden layers, then a linear output layer."""
    from memograd import nn

    layers: list[nn.Module] = [nn.Normalization()]
    for width in hidden:
        layers.append(nn.Dense(width, activation=activation.lower()))
        if dropout:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Dense(outputs))
    return nn.Sequential(layers, seed=seed)


def run(args: argparse.Namespace) -> int:
    """Load the data, train, evaluate, and print a table (or JSON); save and plot if asked."""
    import memograd as mg

    hidden = _check_args(args)
    try:
        dataset = mg.data.load_dataset(
            args.data, seed=args.seed, target=args.target, task=args.task
        )
    except ValueError as error:
        raise CLIError(str(error)) from error
    classification = dataset.classes is not None
    if dataset.classes is not None and len(dataset.classes) < 2:
        raise CLIError(
            f"The target column {dataset.target_name!r} of {dataset.name!r} holds one class "
            f"only ({dataset.classes[0][:40]!r}); a classifier needs at least 2. Choose another "
            "column with --target."
        )
    X_train, X_test, y_train, y_test = mg.data.train_test_split(
        dataset.X, dataset.y, args.test_size, args.seed, stratify=classification
    )
    outputs = len(dataset.classes) if dataset.classes is not None else 1
    model = build_model(hidden, args.activation, args.dropout, outputs, args.seed)
    model.layers[0].adapt(X_train)  # type: ignore[attr-defined]
    optimizer = mg.optim.deserialize({"class_name": args.optimizer, "config": {"lr": args.lr}})
    model.compile(
        loss="cross_entropy" if classification else "mse",
        optimizer=optimizer,
        metrics=["accuracy"] if classification else ["mae", "r2"],
    )
    if not classification:  # start the output at the mean target: mse then fits the rest
        model.build((None, X_train.shape[1]))
        model.layers[-1].bias.data[...] = float(y_train.mean())  # type: ignore[attr-defined]
    model.info = {
        "dataset": dataset.name,
        "classes": list(dataset.classes) if dataset.classes is not None else None,
        "feature_names": list(dataset.feature_names),
        "target_name": dataset.target_name,
        "seed": args.seed,
        "test_size": args.test_size,
    }
    if args.resume:
        _check_resume(args.resume, model.info)
    # --save is one literal file, the one --resume reads: braces are escaped so that
    # ModelCheckpoint's {epoch} template formatting leaves the name as the user wrote it.
    literal = args.save.replace("{", "{{").replace("}", "}}") if args.save else None
    callbacks = [mg.nn.ModelCheckpoint(literal)] if literal else []
    start = time.perf_counter()
    history = model.fit(
        X_train,
        y_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_split=args.validation_split,
        seed=args.seed,
        callbacks=callbacks,
        verbose=0 if (args.quiet or args.json) else 1,
        resume_from=args.resume,
    )
    seconds = time.perf_counter() - start
    if args.save:
        model.save(args.save)
    results = _results(model, history, X_train, y_train, X_test, y_test)
    document = {
        "data": dataset.name,
        "layers": hidden,
        "epochs": len(history.epoch),
        "parameters": model.count_trainable_params(),
        "seconds": seconds,
        "results": results,
        "stopped_reason": history.stopped_reason,
        "history": history.history,
        "saved": args.save,
    }
    if args.plot:
        save_curves(history, args.plot)
        document["plot"] = args.plot
    if args.json:
        print_json(document)
    else:
        _print_table(document)
    return 0


# model.info key -> the flag that sets it
_RESUME_FLAGS = {
    "dataset": "--data",
    "target_name": "--target",
    "seed": "--seed",
    "test_size": "--test-size",
}


def _check_resume(path: str, info: dict[str, Any]) -> None:
    """Refuse to continue a run under other data settings, naming the flags that differ.

    Another --seed or --test-size draws another test split, overlapping the rows the saved
    model trained on (its test accuracy would be meaningless). `fit` refuses other data too;
    this says it in flags.
    """
    import memograd as mg

    saved = mg.nn.load(path).info
    differences = [
        f"{flag} {saved[key]!r} (this run: {info[key]!r})"
        for key, flag in _RESUME_FLAGS.items()
        if key in saved and saved[key] != info[key]
    ]
    if differences:
        raise CLIError(
            f"Cannot resume from {path!r}: it was trained with {', '.join(differences)}. "
            "Rerun with the settings it was trained with."
        )


def _results(
    model: Sequential,
    history: History,
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
) -> dict[str, dict[str, float]]:
    last = history.last()
    results = {"train": model.evaluate(X_train, y_train)}
    if "val_loss" in last:
        results["validation"] = {k[4:]: v for k, v in last.items() if k.startswith("val_")}
    results["test"] = model.evaluate(X_test, y_test)
    return results


def _print_table(document: dict[str, Any]) -> None:
    from rich.table import Table

    results = document["results"]
    metrics = sorted({key for scores in results.values() for key in scores})
    table = Table()
    table.add_column("split")
    for metric in metrics:
        table.add_column(metric, justify="right")
    for split, scores in results.items():
        table.add_row(split, *(f"{scores.get(m, float('nan')):.4f}" for m in metrics))
    out = console()
    out.print(
        f"{document['data']}: {document['epochs']} epochs, "
        f"{document['parameters']:,} parameters, {document['seconds']:.2f} s"
    )
    out.print(table)
    if document["stopped_reason"]:
        out.print(f"Stopped early: {document['stopped_reason']}")
    if document["saved"]:
        out.print(f"Saved model to {document['saved']}")
    if document.get("plot"):
        out.print(f"Saved curves to {document['plot']}")


def save_curves(history: History, path: str) -> None:
    """Loss (and accuracy) per epoch, train and validation, written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from memograd._atomic import atomic_path

    panels = [m for m in ("loss", "accuracy") if m in history.history]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.5), squeeze=False)
    epochs = [e + 1 for e in history.epoch]
    for ax, metric in zip(axes[0], panels, strict=True):
        ax.plot(epochs, history.history[metric], label="train")
        if f"val_{metric}" in history.history:
            ax.plot(epochs, history.history[f"val_{metric}"], label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp)
    finally:
        plt.close(fig)
