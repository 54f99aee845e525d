"""oha's command line and the parsing of its JSON report (report/bench/oha.py); the live runs are in test_openloop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from report.bench.errors import BenchError
from report.bench.oha import oha_command, parse_oha

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def test_command_is_constant_rate_with_latency_correction_json_and_no_tui() -> None:
    argv = oha_command(Path("/x/oha"), "http://127.0.0.1:1/db", 250, 4, threads=1)
    assert argv[0] == "/x/oha" and argv[-1] == "http://127.0.0.1:1/db"
    joined = " ".join(argv)
    for part in ("--no-tui", "--output-format json", "-c 100", "-q 250", "-z 4s", "--latency-correction", "-w"):
        assert part in joined, part
    assert "-t 5s" in joined and "--worker-threads 1" in joined


def test_a_captured_oha_report_parses_into_the_harness_terms() -> None:
    # captured from oha 1.16.0 at 2,000 req/s against a threaded Python server that could not keep up
    r = parse_oha((FIXTURES / "oha-1.16.0-report.json").read_text())
    assert (r.requests, r.ok, r.errors, r.timeouts) == (3999, 3987, 12, 12)
    assert r.run_s == pytest.approx(5.040232564)
    assert r.achieved_rps == pytest.approx(3987 / 5.040232564)
    assert (r.p50_ms, r.p99_ms, r.p999_ms) == pytest.approx((0.414335, 1066.57777, 4370.448122))
    assert r.p50_ms <= r.p90_ms <= r.p99_ms <= r.p999_ms


def test_bad_oha_reports_name_every_problem() -> None:
    with pytest.raises(BenchError, match="oha printed no JSON report"):
        parse_oha("thread 'main' panicked")
    with pytest.raises(BenchError, match=r"summary: expected an object.*errorDistribution: expected an object"):
        parse_oha(json.dumps({"latencyPercentiles": {}, "statusCodeDistribution": {}}))
    doc = json.loads((FIXTURES / "oha-1.16.0-report.json").read_text())
    doc["summary"]["total"] = 0
    doc["statusCodeDistribution"]["200"] = "many"
    with pytest.raises(BenchError, match=r"summary.total: expected a positive.*statusCodeDistribution.200: expected"):
        parse_oha(json.dumps(doc))


def test_non_2xx_and_unanswered_requests_are_errors_and_never_fast() -> None:
    doc = json.loads((FIXTURES / "oha-1.16.0-report.json").read_text())
    doc["statusCodeDistribution"] = {"200": 90, "503": 10}
    doc["errorDistribution"] = {"Connection refused (os error 111)": 5}
    r = parse_oha(json.dumps(doc))
    assert (r.requests, r.ok, r.errors, r.timeouts) == (105, 90, 15, 0)
    doc["statusCodeDistribution"] = {}
    doc["errorDistribution"] = {"timeout": 4}
    doc["latencyPercentiles"] = {k: None for k in doc["latencyPercentiles"]}
    r = parse_oha(json.dumps(doc))
    assert (r.requests, r.ok, r.errors, r.timeouts, r.achieved_rps) == (4, 0, 4, 4, 0.0)
    assert r.p50_ms == r.p999_ms == 5000.0  # no answer: the timeout, so the run cannot pass for fast
