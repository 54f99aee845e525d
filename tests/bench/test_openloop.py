"""The open-loop ladder: offered rates, peaks, the time budget, and the generator against a stand-in server."""

from __future__ import annotations

import argparse
import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from report.bench.cli import add_arguments, make_plan
from report.bench.errors import BenchError
from report.bench.measure import Bench, Pinning, Results
from report.bench.notes_openloop import DB_MEASURES, open_loop_notes
from report.bench.openloop import (
    FULL_LADDER,
    QUICK_LADDER,
    LadderPlan,
    LadderRow,
    ladder,
    load_limited,
    loadgen_command,
    parse_result,
    peak_by_series,
)

ROOT = Path(__file__).resolve().parents[2]
LOADGEN = ROOT / "bench" / ".work" / "loadgen" / "loadgen"


def test_ladder_is_shares_of_the_peak_rounded_sorted_without_repeats() -> None:
    assert ladder(10_000, (25, 50, 75, 90, 100, 110)) == [2500, 5000, 7500, 9000, 10000, 11000]
    assert ladder(1234.5, (10, 50)) == [123, 617]
    # tiny peaks: never below one request per second, and no rate twice
    assert ladder(3, (10, 25, 50, 100)) == [1, 2, 3]
    with pytest.raises(BenchError, match="cannot build a rate ladder from a peak of 0"):
        ladder(0, (50,))


def test_peak_is_the_best_median_over_concurrency_levels_per_endpoint_and_variant() -> None:
    rows = [
        ("json", "baseline", "go", 10, 100.0),
        ("json", "baseline", "go", 10, 300.0),
        ("json", "baseline", "go", 10, 200.0),  # median 200 at c=10
        ("json", "baseline", "go", 50, 150.0),
        ("json", "baseline", "go", 50, 1000.0),  # median 575 at c=50: the peak
        ("json", "otel", "go", 10, 50.0),
        ("db", "baseline", "go", 50, 80.0),
    ]
    assert peak_by_series(rows) == {
        ("json", "baseline", "go"): 575.0,
        ("json", "otel", "go"): 50.0,
        ("db", "baseline", "go"): 80.0,
    }


def _plan(*argv: str) -> LadderPlan:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return make_plan(parser.parse_args(list(argv)), ["go", "bun", "fastapi"], 1).ladder


def test_defaults_and_options() -> None:
    assert _plan() == FULL_LADDER
    assert FULL_LADDER.runs >= 5 and len(FULL_LADDER.ladder_pct) >= 4
    assert _plan("--quick") == QUICK_LADDER
    custom = _plan("--ladder", "10,50,100", "--ladder-runs", "3", "--ladder-duration", "8")
    assert (custom.ladder_pct, custom.runs, custom.duration_s) == ((10.0, 50.0, 100.0), 3, 8)
    with pytest.raises(BenchError, match="bad ladder"):
        _plan("--ladder", "0,50")
    with pytest.raises(BenchError, match="expected comma-separated numbers"):
        _plan("--ladder", "half")


def _planned_minutes(*argv: str) -> float:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    bench = Bench.__new__(Bench)
    bench.plan = make_plan(parser.parse_args(list(argv)), ["go", "bun", "fastapi"], 1)
    return bench.planned_seconds() / 60


def test_the_full_run_is_planned_within_an_hour_and_the_smoke_run_within_two_minutes() -> None:
    full, quick = _planned_minutes(), _planned_minutes("--quick")
    assert 30 < full <= 50, full  # room for server starts and retries inside the 60-minute budget
    assert quick <= 2.0, quick
    assert _planned_minutes("--no-db") < full


def test_seconds_count_every_server_and_rate() -> None:
    plan = LadderPlan((50, 100), runs=2, warmup_s=1, duration_s=3)
    # per server: 1 s start, 1 s warm-up, 2 rates x (3 s + 0.4 s drain); 4 servers x 2 runs
    assert plan.seconds(4) == pytest.approx(4 * 2 * (1 + 1 + 2 * 3.4))


