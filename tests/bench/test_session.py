"""The session's small rules: the batch span processor's queue per stack, spans expected per request, checkpoints."""

from __future__ import annotations

import argparse
from pathlib import Path

from report.bench.options import add_arguments, make_plan
from report.bench.plan import Pinning
from report.bench.processes import ProcessRegistry
from report.bench.progress import Progress
from report.bench.session import SETTLE_QUIET_S, Session
from report.bench.stacks import BSP_DEFAULTS, Paths


def make_session(tmp_path: Path, *argv: str) -> Session:
    """A session over a plan for go, bun and fastapi that starts nothing until asked."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    plan = make_plan(parser.parse_args(["--quick", *argv]), ["go", "bun", "fastapi"], 1)
    return Session(Paths(tmp_path), plan, ProcessRegistry(), Pinning(None, None), Progress(1.0, quiet=True), tmp_path)


def test_a_stack_keeps_the_queue_it_was_re_run_with(tmp_path: Path) -> None:
    session = make_session(tmp_path)
    assert session._bsp("go") == BSP_DEFAULTS
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


def test_the_settle_wait_outlasts_one_export_interval() -> None:
    assert BSP_DEFAULTS["OTEL_BSP_SCHEDULE_DELAY"] / 1000 < SETTLE_QUIET_S
