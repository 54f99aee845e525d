"""End-to-end: a real harness run interrupted mid-measurement leaves no process and no output behind.

It starts its own harness run, so it lives apart from test_smoke.py: with `--dist loadfile` the two runs then go
to different workers instead of one after the other."""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path

import pytest

from tests.bench.conftest import harness
from tests.bench.test_processes import marked_pids, wait_gone

pytestmark = pytest.mark.slow  # runs the real services (seconds each)


def test_interrupt_mid_run_leaves_nothing(toolchain: None, tmp_path: Path) -> None:
    token = uuid.uuid4().hex
    proc = harness(["--quick", "--stacks", "go,fastapi", "--out", str(tmp_path / "out")], token)
    assert proc.stderr is not None
    # Interrupt mid-measurement, not while building: once the first span probe is announced (a piped stderr gets
    # one progress line per step) and the receiver and its service are running.
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "span probe:" in line:
            break
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(marked_pids(token)) < 2 and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "".join(seen)
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=30)
    stderr = "".join(seen) + rest
    assert proc.returncode == 1, stderr[-2000:]
    assert "interrupted by SIGINT" in stderr
    assert "Traceback" not in stderr
    assert wait_gone(token) == []
    assert not (tmp_path / "out").exists(), "nothing is written by an interrupted run"
