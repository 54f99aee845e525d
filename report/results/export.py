"""The computed results as JSON (backend-language-comparison.json): one source of numbers for the PDF and the blog.

Built generically from the pipeline's computed objects, so a measure added to the statistics (a new table, a new
spread) appears here without a change to this module: every field of `Stats` that holds one value per stack
becomes a measure of each stack, keyed by the field's name. Validated by results.schema.json in the tests.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from report import __version__
from report.inputs.data_schema import Environment as BenchEnvironment
from report.inputs.rubric import score_of
from report.inputs.semconv import Coverage, levels, package_version
from report.inputs.traces import ENDPOINTS, StackTraces, summarise, traced, tree_rows
from report.results import claims
from report.results.computed import Results
from report.results.drift import swing
from report.results.export_latency import latency_figures
from report.results.findings import calibration_summary, level_claims, measured_areas, point_spread
from report.results.intervals import CONFIDENCE
from report.results.plain import plain as _plain
from report.results.reproduction import Reproduction
from report.results.stats import ranking
from report.results.sustained import COMPLETED_SHARE

RESULTS_NAME = "backend-language-comparison.json"
SCHEMA_VERSION = 1
SCHEMA_FILE = Path(__file__).resolve().parent / "results.schema.json"
# Names for the parts of a tuple key in Stats, e.g. load[(variant, concurrency, stack)]; unknown tuples get "key".
KEY_NAMES: dict[str, tuple[str, ...]] = {"load": ("variant", "concurrency", "stack"), "evidence": ("stack", "measure")}
UNITS = {
    "startup": "ms",
    "memory_idle": "MiB",
    "memory_load": "MiB",
    "load.rps": "requests/s",
    "load.p50": "ms",
    "load.p90": "ms",
    "load.p99": "ms",
    "load.errors": "requests",
}


def document(results: Results) -> dict[str, Any]:
    """Everything the report computed, per stack: measures with their spread, scores, overall and rank."""
    cfg, rubric = results.config, results.rubric
    ids = cfg.stack_ids
    order = ranking(results.overall, lower_is_better=False)
    measures = _measures(results, ids)
    for sid, extra in _printed_measures(results, ids).items():
        measures[sid].update(extra)
    stacks = []
    for stack in cfg.stacks:
        sid = stack.id
        categories = {}
        for category, result in zip(rubric.categories, results.categories, strict=True):
            categories[category.id] = {
                "title": category.title,
                "score": result.scores[sid],
                "criteria": {
                    c.id: {
                        "title": c.title,
                        "weight": c.weight,
                        "score": score_of(c.scores[sid]),
                        "meaning": c.levels.get(score_of(c.scores[sid]), ""),
                        "evidence": c.scores[sid].evidence,
                        "levels": {str(k): v for k, v in sorted(c.levels.items())},
                    }
                    for c in category.criteria
                },
            }
        entry: dict[str, Any] = {}
        if traced(results.traces, sid, "json") is not None:
            entry["traces"] = _traces(summarise(results.traces, sid))
            entry["traces"]["waterfall"] = _waterfalls(results, sid)
        stacks.append(
            {
                **entry,
                "id": sid,
                "name": stack.name,
                "framework": stack.framework,
                "color": stack.color,
                "measures": measures[sid],
                "area_scores": {area: scores[sid] for area, scores in results.area_scores.items()},
                "categories": categories,
                "overall": results.overall[sid],
                "rank": order.index(sid) + 1,
            }
        )
    env = results.environment
    return {
        "schema_version": SCHEMA_VERSION,
        "name": "backend-language-comparison",
        "title": cfg.title,
        "edition": cfg.edition,
        "published": cfg.published.isoformat(),
        "sample_data": env.sample,
        "measured_at": env.measured_at.isoformat(),
        "generator": {"name": "lead-magnet", "version": __version__},
        "scale": {"min": rubric.scale.min, "max": rubric.scale.max},
        "weights": dict(results.weights),
        "units": UNITS,
        "environment": env.model_dump(mode="json", exclude={"measured_at", "sample"}, exclude_none=True),
        "calibration": _calibration(env),
        # the rules' own figures the PDF prints ("95% interval", "at least 99% of requests completed")
        "rules": {"confidence_level": CONFIDENCE, "completed_share": COMPLETED_SHARE},
        "load_generator_reach": _reach(results),
        "short_runs": _short_runs(results),
        "levels": list(results.stats.levels),
        "top_level": results.stats.top_level,
        "stacks": stacks,
        "robustness": _robustness(results),
        "reproduction": _reproduction(results.reproduction),
        "portability": _portability(results.portability),
        "level_gaps": _level_gaps(results),
    }


def _level_gaps(results: Results) -> list[dict[str, Any]]:
    """Per comparison and load level, the gap the sentences state between the leaders and the worst ("11× as many",
    "3.4× to 3.6× lower"): the tied group's smallest and largest ratio, or none where a leader's range reaches the
    worst's."""
    out: list[dict[str, Any]] = []
    for what, lv in sorted(level_claims(results.stats).items()):
        for level in lv.levels:
            st = lv.standings[level]
            spreads = _level_spreads(results, what, level)
            found = claims.times_range(st, spreads) if spreads else None
            out.append(
                {
                    "measure": what,
                    "concurrency": level,
                    "leaders": list(st.leaders),
                    "worst": st.worst,
                    "ratio": found[0] if found else None,
                    "ratio_high": found[1] if found else None,  # a tied group's highest ("27× to 40×")
                }
            )
    return out


