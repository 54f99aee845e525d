"""Latency under open-loop load and the /db endpoint: the rate ladder's medians and sustainable throughput.

Whether a stack *sustains* an offered rate is report/sustained.py's rule, the one the harness bisected with:
at least 5 runs where the load generator kept its schedule, each with 100 requests beyond its p99, median p99 at
or under the endpoint's SLO with at most one run over, at least 95% of the requests offered completed and no
errors. Its sustainable throughput is the highest rate sustained with no lower rate missed or load-limited: the
knee of the p99 curve, read conservatively. Where the generator fell behind first, or every rate passed, that
figure is a lower bound (`Knee.bound`): printed as such and never ranked. Data without the runs' request counts
or schedule evidence (files written before issue 19) establishes no sustained rate.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from report.inputs.data import Benchmarks
from report.results.stats import Spread, spread, with_interval
from report.results.sustained import Knee, Run, Verdict, knee, printable, verdict

ENDPOINTS = ("json", "db")
WRK_SATURATED_PCT = 90.0  # wrk at or above this share of its core(s): its peak is the generator's, a bound


@dataclass(frozen=True)
class RatePoint:
    """One offered rate of one stack, variant and endpoint, over its runs."""

    offered: float
    achieved: Spread
    p50: float
    p90: float
    p99: Spread
    p999: float
    errors: float  # median errors per run
    load_limited: bool = False  # in most runs the generator fell behind its schedule: not evidence either way
    runs: tuple[Run, ...] = ()  # each run as report/sustained.py's rule reads it
    # what `runs` are: "knee" (runs of knee length, with any common-rate runs there), "common" (the common rate's runs),
    # "ladder" (the short coarse runs), "" (unknown)
    phase: str = ""
    ladder_runs: tuple[Run, ...] = ()  # where knee runs judge the rate: the short ladder runs set aside

    @property
    def set_aside(self) -> int:
        """Short ladder runs at this rate not counted: its knee runs alone judge it."""
        return len(self.ladder_runs)

    @property
    def short_only(self) -> bool:
        """Whether this rate rests on the coarse ladder's short runs alone (files with a phase column only)."""
        return self.phase == "ladder"

    def verdict(self, slo_ms: float) -> Verdict:
        """The rule's verdict on this rate (report/sustained.py)."""
        return verdict(self.runs, slo_ms)

    def sustained(self, slo_ms: float) -> bool:
        """Whether the rule establishes this rate as sustained."""
        return self.verdict(slo_ms) == "sustained"

    def printable(self, quantile: float) -> bool:
        """Whether every run at this rate has 100 requests beyond the percentile (0.99, 0.999), so it may print."""
        return printable([r.requests for r in self.runs], quantile)


@dataclass(frozen=True)
class Series:
    """The rate ladder of one stack, variant and endpoint, lowest rate first."""

    points: tuple[RatePoint, ...]

    def knee(self, slo_ms: float) -> Knee:
        """Where the knee lies (report/sustained.py's knee over every rate's verdict)."""
        return knee([(p.offered, p.verdict(slo_ms)) for p in self.points])

    def sustainable(self, slo_ms: float) -> RatePoint | None:
        """The highest rate sustained with no lower one missed or limited; None when none is established."""
        rate = self.knee(slo_ms).rate
        return next((p for p in self.points if p.offered == rate), None)

    def provisional(self, slo_ms: float) -> RatePoint | None:
        """Where the knee was left wider than the step, or no rate was established below the first miss: the
        highest rate between the one sustained (or none) and the lowest missed, which passed the runs it got but too
        few to count (None when there is none)."""
        k = self.knee(slo_ms)
        if k.next_rate is None or not (k.coarse() or (k.rate is None and k.end == "unknown")):
            return None
        low, high = k.rate or 0.0, k.next_rate
        return next(
            (
                p
                for p in reversed(self.points)
                if low < p.offered < high
                and p.verdict(slo_ms) == "not_established"
                and all(r.p99_ms <= slo_ms for r in p.runs)  # it passed the runs it got (review 15: 728 had not)
            ),
            None,
        )

    def short_missed(self, slo_ms: float) -> list[RatePoint]:
        """Rates whose short ladder runs sustained them but whose knee runs (longer) missed: why a rate resting on
        the ladder's runs alone may overstate what the stack sustains."""
        return [
            p
            for p in self.points
            if p.ladder_runs and verdict(p.ladder_runs, slo_ms) == "sustained" and p.verdict(slo_ms) == "missed"
        ]

    def capped(self, slo_ms: float) -> bool:
        """Whether the knee was not reached (the generator fell behind first, or every rate passed): a bound."""
        return self.knee(slo_ms).bound

    @property
    def runs(self) -> int:
        """Fewest runs at any rate."""
        return min(p.p99.n for p in self.points)


