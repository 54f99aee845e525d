"""The service helpers against a real local HTTP server: health, one GET, and a refused connection."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from report.bench.errors import BenchError
from report.bench.service import free_port, get, health_ok


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"ok" if self.path == "/health" else b"missing"
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_health_and_get(server: int) -> None:
    assert health_ok(server)
    assert get(server, "/health") == (200, b"ok")
    assert get(server, "/nope") == (404, b"missing")


def test_nothing_listening() -> None:
    port = free_port()
    assert not health_ok(port)
    with pytest.raises(BenchError, match=f"GET http://127.0.0.1:{port}/json failed"):
        get(port, "/json")
