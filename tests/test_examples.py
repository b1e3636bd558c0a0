"""The notebooks in examples/ run top to bottom and compute what they say.

Jupyter is not a dependency: each notebook is read as JSON, its code cells are executed in
order in one namespace (matplotlib on the Agg backend), and a cell's last expression is
rendered the way Jupyter would (its `_repr_svg_` / `_repr_png_`), so inline drawings are
exercised too.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))


def _fib(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def _check_structure(doc: dict[str, Any]) -> None:
    assert doc["nbformat"] == 4 and doc["nbformat_minor"] >= 5
    assert doc["metadata"]["kernelspec"]["language"] == "python"
    ids = [cell["id"] for cell in doc["cells"]]
    assert len(set(ids)) == len(ids)
    for cell in doc["cells"]:
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", cell["id"])
        assert cell["cell_type"] in ("code", "markdown")
        assert isinstance(cell["metadata"], dict)
        assert isinstance(cell["source"], list) and all(isinstance(s, str) for s in cell["source"])
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None  # stored clean
        else:
            assert "outputs" not in cell


def _run(path: Path) -> tuple[dict[str, Any], list[Any]]:
    import matplotlib

    matplotlib.use("Agg")
    doc = json.loads(path.read_text(encoding="utf-8"))
    _check_structure(doc)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    shown: list[Any] = []
    for index, cell in enumerate(c for c in doc["cells"] if c["cell_type"] == "code"):
        tree = ast.parse("".join(cell["source"]), filename=f"{path.name}[{index}]")
        last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        if last is not None:
            tree.body = tree.body[:-1]
        exec(compile(tree, f"{path.name}[{index}]", "exec"), namespace)
        if last is not None:
            value = eval(
                compile(ast.Expression(last.value), f"{path.name}[{index}]", "eval"), namespace
            )
            shown.append(value)
            for method in ("_repr_svg_", "_repr_png_"):
                if hasattr(value, method):
                    rendered = getattr(value, method)()
                    assert rendered, f"{path.name} cell {index}: {method} returned nothing"
    return namespace, shown


def test_there_are_notebooks() -> None:
    assert {p.stem for p in NOTEBOOKS} >= {
        "memoization",
        "backprop_strategies",
        "training",
        "persistent_memoization",
        "export",
    }


def test_memoization_notebook() -> None:
    ns, shown = _run(EXAMPLES / "memoization.ipynb")
    assert ns["tree_calls"] == (2 * _fib(6) - 1, 9, 3)
    assert len(ns["rows"]) >= 2
    for n, naive_calls, memo_calls, _ in ns["rows"]:
        assert naive_calls == 2 * _fib(n + 1) - 1
        assert memo_calls == 2 * n - 1
    value = _fib(100_000)
    assert ns["big"].result == value
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # str() of a 20,899-digit int is refused by default
    try:
        assert ns["big_digits"] == len(str(value))
    finally:
        sys.set_int_max_str_digits(limit)
    assert any(type(v).__name__ == "Trace" for v in shown)


def test_backprop_notebook() -> None:
    ns, shown = _run(EXAMPLES / "backprop_strategies.ipynb")
    assert ns["max_disagreement"] < 1e-15
    assert len(ns["explanation"].paths) == 2
    loss, net = ns["loss"], ns["net"]
    w = net["w1_11"]
    h, original = 1e-6, w.data
    w.data = original + h
    up = net.loss([0.5, -1.0], [1.0]).data
    w.data = original - h
    down = net.loss([0.5, -1.0], [1.0]).data
    w.data = original
    assert ns["explanation"].value == pytest.approx((up - down) / (2 * h), abs=1e-8)
    assert any(v is loss for v in shown)  # the Value graph was rendered inline


def test_training_notebook() -> None:
    ns, _ = _run(EXAMPLES / "training.ipynb")
    assert ns["test"]["accuracy"] > 0.8
    assert ns["moons_accuracy"] > 0.8
    assert ns["x"].grad.shape == (4, 3)


def test_persistent_memoization_notebook() -> None:
    ns, _ = _run(EXAMPLES / "persistent_memoization.ipynb")
    runs = ns["runs"]
    assert [(r["store_hits"], r["store_misses"]) for r in runs] == [(0, 1), (1, 0), (0, 1), (0, 1)]
    first, again, other_lr, edited = runs
    assert again["weights_sum"] == first["weights_sum"]  # process 1's weights, read back
    assert again["accuracy"] == first["accuracy"] > 0.8
    assert other_lr["weights_sum"] != first["weights_sum"]
    assert edited["weights_sum"] != first["weights_sum"]  # retrained with the edited helper


def test_export_notebook() -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("torch")
    ns, _ = _run(EXAMPLES / "export.ipynb")
    assert ns["accuracy"] > 0.9
    assert ns["onnx_max_diff"] < 1e-5
    assert ns["onnx_accuracy"] == pytest.approx(ns["accuracy"])
    assert "Erf" in ns["ops"] and "BatchNormalization" in ns["ops"]
    assert ns["torch_max_diff"] < 1e-5
    assert ns["round_trip_equal"]
    assert "'1'" in ns["refusal"] and "ELU" in ns["refusal"]
