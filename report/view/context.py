"""What every section of the view model shares: the computed results with the names, areas and level claims
looked up once, and the small formatting helpers the sections have in common."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from report.inputs.config import ReportConfig
from report.inputs.phrases import phrases
from report.inputs.rubric import CategoryResult
from report.results import claims
from report.results.computed import Results
from report.results.findings import Area, calibration_text, day, leader_values, level_claims, measured_areas
from report.results.numbers import fmt, percent, ratio
from report.results.reproduction import Reproduction
from report.results.stats import Spread


@dataclass(frozen=True)
class Context:
    """The results and what each section looks up in them."""

    results: Results
    names: dict[str, str]  # stack id -> display name
    areas: dict[str, Area]
    levels: dict[str, claims.Levels]
    measured_day: str
    calibration: str
    on_machine: str  # "on this machine on <day> (calibration …)"


def context(results: Results) -> Context:
    """Look up once what the sections share."""
    env = results.environment
    measured_day = day(env.measured_at)
    calib = calibration_text(env)
    return Context(
        results=results,
        names={s.id: s.name for s in results.config.stacks},
        areas=measured_areas(results.stats),
        levels=level_claims(results.stats),
        measured_day=measured_day,
        calibration=calib,
        on_machine=(
            phrases().say("on_machine_calibrated", day=measured_day, calibration=calib)
            if calib
            else phrases().say("on_machine", day=measured_day)
        ),
    )


def moved_in_run_b(rep: Reproduction | None, area: Area) -> str:
    """'; 21× in a second run' where the area's headline ratio moved between runs A and B, else '' (review 17: "35×"
    stood alone on the cover and in the chapters while the Reproducibility table marked it moved)."""
    if rep is None or area.standing.tie:
        return ""
    pair = {area.standing.best, area.worst}
    moved = next((r for r in rep.ratios if r.area == area.id and {r.top, r.bottom} == pair and not r.held), None)
    return phrases().say("card_moved", b=ratio(moved.b)) if moved is not None else ""


def headline(ctx: Context, area: Area, levels: claims.Levels | None = None) -> str:
    """An area's one-sentence finding: who leads, with what, and the gap to the last (and run B's ratio where it
    moved); with `levels`, the top level's claim carries the (top-level) figures and what other levels show follows
    them."""
    lead, elsewhere = claims.lead_parts(area.kind, levels, ctx.names) if levels else (area.lead(ctx.names), "")
    found = f"{lead}: {leader_values(area)}; {area.gap(ctx.names, lead)} ({area.text(area.worst)})"
    found += moved_in_run_b(ctx.results.reproduction, area)
    return f"{found}{phrases().say('elsewhere_separator')}{elsewhere}." if elsewhere else f"{found}."


def winner_row(ctx: Context, area: Area) -> dict[str, Any]:
    """An area's headline, leaders and last, as a section's top-level values."""
    names = ctx.names
    return {
        "headline": headline(ctx, area),
        "best": area.leaders(names),
        "best_value": area.text(area.best),
        "worst": names[area.worst],
        "worst_value": area.text(area.worst),
        "ratio": ratio(area.spread_ratio),
    }


def spread_cells(s: Spread, d: int) -> dict[str, str]:
    """A spread of runs as table cells: median, interquartile range, range, runs."""
    return {
        "median": fmt(s.median, d),
        "iqr": f"{fmt(s.q1, d)}–{fmt(s.q3, d)}",
        "range": f"{fmt(s.min, d)}–{fmt(s.max, d)}",
        "n": str(s.n),
    }


def area_titles(results: Results) -> dict[str, str]:
    """Each scored area's title: the measured ones, then the rubric's categories."""
    return {
        "startup": "Startup time",
        "memory": "Memory",
        "throughput": "Throughput",
        **{c.id: c.title for c in results.rubric.categories},
    }


def weights(results: Results) -> list[dict[str, str]]:
    """The areas that count towards the overall score, with their weights."""
    titles = area_titles(results)
    return [{"area": titles[a], "weight": percent(w)} for a, w in results.weights.items() if w > 0]


def mid_sentence(title: str) -> str:
    """A title inside a sentence: 'Deployment simplicity' -> 'deployment simplicity'; 'OpenTelemetry' stays."""
    first = title.split(" ", 1)[0]
    return title if any(c.isupper() for c in first[1:]) else title[:1].lower() + title[1:]


def score_lead(category: CategoryResult, names: Mapping[str, str]) -> str:
    """A rubric area's lead sentence, from its own "Which to choose when" wording where it has one."""
    need = mid_sentence(category.need) if category.need else None
    return claims.score_lead(mid_sentence(category.title), category.scores, names, need)


def stacks_color(cfg: ReportConfig, sid: str) -> str:
    """The colour report.yaml gives a stack."""
    return next(s.color for s in cfg.stacks if s.id == sid)


def versions(cfg: ReportConfig, measured: Mapping[str, str]) -> list[dict[str, str]]:
    """One row per stack in display order (its framework from report.yaml, what was measured from the
    environment), then any other tool the environment lists."""
    rows = [
        {"stack": s.name, "color": s.color, "framework": s.framework, "version": measured.get(s.id, "")}
        for s in cfg.stacks
    ]
    ids = {s.id for s in cfg.stacks}
    rows += [{"stack": k, "color": "", "framework": "", "version": v} for k, v in measured.items() if k not in ids]
    return rows
