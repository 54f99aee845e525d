"""The measurements: startup, idle memory, throughput/latency under wrk (baseline and OTel), span probes."""

from __future__ import annotations

import http.client
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from report.bench import phases, postgres, procfs
from report.bench.errors import BenchError
from report.bench.openloop import FULL_LADDER, LadderPlan, LadderRow
from report.bench.processes import ProcessRegistry
from report.bench.progress import Progress
from report.bench.sampler import Sample, Sampler, foreign_cpu
from report.bench.service import ReceiverClient, Running, get, start_service
from report.bench.stacks import Paths
from report.bench.wrk import read_report, wrk_command

# Probes only: export every 100 ms instead of every 5 s, so counting does not wait on the batch timer.
PROBE_ENV = {"OTEL_BSP_SCHEDULE_DELAY": "100"}
FLUSH_WAIT_S = 3.0
EXPECTED_BODY = b'{"message":"hello","ok":true,"items":[1,2,3]}'


@dataclass(frozen=True)
class Plan:
    """Method parameters of one run."""

    stacks: list[str]
    startup_runs: int  # including the discarded first run
    rounds: int
    concurrency: list[int]
    warmup_s: int
    duration_s: int
    idle_settle_s: float
    probe_requests: int
    burst_s: int
    contention_pct: float  # foreign CPU above this share of the machine marks a run contended
    max_retries: int
    quiet_wait_s: float  # how long a retry may wait for the machine to calm down
    retry_budget: int  # retries allowed in the whole run
    wrk_threads: int
    ladder: LadderPlan = FULL_LADDER  # open-loop latency (report/bench/openloop.py)
    db_concurrency: tuple[int, ...] = (50,)  # wrk connections on /db
    db: bool = True  # measure the /db endpoint against a throwaway PostgreSQL cluster


@dataclass(frozen=True)
class Pinning:
    """Which cores the service and the load side (wrk, receiver, harness) run on."""

    server: set[int] | None
    load: set[int] | None

    def describe(self) -> str:
        """A sentence for environment.yaml."""
        if self.server is None or self.load is None:
            return "not pinned: fewer than 2 cores available, server and wrk share all cores"
        return (
            f"server pinned to core {_cores(self.server)}; wrk, loadgen, PostgreSQL, span receiver and harness "
            f"pinned to core {_cores(self.load)} (os.sched_setaffinity)"
        )


def _cores(cpus: set[int]) -> str:
    return ",".join(str(c) for c in sorted(cpus))


