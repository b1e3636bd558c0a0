"""Results of a benchmark run: per-engine medians over rounds, ratios, the BLAS bound, JSON."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from memograd.bench._workloads import Workload

#: One worker's JSON record (see `memograd.bench._worker`).
Record = dict[str, Any]
#: Round medians further apart than this factor mark a result as measured on a busy machine.
NOISY_SPREAD = 1.5
#: Round medians further apart than this factor make a result not reportable: the rounds
#: disagree about what the step costs (W2 on a busy 2-core machine: 895 µs against 79.8 ms),
#: so neither round can be called the step's time.
DISAGREEMENT = 2.0


def format_seconds(seconds: float) -> str:
    """`1.23 ms`, `45.6 µs`, `1.20 s`: three significant figures in a readable unit.

    Example:
        >>> format_seconds(0.00123), format_seconds(4.56e-5), format_seconds(1.2)
        ('1.23 ms', '45.6 µs', '1.20 s')
    """
    unit, scale = next(
        ((u, s) for u, s in (("s", 1.0), ("ms", 1e-3)) if seconds >= s), ("µs", 1e-6)
    )
    return f"{seconds / scale:#.3g}".rstrip(".") + f" {unit}"  # '#' keeps 1.20's zero


@dataclass
class EngineResult:
    """One engine on one workload, all rounds together."""

    workload: str
    engine: str
    status: str  # ok, missing, unavailable, not-applicable, error
    reason: str | None = None
    median_s: float | None = None
    steps: int = 0  # timed steps, all rounds
    rounds: int = 0  # rounds that produced times
    round_medians_s: list[float] = field(default_factory=list)
    pooled_median_s: float | None = None  # median of all rounds' steps together
    forward_median_s: float | None = None
    peak_rss_mb: float | None = None
    import_rss_mb: float | None = None
    step_alloc_peak_mb: float | None = None
    versions: dict[str, str] = field(default_factory=dict)
    note: str = ""
    threads: int | None = None  # the engine's thread count (BLAS, or torch's pool)

    @property
    def round_spread(self) -> float | None:
        """Slowest round median / fastest; far above 1 means the machine was busy."""
        if len(self.round_medians_s) < 2 or min(self.round_medians_s) <= 0:
            return None
        return max(self.round_medians_s) / min(self.round_medians_s)

    @property
    def noisy(self) -> bool:
        """Whether the rounds disagree by more than NOISY_SPREAD."""
        spread = self.round_spread
        return spread is not None and spread > NOISY_SPREAD

    @property
    def disagrees(self) -> bool:
        """Whether the rounds disagree by more than DISAGREEMENT: then not reportable."""
        spread = self.round_spread
        return spread is not None and spread > DISAGREEMENT

    @property
    def backward_median_s(self) -> float | None:
        """Step minus forward+loss: the backward pass plus the (cheap) SGD update."""
        if self.median_s is None or self.forward_median_s is None:
            return None
        return self.median_s - self.forward_median_s

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the schema of `results` in the JSON document)."""
        backward = self.backward_median_s
        forward = self.forward_median_s
        return {
            "workload": self.workload,
            "engine": self.engine,
            "status": self.status,
            "reason": self.reason,
            "median_s": self.median_s,
            "steps": self.steps,
            "rounds": self.rounds,
            "round_medians_s": self.round_medians_s,
            "pooled_median_s": self.pooled_median_s,
            "round_spread": self.round_spread,
            "reportable": self.status == "ok" and not self.disagrees,
            "threads": self.threads,
            "forward_median_s": forward,
            "backward_median_s": backward,
            # step − forward can come out <= 0 when the machine was noisy: no ratio then
            "backward_forward_ratio": backward / forward
            if backward and forward and backward > 0
            else None,
            "peak_rss_mb": self.peak_rss_mb,
            "import_rss_mb": self.import_rss_mb,
            "step_alloc_peak_mb": self.step_alloc_peak_mb,
            "versions": self.versions,
            "note": self.note,
        }


