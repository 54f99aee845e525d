"""Latency under open-loop load and the /db endpoint: the rate ladder's medians and sustainable throughput.

A stack *sustains* an offered rate when, in the median run, its p99 stays at or under the endpoint's SLO, it
completes at least 95% of the requests offered, and no request fails. Its sustainable throughput is the highest
rate of the ladder it sustains together with every lower rate: the knee of the p99 curve, read conservatively
(a lucky point above a failing one does not count). Zero when even the lowest rate fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from report.inputs.data import Benchmarks
from report.results.stats import Spread, spread

ENDPOINTS = ("json", "db")
COMPLETED_SHARE = 0.95  # achieved / offered a sustained rate needs


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

    def sustained(self, slo_ms: float) -> bool:
        """p99 within the SLO, nearly every offered request completed, none failed (medians over runs)."""
        return self.p99.median <= slo_ms and self.achieved.median >= COMPLETED_SHARE * self.offered and self.errors == 0


@dataclass(frozen=True)
class Series:
    """The rate ladder of one stack, variant and endpoint, lowest rate first."""

    points: tuple[RatePoint, ...]

    def sustainable(self, slo_ms: float) -> RatePoint | None:
        """The highest point sustained together with every lower one; None when the lowest already fails.

        The walk also stops at a load-limited point (see `capped`): the rates above it were not measured fairly.
        """
        best = None
        for point in self.points:
            if point.load_limited or not point.sustained(slo_ms):
                break
            best = point
        return best

    def capped(self, slo_ms: float) -> bool:
        """Whether the walk stopped at a load-limited rate, so the sustainable rate is only a lower bound."""
        for point in self.points:
            if point.load_limited:
                return True
            if not point.sustained(slo_ms):
                return False
        return False

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


@dataclass(frozen=True)
class LatencyStats:
    """Everything the latency-under-load and database sections show."""

    slo_ms: Mapping[str, float]
    series: dict[tuple[str, str, str], Series]  # (endpoint, variant, stack)
    peaks: dict[tuple[str, str, str], Peak]  # (endpoint, variant, stack)
    endpoints: list[str]  # endpoints with open-loop data, in ENDPOINTS order

    def sustainable(self, endpoint: str, variant: str, stack: str) -> float | None:
        """Sustainable requests/s, 0 when no rate is sustained, None when not measured."""
        series = self.series.get((endpoint, variant, stack))
        if series is None:
            return None
        point = series.sustainable(self.slo_ms[endpoint])
        return point.offered if point else 0.0

    def capped(self, endpoint: str, variant: str, stack: str) -> bool:
        """Whether that sustainable rate is a lower bound (the next rate up was load-limited)."""
        series = self.series.get((endpoint, variant, stack))
        return series is not None and series.capped(self.slo_ms[endpoint])

    def has_db(self) -> bool:
        """Whether throughput.csv has /db rows."""
        return any(e == "db" for e, _, _ in self.peaks)


def rate_points(rows: pd.DataFrame) -> tuple[RatePoint, ...]:
    """Medians over runs per offered rate, lowest rate first."""
    points = []
    for offered, group in sorted(rows.groupby("offered_rps"), key=lambda item: float(str(item[0]))):
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
                int(str(level)), spread(group["requests_per_sec"]), float(group["latency_p99_ms"].median())
            )
            if best is None or candidate.rps.median > best.rps.median:
                best = candidate
        assert best is not None
        out[(endpoint, variant, stack)] = best
    return out


def compute(bench: Benchmarks, slo_ms: Mapping[str, float], stack_ids: Sequence[str]) -> LatencyStats:
    """The ladder's medians and the closed-loop peaks, for stacks in display order."""
    series: dict[tuple[str, str, str], Series] = {}
    lat = bench.latency
    if len(lat):
        for key, rows in lat.groupby(["endpoint", "variant", "stack"], sort=True):
            endpoint, variant, stack = (str(k) for k in key)
            if stack in stack_ids:
                series[(endpoint, variant, stack)] = Series(rate_points(rows))
    endpoints = [e for e in ENDPOINTS if any(k[0] == e for k in series)]
    return LatencyStats(dict(slo_ms), series, peaks(bench.throughput), endpoints)