def choose_pinning() -> Pinning:
    """Split the available cores: the first for the server, the rest for the load side."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return Pinning(None, None)
    return Pinning({cpus[0]}, set(cpus[1:]))


@dataclass
class ThroughputRow:
    """One measured wrk run."""

    stack: str
    variant: str
    concurrency: int
    run: int
    requests_per_sec: float
    latency_p50_ms: float
    latency_p90_ms: float
    latency_p99_ms: float
    errors: int
    foreign_cpu_pct: float
    steal_pct: float
    attempts: int
    contended: bool
    endpoint: str = "json"


@dataclass
class Results:
    """Everything measured in one run."""

    startup: list[tuple[str, int, float]] = field(default_factory=list)  # stack, run, ms
    memory: list[tuple[str, str, int, float]] = field(default_factory=list)  # stack, phase, run, rss_mb
    throughput: list[ThroughputRow] = field(default_factory=list)
    extra_memory: list[tuple[str, str, str, int, float]] = field(default_factory=list)  # stack, variant, what, run, MB
    spans: dict[str, dict[str, float]] = field(default_factory=dict)  # stack -> probe figures
    latency: list[LadderRow] = field(default_factory=list)  # open-loop ladder runs
    ladder_retries: int = 0  # ladder points measured again because the load core was contended
    retries: int = 0
    contended_runs: int = 0


class Bench:
    """Runs the plan; every process it starts belongs to `registry`."""

    def __init__(
        self,
        paths: Paths,
        plan: Plan,
        registry: ProcessRegistry,
        pinning: Pinning,
        progress: Progress,
        log_dir: Path,
    ) -> None:
        self.paths = paths
        self.plan = plan
        self.registry = registry
        self.pinning = pinning
        self.progress = progress
        self.log_dir = log_dir
        self.results = Results()
        self.receiver: ReceiverClient | None = None
        self._load_samples: list[Sample] = []
        self.on_checkpoint: Callable[[str], None] | None = None  # e.g. the calibration probe, between blocks

    def checkpoint(self, at: str) -> None:
        """A point between measurement blocks, where the harness may time its calibration workload."""
        if self.on_checkpoint is not None:
            self.on_checkpoint(at)

    # --- planning --------------------------------------------------------------------------------

    def planned_seconds(self) -> float:
        """The time budget the progress display counts down."""
        p = self.plan
        n = len(p.stacks)
        startup = n * p.startup_runs * 0.5
        servers = n * len(VARIANTS_RUN) * p.rounds
        load = servers * (len(p.concurrency) * (p.warmup_s + p.duration_s) + p.idle_settle_s + 1)
        probes = n * (3 + p.burst_s + 4)
        endpoints = 2 if p.db else 1
        variants = len(p.ladder.variants)
        db = (3 + n * variants * p.rounds * (1 + len(p.db_concurrency) * (p.warmup_s + p.duration_s))) * p.db
        return startup + load + probes + db + p.ladder.seconds(n * variants * endpoints)

    # --- helpers ---------------------------------------------------------------------------------

    def _start(self, stack: str, variant: str, env_extra: dict[str, str] | None = None) -> Running:
        return start_service(
            self.registry,
            self.paths,
            stack,
            variant,
            receiver_port=self.receiver.port if self.receiver else None,
            cpus=self.pinning.server,
            log=self.log_dir / f"{stack}-{variant}.log",
            env_extra=env_extra,
        )

    def _wrk(
        self, port: int, connections: int, duration_s: int, server_pid: int, sample: bool, path: str = "/json"
    ) -> tuple[Path, Sampler | None, int]:
        report = self.log_dir / "wrk-report.json"
        report.unlink(missing_ok=True)
        argv = wrk_command(
            "wrk",
            self.paths.lua,
            f"http://127.0.0.1:{port}{path}",
            connections,
            duration_s,
            self.plan.wrk_threads,
        )
        env = dict(os.environ)
        env["WRK_REPORT_FILE"] = str(report)
        proc = self.registry.start(argv, env=env, cpus=self.pinning.load)
        sampler: Sampler | None = None
        if sample:
            receiver_pid = self.receiver.proc.pid if self.receiver else None
            sampler = Sampler(server_pid, lambda: [p for p in (proc.pid, receiver_pid, os.getpid()) if p])
            sampler.start()
        try:
            # wrk stops itself after `duration_s`; the bound only guards against a hung wrk.
            code = proc.wait(timeout=duration_s + 30)
        except Exception:
            if sampler:
                sampler.stop()
            raise
        finally:
            self.registry.stop(proc)
        if sampler:
            sampler.stop()
        if code != 0:
            raise BenchError(f"wrk exited with code {code} against port {port}")
        return report, sampler, proc.pid

    # --- startup ---------------------------------------------------------------------------------

    def measure_startup(self) -> None:
        """Exec → first 200 on /health, first run discarded, order rotated each run."""
        stacks = self.plan.stacks
        for i in range(self.plan.startup_runs):
            order = stacks[i % len(stacks) :] + stacks[: i % len(stacks)]
            for stack in order:
                self.progress.step(
                    f"startup {stack}: run {i + 1}/{self.plan.startup_runs}"
                    + (" (discarded warm-up)" if i == 0 else ""),
                    0.5,
                )
                running = self._start(stack, "baseline")
                self.registry.stop(running.proc)
                if i > 0:
                    self.results.startup.append((stack, i, round(running.startup_ms, 3)))

    # --- load ------------------------------------------------------------------------------------

    def _idle_memory(self, running: Running) -> procfs.Memory:
        # "Idle after the first request": one real request, then let the runtime settle.
        status, body = get(running.port, "/json")
        if status != 200 or body.replace(b" ", b"") != EXPECTED_BODY:
            raise BenchError(
                f"{running.stack} ({running.variant}): GET /json returned {status} {body[:80]!r}, "
                f"expected 200 {EXPECTED_BODY.decode()}"
            )
        time.sleep(self.plan.idle_settle_s)
        readings = []
        for _ in range(5):
            readings.append(procfs.tree_memory(running.proc.pid))
            time.sleep(0.05)
        return procfs.Memory(
            statistics.median(r.rss_mb for r in readings), statistics.median(r.pss_mb for r in readings)
        )

    def _wait_for_quiet(self, running: Running) -> None:
        """Before a retry, wait (bounded) until other work on the machine drops below the contention limit."""
        p = self.plan
        receiver_pid = self.receiver.proc.pid if self.receiver else None
        probe = Sampler(running.proc.pid, lambda: [q for q in (receiver_pid, os.getpid()) if q])
        deadline = time.monotonic() + p.quiet_wait_s
        first = probe.take()
        while time.monotonic() < deadline:
            time.sleep(1.0)
            last = probe.take()
            foreign = foreign_cpu(first, last).foreign_pct
            if foreign <= p.contention_pct:
                return
            first = last
        self.progress.note(f"  machine still busy after {p.quiet_wait_s:.0f} s; measuring anyway")

    def _one_load_run(self, running: Running, conc: int, rnd: int, path: str = "/json") -> ThroughputRow:
        p = self.plan
        attempts = 0
        while True:
            attempts += 1
            if attempts > 1:
                self._wait_for_quiet(running)
            report, sampler, wrk_pid = self._wrk(
                running.port, conc, p.duration_s, running.proc.pid, sample=True, path=path
            )
            assert sampler is not None
            self._load_samples.extend(sampler.samples)
            verdict = sampler.verdict(wrk_pid)
            res = read_report(report)
            contended = verdict.foreign_pct > p.contention_pct
            # A run-wide retry budget keeps a busy machine from stretching the run without bound.
            if contended and attempts <= p.max_retries and self.results.retries < p.retry_budget:
                self.results.retries += 1
                self.progress.note(
                    f"  contended: {verdict.foreign_pct:.1f}% foreign CPU during {running.stack} "
                    f"({running.variant}) c={conc}; retrying ({attempts}/{p.max_retries})"
                )
                continue
            if contended:
                self.results.contended_runs += 1
            if running.proc.poll() is not None:
                raise BenchError(
                    f"{running.stack} ({running.variant}) crashed under load "
                    f"(exit {running.proc.returncode}); see {self.log_dir}"
                )
            return ThroughputRow(
                running.stack,
                running.variant,
                conc,
                rnd,
                round(res.requests_per_sec, 1),
                round(res.latency_p50_ms, 3),
                round(res.latency_p90_ms, 3),
                round(res.latency_p99_ms, 3),
                res.errors,
                round(verdict.foreign_pct, 2),
                round(verdict.steal_pct, 2),
                attempts,
                contended,
            )

    def measure_load(self) -> None:
        """Interleaved rounds: a fresh server per stack and round, every concurrency, warm-up discarded."""
        p = self.plan
        for rnd in range(1, p.rounds + 1):
            for v_index, variant in enumerate(VARIANTS_RUN):
                k = (rnd - 1 + v_index) % len(p.stacks)
                for stack in p.stacks[k:] + p.stacks[:k]:
                    self.progress.step(
                        f"round {rnd}/{p.rounds}: {stack} ({variant}) start + idle memory",
                        p.idle_settle_s + 1,
                    )
                    running = self._start(stack, variant)
                    try:
                        idle = self._idle_memory(running)
                        self._load_samples = []
                        for conc in p.concurrency:
                            self.progress.step(
                                f"round {rnd}/{p.rounds}: {stack} ({variant}) c={conc} warm-up", p.warmup_s
                            )
                            self._wrk(running.port, conc, p.warmup_s, running.proc.pid, sample=False)
                            self.progress.step(
                                f"round {rnd}/{p.rounds}: {stack} ({variant}) c={conc} measuring {p.duration_s}s",
                                p.duration_s,
                            )
                            self.results.throughput.append(self._one_load_run(running, conc, rnd))
                        peak = max((s.rss_mb for s in self._load_samples), default=0.0)
                        median = (
                            statistics.median([s.rss_mb for s in self._load_samples]) if self._load_samples else 0.0
                        )
                    finally:
                        self.registry.stop(running.proc)
                    if variant == "baseline":
                        self.results.memory.append((stack, "idle", rnd, round(idle.rss_mb, 1)))
                        self.results.memory.append((stack, "load", rnd, round(peak, 1)))
                    for what, val in (
                        ("rss_idle", idle.rss_mb),
                        ("pss_idle", idle.pss_mb),
                        ("rss_load_peak", peak),
                        ("rss_load_median", median),
                    ):
                        self.results.extra_memory.append((stack, variant, what, rnd, val))
            self.checkpoint(f"after load round {rnd}")

    # --- span probes -----------------------------------------------------------------------------

    def probe_spans(self) -> None:
        """Spans per request (sequential requests, every span inspected) and delivery under a wrk burst."""
        assert self.receiver is not None
        p = self.plan
        for stack in p.stacks:
            figures: dict[str, float] = {}
            modes = [("auto", {"BENCH_OTEL_MANUAL": "0"}), ("full", {})] if stack == "bun" else [("full", {})]
            for mode, env in modes:
                self.progress.step(f"span probe: {stack} ({mode}), {p.probe_requests} requests", 3)
                self.receiver.reset()
                self.receiver.mode("detail")
                running = self._start(stack, "otel", env_extra={**PROBE_ENV, **env})
                # The health check that saw the service start was traced too.
                sent = p.probe_requests + 1
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
                    for _ in range(p.probe_requests):
                        status, _ = get(running.port, "/json", conn)
                        if status != 200:
                            raise BenchError(f"{stack} (otel): GET /json returned {status}")
                    conn.close()
                    got = self.receiver.wait_for(stack, sent, FLUSH_WAIT_S)
                finally:
                    self.registry.stop(running.proc)
                if got["spans"] < sent:
                    # Exporters that ignore OTEL_BSP_SCHEDULE_DELAY (Go's) flush on SIGTERM instead.
                    got = self.receiver.wait_for(stack, sent, FLUSH_WAIT_S)
                prefix = "otel_auto" if mode == "auto" else "otel"
                figures[f"{prefix}_spans_per_req"] = got["spans"] / sent
                figures[f"{prefix}_server_spans_per_req"] = got["server_spans"] / sent
                if mode == "full":
                    figures["otel_server_span_has_route"] = (
                        got["server_spans_with_route"] / got["server_spans"] if got["server_spans"] else 0.0
                    )
                    figures["otel_bad_payloads"] = got["bad_payloads"]
            if stack != "bun":
                # Without hand-written spans: Go has no otelhttp here; FastAPI's instrumentation is automatic.
                auto = 0.0 if stack == "go" else figures["otel_server_spans_per_req"]
                figures["otel_auto_server_spans_per_req"] = auto
            figures.update(self._burst(stack, figures["otel_spans_per_req"]))
            self.results.spans[stack] = figures

    def _burst(self, stack: str, spans_per_req: float) -> dict[str, float]:
        assert self.receiver is not None
        p = self.plan
        conc = max(p.concurrency)
        self.progress.step(f"span probe: {stack} under load ({p.burst_s}s at c={conc})", p.burst_s + 4)
        self.receiver.reset()
        # Store now, count later: the receiver must not be the reason spans are dropped.
        self.receiver.mode("store")
        running = self._start(stack, "otel", env_extra=PROBE_ENV)
        try:
            report, _, _ = self._wrk(running.port, conc, p.burst_s, running.proc.pid, sample=False)
            res = read_report(report)
            expected = (res.requests + 1) * spans_per_req
            got = self.receiver.wait_for(stack, expected, FLUSH_WAIT_S)
        finally:
            self.registry.stop(running.proc)
        if got["spans"] < expected:
            got = self.receiver.wait_for(stack, expected, FLUSH_WAIT_S)
        self.receiver.mode("discard")
        pct = 100.0 * got["spans"] / expected if expected else 0.0
        return {"otel_spans_delivered_pct": min(pct, 100.0)}

    # --- all -------------------------------------------------------------------------------------

    def run(self) -> Results:
        """Startup, then the load matrix, then the span probes."""
        self.receiver = ReceiverClient(self.registry, self.pinning.load)
        # Under load the receiver only accepts exports, so its CPU use stays small.
        self.receiver.mode("discard")
        self.checkpoint("before startup")
        self.measure_startup()
        self.checkpoint("after startup")
        self.measure_load()
        phases.ladders(self, "json", {})
        if self.plan.db:
            # PostgreSQL shares the load core: the server's core then measures the service alone
            with postgres.cluster(self.registry, self.paths.work, self.log_dir, self.pinning.load) as db:
                phases.db_peak(self, db)
                phases.ladders(self, "db", phases.db_env(db))
        self.probe_spans()
        self.checkpoint("after the span probes")
        return self.results


VARIANTS_RUN = ("baseline", "otel")
