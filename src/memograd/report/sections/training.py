"""Section 6: training real networks with the same engine — digits and moons.

Models, training and data are `mg.nn` and `mg.data`; this module picks the settings, counts
the confusion matrix from the model's predicted classes and draws the figures.
"""

from __future__ import annotations

from typing import Any

from memograd.report import _fmt
from memograd.report._parts import SectionBuilder, need

KEY = "training"
TITLE = "6. Training"
CLAIM = (
    "With the adjoints stored once per node, gradients of networks with thousands of "
    "parameters are cheap enough to train on real data."
)


def _settings(quick: bool) -> dict[str, Any]:
    if quick:
        return {"digits_hidden": [64], "digits_epochs": 8, "moons_epochs": 40}
    return {"digits_hidden": [128, 64], "digits_epochs": 40, "moons_epochs": 60}


def build(out: SectionBuilder, ctx: Any) -> None:
    settings = _settings(ctx.quick)
    out.number("settings", settings)
    with out.part("digits"):
        _digits(out, ctx, settings)
    with out.part("moons"):
        _moons(out, ctx, settings)


def _model(mg: Any, hidden: list[int], classes: int, lr: float) -> Any:
    layers = [mg.nn.Dense(width, activation="relu") for width in hidden]
    model = mg.nn.Sequential([*layers, mg.nn.Dense(classes)])
    model.compile(loss="cross_entropy", optimizer=mg.optim.Adam(lr), metrics=["accuracy"])
    return model


