"""A local trace receiver: accepts OTLP/HTTP (protobuf or JSON) and Jaeger Thrift/HTTP, counts spans."""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import threading
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# OTLP SpanKind SERVER is 2; Jaeger marks it with the tag span.kind=server.
_OTLP_SERVER = 2
_ROUTE_KEY = "http.route"


@dataclass
class SpanCounts:
    """What one stack's exporter delivered."""

    exports: int = 0
    spans: int = 0
    server_spans: int = 0
    server_spans_with_route: int = 0
    bytes: int = 0
    bad_payloads: int = 0

    def add(self, other: SpanCounts) -> None:
        """Add another count into this one."""
        self.exports += other.exports
        self.spans += other.spans
        self.server_spans += other.server_spans
        self.server_spans_with_route += other.server_spans_with_route
        self.bytes += other.bytes
        self.bad_payloads += other.bad_payloads


# --- protobuf wire format -------------------------------------------------------------------------


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if i >= len(buf):
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _pb_fields(buf: bytes) -> list[tuple[int, int, int | bytes]]:
    """Split one protobuf message into (field number, wire type, varint value or raw bytes)."""
    out: list[tuple[int, int, int | bytes]] = []
    i = 0
    n = len(buf)
    while i < n:
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            val, i = _varint(buf, i)
            out.append((field, wire, val))
        elif wire == 1:
            out.append((field, wire, buf[i : i + 8]))
            i += 8
        elif wire == 2:
            size, i = _varint(buf, i)
            if i + size > n:
                raise ValueError("truncated length-delimited field")
            out.append((field, wire, buf[i : i + size]))
            i += size
        elif wire == 5:
            out.append((field, wire, buf[i : i + 4]))
            i += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return out


def _pb_spans(body: bytes) -> list[bytes]:
    """The encoded Span messages in an ExportTraceServiceRequest."""
    spans: list[bytes] = []
    for f1, _, rs in _pb_fields(body):
        if f1 != 1 or not isinstance(rs, bytes):
            continue  # resource_spans = 1
        for f2, _, ss in _pb_fields(rs):
            if f2 != 2 or not isinstance(ss, bytes):
                continue  # scope_spans = 2
            for f3, _, span in _pb_fields(ss):
                if f3 == 2 and isinstance(span, bytes):  # spans = 2
                    spans.append(span)
    return spans


def count_otlp_protobuf(body: bytes, detail: bool = True) -> SpanCounts:
    """Count spans in an OTLP protobuf ExportTraceServiceRequest."""
    counts = SpanCounts(exports=1, bytes=len(body))
    spans = _pb_spans(body)
    counts.spans = len(spans)
    if not detail:
        return counts
    for span in spans:
        kind = 0
        route = False
        for field, _, val in _pb_fields(span):
            if field == 6 and isinstance(val, int):  # kind
                kind = val
            elif field == 9 and isinstance(val, bytes):  # attributes: KeyValue{key=1, value=2}
                kv = dict((f, v) for f, _, v in _pb_fields(val))
                if kv.get(1) == _ROUTE_KEY.encode():
                    any_value = kv.get(2)
                    if isinstance(any_value, bytes):
                        inner = dict((f, v) for f, _, v in _pb_fields(any_value))
                        route = bool(inner.get(1))  # string_value = 1
        if kind == _OTLP_SERVER:
            counts.server_spans += 1
            counts.server_spans_with_route += int(route)
    return counts


def count_otlp_json(body: bytes, detail: bool = True) -> SpanCounts:
    """Count spans in an OTLP JSON ExportTraceServiceRequest."""
    counts = SpanCounts(exports=1, bytes=len(body))
    if not detail:
        # Every span carries exactly one "spanId" key (parentSpanId differs in case), so this is exact.
        counts.spans = body.count(b'"spanId"')
        return counts
    doc = json.loads(body)
    for rs in doc.get("resourceSpans") or []:
        for ss in rs.get("scopeSpans") or []:
            for span in ss.get("spans") or []:
                counts.spans += 1
                kind = span.get("kind")
                if kind in (_OTLP_SERVER, "SPAN_KIND_SERVER"):
                    counts.server_spans += 1
                    for attr in span.get("attributes") or []:
                        if attr.get("key") == _ROUTE_KEY and (attr.get("value") or {}).get("stringValue"):
                            counts.server_spans_with_route += 1
                            break
    return counts


# --- Thrift binary protocol (Jaeger collector) -------------------------------------------------------

_T_STOP, _T_BOOL, _T_BYTE, _T_DOUBLE, _T_I16, _T_I32, _T_I64 = 0, 2, 3, 4, 6, 8, 10
_T_STRING, _T_STRUCT, _T_MAP, _T_SET, _T_LIST = 11, 12, 13, 14, 15
_FIXED = {_T_BOOL: 1, _T_BYTE: 1, _T_DOUBLE: 8, _T_I16: 2, _T_I32: 4, _T_I64: 8}