@dataclass(frozen=True)
class Peak:
    """Closed-loop (wrk) peak of one stack, variant and endpoint: the level with the most requests/s."""

    level: int
    rps: Spread
    p99: float
    bound: bool = False  # wrk was saturated (median CPU ≥ 90 % of its core): the generator's ceiling, not the stack's


@dataclass(frozen=True)
class CommonRate:
    """One endpoint's common-rate runs: every stack offered the same rate, untraced (the harness's last open-loop
    phase), so their tails compare at the same load. Runs where the generator fell behind are left out."""

    offered: float
    p99: Mapping[str, Spread]  # per stack, with its bootstrap interval
    p50: Mapping[str, float]
    runs: Mapping[str, tuple[Run, ...]]
    seconds: tuple[float, ...] = ()  # the runs' planned lengths, shortest first

    def printable(self, stack: str) -> bool:
        """Whether every counted run of `stack` has 100 requests beyond its p99."""
        return printable([r.requests for r in self.runs.get(stack, ())], 0.99)


@dataclass(frozen=True)
class LatencyStats:
    """Everything the latency-under-load and database sections show."""

    slo_ms: Mapping[str, float]
    series: dict[tuple[str, str, str], Series]  # (endpoint, variant, stack)
    peaks: dict[tuple[str, str, str], Peak]  # (endpoint, variant, stack)
    endpoints: list[str]  # endpoints with open-loop data, in ENDPOINTS order
    # (endpoint, variant, concurrency, stack) whose closed-loop figure a saturated wrk set: never ranked
    wrk_bounds: frozenset[tuple[str, str, int, str]] = frozenset()
    # per endpoint: the most CPU wrk used in one closed-loop run (% of its core), and the load core's busiest run
    wrk_load: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    # per endpoint: every stack at one offered rate, untraced (empty for files written before 2026-12-07 21:00)
    common: Mapping[str, CommonRate] = field(default_factory=dict)

    def generator_reach(self, endpoint: str) -> tuple[float, float | None, int] | None:
        """What the runs show of the load generator on an endpoint: the highest rate offered, the lowest rate at
        which it fell behind its schedule in any run (None: it never did), and how many runs it fell behind in.
        Measured in the runs themselves, so no figure the report keeps can lie beyond it unexplained."""
        runs = [
            (p.offered, r.kept_schedule)
            for (e, _v, _s), series in self.series.items()
            if e == endpoint
            for p in series.points
            for r in p.runs
        ]
        if not runs:
            return None
        behind = [rate for rate, kept in runs if not kept]
        return max(rate for rate, _k in runs), (min(behind) if behind else None), len(behind)

    def sustainable(self, endpoint: str, variant: str, stack: str) -> float | None:
        """Sustainable requests/s, 0 when no rate is sustained, None when not measured."""
        series = self.series.get((endpoint, variant, stack))
        if series is None:
            return None
        point = series.sustainable(self.slo_ms[endpoint])
        return point.offered if point else 0.0

    def short_vs_knee(self) -> tuple[int, int]:
        """Over every series: the rates measured both by short ladder runs and by knee runs, and how many of those
        the knee runs missed after the short runs had sustained them."""
        both = sum(1 for series in self.series.values() for p in series.points if p.ladder_runs)
        missed = sum(len(series.short_missed(self.slo_ms[e])) for (e, _v, _s), series in self.series.items())
        return both, missed

    def short_only(self, endpoint: str, variant: str, stack: str) -> bool:
        """Whether the series' sustainable rate rests on the coarse ladder's short runs alone."""
        series = self.series.get((endpoint, variant, stack))
        point = series.sustainable(self.slo_ms[endpoint]) if series is not None else None
        return point is not None and point.short_only

    def short_bound(self, endpoint: str, variant: str, stack: str) -> bool:
        """Whether the search stopped at a bound (the generator's limit or the ladder's top) above a rate that only
        short ladder runs passed: neither a lower bound (longer runs may miss it) nor a measured knee, so no rate
        is established."""
        return self.capped(endpoint, variant, stack) and self.short_only(endpoint, variant, stack)

    def capped(self, endpoint: str, variant: str, stack: str) -> bool:
        """Whether that sustainable rate is a lower bound (the knee was not reached)."""
        series = self.series.get((endpoint, variant, stack))
        return series is not None and series.capped(self.slo_ms[endpoint])

    def knee(self, endpoint: str, variant: str, stack: str) -> Knee | None:
        """The series' knee, None when not measured."""
        series = self.series.get((endpoint, variant, stack))
        return None if series is None else series.knee(self.slo_ms[endpoint])

    def rankable(self, endpoint: str, variant: str, stacks: Sequence[str]) -> bool:
        """Whether the stacks' sustainable rates may be ranked: every one a measured knee, none a bound.

        A lower bound cannot be ranked against anything (its stack may lie anywhere above it), and a rate not
        established is no figure at all; then no stack is best on this measure.
        """
        knees = [self.knee(endpoint, variant, s) for s in stacks]
        return bool(knees) and all(k is not None and k.rate is not None and not k.bound for k in knees)

    def has_db(self) -> bool:
        """Whether throughput.csv has /db rows."""
        return any(e == "db" for e, _, _ in self.peaks)


