"""data/benchmarks/traces.json: one captured trace per stack, variant and endpoint, checked and summarised.

The harness writes it (report/bench/capture.py); `lead-magnet check` validates it with every problem as
`file:line: key: message` (the file is JSON written one key per line, read by the same safe loader as YAML);
the report draws each trace and checks its spans against the stable semantic conventions (report/inputs/semconv.py),
and the server-span criterion is scored from it (`trace_*` measures, see TRACE_MEASURES).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from report.errors import Problem
from report.inputs.semconv import Coverage, coverage, old_names
from report.inputs.validation import LineMap, NonNegativeFloat, StackId, Strict, Text, format_loc, not_utf8, read_text
from report.inputs.yaml_model import load_model

TRACES_FILE = "traces.json"
ENDPOINTS = ("json", "db")
TRACED_VARIANT = "otel"  # the traced variant every stack has; Bun's candidates are captured beside it

Scalar = str | bool | int | float
AttributeValue = Scalar | list[Scalar] | None
Name = Annotated[str, Field(min_length=1, max_length=200)]


class TraceSpan(Strict):
    """One span of a captured trace: numbered in start order, its parent by number."""

    id: Annotated[int, Field(ge=0)]
    parent: Annotated[int, Field(ge=0)] | None
    name: Name
    kind: Literal["server", "client", "internal", "producer", "consumer", "unspecified"]
    scope: Annotated[str, Field(max_length=200)]
    start_ms: NonNegativeFloat
    duration_ms: NonNegativeFloat
    status: Literal["unset", "ok", "error"]
    status_message: Annotated[str, Field(max_length=400)] | None = None
    attributes: dict[str, AttributeValue]


class Trace(Strict):
    """One representative trace: which stack, variant and endpoint, and its spans."""

    stack: StackId
    variant: StackId
    endpoint: Literal["json", "db"]
    chosen_from: Annotated[int, Field(ge=1)]
    duration_ms: NonNegativeFloat
    resource: dict[str, AttributeValue]
    spans: Annotated[list[TraceSpan], Field(min_length=1, max_length=200)]


class TracesFile(Strict):
    """The whole of traces.json."""

    selection: Text
    traces: list[Trace]


def load_traces(
    bench_dir: Path, shown_bench: str, stack_ids: Sequence[str] | None
) -> tuple[tuple[Trace, ...], list[Problem]]:
    """Read traces.json when present (older data folders have none: no traces, no problems)."""
    path = bench_dir / TRACES_FILE
    if not path.exists():
        return (), []
    shown = f"{shown_bench}/{TRACES_FILE}"
    try:
        json.loads(read_text(path))  # JSON first: the YAML reader below would accept more than JSON
    except UnicodeDecodeError as exc:
        return (), [not_utf8(shown, exc)]
    except json.JSONDecodeError as exc:
        return (), [Problem(shown, exc.lineno, "", f"this is not valid JSON ({exc.msg} at column {exc.colno})")]
    doc, lines, problems = load_model(path, shown, TracesFile)
    if doc is None:
        return (), problems
    problems += _check(doc, shown, lines, stack_ids)
    return (tuple(doc.traces) if not problems else ()), problems


def _check(doc: TracesFile, shown: str, lines: LineMap, stack_ids: Sequence[str] | None) -> list[Problem]:
    problems: list[Problem] = []

    def add(loc: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(shown, lines.line_for(loc), format_loc(loc), message))

    seen: dict[tuple[str, str, str], int] = {}
    for ti, trace in enumerate(doc.traces):
        base: tuple[str | int, ...] = ("traces", ti)
        key = (trace.stack, trace.variant, trace.endpoint)
        if key in seen:
            add(
                base,
                f"a second trace for {trace.stack} {trace.variant} /{trace.endpoint}; the first is traces[{seen[key]}]",
            )
        seen.setdefault(key, ti)
        if stack_ids is not None and trace.stack not in stack_ids:
            add(
                (*base, "stack"),
                f"unknown stack '{trace.stack}'; expected one of the ids in report.yaml: {', '.join(stack_ids)}",
            )
        for si, span in enumerate(trace.spans):
            where = (*base, "spans", si)
            if span.id != si:
                add((*where, "id"), f"expected {si} (spans are numbered in order from 0), found {span.id}")
            if span.parent is not None and (span.parent >= len(trace.spans) or span.parent == span.id):
                add(
                    (*where, "parent"),
                    f"expected the id of another span of this trace (0 to {len(trace.spans) - 1}) or null, "
                    f"found {span.parent}",
                )
        roots = [s.id for s in trace.spans if s.parent is None]
        if len(roots) != 1:
            add((*base, "spans"), f"expected exactly one root span (parent null), found {len(roots)}")
    if stack_ids is not None and doc.traces:
        for endpoint in ENDPOINTS:
            have = {t.stack for t in doc.traces if t.endpoint == endpoint and t.variant == TRACED_VARIANT}
            if endpoint == "db" and not have:
                continue
            for sid in stack_ids:
                if sid not in have:
                    add(
                        ("traces",),
                        f"no {TRACED_VARIANT} trace of /{endpoint} for stack '{sid}'; every stack needs one",
                    )
    return problems


# --- what a trace shows -------------------------------------------------------------------------------


def traced(traces: Sequence[Trace], stack: str, endpoint: str) -> Trace | None:
    """The stack's traced variant's trace of an endpoint."""
    return next(
        (t for t in traces if t.stack == stack and t.endpoint == endpoint and t.variant == TRACED_VARIANT), None
    )


def tree_rows(trace: Trace) -> list[tuple[TraceSpan, int]]:
    """The spans depth-first from the root, children in start order, each with its depth."""
    children: dict[int | None, list[TraceSpan]] = {}
    for span in trace.spans:
        children.setdefault(span.parent, []).append(span)
    rows: list[tuple[TraceSpan, int]] = []
    todo = [(span, 0) for span in reversed(sorted(children.get(None, []), key=lambda s: (s.start_ms, s.id)))]
    seen: set[int] = set()
    while todo:
        span, depth = todo.pop()
        if span.id in seen:
            continue
        seen.add(span.id)
        rows.append((span, depth))
        kids = sorted(children.get(span.id, []), key=lambda s: (s.start_ms, s.id))
        todo += [(kid, depth + 1) for kid in reversed(kids)]
    return rows


def server_span(trace: Trace) -> TraceSpan | None:
    """The trace's first SERVER-kind span (its root, for every stack measured)."""
    return next((s for s in trace.spans if s.kind == "server"), None)