def _digits(out: SectionBuilder, ctx: Any, settings: dict[str, Any]) -> None:
    import numpy as np

    mg = need("memograd", "memograd")
    need("memograd.nn:Sequential", "mg.nn.Sequential with compile/fit/evaluate")
    need("memograd:optim", "mg.optim (Adam)")
    need("memograd.data:load", "mg.data.load")
    X_train, X_test, y_train, y_test = mg.data.load("digits", test_size=0.2, seed=ctx.seed)
    raw_test = mg.data.load("digits", test_size=0.2, seed=ctx.seed, standardize=False)[1]
    model = _model(mg, settings["digits_hidden"], 10, 1e-3)
    history = model.fit(
        X_train,
        y_train,
        epochs=settings["digits_epochs"],
        batch_size=64,
        validation_split=0.1,
        seed=ctx.seed,
        verbose=0,
    )
    result = model.evaluate(X_test, y_test)
    predicted = model.predict_classes(X_test)
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (y_test.astype(np.int64), predicted), 1)
    accuracy = float(result["accuracy"])
    out.number("digits_history", history.history)
    out.number("digits_test", {k: float(v) for k, v in result.items()})
    out.number("digits_confusion", confusion.tolist())
    out.number("digits_parameters", int(model.count_params()))
    out.number("digits_test_size", len(y_test))
    out.headline("digits test accuracy", _fmt.percent(accuracy), accuracy)

    from matplotlib.colors import LogNorm

    from memograd.viz.plots import new_figure

    epochs = list(range(1, len(history.history["loss"]) + 1))
    fig, (left, right) = new_figure(10.5, 3.6, ncols=2)
    left.plot(epochs, history.history["loss"], label="training", color="#0072B2")
    if "val_loss" in history.history:
        left.plot(epochs, history.history["val_loss"], label="validation", color="#D55E00")
    left.set_yscale("log")
    left.set_xlabel("epoch")
    left.set_ylabel("cross-entropy (log)")
    left.set_title("loss", fontsize=10)
    right.plot(epochs, history.history["accuracy"], label="training", color="#0072B2")
    if "val_accuracy" in history.history:
        right.plot(epochs, history.history["val_accuracy"], label="validation", color="#D55E00")
    right.axhline(accuracy, color="0.4", linestyle=":", label=f"test {_fmt.percent(accuracy)}")
    right.set_xlabel("epoch")
    right.set_ylabel("accuracy")
    right.set_title("accuracy", fontsize=10)
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    sizes = [64, *settings["digits_hidden"], 10]
    out.figure(
        fig,
        f"Learning curves on the 8×8 digits (MLP {sizes}, ReLU, Adam 1e-3, batch 64, "
        f"{settings['digits_epochs']} epochs, 10% of the training set held out for validation).",
        alt="training and validation loss and accuracy per epoch",
    )

    fig, (cm_ax, img_ax) = new_figure(10.5, 4.4, ncols=2)
    cm_ax.imshow(confusion + 0.5, cmap="Blues", norm=LogNorm())
    for i in range(10):
        for j in range(10):
            if confusion[i, j]:
                cm_ax.text(
                    j,
                    i,
                    str(confusion[i, j]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if i == j else "black",
                )
    cm_ax.set_xticks(range(10))
    cm_ax.set_yticks(range(10))
    cm_ax.set_xlabel("predicted")
    cm_ax.set_ylabel("true")
    cm_ax.set_title("confusion matrix (test set)", fontsize=10)
    shown = draw_misclassified(img_ax, raw_test, y_test, predicted)
    errors = int((predicted != y_test).sum())
    out.figure(
        fig,
        f"Left: test-set confusion matrix ({len(y_test)} digits; diagonal = correct). Right: "
        f"{'the first ' if shown < errors else ''}{shown} of the {errors} digits the network "
        "got wrong, with the true and the predicted class.",
        alt="confusion matrix and misclassified digits",
    )
    out.text(
        f"The network ({model.count_params():,} parameters) reaches {_fmt.percent(accuracy)} "
        f"accuracy on {len(y_test)} held-out digits ({errors} mistakes) after "
        f"{settings['digits_epochs']} epochs. Every gradient of that training came from the "
        "same reverse sweep as the lesson's network in section 2, one matrix product per layer."
    )


def draw_misclassified(ax: Any, images: Any, y_true: Any, predicted: Any, *, limit: int = 8) -> int:
    """Draw the first `limit` misclassified 8×8 digits on `ax` (a 4×2 grid of insets), each
    titled true → predicted; returns how many were drawn. The title counts what is drawn
    and, when that is not all of them, out of how many: "8 of 10 misclassified test digits".
    """
    import numpy as np

    wrong = np.flatnonzero(np.asarray(predicted) != np.asarray(y_true))
    shown = wrong[:limit]
    ax.set_axis_off()
    if len(wrong) == 0:
        title = "no misclassified test digits"
    elif len(shown) == len(wrong):
        title = f"all {len(wrong)} misclassified test digits"
    else:
        title = f"{len(shown)} of {len(wrong)} misclassified test digits"
    ax.set_title(title, fontsize=10)
    for k, index in enumerate(shown):
        inset = ax.inset_axes((0.25 * (k % 4), 0.5 * (1 - k // 4) + 0.02, 0.23, 0.42))
        inset.imshow(images[index].reshape(8, 8), cmap="gray_r")
        inset.set_title(f"true {y_true[index]} → {predicted[index]}", fontsize=8)
        inset.set_axis_off()
    return len(shown)


def _moons(out: SectionBuilder, ctx: Any, settings: dict[str, Any]) -> None:
    import numpy as np

    mg = need("memograd", "memograd")
    need("memograd.nn:Sequential", "mg.nn.Sequential with compile/fit/evaluate")
    X_train, X_test, y_train, y_test = mg.data.load("moons", test_size=0.2, seed=ctx.seed)
    model = _model(mg, [32, 32], 2, 1e-2)
    model.fit(
        X_train, y_train, epochs=settings["moons_epochs"], batch_size=32, seed=ctx.seed, verbose=0
    )
    accuracy = float(model.evaluate(X_test, y_test)["accuracy"])
    out.number("moons_test_accuracy", accuracy)
    out.headline("moons test accuracy", _fmt.percent(accuracy), accuracy)
    both = np.concatenate([X_train, X_test])
    lo, hi = both.min(axis=0) - 0.5, both.max(axis=0) + 0.5
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
    logits = model.predict(grid).astype(np.float64)
    logits -= logits.max(axis=1, keepdims=True)  # softmax of the logits: P(class 1)
    probs = np.exp(logits)
    p1 = (probs[:, 1] / probs.sum(axis=1)).reshape(gx.shape)

    from memograd.viz.plots import new_figure

    fig, ax = new_figure(6.0, 4.6)
    ax.contourf(gx, gy, p1, levels=20, cmap="RdBu_r", alpha=0.6)
    ax.contour(gx, gy, p1, levels=[0.5], colors="black", linewidths=1.2)
    for label, color in ((0, "#0072B2"), (1, "#D55E00")):
        ax.scatter(*X_train[y_train == label].T, s=8, color=color, label=f"train, class {label}")
        ax.scatter(
            *X_test[y_test == label].T,
            s=18,
            facecolors="none",
            edgecolors=color,
            label=f"test, class {label}",
        )
    ax.set_xlabel("feature 1 (standardized)")
    ax.set_ylabel("feature 2 (standardized)")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(f"moons: test accuracy {_fmt.percent(accuracy)}", fontsize=10)
    out.figure(
        fig,
        f"Decision boundary (black line: P(class 1) = 0.5) of an MLP [2, 32, 32, 2] trained "
        f"{settings['moons_epochs']} epochs on the two moons; shading is P(class 1).",
        alt="two moons with the learned decision boundary",
    )
    out.text(
        f"On the two moons, two hidden layers of 32 ReLU units reach {_fmt.percent(accuracy)} "
        f"accuracy on {len(y_test)} test points after {settings['moons_epochs']} epochs; the "
        "learned boundary bends around both moons, which no linear classifier can do."
    )