class _Thrift:
    """A cursor over Thrift binary-protocol bytes."""

    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.i = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.i + n > len(self.buf):
            raise ValueError("truncated thrift payload")
        out = self.buf[self.i : self.i + n]
        self.i += n
        return out

    def i32(self) -> int:
        return int.from_bytes(self.take(4), "big", signed=True)

    def field_header(self) -> tuple[int, int]:
        ftype = self.take(1)[0]
        if ftype == _T_STOP:
            return ftype, 0
        return ftype, int.from_bytes(self.take(2), "big", signed=True)

    def string(self) -> bytes:
        return self.take(self.i32())

    def list_header(self) -> tuple[int, int]:
        etype = self.take(1)[0]
        return etype, self.i32()

    def skip(self, ftype: int, depth: int = 0) -> None:
        if depth > 32:
            raise ValueError("thrift nesting too deep")
        if ftype in _FIXED:
            self.take(_FIXED[ftype])
        elif ftype == _T_STRING:
            self.string()
        elif ftype == _T_STRUCT:
            while True:
                t, _ = self.field_header()
                if t == _T_STOP:
                    return
                self.skip(t, depth + 1)
        elif ftype == _T_MAP:
            kt, vt = self.take(1)[0], self.take(1)[0]
            for _ in range(self.i32()):
                self.skip(kt, depth + 1)
                self.skip(vt, depth + 1)
        elif ftype in (_T_SET, _T_LIST):
            et, size = self.list_header()
            for _ in range(size):
                self.skip(et, depth + 1)
        else:
            raise ValueError(f"unknown thrift type {ftype}")


def _thrift_tags(t: _Thrift) -> dict[str, str]:
    """Read a list<Tag> and return its string-valued tags."""
    out: dict[str, str] = {}
    etype, size = t.list_header()
    if etype != _T_STRUCT:
        raise ValueError("tags are not structs")
    for _ in range(size):
        key = ""
        vstr = ""
        while True:
            ftype, fid = t.field_header()
            if ftype == _T_STOP:
                break
            if fid == 1 and ftype == _T_STRING:
                key = t.string().decode("utf-8", "replace")
            elif fid == 3 and ftype == _T_STRING:
                vstr = t.string().decode("utf-8", "replace")
            else:
                t.skip(ftype)
        out[key] = vstr
    return out


def count_jaeger_thrift(body: bytes, detail: bool = True) -> SpanCounts:
    """Count spans in a Jaeger Batch encoded with the Thrift binary protocol."""
    counts = SpanCounts(exports=1, bytes=len(body))
    t = _Thrift(body)
    while True:
        ftype, fid = t.field_header()
        if ftype == _T_STOP:
            break
        if not (fid == 2 and ftype == _T_LIST):  # Batch.spans = 2
            t.skip(ftype)
            continue
        etype, size = t.list_header()
        if etype != _T_STRUCT:
            raise ValueError("spans are not structs")
        counts.spans += size
        for _ in range(size):
            tags: dict[str, str] = {}
            while True:
                stype, sid = t.field_header()
                if stype == _T_STOP:
                    break
                if detail and sid == 10 and stype == _T_LIST:  # Span.tags = 10
                    tags = _thrift_tags(t)
                else:
                    t.skip(stype)
            if tags.get("span.kind") == "server":
                counts.server_spans += 1
                counts.server_spans_with_route += int(bool(tags.get(_ROUTE_KEY)))
    return counts


def count_payload(path: str, content_type: str, body: bytes, detail: bool = True) -> SpanCounts:
    """Count the spans in one export request, choosing the decoder from its path and content type."""
    if path.endswith("/api/traces"):
        return count_jaeger_thrift(body, detail)
    if "json" in content_type:
        return count_otlp_json(body, detail)
    return count_otlp_protobuf(body, detail)


# --- HTTP server -------------------------------------------------------------------------------------


MODES = ("detail", "count", "store", "discard")


class Receiver:
    """Span counts per stack, keyed by the first path segment of the export URL (/go/api/traces).

    Modes: `detail` inspects every span (kind, route); `count` only counts; `store` keeps the raw payloads and
    counts them when asked, so the receiver does little work while the services are under load; `discard`
    counts exports and bytes only.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, SpanCounts] = {}
        self._stored: list[tuple[str, str, str, bytes]] = []
        self.mode = "detail"

    def accept(self, stack: str, path: str, content_type: str, body: bytes) -> None:
        """Handle one export according to the current mode."""
        mode = self.mode
        if mode == "store":
            with self._lock:
                self._stored.append((stack, path, content_type, body))
            return
        if mode == "discard":
            self.record(stack, SpanCounts(exports=1, bytes=len(body)))
            return
        self.record(stack, _safe_count(path, content_type, body, mode == "detail"))

    def record(self, stack: str, counts: SpanCounts) -> None:
        """Add one export's counts to its stack."""
        with self._lock:
            self._counts.setdefault(stack, SpanCounts()).add(counts)

    def snapshot(self) -> dict[str, dict[str, int]]:
        """A copy of all counts, after counting any stored payloads."""
        with self._lock:
            stored, self._stored = self._stored, []
        for stack, path, ctype, body in stored:
            self.record(stack, _safe_count(path, ctype, body, False))
        with self._lock:
            return {k: asdict(v) for k, v in self._counts.items()}

    def reset(self) -> None:
        """Forget all counts and stored payloads."""
        with self._lock:
            self._counts.clear()
            self._stored.clear()


def _safe_count(path: str, content_type: str, body: bytes, detail: bool) -> SpanCounts:
    try:
        return count_payload(path, content_type, body, detail)
    except (ValueError, json.JSONDecodeError, AttributeError, TypeError, IndexError):
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
                receiver.accept(stack, self.path, ctype, body)
            if "json" in ctype:
                self._reply(200, b"{}")
            else:
                # An empty protobuf message is the empty byte string.
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
