"""The view model and HTML: computed results turned into plain, formatted values for the Jinja templates."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup

from report import claims, latency_view
from report.config import ReportConfig
from report.data_schema import Environment as BenchEnvironment
from report.errors import InputError, Problem, display_path
from report.findings import (
    MEMORY_UNIT,
    Area,
    big_memory,
    big_ratio,
    calibration_text,
    day,
    drift_flags,
    leader_values,
    level_claims,
    measured_areas,
    tie_note,
)
from report.latency import LatencyStats
from report.numbers import decimals_for, fmt, join_names, percent, ratio
from report.rubric import MEASURED_AREAS, CategoryResult, Rubric, score_of
from report.scoring import Robustness
from report.stats import Spread, Stats, ranking

TEMPLATE = "report.html.j2"
PAGE_SIZES = {"a4": "A4", "letter": "Letter"}
PAGE_HEIGHTS = {"a4": "297mm", "letter": "279.4mm"}  # the full-bleed cover fills exactly one page


@dataclass(frozen=True)
class Chart:
    """A chart's file name and the words that go with it."""

    file: str
    alt: str
    caption: str
    source: str


@dataclass(frozen=True)
class Results:
    """Everything computed for the report, before formatting."""

    config: ReportConfig
    environment: BenchEnvironment
    stats: Stats
    rubric: Rubric
    categories: list[CategoryResult]
    area_scores: dict[str, dict[str, float]]
    overall: dict[str, float]
    weights: dict[str, float]
    robustness: Robustness | None = None
    latency: LatencyStats | None = None


def facts(results: Results) -> dict[str, str]:
    """Every figure copy may use as a {placeholder}, formatted as the report prints it."""
    cfg, stats = results.config, results.stats
    names = {s.id: s.name for s in cfg.stacks}
    out: dict[str, str] = {
        "stacks.count": str(len(cfg.stacks)),
        "stacks.names": join_names([s.name for s in cfg.stacks]),
        "report.edition": cfg.edition,
        "report.title": cfg.title,
        "brand.name": cfg.brand.name,
        "brand.series": cfg.brand.series or cfg.brand.name,
        "throughput.level": str(stats.top_level),
        "env.runs": str(results.environment.method.runs),
        "env.duration_s": f"{results.environment.method.duration_s:g}",
        "env.warmup_s": f"{results.environment.method.warmup_s:g}",
        "env.cores": str(results.environment.machine.cores),
        "env.levels": join_names([str(c) for c in stats.levels]),
        "env.load_tool": results.environment.load_tool,
    }
    areas = measured_areas(stats)
    for key, area in areas.items():
        out[f"{key}.best"] = area.leaders(names)
        out[f"{key}.lead"] = area.lead(names)
        out[f"{key}.gap"] = area.gap(names)
        out[f"{key}.worst"] = names[area.worst]
        out[f"{key}.best_value"] = area.text(area.best)
        out[f"{key}.worst_value"] = area.text(area.worst)
        out[f"{key}.ratio"] = ratio(area.spread_ratio)
        for sid in area.values:
            out[f"{key}.{sid}"] = area.text(sid)
    for key, lv in level_claims(stats).items():  # measured at several loads: the claim names where it holds
        out[f"{key}.lead"] = claims.lead_at_levels(key, lv, names)
    out["memory.order_under_load"] = claims.same_order(areas["memory_idle"].standing, areas["memory"].standing, names)
    for sid, kept in stats.otel_cost().items():
        out[f"otel_cost.{sid}"] = percent(kept)
    out.update(latency_view.facts(cfg, results.latency))
    for category in results.categories:
        order = ranking(category.scores, lower_is_better=False)
        out[f"{category.id}.best"] = names[order[0]]
        out[f"{category.id}.lead"] = claims.score_lead(_mid_sentence(category.title), category.scores, names)
        out[f"{category.id}.worst"] = names[order[-1]]
        for sid, score in category.scores.items():
            out[f"{category.id}.{sid}"] = fmt(score, 2)
    overall_order = ranking(results.overall, lower_is_better=False)
    out["overall.best"] = names[overall_order[0]]
    out["overall.best_score"] = fmt(results.overall[overall_order[0]], 2)
    for sid, score in results.overall.items():
        out[f"overall.{sid}"] = fmt(score, 2)
    return out


