"""The rule for "sustained": which open-loop runs count, and what they must show, in one place.

Both the harness (report/bench/openloop.py, which bisects towards the knee with it) and the report
(report/latency.py, which prints the knee) judge an offered rate with `verdict`, so the rate the harness settles on
is the rate the report prints. Pure functions of numbers: no pandas, no I/O.

A run *counts* only when the load generator kept its schedule (its CPU and its threads' run-queue wait stayed
under the limits below, read from /proc while it ran). A rate is

- ``sustained`` when at least MIN_RUNS counted runs exist, each has at least TAIL_SAMPLES requests beyond its p99,
  the median p99 is at or under the SLO, at most MAX_OVER of them went over it, the median run completed at least
  COMPLETED_SHARE of what was offered and the median run had no errors;
- ``missed`` when the counted runs already decide against it: more than MAX_OVER over the SLO, or the median over
  it, short on completions, or erroring (a miss needs no minimum number of runs: it is never a claim in a stack's
  favour);
- ``limited`` when it is neither and the generator fell behind in some run: no evidence either way, and
  the machine's limit, not the service's, ends the search;
- ``not_established`` otherwise: too few runs, or too few requests beyond the p99 to read it.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

MIN_RUNS = 5  # counted runs a sustained rate needs
MAX_OVER = 1  # of them, at most this many may go over the SLO
# achieved / offered in the median run: requests unanswered when a run ends are in no percentile, so at most 1 %
# (review 15: at 5 % the slowest requests could fall out of a p99 unseen)
COMPLETED_SHARE = 0.99
KNEE_STEP_PCT = 5.0  # the harness bisects until the passing and the failing rate are this close
KNEE_MIN_S = 10.0  # the shortest run the harness makes near the knee
TAIL_SAMPLES = 100  # requests a run needs beyond a percentile to print (or judge by) that percentile
GENERATOR_LIMIT_PCT = 90.0  # oha's CPU as a share of one core at or above which it is behind its schedule
RUNQUEUE_LIMIT_PCT = 25.0  # share of the run oha's threads waited for a CPU at or above which it is behind

Verdict = Literal["sustained", "missed", "limited", "not_established"]


@dataclass(frozen=True)
class Run:
    """One open-loop run at one offered rate, as the rule reads it."""

    offered: float
    achieved: float
    p99_ms: float
    errors: float
    requests: float  # recorded requests (answered or failed)
    kept_schedule: bool


def kept_schedule(generator_cpu_pct: float, runqueue_wait_pct: float) -> bool:
    """Whether the generator kept its schedule: under the CPU limit and the run-queue wait limit."""
    return generator_cpu_pct < GENERATOR_LIMIT_PCT and runqueue_wait_pct < RUNQUEUE_LIMIT_PCT


def tail_samples(requests: float, quantile: float) -> float:
    """Requests beyond the `quantile` (0.99 for p99) in a run of `requests`."""
    return requests * (1.0 - quantile)


def printable(requests: Sequence[float], quantile: float) -> bool:
    """Whether a percentile may be printed: every run has at least TAIL_SAMPLES requests beyond it."""
    return bool(requests) and all(tail_samples(n, quantile) >= TAIL_SAMPLES - 1e-9 for n in requests)


def verdict(runs: Sequence[Run], slo_ms: float) -> Verdict:
    """How the runs at one rate judge it (see the module's docstring)."""
    counted = [r for r in runs if r.kept_schedule]
    if counted:
        over = sum(1 for r in counted if r.p99_ms > slo_ms)
        median_p99 = statistics.median(r.p99_ms for r in counted)
        completed = statistics.median(r.achieved / r.offered for r in counted)
        errors = statistics.median(r.errors for r in counted)
        if over > MAX_OVER or errors > 0 or completed < COMPLETED_SHARE:
            return "missed"
        if len(counted) >= MIN_RUNS and median_p99 > slo_ms:
            return "missed"
    if len(counted) < len(runs):
        return "limited"
    if len(counted) < MIN_RUNS or not printable([r.requests for r in counted], 0.99):
        return "not_established"
    return "sustained"


def decided(runs: Sequence[Run], slo_ms: float, explore_runs: int) -> bool:
    """Whether an exploring knee step may stop: more runs could not change what the search does next.

    Decided when it is already missed for good (more than MAX_OVER counted runs over the SLO: further runs only
    add to that count), or after `explore_runs` runs when none went over (it passes for the search's purposes,
    and is topped up to MIN_RUNS if it becomes the printed rate) or the generator fell behind in one (a limited
    rate ends the search).
    """
    counted = [r for r in runs if r.kept_schedule]
    over = sum(1 for r in counted if r.p99_ms > slo_ms)
    if over > MAX_OVER:
        return True
    if len(runs) < explore_runs:
        return False
    return over == 0 or len(counted) < len(runs)


@dataclass(frozen=True)
class Knee:
    """Where a ladder's knee lies: the highest sustained rate and what ends the search above it.

    `end` is "missed" (a measured knee: the next rate up missed), "limited" (the generator fell behind first: the
    knee lies beyond this machine's limit), "top" (every rate offered passed: the knee lies above the ladder),
    "none" (the lowest rate already missed) or "unknown" (no rate established, none missed below the first miss).
    """

    rate: float | None  # the highest rate sustained with no lower rate missed or limited
    end: Literal["missed", "limited", "top", "none", "unknown"]
    next_rate: float | None  # the rate that ended the search (missed or limited), when there is one

    def coarse(self, step_pct: float = KNEE_STEP_PCT) -> bool:
        """Whether the search stopped before narrowing a measured knee to `step_pct` (the harness's bisection
        criterion): the knee lies between `rate` and `next_rate`."""
        return (
            self.end == "missed"
            and self.rate is not None
            and self.next_rate is not None
            and self.next_rate > self.rate * (1 + step_pct / 100.0)
        )

    @property
    def bound(self) -> bool:
        """Whether `rate` is only a lower bound (the knee was not reached): never ranked."""
        return self.end in ("limited", "top")


def knee(rates: Sequence[tuple[float, Verdict]]) -> Knee:
    """The knee of a ladder from each rate's verdict, walking up from the lowest rate.

    A rate not established (too few runs or tail samples, typically the short low rates of the coarse ladder) does
    not end the walk, and is not the answer either; a missed or limited rate ends it.
    """
    best: float | None = None
    unsure = False
    for rate, v in sorted(rates):
        if v == "limited":
            return Knee(best, "limited", rate)
        if v == "missed":
            if best is not None:
                return Knee(best, "missed", rate)
            return Knee(None, "unknown" if unsure else "none", rate)
        if v == "sustained":
            best = rate
        else:
            unsure = True
    return Knee(best, "top", None) if best is not None else Knee(None, "unknown", None)
