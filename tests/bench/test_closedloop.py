"""Startup runs: the first is discarded, the stacks' order rotates, every started service is stopped."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import cast

import pytest

from report.bench.closedloop import ClosedLoop
from report.bench.service import Running
from tests.bench.test_session import make_session


def test_startup_discards_the_first_run_and_rotates_the_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session = make_session(tmp_path, "--startup-runs", "3")
    bench = ClosedLoop(
        session.paths, session.plan, session.registry, session.pinning, session.progress, session.log_dir
    )
    started: list[str] = []
    stopped: list[object] = []

    def start(stack: str, variant: str, env_extra: object = None, candidate: object = None) -> Running:
        started.append(stack)
        proc = cast("subprocess.Popen[bytes]", object())
        return Running(stack, variant, 1, proc, 0, len(started) * 1_000_000)

    monkeypatch.setattr(bench, "_start", start)
    monkeypatch.setattr(bench.registry, "stop", stopped.append)
    bench.measure_startup()
    assert bench.plan.startup_runs == 3
    assert started == ["go", "bun", "fastapi", "bun", "fastapi", "go", "fastapi", "go", "bun"]
    assert len(stopped) == 9
    assert bench.results.startup == [
        ("bun", 1, 4.0),
        ("fastapi", 1, 5.0),
        ("go", 1, 6.0),
        ("fastapi", 2, 7.0),
        ("go", 2, 8.0),
        ("bun", 2, 9.0),
    ]