def _spread_cells(s: Spread, d: int) -> dict[str, str]:
    return {
        "median": fmt(s.median, d),
        "iqr": f"{fmt(s.q1, d)}–{fmt(s.q3, d)}",
        "range": f"{fmt(s.min, d)}–{fmt(s.max, d)}",
        "n": str(s.n),
    }


def view_model(
    results: Results,
    copy: Mapping[str, Markup],
    charts: Mapping[str, Chart],
    *,
    page_size: str,
    logo_uri: str,
    font_faces: Sequence[Mapping[str, str]],
    link: Callable[[str], str] = lambda url: url,
) -> dict[str, Any]:
    """Plain values for the templates; templates format nothing and compute nothing."""
    cfg, stats, env = results.config, results.stats, results.environment
    stacks = [{"id": s.id, "name": s.name, "framework": s.framework, "color": s.color} for s in cfg.stacks]
    names = {s.id: s.name for s in cfg.stacks}
    areas = measured_areas(stats)
    f = facts(results)
    scale = results.rubric.scale

    lv = level_claims(stats)
    measured_day = day(env.measured_at)
    calib = calibration_text(env)
    on_machine = f"on this machine on {measured_day}" + (f" (calibration {calib})" if calib else "")

    def headline(area: Area, lead: str | None = None) -> str:
        return f"{lead or area.lead(names)}: {leader_values(area)}; {area.gap(names)} ({area.text(area.worst)})."

    def winner_row(area: Area) -> dict[str, Any]:
        return {
            "headline": headline(area),
            "best": area.leaders(names),
            "best_value": area.text(area.best),
            "worst": names[area.worst],
            "worst_value": area.text(area.worst),
            "ratio": ratio(area.spread_ratio),
        }

    startup_d = areas["startup"].decimals
    mem_d = areas["memory"].decimals
    startup_rows = [
        {"stack": names[sid], "color": stacks_color(cfg, sid), **_spread_cells(stats.startup[sid], startup_d)}
        for sid in areas["startup"].order
    ]
    memory_rows = [
        {
            "stack": names[sid],
            "color": stacks_color(cfg, sid),
            "idle": _spread_cells(stats.memory_idle[sid], mem_d),
            "load": _spread_cells(stats.memory_load[sid], mem_d),
        }
        for sid in areas["memory"].order
    ]
    lat_values = [v for p in stats.load.values() for v in (p.p50, p.p90, p.p99)]
    lat_d = decimals_for(lat_values)
    throughput_groups = []
    for level in stats.levels:
        rps = stats.rps_at("baseline", level)
        rows = []
        for sid in ranking(rps, lower_is_better=False):
            p = stats.load[("baseline", level, sid)]
            rows.append(
                {
                    "stack": names[sid],
                    "color": stacks_color(cfg, sid),
                    "rps": fmt(p.rps.median, 0),
                    "range": f"{fmt(p.rps.min, 0)}–{fmt(p.rps.max, 0)}",
                    "p50": fmt(p.p50, lat_d),
                    "p90": fmt(p.p90, lat_d),
                    "p99": fmt(p.p99, lat_d),
                    "errors": fmt(p.errors, 0),
                    "n": str(p.rps.n),
                }
            )
        throughput_groups.append({"level": level, "rows": rows})
    otel_rows = []
    # its own decimals: borrowing the whole latency table's (set by sub-millisecond p50s) printed 1,434.895
    otel_d = decimals_for(
        [stats.load[(v, stats.top_level, sid)].p99 for v in ("baseline", "otel") for sid in stats.otel_cost()]
    )
    cost = stats.otel_cost()
    for sid in ranking(cost, lower_is_better=False):
        base = stats.load[("baseline", stats.top_level, sid)]
        traced = stats.load[("otel", stats.top_level, sid)]
        otel_rows.append(
            {
                "stack": names[sid],
                "color": stacks_color(cfg, sid),
                "baseline": fmt(base.rps.median, 0),
                "otel": fmt(traced.rps.median, 0),
                "kept": percent(cost[sid]),
                "p99_base": fmt(base.p99, otel_d),
                "p99_otel": fmt(traced.p99, otel_d),
            }
        )

    categories = []
    for category, result in zip(results.rubric.categories, results.categories, strict=True):
        order = ranking(result.scores, lower_is_better=False)
        criteria = []
        for criterion in category.criteria:
            rubric_rows: list[dict[str, Any]] = []
            for sid in order:
                entry = criterion.scores[sid]
                measured = [
                    _measure_text(m, *stats.evidence[(sid, m)])
                    for m in criterion.measures
                    if (sid, m) in stats.evidence
                ]
                rubric_rows.append(
                    {
                        "stack": names[sid],
                        "color": stacks_color(cfg, sid),
                        "score": str(score_of(entry)),
                        "meaning": criterion.levels.get(score_of(entry), ""),
                        "evidence": entry.evidence,
                        "measured": measured,
                    }
                )
            criteria.append(
                {
                    "id": criterion.id,
                    "title": criterion.title,
                    "weight": percent(criterion.weight),
                    "rows": rubric_rows,
                    "levels": [{"score": str(k), "meaning": v} for k, v in sorted(criterion.levels.items())],
                }
            )
        categories.append(
            {
                "id": category.id,
                "title": category.title,
                "summary": category.summary or "",
                "best": names[order[0]],
                "best_score": fmt(result.scores[order[0]], 2),
                "worst": names[order[-1]],
                "worst_score": fmt(result.scores[order[-1]], 2),
                "scores": [
                    {"stack": names[s], "color": stacks_color(cfg, s), "score": fmt(result.scores[s], 2)} for s in order
                ],
                "criteria": criteria,
                "chart": charts[f"score-{category.id}"],
                "copy": copy[category.id],
            }
        )

    overall_order = ranking(results.overall, lower_is_better=False)
    area_titles = {
        "startup": "Startup time",
        "memory": "Memory",
        "throughput": "Throughput",
        **{c.id: c.title for c in results.rubric.categories},
    }
    weights = [{"area": area_titles[a], "weight": percent(w)} for a, w in results.weights.items() if w > 0]
    winners = {
        "startup": areas["startup"].best,
        "memory": areas["memory"].best,
        "throughput": areas["throughput"].best,
        "latency": areas["latency"].best,
        **{c.id: ranking(c.scores, lower_is_better=False)[0] for c in results.categories},
        "overall": overall_order[0],
    }
    leading = {key: set(area.standing.leaders) for key, area in areas.items()}  # a tie marks every leader
    scorecard = []
    for s in cfg.stacks:
        sid = s.id
        scorecard.append(
            {
                "stack": s.name,
                "color": s.color,
                "cells": [
                    {"text": fmt(areas["startup"].values[sid], startup_d), "win": sid in leading["startup"]},
                    {"text": fmt(stats.memory_idle[sid].median, mem_d), "win": sid in leading["memory_idle"]},
                    {"text": fmt(areas["memory"].values[sid], mem_d), "win": sid in leading["memory"]},
                    {"text": fmt(areas["throughput"].values[sid], 0), "win": sid in leading["throughput"]},
                    {
                        "text": fmt(areas["latency"].values[sid], areas["latency"].decimals),
                        "win": sid in leading["latency"],
                    },
                    *latency_view.scorecard_cells(results.latency, sid),
                    *[{"text": fmt(c.scores[sid], 2), "win": winners[c.id] == sid} for c in results.categories],
                    {"text": fmt(results.overall[sid], 2), "win": winners["overall"] == sid},
                ],
            }
        )
    scorecard_columns = [
        "Startup (ms)",
        f"Memory idle ({MEMORY_UNIT})",
        f"Memory under load ({MEMORY_UNIT})",
        f"Throughput, /json at {stats.top_level} (req\u2060/\u2060s)",  # word joiners: the unit never wraps
        f"p99, /json at {stats.top_level} (ms)",
        *latency_view.scorecard_columns(results.latency),
        *[_short_title(c.title) for c in results.rubric.categories],
        f"Overall ({scale.min}–{scale.max})",
    ]
    big = [big_ratio(areas["startup"], names, on_machine), big_memory(areas["memory"], names)]
    big.append(big_ratio(areas["throughput"], names, on_machine, lv["throughput"]))
    if cost and "cost" in lv:
        worst = lv["cost"].top
        big.append(
            {
                "number": percent(cost[worst.best]),
                "unit": "",
                "label": f"of {names[worst.best]}'s throughput survives tracing"
                + (f", a tie with {claims.group([names[s] for s in worst.leaders[1:]])}" if worst.tie else ""),
                "detail": f"{claims.lead_at_levels('cost', lv['cost'], names)}",
            }
        )
    choose = [
        {
            "need": "Fast cold starts (scale-to-zero, Lambda, autoscaling)",
            "stack": areas["startup"].leaders(names),
            "why": f"{tie_note(areas['startup'])}median startup {leader_values(areas['startup'])}",
        },
        {
            "need": "Small memory footprint (dense packing, small instances)",
            "stack": areas["memory"].leaders(names),
            "why": f"{tie_note(areas['memory'])}{leader_values(areas['memory'])} under load",
        },
        {
            "need": "Most requests per core",
            "stack": areas["throughput"].leaders(names),
            "why": f"{claims.lead_at_levels('throughput', lv['throughput'], names)}",
        },
        {
            "need": "Lowest tail latency",
            "stack": areas["latency"].leaders(names),
            "why": f"{claims.lead_at_levels('latency', lv['latency'], names)}; p99 {leader_values(areas['latency'])}",
        },
        *[
            {
                "need": c.need or f"Best {_mid_sentence(c.title)}",
                "stack": claims.group(
                    [
                        names[s]
                        for s in ranking(r.scores, False)
                        if round(r.scores[s], 2) == round(max(r.scores.values()), 2)
                    ]
                ),
                "why": f"weighted score {fmt(max(r.scores.values()), 2)} of {scale.max}",
            }
            for c, r in zip(results.rubric.categories, results.categories, strict=True)
        ],
    ]
    measured_at = env.measured_at
    return {
        "report": {
            "title": cfg.title,
            "subtitle": cfg.subtitle,
            "edition": cfg.edition,
            "published": f"{cfg.published.day} {cfg.published:%B %Y}",
            "published_iso": cfg.published.isoformat(),
            "author": cfg.author,
            "byline": cfg.author != cfg.brand.name,  # the cover names the author once, not twice
            "lang": cfg.lang,
            "brand": {
                "name": cfg.brand.name,
                "primary": cfg.brand.primary_color,
                "accent": cfg.brand.accent_color,
                "logo": logo_uri,
                "website": link(cfg.brand.website),
                "website_text": cfg.brand.website.split("://", 1)[-1].rstrip("/"),
                "series": cfg.brand.series or "",
                "footer": f"{cfg.brand.name} · {cfg.brand.series}" if cfg.brand.series else cfg.brand.name,
            },
            "cta": {"text": cfg.cta.text, "url": link(cfg.cta.url), "url_text": cfg.cta.url.split("://", 1)[-1]},
            "stack_names": join_names([s.name for s in cfg.stacks]),
        },
        "page_size": PAGE_SIZES[page_size],
        "page_height": PAGE_HEIGHTS[page_size],
        "sample": env.sample,
        "fonts": list(font_faces),
        "stacks": stacks,
        "copy": copy,
        "glance": {
            "chart": charts["overall"],
            "big": big,
            "columns": scorecard_columns,
            "rows": scorecard,
            "weights": weights,
            "verdict": {
                "best": f["overall.best"],
                "score": f["overall.best_score"],
                "scale_max": str(scale.max),
                "runner_up": names[overall_order[1]],
                "runner_up_score": fmt(results.overall[overall_order[1]], 2),
                "robust": percent(results.robustness.wins[overall_order[0]]) if results.robustness else "",
            },
        },
        "env": {
            "measured_at": measured_at.isoformat() if hasattr(measured_at, "isoformat") else str(measured_at),
            "machine": env.machine.model_dump(),
            "load_tool": env.load_tool,
            "method": {
                "runs": env.method.runs,
                "warmup_s": f"{env.method.warmup_s:g}",
                "duration_s": f"{env.method.duration_s:g}",
                "levels": join_names([str(c) for c in stats.levels]),
                "startup_runs": str(min(s.n for s in stats.startup.values())),
            },
            "versions": _versions(cfg, env.versions),
            "notes": env.notes,
            "pinning": env.pinning or "",
            "tracing": env.tracing.model_dump() if env.tracing else None,
            "measured_by": env.measured_by or "",
            "has_otel": bool(cost),
            "calibration": calib,
            "day": measured_day,
            "drift": drift_flags(env, stats, names),
        },
        "startup": {
            **winner_row(areas["startup"]),
            "rows": startup_rows,
            "chart": charts["startup"],
            "drift": [flag for flag in drift_flags(env, stats, names) if "startup time" in flag],
        },
        "memory": {
            **winner_row(areas["memory"]),
            "idle": winner_row(areas["memory_idle"]),
            "rows": memory_rows,
            "chart": charts["memory"],
        },
        "throughput": {
            **winner_row(areas["throughput"]),
            "level": str(stats.top_level),
            "groups": throughput_groups,
            "latency": winner_row(areas["latency"]),
            "headline": headline(areas["throughput"], claims.lead_at_levels("throughput", lv["throughput"], names))
            + " "
            + headline(areas["latency"], claims.lead_at_levels("latency", lv["latency"], names)),
            "chart": charts["throughput"],
            "latency_chart": charts["latency"],
        },
        "latency_load": latency_view.view(cfg, results.latency, charts, stats.evidence, env.method),
        "otel_cost": {"rows": otel_rows, "chart": charts.get("otel-cost"), "level": str(stats.top_level)},
        "categories": categories,
        "choose": choose,
        "scale": {"min": str(scale.min), "max": str(scale.max)},
        "overall": {
            "weights": weights,
            "measured": [{"area": area_titles[a], "rule": RULES[a]} for a in MEASURED_AREAS],
            "rows": [
                {
                    "stack": names[s],
                    "color": stacks_color(cfg, s),
                    "score": fmt(results.overall[s], 2),
                    "areas": [fmt(results.area_scores[a][s], 2) for a in results.weights],
                }
                for s in overall_order
            ],
            "columns": [area_titles[a] for a in results.weights],
            "robustness": _robustness_rows(results, names, area_titles),
        },
    }


