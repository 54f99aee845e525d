"""Process clean-up: nothing the harness started survives a failure or an interrupt."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from report.bench.errors import BenchError
from report.bench.processes import TERM_GRACE_S, Interrupted, ProcessRegistry, managed
from report.bench.service import free_port, wait_healthy

MARK = "LEAD_MAGNET_BENCH_RUN"
ROOT = Path(__file__).resolve().parents[2]


def marked_pids(token: str) -> list[int]:
    """Live processes whose environment carries the run marker (zombies excluded)."""
    needle = f"{MARK}={token}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if needle not in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                continue
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.append(int(entry))
    return found


def wait_gone(token: str, timeout_s: float = 10.0) -> list[int]:
    """Marked processes still alive after waiting up to `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    left = marked_pids(token)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = marked_pids(token)
    return left


# A process that ignores SIGTERM and has a grandchild that does too: only SIGKILL by group ends them.
STUBBORN = ["bash", "-c", "trap '' TERM; (trap '' TERM; sleep 300) & sleep 300; wait"]
# Its three processes: bash, and the two sleeps (bash execs the subshell's), started after the traps are set.
STUBBORN_PROCS = 3
# Stubborn trees are killed after this grace, not the harness's 3 s: only the SIGKILL path matters here.
GRACE_S = 0.2


def wait_marked(token: str, count: int, timeout_s: float = 10.0) -> list[int]:
    """Marked processes once at least `count` are alive (or whatever is alive after `timeout_s`)."""
    deadline = time.monotonic() + timeout_s
    found = marked_pids(token)
    while len(found) < count and time.monotonic() < deadline:
        time.sleep(0.02)
        found = marked_pids(token)
    return found


def test_stop_all_kills_stubborn_trees() -> None:
    token = uuid.uuid4().hex
    reg = ProcessRegistry({MARK: token}, term_grace_s=GRACE_S)
    reg.start(STUBBORN)
    reg.start(["sleep", "300"])
    assert len(wait_marked(token, STUBBORN_PROCS + 1)) >= STUBBORN_PROCS + 1
    started = time.monotonic()
    reg.stop_all()
    assert wait_gone(token) == []
    assert time.monotonic() - started < 10
    assert reg.pids == []


def test_failure_inside_managed_stops_everything() -> None:
    token = uuid.uuid4().hex
    reg = ProcessRegistry({MARK: token}, term_grace_s=GRACE_S)
    with pytest.raises(BenchError, match="boom"), managed(reg):
        reg.start(STUBBORN)
        assert len(wait_marked(token, STUBBORN_PROCS)) >= STUBBORN_PROCS
        raise BenchError("boom")
    assert wait_gone(token) == []


def test_crashed_service_fails_fast() -> None:
    reg = ProcessRegistry()
    proc = reg.start(["sh", "-c", "exit 3"])
    started = time.monotonic()
    with pytest.raises(BenchError, match="exited with code 3 before answering /health"):
        wait_healthy(proc, free_port(), "fake", timeout_s=20)
    assert time.monotonic() - started < 5
    reg.stop_all()


def test_silent_service_times_out() -> None:
    reg = ProcessRegistry()
    proc = reg.start(["sleep", "30"])
    try:
        with pytest.raises(BenchError, match="did not answer /health with 200 within 1 s"):
            wait_healthy(proc, free_port(), "fake", timeout_s=1)
    finally:
        reg.stop_all()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_stops_every_child(tmp_path: Path, sig: signal.Signals) -> None:
    token = uuid.uuid4().hex
    script = tmp_path / "harness.py"
    script.write_text(
        textwrap.dedent(f"""
        import sys, time
        from report.bench.processes import Interrupted, ProcessRegistry, managed
        reg = ProcessRegistry({{"{MARK}": "{token}"}}, term_grace_s={GRACE_S})
        try:
            with managed(reg):
                reg.start({STUBBORN!r})
                reg.start(["sleep", "300"])
                print("ready", flush=True)
                time.sleep(60)
        except Interrupted as exc:
            print(exc, file=sys.stderr)
            sys.exit(1)
    """)
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    assert len(wait_marked(token, STUBBORN_PROCS + 1)) >= STUBBORN_PROCS + 1
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 1
    assert f"interrupted by {sig.name}".encode() in err
    assert wait_gone(token) == []


def test_interrupted_is_a_bench_error() -> None:
    assert issubclass(Interrupted, BenchError)


def test_the_grace_before_sigkill_is_the_registrys_own() -> None:
    assert ProcessRegistry().term_grace_s == TERM_GRACE_S == 3.0  # the harness's grace is unchanged
    token = uuid.uuid4().hex
    reg = ProcessRegistry({MARK: token}, term_grace_s=GRACE_S)
    proc = reg.start(STUBBORN)
    assert len(wait_marked(token, STUBBORN_PROCS)) >= STUBBORN_PROCS
    assert reg.stop(proc) == -signal.SIGKILL  # it ignored SIGTERM for the whole grace
    assert wait_gone(token) == []
