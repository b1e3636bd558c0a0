"""The demo report: it runs, it writes both files atomically, and its numbers are the engine's.

One quick report is produced per test module (about 15 s on an idle 2-core machine); every
check below recomputes what it compares against independently (iterative Fibonacci, finite
differences, path counts by walking the graph), never from the report's own code.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

import memograd as mg
from memograd.report import run_report, section_keys


def _fib(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    # Under pytest-xdist every worker would build its own report; the first one builds it in
    # the run's shared temp folder (under a file lock) and the others read it.
    import fcntl
    import os

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # this run only
    out = shared / "quick-report"
    with open(shared / "quick-report.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "summary.json").exists():
            out.mkdir(exist_ok=True)
            run_report(out, quick=True, show_progress=False)

    def strict(value: str) -> Any:
        raise ValueError(f"summary.json holds {value}: not strict JSON")

    summary = json.loads((out / "summary.json").read_text(), parse_constant=strict)
    return out, summary, (out / "index.html").read_text()


def _numbers(summary: dict[str, Any], key: str) -> dict[str, Any]:
    section = summary["sections"][key]
    if section["status"] in ("not built", "error"):
        pytest.fail(
            f"section {key} is {section['status']}: {section['errors'] or section['not_built']}"
        )
    return dict(section["numbers"])


def test_every_section_ran_and_none_failed(report: tuple[Path, dict[str, Any], str]) -> None:
    out, summary, page = report
    assert list(summary["sections"]) == section_keys()
    assert summary["failed_sections"] == [], summary["failed_sections"]
    assert summary["status"] == "ok"
    assert summary["quick"] is True
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "summary.json"]  # no temp files
    for key, section in summary["sections"].items():
        assert section["status"] in ("ok", "partial", "not built"), key
        assert f'id="{key}"' in page


def test_page_is_self_contained(report: tuple[Path, dict[str, Any], str]) -> None:
    _, _summary, page = report
    sources = re.findall(r'(?:src|href)="([^"#][^"]*)"', page)
    assert sources, "the page embeds its figures"
    assert all(s.startswith("data:image/png;base64,") for s in sources), sources[:3]
    assert "<script" not in page
    assert "@import" not in page and "url(" not in page


def test_placeholders_match_what_summary_says_is_missing(
    report: tuple[Path, dict[str, Any], str],
) -> None:
    _, summary, page = report
    missing = [w for s in summary["sections"].values() for w in s["not_built"]]
    assert page.count("not built yet:") == len(missing)
    for what in missing:
        assert what.split(" (")[0][:40] in page.replace("&#x27;", "'").replace("&quot;", '"')


def test_readme_lists_the_keys_summary_json_has(
    report: tuple[Path, dict[str, Any], str],
) -> None:
    # The README once named `not_built` as a key of summary.json; it is a key of each section.
    _, summary, _ = report
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    top = re.search(r"`summary\.json` has the top-level keys (.*?);", readme, re.DOTALL)
    per = re.search(r"each\s+`sections\.<key>` has (.*?)\.\n", readme, re.DOTALL)
    assert top and per, "the README's description of summary.json is gone"
    assert set(re.findall(r"`(\w+)`", top.group(1))) == set(summary)
    section_keys_named = set(re.findall(r"`(\w+)`", per.group(1)))
    for key, section in summary["sections"].items():
        assert section_keys_named == set(section), key
    for name in re.findall(r"`sections\.<key>\.(\w+)`", readme):  # every path it names
        assert name in section_keys_named, name
    assert "not_built" not in summary


def test_numbers_in_the_text_come_from_the_measurements(
    report: tuple[Path, dict[str, Any], str],
) -> None:
    _, summary, page = report
    assert summary["headlines"], "no headline to check"
    for h in summary["headlines"]:
        for piece in h["value"].split(" / "):  # "0.47× / 1.5×": each number is in the text
            assert piece in page, h


def test_fibonacci_counts_are_exact(report: tuple[Path, dict[str, Any], str]) -> None:
    numbers = _numbers(report[1], "memoization")
    assert numbers["naive_tree_calls"] == 2 * _fib(6) - 1 == 15
    assert numbers["memoized_tree_calls"] == 9 and numbers["memoized_tree_hits"] == 3
    assert numbers["naive_repeated_subtrees"] == {"fib(3)": 2, "fib(2)": 3}
    assert numbers["naive"] and numbers["memoized"]
    for row in numbers["naive"]:
        assert row["calls"] == 2 * _fib(row["n"] + 1) - 1
        assert row["seconds"] > 0
    for row in numbers["memoized"]:
        n = row["n"]
        assert (row["calls"], row["hits"]) == (2 * n - 1, n - 2)  # n + 1 computed, n − 2 hits
        assert row["value"] in (None, _fib(n))
    memo = {row["n"]: row["value"] for row in numbers["memoized"]}
    assert memo[30] == _fib(30) == 832040


@pytest.mark.parametrize("n", [2000, 100_000])
def test_big_fibonacci_numbers_match_an_iterative_computation(
    report: tuple[Path, dict[str, Any], str], n: int
) -> None:
    entry = _numbers(report[1], "memoization")[f"fib_{n}"]
    value = _fib(n)
    digits = math.floor(value.bit_length() * math.log10(2))
    digits += value >= 10**digits
    assert entry["digits"] == digits
    assert entry["trailing_digits"] == f"{value % 10**12:012d}"
    assert int(entry["leading_digits"]) == value // 10 ** (digits - 12)
    assert entry["equals_bottom_up"] is True


def test_adjoint_table_matches_finite_differences(report: tuple[Path, dict[str, Any], str]) -> None:
    numbers = _numbers(report[1], "chain_rule")
    net = mg.scalar.MLP(numbers["sizes"], activation="sigmoid", seed=report[1]["seed"])
    x, y = numbers["input"], numbers["target"]
    assert numbers["loss"] == pytest.approx(net.loss(x, y).data, rel=1e-12)
    labels = {p.label: p for p in net.parameters()}
    rows = {r["name"]: r for r in numbers["adjoint_table"]}
    checked = 0
    for label, param in labels.items():
        h, original = 1e-6, param.data
        param.data = original + h
        up = net.loss(x, y).data
        param.data = original - h
        down = net.loss(x, y).data
        param.data = original
        assert rows[label]["adjoint"] == pytest.approx((up - down) / (2 * h), abs=1e-8), label
        checked += 1
    assert checked == 15
    assert rows["L"]["adjoint"] == 1.0
    assert sum(r["reuses"] for r in rows.values()) == numbers["sweep_adjoint_reuses"]


def test_expansion_has_one_product_per_path(report: tuple[Path, dict[str, Any], str]) -> None:
    numbers = _numbers(report[1], "chain_rule")
    assert numbers["paths"] == 2 == len(numbers["path_values"])  # one per neuron of layer 2
    assert sum(numbers["path_values"]) == pytest.approx(numbers["dL_dw111"], rel=1e-12)
    rows = {r["name"]: r for r in numbers["adjoint_table"]}
    assert numbers["dL_dw111"] == pytest.approx(rows["w¹₁₁"]["adjoint"], rel=1e-12)


def _graph_counts(loss: Any, params: list[Any]) -> tuple[int, int]:
    """Edges among grad-requiring nodes, and paths from every parameter to the loss (DFS)."""
    nodes, stack, seen = [], [loss], {id(loss)}
    while stack:
        node = stack.pop()
        nodes.append(node)
        for p in node._parents:
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    edges = sum(1 for n in nodes for p in n._parents if p.requires_grad)
    children: dict[int, list[Any]] = {}
    for n in nodes:
        for p in n._parents:
            children.setdefault(id(p), []).append(n)

    def count(node: Any) -> int:
        return 1 if node is loss else sum(count(c) for c in children.get(id(node), []))

    return edges, sum(count(p) for p in params)


def test_backprop_work_matches_the_graph(report: tuple[Path, dict[str, Any], str]) -> None:
    import numpy as np

    numbers = _numbers(report[1], "backprop_cost")
    rows = numbers["depth_rows"]
    rng = np.random.default_rng(report[1]["seed"])
    for n in (1, 2, 3, 4):  # rebuild the networks exactly as backprop.scaling does
        by = {r["strategy"]: r for r in rows if r["n"] == n}
        sizes = by["reverse"]["sizes"]
        net = mg.scalar.MLP(sizes, activation="sigmoid", seed=int(rng.integers(2**31)))
        loss = net.loss(rng.uniform(-1.0, 1.0, size=sizes[0]).tolist(), [0.5])
        edges, paths = _graph_counts(loss, net.parameters())
        assert by["reverse"]["counts"]["multiplications"] == edges
        assert by["memoized"]["counts"]["multiplications"] == edges
        assert by["paths"]["counts"]["paths"] == paths
        assert by["paths"]["counts"]["additions"] == paths - len(net.parameters())
    assert numbers["max_abs_diff_vs_reverse"] < 1e-12
    assert numbers["depth10_sizes"] == [2] * 11 + [1]
    speedup = numbers["depth10_speedup_paths_over_reverse"]
    medians = numbers["depth10_median_seconds"]
    assert speedup == pytest.approx(medians["paths"] / medians["reverse"])


def test_memory_numbers_follow_from_the_activations(
    report: tuple[Path, dict[str, Any], str],
) -> None:
    numbers = _numbers(report[1], "memory")
    rows = numbers["rows"]
    batch = numbers["settings"]["batch"]
    configs = {(r["depth"], r["width"]) for r in rows}
    assert len(configs) == len(numbers["settings"]["depths"]) * len(numbers["settings"]["widths"])
    for depth, width in configs:
        mine = {str(r["policy"]): r for r in rows if (r["depth"], r["width"]) == (depth, width)}
        # keep-all holds the float32 input, every hidden activation, the softmax of the 10
        # classes, and the int64 labels
        floats = batch * (width + depth * width + 10)
        assert mine["all"]["peak_saved_bytes"] == 4 * floats + 8 * batch
        assert mine["none"]["peak_saved_bytes"] <= mine["sqrt"]["peak_saved_bytes"]
        assert mine["sqrt"]["peak_saved_bytes"] <= mine["all"]["peak_saved_bytes"]
        assert mine["all"]["recomputed_layers"] == 0 < mine["none"]["recomputed_layers"]
        for r in mine.values():
            assert r["max_abs_grad_diff"] < 1e-5
    assert numbers["all_equals_closed_form"] is True


def test_numerical_errors_are_small(report: tuple[Path, dict[str, Any], str]) -> None:
    numbers = _numbers(report[1], "numerical")
    assert numbers["worst_first_layer_relative"]
    for name, worst in numbers["worst_first_layer_relative"].items():
        assert worst is not None and 0 <= worst < 1e-10, name


def test_training_numbers_are_consistent(report: tuple[Path, dict[str, Any], str]) -> None:
    numbers = _numbers(report[1], "training")
    confusion = numbers["digits_confusion"]
    total = sum(map(sum, confusion))
    assert total == numbers["digits_test_size"]
    diagonal = sum(confusion[i][i] for i in range(10))
    assert diagonal / total == pytest.approx(numbers["digits_test"]["accuracy"])
    assert numbers["digits_test"]["accuracy"] > 0.5  # far above the 10% of guessing
    assert len(numbers["digits_history"]["loss"]) == numbers["settings"]["digits_epochs"]
    assert numbers["moons_test_accuracy"] > 0.7


def test_speed_ratios_are_those_of_the_bench(report: tuple[Path, dict[str, Any], str]) -> None:
    numbers = _numbers(report[1], "speed")
    medians = {
        (r["workload"], r["engine"]): r["median_s"]
        for r in numbers["bench"]["results"]
        if r["median_s"]
    }
    assert numbers["memograd_over_numpy"], "no workload has a memograd/NumPy ratio"
    for workload, value in numbers["memograd_over_numpy"].items():
        assert value == pytest.approx(
            medians[(workload, "memograd")] / medians[(workload, "numpy")]
        )
