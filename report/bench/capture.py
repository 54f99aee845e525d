"""One representative trace per stack, variant and endpoint, chosen from the spans the receiver kept whole.

The span probes (report/bench/probes.py) send sequential requests to one traced service with the receiver in
detail mode, which keeps every span (report/bench/receiver.py). Of the traces for the probed endpoint, the first
half warms the service up; from the second half, the steady state, the trace whose root span has the median
duration is kept. Span ids become small numbers in start order, and times offsets from the root's start, so the
written file (data/benchmarks/traces.json) carries no random ids.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

# Attributes that name the request path on a server span, current and older semantic conventions.
_PATH_KEYS = ("http.route", "url.path", "http.target")
SELECTION = "median root-span duration of the second half of the span probe's sequential requests"


def _matches(span: dict[str, Any], path: str) -> bool:
    attrs = span.get("attributes") or {}
    if any(attrs.get(k) == path for k in _PATH_KEYS):
        return True
    name = str(span.get("name", ""))
    return name == path or name.endswith(" " + path)


def _roots(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = {s["span_id"] for s in spans}
    return [s for s in spans if not s.get("parent_span_id") or s["parent_span_id"] not in ids]


def _ms(ns: int) -> float:
    return round(ns / 1e6, 4)


def representative(spans: list[dict[str, Any]], path: str) -> tuple[list[dict[str, Any]], int] | None:
    """The median-duration trace of the steady-state half of the traces for `path`, and how many traces it was
    chosen from; None when no complete trace (exactly one root) reached `path`."""
    by_trace: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for span in spans:
        by_trace[str(span["trace_id"])].append(span)
    candidates: list[tuple[int, int, str]] = []  # root start, root duration, trace id
    for trace_id, members in by_trace.items():
        roots = _roots(members)
        if len(roots) != 1 or not any(_matches(s, path) for s in members):
            continue
        root = roots[0]
        candidates.append((int(root["start_ns"]), int(root["end_ns"]) - int(root["start_ns"]), trace_id))
    if not candidates:
        return None
    candidates.sort()
    steady = candidates[len(candidates) // 2 :]
    by_duration = sorted(steady, key=lambda c: (c[1], c[0]))
    chosen = by_duration[(len(by_duration) - 1) // 2]
    return by_trace[chosen[2]], len(steady)


def trace_record(
    stack: str, variant: str, endpoint: str, spans: list[dict[str, Any]], chosen_from: int
) -> dict[str, Any]:
    """One traces.json entry: spans numbered in start order, parents by number, times in ms from the root's start."""
    root = _roots(spans)[0]
    t0 = int(root["start_ns"])
    depth: dict[str, int] = {}
    ids = {s["span_id"]: s for s in spans}

    def depth_of(span: dict[str, Any]) -> int:
        sid = span["span_id"]
        if sid not in depth:
            parent = ids.get(span.get("parent_span_id") or "")
            depth[sid] = 0 if parent is None or parent is span else depth_of(parent) + 1
        return depth[sid]

    ordered = sorted(spans, key=lambda s: (int(s["start_ns"]), depth_of(s), str(s["name"])))
    number = {s["span_id"]: i for i, s in enumerate(ordered)}
    out_spans = []
    for s in ordered:
        parent = number.get(s.get("parent_span_id") or "")
        record: dict[str, Any] = {
            "id": number[s["span_id"]],
            "parent": parent if parent != number[s["span_id"]] else None,
            "name": s["name"],
            "kind": s["kind"],
            "scope": s.get("scope") or "",
            "start_ms": _ms(int(s["start_ns"]) - t0),
            "duration_ms": _ms(max(0, int(s["end_ns"]) - int(s["start_ns"]))),
            "status": s.get("status") or "unset",
            "attributes": dict(sorted((s.get("attributes") or {}).items())),
        }
        if s.get("status_message"):
            record["status_message"] = s["status_message"]
        out_spans.append(record)
    return {
        "stack": stack,
        "variant": variant,
        "endpoint": endpoint,
        "chosen_from": chosen_from,
        "duration_ms": _ms(int(root["end_ns"]) - t0),
        "resource": dict(sorted((root.get("resource") or {}).items())),
        "spans": out_spans,
    }


def traces_text(records: list[dict[str, Any]]) -> str:
    """traces.json: every captured trace, one key per line so `lead-magnet check` can name lines."""
    doc = {"selection": SELECTION, "traces": records}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
