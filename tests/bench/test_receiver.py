"""The span receiver: decoding OTLP/HTTP protobuf with opentelemetry-proto, and counting per stack over HTTP."""

from __future__ import annotations

import gzip
import http.client
import json
import threading
from collections.abc import Iterator

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from report.bench.receiver import Receiver, count_otlp_protobuf, make_server


# --- test payloads, built with the official message classes ----------------------------------------------
def pb_span(kind: int, route: str | None, name: str = "GET /json") -> Span:
    attrs = [KeyValue(key="http.request.method", value=AnyValue(string_value="GET"))]
    if route is not None:
        attrs.append(KeyValue(key="http.route", value=AnyValue(string_value=route)))
    return Span(trace_id=b"\x01" * 16, span_id=b"\x02" * 8, name=name, kind=kind, attributes=attrs)  # type: ignore[arg-type]


def pb_request(spans: list[Span]) -> bytes:
    req = ExportTraceServiceRequest(resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=spans)])])
    return bytes(req.SerializeToString())


# --- decoding ---------------------------------------------------------------------------------------
def test_otlp_protobuf_counts_server_spans_route_and_names() -> None:
    body = pb_request([pb_span(2, "/json"), pb_span(2, None, "GET"), pb_span(1, None, "internal")])
    c = count_otlp_protobuf(body)
    assert (c.spans, c.server_spans, c.server_spans_with_route) == (3, 2, 1)
    assert c.server_span_names == {"GET /json": 1, "GET": 1}
    assert count_otlp_protobuf(body, detail=False).spans == 3


def test_otlp_protobuf_truncated_is_an_error() -> None:
    with pytest.raises(ValueError):
        count_otlp_protobuf(pb_request([pb_span(2, "/json")])[:-3])


# --- over HTTP --------------------------------------------------------------------------------------
@pytest.fixture
def server() -> Iterator[tuple[int, Receiver]]:
    receiver = Receiver()
    srv = make_server(receiver)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield int(srv.server_address[1]), receiver
    finally:
        srv.shutdown()
        srv.server_close()


def _post(port: int, path: str, body: bytes, ctype: str, chunked: bool = False) -> int:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request(
        "POST", path, body=iter([body]) if chunked else body, headers={"Content-Type": ctype}, encode_chunked=chunked
    )
    status = c.getresponse().status
    c.close()
    return status


def _counts(port: int) -> dict[str, dict[str, int]]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/counts")
    doc: dict[str, dict[str, int]] = json.loads(c.getresponse().read())
    c.close()
    return doc


def test_counts_per_stack_over_http(server: tuple[int, Receiver]) -> None:
    port, _ = server
    pb = "application/x-protobuf"
    assert _post(port, "/fastapi/v1/traces", pb_request([pb_span(2, "/json")] * 3), pb) == 200
    assert _post(port, "/go/v1/traces", pb_request([pb_span(2, "/json")]), pb) == 200
    # Bun's node:http-based exporter may send chunked bodies without a Content-Length.
    assert _post(port, "/bun/v1/traces", pb_request([pb_span(2, None, "GET")]), pb, chunked=True) == 200
    counts = _counts(port)
    assert counts["fastapi"]["spans"] == 3 and counts["fastapi"]["server_spans_with_route"] == 3
    assert counts["go"]["spans"] == 1 and counts["go"]["server_spans_with_route"] == 1
    assert counts["bun"]["spans"] == 1 and counts["bun"]["server_spans_with_route"] == 0


def test_gzip_export_is_decoded(server: tuple[int, Receiver]) -> None:
    port, _ = server
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    body = gzip.compress(pb_request([pb_span(2, "/json")] * 2))
    c.request(
        "POST",
        "/go/v1/traces",
        body=body,
        headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
    )
    assert c.getresponse().status == 200
    c.close()
    assert _counts(port)["go"]["spans"] == 2


def test_bad_payload_is_counted_not_fatal(server: tuple[int, Receiver]) -> None:
    port, _ = server
    assert _post(port, "/go/v1/traces", b"\x0a\xff\xff", "application/x-protobuf") == 200
    assert _counts(port)["go"]["bad_payloads"] == 1


def test_json_export_is_flagged_as_not_like_for_like(server: tuple[int, Receiver]) -> None:
    port, _ = server
    js = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{"spanId": "a", "kind": 2}]}]}]}).encode()
    assert _post(port, "/bun/v1/traces", js, "application/json") == 200
    got = _counts(port)["bun"]
    assert got["bad_content_type"] == 1 and got["spans"] == 0


def test_store_mode_counts_later_and_reset_clears(server: tuple[int, Receiver]) -> None:
    port, receiver = server
    assert _post(port, "/mode/store", b"", "text/plain") == 200
    assert receiver.mode == "store"
    _post(port, "/go/v1/traces", pb_request([pb_span(2, "/json")] * 5), "application/x-protobuf")
    assert _counts(port)["go"]["spans"] == 5
    _post(port, "/reset", b"", "text/plain")
    assert _counts(port) == {}
    assert _post(port, "/mode/bogus", b"", "text/plain") == 400


def test_detail_mode_spans_are_served_whole_per_stack(server: tuple[int, Receiver]) -> None:
    port, _receiver = server
    _post(port, "/go/v1/traces", pb_request([pb_span(2, "/json")]), "application/x-protobuf")
    _post(port, "/go/v1/traces", b"\xff\x00", "application/x-protobuf")  # bad: counted, nothing kept
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/spans/go")
    kept = json.loads(c.getresponse().read())
    c.request("GET", "/spans/bun")
    assert json.loads(c.getresponse().read()) == []
    c.close()
    assert [(s["name"], s["kind"], s["attributes"]) for s in kept] == [
        ("GET /json", "server", {"http.request.method": "GET", "http.route": "/json"})
    ]
