"""Where the bisection towards the knee goes next, from the ladder's rows so far (report/sustained.py's rule)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from report.results.sustained import Run, Verdict, verdict


class LadderRow(Protocol):
    """What the bisection reads of a ladder run (report/bench/openloop.py's LadderRow)."""

    @property
    def offered_rps(self) -> int: ...
    @property
    def achieved_rps(self) -> float: ...
    @property
    def latency_p99_ms(self) -> float: ...
    @property
    def errors(self) -> int: ...
    @property
    def requests(self) -> int: ...
    @property
    def load_limited(self) -> int: ...
    @property
    def phase(self) -> str: ...


def _runs(rows: Sequence[LadderRow]) -> list[Run]:
    return [
        Run(
            float(r.offered_rps),
            r.achieved_rps,
            r.latency_p99_ms,
            float(r.errors),
            float(r.requests),
            not r.load_limited,
        )
        for r in rows
    ]


def rate_verdicts(rows: Sequence[LadderRow], slo_ms: float) -> dict[int, Verdict]:
    """Each offered rate's verdict: from its knee runs where it has them, else from its coarse runs."""
    out: dict[int, Verdict] = {}
    for rate in sorted({r.offered_rps for r in rows}):
        at = [r for r in rows if r.offered_rps == rate]
        knee_runs = [r for r in at if r.phase == "knee"]
        out[rate] = verdict(_runs(knee_runs or at), slo_ms)
    return out


def next_knee_rate(rows: Sequence[LadderRow], slo_ms: float, step_pct: float) -> int | None:
    """The next rate to measure with knee runs, or None when the knee is found (or lies beyond the machine).

    Walking up the rates (report/sustained.py's knee): a rate missed or limited ends the walk. While the highest
    rate below it that passed and the failing one are more than `step_pct` apart, their geometric middle; then the
    passing rate itself, when only the short coarse runs measured it (they can pass by luck). A limited end is the
    machine's limit: nothing above it is measured.
    """
    verdicts = rate_verdicts(rows, slo_ms)
    knee_measured = {r.offered_rps for r in rows if r.phase == "knee"}
    passing: int | None = None
    failing: int | None = None
    for rate, v in sorted(verdicts.items()):
        if v == "limited":
            return None
        if v == "missed":
            failing = rate
            break
        passing = rate  # sustained, or not established (too short to judge by p99 alone)
    if passing is None or failing is None:
        return None  # nothing passes, or every rate offered passed: the knee lies above the ladder
    middle = round(math.sqrt(passing * failing))
    if failing > passing * (1 + step_pct / 100.0) and passing < middle < failing:
        return middle
    # the bracket is narrow enough: confirm a passing rate only the short coarse runs measured (budget allowing)
    return passing if passing not in knee_measured else None
