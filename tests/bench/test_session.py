"""The session's small rules: the batch span processor's queue per stack, spans expected per request, checkpoints,
and the contention retries (with a stand-in wrk and sampler: the smoke run no longer retries, so only these test it)."""

from __future__ import annotations

import argparse
import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from report.bench.options import add_arguments, make_plan
from report.bench.plan import Pinning
from report.bench.processes import ProcessRegistry
from report.bench.progress import Progress
from report.bench.results import ThroughputRow
from report.bench.sampler import CpuVerdict, Sample
from report.bench.service import Running
from report.bench.session import Session, settle_quiet_s
from report.bench.stacks import BSP_DEFAULTS, Paths
from report.bench.wrk import WrkResult


def make_session(tmp_path: Path, *argv: str, full: bool = False) -> Session:
    """A session over a plan (the smoke run's unless `full`) for go, bun and fastapi that starts nothing until asked."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    plan = make_plan(parser.parse_args([*([] if full else ["--quick"]), *argv]), ["go", "bun", "fastapi"], 1)
    return Session(Paths(tmp_path), plan, ProcessRegistry(), Pinning(None, None), Progress(1.0, quiet=True), tmp_path)


def test_a_stack_keeps_the_queue_it_was_re_run_with(tmp_path: Path) -> None:
    session = make_session(tmp_path)
    assert session._bsp("go") == {**BSP_DEFAULTS, "OTEL_BSP_SCHEDULE_DELAY": 200}  # the smoke run's delay
    session.results.queue_size["go"] = 8192
    assert session._bsp("go")["OTEL_BSP_MAX_QUEUE_SIZE"] == 8192
    assert session._bsp("bun")["OTEL_BSP_MAX_QUEUE_SIZE"] == BSP_DEFAULTS["OTEL_BSP_MAX_QUEUE_SIZE"]


def test_spans_expected_per_request_come_from_the_probes(tmp_path: Path) -> None:
    session = make_session(tmp_path)
    assert session._spans_per_req("go") == 1.0  # not probed yet: one span per request
    session.results.spans["go"] = {"otel_spans_per_req": 3.0, "otel_db_spans_per_req": 0.0}
    assert session._spans_per_req("go") == 3.0
    assert session._spans_per_req("go", "/db") == 1.0  # a zero figure never makes every run look complete


def test_checkpoints_reach_the_hook(tmp_path: Path) -> None:
    session = make_session(tmp_path)
    session.checkpoint("ignored without a hook")
    seen: list[str] = []
    session.on_checkpoint = seen.append
    session.checkpoint("after startup")
    assert seen == ["after startup"]


def test_the_settle_wait_outlasts_one_export_interval(tmp_path: Path) -> None:
    full, quick = make_session(tmp_path, full=True), make_session(tmp_path)
    assert full._bsp("go") == BSP_DEFAULTS  # the full run passes the SDKs' defaults unchanged
    assert settle_quiet_s(full.plan) == 1.4  # the full run's wait, as measured before the smoke run got its own
    for session in (full, quick):
        assert session._bsp("go")["OTEL_BSP_SCHEDULE_DELAY"] / 1000 < settle_quiet_s(session.plan)
    assert settle_quiet_s(quick.plan) < settle_quiet_s(full.plan)


class _Alive:
    """A service process that never exits."""

    pid = 4242
    returncode = None

    def poll(self) -> int | None:
        return None


class _Sampled:
    """What the sampler saw during one wrk run: only the foreign CPU matters here."""

    def __init__(self, foreign_pct: float) -> None:
        self.foreign_pct = foreign_pct
        self.samples: list[Sample] = []

    def verdict(self, load_pid: int) -> CpuVerdict:
        return CpuVerdict(self.foreign_pct, 0.0, 1.0)

    def cpu_pct(self, pid: int) -> float:
        return 40.0


def _running() -> Running:
    return Running("go", "baseline", 1, cast("subprocess.Popen[bytes]", _Alive()), 0, 0)


def _load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, foreign: list[float], full: bool, budget_used: int = 0
) -> tuple[ThroughputRow, Session, list[str], list[str]]:
    """One measured run whose wrk runs saw `foreign` % foreign CPU in turn; the row, the session, the quiet waits
    and the notes printed."""
    session = make_session(tmp_path, full=full)
    session.results.retries = budget_used
    stream = io.StringIO()
    session.progress = Progress(1.0, stream=stream)
    readings: Iterator[float] = iter(foreign)
    waits: list[str] = []

    def wrk(*_args: object, **_kwargs: object) -> tuple[Path, _Sampled, int, float]:
        return tmp_path / "wrk-report.json", _Sampled(next(readings)), 99, 42.0

    monkeypatch.setattr(session, "_wrk", wrk)
    monkeypatch.setattr(session, "_wait_for_quiet", lambda running: waits.append(running.stack))
    monkeypatch.setattr(
        "report.bench.session.read_report", lambda _path: WrkResult(1000, 1.0, 1000.0, 1.0, 2.0, 3.0, 0, 0)
    )
    row = session._one_load_run(_running(), 10, 1)
    assert next(readings, None) is None, "every planned wrk run happened"
    return row, session, waits, stream.getvalue().splitlines()


def test_a_contended_run_is_retried_after_a_quiet_wait_until_one_is_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    row, session, waits, notes = _load(tmp_path, monkeypatch, [50.0, 30.0, 5.0], full=True)
    assert (row.attempts, row.contended, row.foreign_cpu_pct, row.load_core_busy_pct) == (3, False, 5.0, 42.0)
    assert (session.results.retries, session.results.contended_runs, waits) == (2, 0, ["go", "go"])
    assert notes == [
        "  contended: 50.0% foreign CPU during go (baseline) c=10; retrying (1/3)",
        "  contended: 30.0% foreign CPU during go (baseline) c=10; retrying (2/3)",
    ]


def test_a_run_still_contended_after_its_retries_is_kept_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    row, session, waits, _ = _load(tmp_path, monkeypatch, [50.0] * 4, full=True)
    assert (row.attempts, row.contended) == (4, True)
    assert (session.results.retries, session.results.contended_runs, len(waits)) == (3, 1, 3)


def test_the_run_wide_retry_budget_stops_retries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    row, session, waits, _ = _load(tmp_path, monkeypatch, [50.0, 50.0], full=True, budget_used=39)
    assert (row.attempts, row.contended, session.results.retries, len(waits)) == (2, True, 40, 1)


def test_the_smoke_run_never_retries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    row, session, waits, notes = _load(tmp_path, monkeypatch, [50.0], full=False)
    assert (row.attempts, row.contended, session.results.retries, session.results.contended_runs) == (1, True, 0, 1)
    assert waits == [] and notes == []


class _Clock:
    """Stands in for the session's `time`: sleeping advances the clock."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.parametrize(("foreign", "slept", "note"), [([5.0], 1.0, False), ([50.0] * 30, 20.0, True)])
def test_the_quiet_wait_ends_when_the_machine_calms_down_or_after_its_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, foreign: list[float], slept: float, note: bool
) -> None:
    session = make_session(tmp_path, full=True)
    stream = io.StringIO()
    session.progress = Progress(1.0, stream=stream)
    clock = _Clock()
    readings = iter(foreign)

    class Probe:
        def __init__(self, *_args: object) -> None:
            pass

        def take(self) -> None:
            return None

    monkeypatch.setattr("report.bench.session.time", clock)
    monkeypatch.setattr("report.bench.session.Sampler", Probe)
    monkeypatch.setattr("report.bench.session.foreign_cpu", lambda *_: CpuVerdict(next(readings), 0.0, 1.0))
    session._wait_for_quiet(_running())
    assert clock.now == slept
    assert (stream.getvalue() == "  machine still busy after 20 s; measuring anyway\n") is note
