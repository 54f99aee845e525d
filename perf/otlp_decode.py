"""CPU cost of decoding OTLP/HTTP protobuf exports in the span receiver: official package vs hand-written walker.

The receiver runs on the load core beside wrk, so its CPU per span matters. This decodes the same export
(512 server spans with the attributes otelhttp sets, the SDKs' default batch size) many times with each decoder,
in both receiver modes (`count`: spans only; `detail`: kind, http.route and name per span), and prints
microseconds of CPU per span (time.process_time, best of 5 repetitions).

    .venv/bin/python perf/otlp_decode.py
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from report.bench.receiver import count_otlp_protobuf

SPANS = 512
ROUNDS = 200


def payload() -> bytes:
    """One export of SPANS server spans, as otelhttp would send them."""
    attrs = {
        "http.request.method": "GET",
        "url.scheme": "http",
        "server.address": "127.0.0.1",
        "server.port": "8080",
        "network.peer.address": "127.0.0.1",
        "user_agent.original": "wrk",
        "http.route": "/json",
        "network.protocol.version": "1.1",
    }
    spans = [
        Span(
            trace_id=i.to_bytes(16, "big"),
            span_id=i.to_bytes(8, "big"),
            name="GET /json",
            kind=Span.SPAN_KIND_SERVER,
            start_time_unix_nano=1_700_000_000_000_000_000 + i,
            end_time_unix_nano=1_700_000_000_000_050_000 + i,
            attributes=[KeyValue(key=k, value=AnyValue(string_value=v)) for k, v in attrs.items()],
        )
        for i in range(1, SPANS + 1)
    ]
    req = ExportTraceServiceRequest(resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=spans)])])
    return bytes(req.SerializeToString())


# --- the hand-written wire-format walker the receiver used before -------------------------------------------


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    out: list[tuple[int, int | bytes]] = []
    i, n = 0, len(buf)
    while i < n:
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            val, i = _varint(buf, i)
            out.append((field, val))
        elif wire == 1:
            out.append((field, buf[i : i + 8]))
            i += 8
        elif wire == 2:
            size, i = _varint(buf, i)
            out.append((field, buf[i : i + size]))
            i += size
        elif wire == 5:
            out.append((field, buf[i : i + 4]))
            i += 4
        else:
            raise ValueError(wire)
    return out


def hand_count(body: bytes, detail: bool) -> int:
    """Spans (and with `detail`, server spans with a route) by walking the protobuf wire format by hand."""
    spans = [
        span
        for f1, rs in _fields(body)
        if f1 == 1 and isinstance(rs, bytes)
        for f2, ss in _fields(rs)
        if f2 == 2 and isinstance(ss, bytes)
        for f3, span in _fields(ss)
        if f3 == 2 and isinstance(span, bytes)
    ]
    if not detail:
        return len(spans)
    routed = 0
    for span in spans:
        kind, route = 0, False
        for field, val in _fields(span):
            if field == 6 and isinstance(val, int):
                kind = val
            elif field == 9 and isinstance(val, bytes):
                kv = dict(_fields(val))
                any_value = kv.get(2)
                if kv.get(1) == b"http.route" and isinstance(any_value, bytes):
                    route = bool(dict(_fields(any_value)).get(1))
        routed += int(kind == 2 and route)
    return routed


def cpu_us_per_span(fn: Callable[[], object]) -> float:
    """Best of 5: CPU microseconds per span over ROUNDS decodes."""
    best = float("inf")
    for _ in range(5):
        t0 = time.process_time()
        for _ in range(ROUNDS):
            fn()
        best = min(best, time.process_time() - t0)
    return best / (ROUNDS * SPANS) * 1e6


def main() -> None:
    """Print µs of CPU per span for each decoder and mode."""
    body = payload()
    assert hand_count(body, False) == count_otlp_protobuf(body, False).spans == SPANS
    assert hand_count(body, True) == count_otlp_protobuf(body, True).server_spans_with_route == SPANS
    print(f"one export: {SPANS} spans, {len(body)} bytes; CPU µs per span, best of 5 x {ROUNDS} decodes")
    for mode, detail in (("count", False), ("detail", True)):
        official = cpu_us_per_span(functools.partial(count_otlp_protobuf, body, detail))
        hand = cpu_us_per_span(functools.partial(hand_count, body, detail))
        print(
            f"{mode:7} opentelemetry-proto {official:7.3f}   hand-written {hand:7.3f}   ratio {hand / official:5.1f}x"
        )


if __name__ == "__main__":
    main()
