"""End-to-end: a real harness run interrupted mid-measurement leaves no process and no output behind.

It starts its own harness run, so it lives apart from test_smoke.py: with `--dist loadfile` the two runs then go
to different workers instead of one after the other."""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path

from tests.bench.conftest import harness
from tests.bench.test_processes import marked_pids, wait_gone


def test_interrupt_mid_run_leaves_nothing(toolchain: None, tmp_path: Path) -> None:
    token = uuid.uuid4().hex
    proc = harness(["--quick", "--stacks", "go,fastapi", "--out", str(tmp_path / "out")], token)
    deadline = time.monotonic() + 60
    # Interrupt once the receiver and a service (or wrk) are running, not while building.
    while time.monotonic() < deadline and len(marked_pids(token)) < 2 and proc.poll() is None:
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 1, stderr[-2000:]
    assert "interrupted by SIGINT" in stderr
    assert "Traceback" not in stderr
    assert wait_gone(token) == []
    assert not (tmp_path / "out").exists(), "nothing is written by an interrupted run"
