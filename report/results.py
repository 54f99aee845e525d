"""The computed results as JSON (backend-language-comparison.json): one source of numbers for the PDF and the blog.

Built generically from the pipeline's computed objects, so a measure added to the statistics (a new table, a new
spread) appears here without a change to this module: every field of `Stats` that holds one value per stack
becomes a measure of each stack, keyed by the field's name. Validated by results.schema.json in the tests.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from report import __version__
from report.computed import Results
from report.rubric import score_of
from report.semconv import Coverage, package_version
from report.stats import ranking
from report.traces import StackTraces, summarise, traced

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
RAW_RUNS = "values"  # a Spread's individual runs: the CSVs have them; the JSON gives medians and spreads


def document(results: Results) -> dict[str, Any]:
    """Everything the report computed, per stack: measures with their spread, scores, overall and rank."""
    cfg, rubric = results.config, results.rubric
    ids = cfg.stack_ids
    order = ranking(results.overall, lower_is_better=False)
    measures = _measures(results, ids)
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
                    }
                    for c in category.criteria
                },
            }
        entry: dict[str, Any] = {}
        if traced(results.traces, sid, "json") is not None:
            entry["traces"] = _traces(summarise(results.traces, sid))
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
        "environment": env.model_dump(mode="json", exclude={"measured_at", "sample", "notes"}),
        "levels": list(results.stats.levels),
        "top_level": results.stats.top_level,
        "stacks": stacks,
    }


def _traces(summary: StackTraces) -> dict[str, Any]:
    def cov(c: Coverage | None) -> dict[str, Any] | None:
        if c is None:
            return None
        missing = sum(1 for m in c.marks.values() if m == "missing")
        return {"set": c.set_count, "old_name": c.old_count, "missing": missing, "attributes": dict(c.marks)}

    return {
        "spans": dict(summary.spans),
        "server_spans": dict(summary.server_spans),
        "db_spans": summary.db_spans,
        "server_span_checks": summary.server_checks,
        "old_names": list(summary.old_names),
        "semconv": {"package": package_version(), "http": cov(summary.http), "db": cov(summary.db)},
    }


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
                rows.setdefault(key[at], []).append((rest, {**where, **_plain(entry)}))
        for sid, found in rows.items():  # in key order: variant, then concurrency, ...
            out[sid][item.name] = [row for _rest, row in sorted(found, key=lambda pair: _sortable(pair[0]))]
    return out


def _sortable(parts: tuple[Any, ...]) -> tuple[tuple[int, float, str], ...]:
    return tuple((0, float(p), "") if isinstance(p, int | float) else (1, 0.0, str(p)) for p in parts)


def _plain(value: Any) -> Any:
    """Dataclasses as objects (without the raw runs), tuples as lists, floats checked finite."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != RAW_RUNS}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"a computed result is not a finite number: {value}")
    return value
