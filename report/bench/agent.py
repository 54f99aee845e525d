"""The harness's agent on a host of a `--hosts` run: reads /proc there, times the calibration workload there, and
waits for a service's first 200 there, answering one JSON line per request line over its SSH channel.

It runs from a small bundle of standard-library modules of this package (report/bench/hostagent.py copies them),
so a host needs nothing but python3. It starts nothing: every process the harness runs on a host belongs to the
supervisor of report/bench/remote.py. It ends when its channel ends (the harness finished, died, or the connection
was cut), so it never outlives the run.

Requests: `{"op": NAME, ...arguments}`; answers: `{"ok": VALUE}` or `{"error": "one line"}`.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from report.bench import oha, procfs
from report.bench.sampler import Sample, Sampler
from report.bench.workload import time_workload

# the requests it answers: its methods of these names
OPS = [
    "take",
    "sample_start",
    "sample_stop",
    "memory",
    "alive",
    "ready",
    "free_port",
    "busy",
    "watch",
    "calibrate",
    "read",
]
HEALTH = b"GET /health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
POLL_S = 0.0005  # as tight as the local mode's wait for the first 200 (report/bench/service.py)


def encode(s: Sample) -> list[Any]:
    """A sample as JSON: [t, busy, idle, steal, {pid: ticks}, rss_mb, pss_mb]."""
    return [
        s.t,
        s.machine.busy,
        s.machine.idle,
        s.machine.steal,
        {str(k): v for k, v in s.ours.items()},
        s.rss_mb,
        s.pss_mb,
    ]


def decode(v: list[Any]) -> Sample:
    """The sample `encode` wrote."""
    ours = {int(k): int(n) for k, n in dict(v[4]).items()}
    return Sample(float(v[0]), procfs.CpuTimes(int(v[1]), int(v[2]), int(v[3])), ours, float(v[5]), float(v[6]))


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def health_ok(address: str, port: int, timeout_s: float = 0.5) -> bool:
    """GET /health answered 200 (False while nothing listens yet). Standard library only: the agent runs it on
    each host, and report/bench/service.py calls it for the local mode."""
    try:
        with socket.create_connection((address, port), timeout=timeout_s) as s:
            s.sendall(HEALTH)
            head = b""
            while b"\r\n" not in head and len(head) < 1024:
                chunk = s.recv(1024)
                if not chunk:
                    break
                head += chunk
    except OSError:
        return False
    return head.startswith(b"HTTP/1.") and head[9:12] == b"200"


class Agent:
    """One host's side of the harness; each method answers one request."""

    def __init__(self) -> None:
        self.sampler: Sampler | None = None

    def take(self, pid: int, ours: list[int]) -> list[Any]:
        """One sample now: the machine's CPU, our processes' CPU and the tree of `pid`'s memory."""
        return encode(Sampler(pid, lambda: ours).take())

    def sample_start(self, pid: int, ours: list[int], interval: float) -> None:
        """Sample in the background until sample_stop (a sampler a failed run left running stops first)."""
        self.sample_stop()
        self.sampler = Sampler(pid, lambda: ours, interval_s=interval)
        self.sampler.start()

    def sample_stop(self) -> list[list[Any]]:
        """Stop the background sampler; every sample it took."""
        if self.sampler is None:
            return []
        self.sampler.stop()
        samples, self.sampler = self.sampler.samples, None
        return [encode(s) for s in samples]

    def memory(self, pid: int) -> list[float]:
        """RSS and PSS of `pid`'s process tree, MiB."""
        m = procfs.tree_memory(pid)
        return [m.rss_mb, m.pss_mb]

    def alive(self, pid: int) -> bool:
        """Whether `pid` still runs."""
        return alive(pid)

    def ready(self, address: str, port: int, pid: int, since: str, timeout: float) -> float:
        """Milliseconds from the service's exec (the wall-clock time its launcher wrote to `since`) to its first
        200 on /health, polled here, on its own host."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not alive(pid):
                raise RuntimeError(f"exited before answering /health (pid {pid})")
            if health_ok(address, port):
                now = time.time()
                with open(since) as f:
                    return (now - float(f.read().strip().replace(",", "."))) * 1000
            time.sleep(POLL_S)
        raise RuntimeError(f"did not answer /health with 200 within {timeout:.0f} s")

    def free_port(self, address: str) -> int:
        """A TCP port nothing listens on at `address` now."""
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((address, 0))
            return int(s.getsockname()[1])

    def busy(self, cores: list[int] | None = None) -> list[int]:
        """(busy, total) CPU ticks of these cores (all of the host's when None)."""
        return list(procfs.core_ticks(set(cores) if cores else None))

    def watch(self, pid: int, timeout: float) -> list[float]:
        """Until `pid` ends: its CPU seconds, wall seconds and its threads' run-queue wait (oha.watch's figures for
        a process that is not our child: the last reading before it ended stands)."""
        start = time.monotonic()
        waits: dict[int, int] = {}
        ticks: int | None = None
        while alive(pid):
            waits.update(oha._runqueue_ns(pid))
            ticks = oha._cpu_ticks(pid) or ticks
            if time.monotonic() - start > timeout:
                raise RuntimeError(f"pid {pid} still runs after {timeout:.0f} s")
            time.sleep(oha.SAMPLE_S)
        hz = os.sysconf("SC_CLK_TCK")
        return [(ticks or 0) / hz, time.monotonic() - start, sum(waits.values()) / 1e9]

    def calibrate(self) -> float:
        """The calibration workload's time on this host, ms (report/bench/workload.py)."""
        return round(time_workload(), 2)

    def read(self, path: str) -> str:
        """A file's text ('' when it is not there)."""
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


def serve(agent: Agent, lines: Any, out: Any) -> None:
    """Answer each request line until the input ends."""
    ops: dict[str, Callable[..., Any]] = {name: getattr(agent, name) for name in OPS}
    for line in lines:
        try:
            req = json.loads(line)
            op = ops[req.pop("op")]
            reply: dict[str, Any] = {"ok": op(**req)}
        except Exception as exc:
            reply = {"error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}
        out.write(json.dumps(reply) + "\n")
        out.flush()


def main() -> int:
    """Say hello (this agent's pid), then serve stdin until it ends."""
    print(json.dumps({"ok": os.getpid()}), flush=True)
    serve(Agent(), sys.stdin, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
