"""The span probes: every stack probed once, each Bun and FastAPI candidate once, the chosen one's probe reused."""

from __future__ import annotations

from pathlib import Path

import pytest

from report.bench.probes import SpanProbes
from report.bench.stacks import BUN_CANDIDATES, BUN_CHOICE, FASTAPI_CHOICE
from tests.bench.test_session import make_session


def test_every_stack_and_bun_candidate_is_probed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = make_session(tmp_path)
    probes = SpanProbes(s.paths, s.plan, s.registry, s.pinning, s.progress, s.log_dir)
    calls: list[tuple[str, str | None]] = []

    def probe(stack: str, candidate: str | None, path: str = "/json", env: object = None) -> dict[str, float]:
        calls.append((stack, candidate))
        n = float(len(calls))
        return {
            "spans_per_req": n,
            "server_spans_per_req": 1.0,
            "has_route": 1.0,
            "named_route": 0.5,
            "bad_payloads": 0,
        }

    monkeypatch.setattr(probes, "_probe", probe)
    probes.probe_spans()
    others = [c for c in BUN_CANDIDATES if c != BUN_CHOICE]
    bun_calls = [("bun", None), *[("bun", c) for c in others]]
    assert calls == [("go", None), *bun_calls, ("fastapi", None), ("fastapi", "contrib")]
    fastapi = probes.results.spans["fastapi"]
    # the built-in tracing is the traced variant: its figures are the main probe's; the contrib candidate's its own
    assert fastapi["otel_spans_per_req"] == fastapi[f"fastapi_{FASTAPI_CHOICE}_spans_per_req"] == 5.0
    assert fastapi["fastapi_contrib_spans_per_req"] == 6.0 and fastapi["fastapi_contrib_server_spans"] == 1.0
    bun = probes.results.spans["bun"]
    assert bun["otel_spans_per_req"] == bun[f"bun_{BUN_CHOICE}_spans_per_req"] == 2.0  # the choice: the main probe
    assert bun["otel_server_span_named_route"] == 0.5
    assert "bun_hono_spans_per_req" not in probes.results.spans["go"]