RULES = {
    "startup": "median startup time; each stack's range of runs is compared with the fastest stack's",
    "memory": "median peak memory under load (the phase the headline uses); ranges compared with the smallest",
    "throughput": "median requests/s at the highest concurrency; ranges compared with the most requests",
}


def _robustness_rows(results: Results, names: Mapping[str, str], titles: Mapping[str, str]) -> dict[str, Any]:
    rb = results.robustness
    if rb is None:
        return {"rows": [], "samples": "0", "seed": ""}
    order = sorted(rb.wins, key=lambda s: -rb.wins[s])
    rows = [
        {
            "stack": names[s],
            "color": stacks_color(results.config, s),
            "share": "under 1%" if 0 < rb.wins[s] < 0.005 else percent(rb.wins[s]),
            "leaning": (
                "most weightings"
                if rb.wins[s] >= 0.5
                else (_mid_sentence(titles[rb.leaning[s]]) if rb.leaning[s] else "")
            ),
        }
        for s in order
    ]
    return {"rows": rows, "samples": fmt(rb.samples, 0), "seed": str(rb.seed)}


def _measure_text(measure: str, value: float, unit: str) -> str:
    # the unit is printed, so a name's unit suffix would only repeat it ("artifact size mb: 4.3 MiB")
    name = measure
    for suffix in ("_mb", "_pct", "_per_req"):
        name = name.removesuffix(suffix)
    name = name.replace("_", " ").replace("otel ", "OTel ")
    if unit == "bool":
        return f"{name}: {'yes' if value else 'no'}"
    if unit == "ratio":
        return f"{name}: {percent(value)}"
    if unit == "%":  # one way to print a percentage in the whole report
        return f"{name}: {percent(value / 100)}"
    number = fmt(value, 0) if float(value).is_integer() else fmt(value, decimals_for([value]))
    return f"{name}: {number}{(' ' + unit) if unit else ''}"