@dataclass
class BenchResult:
    """Everything one `run_bench` measured, plus where and how."""

    machine: dict[str, Any]
    settings: dict[str, Any]
    workloads: list[Workload]
    results: list[EngineResult]
    reference: str = "memograd"
    conditions: dict[str, Any] = field(default_factory=dict)  # memograd._machine.conditions

    @property
    def reportable(self) -> bool:
        """True when the settings allow it (50+ steps, 2+ rounds) and no result's rounds
        disagree by more than DISAGREEMENT; `not_reportable_reasons` says why not."""
        return not self.not_reportable_reasons()

    def not_reportable_reasons(self) -> list[str]:
        """Why this run must not be quoted as the step times of these engines (empty: it may).

        Example:
            >>> r = EngineResult("W2", "numpy", "ok", median_s=9e-4,
            ...                  round_medians_s=[8.95e-4, 7.9847e-2])
            >>> BenchResult({}, {"reportable": True}, [], [r]).not_reportable_reasons()
            ['W2 numpy: round medians 895 µs and 79.8 ms are 89× apart (more than 2×)']
        """
        reasons = []
        if not self.settings.get("reportable", False):
            reasons.append(
                str(self.settings.get("not_reportable_because") or "the settings say so")
            )
        for r in self.results:
            if r.disagrees:
                low, high = min(r.round_medians_s), max(r.round_medians_s)
                reasons.append(
                    f"{r.workload} {r.engine}: round medians {format_seconds(low)} and "
                    f"{format_seconds(high)} are {high / low:.0f}× apart "
                    f"(more than {DISAGREEMENT:g}×)"
                )
        return reasons

    @property
    def engines(self) -> list[str]:
        """Engine names in the order they were asked for."""
        return list(self.settings.get("engines", []))

    def get(self, workload: str, engine: str) -> EngineResult | None:
        """The result of `engine` on `workload` (full workload name), if measured."""
        for r in self.results:
            if r.workload == workload and r.engine == engine:
                return r
        return None

    def ratios(self) -> dict[str, dict[str, float | None]]:
        """`{workload: {engine: median_s(engine) / median_s(reference)}}`; see `compute_ratios`."""
        return compute_ratios(self.results, self.reference)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document: machine, settings, workloads, results, ratios."""
        return {
            "machine": self.machine,
            "settings": self.settings,
            "reportable": self.reportable,
            "not_reportable_because": self.not_reportable_reasons(),
            "conditions": self.conditions,
            "workloads": [w.to_dict() for w in self.workloads],
            "results": [r.to_dict() for r in self.results],
            "ratios": {
                "reference": self.reference,
                "meaning": "median step time of the engine / median step time of the reference",
                "values": self.ratios(),
            },
        }

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> BenchResult:
        """Rebuild a result from `to_dict()` output (e.g. a saved `--output` JSON file).

        Example:
            >>> doc = json.loads(Path("bench.json").read_text())  # doctest: +SKIP
            >>> print_report(BenchResult.from_dict(doc))  # doctest: +SKIP
        """
        try:
            workloads = [
                Workload(w["name"], tuple(w["sizes"]), int(w["batch"]))
                for w in document["workloads"]
            ]
            fields = set(EngineResult.__dataclass_fields__)
            results = [
                EngineResult(**{k: v for k, v in r.items() if k in fields})
                for r in document["results"]
            ]
            return cls(
                dict(document["machine"]),
                dict(document["settings"]),
                workloads,
                results,
                str(document["ratios"]["reference"]),
                dict(document.get("conditions") or {}),
            )
        except (KeyError, TypeError) as error:
            raise ValueError(
                f"Not a memograd bench document (expected the keys of BenchResult.to_dict()); "
                f"problem: {error!r}"
            ) from None


def compute_ratios(
    results: Sequence[EngineResult], reference: str = "memograd"
) -> dict[str, dict[str, float | None]]:
    """Per workload, each engine's median over the reference's median (None where missing).

    A ratio below 1 means the engine is faster than the reference; the reference gets 1.0.

    Example:
        >>> rs = [EngineResult("W1", "memograd", "ok", median_s=2.0),
        ...       EngineResult("W1", "numpy", "ok", median_s=1.0)]
        >>> compute_ratios(rs)
        {'W1': {'memograd': 1.0, 'numpy': 0.5}}
    """
    table: dict[str, dict[str, float | None]] = {}
    for workload in dict.fromkeys(r.workload for r in results):
        row = [r for r in results if r.workload == workload]
        base = next((r.median_s for r in row if r.engine == reference), None)
        table[workload] = {
            r.engine: (r.median_s / base if base and r.median_s is not None else None) for r in row
        }
    return table


def aggregate(workload: str, engine: str, records: Sequence[Record]) -> EngineResult:
    """Merge one engine's worker records (one per round) into an EngineResult.

    Each round gives a median over its steps; the reported `median_s` is the quietest round's
    (the lowest), because on a shared machine one round can be slowed 10-100× by a neighbour
    while the other is clean, and a median pooled over two such rounds lands on either side at
    random. The pooled median and every round's median are kept beside it, and the forward
    time comes from the same round as the step time. A round that failed while others
    succeeded is mentioned in `reason`.
    """
    ok = [r for r in records if r.get("status") == "ok"]
    if not ok:
        first = records[0] if records else {"status": "error", "reason": "no measurement"}
        return EngineResult(workload, engine, str(first.get("status")), first.get("reason"))
    round_medians = [statistics.median(r["times_s"]) for r in ok]
    quietest = ok[round_medians.index(min(round_medians))]
    forward = quietest.get("forward_times_s")
    failed = [r for r in records if r.get("status") != "ok"]
    allocs = [r["step_alloc_peak_mb"] for r in ok if "step_alloc_peak_mb" in r]
    times = [t for r in ok for t in r["times_s"]]
    return EngineResult(
        workload,
        engine,
        "ok",
        reason=(f"{len(failed)} of {len(records)} rounds failed: {failed[0].get('reason')}")
        if failed
        else None,
        median_s=min(round_medians),
        steps=len(times),
        rounds=len(ok),
        round_medians_s=round_medians,
        pooled_median_s=statistics.median(times),
        forward_median_s=statistics.median(forward) if forward else None,
        peak_rss_mb=max(r["peak_rss_mb"] for r in ok),
        import_rss_mb=max(r["import_rss_mb"] for r in ok),
        step_alloc_peak_mb=max(allocs) if allocs else None,
        versions=ok[0].get("versions", {}),
        note=str(ok[0].get("note", "")),
        threads=ok[0].get("threads"),
    )


def gemm_rate(gemm_records: Sequence[Record]) -> float | None:
    """The best GEMM FLOP/s of the run (fastest product of all rounds), or None.

    A bound should not get slower when a neighbour steals the CPU for a moment: the fastest
    of the products measured is the speed this BLAS reaches on this machine.
    """
    rates = [r["best_flops_per_s"] for r in gemm_records if r.get("status") == "ok"]
    return max(rates) if rates else None


def blas_bound(workloads: Sequence[Workload], gemm_records: Sequence[Record]) -> list[EngineResult]:
    """The `blas-bound` pseudo-engine: each workload's FLOPs / the run's best GEMM FLOP/s."""
    rate = gemm_rate(gemm_records)
    if rate is None:
        reason = gemm_records[0].get("reason") if gemm_records else "GEMM not measured"
        return [EngineResult(w.name, "blas-bound", "error", reason) for w in workloads]
    rounds = sum(r.get("status") == "ok" for r in gemm_records)
    return [
        EngineResult(
            w.name,
            "blas-bound",
            "ok",
            median_s=w.flops / rate,
            rounds=rounds,
            note=f"{w.flops / 1e6:.1f} MFLOP / {rate / 1e9:.1f} GFLOP/s",
        )
        for w in workloads
    ]
