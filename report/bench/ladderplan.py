"""The open-loop ladder's plan and rows: the offered rates (shares of each stack's closed-loop peak), the knee
search's run lengths and time budget, and one latency.csv row per run (report/bench/openloop.py runs them)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from report.bench.errors import BenchError
from report.bench.oha import OhaResult, ProcCost
from report.results.sustained import KNEE_MIN_S, KNEE_STEP_PCT, TAIL_SAMPLES, kept_schedule

# Coarse steps of at most 43 % above half the peak, so three bisection steps reach 5 % (1.43 ** (1 / 8) < 1.05);
# the top rung is the closed-loop peak, where knee-length runs nearly always miss
FULL_LADDER_PCT = (25, 50, 70, 100)
QUICK_LADDER_PCT = (50, 100)
# A run is load-limited when the generator could not keep to its schedule (report/sustained.py's kept_schedule):
# it used nearly a whole core, or its threads waited for a CPU a quarter of the run (other work on the load core:
# PostgreSQL, the receiver, anything else on the machine), so the load side, not the service, would decide the
# figure. oha's JSON report has no schedule-lag figure of its own (with --latency-correction a late send shows as
# latency, the same as server queueing), so /proc is the evidence. The report counts such runs neither way.
RETRY_BUDGET = 10  # re-measured coarse points per endpoint's ladder when the load core was contended
DRAIN_S = 0.4  # planned allowance per point for the last responses to come back
START_S = 1.0  # planned allowance for a fresh server to start and answer
VARIANTS = ("baseline", "otel")
KNEE_MIN_REQUESTS = round(TAIL_SAMPLES / 0.01)  # a knee run long enough for 100 requests beyond its p99
# runs after which an exploring knee step with none over the SLO (or one limited) is decided: one, since the step only
# places the bracket (the rate printed is topped up to all its runs), and a second run per step left most knees wide
# in the 7 December 05:17 run
EXPLORE_RUNS = 1


@dataclass(frozen=True)
class LadderPlan:
    """How the latency ladder runs."""

    ladder_pct: tuple[float, ...]
    runs: int
    warmup_s: int
    duration_s: float
    variants: tuple[str, ...] = ("baseline", "otel")  # also the variants /db is measured in
    retry_budget: int = RETRY_BUDGET  # rates measured again per endpoint when the load core was contended
    knee_runs: int = 5  # runs per rate while bisecting towards the knee (0: no bisection)
    knee_duration_s: float = KNEE_MIN_S  # shortest knee run; longer at slow rates (KNEE_MIN_REQUESTS, up to the max)
    knee_max_duration_s: float = 20.0
    knee_warmup_s: float = 1.0
    knee_step_pct: float = KNEE_STEP_PCT  # bisect until the passing and the failing rate are this close
    knee_budget_s: float = 127.0  # bisection time per series (stack, variant, endpoint), pooled per endpoint
    # one offered rate for every stack per endpoint, untraced (tail latency compared like for like, open loop):
    # `common_runs` runs each, at least `common_min_s` and long enough for 100 requests beyond p99, at most
    # `common_max_s` (what the plan counts)
    common_runs: int = 5
    common_min_s: float = 3.0
    common_max_s: float = 7.0

    def coarse_seconds(self) -> float:
        """Planned time of one series' coarse ladder: a fresh server per run, every rate."""
        return self.runs * (START_S + self.warmup_s + len(self.ladder_pct) * (self.duration_s + DRAIN_S))

    def knee_run_s(self, rate: float) -> float:
        """Length of one knee run at `rate`: long enough for 100 requests beyond p99, within the bounds."""
        wanted = math.ceil(10 * KNEE_MIN_REQUESTS / max(rate, 1.0)) / 10  # to the tenth of a second, up
        return min(self.knee_max_duration_s, max(self.knee_duration_s, wanted))

    def knee_step_seconds(self, rate: float) -> float:
        """Planned time of one bisection step at `rate`: `knee_runs` fresh servers, warm-up, one run each."""
        return self.knee_runs * (START_S + self.knee_warmup_s + self.knee_run_s(rate) + DRAIN_S)

    def common_run_s(self, rate: float) -> float:
        """Length of one run at the common rate: 100 requests beyond p99 where the bounds allow."""
        wanted = math.ceil(10 * KNEE_MIN_REQUESTS / max(rate, 1.0)) / 10
        return min(self.common_max_s, max(self.common_min_s, wanted))

    def common_seconds(self, stacks: int) -> float:
        """Planned time of one endpoint's common-rate runs: a fresh server, warm-up, one run of at most
        `common_max_s` each."""
        return stacks * self.common_runs * (START_S + self.knee_warmup_s + self.common_max_s + DRAIN_S)

    def seconds(self, series: int) -> float:
        """Planned time for `series` ladders (stack × variant × endpoint), contention retries and the common-rate
        runs included.

        The bisection never starts a step that would overrun `knee_budget_s`, so this is an upper bound of the
        ladders' measuring time, not a guess.
        """
        knee = self.knee_budget_s if self.knee_runs else 0.0
        endpoints = max(1, math.ceil(series / 6))  # retry budgets are per endpoint; 6 series per endpoint
        retries = self.retry_budget * (self.duration_s + DRAIN_S) * endpoints
        stacks = max(1, series // (endpoints * len(self.variants)))
        common = self.common_seconds(stacks) * endpoints if self.common_runs else 0.0
        return series * (self.coarse_seconds() + knee) + retries + common


@dataclass
class LadderRow:
    """One open-loop run at one offered rate, with what the load side cost."""

    stack: str
    variant: str
    endpoint: str
    offered_rps: int
    run: int
    achieved_rps: float  # 2xx responses / oha's measured run time (first request due to last response)
    latency_p50_ms: float
    latency_p90_ms: float
    latency_p99_ms: float
    latency_p999_ms: float
    errors: int  # non-2xx responses, timeouts and connection errors
    timeouts: int
    requests: int  # requests oha sent and recorded (due ones it could not send before the deadline are not)
    generator_cpu_pct: float  # oha's own CPU time (utime + stime) as a share of one core over its run
    generator_cpu_us_per_request: float  # the same CPU time per recorded request
    load_core_busy_pct: float  # how busy the load core(s) were: generator, receiver, PostgreSQL, harness
    runqueue_wait_pct: float  # share of the run oha's threads waited for a CPU (summed over threads)
    load_limited: int  # 1 when the generator could not keep to its schedule (report/sustained.py)
    duration_s: float = 0.0  # the run's planned length (oha -z)
    # "ladder": the coarse ladder; "knee": a bisection step near the knee; "common": the rate every stack is offered
    phase: str = "ladder"


# 5 runs of 4 rates, 1.5 s each after a 1 s warm-up, then 10-20 s knee runs, 127 s per series pooled per endpoint, then
# 5 runs of 3-7 s per stack at the common rate: what fits the 60-minute budget on two cores
# (tests/bench/test_openloop.py proves the arithmetic)
FULL_LADDER = LadderPlan(FULL_LADDER_PCT, runs=5, warmup_s=1, duration_s=1.5)
# the smoke run: baseline only, two rates of half a second, one run, no re-measured rates, one short knee step
# (never shipped)
QUICK_LADDER = LadderPlan(
    QUICK_LADDER_PCT,
    runs=1,
    warmup_s=0,
    duration_s=0.5,
    variants=("baseline",),
    retry_budget=0,
    knee_runs=1,
    knee_duration_s=0.5,
    knee_max_duration_s=0.5,
    knee_warmup_s=0,
    knee_step_pct=50.0,
    knee_budget_s=2.0,
    common_runs=1,
    common_min_s=0.5,
    common_max_s=0.5,
)


def ladder(peak_rps: float, ladder_pct: Sequence[float]) -> list[int]:
    """Offered rates for a peak: each share of it rounded to a whole request per second, at least 1, no repeats."""
    if peak_rps <= 0:
        raise BenchError(f"cannot build a rate ladder from a peak of {peak_rps:g} requests/s")
    return sorted({max(1, round(peak_rps * pct / 100.0)) for pct in ladder_pct})


def peak_by_series(rows: Sequence[tuple[str, str, str, int, float]]) -> dict[tuple[str, str, str], float]:
    """(endpoint, variant, stack) -> the highest median requests/s over concurrency levels, from closed-loop runs.

    `rows` are (endpoint, variant, stack, concurrency, requests_per_sec), one per run.
    """
    by_level: dict[tuple[str, str, str, int], list[float]] = {}
    for endpoint, variant, stack, level, rps in rows:
        by_level.setdefault((endpoint, variant, stack, level), []).append(rps)
    peaks: dict[tuple[str, str, str], float] = {}
    for (endpoint, variant, stack, _), values in by_level.items():
        key = (endpoint, variant, stack)
        peaks[key] = max(peaks.get(key, 0.0), _median(values))
    return peaks


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


COMMON_PCT = (50.0, 25.0)  # the slowest stack's rungs the common rate is taken from, the first its runs passed


def common_rate(
    endpoint: str,
    stacks: Sequence[str],
    peaks: dict[tuple[str, str, str], float],
    p99_at: Callable[[str, int], float | None],
    slo_ms: float,
) -> int:
    """The offered rate every stack gets on `endpoint` for the like-for-like tail: a rung of the slowest stack's
    untraced ladder (lowest closed-loop peak), half its peak where its coarse runs there kept p99 within the SLO
    (`p99_at(stack, rate)`: their median), else a quarter. Every stack then answers the same load, and the slowest
    is not past its knee, where p99 would measure the queue's growth over the run rather than the service."""
    slowest = min(stacks, key=lambda s: peaks[(endpoint, "baseline", s)])
    peak = peaks[(endpoint, "baseline", slowest)]
    rates = [max(1, round(peak * pct / 100.0)) for pct in COMMON_PCT]
    for rate in rates:
        p99 = p99_at(slowest, rate)
        if p99 is not None and p99 <= slo_ms:
            return rate
    return rates[-1]


def make_row(
    stack: str, variant: str, endpoint: str, rate: int, run: int, r: OhaResult, cost: ProcCost, busy: float
) -> LadderRow:
    """One latency.csv row from oha's report and what its process cost."""
    wall = max(cost.wall_s, 1e-9)
    cpu = round(100.0 * cost.cpu_s / wall, 1)
    rq = round(100.0 * cost.runqueue_s / wall, 1)
    return LadderRow(
        stack,
        variant,
        endpoint,
        rate,
        run,
        round(r.achieved_rps, 1),
        round(r.p50_ms, 3),
        round(r.p90_ms, 3),
        round(r.p99_ms, 3),
        round(r.p999_ms, 3),
        r.errors,
        r.timeouts,
        r.requests,
        cpu,
        round(1e6 * cost.cpu_s / r.requests, 1) if r.requests else 0.0,
        round(busy, 1),
        rq,
        int(load_limited(cpu, rq)),
    )


def load_limited(generator_cpu_pct: float, runqueue_wait_pct: float) -> bool:
    """Whether the generator, not the service, would decide a run's p99."""
    return not kept_schedule(generator_cpu_pct, runqueue_wait_pct)