def _mid_sentence(title: str) -> str:
    """A title inside a sentence: 'Deployment simplicity' -> 'deployment simplicity'; 'OpenTelemetry' stays."""
    first = title.split(" ", 1)[0]
    return title if any(c.isupper() for c in first[1:]) else title[:1].lower() + title[1:]


def _versions(cfg: ReportConfig, versions: Mapping[str, str]) -> list[dict[str, str]]:
    """One row per stack in display order (its framework from report.yaml, what was measured from the
    environment), then any other tool the environment lists."""
    rows = [
        {"stack": s.name, "color": s.color, "framework": s.framework, "version": versions.get(s.id, "")}
        for s in cfg.stacks
    ]
    ids = {s.id for s in cfg.stacks}
    rows += [{"stack": k, "color": "", "framework": "", "version": v} for k, v in versions.items() if k not in ids]
    return rows


def _short_title(title: str) -> str:
    return {"OpenTelemetry integration complexity": "OTel score", "Deployment simplicity": "Deploy score"}.get(
        title, title
    )


def stacks_color(cfg: ReportConfig, sid: str) -> str:
    """The colour report.yaml gives a stack."""
    return next(s.color for s in cfg.stacks if s.id == sid)


def jinja_env(templates: Path) -> Environment:
    """The one Jinja environment: autoescaped, strict about undefined names."""
    return Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(templates: Path, model: Mapping[str, Any]) -> str:
    """The report's HTML from the view model; a broken template is reported as file:line, like any input."""
    try:
        return jinja_env(templates).get_template(TEMPLATE).render(**model)
    except TemplateError as exc:
        raise InputError([template_problem(exc, templates)]) from None


def template_problem(exc: TemplateError, templates: Path) -> Problem:
    """A template error as file:line, like an input problem (someone is editing templates/)."""
    import traceback

    from jinja2 import TemplateSyntaxError

    if isinstance(exc, TemplateSyntaxError):
        where = Path(exc.filename) if exc.filename else templates / (exc.name or TEMPLATE)
        return Problem(display_path(where), exc.lineno, "", f"template error: {exc.message}")
    # other errors (an undefined name, a missing include) happen while rendering: Jinja's traceback frames
    # carry the template's file and line
    root = templates.resolve()
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve().is_relative_to(root)]
    where, line = (Path(frames[-1].filename), frames[-1].lineno) if frames else (templates / TEMPLATE, None)
    return Problem(display_path(where), line, "", f"template error: {exc.message or type(exc).__name__}")
