"""The view model and HTML: computed results turned into plain, formatted values for the Jinja templates."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from report.config import ReportConfig
from report.data import Environment as BenchEnvironment
from report.numbers import decimals_for, fmt, join_names, percent, ratio
from report.rubric import MEASURED_AREAS, CategoryResult, Rubric
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


@dataclass
class Area:
    """A measured area's ranking and formatted headline figures."""

    id: str
    title: str
    unit: str
    lower_is_better: bool
    values: dict[str, float]
    decimals: int
    order: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.order = ranking(self.values, self.lower_is_better)

    @property
    def best(self) -> str:
        """Id of the best stack."""
        return self.order[0]

    @property
    def worst(self) -> str:
        """Id of the worst stack."""
        return self.order[-1]

    @property
    def spread_ratio(self) -> float:
        """How many times better the best is than the worst."""
        a, b = self.values[self.best], self.values[self.worst]
        return b / a if self.lower_is_better else a / b

    def text(self, sid: str) -> str:
        """Formatted value with unit."""
        return f"{fmt(self.values[sid], self.decimals)} {self.unit}"


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


def measured_areas(stats: Stats) -> dict[str, Area]:
    """The measured areas with the figure each is judged on."""
    startup = {s: v.median for s, v in stats.startup.items()}
    idle = {s: v.median for s, v in stats.memory_idle.items()}
    load = {s: v.median for s, v in stats.memory_load.items()}
    rps = stats.rps_at("baseline", stats.top_level)
    p99 = {sid: stats.load[("baseline", stats.top_level, sid)].p99 for sid in rps}
    return {
        "startup": Area("startup", "Startup time", "ms", True, startup, decimals_for(startup.values())),
        "memory": Area("memory", "Memory under load", "MB", True, load, decimals_for([*idle.values(), *load.values()])),
        "memory_idle": Area(
            "memory_idle", "Memory at idle", "MB", True, idle, decimals_for([*idle.values(), *load.values()])
        ),
        "throughput": Area("throughput", "Throughput", "req/s", False, rps, 0),
        "latency": Area("latency", "p99 latency", "ms", True, p99, decimals_for(p99.values())),
    }


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
        "throughput.level": str(stats.top_level),
        "env.runs": str(results.environment.method.runs),
        "env.duration_s": f"{results.environment.method.duration_s:g}",
        "env.warmup_s": f"{results.environment.method.warmup_s:g}",
        "env.cores": str(results.environment.machine.cores),
        "env.levels": join_names([str(c) for c in stats.levels]),
        "env.load_tool": results.environment.load_tool,
    }
    for key, area in measured_areas(stats).items():
        out[f"{key}.best"] = names[area.best]
        out[f"{key}.worst"] = names[area.worst]
        out[f"{key}.best_value"] = area.text(area.best)
        out[f"{key}.worst_value"] = area.text(area.worst)
        out[f"{key}.ratio"] = ratio(area.spread_ratio)
        for sid in area.values:
            out[f"{key}.{sid}"] = area.text(sid)
    for sid, kept in stats.otel_cost().items():
        out[f"otel_cost.{sid}"] = percent(kept)
    for category in results.categories:
        order = ranking(category.scores, lower_is_better=False)
        out[f"{category.id}.best"] = names[order[0]]
        out[f"{category.id}.worst"] = names[order[-1]]
        for sid, score in category.scores.items():
            out[f"{category.id}.{sid}"] = f"{score:.2f}"
    overall_order = ranking(results.overall, lower_is_better=False)
    out["overall.best"] = names[overall_order[0]]
    out["overall.best_score"] = f"{results.overall[overall_order[0]]:.2f}"
    for sid, score in results.overall.items():
        out[f"overall.{sid}"] = f"{score:.2f}"
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

    def winner_row(area: Area) -> dict[str, Any]:
        return {
            "best": names[area.best],
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
                        "score": str(entry.score),
                        "meaning": criterion.levels.get(entry.score, ""),
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
                "best_score": f"{result.scores[order[0]]:.2f}",
                "worst": names[order[-1]],
                "worst_score": f"{result.scores[order[-1]]:.2f}",
                "scores": [
                    {"stack": names[s], "color": stacks_color(cfg, s), "score": f"{result.scores[s]:.2f}"}
                    for s in order
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
    scorecard = []
    for s in cfg.stacks:
        sid = s.id
        scorecard.append(
            {
                "stack": s.name,
                "color": s.color,
                "cells": [
                    {"text": fmt(areas["startup"].values[sid], startup_d), "win": winners["startup"] == sid},
                    {"text": fmt(stats.memory_idle[sid].median, mem_d), "win": areas["memory_idle"].best == sid},
                    {"text": fmt(areas["memory"].values[sid], mem_d), "win": winners["memory"] == sid},
                    {"text": fmt(areas["throughput"].values[sid], 0), "win": winners["throughput"] == sid},
                    {
                        "text": fmt(areas["latency"].values[sid], areas["latency"].decimals),
                        "win": winners["latency"] == sid,
                    },
                    *[{"text": f"{c.scores[sid]:.2f}", "win": winners[c.id] == sid} for c in results.categories],
                    {"text": f"{results.overall[sid]:.2f}", "win": winners["overall"] == sid},
                ],
            }
        )
    scorecard_columns = [
        "Startup (ms)",
        "Memory idle (MB)",
        "Memory under load (MB)",
        f"Throughput at {stats.top_level} (req/s)",
        f"p99 at {stats.top_level} (ms)",
        *[_short_title(c.title) for c in results.rubric.categories],
        f"Overall ({scale.min}–{scale.max})",
    ]
    big = [
        {
            "value": areas["startup"].text(areas["startup"].best),
            "label": f"{names[areas['startup'].best]} starts fastest",
            "detail": f"{ratio(areas['startup'].spread_ratio)} faster than {names[areas['startup'].worst]} "
            f"({areas['startup'].text(areas['startup'].worst)})",
        },
        {
            "value": areas["memory_idle"].text(areas["memory_idle"].best),
            "label": f"{names[areas['memory_idle'].best]} idles in the least memory",
            "detail": f"{ratio(areas['memory_idle'].spread_ratio)} less than {names[areas['memory_idle'].worst]} "
            f"({areas['memory_idle'].text(areas['memory_idle'].worst)})",
        },
        {
            "value": areas["throughput"].text(areas["throughput"].best),
            "label": f"{names[areas['throughput'].best]} serves the most requests",
            "detail": f"{ratio(areas['throughput'].spread_ratio)} {names[areas['throughput'].worst]} at "
            f"{stats.top_level} connections",
        },
    ]
    for item in big:
        number, _, unit = item["value"].partition(" ")
        item["number"], item["unit"] = number, unit
    if cost:
        worst_cost = min(cost, key=lambda s: cost[s])
        big.append(
            {
                "value": f"{percent(cost[worst_cost])}",
                "number": f"{percent(cost[worst_cost])}",
                "unit": "",
                "label": f"of {names[worst_cost]}'s throughput survives tracing",
                "detail": "the largest cost of OpenTelemetry among the stacks",
            }
        )
    choose = [
        {
            "need": "Fast cold starts (scale-to-zero, Lambda, autoscaling)",
            "stack": names[winners["startup"]],
            "why": f"median startup {areas['startup'].text(winners['startup'])}",
        },
        {
            "need": "Small memory footprint (dense packing, small instances)",
            "stack": names[winners["memory"]],
            "why": f"{areas['memory'].text(winners['memory'])} under load",
        },
        {
            "need": "Most requests per core",
            "stack": names[winners["throughput"]],
            "why": f"{areas['throughput'].text(winners['throughput'])} at {stats.top_level} connections",
        },
        {
            "need": "Lowest tail latency",
            "stack": names[winners["latency"]],
            "why": f"p99 {areas['latency'].text(winners['latency'])} at {stats.top_level} connections",
        },
        *[
            {
                "need": f"Simplest: {c.title.lower()}",
                "stack": names[winners[c.id]],
                "why": f"weighted score {c.scores[winners[c.id]]:.2f} of {scale.max}",
            }
            for c in results.categories
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
            "lang": cfg.lang,
            "brand": {
                "name": cfg.brand.name,
                "primary": cfg.brand.primary_color,
                "accent": cfg.brand.accent_color,
                "logo": logo_uri,
                "website": link(cfg.brand.website),
                "website_text": cfg.brand.website.split("://", 1)[-1].rstrip("/"),
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
                "runner_up_score": f"{results.overall[overall_order[1]]:.2f}",
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
            "versions": [{"stack": names.get(k, k), "version": v} for k, v in env.versions.items()],
            "notes": env.notes,
            "pinning": env.pinning or "",
            "tracing": env.tracing.model_dump() if env.tracing else None,
            "measured_by": env.measured_by or "",
            "has_otel": bool(cost),
        },
        "startup": {**winner_row(areas["startup"]), "rows": startup_rows, "chart": charts["startup"]},
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
            "chart": charts["throughput"],
            "latency_chart": charts["latency"],
        },
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
                    "score": f"{results.overall[s]:.2f}",
                    "areas": [f"{results.area_scores[a][s]:.2f}" for a in results.weights],
                }
                for s in overall_order
            ],
            "columns": [area_titles[a] for a in results.weights],
        },
    }


RULES = {
    "startup": "median startup time; best stack scores the maximum, others in proportion (best ÷ value)",
    "memory": "median peak memory under load; best stack scores the maximum, others best ÷ value",
    "throughput": "median requests/s at the highest concurrency; others value ÷ best",
}


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
    number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.{decimals_for([value])}f}"
    return f"{name}: {number}{(' ' + unit) if unit else ''}"


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
    """The report's HTML from the view model."""
    return jinja_env(templates).get_template(TEMPLATE).render(**model)
