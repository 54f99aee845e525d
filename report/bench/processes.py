"""Every process the harness starts, and stopping all of them on failure or interrupt."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from report.bench.errors import BenchError

TERM_GRACE_S = 3.0


class Interrupted(BenchError):
    """The run was stopped by SIGINT or SIGTERM."""


class ProcessRegistry:
    """Starts processes in their own session and guarantees they are gone when it closes."""

    def __init__(self, env_marker: Mapping[str, str] | None = None) -> None:
        self._procs: list[subprocess.Popen[bytes]] = []
        # A marker in every child's environment lets tests find strays that escaped their group.
        self.env_marker = dict(env_marker or {})

    def start(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        cpus: set[int] | None = None,
        stdout: int | None = subprocess.DEVNULL,
        stderr: int | None = subprocess.DEVNULL,
    ) -> subprocess.Popen[bytes]:
        """Start `argv` in a new session (so its whole group can be signalled), optionally pinned to `cpus`."""
        full_env = dict(os.environ if env is None else env)
        full_env.update(self.env_marker)

        def pin() -> None:
            if cpus:
                os.sched_setaffinity(0, cpus)

        try:
            proc = subprocess.Popen(
                list(argv),
                env=full_env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
                preexec_fn=pin if cpus else None,
            )
        except OSError as exc:
            raise BenchError(f"cannot start {argv[0]}: {exc.strerror or exc}") from exc
        self._procs.append(proc)
        return proc

    @property
    def pids(self) -> list[int]:
        """Pids of started processes that are still running."""
        return [p.pid for p in self._procs if p.poll() is None]

    def stop(self, proc: subprocess.Popen[bytes], grace_s: float = TERM_GRACE_S) -> int | None:
        """SIGTERM the process's group, then SIGKILL it by pid and group if it outlives `grace_s`."""
        _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        if proc.poll() is None:
            _kill(proc.pid)
            _signal_group(proc.pid, signal.SIGKILL)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass  # unkillable (D state); nothing more a user process can do
        # Children that ignored SIGTERM but stayed in the group are killed too.
        _signal_group(proc.pid, signal.SIGKILL)
        if proc in self._procs:
            self._procs.remove(proc)
        return proc.returncode

    def stop_all(self) -> None:
        """Stop every process still registered: all get SIGTERM at once, then SIGKILL after the grace period."""
        procs = list(self._procs)
        for p in procs:
            _signal_group(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + TERM_GRACE_S
        while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
            time.sleep(0.02)
        for p in procs:
            if p.poll() is None:
                _kill(p.pid)
            _signal_group(p.pid, signal.SIGKILL)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._procs.clear()


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already gone


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@contextmanager
def managed(registry: ProcessRegistry) -> Iterator[ProcessRegistry]:
    """Turn SIGINT/SIGTERM into `Interrupted` and stop every registered process on any exit."""

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(f"interrupted by {signal.Signals(signum).name}")

    old_int = signal.signal(signal.SIGINT, on_signal)
    old_term = signal.signal(signal.SIGTERM, on_signal)
    try:
        yield registry
    finally:
        # A second Ctrl-C during clean-up must not leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            registry.stop_all()
        finally:
            signal.signal(signal.SIGINT, old_int)
            signal.signal(signal.SIGTERM, old_term)
