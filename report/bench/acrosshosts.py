"""`lead-magnet bench --hosts`: the same plan and the same measurements as the local mode (report/bench/measure.py),
with each process on its role's host.

- **Service host**: the services, started under the remote supervisor (report/bench/remote.py), listening on the
  host's address, pinned to its first core (the local mode's one-core equaliser; the other cores take the agent's
  sampling); startup timed there (from the exec its launcher records to the first 200 its agent sees); memory and
  CPU read from its /proc by its agent (report/bench/agent.py).
- **Load host**: wrk, oha and the span receiver, which the services export to; the load generator's CPU and the
  host's busy share read there.
- **Database host**: the throwaway PostgreSQL (report/bench/remotedb.py).
- **Every host**: foreign CPU (busy time not ours) sampled during each measured run (the busier host decides
  whether the run was contended), and the calibration workload timed at each checkpoint.
"""

from __future__ import annotations

import contextlib
import shlex
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from report.bench import procfs, remotedb
from report.bench.calibration import Probe
from report.bench.errors import BenchError
from report.bench.hostagent import AcrossHosts, HostAgent, RemoteSampling, python_command
from report.bench.hosts import Host, Hosts
from report.bench.measure import Bench
from report.bench.oha import TIMEOUT_S, OhaResult, ProcCost, oha_command, parse_oha
from report.bench.openloop import LadderRunner
from report.bench.processes import ProcessRegistry
from report.bench.procfs import Memory
from report.bench.remote import RemoteProcess, run
from report.bench.sampler import Sample, Sampler
from report.bench.service import ReceiverClient, Running
from report.bench.stacks import BASE_ENV_KEYS, Paths, launch
from report.bench.wrk import wrk_command

READY_TIMEOUT_S = 30.0
# The service's launcher: the wall-clock time of its exec, for the startup time its host's agent measures.
LAUNCHER = 'printf "%s\\n" "$EPOCHREALTIME" >"$0"; exec "$@"'


@dataclass
class Placement:
    """Where each role runs, its agent, and where the deployed files are on its host."""

    hosts: Hosts
    agents: dict[str, HostAgent]  # by role (roles on one host share one agent)
    bundles: dict[str, str]  # by role: the agent bundle there
    artefacts: dict[str, str]  # by role: the checkout's copy there (`<workdir>/artefacts`)
    service_cpus: set[int] | None
    load_cpus: set[int] | None
    probes: dict[str, Probe] = field(default_factory=dict)  # by role: calibration readings there

    def logs(self, role: str) -> str:
        """The role's log directory on its host."""
        return f"{self.hosts.role(role).workdir}/logs"

    def calibrate(self, at: str) -> None:
        """Time the calibration workload on every host (once per machine) at a checkpoint."""
        done: dict[tuple[str, int | None], float] = {}
        for role in self.probes:
            key = self.hosts.role(role).key
            if key not in done:
                done[key] = self.agents[role].calibrate()
            self.probes[role].readings.append((at, done[key]))


@contextlib.contextmanager
def placement(
    registry: ProcessRegistry, hosts: Hosts, bundles: dict[str, str], cores: dict[str, int]
) -> Iterator[Placement]:
    """Every host's agent started (its log directory emptied first), the cores chosen; the agents end with the
    block or with the registry."""
    agents: dict[tuple[str, int | None], HostAgent] = {}
    by_role: dict[str, HostAgent] = {}
    for role in ("service", "load", "database"):
        host = hosts.role(role)
        if host.key not in agents:
            logs = shlex.quote(f"{host.workdir}/logs")
            run(host, f"rm -rf {logs} && mkdir -p {logs}")
            agents[host.key] = HostAgent(registry, host, role, bundles[role])
        by_role[role] = agents[host.key]
    service_cores, load_cores = cores["service"], cores["load"]
    # the service on the service host's first core (the local mode's equaliser), the load on every core of its
    # host, or on the rest when it shares the service's host
    service_cpus = {0} if service_cores >= 2 else None
    load_cpus = set(range(load_cores))
    if hosts.load.key == hosts.service.key and service_cpus:
        load_cpus -= service_cpus
    place = Placement(
        hosts,
        by_role,
        bundles,
        {r: f"{hosts.role(r).workdir}/artefacts" for r in ("service", "load", "database")},
        service_cpus,
        load_cpus,
        {r: Probe() for r in ("service", "load", "database")},
    )
    try:
        yield place
    finally:
        for a in agents.values():
            registry.stop(a.proc)