def db_spans(trace: Trace) -> list[TraceSpan]:
    """Spans describing a database call: any attribute in the db.* namespace, current or old."""
    return [s for s in trace.spans if any(k.startswith("db.") for k in s.attributes)]


def db_span(trace: Trace) -> TraceSpan | None:
    """The database span the table checks: of the spans with db.* attributes, the first CLIENT span with the most
    of them (a query rather than a connect or pool span)."""
    spans = db_spans(trace)
    if not spans:
        return None

    def weight(span: TraceSpan) -> tuple[bool, int]:
        return span.kind == "client", sum(1 for k in span.attributes if k.startswith("db."))

    best = max(weight(sp) for sp in spans)
    return next(sp for sp in spans if weight(sp) == best)


@dataclass(frozen=True)
class StackTraces:
    """One stack's captured traces in numbers: spans per kind, and semantic-convention coverage."""

    stack: str
    spans: dict[str, int]  # endpoint -> spans in its trace
    server_spans: dict[str, int]  # endpoint -> SERVER spans
    db_spans: int  # spans with db.* attributes in the /db trace
    http: Coverage | None  # the /json server span against the HTTP convention
    db: Coverage | None  # the /db trace's database span (db_span) against the database convention
    old_names: tuple[str, ...]  # deprecated names set on the /json server span or the database span
    server_checks: int  # TRACE_MEASURES["trace_server_span_checks"]


def summarise(traces: Sequence[Trace], stack: str) -> StackTraces:
    """Counts and coverage for one stack."""
    spans, servers = {}, {}
    for endpoint in ENDPOINTS:
        trace = traced(traces, stack, endpoint)
        if trace is not None:
            spans[endpoint] = len(trace.spans)
            servers[endpoint] = sum(1 for s in trace.spans if s.kind == "server")
    json_trace, db_trace = traced(traces, stack, "json"), traced(traces, stack, "db")
    server = server_span(json_trace) if json_trace else None
    dbs = db_spans(db_trace) if db_trace else []
    checked = db_span(db_trace) if db_trace else None
    olds = sorted(
        set(old_names(server.attributes) if server else []) | set(old_names(checked.attributes) if checked else [])
    )
    return StackTraces(
        stack=stack,
        spans=spans,
        server_spans=servers,
        db_spans=len(dbs),
        http=coverage("http", server.attributes) if server else None,
        db=coverage("db", checked.attributes) if checked else None,
        old_names=tuple(olds),
        server_checks=server_checks(json_trace) if json_trace else 0,
    )


def server_checks(trace: Trace) -> int:
    """How many of the server-span checks the trace passes, in order, stopping at the first it fails:
    1 a SERVER span; 2 it carries http.route; 3 it is named after the route (`GET /json`); 4 it sets every
    attribute the stable HTTP server span convention marks Required (semconv_levels.yaml), and none of its
    attributes uses a name the conventions have deprecated.

    Of the Conditionally Required attributes only http.route is checked (check 2): its condition, "if it's
    available", holds wherever the framework routes the request, and every service declares its routes. The model
    states the others' conditions as free text about one request (an error, a query string, a non-standard method);
    the report's table shows them with that text, unscored, and Recommended attributes likewise."""
    server = server_span(trace)
    if server is None:
        return 0
    route = server.attributes.get("http.route")
    passed = [
        True,
        isinstance(route, str) and bool(route),
        server.name == f"GET {route}",
        not old_names(server.attributes) and not coverage("http", server.attributes).missing_required,
    ]
    count = 0
    for ok in passed:
        if not ok:
            break
        count += 1
    return count


# Measures computed from traces.json, for rubric `score_from` and `measures` like evidence.csv's: name -> unit.
# trace_server_missing_required: the Required attributes of the stable HTTP server span convention that the
# /json server span does not set under their current name (0 without a server span: check 1 already fails).
TRACE_MEASURES = {"trace_server_span_checks": "checks", "trace_server_missing_required": "attributes"}


def trace_measures(traces: Sequence[Trace], stack_ids: Sequence[str]) -> dict[tuple[str, str], tuple[float, str]]:
    """(stack, measure) -> (value, unit) for every stack with a traced /json trace."""
    out: dict[tuple[str, str], tuple[float, str]] = {}
    for sid in stack_ids:
        trace = traced(traces, sid, "json")
        if trace is not None:
            server = server_span(trace)
            missing = len(coverage("http", server.attributes).missing_required) if server is not None else 0
            out[(sid, "trace_server_span_checks")] = (
                float(server_checks(trace)),
                TRACE_MEASURES["trace_server_span_checks"],
            )
            out[(sid, "trace_server_missing_required")] = (
                float(missing),
                TRACE_MEASURES["trace_server_missing_required"],
            )
    return out
