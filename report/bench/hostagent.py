"""The harness's side of each host's agent (report/bench/agent.py): the bundle copied to every host, the agent's
SSH channel, and what is read through it (/proc samples, memory, a service's first 200, calibration timings).

The bundle is this package's standard-library modules the agent and the span receiver need, plus the protobuf
runtime and the OpenTelemetry protocol classes the receiver decodes with (pure Python and an abi3 extension, so
any python3 ≥ 3.9 on the host loads them)."""

from __future__ import annotations

import json
import select
import shlex
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import google.protobuf  # type: ignore[import-untyped]
import opentelemetry.proto

from report.bench import agent as agent_module
from report.bench.errors import BenchError
from report.bench.hosts import Host
from report.bench.processes import ProcessRegistry
from report.bench.procfs import Memory
from report.bench.remote import COMMAND_TIMEOUT_S, deploy, first_line, run, ssh_argv
from report.bench.sampler import CpuVerdict, Sample, Sampler, foreign_cpu

BUNDLE = "agent"  # under each host's workdir
MODULES = ("agent", "errors", "oha", "procfs", "receiver", "sampler", "workload")


def make_bundle(into: Path) -> Path:
    """The directory copied to every host: `report.bench`'s agent modules and the receiver's decoder."""
    root = into / BUNDLE
    bench = root / "report" / "bench"
    bench.mkdir(parents=True)
    (root / "report" / "__init__.py").write_text("")
    (bench / "__init__.py").write_text("")
    here = Path(agent_module.__file__).parent
    for name in MODULES:
        shutil.copyfile(here / f"{name}.py", bench / f"{name}.py")
    protobuf = Path(google.protobuf.__file__).parent
    shutil.copytree(protobuf, root / "google" / "protobuf", ignore=shutil.ignore_patterns("__pycache__"))
    upb = protobuf.parent / "_upb"
    if upb.is_dir():
        shutil.copytree(upb, root / "google" / "_upb", ignore=shutil.ignore_patterns("__pycache__"))
    proto = Path(next(iter(opentelemetry.proto.__path__)))
    shutil.copytree(proto, root / "opentelemetry" / "proto", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def deploy_bundle(host: Host, bundle: Path) -> str:
    """Copy the bundle to `host` (replacing an older one) and return where it is there."""
    target = f"{host.workdir}/{BUNDLE}"
    run(host, f"rm -rf {shlex.quote(target)}")
    return deploy(host, bundle, host.workdir)


def python_command(bundle: str, module: str, *args: str) -> list[str]:
    """argv running one of the bundle's modules with the host's python3 (its own packages out of the way)."""
    return ["env", f"PYTHONPATH={bundle}", "python3", "-s", "-m", f"report.bench.{module}", *args]


class HostAgent:
    """One host's agent over its own SSH channel; the local `ssh` belongs to the registry, so the agent ends with
    the run (its input ends), whatever ends the run."""

    def __init__(self, registry: ProcessRegistry, host: Host, role: str, bundle: str) -> None:
        self.host = host
        self.role = role
        command = f"cd {shlex.quote(bundle)} && exec {shlex.join(python_command(bundle, 'agent'))}"
        self.proc = registry.start(
            ssh_argv(host, command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self._lock = threading.Lock()
        hello = first_line(self.proc, COMMAND_TIMEOUT_S)
        try:
            self.pid = int(json.loads(hello)["ok"])
        except (ValueError, KeyError, TypeError):
            self.proc.kill()
            err = self.proc.stderr.read().decode(errors="replace").strip() if self.proc.stderr else ""
            raise BenchError(
                f"{host.label}: the harness's agent did not start ({(err.splitlines() or ['no message'])[-1]})"
            ) from None

    def lost(self) -> BenchError:
        """The one line for a connection that went away."""
        return BenchError(f"{self.host.label}: the SSH connection to the {self.role} host was lost")

    def call(self, op: str, timeout_s: float = COMMAND_TIMEOUT_S, **args: Any) -> Any:
        """One request and its answer; a failure there is one line naming the host."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        with self._lock:
            try:
                self.proc.stdin.write(json.dumps({"op": op, **args}).encode() + b"\n")
                self.proc.stdin.flush()
            except (OSError, ValueError):
                raise self.lost() from None
            ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
            if not ready:
                raise BenchError(f"{self.host.label}: no answer from the {self.role} host within {timeout_s:.0f} s")
            line = self.proc.stdout.readline()
        if not line:
            raise self.lost()
        reply = json.loads(line)
        if "error" in reply:
            raise BenchError(f"{self.host.label}: {reply['error']}")
        return reply["ok"]

    def memory(self, pid: int) -> Memory:
        """RSS and PSS of a process tree there."""
        rss, pss = self.call("memory", pid=pid)
        return Memory(float(rss), float(pss))

    def alive(self, pid: int) -> bool:
        """Whether a process there still runs."""
        return bool(self.call("alive", pid=pid))

    def busy(self, cores: set[int] | None = None) -> tuple[int, int]:
        """(busy, total) CPU ticks of these cores there (all when None)."""
        busy, total = self.call("busy", cores=sorted(cores) if cores else None)
        return int(busy), int(total)

    def read(self, path: str) -> str:
        """A file there ('' when absent)."""
        return str(self.call("read", path=path))

    def calibrate(self) -> float:
        """The calibration workload's time there, ms."""
        return float(self.call("calibrate"))

    def take(self, pid: int, ours: list[int]) -> Sample:
        """One sample there now."""
        return agent_module.decode(self.call("take", pid=pid, ours=ours))


@dataclass
class RemoteSampling:
    """A background sampler on one host (the agent's thread), collected when stopped."""

    agent: HostAgent
    pid: int
    ours: list[int]
    samples: list[Sample] = field(default_factory=list)

    def start(self) -> RemoteSampling:
        """Begin sampling every 0.1 s there."""
        self.agent.call("sample_start", pid=self.pid, ours=self.ours, interval=0.1)
        return self

    def stop(self) -> None:
        """Stop and collect the samples."""
        self.samples = [agent_module.decode(s) for s in self.agent.call("sample_stop")]


@dataclass
class AcrossHosts(Sampler):
    """One measured run's samples on two hosts: the service host's (the server's memory, CPU not ours there) as
    `samples`, the load host's (the load generator's CPU, CPU not ours there) as `load_samples`. Foreign CPU is
    the larger of the two hosts' shares: other work on either host could set a figure."""

    load_samples: list[Sample] = field(default_factory=list)

    def verdict(self, load_pid: int) -> CpuVerdict:
        """Foreign CPU over the run on the busier host."""
        service = foreign_cpu(self.samples[0], self.samples[-1]) if len(self.samples) > 1 else CpuVerdict(0, 0, 0)
        load = Sampler(load_pid, list, samples=self.load_samples).verdict(load_pid)
        return max(service, load, key=lambda v: (v.foreign_pct, v.steal_pct))

    def cpu_pct(self, pid: int) -> float:
        """The load generator's CPU on the load host."""
        return Sampler(pid, list, samples=self.load_samples).cpu_pct(pid)
