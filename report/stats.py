"""Statistics over the benchmark tables: medians, spread, winners and the cost of tracing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from report.data import Benchmarks
from report.traces import trace_measures


@dataclass(frozen=True)
class Spread:
    """Median and spread of one measurement over its runs."""

    median: float
    q1: float
    q3: float
    min: float
    max: float
    n: int
    values: tuple[float, ...]


@dataclass(frozen=True)
class LoadPoint:
    """Throughput and latency of one stack at one concurrency level (medians over runs)."""

    rps: Spread
    p50: float
    p90: float
    p99: float
    errors: int
    p99_runs: Spread | None = None  # the per-run p99s: the tie rule compares their ranges
    rps_by_run: tuple[tuple[int, float], ...] = ()  # (run, req/s): pairs a traced run with its baseline


@dataclass(frozen=True)
class Stats:
    """Everything the report computes from the benchmark tables."""

    startup: dict[str, Spread]
    memory_idle: dict[str, Spread]
    memory_load: dict[str, Spread]
    levels: list[int]
    variants: list[str]
    load: dict[tuple[str, int, str], LoadPoint]
    evidence: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)
    startup_by_run: dict[str, tuple[float, ...]] = field(default_factory=dict)  # in run order, for drift checks

    @property
    def top_level(self) -> int:
        """The highest concurrency measured: where the throughput comparison is made."""
        return self.levels[-1]

    def rps_at(self, variant: str, level: int) -> dict[str, float]:
        """Median requests/s per stack at one concurrency level."""
        return {sid: p.rps.median for (v, c, sid), p in self.load.items() if v == variant and c == level}

    def otel_cost(self) -> dict[str, float]:
        """Throughput with tracing as a fraction of without, at the top level (stacks with both)."""
        if "otel" not in self.variants:
            return {}
        base = self.rps_at("baseline", self.top_level)
        traced = self.rps_at("otel", self.top_level)
        return {sid: traced[sid] / base[sid] for sid in base if sid in traced}

    def kept_runs(self, level: int) -> dict[str, Spread]:
        """Traced ÷ baseline req/s of each round at one level (rounds paired by run number), per stack."""
        out: dict[str, Spread] = {}
        for (variant, c, sid), traced in self.load.items():
            base = self.load.get(("baseline", c, sid))
            if variant != "otel" or c != level or base is None:
                continue
            base_runs = dict(base.rps_by_run)
            ratios = [rps / base_runs[run] for run, rps in traced.rps_by_run if run in base_runs]
            if ratios:
                out[sid] = spread(ratios)
        return out


def spread(values: Iterable[float]) -> Spread:
    """Median, quartiles and range of a series of runs (linear interpolation, as pandas' default)."""
    # plain Python: a Series per group cost more than the arithmetic at 12 stacks x 100 runs
    ordered = sorted(float(v) for v in values)
    return Spread(
        median=quantile(ordered, 0.5),
        q1=quantile(ordered, 0.25),
        q3=quantile(ordered, 0.75),
        min=ordered[0],
        max=ordered[-1],
        n=len(ordered),
        values=tuple(ordered),
    )


def quantile(ordered: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile of sorted values (the same rule as pandas' default)."""
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def compute(bench: Benchmarks, stack_ids: Sequence[str]) -> Stats:
    """Summarise every table, keyed by stack id in display order."""
    startup = {sid: spread(bench.startup.loc[bench.startup["stack"] == sid, "startup_ms"]) for sid in stack_ids}
    mem = bench.memory
    idle = {sid: spread(mem.loc[(mem["stack"] == sid) & (mem["phase"] == "idle"), "rss_mb"]) for sid in stack_ids}
    load_mem = {sid: spread(mem.loc[(mem["stack"] == sid) & (mem["phase"] == "load"), "rss_mb"]) for sid in stack_ids}
    tp = bench.throughput
    tp = tp.loc[tp["endpoint"] == "json"]  # /db rows have their own section (report/latency.py)
    load: dict[tuple[str, int, str], LoadPoint] = {}
    for key, group in tp.groupby(["variant", "concurrency", "stack"], sort=True):
        variant, level, sid = (str(part) for part in key)
        load[(variant, int(level), sid)] = LoadPoint(
            rps=spread(group["requests_per_sec"]),
            p50=float(group["latency_p50_ms"].median()),
            p90=float(group["latency_p90_ms"].median()),
            p99=float(group["latency_p99_ms"].median()),
            errors=int(group["errors"].sum()),
            p99_runs=spread(group["latency_p99_ms"]),
            rps_by_run=tuple(
                sorted(zip((int(r) for r in group["run"]), map(float, group["requests_per_sec"]), strict=True))
            ),
        )
    variants = [v for v in ("baseline", "otel") if v in set(tp["variant"])]
    levels = sorted({int(c) for c in tp.loc[tp["variant"] == "baseline", "concurrency"]})
    evidence = {
        (str(stack), str(measure)): (float(value), str(unit))
        for stack, measure, value, unit in zip(
            bench.evidence["stack"],
            bench.evidence["measure"],
            bench.evidence["value"],
            bench.evidence["unit"],
            strict=True,
        )
    }
    evidence.update(trace_measures(bench.traces, stack_ids))  # measures from the captured traces (traces.json)
    su = bench.startup.sort_values("run", kind="stable")
    by_run = {sid: tuple(float(v) for v in su.loc[su["stack"] == sid, "startup_ms"]) for sid in stack_ids}
    return Stats(startup, idle, load_mem, levels, variants, load, evidence, by_run)


def ranking(values: Mapping[str, float], lower_is_better: bool) -> list[str]:
    """Stack ids from best to worst; ties keep display order."""
    order = list(values)
    return sorted(order, key=lambda s: (values[s] if lower_is_better else -values[s], order.index(s)))
