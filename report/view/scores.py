"""The view model's scored parts: the rubric chapters, the at-a-glance page (scorecard, big numbers, verdict),
"which stack for which need", and the overall score with its robustness check."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from report.inputs.phrases import phrases
from report.inputs.rubric import MEASURED_AREAS, score_of
from report.results import claims
from report.results.computed import Chart
from report.results.findings import MEMORY_UNIT, Area, big_memory, big_ratio, common_area, leader_values, tie_note
from report.results.numbers import decimals_for, fmt, percent
from report.results.reproduction import Reproduction
from report.results.stats import ranking
from report.view import sustained as sustained_view
from report.view.context import Context, area_titles, mid_sentence, moved_in_run_b, stacks_color, weights
from report.view.sustained import COARSE_MARK, SHORT_MARK
from report.view.typography import counted

RULES = {
    "startup": "median startup time; each stack's confidence interval is compared with the fastest stack's",
    "memory": "median peak memory under load (the phase the headline uses); intervals compared with the smallest",
    "throughput": "median requests/s at the highest concurrency; intervals and drift compared with the most requests",
}


def categories(ctx: Context, copy: Mapping[str, Markup], charts: Mapping[str, Chart]) -> list[dict[str, Any]]:
    """One chapter per rubric category: its scores, best first, and each criterion's evidence."""
    results, names = ctx.results, ctx.names
    cfg, stats = results.config, results.stats
    out = []
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
        out.append(
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
    return out


def glance(ctx: Context, charts: Mapping[str, Chart], facts: Mapping[str, str]) -> dict[str, Any]:
    """The at-a-glance page: the big numbers, the scorecard, the weights and the verdict."""
    results, names, areas, lv = ctx.results, ctx.names, ctx.areas, ctx.levels
    cfg, stats, scale = results.config, results.stats, results.rubric.scale
    overall_order = ranking(results.overall, lower_is_better=False)
    startup_d, mem_d = areas["startup"].decimals, areas["memory"].decimals
    winners = {
        **{c.id: ranking(c.scores, lower_is_better=False)[0] for c in results.categories},
        "overall": overall_order[0],
    }
    leading = {key: set(area.standing.leaders) for key, area in areas.items()}  # a tie marks every leader
    bounds = results.latency.wrk_bounds if results.latency else frozenset()
    if any(("json", "baseline", stats.top_level, s.id) in bounds for s in cfg.stacks):
        leading["throughput"] = set()  # a peak wrk itself set is a lower bound: no stack is best on it
    # tail latency open loop, every stack at the same offered rate, where the run measured one; else wrk's p99 (the
    # rate is explained in the caption, "" for wrk's)
    open_tail = _open_tail(ctx)
    tail, common_rate = open_tail or (areas["latency"], "")
    leading["tail"] = set(tail.standing.leaders)
    scorecard: list[dict[str, Any]] = []
    cost = stats.otel_cost()
    kept_leaders = set(lv["kept"].top.leaders) if "kept" in lv else set()
    for s in cfg.stacks:
        sid = s.id
        # the measured cost of tracing beside the OpenTelemetry score: the Part 32 reader deploys with traces
        kept_cells = [{"text": percent(cost[sid]) if sid in cost else "–", "win": sid in kept_leaders}] if cost else []
        scorecard.append(
            {
                "stack": s.name,
                "color": s.color,
                "cells": [
                    {"text": fmt(areas["startup"].values[sid], startup_d), "win": sid in leading["startup"]},
                    {"text": fmt(stats.memory_idle[sid].median, mem_d), "win": sid in leading["memory_idle"]},
                    {"text": fmt(areas["memory"].values[sid], mem_d), "win": sid in leading["memory"]},
                    {"text": fmt(areas["throughput"].values[sid], 0), "win": sid in leading["throughput"]},
                    {"text": fmt(tail.values[sid], tail.decimals), "win": sid in leading["tail"]},
                    *sustained_view.scorecard_cells(results.latency, sid),
                    *kept_cells,
                    *[{"text": fmt(c.scores[sid], 2), "win": winners[c.id] == sid} for c in results.categories],
                    {"text": fmt(results.overall[sid], 2), "win": winners["overall"] == sid},
                ],
            }
        )
    columns = [
        "Startup (ms)",
        f"Memory idle ({MEMORY_UNIT})",
        f"Memory under load ({MEMORY_UNIT})",
        f"Throughput, /json at {stats.top_level} (req\u2060/\u2060s)",  # word joiners: the unit never wraps
        (
            f"p99 at {common_rate} req\u2060/\u2060s, /json (ms)"
            if common_rate
            else f"p99 (wrk), /json at {stats.top_level} (ms)"
        ),
        *sustained_view.scorecard_columns(results.latency),
        *(["Kept with tracing"] if stats.otel_cost() else []),
        *[_short_title(c.title) for c in results.rubric.categories],
        f"Overall ({scale.min}–{scale.max})",
    ]
    big = [
        _with_run_b(results.reproduction, areas["startup"], big_ratio(areas["startup"], names, ctx.on_machine)),
        big_memory(areas["memory"], names),
        _with_run_b(
            results.reproduction,
            areas["throughput"],
            big_ratio(areas["throughput"], names, ctx.on_machine, lv["throughput"]),
        ),
    ]
    if cost and "cost" in lv:
        worst = lv["cost"].top
        most = lv["kept"].top if "kept" in lv else None
        # ties need not chain: a stack within both the least's and the most's intervals ties with each, and is
        # said once as lying between them, never in both "loses the most" and "keeps the most"
        between = [s for s in worst.leaders if most is not None and s in most.leaders]
        chained = most is not None and bool(between) and most.best not in worst.leaders
        big.append(
            {
                "number": percent(cost[worst.best]),
                "unit": "",
                "label": f"of {names[worst.best]}'s throughput survives tracing"
                + (
                    f", a tie with {claims.group([names[s] for s in worst.leaders[1:]])}"
                    if worst.tie and not chained
                    else ""
                ),
                "detail": phrases().say(
                    "cost_between",
                    least=names[worst.best],
                    most=names[most.best],
                    between=claims.group([names[s] for s in between]),
                    level=str(stats.top_level),
                )
                if chained and most is not None
                else f"{claims.lead_at_levels('cost', lv['cost'], names)}",
            }
        )
    return {
        "chart": charts["overall"],
        "big": big,
        "columns": columns,
        "rows": scorecard,
        # the sustainable column's marks, explained in the caption where one is printed
        "coarse_mark": any(COARSE_MARK in str(c["text"]) for r in scorecard for c in r["cells"]),
        "short_mark": any(SHORT_MARK in str(c["text"]) for r in scorecard for c in r["cells"]),
        "common_rate": common_rate,
        "weights": weights(results),
        "verdict": {
            "best": facts["overall.best"],
            "score": facts["overall.best_score"],
            "scale_max": str(scale.max),
            "runner_up": names[overall_order[1]],
            "runner_up_score": fmt(results.overall[overall_order[1]], 2),
            "robust": (
                share(results.robustness.wins[overall_order[0]], results.robustness.samples)
                if results.robustness
                else ""
            ),
        },
    }


def _with_run_b(rep: Reproduction | None, area: Area, card: dict[str, str]) -> dict[str, str]:
    """A headline ratio that moved between runs A and B says run B's beside it, on the card and the cover."""
    return {**card, "label": card["label"] + moved_in_run_b(rep, area)}


def choose(ctx: Context) -> list[dict[str, str]]:
    """Which stack for which need: one row per measured area and per rubric category."""
    results, names, areas, lv = ctx.results, ctx.names, ctx.areas, ctx.levels
    scale = results.rubric.scale
    return [
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
        _tail_row(ctx),
        *[
            {
                "need": c.need or f"Best {mid_sentence(c.title)}",
                "stack": claims.group(
                    [
                        names[s]
                        for s in ranking(r.scores, False)
                        if fmt(r.scores[s], 2) == fmt(max(r.scores.values()), 2)
                    ]
                ),
                "why": f"weighted score {fmt(max(r.scores.values()), 2)} of {scale.max}",
            }
            for c, r in zip(results.rubric.categories, results.categories, strict=True)
        ],
    ]


def _open_tail(ctx: Context) -> tuple[Area, str] | None:
    """p99 on /json with every stack offered the same rate (open loop), and that rate printed; None where the run
    measured no common rate (or too few requests to print its p99)."""
    lat = ctx.results.latency
    area = common_area(lat, "json", ctx.results.config.stack_ids)
    if area is None or lat is None:
        return None
    return area, fmt(lat.common["json"].offered, 0)


def _tail_row(ctx: Context) -> dict[str, str]:
    """Lowest tail latency: open loop with every stack offered the same rate on /json where the run measured that
    (BENCHMARK_METHOD: closed loop finds the peak, open loop finds latency); else wrk's closed-loop p99, said so."""
    names, areas, lv = ctx.names, ctx.areas, ctx.levels
    open_tail = _open_tail(ctx)
    if open_tail is None:
        # closed-loop p99 (wrk), which understates queueing: said so here and in the scorecard's header (review 13)
        return {
            "need": "Lowest tail latency",
            "stack": areas["latency"].leaders(names),
            "why": f"{claims.lead_at_levels('latency', lv['latency'], names)}; p99 {leader_values(areas['latency'])}, "
            "closed loop (wrk)",
        }
    tail, rate = open_tail
    return {
        "need": "Lowest tail latency",
        "stack": tail.leaders(names),
        "why": f"{tie_note(tail)}p99 {leader_values(tail)} on /json with every stack offered {rate} req/s "
        f"(open loop); {tail.gap(names)}",
    }


def overall(ctx: Context) -> dict[str, Any]:
    """The overall score: the weights, the measured areas' rules, each stack's areas, and the robustness check."""
    results, names = ctx.results, ctx.names
    titles = area_titles(results)
    return {
        "weights": weights(results),
        "measured": [{"area": titles[a], "rule": RULES[a]} for a in MEASURED_AREAS],
        "rows": [
            {
                "stack": names[s],
                "color": stacks_color(results.config, s),
                "score": fmt(results.overall[s], 2),
                "areas": [fmt(results.area_scores[a][s], 2) for a in results.weights],
            }
            for s in ranking(results.overall, lower_is_better=False)
        ],
        "columns": [titles[a] for a in results.weights],
        "robustness": _robustness_rows(ctx, titles),
    }


def _robustness_rows(ctx: Context, titles: Mapping[str, str]) -> dict[str, Any]:
    rb = ctx.results.robustness
    if rb is None:
        return {"rows": [], "samples": "0", "seed": ""}
    order = sorted(rb.wins, key=lambda s: -rb.wins[s])
    rows = [
        {
            "stack": ctx.names[s],
            "color": stacks_color(ctx.results.config, s),
            "share": share(rb.wins[s], rb.samples),
            "leaning": (
                mid_sentence(titles[rb.leaning[s]])
                if rb.leaning[s]
                else ("no one area: it wins most weightings" if rb.wins[s] >= 0.5 else "")
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
    labels = phrases().text
    name = labels.get(f"measure_{measure}", name)  # names that need saying what they count
    if unit == "bool":
        return f"{name}: {'yes' if value else 'no'}"
    if unit == "ratio":
        return f"{name}: {percent(value)}"
    if unit == "%":  # one way to print a percentage in the whole report
        return f"{name}: {percent(value / 100)}"
    number = fmt(value, 0) if float(value).is_integer() else fmt(value, decimals_for([value]))
    if unit == "MiB":  # sizes are scored against bounds with a margin: a tenth shows which side of one they fall
        number = fmt(value, 1)
    unit = counted(value, unit)  # "1 span/request", not "1 spans/request"
    return f"{name}: {number}{(' ' + unit) if unit else ''}"


def _short_title(title: str) -> str:
    return {"OpenTelemetry integration complexity": "OTel score", "Deployment simplicity": "Deploy score"}.get(
        title, title
    )


def share(fraction: float, samples: int) -> str:
    """A share of `samples` weightings with the decimals that count resolves: of 1,000, one decimal (985 of
    1,000 is 98.5%, never rounded to 99%)."""
    return percent(fraction, max(0, math.ceil(math.log10(samples / 100)))) if samples > 0 else percent(fraction)
