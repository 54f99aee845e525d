"""environment.yaml's notes: the wording lives in report/bench/notes.yaml, the figures come from the run.

The expected texts in tests/bench/fixtures/notes-*.json were captured from the harness before the wording moved
out of Python (issue 11), so the same measurements must still produce the very same notes.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import pytest

from report.bench.ladderplan import LadderRow
from report.bench.notes import method_notes, note, tool_versions_note
from report.bench.options import add_arguments, make_plan
from report.bench.plan import Pinning, Plan
from report.bench.results import Results, ThroughputRow

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LUA_HOOK = "bench/wrk/report.lua"  # where the hook lived when the expected texts were captured


def _plan(*argv: str) -> Plan:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return make_plan(parser.parse_args(list(argv)), ["go", "bun", "fastapi"], 1)


def _row(stack: str, variant: str, foreign: float, contended: bool = False) -> ThroughputRow:
    return ThroughputRow(stack, variant, 50, 1, 1000.0, 1.0, 2.0, 3.0, 0, foreign, 0.0, 1, contended)


def _ladder(stack: str, offered: int, cpu: float, busy: float, requests: int, limited: int) -> LadderRow:
    return LadderRow(
        stack, "baseline", "json", offered, 1, offered * 0.99, 1.0, 2.0, 3.0, 4.0, 0, 0, requests,
        cpu, cpu * 3.3, busy, 1.5, limited,
    )  # fmt: skip


def synthetic_full() -> tuple[Plan, Results, Pinning, str, str]:
    """A run with every optional note: retries, a queue re-run, Bun and FastAPI probes, the ladder, /db."""
    res = Results(
        throughput=[_row("go", "baseline", 1.25), _row("bun", "otel", 12.5, True), _row("fastapi", "baseline", 3.0)],
        spans={
            "bun": {
                "bun_bunserve_server_spans": 1.0,
                "bun_bunserve_named_route": 0.5,
                "bun_hono_server_spans": 1.0,
                "bun_hono_named_route": 1.0,
                "bun_elysia_server_spans": 0.995,
            },
            "fastapi": {
                "otel_spans_per_req": 1.0,
                "fastapi_builtin_spans_per_req": 1.0,
                "fastapi_builtin_server_spans": 1.0,
                "fastapi_builtin_named_route": 1.0,
                "fastapi_contrib_spans_per_req": 1.005,
                "fastapi_contrib_server_spans": 1.0,
            },
        },
        latency=[
            _ladder("go", 1000, 20.0, 40.0, 4000, 0),
            _ladder("go", 2000, 35.5, 92.0, 8000, 1),
            _ladder("bun", 4000, 61.0, 97.5, 16001, 0),
        ],
        ladder_retries=2,
        retries=4,
        contended_runs=1,
        queue_reruns=["bun c=50 round 1: 97.0% of spans delivered with queue 2048; re-run with queue 8192"],
    )
    return _plan("--db-placement", "load"), res, Pinning({0}, {1, 2}), "oha 1.16.0", LUA_HOOK


def synthetic_bare() -> tuple[Plan, Results, Pinning, str, str]:
    """A --quick --no-db run on one core: no throughput rows, no probes, no ladder."""
    # the smoke plan as it was when the expected text was captured (it has since lost its warm-ups and retries)
    quick = _plan("--quick", "--no-db")
    plan = dataclasses.replace(
        quick,
        ladder=dataclasses.replace(quick.ladder, duration_s=1),
        startup_runs=3,
        warmup_s=1,
        max_retries=1,
        quiet_wait_s=5.0,
        retry_budget=3,
        bsp_schedule_delay_ms=1000,
    )
    return plan, Results(), Pinning(None, None), "oha", LUA_HOOK


CASES = {"full": synthetic_full, "bare": synthetic_bare}


@pytest.mark.parametrize("name", sorted(CASES))
def test_notes_are_the_text_the_harness_wrote_before_the_wording_moved(name: str) -> None:
    expected = json.loads((FIXTURES / f"notes-{name}.json").read_text())
    assert method_notes(*CASES[name]()) == expected


def test_the_full_case_exercises_every_optional_note() -> None:
    full = method_notes(*synthetic_full())
    bare = method_notes(*synthetic_bare())
    assert len(full) == len(bare) + 7  # queue re-run, Bun, FastAPI, two ladder-cost notes, two /db notes
    assert any(n.startswith("Queue re-run: bun c=50 round 1") for n in full)
    assert any("Elysia with @elysiajs/opentelemetry 0.99 (0.00)" in n for n in full)  # a missing figure reads 0
    assert any("The fewest requests in one run were 4,000;" in n for n in full)  # the minimum over runs
    assert any("PostgreSQL runs on the load side (core 1,2)" in n for n in full)


def test_every_note_fits_the_data_contract() -> None:
    for make in CASES.values():
        notes = method_notes(*make())
        assert all(0 < len(note) <= 600 and "{" not in note for note in notes), notes


def test_the_hook_path_and_queue_re_runs_come_from_the_run() -> None:
    plan, res, pinning, oha, _hook = synthetic_full()
    notes = method_notes(plan, res, pinning, oha, "services/wrk/report.lua")
    assert "a wrk Lua done() hook (services/wrk/report.lua) that writes JSON" in notes[0]
    assert note(
        "queue_rerun_line", stack="go", concurrency=10, round=2, delivered_pct=97.04, queue=2048, bigger=8192
    ) == ("go c=10 round 2: 97.0% of spans delivered with queue 2048; re-run with queue 8192")


def test_tool_versions_are_one_note() -> None:
    assert tool_versions_note(["wrk 4.2.0", "oha 1.16.0"]) == "Tool versions: wrk 4.2.0; oha 1.16.0"


def test_the_smoke_plan_says_it_does_not_retry() -> None:
    plan = _plan("--quick", "--no-db")
    res = Results(throughput=[_row("go", "baseline", 30.0, True), _row("bun", "baseline", 2.0)], contended_runs=1)
    notes = method_notes(plan, res, Pinning({0}, {1}), "oha", LUA_HOOK)
    noise = next(n for n in notes if n.startswith("Noise:"))
    assert "does not retry" in noise and "1 of 2 runs" in noise and "retried, up to" not in noise


def test_toolchain_support_status_comes_from_the_version_read_back() -> None:
    from report.bench.notes import release_line, support_status, toolchains_notes

    assert release_line("3.13.0", 2) == "3.13" and release_line("v20.20.2", 1) == "20" and release_line("?", 1) == ""
    assert support_status("node", "v20.20.2").startswith("Node.js 20 has been past end of life since 2026-04-30")
    assert support_status("python", "3.9.18") == "its support status is not on file in report/bench/notes.yaml."
    python, node = toolchains_notes("3.13.0", "v20.20.2")
    assert python.startswith("The FastAPI services ran on CPython 3.13.0, compiled without") and len(python) <= 600
    assert "3.13.0 is its first release" in python
    assert node.startswith("Node.js 20.20.2 only runs npm") and len(node) <= 600
    python, _ = toolchains_notes("3.14.7", "v26.12.1", build="PGO+LTO")
    assert "with PGO and LTO" in python and "PEP 745" in python and len(python) <= 600
    *_, go = toolchains_notes("3.13.0", "v20.20.2", "go1.27.3")
    assert "go1.27.4 (2026-11-02) is its newest point release" in go and len(go) <= 600
    assert support_status("go", "1.26.8") == "its support status is not on file in report/bench/notes.yaml."


def test_the_db_note_says_where_postgresql_ran() -> None:
    plan, res, pinning, oha, hook = synthetic_full()
    for placement, start in (
        ("server", "PostgreSQL runs on the service's core"),
        ("split", "PostgreSQL runs unpinned"),
    ):
        notes = method_notes(dataclasses.replace(plan, db_placement=placement), res, pinning, oha, hook)
        assert sum(n.startswith(start) for n in notes) == 1
        assert not any(n.startswith("PostgreSQL runs on the load side") for n in notes)