def wait_exit(proc: RemoteProcess, timeout_s: float) -> int | None:
    """The exit status of a remote command, waiting at most `timeout_s` (None: still running)."""
    deadline = time.monotonic() + timeout_s
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return proc.poll()


class RemoteService:
    """A service on the service host (the `Owned` of report/bench/processes.py): its supervisor stops it, and its
    host's agent says at once whether it still runs."""

    def __init__(self, proc: RemoteProcess, agent: HostAgent) -> None:
        self.proc = proc
        self.agent = agent
        self.pid = proc.pid

    def poll(self) -> int | None:
        """None while it runs; once it ended, its exit status as its supervisor reports it."""
        if self.proc.poll() is None and self.agent.alive(self.pid):
            return None
        code = wait_exit(self.proc, 10.0)
        if code == 255 or code is None:  # the supervisor never said: the connection went, not the service
            raise self.agent.lost()
        return code

    @property
    def returncode(self) -> int | None:
        """Its exit status once it ended."""
        return self.proc.poll()

    def stop(self) -> int:
        """Stop it through its supervisor."""
        return self.proc.stop()


class RemoteReceiver(ReceiverClient):
    """The span receiver on the load host, listening on its address (the services export there)."""

    def __init__(self, registry: ProcessRegistry, place: Placement) -> None:
        host, agent = place.hosts.load, place.agents["load"]
        bundle = place.bundles["load"]
        log = f"{place.logs('load')}/receiver.log"
        argv = python_command(bundle, "receiver", "--listen", host.address)
        self.proc = proc = RemoteProcess(registry, host, argv, cwd=bundle, cpus=place.load_cpus, log=log)
        self.address = host.address
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not (first := agent.read(log).partition("\n")[0].strip()).isdigit():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise BenchError(
                    f"{host.label}: the span receiver did not start (no port on its first line); see {log}"
                )
            time.sleep(0.05)
        self.port = int(first)


class RemoteLadderRunner(LadderRunner):
    """The open-loop ladder with oha on the load host."""

    def __init__(self, place: Placement, bench: Bench, check: Callable[[Running], None]) -> None:
        super().__init__(
            bench.registry,
            Path(place.artefacts["load"]) / "services" / ".work" / "oha" / "bin" / "oha",
            bench.plan.ladder,
            bench.progress,
            place.load_cpus,
            start=lambda stack, variant, extra: bench._start(stack, variant, env_extra=extra),
            check=check,
        )
        self.place = place

    def _one(self, running: Running, path: str, rate: int, duration_s: float) -> tuple[OhaResult, ProcCost, float]:
        host, agent = self.place.hosts.load, self.place.agents["load"]
        threads = len(self.load_cores) if self.load_cores else 1
        argv = oha_command(self.oha, f"http://{running.host}:{running.port}{path}", rate, duration_s, threads)
        out = f"{self.place.logs('load')}/oha.json"
        before = agent.busy(self.load_cores)
        proc = RemoteProcess(
            self.registry, host, ["sh", "-c", 'exec "$@" >"$0"', out, *argv], cpus=self.load_cores,
            log=f"{self.place.logs('load')}/oha.log",
        )  # fmt: skip
        try:
            bound = duration_s + TIMEOUT_S + 30  # oha stops itself; the bound guards against a hung one
            cpu_s, wall_s, runqueue_s = agent.call("watch", timeout_s=bound + 30, pid=proc.pid, timeout=bound)
            code = wait_exit(proc, 10.0)
        finally:
            self.registry.stop(proc)
        after = agent.busy(self.load_cores)
        if running.proc.poll() is not None:  # first: a dead service is also why oha would fail
            raise BenchError(
                f"{running.stack} ({running.variant}) crashed under load on {path} (exit {running.proc.returncode})"
            )
        if code != 0:
            raise BenchError(f"oha exited with code {code} against {running.stack} ({path})")
        cost = ProcCost(float(cpu_s), float(wall_s), float(runqueue_s))
        return parse_oha(agent.read(out)), cost, procfs.busy_pct(before, after)


