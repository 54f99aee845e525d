"""Statistics over the benchmark tables: medians, spread, winners and the cost of tracing."""

from __future__ import annotations

import dataclasses
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from report.inputs.data import Benchmarks
from report.inputs.traces import trace_measures
from report.results.drift import swing
from report.results.intervals import median_interval, ratio_interval

ROUND_READING = re.compile(r"after load round (\d+)")  # the harness's calibration points between load rounds


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
    ci_low: float | None = None  # the median's 95% bootstrap interval (report/intervals.py)
    ci_high: float | None = None
    drift: float = 0.0  # round-to-round range ÷ median after calibration, where rounds and calibration exist

    @property
    def interval(self) -> tuple[float, float]:
        """The median's 95% bootstrap interval: as computed (`with_interval`), or computed now (cached)."""
        if self.ci_low is None or self.ci_high is None:
            return median_interval(self.values)
        return self.ci_low, self.ci_high


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
        """Throughput kept with tracing at one level, per stack: the printed statistic (median traced ÷ median
        untraced req/s) with its 95% bootstrap interval (report/intervals.py's ratio_interval, the interval the
        Reproducibility table prints), each round's paired ratio for the range, and the larger drift of the two series
        it divides (the tie rule's drift half)."""
        out: dict[str, Spread] = {}
        for (variant, c, sid), traced in self.load.items():
            base = self.load.get(("baseline", c, sid))
            if variant != "otel" or c != level or base is None:
                continue
            base_runs = dict(base.rps_by_run)
            ratios = [rps / base_runs[run] for run, rps in traced.rps_by_run if run in base_runs]
            if ratios:
                low, high = ratio_interval(traced.rps.values, base.rps.values)
                kept = traced.rps.median / base.rps.median
                # the ratio moves with either series: its drift after calibration is the larger of theirs, so the
                # tie rule's drift half applies to "kept" as to the throughputs it is made of
                drift = max(traced.rps.drift, base.rps.drift)
                out[sid] = dataclasses.replace(spread(ratios), median=kept, ci_low=low, ci_high=high, drift=drift)
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


def with_interval(s: Spread) -> Spread:
    """The spread with its median's bootstrap interval filled in, as the results JSON gives it. Only the report's
    compared figures get one up front (a bootstrap per ladder rate would cost a build seconds); any other spread
    computes its interval when a comparison asks (`Spread.interval`)."""
    low, high = median_interval(s.values)
    return dataclasses.replace(s, ci_low=low, ci_high=high)


def round_drift(by_round: Sequence[tuple[int, float]], calibration: Mapping[int, float]) -> float:
    """How far one stack's figure moved from round to round once the machine's speed is taken out: each round's
    value times that round's calibration reading ÷ the readings' median (a slower machine reads longer), then
    range ÷ median. 0 without two calibrated rounds."""
    rounds = [(r, v) for r, v in by_round if r in calibration]
    if len(rounds) < 2:
        return 0.0
    mid = statistics.median(calibration[r] for r, _ in rounds)
    return swing([v * calibration[r] / mid for r, v in rounds])


def _by_round(group: Any, column: str) -> list[tuple[int, float]]:
    """(round, value) for each run of a throughput.csv group, in file order."""
    return list(zip((int(r) for r in group["run"]), map(float, group[column]), strict=True))


def round_calibration(readings: Iterable[tuple[str, float]]) -> dict[int, float]:
    """The calibration reading after each load round, by round number ('after load round 2' -> 2)."""
    out: dict[int, float] = {}
    for at, ms in readings:
        found = ROUND_READING.fullmatch(at.strip())
        if found:
            out[int(found[1])] = ms
    return out


def quantile(ordered: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile of sorted values (the same rule as pandas' default), worked out on the values'
    decimal text: the median of 50.8 and 50.9 is 50.85, which prints 50.9 half up, where binary arithmetic gives
    50.849999… and 50.8."""
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    a, b = Decimal(repr(float(ordered[low]))), Decimal(repr(float(ordered[high])))
    return float(a + (b - a) * Decimal(repr(position - low)))


def median(values: Iterable[float]) -> float:
    """The median, on the values' decimal text (see `quantile`)."""
    return quantile(sorted(float(v) for v in values), 0.5)


def compute(bench: Benchmarks, stack_ids: Sequence[str]) -> Stats:
    """Summarise every table, keyed by stack id in display order."""
    startup = {
        sid: with_interval(spread(bench.startup.loc[bench.startup["stack"] == sid, "startup_ms"])) for sid in stack_ids
    }
    mem = bench.memory
    idle = {
        sid: with_interval(spread(mem.loc[(mem["stack"] == sid) & (mem["phase"] == "idle"), "rss_mb"]))
        for sid in stack_ids
    }
    load_mem = {
        sid: with_interval(spread(mem.loc[(mem["stack"] == sid) & (mem["phase"] == "load"), "rss_mb"]))
        for sid in stack_ids
    }
    tp = bench.throughput
    tp = tp.loc[tp["endpoint"] == "json"]  # /db rows have their own section (report/results/latency.py)
    load: dict[tuple[str, int, str], LoadPoint] = {}
    cal = bench.environment.calibration
    per_round = round_calibration((r.at, r.ms) for r in cal.readings) if cal is not None else {}
    slower_longer = {r: 1.0 / ms for r, ms in per_round.items() if ms > 0}  # latency: the calibration divides
    for key, group in tp.groupby(["variant", "concurrency", "stack"], sort=True):
        variant, level, sid = (str(part) for part in key)
        load[(variant, int(level), sid)] = LoadPoint(
            rps=dataclasses.replace(
                with_interval(spread(group["requests_per_sec"])),
                drift=round_drift(_by_round(group, "requests_per_sec"), per_round),
            ),
            p50=median(group["latency_p50_ms"]),
            p90=median(group["latency_p90_ms"]),
            p99=median(group["latency_p99_ms"]),
            errors=int(group["errors"].sum()),
            # the tie rule's drift half applies to latency too (review 12): each round's p99 with the machine's speed
            # taken out (a slower machine reads a longer p99, so the calibration divides), range ÷ median
            p99_runs=dataclasses.replace(
                with_interval(spread(group["latency_p99_ms"])),
                drift=round_drift(_by_round(group, "latency_p99_ms"), slower_longer),
            ),
            rps_by_run=tuple(sorted(_by_round(group, "requests_per_sec"))),
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
