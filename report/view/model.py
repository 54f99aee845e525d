"""The view model: computed results turned into plain, formatted values for the Jinja templates.

`view_model` assembles one entry per part of the report from the section builders (report/view/measured.py for
the measured chapters, report/view/scores.py for the scored ones); `facts` are the figures copy may quote.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from markupsafe import Markup

from report.results import claims
from report.results.computed import Chart, Results
from report.results.findings import level_claims, measured_areas
from report.results.numbers import fmt, join_names, percent, ratio
from report.results.stats import ranking
from report.view import latency as latency_view
from report.view import measured as view_measured
from report.view import reproduction as view_reproduction
from report.view import scores as view_scores
from report.view import sustained as sustained_view
from report.view import traces as view_traces
from report.view.context import context, score_lead
from report.view.typography import house_style

PAGE_SIZES = {"a4": "A4", "letter": "Letter"}
PAGE_HEIGHTS = {"a4": "297mm", "letter": "279.4mm"}  # the full-bleed cover fills exactly one page


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
        "env.load_tool": house_style(results.environment.load_tool),
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
    peaks = {
        phase: {sid: value for (sid, m), (value, _unit) in stats.evidence.items() if m == f"{phase}_rss_load_peak_mb"}
        for phase in claims.OTHER_PHASES
    }
    # the single readings of the other phases are ordered only where they lie further apart than the repeated
    # untraced /json readings' run-to-run range (the largest of any stack's, as a share of its median)
    ranges = [(max(sp.values) - min(sp.values)) / sp.median for sp in stats.memory_load.values() if sp.median > 0]
    scope = claims.order_scope(areas["memory"].order, peaks, names, max(ranges, default=0.0))
    out["memory.order_scope"] = f"; {scope}" if scope else ""
    for sid, kept in stats.otel_cost().items():
        out[f"otel_cost.{sid}"] = percent(kept)
    json_at = {(c, sid): p.rps for (v, c, sid), p in results.stats.load.items() if v == "baseline"}
    out.update(latency_view.facts(cfg, results.latency, json_at))
    out.update(sustained_view.method_facts(results.environment, results.latency))
    out["reproduction.summary"] = view_reproduction.reproduction(context(results))["summary"]
    for category in results.categories:
        order = ranking(category.scores, lower_is_better=False)
        out[f"{category.id}.best"] = names[order[0]]
        out[f"{category.id}.lead"] = score_lead(category, names)
        out[f"{category.id}.worst"] = names[order[-1]]
        for sid, score in category.scores.items():
            out[f"{category.id}.{sid}"] = fmt(score, 2)
    overall_order = ranking(results.overall, lower_is_better=False)
    out["overall.best"] = names[overall_order[0]]
    out["overall.best_score"] = fmt(results.overall[overall_order[0]], 2)
    for sid, score in results.overall.items():
        out[f"overall.{sid}"] = fmt(score, 2)
    return out


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
    ctx = context(results)
    return {
        "report": _report(results, logo_uri, link),
        "page_size": PAGE_SIZES[page_size],
        "page_height": PAGE_HEIGHTS[page_size],
        "sample": env.sample,
        "fonts": list(font_faces),
        "stacks": [{"id": s.id, "name": s.name, "framework": s.framework, "color": s.color} for s in cfg.stacks],
        "copy": copy,
        "glance": view_scores.glance(ctx, charts, facts(results)),
        "env": view_measured.environment(ctx),
        "startup": view_measured.startup(ctx, charts),
        "memory": view_measured.memory(ctx, charts),
        "throughput": view_measured.throughput(ctx, charts),
        "latency_load": latency_view.view(cfg, results.latency, charts, stats.evidence, env.method),
        "otel_cost": view_measured.otel_cost(ctx, charts),
        "reproduction": view_reproduction.reproduction(ctx),
        "traces": view_traces.view(results, charts),
        "categories": view_scores.categories(ctx, copy, charts),
        "choose": view_scores.choose(ctx),
        "scale": {"min": str(results.rubric.scale.min), "max": str(results.rubric.scale.max)},
        "overall": view_scores.overall(ctx),
    }


def _report(results: Results, logo_uri: str, link: Callable[[str], str]) -> dict[str, Any]:
    """The report's own details: title, edition, brand and call to action."""
    cfg = results.config
    return {
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
    }
