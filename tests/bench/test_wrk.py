"""Parsing of the wrk Lua done() hook's output."""

from __future__ import annotations

from pathlib import Path

import pytest

from report.bench.errors import BenchError
from report.bench.wrk import parse_hook_output, read_report, wrk_command

HOOK = (
    '{"requests":158127,"duration_us":2099301,"bytes":24193431,'
    '"errors":{"connect":0,"read":1,"write":0,"status":2,"timeout":3},'
    '"latency_us":{"min":13.000,"max":12131.000,"mean":451.207,"stdev":1003.844,'
    '"p50":105.000,"p90":1499.000,"p99":4573.000,"p999":7805.000}}\n'
)


def test_parses_rate_percentiles_and_errors() -> None:
    r = parse_hook_output(HOOK)
    assert r.requests == 158127
    assert r.requests_per_sec == pytest.approx(158127 / 2.099301)
    assert (r.latency_p50_ms, r.latency_p90_ms, r.latency_p99_ms) == (0.105, 1.499, 4.573)
    assert r.errors == 6
    assert r.non_2xx == 2


def test_accepts_stdout_prefix() -> None:
    assert parse_hook_output("WRK_REPORT " + HOOK).requests == 158127


def test_rejects_human_text() -> None:
    with pytest.raises(BenchError, match="not the hook's JSON"):
        parse_hook_output("Running 2s test @ http://127.0.0.1:8080/json\n")


def test_rejects_missing_latency() -> None:
    with pytest.raises(BenchError, match="missing 'errors' or 'latency_us'"):
        parse_hook_output('{"requests":1,"duration_us":1,"errors":{}}')


def test_rejects_non_numeric_field() -> None:
    bad = HOOK.replace('"requests":158127', '"requests":"many"')
    with pytest.raises(BenchError, match="requests: expected a number"):
        parse_hook_output(bad, "x.json")


def test_missing_report_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="wrote no report"):
        read_report(tmp_path / "none.json")


def test_command_has_at_least_one_connection_per_thread(tmp_path: Path) -> None:
    argv = wrk_command("wrk", tmp_path / "r.lua", "http://127.0.0.1:1/json", 1, 2.0, 4)
    assert argv[1:4] == ["-t1", "-c1", "-d2s"]
    assert argv[-1] == "http://127.0.0.1:1/json"
