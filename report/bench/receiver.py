"""A local trace receiver: accepts OTLP/HTTP protobuf exports and counts spans per stack."""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import threading
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

_ROUTE_KEY = "http.route"
_MAX_NAMES = 50  # distinct server span names kept per stack: a probe needs a few, not one per URL
_MAX_KEPT_SPANS = 20_000  # spans kept whole per stack in detail mode: a probe's requests, not a load run's
_KINDS = {
    Span.SPAN_KIND_INTERNAL: "internal",
    Span.SPAN_KIND_SERVER: "server",
    Span.SPAN_KIND_CLIENT: "client",
    Span.SPAN_KIND_PRODUCER: "producer",
    Span.SPAN_KIND_CONSUMER: "consumer",
}
_STATUS = {0: "unset", 1: "ok", 2: "error"}


@dataclass
class SpanCounts:
    """What one stack's exporter delivered."""

    exports: int = 0
    spans: int = 0
    server_spans: int = 0
    server_spans_with_route: int = 0
    bytes: int = 0
    bad_payloads: int = 0
    bad_content_type: int = 0
    server_span_names: dict[str, int] = field(default_factory=dict)

    def add(self, other: SpanCounts) -> None:
        """Add another count into this one."""
        self.exports += other.exports
        self.spans += other.spans
        self.server_spans += other.server_spans
        self.server_spans_with_route += other.server_spans_with_route
        self.bytes += other.bytes
        self.bad_payloads += other.bad_payloads
        self.bad_content_type += other.bad_content_type
        for name, n in other.server_span_names.items():
            if name in self.server_span_names or len(self.server_span_names) < _MAX_NAMES:
                self.server_span_names[name] = self.server_span_names.get(name, 0) + n


# --- OTLP protobuf, decoded with the official opentelemetry-proto package ---------------------------------
# perf/otlp_decode.py measured it against the hand-written wire-format walker this module used before:
# protobuf's C (upb) decoder costs less CPU per span on the load core; see services/README.md.


def _request(body: bytes) -> ExportTraceServiceRequest:
    try:
        request: ExportTraceServiceRequest = ExportTraceServiceRequest.FromString(body)
        return request
    except DecodeError as exc:
        raise ValueError(f"not an OTLP ExportTraceServiceRequest: {exc}") from exc


def count_otlp_protobuf(body: bytes, detail: bool = True) -> SpanCounts:
    """Count spans in an OTLP protobuf ExportTraceServiceRequest; with `detail`, server spans and names too."""
    counts = SpanCounts(exports=1, bytes=len(body))
    request = _request(body)
    for rs in request.resource_spans:
        for ss in rs.scope_spans:
            counts.spans += len(ss.spans)
            if not detail:
                continue
            for span in ss.spans:
                if span.kind != Span.SPAN_KIND_SERVER:
                    continue
                counts.server_spans += 1
                route = any(a.key == _ROUTE_KEY and a.value.string_value for a in span.attributes)
                counts.server_spans_with_route += int(route)
                counts.server_span_names[span.name] = counts.server_span_names.get(span.name, 0) + 1
    return counts


def _value(v: Any) -> Any:
    """An OTLP AnyValue as a JSON value: scalars as they are, arrays as lists, anything else as text."""
    which = v.WhichOneof("value")
    if which in ("string_value", "bool_value", "int_value", "double_value"):
        return getattr(v, which)
    if which == "array_value":
        return [_value(x) for x in v.array_value.values]
    if which == "bytes_value":
        return v.bytes_value.hex()
    if which == "kvlist_value":
        return json.dumps({kv.key: _value(kv.value) for kv in v.kvlist_value.values}, sort_keys=True)
    return None


def _attributes(pairs: Any) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in pairs}


def spans_of(body: bytes) -> list[dict[str, Any]]:
    """Every span of an OTLP protobuf export, whole: ids, name, kind, times, status, scope, attributes, resource."""
    out: list[dict[str, Any]] = []
    for rs in _request(body).resource_spans:
        resource = _attributes(rs.resource.attributes)
        for ss in rs.scope_spans:
            for span in ss.spans:
                out.append(
                    {
                        "trace_id": span.trace_id.hex(),
                        "span_id": span.span_id.hex(),
                        "parent_span_id": span.parent_span_id.hex(),
                        "name": span.name,
                        "kind": _KINDS.get(span.kind, "unspecified"),
                        "start_ns": span.start_time_unix_nano,
                        "end_ns": span.end_time_unix_nano,
                        "status": _STATUS.get(span.status.code, "unset"),
                        "status_message": span.status.message,
                        "scope": ss.scope.name,
                        "scope_version": ss.scope.version,
                        "attributes": _attributes(span.attributes),
                        "resource": resource,
                    }
                )
    return out


def count_payload(content_type: str, body: bytes, detail: bool = True) -> SpanCounts:
    """Count the spans in one export request: every traced variant exports OTLP/HTTP protobuf."""
    if "protobuf" not in content_type:
        raise ValueError(f"expected Content-Type application/x-protobuf (OTLP/HTTP protobuf), found {content_type!r}")
    return count_otlp_protobuf(body, detail)


# --- HTTP server -------------------------------------------------------------------------------------


