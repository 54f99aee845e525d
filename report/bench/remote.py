"""Driving a host over SSH with the OpenSSH client (`ssh`): one-shot commands, checks before anything
starts, the per-host lock, copying artefacts (a tar stream), and processes that die with the harness.

Every remote process runs under a small bash supervisor on its host. The supervisor starts the command in its
own session (optionally pinned with `taskset`), prints its pid, and then reads the SSH channel: the harness
sends a heartbeat line every `HEARTBEAT_S`. End of input (the harness or its `ssh` died, the connection was
closed), no heartbeat for `DEAD_AFTER_S` (the connection was cut without a word), or a `stop` line make the
supervisor SIGTERM the command's whole process group and SIGKILL it after `TERM_GRACE_S`. So nothing the harness
starts on a host outlives the harness or its connection, whatever ends them."""

from __future__ import annotations

import contextlib
import select
import shlex
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from report.bench.errors import BenchError
from report.bench.hosts import Host
from report.bench.processes import ProcessRegistry

CONNECT_TIMEOUT_S = 5
COMMAND_TIMEOUT_S = 60.0
# how often each supervisor hears from the harness; also how soon it notices its command ended
HEARTBEAT_S = 0.2
# the supervisor's read timeout: fifty missed heartbeats (a busy harness machine may delay a few, never fifty)
DEAD_AFTER_S = 10
TERM_GRACE_S = 3

# No prompt ever (BatchMode), a bounded connect, and a client that notices a dead server within ~6 s.
SSH_OPTIONS = (
    "-o",
    "BatchMode=yes",
    "-o",
    f"ConnectTimeout={CONNECT_TIMEOUT_S}",
    "-o",
    "ServerAliveInterval=2",
    "-o",
    "ServerAliveCountMax=3",
)

SUPERVISOR = r"""
log=$1; cpus=$2; shift 2
if [ -n "$cpus" ]; then set -- taskset -c "$cpus" "$@"; fi
setsid "$@" </dev/null >>"$log" 2>&1 &
pid=$!
echo "pid $pid"
while kill -0 "$pid" 2>/dev/null; do
  if read -r -t @DEAD@ line; then
    [ "$line" = stop ] && break
  else
    break
  fi
done
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM -- "-$pid" 2>/dev/null
  for _ in $(seq @TICKS@); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
fi
kill -KILL -- "-$pid" 2>/dev/null
wait "$pid"
echo "exit $?"
""".replace("@DEAD@", str(DEAD_AFTER_S)).replace("@TICKS@", str(TERM_GRACE_S * 10))


def ssh_argv(host: Host, command: str) -> list[str]:
    """`ssh` running `command` (one shell string) on `host`, with the user's keys and ssh_config."""
    argv = ["ssh", *SSH_OPTIONS, "-T"]
    if host.ssh_config is not None:
        argv += ["-F", str(host.ssh_config)]
    if host.port is not None:
        argv += ["-p", str(host.port)]
    return [*argv, host.destination, "--", command]


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else "no message"


def run(host: Host, command: str, timeout_s: float = COMMAND_TIMEOUT_S, stdin: bytes | None = None) -> str:
    """Run one shell command on `host` and return its output; a failure is one BenchError line."""
    try:
        done = subprocess.run(
            ssh_argv(host, command),
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"{host.label}: no answer within {timeout_s:.0f} s over SSH") from None
    err = done.stderr.decode(errors="replace")
    if done.returncode == 255:
        raise BenchError(f"{host.label}: unreachable over SSH ({_last_line(err)})")
    if done.returncode != 0:
        raise BenchError(f"{host.label}: `{command.strip().splitlines()[0][:80]}` failed: {_last_line(err)}")
    return done.stdout.decode(errors="replace")


