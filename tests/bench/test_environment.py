"""environment.yaml's document: the notes in order, the tool versions last, calibration and drift when present."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from report.bench import environment
from report.bench.calibration import Probe
from report.bench.environment import drift_flags, environment_document
from report.bench.errors import BenchError
from report.bench.notes import method_notes
from tests.bench.test_notes import synthetic_full


def _document(probe: Probe, stack_versions: dict[str, str]) -> tuple[dict[str, Any], Any]:
    """environment.yaml's document for the synthetic full run, written on a fixed day; with the run's plan."""
    plan, res, pinning, oha, hook = synthetic_full()
    doc = environment_document(
        plan,
        res,
        pinning,
        quick=True,
        oha=oha,
        lua_hook=hook,
        stack_versions=stack_versions,
        probe=probe,
        now=dt.datetime(2026, 11, 29, 10, 0, tzinfo=dt.UTC),
        predicted_s=2220.0,
    )
    return doc, plan


def test_the_document_carries_the_method_notes_then_the_tool_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(environment, "tool_version", lambda argv, path=None: f"{Path(argv[0]).name} 9.9")
    doc, plan = _document(Probe(), {"go": "go1.23"})
    _plan, res, pinning, oha, hook = synthetic_full()
    assert doc["measured_at"] == "2026-11-29T10:00:00Z"
    assert doc["measured_by"] == "lead-magnet bench (report/bench) --quick smoke run"
    assert doc["notes"][:-1] == method_notes(plan, res, pinning, oha, hook)
    assert doc["notes"][-1].startswith("Tool versions: wrk 9.9; oha 1.16.0; Python ")
    assert doc["notes"][-1].endswith("; node node 9.9; npm npm 9.9; PostgreSQL not found")  # no "(PostgreSQL) x.y"
    assert doc["load_tool"].startswith("wrk 9.9 (closed loop, 1 thread,")
    assert doc["tracing"]["queue_size_used"] == {"go": 2048, "bun": 2048, "fastapi": 2048}
    assert doc["method"]["startup_runs"] == plan.startup_runs - 1  # the discarded run is not counted
    assert doc["method"]["predicted_min"] == 37.0
    assert doc["method"]["open_loop"]["knee_runs"] == plan.ladder.knee_runs
    assert doc["method"]["open_loop"]["slo_ms"] == {"json": 10.0, "db": 25.0}
    assert "calibration" not in doc and "drift" not in doc


def test_a_machine_that_slowed_is_flagged_in_the_notes() -> None:
    readings = iter([100.0, 100.0, 160.0])
    probe = Probe(timer=lambda: next(readings))
    for at in ("before startup", "after startup", "after load round 1"):
        probe.record(at)
    _plan, res, _pinning, _oha, _hook = synthetic_full()
    flags = drift_flags(res, probe)
    assert len(flags) == 1 and flags[0].startswith("Drift: the calibration workload took 100 ms before startup")
    assert "160 ms after load round 1 (60% of its median)" in flags[0]


def test_dist_version_of_a_missing_distribution() -> None:
    assert environment.dist_version("no-such-distribution-h11c") == "unknown"
    assert environment.dist_version("pyyaml") != "unknown"


def test_drift_flags_are_written_once_under_drift_not_among_the_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(environment, "tool_version", lambda argv, path=None: f"{Path(argv[0]).name} 9.9")
    readings = iter([100.0, 100.0, 160.0])
    probe = Probe(timer=lambda: next(readings))
    for at in ("before startup", "after startup", "after load round 1"):
        probe.record(at)
    doc, _plan = _document(probe, {})
    res = synthetic_full()[1]
    assert doc["drift"] == drift_flags(res, probe) and len(doc["drift"]) == 1
    assert not set(doc["drift"]) & set(doc["notes"])
    assert not any(n.startswith("wrk is a closed-loop load generator") for n in doc["notes"])


def test_toolchain_note_reads_cpython_from_the_fastapi_version_line() -> None:
    from report.bench.environment import toolchain_notes

    line = "fastapi 0.165.0 on uvicorn 0.54.0 (uvloop 0.23.0, 1 worker), CPython 3.13.0; asyncpg 0.32.0"
    python, node = toolchain_notes({"fastapi": line})
    assert python.startswith("The FastAPI services ran on CPython 3.13.0, compiled without PGO or LTO")
    assert node.startswith("Node.js ")
    # the build the version line reads back from the interpreter's configure options
    built = line.replace("CPython 3.13.0;", "CPython 3.14.7 (PGO+LTO);")
    python, _ = toolchain_notes({"fastapi": built})
    assert python.startswith(
        "The FastAPI services ran on CPython 3.14.7, compiled from its release tag with PGO and LTO"
    )
    assert "3.14.7 (August 2026) is the newest release these machines reach" in python
    assert toolchain_notes({"go": "go1.27.3 net/http"}) == []
    *_, go = toolchain_notes({"fastapi": line, "go": "go1.27.3 net/http, CGO_ENABLED=0 static binary"})
    assert go.startswith("The Go services were built with go1.27.3; Go 1.27 is the newest major release")


def test_the_document_is_what_the_report_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The new keys (predicted time, knee settings, the load generator's measured reach) pass the report's schema."""
    import yaml

    from report.bench.output import yaml_text
    from report.inputs.data_schema import Environment

    monkeypatch.setattr(environment, "tool_version", lambda argv, path=None: f"{Path(argv[0]).name} 9.9")
    doc, _plan = _document(Probe(), {"go": "go1.23"})
    assert "load_generator" in doc and "ceiling_rps" not in doc["load_generator"]
    parsed = Environment.model_validate(yaml.safe_load(yaml_text(doc)))
    assert parsed.method.predicted_min == 37.0
    assert (
        parsed.load_generator is not None
        and parsed.load_generator.cpu_us_per_request == doc["load_generator"]["cpu_us_per_request"]
    )


def test_node_and_npm_are_bench_deps_own_when_it_installed_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """install-deps puts Node.js and npm from the npm registry in services/.work/node/bin: those ran npm, so those
    are the versions the notes name (the machine's older Node on PATH only bootstrapped them)."""
    from report.bench.environment import js_tool

    monkeypatch.setenv("LEAD_MAGNET_ROOT", str(tmp_path))
    assert js_tool("node") == "node"
    own = tmp_path / "services" / ".work" / "node" / "bin"
    own.mkdir(parents=True)
    (own / "node").write_text("#!/bin/sh\necho v26.12.1\n")
    (own / "node").chmod(0o755)
    assert js_tool("node") == str(own / "node")
    assert environment.node_version() == "v26.12.1"


def test_the_postgresql_version_is_read_from_the_server_the_db_runs_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(environment, "bindir", lambda: Path("/usr/lib/postgresql/15/bin"))
    seen: list[list[str]] = []

    def fake(argv: list[str], path: str | None = None) -> str:
        seen.append(argv)
        return "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"

    monkeypatch.setattr(environment, "tool_version", fake)
    assert environment.postgres_version() == "PostgreSQL 15.18 (Debian 15.18-0+deb12u1)"
    assert seen == [["/usr/lib/postgresql/15/bin/postgres", "--version"]]

    def missing() -> Path:
        raise BenchError("PostgreSQL server not found")

    monkeypatch.setattr(environment, "bindir", missing)
    assert environment.postgres_version() == "PostgreSQL not found"
