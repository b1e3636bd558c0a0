"""Section 7: speed — one training step of memograd beside hand-written NumPy and its peers.

The measurements and the bar plot are `memograd.bench` (`run_bench`, `save_plot`): each
engine in its own process, rounds interleaved, medians and ratios from the same run. This
module chooses the workloads and engines, and writes the table and the text.
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path
from typing import Any

from memograd._machine import describe_conditions
from memograd.report import _fmt
from memograd.report._parts import SectionBuilder, need

KEY = "speed"
TITLE = "7. Speed"
CLAIM = (
    "Vectorized (one matrix product per layer), the same reverse sweep trains real networks; "
    "how close it comes to hand-written NumPy and to PyTorch/JAX is measured here."
)


def _settings(quick: bool) -> dict[str, Any]:
    if quick:  # PyTorch and JAX take seconds just to start: only the two NumPy engines
        return {
            "workloads": ["W1", "W2"],
            "engines": ["memograd", "numpy"],
            "rounds": 1,
            "steps": 10,
            "warmup": 2,
        }
    peers = [name for name in ("torch", "jax") if importlib.util.find_spec(name) is not None]
    return {
        "workloads": ["W1", "W2", "W3"],
        "engines": ["memograd", "memograd-jit", "numpy", *peers, "blas-bound"],
        "rounds": 2,
        "steps": 50,
        "warmup": 5,
    }


def build(out: SectionBuilder, ctx: Any) -> None:
    settings = _settings(ctx.quick)
    out.number("settings", settings)
    run_bench = need("memograd.bench:run_bench", "the benchmark runner (memograd.bench.run_bench)")
    result = run_bench(
        settings["workloads"],
        settings["engines"],
        rounds=settings["rounds"],
        steps=settings["steps"],
        warmup=settings["warmup"],
        quick=ctx.quick,
        seed=ctx.seed,
        show_progress=False,  # the report's own progress bar is already live
    )
    document = result.to_dict()
    out.number("bench", document)
    out.number("conditions", result.conditions)
    out.number("reportable", result.reportable)
    machine = _machine_line(result.machine) + ", " + describe_conditions(result.conditions)
    reasons = result.not_reportable_reasons()
    caveat = f" Not reportable: {'; '.join(reasons)}." if reasons else ""
    with out.part("the bench plot"):
        save_plot = need("memograd.bench:save_plot", "the bench plot (memograd.bench.save_plot)")
        with tempfile.TemporaryDirectory(dir=ctx.out_dir) as folder:
            path = Path(folder) / "bench.png"
            save_plot(result, path)
            out.png(
                path.read_bytes(),
                f"Median time of one training step (forward, softmax cross-entropy, backward, "
                f"SGD), log scale. Measured on {machine}." + caveat,
                alt="bar chart of median step times per workload and engine",
            )
    ratios = result.ratios()
    engines = [e for e in result.engines]
    rows = []
    for w in result.workloads:
        row = [f"{w.name} {w.sizes} ×{w.batch}"]
        for engine in engines:
            r = result.get(w.name, engine)
            if r is None or r.median_s is None:
                row.append(r.status if r is not None else "—")
            else:
                ratio = ratios.get(w.name, {}).get(engine)
                row.append(f"{_fmt.seconds(r.median_s)} ({_fmt.ratio(ratio)})")
        rows.append(row)
    out.table(
        ["workload", *engines],
        rows,
        f"Median step time (ratio to memograd's median in the same run). {machine}.{caveat}",
    )
    # ratios are engine / memograd; the reader's question is how much slower memograd is
    slowdown = {
        w.name: 1.0 / ratios[w.name]["numpy"]
        for w in result.workloads
        if ratios.get(w.name, {}).get("numpy")
    }
    out.number("memograd_over_numpy", slowdown)
    if slowdown:
        name = next((n for n in slowdown if "W2" in n), next(iter(slowdown)))
        # a ratio from rounds that disagree is not a step time: the headline says so itself
        trusted = all(
            not r.disagrees for e in ("memograd", "numpy") if (r := result.get(name, e)) is not None
        )
        label = f"memograd / hand NumPy step time ({name})"
        if not (trusted and result.reportable):
            label += ", not reportable"
        out.headline(label, _fmt.ratio(slowdown[name]), slowdown[name])
        peers = [e for e in ("torch", "jax") if e in engines]
        peer_text = ""
        jit = {
            w.name: ratios[w.name]["memograd-jit"] / ratios[w.name]["numpy"]
            for w in result.workloads
            if ratios.get(w.name, {}).get("memograd-jit") and ratios[w.name].get("numpy")
        }
        out.number("memograd_jit_over_numpy", jit)
        if jit:
            peer_text += (
                " With jit_compile=True (one step traced once, then replayed as a flat tape of "
                "NumPy kernels) the ratio to hand NumPy becomes "
                + ", ".join(f"{n}: {_fmt.ratio(v)}" for n, v in jit.items())
                + "."
            )
        for peer in peers:
            values = {
                w.name: ratios.get(w.name, {}).get(peer)
                for w in result.workloads
                if ratios.get(w.name, {}).get(peer)
            }
            if values:
                peer_text += (
                    f" {'PyTorch' if peer == 'torch' else 'JAX'} step time over memograd's: "
                    + ", ".join(f"{n}: {_fmt.ratio(v)}" for n, v in values.items())
                    + "."
                )
        out.text(
            _compare_to_numpy(slowdown)
            + peer_text
            + (" PyTorch and JAX are not run in a quick run." if ctx.quick else "")
            + caveat
        )


def _compare_to_numpy(slowdown: dict[str, float]) -> str:
    """The sentence comparing memograd's step with hand NumPy's, worded by each ratio's side.

    A ratio above 1 is the cost of the graph; below 1 the wording says what it is (a step
    doing the same products plus bookkeeping should not win), so the sentence cannot claim
    a cost its own numbers deny.

    Example:
        >>> text = _compare_to_numpy({"W1": 1.6, "W2": 0.5})
        >>> "takes 1.6× the time on W1: the cost of recording the graph" in text
        True
        >>> "took 0.5× the time on W2: less than the hand-written step" in text
        True
    """
    groups = {
        "slower": {n: v for n, v in slowdown.items() if v >= 1.05},
        "same": {n: v for n, v in slowdown.items() if 0.95 < v < 1.05},
        "faster": {n: v for n, v in slowdown.items() if v <= 0.95},
    }

    def listed(values: dict[str, float]) -> str:
        return ", ".join(f"{_fmt.ratio(v)} the time on {n}" for n, v in values.items())

    sentences = ["Against the same step written by hand in NumPy (no graph, no autodiff),"]
    if groups["slower"]:
        sentences.append(
            f"a memograd training step takes {listed(groups['slower'])}: the cost of "
            "recording the graph and running the generic sweep."
        )
    if groups["same"]:
        lead = "It takes" if groups["slower"] else "a memograd training step takes"
        sentences.append(f"{lead} {listed(groups['same'])}: within 5% of the hand-written step.")
    if groups["faster"]:
        lead = "It took" if groups["slower"] or groups["same"] else "a memograd training step took"
        sentences.append(
            f"{lead} {listed(groups['faster'])}: less than the hand-written step, although it "
            "runs the same matrix products plus the graph's bookkeeping, so read that ratio as "
            "noise from a machine that was busier during the NumPy step."
        )
    return " ".join(sentences)


def _machine_line(m: dict[str, Any]) -> str:
    parts = [str(m.get("cpu", "?")), f"{m.get('cores', '?')} cores"]
    load = m.get("load_average_start")
    if load:
        parts.append(f"load average {load[0]:.2f}")
    if m.get("gemm_gflops"):
        parts.append(f"GEMM {m['gemm_gflops']:.0f} GFLOP/s")
    if m.get("date"):
        parts.append(str(m["date"]))
    return ", ".join(parts)