def _runs(group: pd.DataFrame, duration_s: float | None) -> tuple[Run, ...]:
    """The rule's view of each run. Files from before issue 19 lack `requests` and the generator's /proc readings:
    the request count is then achieved × the method's run length (oha's own count, less the unanswered), and a
    run without CPU readings kept its schedule only as far as its load_limited flag says."""
    n = len(group)

    def column(name: str, default: float) -> list[float]:
        if name not in group:
            return [default] * n
        return [default if pd.isna(v) else float(v) for v in group[name].astype("float64").tolist()]

    achieved = column("achieved_rps", 0.0)
    recorded = column("requests", float("nan"))
    requests = [
        r if not math.isnan(r) else (a * duration_s if duration_s else 0.0)
        for a, r in zip(achieved, recorded, strict=True)
    ]
    out = [
        Run(offered, done, p99, errors, count, limited != 1)
        for offered, done, p99, errors, count, limited in zip(
            column("offered_rps", 0.0),
            achieved,
            column("latency_p99_ms", 0.0),
            column("errors", 0.0),
            requests,
            column("load_limited", 0.0),
            strict=True,
        )
    ]
    return tuple(out)


def rate_points(rows: pd.DataFrame, duration_s: float | None = None) -> tuple[RatePoint, ...]:
    """Medians over runs per offered rate, lowest rate first; where a rate has knee runs, only those count."""
    points = []
    for offered, group in sorted(rows.groupby("offered_rps"), key=lambda item: float(str(item[0]))):
        phase, set_aside = ("ladder" if "phase" in group else ""), group.iloc[0:0]
        # runs of knee length, and the common rate's (each long enough for 100 requests beyond p99), judge their
        # rate; the short ladder runs there are set aside
        longer = group["phase"].isin(["knee", "common"]) if "phase" in group else None
        if longer is not None and longer.any():
            set_aside, group = group[~longer], group[longer]
            phase = "knee" if (group["phase"] == "knee").any() else "common"
        points.append(
            RatePoint(
                offered=float(str(offered)),
                achieved=spread(group["achieved_rps"]),
                p50=float(group["latency_p50_ms"].median()),
                p90=float(group["latency_p90_ms"].median()),
                p99=spread(group["latency_p99_ms"]),
                p999=float(group["latency_p999_ms"].median()),
                errors=float(group["errors"].median()),
                load_limited=bool(group["load_limited"].sum() * 2 > len(group)),
                runs=_runs(group, duration_s),
                phase=phase,
                ladder_runs=_runs(set_aside, duration_s),
            )
        )
    return tuple(points)


def peaks(throughput: pd.DataFrame) -> dict[tuple[str, str, str], Peak]:
    """The closed-loop peak per endpoint, variant and stack: the concurrency level with the highest median."""
    out: dict[tuple[str, str, str], Peak] = {}
    for key, rows in throughput.groupby(["endpoint", "variant", "stack"], sort=True):
        endpoint, variant, stack = (str(k) for k in key)
        best: Peak | None = None
        for level, group in rows.groupby("concurrency", sort=True):
            candidate = Peak(
                int(str(level)),
                with_interval(spread(group["requests_per_sec"])),  # the tie rule reads its interval
                float(group["latency_p99_ms"].median()),
                load_saturated(group),
            )
            if best is None or candidate.rps.median > best.rps.median:
                best = candidate
        assert best is not None
        out[(endpoint, variant, stack)] = best
    return out


