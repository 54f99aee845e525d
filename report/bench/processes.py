"""Every process the harness starts, and stopping all of them on failure or interrupt."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import Protocol

from report.bench.errors import BenchError

TERM_GRACE_S = 3.0


class Interrupted(BenchError):
    """The run was stopped by SIGINT or SIGTERM."""


class Owned(Protocol):
    """A process the harness owns on another host (report/bench/remote.py): stopped by its own supervisor."""

    pid: int

    def poll(self) -> int | None:
        """None while it runs, else its exit status."""

    @property
    def returncode(self) -> int | None:
        """Its exit status once it ended."""

    def stop(self) -> int:
        """Stop it (and everything it started) and return its exit status."""


class ProcessRegistry:
    """Starts processes in their own session and guarantees they are gone when it closes."""

    def __init__(self, env_marker: Mapping[str, str] | None = None, term_grace_s: float = TERM_GRACE_S) -> None:
        self._procs: list[subprocess.Popen[bytes]] = []
        # how long a process may take to exit after SIGTERM before it is killed (tests of stubborn trees lower it)
        self.term_grace_s = term_grace_s
        # A marker in every child's environment lets tests find strays that escaped their group.
        self.env_marker = dict(env_marker or {})
        # A signal that arrives between fork and registration is held until the child is registered,
        # so no child can escape clean-up.
        self._starting = False
        self.pending_signal: int | None = None

    def start(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        cpus: set[int] | None = None,
        stdin: int | None = subprocess.DEVNULL,
        stdout: int | None = subprocess.DEVNULL,
        stderr: int | None = subprocess.DEVNULL,
    ) -> subprocess.Popen[bytes]:
        """Start `argv` in its own session (its whole group can be signalled), optionally pinned to `cpus`."""
        full_env = dict(os.environ if env is None else env)
        full_env.update(self.env_marker)

        def pin() -> None:
            if cpus:
                os.sched_setaffinity(0, cpus)

        self._starting = True
        try:
            proc = subprocess.Popen(
                list(argv),
                env=full_env,
                cwd=cwd,
                stdin=stdin,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
                preexec_fn=pin if cpus else None,
            )
            self._procs.append(proc)
        except OSError as exc:
            raise BenchError(f"cannot start {argv[0]}: {exc.strerror or exc}") from exc
        finally:
            self._starting = False
        if self.pending_signal is not None:
            raise Interrupted(f"interrupted by {signal.Signals(self.pending_signal).name}")
        return proc

    @property
    def pids(self) -> list[int]:
        """Pids of started processes that are still running."""
        return [p.pid for p in self._procs if p.poll() is None]

    def stop(self, proc: subprocess.Popen[bytes] | Owned, grace_s: float | None = None) -> int | None:
        """SIGTERM the process's group, then SIGKILL it by pid and group if it outlives `grace_s` (default: the
        registry's grace). A process on another host is stopped by its supervisor there."""
        if not isinstance(proc, subprocess.Popen):
            return proc.stop()
        _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + (self.term_grace_s if grace_s is None else grace_s)
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        if proc.poll() is None:
            _kill(proc.pid)
            _signal_group(proc.pid, signal.SIGKILL)
            # An unkillable (D state) process is left to the kernel; nothing more a user process can do.
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        # Children that ignored SIGTERM but stayed in the group are killed too.
        _signal_group(proc.pid, signal.SIGKILL)
        if proc in self._procs:
            self._procs.remove(proc)
        return proc.returncode

    def stop_all(self) -> None:
        """Stop every registered process: all get SIGTERM at once, then SIGKILL after the grace period."""
        procs = list(self._procs)
        for p in procs:
            _signal_group(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.term_grace_s
        while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
            time.sleep(0.02)
        for p in procs:
            if p.poll() is None:
                _kill(p.pid)
            _signal_group(p.pid, signal.SIGKILL)
            with suppress(subprocess.TimeoutExpired):
                p.wait(timeout=5)
        self._procs.clear()


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is already gone
        os.killpg(pgid, sig)


def _kill(pid: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


@contextmanager
def managed(registry: ProcessRegistry) -> Iterator[ProcessRegistry]:
    """Turn SIGINT/SIGTERM into `Interrupted` and stop every registered process on any exit."""

    def on_signal(signum: int, frame: FrameType | None) -> None:
        registry.pending_signal = signum
        if registry._starting:
            return  # start() raises once the new child is registered
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