MODES = ("detail", "count", "store", "discard")


class Receiver:
    """Span counts per stack, keyed by the first path segment of the export URL (/go/v1/traces).

    Modes: `detail` inspects every span (kind, route) and keeps it whole for the trace capture
    (report/bench/capture.py); `count` only counts; `store` keeps the raw payloads and
    counts them when asked, so the receiver does little work while the services are under load; `discard`
    counts exports and bytes only.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, SpanCounts] = {}
        self._stored: list[tuple[str, str, bytes]] = []
        self._kept: dict[str, list[dict[str, Any]]] = {}
        self.mode = "detail"

    def accept(self, stack: str, content_type: str, body: bytes) -> None:
        """Handle one export according to the current mode."""
        mode = self.mode
        if mode == "store":
            with self._lock:
                self._stored.append((stack, content_type, body))
            return
        if mode == "discard":
            self.record(stack, SpanCounts(exports=1, bytes=len(body)))
            return
        counts = _safe_count(content_type, body, mode == "detail")
        self.record(stack, counts)
        if mode == "detail" and not (counts.bad_payloads or counts.bad_content_type):
            self.keep(stack, spans_of(body))

    def keep(self, stack: str, spans: list[dict[str, Any]]) -> None:
        """Keep whole spans for the trace capture, up to a bound per stack."""
        with self._lock:
            kept = self._kept.setdefault(stack, [])
            kept.extend(spans[: max(0, _MAX_KEPT_SPANS - len(kept))])

    def kept(self, stack: str) -> list[dict[str, Any]]:
        """The whole spans kept for one stack since the last reset."""
        with self._lock:
            return list(self._kept.get(stack, []))

    def record(self, stack: str, counts: SpanCounts) -> None:
        """Add one export's counts to its stack."""
        with self._lock:
            self._counts.setdefault(stack, SpanCounts()).add(counts)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """A copy of all counts, after counting any stored payloads."""
        with self._lock:
            stored, self._stored = self._stored, []
        for stack, ctype, body in stored:
            self.record(stack, _safe_count(ctype, body, False))
        with self._lock:
            return {k: asdict(v) for k, v in self._counts.items()}

    def reset(self) -> None:
        """Forget all counts and stored payloads."""
        with self._lock:
            self._counts.clear()
            self._stored.clear()
            self._kept.clear()


def _safe_count(content_type: str, body: bytes, detail: bool) -> SpanCounts:
    if "protobuf" not in content_type:
        # Only OTLP/HTTP protobuf is like for like; another encoding is a setup error the probes report.
        return SpanCounts(exports=1, bytes=len(body), bad_content_type=1)
    try:
        return count_payload(content_type, body, detail)
    except ValueError:
        return SpanCounts(exports=1, bytes=len(body), bad_payloads=1)


def make_server(receiver: Receiver, port: int = 0, address: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server on `address` (loopback unless the services run on another host) that feeds `receiver`; port
    0 picks a free port."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the exporters expect

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per export would drown the progress display

        def _reply(self, code: int, body: bytes = b"", ctype: str = "application/json") -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _read_body(self) -> bytes:
            # Bun's node:http client sends exports chunked, without a Content-Length.
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                parts: list[bytes] = []
                while True:
                    size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return b"".join(parts)
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:
            if self.path == "/counts":
                self._reply(200, json.dumps(receiver.snapshot()).encode())
            elif self.path.startswith("/spans/"):
                self._reply(200, json.dumps(receiver.kept(self.path.rsplit("/", 1)[1])).encode())
            else:
                self._reply(404, b"{}")

        def do_POST(self) -> None:
            body = self._read_body()
            if self.path == "/reset":
                receiver.reset()
                self._reply(200, b"{}")
                return
            if self.path.startswith("/mode/"):
                mode = self.path.rsplit("/", 1)[1]
                if mode not in MODES:
                    self._reply(400, b"{}")
                    return
                receiver.mode = mode
                self._reply(200, b"{}")
                return
            stack = self.path.strip("/").split("/", 1)[0] or "unknown"
            ctype = self.headers.get("Content-Type") or ""
            try:
                if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
                    body = gzip.decompress(body)
            except (OSError, EOFError):
                receiver.record(stack, SpanCounts(exports=1, bytes=len(body), bad_payloads=1))
            else:
                receiver.accept(stack, ctype, body)
            # An empty ExportTraceServiceResponse is the empty byte string.
            self._reply(200, b"", "application/x-protobuf")

    server = _QuietServer((address, port), Handler)
    server.daemon_threads = True
    return server


class _QuietServer(ThreadingHTTPServer):
    """A threading HTTP server that does not print a traceback when an exporter hangs up mid-request."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return  # exporters drop connections on shutdown; that is not a receiver error
        super().handle_error(request, client_address)


def main(argv: list[str] | None = None) -> int:
    """Run the receiver until terminated, printing its port on the first line of stdout."""
    parser = argparse.ArgumentParser(prog="python -m report.bench.receiver")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--listen", default="127.0.0.1", help="the address to listen on (default: loopback)")
    args = parser.parse_args(argv)
    server = make_server(Receiver(), args.port, args.listen)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
