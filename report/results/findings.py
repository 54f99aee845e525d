"""The findings: each measured area's runs, who comes first under the tie rule, and the headline figures.

Ratios and rankings lead (they reproduce between machines); absolute times and rates are given as this machine's
on the day, beside the calibration figure when the run recorded one.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from report.inputs.data_schema import Environment as BenchEnvironment
from report.inputs.phrases import phrases
from report.results import claims, drift
from report.results.claims import Standing, standing
from report.results.numbers import decimals_for, fmt, join_names, percent, ratio
from report.results.stats import Spread, Stats

if TYPE_CHECKING:
    from report.results.latency import LatencyStats

MEMORY_UNIT = "MiB"  # memory is measured in binary units (/proc reports KiB) and labelled as such everywhere


@dataclass
class Area:
    """A measured area: its runs per stack, the standing under the tie rule, and formatted figures."""

    id: str
    title: str
    unit: str
    lower_is_better: bool
    spreads: dict[str, Spread]
    decimals: int
    kind: str = ""
    # the one load level the figures come from when the run measured several: the gap names it, so a ratio from the
    # top level never reads as holding at every level the lead does (review 7: "12×" under "50 and 100")
    level: int | None = None
    standing: Standing = field(init=False)

    def __post_init__(self) -> None:
        self.standing = standing(self.spreads, self.lower_is_better)
        self.kind = self.kind or self.id

    @property
    def values(self) -> dict[str, float]:
        """Median per stack."""
        return {sid: s.median for sid, s in self.spreads.items()}

    @property
    def order(self) -> list[str]:
        """Best median first."""
        return list(self.standing.order)

    @property
    def best(self) -> str:
        """Id of the best median (a winner only when the standing is not a tie)."""
        return self.standing.best

    @property
    def worst(self) -> str:
        """Id of the worst stack."""
        return self.standing.worst

    @property
    def spread_ratio(self) -> float:
        """How many times better the best median is than the worst."""
        a, b = self.values[self.best], self.values[self.worst]
        return b / a if self.lower_is_better else a / b

    def text(self, sid: str) -> str:
        """Formatted value with unit."""
        return f"{fmt(self.values[sid], self.decimals)} {self.unit}"

    def lead(self, names: Mapping[str, str]) -> str:
        """The claim about who comes first, tie rule applied."""
        return claims.lead(self.kind, self.standing, names)

    def gap(self, names: Mapping[str, str], after: str = "") -> str:
        """The best against the worst, tie rule applied, at its load level when the run measured several (unless
        `after`, the claim it follows, already names that level)."""
        said = claims.gap(self.kind, self.standing, self.spreads, names)
        if self.level is None or claims.say("level", levels=str(self.level)) in after:
            return said
        return claims.say("gap_at_level", gap=said, level=str(self.level))

    def leaders(self, names: Mapping[str, str]) -> str:
        """'Go', or 'Go and Bun' when their ranges overlap."""
        return claims.group([names[s] for s in self.standing.leaders])


def measured_areas(stats: Stats) -> dict[str, Area]:
    """The measured areas with the runs each is judged on (throughput and latency at the top level)."""
    top = stats.top_level
    level = top if len(stats.levels) > 1 else None
    rps = {sid: p.rps for (v, c, sid), p in stats.load.items() if v == "baseline" and c == top}
    p99 = {
        sid: stats.load[("baseline", top, sid)].p99_runs or point_spread(stats.load[("baseline", top, sid)].p99)
        for sid in rps
    }
    mem_d = decimals_for(
        [*(s.median for s in stats.memory_idle.values()), *(s.median for s in stats.memory_load.values())]
    )
    return {
        "startup": Area(
            "startup",
            "Startup time",
            "ms",
            True,
            dict(stats.startup),
            decimals_for(s.median for s in stats.startup.values()),
        ),
        "memory": Area("memory", "Memory under load", MEMORY_UNIT, True, dict(stats.memory_load), mem_d),
        "memory_idle": Area("memory_idle", "Memory at idle", MEMORY_UNIT, True, dict(stats.memory_idle), mem_d),
        "throughput": Area("throughput", "Throughput", "req/s", False, rps, 0, level=level),
        "latency": Area(
            "latency", "p99 latency", "ms", True, p99, decimals_for(s.median for s in p99.values()), level=level
        ),
    }


def common_area(lat: LatencyStats | None, endpoint: str, stack_ids: Sequence[str]) -> Area | None:
    """p99 of every stack at the endpoint's common offered rate (open loop, untraced), as a measured area under the
    tie rule (bootstrap intervals: the five runs per stack take turns within a few minutes, so there is no round
    drift to add); None without common-rate runs, or when a stack's p99 rests on too few requests to print."""
    common = lat.common.get(endpoint) if lat is not None else None
    if common is None:
        return None
    have = [s for s in stack_ids if s in common.p99]
    if len(have) < 2 or not all(common.printable(s) for s in have):
        return None
    spreads = {s: common.p99[s] for s in have}
    decimals = decimals_for([v for sp in spreads.values() for v in (sp.median, *sp.interval)])
    return Area(f"common_{endpoint}", "p99 at one offered rate", "ms", True, spreads, decimals, kind="latency")