class RemoteBench(Bench):
    """The plan of report/bench/measure.py with every process on its role's host."""

    place: Placement

    def attach(self, place: Placement) -> RemoteBench:
        """Use these hosts; the calibration probe runs on every one of them at each checkpoint."""
        self.place = place
        self.on_checkpoint = place.calibrate
        self._wrk_runs = 0
        self.running: Running | None = None  # the service started last (one runs at a time)
        return self

    def logs_hint(self) -> str:
        """The service host's log directory."""
        return f"{self.place.hosts.service.label}:{self.place.logs('service')}"

    def _new_receiver(self) -> ReceiverClient:
        return RemoteReceiver(self.registry, self.place)

    def _database(self, cores: set[int] | None) -> contextlib.AbstractContextManager[remotedb.RemoteCluster]:
        p = self.place
        log = f"{p.logs('database')}/postgres.log"
        return remotedb.cluster(self.registry, p.hosts.database, p.agents["database"], p.hosts.service.address, log)

    def _tree_memory(self, pid: int) -> Memory:
        return self.place.agents["service"].memory(pid)

    def _ladder_runner(self, check: Callable[[Running], None]) -> LadderRunner:
        return RemoteLadderRunner(self.place, self, check)

    def _quiet_probe(self, running: Running) -> Callable[[], Sample]:
        agent = self.place.agents["service"]
        return lambda: agent.take(running.proc.pid, [])

    def _start(
        self, stack: str, variant: str, env_extra: dict[str, str] | None = None, candidate: str | None = None
    ) -> Running:
        p = self.place
        host: Host = p.hosts.service
        agent = p.agents["service"]
        port = int(agent.call("free_port", address=host.address))
        spec = launch(
            Paths(Path(p.artefacts["service"])),
            stack,
            variant,
            port,
            self.receiver.port if self.receiver else None,
            self._bsp(stack),
            candidate,
            listen=host.address,
            receiver_host=p.hosts.load.address,
        )
        env = {k: v for k, v in spec.env.items() if k not in BASE_ENV_KEYS}  # the host's own PATH and HOME
        env.update(env_extra or {})
        name = f"{stack}-{variant}{'-' + candidate if candidate else ''}"
        since = f"{p.logs('service')}/{name}.exec"
        proc = RemoteProcess(
            self.registry,
            host,
            ["bash", "-c", LAUNCHER, since, *spec.argv],
            env=env,
            cwd=str(spec.cwd),
            cpus=p.service_cpus,
            log=f"{p.logs('service')}/{name}.log",
        )
        try:
            ms = agent.call(
                "ready", timeout_s=READY_TIMEOUT_S + 10, address=host.address, port=port, pid=proc.pid,
                since=since, timeout=READY_TIMEOUT_S,
            )  # fmt: skip
        except BenchError as exc:
            self.registry.stop(proc)
            if str(exc) == str(agent.lost()):
                raise
            raise BenchError(f"{stack} ({variant}) on {exc!s}; see {self.logs_hint()}") from None
        self.running = Running(
            stack, variant, port, RemoteService(proc, agent), 0, round(float(ms) * 1e6), host.address
        )
        return self.running

    def _wrk(
        self, port: int, connections: int, duration_s: int, server_pid: int, sample: bool, path: str = "/json"
    ) -> tuple[Path, Sampler | None, int, float]:
        p = self.place
        self._wrk_runs += 1
        report = f"{p.logs('load')}/wrk-report-{self._wrk_runs}.json"
        lua = f"{p.artefacts['load']}/services/wrk/report.lua"
        url = f"http://{p.hosts.service.address}:{port}{path}"
        argv = wrk_command("wrk", Path(lua), url, connections, duration_s, self.plan.wrk_threads)
        env = {"WRK_REPORT_FILE": report}
        ticks = p.agents["load"].busy(p.load_cpus)  # the load side's cores: wrk and, on traced runs, the receiver
        proc = RemoteProcess(
            self.registry, p.hosts.load, argv, env=env, cpus=p.load_cpus, log=f"{p.logs('load')}/wrk.log"
        )
        samplings: list[RemoteSampling] = []
        try:
            if sample:
                receiver = [self.receiver.proc.pid] if self.receiver else []
                samplings.append(RemoteSampling(p.agents["service"], server_pid, []).start())
                samplings.append(RemoteSampling(p.agents["load"], proc.pid, receiver).start())
            # wrk stops itself after `duration_s`; the bound only guards against a hung wrk.
            code = wait_exit(proc, duration_s + 30)
            for s in samplings:
                s.stop()
        finally:
            self.registry.stop(proc)
        if code != 0:
            # a service that died first is the cause (wrk cannot connect to it): say that
            if self.running is not None and self.running.port == port and self.running.proc.poll() is not None:
                raise self.crashed(self.running)
            raise BenchError(f"wrk exited with code {code} against port {port}")
        local = self.log_dir / "wrk-report.json"
        local.write_text(p.agents["load"].read(report))
        sampler: Sampler | None = None
        if samplings:
            sampler = AcrossHosts(server_pid, list, samples=samplings[0].samples, load_samples=samplings[1].samples)
        return local, sampler, proc.pid, procfs.busy_pct(ticks, p.agents["load"].busy(p.load_cpus))
