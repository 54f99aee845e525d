"""The span probes: what every traced variant (and each Bun candidate) exports per request, inspected span by span."""

from __future__ import annotations

import http.client

from report.bench.capture import representative, trace_record
from report.bench.errors import BenchError
from report.bench.plan import Plan
from report.bench.service import get
from report.bench.session import EXPECTED_BODY, FLUSH_WAIT_S, Session, settle_quiet_s
from report.bench.stacks import BUN_CANDIDATES, BUN_CHOICE, FASTAPI_CANDIDATES, FASTAPI_CHOICE

# Per stack: its candidates and the one its traced variant is (probed once, its figures reused).
CANDIDATES = {"bun": (BUN_CANDIDATES, BUN_CHOICE), "fastapi": (FASTAPI_CANDIDATES, FASTAPI_CHOICE)}


def probe_seconds(plan: Plan) -> float:
    """Planned time of one probe: start, requests, a quiet wait, stop, a quiet wait (4 s with the default delay)."""
    return 1.2 + 2 * settle_quiet_s(plan)


class SpanProbes(Session):
    """Sequential requests against one traced service at a time, with the receiver in detail mode."""

    def _probe(
        self, stack: str, candidate: str | None, path: str = "/json", env: dict[str, str] | None = None
    ) -> dict[str, float]:
        """Sequential GETs of `path` against one traced service with every exported span inspected."""
        assert self.receiver is not None
        p = self.plan
        quiet = settle_quiet_s(p)
        self.progress.step(f"span probe: {stack} {candidate or ''} ({p.probe_requests} requests)", probe_seconds(p))
        self.receiver.reset()
        self.receiver.mode("detail")
        running = self._start(stack, "otel", env_extra=env, candidate=candidate)
        # The health check that saw the service start was traced too.
        sent = p.probe_requests + 1
        try:
            conn = http.client.HTTPConnection(running.host, running.port, timeout=10)
            for _ in range(p.probe_requests):
                status, body = get(running.port, path, conn, host=running.host)
                if status != 200 or (path == "/json" and body.replace(b" ", b"") != EXPECTED_BODY):
                    raise BenchError(f"{stack} {candidate or ''} (otel): GET {path} returned {status} {body[:80]!r}")
            conn.close()
            # Wait until the exporter has gone quiet for longer than its batch delay, not until `sent` spans came:
            # a full batch (512) is sent at once and the rest only on the next timer, so stopping at the first
            # batch undercounts any variant that makes more than one span per request.
            got = self.receiver.wait_for(stack, sent, FLUSH_WAIT_S + quiet, quiet_s=quiet)
        finally:
            self.registry.stop(running.proc)
        # whatever the SDK still held is flushed on SIGTERM
        got = self.receiver.wait_for(stack, got["spans"], FLUSH_WAIT_S + quiet, quiet_s=quiet)
        self._capture(stack, candidate or "otel", path)
        names = self.receiver.server_span_names(stack)
        server = got["server_spans"]
        named = names.get("GET /json", 0) + names.get("GET /health", 0)
        return {
            "spans_per_req": got["spans"] / sent,
            "server_spans_per_req": server / sent,
            "has_route": got["server_spans_with_route"] / server if server else 0.0,
            "named_route": named / server if server else 0.0,
            "bad_payloads": got["bad_payloads"],
        }

    def _capture(self, stack: str, variant: str, path: str) -> None:
        """Keep the probe's representative trace (report/bench/capture.py) for traces.json."""
        assert self.receiver is not None
        found = representative(self.receiver.spans(stack), path)
        if found is None:
            if variant != "otel":
                return  # a candidate without a trace is a finding of its own probe figures, not a failed run
            raise BenchError(f"{stack} {variant}: no complete trace of GET {path} reached the span receiver")
        spans, chosen_from = found
        self.results.traces.append(trace_record(stack, variant, path.strip("/"), spans, chosen_from))

    def probe_spans(self) -> None:
        """Spans per request, server spans, span names and http.route for every traced variant and candidate."""
        for stack in self.plan.stacks:
            f = self._probe(stack, None)
            self.results.spans[stack] = {
                "otel_spans_per_req": f["spans_per_req"],
                "otel_server_spans_per_req": f["server_spans_per_req"],
                # Every variant's server span now comes from its instrumentation library, not hand-written code.
                "otel_auto_server_spans_per_req": f["server_spans_per_req"],
                "otel_server_span_has_route": f["has_route"],
                "otel_server_span_named_route": f["named_route"],
                "otel_bad_payloads": f["bad_payloads"],
            }
            if stack not in CANDIDATES:
                continue
            candidates, choice = CANDIDATES[stack]
            for candidate in candidates:
                # FastAPI's contrib candidate runs with the built-in tracing on by default too: its server spans per
                # request show that the two never both emit one.
                c = f if candidate == choice else self._probe(stack, candidate)
                self.results.spans[stack].update(
                    {
                        f"{stack}_{candidate}_spans_per_req": c["spans_per_req"],
                        f"{stack}_{candidate}_server_spans": c["server_spans_per_req"],
                        f"{stack}_{candidate}_named_route": c["named_route"],
                        f"{stack}_{candidate}_has_route": c["has_route"],
                    }
                )

    def probe_db_spans(self, env: dict[str, str]) -> None:
        """Spans per GET /db (server span plus each stack's database spans), so /db runs know what to expect."""
        assert self.receiver is not None
        for stack in self.plan.stacks:
            f = self._probe(stack, None, "/db", env)
            # The traced health check is counted like a GET /json; the rest are the probe's /db requests.
            health = self._spans_per_req(stack)
            per_req = (f["spans_per_req"] * (self.plan.probe_requests + 1) - health) / self.plan.probe_requests
            self.results.spans.setdefault(stack, {})["otel_db_spans_per_req"] = per_req
        self.receiver.mode("count")