def point_spread(value: float) -> Spread:
    """A single value as a spread (a level whose p99 has no per-run values)."""
    return Spread(value, value, value, value, value, 1, (value,))


def level_claims(stats: Stats) -> dict[str, claims.Levels]:
    """Throughput, p99 latency and throughput kept with tracing, at every load level."""
    baseline = {sid for (v, _c, sid) in stats.load if v == "baseline"}
    out = {
        "throughput": claims.across(
            {c: {sid: stats.load[("baseline", c, sid)].rps for sid in baseline} for c in stats.levels}, False
        ),
        "latency": claims.across(
            {
                c: {
                    sid: stats.load[("baseline", c, sid)].p99_runs or point_spread(stats.load[("baseline", c, sid)].p99)
                    for sid in baseline
                }
                for c in stats.levels
            },
            True,
        ),
    }
    kept = {c: stats.kept_runs(c) for c in stats.levels}
    if all(kept.values()):
        out["kept"] = claims.across(kept, False)
        out["cost"] = claims.across(kept, True)
    return out


def day(measured_at: object) -> str:
    day = getattr(measured_at, "date", lambda: measured_at)()
    return f"{day.day} {day:%B %Y}" if hasattr(day, "day") else str(day)


def calibration_summary(env: BenchEnvironment) -> tuple[float, float] | None:
    """The reference workload's median time (ms) over the run and its range as a share of that median."""
    cal = env.calibration
    if cal is None or not cal.readings:
        return None
    values = [r.ms for r in cal.readings]
    median = statistics.median(values)
    return median, (max(values) - min(values)) / median


def calibration_text(env: BenchEnvironment) -> str:
    """'412 ms reference workload, ±3% through the run', or '' when the run recorded no calibration."""
    summary = calibration_summary(env)
    if summary is None:
        return ""
    median, swing = summary
    return phrases().say("calibration", median=fmt(median, decimals_for([median])), range=percent(swing))


def drift_flags(env: BenchEnvironment, stats: Stats, names: Mapping[str, str]) -> list[str]:
    """Drift the harness flagged, and the changepoint test run here on startup (runs in order) when it did not."""
    found = list(env.drift)
    if not any("startup time" in flag for flag in found):
        series = {names[sid]: values for sid, values in stats.startup_by_run.items() if sid in names}
        found += drift.flags(series, phrases().text["drift_startup"])
    return found


def leader_values(area: Area) -> str:
    leaders = area.standing.leaders
    if len(leaders) > claims.MAX_NAMED:
        return f"{area.text(leaders[0])} to {area.text(leaders[-1])}"
    return join_names([area.text(s) for s in leaders])


def tie_note(area: Area) -> str:
    return "a tie: within confidence intervals or drift; " if area.standing.tie else ""


def big_ratio(area: Area, names: Mapping[str, str], on_machine: str, lv: claims.Levels | None = None) -> dict[str, str]:
    """A headline figure that reproduces on other machines: the ratio, with the absolute values as this run's."""
    st = area.standing
    times = claims.times(st, area.spreads)
    # the figures are the top level's: they follow its claim, and what other levels show comes after them
    lead, elsewhere = claims.lead_parts(area.kind, lv, names) if lv is not None else (area.lead(names), "")
    values = f"{leader_values(area)} against {area.text(area.worst)} {on_machine}"
    if elsewhere:
        values = f"{values}{phrases().say('elsewhere_separator')}{elsewhere}"
    if times is None:  # no separated gap to state: the figure is the leaders' value
        number, _, unit = area.text(area.best).partition(" ")
        return {"number": number, "unit": unit, "label": lead, "detail": values}
    return {
        "number": ratio(times),
        "unit": "",
        "label": f"{lead}: {area.gap(names)}",
        "detail": values,
    }


def big_memory(area: Area, names: Mapping[str, str]) -> dict[str, str]:
    """Memory reproduces across machines of one architecture: the absolute figure leads."""
    _number, _, unit = area.text(area.best).partition(" ")
    return {
        "number": fmt(area.values[area.best], area.decimals),
        "unit": unit,
        "label": area.lead(names),
        "detail": f"{area.gap(names)} ({area.text(area.worst)}); peak resident memory while serving load",
    }
