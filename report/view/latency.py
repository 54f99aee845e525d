"""The latency-under-load and database sections: their chart jobs, placeholders and view model (report/view/model.py
and report/view/figures.py call in here; everything returns plain values)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from report.inputs.config import ReportConfig
from report.inputs.phrases import phrases
from report.results import claims, sustained
from report.results.intervals import ratio_interval
from report.results.latency import LatencyStats, Series
from report.results.numbers import decimals_for, fmt, join_names, percent, ratio
from report.results.stats import Spread
from report.view import sustained as sustained_view
from report.view.common import common_view

TITLES = {"json": "/json (hello world)", "db": "/db (one PostgreSQL row)"}


@dataclass(frozen=True)
class Job:
    """A chart to draw: key, report.view.charts function, arguments, file name, alt text, caption, source line."""

    key: str
    function: str
    args: tuple[Any, ...]
    file: str
    alt: str
    caption: str
    source: str


def _rate(lat: LatencyStats, endpoint: str, variant: str, sid: str) -> str:
    """Sustainable throughput in words (templates/phrases.yaml): a measured knee, a bound, or not established."""
    say = phrases().say
    k = lat.knee(endpoint, variant, sid)
    if k is None:
        return say("rate_not_measured")
    if k.rate is None:
        return say({"limited": "rate_behind", "none": "rate_none"}.get(k.end, "rate_not_established"))
    # the table's marks ride along, so a listed rate never reads more precise than the table's
    rate = fmt(k.rate, 0) + sustained_view.marks(k, lat.short_only(endpoint, variant, sid))
    if lat.short_bound(endpoint, variant, sid):
        return say("rate_short_bound", rate=fmt(k.rate, 0))
    if k.end == "limited":
        return say("rate_machine_limit", rate=rate, limit=fmt(k.next_rate or 0.0, 0))
    if k.end == "top":
        return say("rate_above_ladder", rate=rate)
    return say("rate_value", rate=rate)


def _sorted(lat: LatencyStats, endpoint: str, stack_ids: Sequence[str]) -> list[str]:
    """Stacks with a baseline ladder on `endpoint`, highest sustainable rate first; rates on short runs alone last."""
    have = [s for s in stack_ids if (endpoint, "baseline", s) in lat.series]
    rate = {s: lat.sustainable(endpoint, "baseline", s) or 0.0 for s in have}
    return sorted(have, key=lambda s: (lat.short_only(endpoint, "baseline", s), -rate[s], have.index(s)))


def sustained_list(lat: LatencyStats, endpoint: str, stack_ids: Sequence[str], names: Mapping[str, str]) -> str:
    """Every stack's sustainable rate, highest first: 'Go 40,000 req/s, Bun at least 60,000 req/s and …'.

    A list, not a ranking: a rate on the ladder is a share of each stack's own peak, so two stacks' figures are
    steps of different ladders and the report does not call one 'the most'.
    """
    return join_names([f"{names[s]} {_rate(lat, endpoint, 'baseline', s)}" for s in _sorted(lat, endpoint, stack_ids)])


def db_claim(lat: LatencyStats, stack_ids: Sequence[str], names: Mapping[str, str]) -> tuple[str, str] | None:
    """The /db lead and gap under the tie rule ('Go and Bun serve the most requests on /db (… a tie)', '4.6× as
    many as FastAPI'), from the closed-loop runs' ranges."""
    spreads = {s: lat.peaks[("db", "baseline", s)].rps for s in stack_ids if ("db", "baseline", s) in lat.peaks}
    if not spreads:
        return None
    st = claims.standing(spreads, lower_is_better=False)
    return claims.lead("throughput", st, names, "on /db"), claims.gap("throughput", st, spreads, names)


def db_leaders_rps(lat: LatencyStats, stack_ids: Sequence[str]) -> str:
    """The /db leaders' req/s in the lead's order, '20,077 and 16,285' for a tie (review 18: not the first's alone)."""
    spreads = {s: lat.peaks[("db", "baseline", s)].rps for s in stack_ids if ("db", "baseline", s) in lat.peaks}
    leaders = claims.standing(spreads, lower_is_better=False).leaders if spreads else ()
    return join_names([fmt(spreads[s].median, 0) for s in leaders])


def db_against_json(
    lat: LatencyStats,
    stack_ids: Sequence[str],
    names: Mapping[str, str],
    json_at: Mapping[tuple[int, str], Spread] | None = None,
) -> str:
    """Whether the /db gap between the most and the fewest requests is narrower or wider than on /json, at the
    same connection count (/db's closed-loop level; `json_at` maps (level, stack) to /json's requests/s there, the
    /json peak where that level was not measured): the two ratios' bootstrap intervals must not overlap for
    'narrows' or 'widens'."""
    peaks = {s: lat.peaks[("db", "baseline", s)] for s in stack_ids if ("db", "baseline", s) in lat.peaks}
    db = {s: p.rps for s, p in peaks.items()}
    js = {
        s: (json_at or {}).get((peaks[s].level, s), lat.peaks[("json", "baseline", s)].rps)
        for s in peaks
        if ("json", "baseline", s) in lat.peaks
    }
    have = [s for s in stack_ids if s in db and s in js]
    if len(have) < 2:
        return ""
    top = max(have, key=lambda s: db[s].median)
    bottom = min(have, key=lambda s: db[s].median)
    json_low, json_high = ratio_interval(js[top].values, js[bottom].values)
    db_low, db_high = ratio_interval(db[top].values, db[bottom].values)
    json_ratio, db_ratio = js[top].median / js[bottom].median, db[top].median / db[bottom].median
    if json_low <= db_high and db_low <= json_high:
        key = "db_gap_same"
    else:
        key = "db_gap_narrows" if db_ratio < json_ratio else "db_gap_widens"
    return claims.say(
        key,
        top=names[top],
        bottom=names[bottom],
        json_ratio=ratio(json_ratio),
        db_ratio=ratio(db_ratio),
        level=str(peaks[top].level),
    )


def chart_jobs(cfg: ReportConfig, lat: LatencyStats, index: Mapping[str, int]) -> list[Job]:
    """One latency-under-load chart per endpoint, and the /db peak without and with tracing."""
    names = {s.id: s.name for s in cfg.stacks}
    colors = {s.id: s.color for s in cfg.stacks}
    jobs: list[Job] = []
    for endpoint in lat.endpoints:
        order = _sorted(lat, endpoint, cfg.stack_ids)
        marks = tuple((names[s], colors[s], index[s]) for s in order)

        def line(variant: str, sid: str, endpoint: str = endpoint) -> Series | None:
            return lat.series.get((endpoint, variant, sid))

        base = [_printable(line("baseline", s)) for s in order]
        traced = [_printable(line("otel", s)) for s in order]
        if not any(base):
            continue  # no p99 on this endpoint came from enough requests to print: no chart
        slo = lat.slo_ms[endpoint]
        sustained = [
            (lat.sustainable(endpoint, "baseline", s) or 0.0) if not lat.capped(endpoint, "baseline", s) else 0.0
            for s in order
        ]
        listing = ", ".join(f"{names[s]} {_rate(lat, endpoint, 'baseline', s)}" for s in order)
        traced_sustained = [
            (lat.sustainable(endpoint, "otel", s) or 0.0) if not lat.capped(endpoint, "otel", s) else 0.0 for s in order
        ]
        # crossed: a rate the generator fell behind at, so it counts neither way (report/sustained.py's "limited")
        limited = tuple(
            tuple(p.load_limited or p.verdict(slo) == "limited" for p in b.points) if b else () for b in base
        )
        any_limited = any(any(row) for row in limited)
        counts = {p.p99.n for b in (*base, *traced) if b is not None for p in b.points}
        mixed = any(p.phase in ("knee", "common") for b in (*base, *traced) if b is not None for p in b.points)
        runs = f"{min(counts)}" if len(counts) == 1 else f"{min(counts)}–{max(counts)}"  # "5", never "5+"
        jobs.append(
            Job(
                f"latency-load-{endpoint}",
                "rate_curves",
                (
                    marks,
                    tuple(tuple(p.offered for p in b.points) if b else () for b in base),
                    tuple(tuple(p.p99.median for p in b.points) if b else () for b in base),
                    tuple(tuple(p.offered for p in t.points) if t else () for t in traced),
                    tuple(tuple(p.p99.median for p in t.points) if t else () for t in traced),
                    tuple(sustained),
                    slo,
                    limited,
                    tuple(traced_sustained),
                    tuple(
                        tuple(p.phase in ("knee", "common") for p in b.points) if b else () for b in (*base, *traced)
                    ),
                ),
                f"latency-load-{endpoint}.svg",
                alt=f"p99 latency against offered requests per second on {TITLES[endpoint]}, log scales, with the "
                f"{slo:g} ms SLO as a line. Highest rate sustained at or under it: {listing}.",
                caption=f"Where each stack's p99 goes over {slo:g} ms on /{endpoint}; the highest rate sustained at "
                f"or under it: {sustained_list(lat, endpoint, cfg.stack_ids, names)}. Log scales on both axes."
                + (
                    " Crosses: rates where the load generator fell behind its schedule (not counted)."
                    if any_limited
                    else ""
                ),
                source=f"latency.csv, medians of {runs} open-loop runs per rate, drawn only where every run has 100 "
                "requests beyond its p99; dashed lines with tracing, rings the highest rate sustained, without and "
                "with tracing."
                + (
                    " Points with a dark edge come from the longer runs alone (the knee's, 10 s or more, and the "
                    "common rate's), the others from the short ladder runs, which can read lower."
                    if mixed
                    else ""
                ),
            )
        )
    base_peaks = {s: lat.peaks[("db", "baseline", s)] for s in cfg.stack_ids if ("db", "baseline", s) in lat.peaks}
    traced_peaks = {s: lat.peaks[("db", "otel", s)] for s in base_peaks if ("db", "otel", s) in lat.peaks}
    if base_peaks and len(traced_peaks) == len(base_peaks):
        order = sorted(base_peaks, key=lambda s: -base_peaks[s].rps.median)
        marks = tuple((names[s], colors[s], index[s]) for s in order)
        level = base_peaks[order[0]].level
        jobs.append(
            Job(
                "db-throughput",
                "paired_bars",
                (
                    marks,
                    tuple(base_peaks[s].rps.median for s in order),
                    tuple(traced_peaks[s].rps.median for s in order),
                    ("without", "with tracing"),
                    "req/s",
                    0,
                ),
                "db-throughput.svg",
                alt="Requests per second on /db without and with tracing: "
                + ", ".join(
                    f"{names[s]} {fmt(base_peaks[s].rps.median, 0)} and {fmt(traced_peaks[s].rps.median, 0)}"
                    for s in order
                )
                + ".",
                caption="{}: {}.".format(*(db_claim(lat, cfg.stack_ids, names) or ("", ""))),
                source=f"throughput.csv, endpoint db, wrk at {level} connections; medians of runs.",
            )
        )
    return jobs


def _printable(series: Series | None) -> Series | None:
    """The series with only the rates whose p99 may be printed (100 requests beyond it in every run)."""
    if series is None:
        return None
    shown = tuple(p for p in series.points if p.printable(0.99))
    return Series(shown) if shown else None


def _common_seconds(lat: LatencyStats | None) -> str:
    """The common-rate runs' lengths over every endpoint: "3" or "3–6.3" (seconds)."""
    seconds = sorted({s for c in (lat.common.values() if lat is not None else ()) for s in c.seconds})
    if not seconds:
        return ""
    return f"{seconds[0]:g}" if len(seconds) == 1 else f"{seconds[0]:g}–{seconds[-1]:g}"


def facts(
    cfg: ReportConfig, lat: LatencyStats | None, json_at: Mapping[tuple[int, str], Spread] | None = None
) -> dict[str, str]:
    """Placeholders for data/copy/latency.md and database.md; `json_at` is /json's requests/s per (level, stack)."""
    if lat is None:
        return {}
    names = {s.id: s.name for s in cfg.stacks}
    out: dict[str, str] = {}
    for endpoint in ("json", "db"):
        out[f"slo.{endpoint}"] = f"{lat.slo_ms[endpoint]:g} ms"
    for endpoint in lat.endpoints:
        order = _sorted(lat, endpoint, cfg.stack_ids)
        if lat.rankable(endpoint, "baseline", order):  # a best and a worst only among measured knees
            out[f"sustainable.{endpoint}.best"] = names[order[0]]
            out[f"sustainable.{endpoint}.best_value"] = _rate(lat, endpoint, "baseline", order[0])
            out[f"sustainable.{endpoint}.worst"] = names[order[-1]]
            out[f"sustainable.{endpoint}.worst_value"] = _rate(lat, endpoint, "baseline", order[-1])
        for sid in order:
            out[f"sustainable.{endpoint}.{sid}"] = _rate(lat, endpoint, "baseline", sid)
            out[f"sustainable.{endpoint}.otel.{sid}"] = _rate(lat, endpoint, "otel", sid)
        out[f"sustainable.{endpoint}.all"] = sustained_list(lat, endpoint, cfg.stack_ids, names)
    claim = db_claim(lat, cfg.stack_ids, names)
    if claim:
        out["db.lead"], out["db.gap"] = claim
        out["db.against_json"] = db_against_json(lat, cfg.stack_ids, names, json_at or {})
    db = {s: lat.peaks[("db", "baseline", s)] for s in cfg.stack_ids if ("db", "baseline", s) in lat.peaks}
    if db:
        order = sorted(db, key=lambda s: -db[s].rps.median)
        out["db.best"] = names[order[0]]
        out["db.best_value"] = f"{fmt(db[order[0]].rps.median, 0)} req/s"
        out["db.worst"] = names[order[-1]]
        out["db.worst_value"] = f"{fmt(db[order[-1]].rps.median, 0)} req/s"
        for sid in order:
            out[f"db.{sid}"] = f"{fmt(db[sid].rps.median, 0)} req/s"
    return out


def view(
    cfg: ReportConfig,
    lat: LatencyStats | None,
    charts: Mapping[str, Any],
    evidence: Mapping[tuple[str, str], tuple[float, str]],
    method: Any,
) -> dict[str, Any]:
    """What templates/report.html.j2 shows in the two sections (empty lists hide them)."""
    names = {s.id: s.name for s in cfg.stacks}
    colors = {s.id: s.color for s in cfg.stacks}
    sections = []
    if lat is not None:
        for endpoint in lat.endpoints:
            rows = []
            slo = lat.slo_ms[endpoint]
            for sid in _sorted(lat, endpoint, cfg.stack_ids):
                series = lat.series[(endpoint, "baseline", sid)]
                best = series.sustainable(slo)
                unproven = lat.short_bound(endpoint, "baseline", sid)  # only short runs passed it: no figure
                best = best if best is not None and best.printable(0.99) and not unproven else None
                peak = lat.peaks.get((endpoint, "baseline", sid))
                p99s = [best.p99.min, best.p99.max] if best else [1.0]
                d = decimals_for(p99s)
                rows.append(
                    {
                        "stack": names[sid],
                        "color": colors[sid],
                        "peak": ("≥ " if peak.bound else "") + fmt(peak.rps.median, 0) if peak else "–",
                        "sustainable": sustained_view.rate_cell(lat, endpoint, "baseline", sid)
                        if best
                        else "–"
                        if series.knee(slo).end != "none"
                        else "none",
                        "share": percent(best.offered / peak.rps.median) if best and peak else "–",
                        "p99": f"{fmt(best.p99.median, d)} ({fmt(best.p99.min, d)}–{fmt(best.p99.max, d)})"
                        if best
                        else "–",
                        "otel": sustained_view.rate_cell(lat, endpoint, "otel", sid),
                        "rates": str(len(series.points)),
                        "n": fmt(sum(p.p99.n for p in series.points), 0),
                    }
                )
            sections.append(
                {
                    "takeaway": sustained_list(lat, endpoint, cfg.stack_ids, names),
                    "endpoint": endpoint,
                    "title": TITLES[endpoint],
                    "slo": f"{slo:g}",
                    "rule": phrases().say(
                        "sustained_rule",
                        slo=f"{slo:g}",
                        min_runs=str(sustained.MIN_RUNS),
                        max_over=str(sustained.MAX_OVER),
                        completed=percent(sustained.COMPLETED_SHARE),
                        tail=str(sustained.TAIL_SAMPLES),
                    ),
                    "chart": charts.get(f"latency-load-{endpoint}"),
                    "rows": rows,
                    "common": common_view(lat, endpoint, cfg.stack_ids, names, colors),
                    "coarse": sustained_view.coarse_note(lat, endpoint, cfg.stack_ids, names),
                    "short": sustained_view.short_note(lat, endpoint, cfg.stack_ids, names),
                }
            )
    db_rows: list[dict[str, Any]] = []
    if lat is not None:
        for sid in cfg.stack_ids:
            peak = lat.peaks.get(("db", "baseline", sid))
            if peak is None:
                continue
            traced_peak = lat.peaks.get(("db", "otel", sid))
            mem = evidence.get((sid, "db_rss_load_peak_mb"))
            mem_otel = evidence.get((sid, "otel_db_rss_load_peak_mb"))
            db_rows.append(
                {
                    "stack": names[sid],
                    "color": colors[sid],
                    "rps": ("≥ " if peak.bound else "") + fmt(peak.rps.median, 0),
                    "range": f"{fmt(peak.rps.min, 0)}–{fmt(peak.rps.max, 0)}",
                    "p99": fmt(peak.p99, decimals_for([peak.p99])),
                    "otel": fmt(traced_peak.rps.median, 0) if traced_peak else "–",
                    "kept": percent(traced_peak.rps.median / peak.rps.median) if traced_peak else "–",
                    "memory": fmt(mem[0], 1) if mem else "–",
                    "memory_otel": fmt(mem_otel[0], 1) if mem_otel else "–",
                    "n": str(peak.rps.n),
                    "level": str(peak.level),
                    "sort": peak.rps.median,
                }
            )
        db_rows.sort(key=lambda r: -r["sort"])
    claim = db_claim(lat, cfg.stack_ids, names) if lat is not None else None
    ol = getattr(method, "open_loop", None)
    return {
        "sections": sections,
        "db": {
            "rows": db_rows,
            "chart": charts.get("db-throughput"),
            "latency": next((s for s in sections if s["endpoint"] == "db"), None),
            "level": db_rows[0]["level"] if db_rows else "",
            "lead": claim[0] if claim else "",
            "lead_rps": db_leaders_rps(lat, cfg.stack_ids) if lat is not None else "",
            "gap": claim[1] if claim else "",
        },
        "method": {
            "ladder": ", ".join(f"{p:g}" for p in ol.ladder_pct) if ol else "",
            "runs": str(ol.runs) if ol else "",
            "duration_s": f"{ol.duration_s:g}" if ol else "",
            "warmup_s": f"{ol.warmup_s:g}" if ol else "",
            "knee_s": f"{ol.knee_duration_s or sustained.KNEE_MIN_S:g}" if ol else "",
            "min_runs": str(sustained.MIN_RUNS),
            "common_runs": str(ol.common_runs) if ol and ol.common_runs else "",
            "common_s": _common_seconds(lat),
            "unanswered": percent(1 - sustained.COMPLETED_SHARE),
            "db_placement": sustained_view.placement(method),
            "short_printed": any(s["short"] for s in sections),  # a ‡ rate, from the ladder alone (review 17)
        },
    }