def first_line(proc: subprocess.Popen[bytes], timeout_s: float) -> str:
    """The first line a remote command prints, waiting at most `timeout_s` ('' when it ends or hangs first; a
    command that hangs is killed, so that its session, and the remote side with it, ends)."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
    if not ready:
        proc.kill()
        return ""
    return proc.stdout.readline().decode(errors="replace").strip()


# --- the per-host lock ----------------------------------------------------------------------------------


class RemoteLock:
    """`flock` on `<workdir>/bench.lock`, held for as long as one SSH session stays open (a dropped connection
    releases it): a second harness against the same host stops with one line."""

    def __init__(self, host: Host) -> None:
        self.host = host
        path = f"{host.workdir}/bench.lock"
        command = (
            f"mkdir -p {shlex.quote(host.workdir)} && "
            f"exec flock -n {shlex.quote(path)} -c 'echo locked; exec cat >/dev/null'"
        )
        self.proc = subprocess.Popen(
            ssh_argv(host, command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert self.proc.stdout is not None
        first = first_line(self.proc, COMMAND_TIMEOUT_S)
        if first != "locked":
            code = self.proc.wait(timeout=COMMAND_TIMEOUT_S)
            err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
            if code == 255:
                raise BenchError(f"{host.label}: unreachable over SSH ({_last_line(err)})")
            if code == 1 and not err.strip():  # flock -n: held by someone else
                raise BenchError(
                    f"another `lead-magnet bench` is running against {host.label} ({path} is locked there); "
                    "wait for it to finish"
                )
            raise BenchError(f"{host.label}: could not take the lock {path}: {_last_line(err)}")

    def release(self) -> None:
        """Close the session; the lock goes with it."""
        if self.proc.stdin:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- copying artefacts ----------------------------------------------------------------------------------


def deploy(host: Host, local: Path, remote_dir: str) -> str:
    """Copy a file or directory tree into `remote_dir` on `host` and return its remote path: a tar stream over
    SSH, so symbolic links stay links (a venv's `bin/python` keeps pointing at its interpreter) and modes stay."""
    target = f"{remote_dir}/{local.name}"
    pack = subprocess.Popen(
        ["tar", "-C", str(local.parent), "-cf", "-", local.name],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        done = subprocess.run(
            ssh_argv(host, f"mkdir -p {shlex.quote(remote_dir)} && tar -C {shlex.quote(remote_dir)} -xf -"),
            stdin=pack.stdout,
            capture_output=True,
            timeout=600,
            check=False,
        )
    finally:
        if pack.stdout:
            pack.stdout.close()
        packed = pack.wait(timeout=600)
    err = pack.stderr.read().decode(errors="replace") if pack.stderr else ""
    if packed != 0:
        raise BenchError(f"{host.label}: copying {local} failed: tar: {_last_line(err)}")
    if done.returncode == 255:
        raise BenchError(f"{host.label}: unreachable over SSH ({_last_line(done.stderr.decode(errors='replace'))})")
    if done.returncode != 0:
        raise BenchError(f"{host.label}: copying {local} failed: {_last_line(done.stderr.decode(errors='replace'))}")
    return target


# --- processes that die with the harness ----------------------------------------------------------------


class RemoteProcess:
    """A command on a host under the supervisor; the local side is the `ssh` client, owned by the registry."""

    def __init__(
        self,
        registry: ProcessRegistry,
        host: Host,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        cpus: set[int] | None = None,
        log: str = "/dev/null",
    ) -> None:
        self.host = host
        envs = {**(env or {}), **registry.env_marker}
        inner = " ".join(
            [
                *([f"cd {shlex.quote(cwd)} &&"] if cwd else []),
                "exec env",
                *(shlex.quote(f"{k}={v}") for k, v in sorted(envs.items())),
                shlex.join(argv),
            ]
        )
        cpu_list = ",".join(str(c) for c in sorted(cpus)) if cpus else ""
        command = shlex.join(["bash", "-c", SUPERVISOR, "supervisor", log, cpu_list, "sh", "-c", inner])
        self.proc = registry.start(
            ssh_argv(host, command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.registry = registry
        assert self.proc.stdout is not None
        first = first_line(self.proc, COMMAND_TIMEOUT_S)
        if not first.startswith("pid "):
            code = self.proc.wait(timeout=COMMAND_TIMEOUT_S)
            err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
            if code == 255:
                raise BenchError(f"{host.label}: unreachable over SSH ({_last_line(err)})")
            raise BenchError(f"{host.label}: could not start {argv[0]}: {_last_line(err)}")
        self.pid = int(first.split()[1])
        self.exit_code: int | None = None
        HEARTBEAT.add(self)

    def poll(self) -> int | None:
        """None while the command runs; its exit status once it ended (255 when the connection was lost)."""
        if self.proc.poll() is None:
            return None
        if self.exit_code is None:
            self.exit_code = self._read_exit()
        return self.exit_code

    @property
    def returncode(self) -> int | None:
        """Its exit status once it ended (as `poll`)."""
        return self.poll()

    def _read_exit(self) -> int:
        out = self.proc.stdout.read().decode(errors="replace") if self.proc.stdout else ""
        for line in out.splitlines():
            if line.startswith("exit "):
                return int(line.split()[1])
        return 255  # the supervisor never said: the connection went first

    def send(self, line: str) -> bool:
        """Write one line to the supervisor; False when the channel is gone."""
        if self.proc.stdin is None or self.proc.poll() is not None:
            return False
        try:
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        except (OSError, ValueError):
            return False
        return True

    def stop(self, timeout_s: float = TERM_GRACE_S + 10) -> int:
        """Ask the supervisor to stop the command (SIGTERM, SIGKILL after the grace) and wait for its answer."""
        HEARTBEAT.remove(self)
        self.send("stop")
        with contextlib.suppress(OSError):
            if self.proc.stdin:
                self.proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=timeout_s)
        code = self.poll()
        self.registry.stop(self.proc)  # the local ssh, if it still hangs: its end closes the channel
        return 255 if code is None else code


class _Heartbeat:
    """One daemon thread writing a heartbeat line to every live supervisor."""

    def __init__(self) -> None:
        self._procs: list[RemoteProcess] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, p: RemoteProcess) -> None:
        with self._lock:
            self._procs.append(p)
            if self._thread is None:
                self._thread = threading.Thread(target=self._beat, name="ssh-heartbeat", daemon=True)
                self._thread.start()

    def remove(self, p: RemoteProcess) -> None:
        with self._lock:
            if p in self._procs:
                self._procs.remove(p)

    def _beat(self) -> None:
        while True:
            with self._lock:
                procs = list(self._procs)
            for p in procs:
                if not p.send("beat"):
                    self.remove(p)
            time.sleep(HEARTBEAT_S)


HEARTBEAT = _Heartbeat()


def read_remote(host: Host, path: str) -> str:
    """A file on the host (e.g. /proc/PID/status), or '' when it is gone."""
    return run(host, f"cat {shlex.quote(path)} 2>/dev/null || true")
