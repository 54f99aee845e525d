"""Each stack's traced variant exports OTLP/HTTP protobuf: one span per request, the server span, named after the
route and carrying http.route. FastAPI's built-in OpenTelemetry and its contrib-instrumentor candidate alike.

Real services, built by the harness, against the real receiver. Skipped when `make bench-deps` has not been
run, except under CI=true, where a missing toolchain fails.
"""

from __future__ import annotations

import html
import http.client
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from report.bench.capture import representative, trace_record
from report.bench.receiver import Receiver, make_server
from report.bench.service import free_port, health_ok
from report.bench.stacks import Paths, build, go_binary, launch
from report.inputs.traces import Trace, server_checks, tree_rows
from report.view.marks import Mark
from report.view.trace_chart import trace_waterfall

pytestmark = pytest.mark.slow  # runs the real services (seconds each)

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "services" / ".work"
NEEDS = {
    "go": [],
    "bun": ["bun/node_modules/.bin/bun", "bun-elysia/node_modules"],
    "fastapi": ["fastapi-otel-venv/bin/python", "fastapi-contrib-venv/bin/python"],
}


def _require(stack: str) -> None:
    missing = [f"services/.work/{p}" for p in NEEDS[stack] if not (WORK / p).exists()]
    if stack == "go" and go_binary() is None:
        missing.append("go 1.21+ (fetches go1.27.3)")
    if missing:
        reason = f"{stack} toolchain missing ({', '.join(missing)}): run `make bench-deps`"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[int, Receiver]]:
    rec = Receiver()
    srv = make_server(rec)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield int(srv.server_address[1]), rec
    finally:
        srv.shutdown()
        srv.server_close()


def _wait_until(cond: object, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(cond) and cond():
            return
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("stack", "candidate"), [("go", None), ("bun", None), ("fastapi", None), ("fastapi", "contrib")]
)
def test_traced_variant_exports_one_server_span_per_request_named_after_the_route(
    stack: str, candidate: str | None, receiver: tuple[int, Receiver]
) -> None:
    _require(stack)
    port_r, rec = receiver
    rec.reset()
    rec.mode = "detail"
    paths = Paths(ROOT)
    build(paths, [stack])
    port = free_port()
    spec = launch(paths, stack, "otel", port, port_r, candidate=candidate)
    spec.env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(spec.argv, env=spec.env, cwd=spec.cwd, stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_until(lambda: proc.poll() is not None or health_ok(port), 30)
        assert proc.poll() is None, f"{stack} (otel) exited with {proc.returncode}"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(5):
            conn.request("GET", "/json")
            resp = conn.getresponse()
            assert resp.status == 200 and b'"hello"' in resp.read()
        conn.close()
    finally:
        proc.send_signal(signal.SIGTERM)  # every variant flushes its batch queue on SIGTERM
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def names() -> dict[str, int]:
        return dict(rec.snapshot().get(stack, {}).get("server_span_names", {}))

    _wait_until(lambda: names().get("GET /json", 0) >= 5, 10)
    got = rec.snapshot()[stack]
    # Only OTLP/HTTP protobuf is accepted: JSON or anything else is counted as bad_content_type.
    assert got["bad_content_type"] == 0 and got["bad_payloads"] == 0
    assert got["server_span_names"].get("GET /json") == 5, got["server_span_names"]
    assert got["server_spans"] == got["server_spans_with_route"] == 6  # 5 x /json + the /health check
    # Like for like: nothing but the server span, in every stack (no ASGI send/receive or per-operation spans;
    # with the contrib instrumentor FastAPI's built-in tracing steps aside instead of adding a second server span).
    assert got["spans"] == 6, got
    _captured_and_drawn(stack, rec)


def _captured_and_drawn(stack: str, rec: Receiver) -> None:
    """The probe's capture on the real spans: one trace of GET /json, valid for `check`, drawn as a waterfall."""
    found = representative(rec.kept(stack), "/json")
    assert found is not None, f"{stack}: no complete trace of GET /json among {len(rec.kept(stack))} spans"
    spans, chosen_from = found
    assert chosen_from == 3  # the second half of the five requests
    trace = Trace.model_validate(trace_record(stack, "otel", "json", spans, chosen_from))
    root = trace.spans[0]
    assert (root.parent, root.kind, root.name, root.start_ms) == (None, "server", "GET /json", 0.0)
    assert server_checks(trace) >= 3  # a server span named after its route, carrying http.route
    assert trace.resource.get("service.name")
    bars = tuple((s.name, depth, s.kind, s.start_ms, s.duration_ms) for s, depth in tree_rows(trace))
    svg = html.unescape(trace_waterfall(Mark(stack, "#0072B2", 0), bars, 3).decode())
    assert svg.startswith("<?xml") and all(s.name in svg for s in trace.spans)


def test_no_jaeger_left_in_the_services_harness_or_copy() -> None:
    # Every stack exports OTLP/HTTP protobuf; the Jaeger exporter and the receiver's Thrift decoding are gone.
    # (npm lockfiles are third-party data: @opentelemetry/sdk-node, which Elysia's plugin needs, depends on a
    # Jaeger propagator package.)
    roots = [ROOT / "report", ROOT / "services", ROOT / "templates", ROOT / "data" / "copy"]
    hits = [
        str(p.relative_to(ROOT))
        for root in roots
        for p in root.rglob("*")
        if p.is_file()
        and ".work" not in p.parts
        and p.name != "package-lock.json"
        and p.suffix in {".py", ".go", ".ts", ".sh", ".md", ".j2", ".yaml", ".json", ".mod", ".txt"}
        and "jaeger" in p.read_text(errors="replace").lower()
    ]
    assert hits == []
