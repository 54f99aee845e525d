"""Drift through a run: a changepoint test on a series of runs in the order they were made.

A shared virtual machine changes speed under the guest, invisibly: the same run can hold two clusters of
results, and a median that sits in the gap between them describes neither. The test looks for the split of the
series into an early and a late part that separates them best; it flags drift when the two parts barely
interleave (rank separation) and their medians differ by more than a noise-sized shift. Pure functions: the
harness runs them on what it just measured, the report on the data files it is given; each says it in its own
wording.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from report.results.numbers import decimals_for, fmt, percent

MIN_SEGMENT = 4  # runs on each side of a split: fewer cannot show a cluster
MIN_SHIFT = 0.15  # medians must differ by 15% of the smaller one: less is within a shared machine's noise
MIN_SEPARATION = 0.8  # 1 = every early run on one side of every late run; 0 = fully interleaved


@dataclass(frozen=True)
class Drift:
    """A split of a run series into an early and a late part that differ."""

    split: int  # the late part starts at this 0-based index
    early_median: float
    late_median: float
    separation: float
    shift: float  # |early − late| ÷ the smaller median
    n: int  # runs in the series

    def runs(self, first_run: int = 1) -> tuple[str, str]:
        """'1–8' and '9–20' for a series numbered from `first_run`."""
        return f"{first_run}–{first_run + self.split - 1}", f"{first_run + self.split}–{first_run + self.n - 1}"


def _separation(early: Sequence[float], late: Sequence[float]) -> float:
    # Mann–Whitney's statistic as a share of pairs, folded so 1 means the parts do not interleave at all
    above = sum((a > b) + 0.5 * (a == b) for a in early for b in late)
    auc = above / (len(early) * len(late))
    return abs(auc - 0.5) * 2


def changepoint(
    values: Sequence[float],
    min_segment: int = MIN_SEGMENT,
    min_shift: float = MIN_SHIFT,
    min_separation: float = MIN_SEPARATION,
) -> Drift | None:
    """The best early/late split of a series in run order, if it shows drift; None for one cluster."""
    n = len(values)
    best: Drift | None = None
    best_cost = 0.0
    for k in range(min_segment, n - min_segment + 1):
        early, late = values[:k], values[k:]
        e, lt = statistics.median(early), statistics.median(late)
        low = min(e, lt)
        shift = abs(e - lt) / low if low > 0 else 0.0
        candidate = Drift(k, e, lt, _separation(early, late), shift, n)
        # the best-separated split; among equals, the one whose parts sit tightest around their medians
        cost = sum(abs(v - e) for v in early) + sum(abs(v - lt) for v in late)
        if best is None or (candidate.separation, -cost) > (best.separation, -best_cost):
            best, best_cost = candidate, cost
    if best is None or best.separation < min_separation or best.shift < min_shift:
        return None
    return best


def halves(values: Sequence[float]) -> tuple[float, float]:
    """Medians of the first and second half of a series (the middle run, if any, left out)."""
    half = len(values) // 2
    return statistics.median(values[:half]), statistics.median(values[len(values) - half :])


def swing(values: Sequence[float]) -> float:
    """Range ÷ median: how far a calibration series moved through the run."""
    return (max(values) - min(values)) / statistics.median(values) if values else 0.0


def figures(label: str, found: Drift) -> dict[str, str]:
    """What a drift sentence says, formatted: the series, its two parts' runs and medians, and how far apart."""
    early, late = found.runs()
    d = decimals_for([found.early_median, found.late_median])
    return {
        "label": label,
        "early": early,
        "late": late,
        "early_median": fmt(found.early_median, d),
        "late_median": fmt(found.late_median, d),
        "shift": percent(found.shift),
    }


def flags(series: Mapping[str, Sequence[float]], template: str) -> list[str]:
    """One sentence per series (e.g. per stack) that drifted, in the caller's wording: a str.format template over
    `figures`' names (the report's from templates/phrases.yaml, the harness's from report/bench/notes.yaml).
    The series are in run order, numbered from 1."""
    out = []
    for label, values in series.items():
        found = changepoint(values)
        if found is not None:
            out.append(template.format(**figures(label, found)))
    return out
