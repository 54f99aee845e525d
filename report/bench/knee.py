"""Where the bisection towards the knee goes next, from the ladder's rows so far (report/sustained.py's rule)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from report.results.sustained import Run, Verdict, verdict

DOWN_LIMIT = 8  # below the lowest coarse rate, the downward search goes at most to this fraction of it
# each downward step offers this share of the rate that missed: a knee-length miss of the lowest coarse rate most often
# lies just above the knee, so a quarter down brackets it more tightly than halving
DOWN_STEP = 0.75


class LadderRow(Protocol):
    """What the bisection reads of a ladder run (report/bench/ladderplan.py's LadderRow)."""

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


def runs_of(rows: Sequence[LadderRow]) -> list[Run]:
    """The rule's view of ladder rows (report/sustained.py's Run)."""
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


def knee_counts(rows: Sequence[LadderRow]) -> Counter[int]:
    """Knee runs made so far per offered rate."""
    return Counter(r.offered_rps for r in rows if r.phase == "knee")


def rate_verdicts(rows: Sequence[LadderRow], slo_ms: float, given_up: Collection[int] = ()) -> dict[int, Verdict]:
    """Each offered rate's verdict: from its knee runs where it has them, else from its coarse runs.

    A rate in `given_up` (an exploring step the time left could not finish: a run over the SLO and no room for the
    runs that would decide it) counts as missed for the search's purposes: it is not explored again, and the rate
    below it is the one topped up. The report judges it by its runs alone (not established).
    """
    out: dict[int, Verdict] = {}
    for rate in sorted({r.offered_rps for r in rows}):
        at = [r for r in rows if r.offered_rps == rate]
        knee_runs = [r for r in at if r.phase == "knee"]
        out[rate] = "missed" if rate in given_up else verdict(runs_of(knee_runs or at), slo_ms)
    return out


@dataclass(frozen=True)
class KneeStep:
    """The next bisection step: a rate and how many knee runs it may take.

    An exploring step (`confirm` False) ends early once it is decided either way (report/bench/openloop.py's
    `step_done`); a confirming step tops the highest passing rate up to the full `knee_runs`, since only that
    rate is printed.
    """

    rate: int
    runs: int
    confirm: bool


def next_knee_rate(
    rows: Sequence[LadderRow], slo_ms: float, step_pct: float, knee_runs: int = 5, given_up: Collection[int] = ()
) -> KneeStep | None:
    """The next rate to measure with knee runs, or None when the knee is found (or lies beyond the machine).

    Walking up the rates (report/sustained.py's knee): a rate missed or limited ends the walk. While the highest
    rate below it that passed and the failing one are more than `step_pct` apart, their geometric middle; then the
    passing rate itself, topped up to `knee_runs` knee runs (the short coarse runs, or an exploring step's first
    runs, can pass by luck). When the lowest rate measured already missed, three quarters of it (DOWN_STEP), down to
    1/DOWN_LIMIT of the coarse ladder's lowest rate. A limited end is the machine's limit: nothing above it is
    measured, and the rate below it (like a top of the ladder that passed) is measured at knee length and topped up,
    as the bound printed. Rates in `given_up` count as missed (`rate_verdicts`).
    """
    verdicts = rate_verdicts(rows, slo_ms, given_up)
    knee_count = knee_counts(rows)
    passing: int | None = None
    failing: int | None = None
    for rate, v in sorted(verdicts.items()):
        if v == "limited":
            # the machine's limit ends the search, but a rate below it passed by short ladder runs alone is
            # still measured at knee length: it is the bound the report prints
            return _bound(passing, knee_count, knee_runs)
        if v == "missed":
            failing = rate
            break
        passing = rate  # sustained, or not established (too short to judge by p99 alone)
    if failing is None:
        # every rate offered passed: the ladder ends at the closed-loop peak, and a short run can pass a rate that
        # knee-length runs miss, so the top rate is measured with knee runs before the knee is placed above it
        return _bound(max(verdicts, default=None), knee_count, knee_runs)
    if passing is None:  # the lowest rate measured already missed: look below it
        coarse = [r.offered_rps for r in rows if r.phase != "knee"]
        floor = min(coarse, default=failing) / DOWN_LIMIT
        down = round(failing * DOWN_STEP)
        return KneeStep(down, knee_runs, False) if down >= max(1.0, floor) and down not in verdicts else None
    if not knee_count.get(passing):
        # a rate passed by short ladder runs alone: knee-length runs often miss it, and bisecting above a false
        # pass wastes every step, so it is measured at knee length first (its runs count towards its top-up)
        return KneeStep(passing, knee_runs, False)
    middle = round(math.sqrt(passing * failing))
    if failing > passing * (1 + step_pct / 100.0) and passing < middle < failing:
        return KneeStep(middle, knee_runs, False)
    # the bracket is narrow enough: top the passing rate up to the full knee runs (budget allowing)
    have = knee_count.get(passing, 0)
    return KneeStep(passing, knee_runs - have, True) if have < knee_runs else None


def _bound(rate: int | None, knee_count: Counter[int], knee_runs: int) -> KneeStep | None:
    """Where the search ends at a bound (the machine's limit, or the top of the ladder) above `rate`: `rate` measured
    at knee length (an exploring step first, since short runs can pass what longer runs miss), then topped up to
    `knee_runs` runs, since it is the figure printed."""
    have = knee_count.get(rate, 0) if rate is not None else knee_runs
    if rate is None or have >= knee_runs:
        return None
    return KneeStep(rate, knee_runs, False) if have == 0 else KneeStep(rate, knee_runs - have, True)


def confirm_step(
    rows: Sequence[LadderRow], slo_ms: float, knee_runs: int = 5, given_up: Collection[int] = ()
) -> KneeStep | None:
    """The top-up of the highest rate that passed so far without the full `knee_runs` knee runs, if any: what the
    search must still spend for that rate to be printed from runs of knee length (the harness does it first when
    time runs short). Short ladder runs can pass a rate that longer runs miss, so a rate sustained on the ladder
    alone is topped up too."""
    passing: int | None = None
    for rate, v in sorted(rate_verdicts(rows, slo_ms, given_up).items()):
        if v in ("limited", "missed"):
            break
        passing = rate
    have = knee_counts(rows)[passing] if passing is not None else knee_runs
    return KneeStep(passing, knee_runs - have, True) if passing is not None and have < knee_runs else None
