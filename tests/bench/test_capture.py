"""The trace capture: the receiver keeps whole spans in detail mode; one median trace per endpoint is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from report.bench.capture import SELECTION, representative, trace_record, traces_text
from report.bench.receiver import Receiver, spans_of
from report.inputs.traces import load_traces


def _kv(key: str, value: str | int) -> KeyValue:
    v = AnyValue(int_value=value) if isinstance(value, int) else AnyValue(string_value=value)
    return KeyValue(key=key, value=v)


def _trace(n: int, start: int, server_ns: int, path: str = "/json") -> list[Span]:
    """One request's spans: a server span and an internal child, trace id n."""
    tid = n.to_bytes(16, "big")
    server = Span(
        trace_id=tid,
        span_id=(n * 2).to_bytes(8, "big"),
        name=f"GET {path}",
        kind=Span.SPAN_KIND_SERVER,
        start_time_unix_nano=start,
        end_time_unix_nano=start + server_ns,
        attributes=[_kv("http.route", path), _kv("http.response.status_code", 200)],
    )
    child = Span(
        trace_id=tid,
        span_id=(n * 2 + 1).to_bytes(8, "big"),
        parent_span_id=(n * 2).to_bytes(8, "big"),
        name=f"GET {path} http send",
        kind=Span.SPAN_KIND_INTERNAL,
        start_time_unix_nano=start + 1000,
        end_time_unix_nano=start + 3000,
        status=Status(code=Status.STATUS_CODE_ERROR, message="boom"),
    )
    return [child, server]  # exporters send children first: the capture must not rely on order


def _export(spans: list[Span]) -> bytes:
    resource = Resource(attributes=[_kv("service.name", "svc")])
    req = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=spans)])]
    )
    return bytes(req.SerializeToString())


def test_detail_mode_keeps_whole_spans_and_count_mode_does_not() -> None:
    rec = Receiver()
    rec.accept("go", "application/x-protobuf", _export(_trace(1, 10_000, 50_000)))
    kept = rec.kept("go")
    assert [(s["name"], s["kind"], s["status"], s["status_message"]) for s in kept] == [
        ("GET /json http send", "internal", "error", "boom"),
        ("GET /json", "server", "unset", ""),
    ]
    assert kept[1]["attributes"] == {"http.route": "/json", "http.response.status_code": 200}
    assert kept[1]["resource"] == {"service.name": "svc"}
    rec.mode = "count"
    rec.accept("go", "application/x-protobuf", _export(_trace(2, 10_000, 50_000)))
    assert len(rec.kept("go")) == 2
    rec.reset()
    assert rec.kept("go") == []


def test_the_median_trace_of_the_second_half_is_chosen() -> None:
    # durations in request order: the first half (warm-up) holds the slowest and the fastest; the second half
    # is 300, 500, 900, whose median is 500, the fifth request
    durations = [5_000_000, 100, 700, 300, 500, 900]
    spans: list[dict[str, Any]] = []
    for i, d in enumerate(durations):
        spans += spans_of(_export(_trace(i + 1, 1_000_000 * (i + 1), d + 4000)))
    spans += spans_of(_export(_trace(99, 50_000_000, 1, "/health")))  # another path is never chosen
    found = representative(spans, "/json")
    assert found is not None
    chosen, n = found
    assert n == 3 and {s["trace_id"] for s in chosen} == {(5).to_bytes(16, "big").hex()}
    assert representative(spans, "/db") is None


def test_record_numbers_spans_and_round_trips_through_check(tmp_path: Path) -> None:
    spans = spans_of(_export(_trace(7, 2_000_000, 40_000)))
    record = trace_record("go", "otel", "json", spans, 3)
    assert [(s["id"], s["parent"], s["name"], s["start_ms"], s["duration_ms"]) for s in record["spans"]] == [
        (0, None, "GET /json", 0.0, 0.04),
        (1, 0, "GET /json http send", 0.001, 0.002),
    ]
    assert record["duration_ms"] == 0.04 and record["resource"] == {"service.name": "svc"}
    (tmp_path / "traces.json").write_text(traces_text([record]))
    assert json.loads((tmp_path / "traces.json").read_text())["selection"] == SELECTION
    traces, problems = load_traces(tmp_path, "data/benchmarks", ["go"])
    assert problems == [] and traces[0].spans[1].status_message == "boom"
