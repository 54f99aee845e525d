"""The span receiver: decoding OTLP protobuf/JSON and Jaeger Thrift, and counting per stack over HTTP."""

from __future__ import annotations

import http.client
import json
import struct
import threading
from collections.abc import Iterator

import pytest

from report.bench.receiver import (
    Receiver,
    count_jaeger_thrift,
    count_otlp_json,
    count_otlp_protobuf,
    make_server,
)


# --- tiny encoders for test payloads ----------------------------------------------------------------
def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _ld(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _vi(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def pb_span(kind: int, route: str | None) -> bytes:
    span = _ld(1, b"\x01" * 16) + _ld(2, b"\x02" * 8) + _ld(5, b"GET /json") + _vi(6, kind)
    span += _ld(9, _ld(1, b"http.request.method") + _ld(2, _ld(1, b"GET")))
    if route is not None:
        span += _ld(9, _ld(1, b"http.route") + _ld(2, _ld(1, route.encode())))
    return span


def pb_request(spans: list[bytes]) -> bytes:
    scope = _ld(1, _ld(1, b"bench")) + b"".join(_ld(2, s) for s in spans)
    resource = _ld(1, _ld(1, _ld(1, b"service.name") + _ld(2, _ld(1, b"x"))))
    return _ld(1, resource + _ld(2, scope))


def _tfield(ftype: int, fid: int) -> bytes:
    return struct.pack(">bh", ftype, fid)


def _tstr(fid: int, s: str) -> bytes:
    raw = s.encode()
    return _tfield(11, fid) + struct.pack(">i", len(raw)) + raw


def _ttag(key: str, value: str) -> bytes:
    return _tstr(1, key) + _tfield(8, 2) + struct.pack(">i", 0) + _tstr(3, value) + b"\x00"


def thrift_batch(spans: list[dict[str, str]]) -> bytes:
    process = _tfield(12, 1) + _tstr(1, "bench-go") + b"\x00"
    body = _tfield(15, 2) + struct.pack(">bi", 12, len(spans))
    for tags in spans:
        span = _tfield(10, 1) + struct.pack(">q", 1) + _tstr(5, "GET /json")
        span += _tfield(15, 10) + struct.pack(">bi", 12, len(tags))
        span += b"".join(_ttag(k, v) for k, v in tags.items())
        body += span + b"\x00"
    return process + body + b"\x00"


# --- decoding ---------------------------------------------------------------------------------------
def test_otlp_protobuf_counts_server_spans_and_route() -> None:
    body = pb_request([pb_span(2, "/json"), pb_span(2, None), pb_span(1, None)])
    c = count_otlp_protobuf(body)
    assert (c.spans, c.server_spans, c.server_spans_with_route) == (3, 2, 1)
    assert count_otlp_protobuf(body, detail=False).spans == 3


def test_otlp_protobuf_truncated_is_an_error() -> None:
    with pytest.raises(ValueError):
        count_otlp_protobuf(pb_request([pb_span(2, "/json")])[:-3])


def test_otlp_json_counts() -> None:
    doc = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "spanId": "a",
                                "parentSpanId": "",
                                "kind": 2,
                                "attributes": [{"key": "http.route", "value": {"stringValue": "/json"}}],
                            },
                            {"spanId": "b", "parentSpanId": "a", "kind": 1, "attributes": []},
                        ]
                    }
                ]
            }
        ]
    }
    body = json.dumps(doc).encode()
    c = count_otlp_json(body)
    assert (c.spans, c.server_spans, c.server_spans_with_route) == (2, 1, 1)
    assert count_otlp_json(body, detail=False).spans == 2


def test_jaeger_thrift_counts() -> None:
    body = thrift_batch(
        [{"span.kind": "server", "http.route": "/json"}, {"span.kind": "server"}, {"span.kind": "internal"}]
    )
    c = count_jaeger_thrift(body)
    assert (c.spans, c.server_spans, c.server_spans_with_route) == (3, 2, 1)
    assert count_jaeger_thrift(body, detail=False).spans == 3


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
    assert _post(port, "/fastapi/v1/traces", pb_request([pb_span(2, "/json")] * 3), "application/x-protobuf") == 200
    assert (
        _post(
            port,
            "/go/api/traces",
            thrift_batch([{"span.kind": "server", "http.route": "/json"}]),
            "application/x-thrift",
        )
        == 200
    )
    # Bun's exporter sends chunked JSON without a Content-Length.
    js = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{"spanId": "a", "kind": 2}]}]}]}).encode()
    assert _post(port, "/bun/v1/traces", js, "application/json", chunked=True) == 200
    counts = _counts(port)
    assert counts["fastapi"]["spans"] == 3 and counts["fastapi"]["server_spans_with_route"] == 3
    assert counts["go"]["spans"] == 1 and counts["go"]["server_spans_with_route"] == 1
    assert counts["bun"]["spans"] == 1 and counts["bun"]["server_spans_with_route"] == 0


def test_bad_payload_is_counted_not_fatal(server: tuple[int, Receiver]) -> None:
    port, _ = server
    assert _post(port, "/go/api/traces", b"\x0f\x00", "application/x-thrift") == 200
    assert _counts(port)["go"]["bad_payloads"] == 1


def test_store_mode_counts_later_and_reset_clears(server: tuple[int, Receiver]) -> None:
    port, receiver = server
    assert _post(port, "/mode/store", b"", "text/plain") == 200
    assert receiver.mode == "store"
    _post(port, "/go/v1/traces", pb_request([pb_span(2, "/json")] * 5), "application/x-protobuf")
    assert _counts(port)["go"]["spans"] == 5
    _post(port, "/reset", b"", "text/plain")
    assert _counts(port) == {}
    assert _post(port, "/mode/bogus", b"", "text/plain") == 400