def _level_spreads(results: Results, what: str, level: int) -> dict[str, Any]:
    stats = results.stats
    if what == "throughput":
        return {sid: p.rps for (v, c, sid), p in stats.load.items() if v == "baseline" and c == level}
    if what == "latency":
        return {
            sid: p.p99_runs or point_spread(p.p99)
            for (v, c, sid), p in stats.load.items()
            if v == "baseline" and c == level
        }
    return dict(stats.kept_runs(level))


# the measured areas under their names in results.json's times_the_best: the p99 area is wrk's closed-loop p99 at the
# top level (the throughput chapter's), not the common rate's open-loop p99 (common_rate; review 15)
_AREA_KEYS = {"latency": "latency_closed_loop"}


def _printed_measures(results: Results, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The figures the PDF prints beyond the plain spreads, with the statistic the PDF uses: throughput kept with
    tracing (median traced ÷ median untraced req/s at the top level), sustainable rates (lower bounds flagged) and
    the closed-loop peaks per endpoint (/db included)."""
    stats, lat = results.stats, results.latency
    out: dict[str, dict[str, Any]] = {sid: {} for sid in ids}
    for key, area in measured_areas(stats).items():  # "37× faster than", "6.9× less than": against the best
        best = area.values[area.best]
        for sid, value in area.values.items():
            if best > 0 and value > 0:
                out[sid].setdefault("times_the_best", {})[_AREA_KEYS.get(key, key)] = max(value, best) / min(
                    value, best
                )
    for sid, kept in stats.otel_cost().items():
        out[sid]["kept_with_tracing"] = {"concurrency": stats.top_level, "ratio": kept}
    if lat is None:
        return out
    for sid in ids:
        sustainable = []
        for endpoint, variant, stack in sorted(lat.series):
            if stack != sid:
                continue
            rate = lat.sustainable(endpoint, variant, sid)
            peak = lat.peaks.get((endpoint, variant, stack))
            series = lat.series[(endpoint, variant, stack)]
            point = series.sustainable(lat.slo_ms[endpoint])
            provisional = series.provisional(lat.slo_ms[endpoint])
            knee = lat.knee(endpoint, variant, sid)
            short_bound = lat.short_bound(endpoint, variant, sid)
            sustainable.append(
                {
                    "endpoint": endpoint,
                    "variant": variant,
                    "slo_ms": lat.slo_ms[endpoint],
                    # None: no rate sustained (not established), as the PDF says; also where only short ladder
                    # runs passed the rate below a bound (its figure is then provisional_rps)
                    "rps": None if short_bound else rate or None,
                    "lower_bound": lat.capped(endpoint, variant, sid),
                    "p99": _plain(point.p99) if point else None,  # its runs' p99s, as the table prints them
                    "share_of_peak": point.offered / peak.rps.median if point and peak else None,
                    # the lowest rate missed above it: where the search stopped ("coarse" when wider than the step)
                    "next_missed_rps": knee.next_rate
                    if knee is not None and knee.end in ("missed", "unknown", "none")
                    else None,
                    "coarse": knee.coarse() if knee is not None else False,
                    # the highest rate between it and next_missed_rps that passed the runs it got, too few to count
                    "provisional_rps": rate if short_bound else provisional.offered if provisional else None,
                    "rates": len(series.points),
                    "runs": sum(p.p99.n for p in series.points),
                    # ladder runs at rates that also have knee runs: not counted, the knee runs alone judge those
                    "ladder_runs_set_aside": sum(p.set_aside for p in series.points),
                    # the printed rate rests on the coarse ladder's short runs alone (‡ in the PDF)
                    "short_runs_only": lat.short_only(endpoint, variant, sid),
                }
            )
        if sustainable:
            out[sid]["sustainable"] = sustainable
        peaks = [
            {"endpoint": e, "variant": v, **_plain(peak)}
            for (e, v, stack), peak in sorted(lat.peaks.items())
            if stack == sid
        ]
        if peaks:
            out[sid]["peaks"] = peaks
        out[sid].update(latency_figures(results.latency, sid, ids))
        db, db_traced = lat.peaks.get(("db", "baseline", sid)), lat.peaks.get(("db", "otel", sid))
        if db is not None and db_traced is not None and db.rps.median > 0:  # the database chapter's "kept"
            out[sid]["kept_with_tracing_db"] = {"ratio": db_traced.rps.median / db.rps.median}
    return out


def _portability(rep: Reproduction | None) -> dict[str, Any] | None:
    """Run A against run C, on another machine: the reproduction's ratios plus which rankings held."""
    out = _reproduction(rep)
    if out is None or rep is None:
        return None
    move = rep.largest_move()
    return {**out, "rankings_held": rep.rankings_held(), "largest_move": _plain(move) if move else None}


def _reproduction(rep: Reproduction | None) -> dict[str, Any] | None:
    if rep is None:
        return None
    return {
        "a": _plain(rep.a),
        "b": _plain(rep.b),
        "ratios": [{**_plain(r), "held": r.held} for r in rep.ratios],
    }


def _reach(results: Results) -> dict[str, dict[str, float | int | None]]:
    """What the open-loop runs show of the load generator per endpoint, as the Methodology prints it."""
    lat = results.latency
    out: dict[str, dict[str, float | int | None]] = {}
    for endpoint in lat.endpoints if lat is not None else ():
        found = lat.generator_reach(endpoint) if lat is not None else None
        if found is not None:
            top, behind, n = found
            out[endpoint] = {"highest_offered_rps": top, "first_behind_rps": behind, "runs_behind": n}
    for endpoint, (cpu, busy) in (lat.wrk_load if lat is not None else {}).items():
        # wrk in the closed-loop runs, as the Methodology prints it: its busiest run and the load core's
        if endpoint in out:
            out[endpoint].update({"wrk_cpu_max_pct": cpu, "wrk_load_core_busy_max_pct": busy})
    return out


def _short_runs(results: Results) -> dict[str, int] | None:
    """Rates measured both ways, and how many the longer runs missed after the short ones sustained them."""
    lat = results.latency
    if lat is None:
        return None
    both, missed = lat.short_vs_knee()
    return {"rates_both_ways": both, "missed_in_longer_runs": missed} if both else None


def _calibration(env: BenchEnvironment) -> dict[str, float] | None:
    """The reference workload's median and range as the PDF prints them (the readings are under environment)."""
    summary = calibration_summary(env)
    return None if summary is None else {"median_ms": summary[0], "range": summary[1]}


def _robustness(results: Results) -> dict[str, Any] | None:
    rb = results.robustness
    if rb is None:
        return None
    return {"samples": rb.samples, "seed": rb.seed, "wins": dict(rb.wins), "leaning": dict(rb.leaning)}


def _traces(summary: StackTraces) -> dict[str, Any]:
    def cov(c: Coverage | None) -> dict[str, Any] | None:
        if c is None:
            return None
        return {
            "set": c.set_count,
            "old_name": c.old_count,
            "missing": c.missing_count,
            "missing_required": list(c.missing_required),
            "attributes": dict(c.marks),
            "levels": dict(c.levels),
        }

    return {
        "spans": dict(summary.spans),
        "server_spans": dict(summary.server_spans),
        "db_spans": summary.db_spans,
        "server_span_checks": summary.server_checks,
        "old_names": list(summary.old_names),
        "semconv": {
            "package": package_version(),
            "release": levels().version,
            "http": cov(summary.http),
            "db": cov(summary.db),
        },
    }


def _waterfalls(results: Results, sid: str) -> dict[str, list[dict[str, Any]]]:
    """The captured trace of each endpoint as the OpenTelemetry chapter draws it: spans depth-first, times in ms."""
    out: dict[str, list[dict[str, Any]]] = {}
    for endpoint in ENDPOINTS:
        trace = traced(results.traces, sid, endpoint)
        if trace is not None:
            out[endpoint] = [
                {"name": s.name, "kind": s.kind, "depth": depth, "start_ms": s.start_ms, "duration_ms": s.duration_ms}
                for s, depth in tree_rows(trace)
            ]
    return out


def to_bytes(doc: Mapping[str, Any]) -> bytes:
    """Deterministic bytes: sorted keys, two-space indent, a final newline."""
    return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def results_bytes(results: Results) -> bytes:
    """The file as written beside the PDF."""
    return to_bytes(document(results))


def _measures(results: Results, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {sid: {} for sid in ids}
    known = set(ids)
    for item in dataclasses.fields(results.stats):
        value = getattr(results.stats, item.name)
        if not isinstance(value, Mapping) or not value:
            continue  # levels, variants: whole-report facts, given at the top level
        rows: dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]] = {}
        for key, entry in value.items():
            if isinstance(key, str) and key in known:
                out[key][item.name] = _plain(entry)
                continue
            if not isinstance(key, tuple) or not any(k in known for k in key):
                continue
            at = next(i for i, k in enumerate(key) if k in known)
            names = KEY_NAMES.get(item.name, ())
            names = names if len(names) == len(key) else tuple(f"key{i}" for i in range(len(key)))
            rest = tuple(k for i, k in enumerate(key) if i != at)
            where = {n: k for i, (n, k) in enumerate(zip(names, key, strict=True)) if i != at}
            if item.name == "evidence":  # (value, unit) per measure name
                number, unit = entry
                out[key[at]].setdefault("evidence", {})[str(where["measure"])] = {"value": number, "unit": unit}
            else:
                row = {**where, **_plain(entry)}
                by_run = getattr(entry, "rps_by_run", ())
                # the Methodology's round-to-round drift "as measured" (before calibration)
                if item.name == "load" and len(by_run) > 1:
                    row["rps_drift_measured"] = swing([v for _r, v in by_run])
                rows.setdefault(key[at], []).append((rest, row))
        for sid, found in rows.items():  # in key order: variant, then concurrency, ...
            out[sid][item.name] = [row for _rest, row in sorted(found, key=lambda pair: _sortable(pair[0]))]
    return out


def _sortable(parts: tuple[Any, ...]) -> tuple[tuple[int, float, str], ...]:
    return tuple((0, float(p), "") if isinstance(p, int | float) else (1, 0.0, str(p)) for p in parts)
