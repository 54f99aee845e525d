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


def count_payload(content_type: str, body: bytes, detail: bool = True) -> SpanCounts:
    """Count the spans in one export request: every traced variant exports OTLP/HTTP protobuf."""
    if "protobuf" not in content_type:
        raise ValueError(f"expected Content-Type application/x-protobuf (OTLP/HTTP protobuf), found {content_type!r}")
    return count_otlp_protobuf(body, detail)


# --- HTTP server -------------------------------------------------------------------------------------


MODES = ("detail", "count", "store", "discard")


class Receiver:
    """Span counts per stack, keyed by the first path segment of the export URL (/go/v1/traces).

    Modes: `detail` inspects every span (kind, route); `count` only counts; `store` keeps the raw payloads and
    counts them when asked, so the receiver does little work while the services are under load; `discard`
    counts exports and bytes only.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, SpanCounts] = {}
        self._stored: list[tuple[str, str, bytes]] = []
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
        self.record(stack, _safe_count(content_type, body, mode == "detail"))

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


def _safe_count(content_type: str, body: bytes, detail: bool) -> SpanCounts:
    if "protobuf" not in content_type:
        # Only OTLP/HTTP protobuf is like for like; another encoding is a setup error the probes report.
        return SpanCounts(exports=1, bytes=len(body), bad_content_type=1)
    try:
        return count_payload(content_type, body, detail)
    except ValueError:
        return SpanCounts(exports=1, bytes=len(body), bad_payloads=1)


def make_server(receiver: Receiver, port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 that feeds `receiver`; port 0 picks a free port."""

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

    server = _QuietServer(("127.0.0.1", port), Handler)
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
    args = parser.parse_args(argv)
    server = make_server(Receiver(), args.port)
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
