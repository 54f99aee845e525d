"""Starting a reference service, waiting for its first 200, and talking to it and to the receiver."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from report.bench import agent
from report.bench.errors import BenchError
from report.bench.processes import Owned, ProcessRegistry
from report.bench.stacks import LOOPBACK, Paths, launch


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def health_ok(port: int, timeout_s: float = 0.5) -> bool:
    """True when GET /health on loopback answers 200; False while nothing listens yet."""
    return agent.health_ok(LOOPBACK, port, timeout_s)


def wait_healthy(proc: subprocess.Popen[bytes], port: int, what: str, timeout_s: float = 30.0) -> None:
    """Poll /health tightly until 200; fail at once if the process exits, or after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{what} exited with code {proc.returncode} before answering /health")
        if health_ok(port):
            return
        time.sleep(0.0005)
    raise BenchError(f"{what} did not answer /health with 200 within {timeout_s:.0f} s")


@dataclass
class Running:
    """A started service."""

    stack: str
    variant: str
    port: int
    proc: subprocess.Popen[bytes] | Owned
    started_ns: int
    ready_ns: int
    host: str = LOOPBACK  # where it listens (another host's address with --hosts)

    @property
    def startup_ms(self) -> float:
        """Exec to first 200 on /health."""
        return (self.ready_ns - self.started_ns) / 1e6


def start_service(
    registry: ProcessRegistry,
    paths: Paths,
    stack: str,
    variant: str,
    *,
    receiver_port: int | None,
    cpus: set[int] | None,
    log: Path | None = None,
    env_extra: dict[str, str] | None = None,
    bsp: dict[str, int] | None = None,
    candidate: str | None = None,
) -> Running:
    """Start one service and return once it answers /health."""
    port = free_port()
    spec = launch(paths, stack, variant, port, receiver_port, bsp, candidate)
    spec.env.update(env_extra or {})
    stderr = open(log, "ab") if log else None  # noqa: SIM115 - handed to the child, closed below
    try:
        t0 = time.perf_counter_ns()
        proc = registry.start(
            spec.argv,
            env=spec.env,
            cwd=spec.cwd,
            cpus=cpus,
            stderr=stderr.fileno() if stderr else subprocess.DEVNULL,
        )
        wait_healthy(proc, port, f"{stack} ({variant})")
        t1 = time.perf_counter_ns()
    finally:
        if stderr:
            stderr.close()
    return Running(stack, variant, port, proc, t0, t1)


def get(
    port: int, path: str, conn: http.client.HTTPConnection | None = None, host: str = LOOPBACK
) -> tuple[int, bytes]:
    """One GET on `host`:`port` (this machine's loopback unless the service runs on another host)."""
    c = conn or http.client.HTTPConnection(host, port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    except OSError as exc:
        raise BenchError(f"GET http://{host}:{port}{path} failed: {exc}") from exc
    finally:
        if conn is None:
            c.close()


class ReceiverClient:
    """The span receiver running as a child process of the harness."""

    address = LOOPBACK  # where the services export to and the harness asks for counts
    proc: subprocess.Popen[bytes] | Owned
    port: int

    def __init__(self, registry: ProcessRegistry, cpus: set[int] | None) -> None:
        proc = registry.start(
            [sys.executable, "-m", "report.bench.receiver"], cpus=cpus, stdout=subprocess.PIPE, env=None
        )
        self.proc = proc
        assert proc.stdout is not None
        line = proc.stdout.readline().decode().strip()
        if not line.isdigit():
            raise BenchError("the span receiver did not start (no port on its first line)")
        self.port = int(line)

    def _call(self, method: str, path: str) -> bytes:
        c = http.client.HTTPConnection(self.address, self.port, timeout=10)
        try:
            c.request(method, path, body=b"" if method == "POST" else None)
            return c.getresponse().read()
        except OSError as exc:
            raise BenchError(f"span receiver on {self.address}:{self.port}: {exc}") from exc
        finally:
            c.close()

    def counts(self, stack: str) -> dict[str, int]:
        """The counts for one stack (zeros when it sent nothing)."""
        got = json.loads(self._call("GET", "/counts")).get(stack, {})
        keys = ("exports", "spans", "server_spans", "server_spans_with_route", "bytes", "bad_payloads")
        out = {k: int(got.get(k, 0)) for k in keys}
        out["bad_payloads"] += int(got.get("bad_content_type", 0))
        return out

    def server_span_names(self, stack: str) -> dict[str, int]:
        """How many server spans carried each name (a bounded set, filled in detail mode)."""
        got = json.loads(self._call("GET", "/counts")).get(stack, {})
        return {str(k): int(v) for k, v in (got.get("server_span_names") or {}).items()}

    def spans(self, stack: str) -> list[dict[str, Any]]:
        """Every span kept whole for one stack in detail mode since the last reset (receiver.Receiver.keep)."""
        got = json.loads(self._call("GET", f"/spans/{stack}"))
        return list(got) if isinstance(got, list) else []

    def reset(self) -> None:
        """Forget all counts."""
        self._call("POST", "/reset")

    def mode(self, mode: str) -> None:
        """Switch the receiver's mode: detail, count, store or discard (see receiver.Receiver)."""
        self._call("POST", f"/mode/{mode}")

    def wait_for(self, stack: str, at_least: float, timeout_s: float, quiet_s: float = 0.6) -> dict[str, int]:
        """Poll until `stack` has `at_least` spans and no new batch for `quiet_s`, or `timeout_s` passes."""
        deadline = time.monotonic() + timeout_s
        got = self.counts(stack)
        changed = time.monotonic()
        while time.monotonic() < deadline:
            if got["spans"] >= at_least and time.monotonic() - changed >= quiet_s:
                break
            time.sleep(0.1)
            now = self.counts(stack)
            if now["spans"] != got["spans"]:
                changed = time.monotonic()
            got = now
        return got