def test_command_and_report_parsing() -> None:
    argv = loadgen_command(Path("/x/loadgen"), "http://127.0.0.1:1/db", 250, 4)
    assert argv == ["/x/loadgen", "-url", "http://127.0.0.1:1/db", "-rate", "250", "-duration", "4s", "-timeout", "5s"]
    with pytest.raises(BenchError, match="loadgen printed no JSON report"):
        parse_result("panic: oops")
    with pytest.raises(
        BenchError,
        match="loadgen report lacks duration_s, latency_p50_ms, latency_p90_ms, latency_p99_ms, latency_p999_ms",
    ):
        parse_result(json.dumps({k: 1 for k in ("requests", "ok", "errors", "timeouts", "achieved_rps", "cpu_s")}))


# --- the generator itself, against a stand-in HTTP/1.1 server --------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the services speak

    def do_GET(self) -> None:
        body = b'{"ok":true}'
        status = 200
        if self.path == "/fail":
            status = 500
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"5\r\nhello\r\n0\r\n\r\n")
            return
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    if not LOADGEN.exists():
        pytest.skip("bench/loadgen not built: run `make bench-deps`")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def _run(port: int, path: str, rate: int, duration: str = "1s") -> dict[str, float]:
    argv = [str(LOADGEN), "-url", f"http://127.0.0.1:{port}{path}", "-rate", str(rate), "-duration", duration]
    out = subprocess.run([*argv, "-connections", "4"], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("path", ["/json", "/chunked"])
def test_generator_sends_exactly_rate_times_duration_and_counts_successes(server: int, path: str) -> None:
    res = _run(server, path, 200, "1500ms")
    assert (res["requests"], res["ok"], res["errors"]) == (300, 300, 0)
    assert 0 < res["latency_p50_ms"] <= res["latency_p90_ms"] <= res["latency_p99_ms"] <= res["latency_p999_ms"]
    assert res["achieved_rps"] <= 200
    assert res["cpu_s"] > 0
    parse_result(json.dumps(res))  # the harness accepts what the generator prints


def test_generator_counts_non_2xx_and_refused_connections_as_errors(server: int) -> None:
    res = _run(server, "/fail", 50)
    assert (res["requests"], res["ok"], res["errors"]) == (50, 0, 50)
    assert res["achieved_rps"] == 0
    refused = subprocess.run(
        [str(LOADGEN), "-url", "http://127.0.0.1:9/json", "-rate", "20", "-duration", "1s"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    doc = json.loads(refused.stdout)
    assert (doc["requests"], doc["errors"]) == (20, 20)
    assert "refused" in doc["first_error"]


def test_generator_rejects_bad_usage() -> None:
    if not LOADGEN.exists():
        pytest.skip("bench/loadgen not built: run `make bench-deps`")
    out = subprocess.run([str(LOADGEN), "-url", "https://x/", "-rate", "5"], capture_output=True, text=True)
    assert out.returncode == 2 and "usage: loadgen" in out.stderr


def test_db_measures_are_documented_in_readme() -> None:
    readme = (ROOT / "bench" / "README.md").read_text()
    for name in DB_MEASURES:
        assert f"`{name}`" in readme, name


def test_a_run_is_load_limited_when_the_generator_decides_its_p99() -> None:
    assert load_limited(95.0, 0.0, 0.1, 5.0)  # the generator used nearly a whole core
    assert load_limited(30.0, 30.0, 0.1, 5.0)  # other work kept it off the CPU a quarter of the run
    assert load_limited(30.0, 0.0, 3.0, 5.0)  # its own lateness is most of the p99
    assert not load_limited(30.0, 10.0, 3.0, 40.0)  # late, but the service's queueing dominates
    assert not load_limited(30.0, 0.0, 0.9, 1.0)  # under a millisecond of lateness never counts


def test_notes_fit_environment_yaml() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    plan = make_plan(parser.parse_args([]), ["go", "bun", "fastapi"], 1)
    res = Results()
    res.latency = [
        LadderRow(
            "go",
            "baseline",
            "json",
            10_000_000,
            5,
            9_999_999.9,
            1,
            2,
            3,
            4,
            123456,
            7,
            50_000_000,
            99.9,
            100.0,
            9.9,
            50.0,
            1,
        )
    ]
    notes = open_loop_notes(plan, res, Pinning({0}, {1}))
    assert len(notes) >= 5
    assert all(0 < len(note) <= 600 for note in notes), [len(n) for n in notes]  # the data contract's limit
    assert any("coordinated omission" in n for n in notes) and any(
        "PostgreSQL runs on the load side (core 1)" in n for n in notes
    )