def wrk_bounds(throughput: pd.DataFrame) -> set[tuple[str, str, int, str]]:
    """(endpoint, variant, concurrency, stack) whose closed-loop figure the load side set (`load_saturated`): wrk's
    median CPU, or the load core's busy share, at least WRK_SATURATED_PCT. Such a requests/s is the generator's
    ceiling, a lower bound of the stack's: the comparisons (report/claims.py, report/findings.py) must not rank
    it. Empty for files without those columns (written before issue 19): nothing is known, nothing is flagged."""
    out: set[tuple[str, str, int, str]] = set()
    for key, group in throughput.groupby(["endpoint", "variant", "concurrency", "stack"], sort=True):
        endpoint, variant, level, stack = (str(k) for k in key)
        if load_saturated(group):
            out.add((endpoint, variant, int(level), stack))
    return out


def wrk_load(throughput: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Per endpoint, the most CPU wrk used in any closed-loop run (% of one core) and the load core's busiest run
    (wrk, the span receiver, the harness): what the Methodology prints beside the rule `load_saturated` applies.
    Empty for files without those columns (written before issue 19)."""
    if not {"generator_cpu_pct", "load_core_busy_pct"} <= set(throughput.columns):
        return {}
    out: dict[str, tuple[float, float]] = {}
    for endpoint, group in throughput.groupby("endpoint", sort=True):
        cpu = group["generator_cpu_pct"].astype("float64").dropna()
        busy = group["load_core_busy_pct"].astype("float64").dropna()
        if len(cpu) and len(busy):
            out[str(endpoint)] = (float(cpu.max()), float(busy.max()))
    return out


def load_saturated(runs: pd.DataFrame) -> bool:
    """Whether the load side set these closed-loop runs' figure: wrk's median CPU, or the load core's median busy
    share (wrk, and on traced runs the span receiver beside it), at or above WRK_SATURATED_PCT. Columns a file
    lacks (written before they were measured) say nothing either way."""
    for column in ("generator_cpu_pct", "load_core_busy_pct"):
        if column not in runs:
            continue
        values = [float(v) for v in runs[column].astype("float64").tolist() if not pd.isna(v)]
        if values and statistics.median(values) >= WRK_SATURATED_PCT:
            return True
    return False


def compute(bench: Benchmarks, slo_ms: Mapping[str, float], stack_ids: Sequence[str]) -> LatencyStats:
    """The ladder's medians and the closed-loop peaks, for stacks in display order."""
    series: dict[tuple[str, str, str], Series] = {}
    ol = bench.environment.method.open_loop
    duration_s = ol.duration_s if ol else None
    lat = bench.latency
    common_rows = lat[lat["phase"] == "common"] if "phase" in lat else lat.iloc[0:0]
    if len(lat):
        for key, rows in lat.groupby(["endpoint", "variant", "stack"], sort=True):
            endpoint, variant, stack = (str(k) for k in key)
            if stack in stack_ids:
                series[(endpoint, variant, stack)] = Series(rate_points(rows, duration_s))
    endpoints = [e for e in ENDPOINTS if any(k[0] == e for k in series)]
    bounds = frozenset(wrk_bounds(bench.throughput))
    common = {
        str(endpoint): common_rate(rows, duration_s, stack_ids) for endpoint, rows in common_rows.groupby("endpoint")
    }
    return LatencyStats(
        dict(slo_ms),
        series,
        peaks(bench.throughput),
        endpoints,
        bounds,
        wrk_load(bench.throughput),
        {e: c for e, c in common.items() if c.p99},
    )


def common_rate(rows: pd.DataFrame, duration_s: float | None, stack_ids: Sequence[str]) -> CommonRate:
    """The common-rate runs of one endpoint: per stack, p99 over the runs where the generator kept its schedule
    (a run where it fell behind is evidence of nothing), with its bootstrap interval."""
    offered = float(rows["offered_rps"].max())
    p99: dict[str, Spread] = {}
    p50: dict[str, float] = {}
    runs: dict[str, tuple[Run, ...]] = {}
    for stack in stack_ids:
        mine = rows[(rows["stack"] == stack) & (rows["offered_rps"] == offered)]
        counted = _runs(mine, duration_s)
        kept = mine[[r.kept_schedule for r in counted]]
        if not len(kept):
            continue
        p99[stack] = with_interval(spread(kept["latency_p99_ms"]))
        p50[stack] = float(kept["latency_p50_ms"].median())
        runs[stack] = tuple(r for r in counted if r.kept_schedule)
    seconds = tuple(sorted({float(v) for v in rows["duration_s"].dropna()})) if "duration_s" in rows else ()
    return CommonRate(offered, p99, p50, runs, seconds)
