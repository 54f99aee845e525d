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
from report.bench.stacks import BSP_DEFAULTS, BUN_CANDIDATES, BUN_CHOICE, Paths
from report.bench.wrk import read_report, wrk_command

FLUSH_WAIT_S = 3.0
DELIVERED_MIN_PCT = 99.0  # a traced run delivering less is re-run with a larger queue, and not used for costs
QUEUE_GROWTH = 4
QUEUE_MAX = 131072
# After a run, wait this long without a new export before reading the receiver's count: the exporters send
# at least once per schedule delay while spans are queued.
SETTLE_QUIET_S = BSP_DEFAULTS["OTEL_BSP_SCHEDULE_DELAY"] / 1000 + 0.4
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
            f"server pinned to core {_cores(self.server)}; wrk, oha, PostgreSQL, span receiver and harness "
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
    delivered_pct: float | None = None  # traced runs: spans received ÷ spans expected
    queue_size: int | None = None  # traced runs: the batch span processor's queue size
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
    queue_reruns: list[str] = field(default_factory=list)  # one line per re-run with a larger queue
    under_delivered: list[ThroughputRow] = field(default_factory=list)  # traced runs replaced by a re-run
    queue_size: dict[str, int] = field(default_factory=dict)  # stack -> queue size it ended with


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
        settle = n * p.rounds * len(p.concurrency) * 2 * SETTLE_QUIET_S
        load = servers * (len(p.concurrency) * (p.warmup_s + p.duration_s) + p.idle_settle_s + 1) + settle
        probes = (n + len(BUN_CANDIDATES) - 1) * 4 + (n * 4 if p.db else 0)
        endpoints = 2 if p.db else 1
        variants = len(p.ladder.variants)
        db = (3 + n * variants * p.rounds * (1 + len(p.db_concurrency) * (p.warmup_s + p.duration_s))) * p.db
        return startup + load + probes + db + p.ladder.seconds(n * variants * endpoints)

    # --- helpers ---------------------------------------------------------------------------------

    def _bsp(self, stack: str) -> dict[str, int]:
        return {
            **BSP_DEFAULTS,
            "OTEL_BSP_MAX_QUEUE_SIZE": self.results.queue_size.get(stack, BSP_DEFAULTS["OTEL_BSP_MAX_QUEUE_SIZE"]),
        }

    def _start(
        self, stack: str, variant: str, env_extra: dict[str, str] | None = None, candidate: str | None = None
    ) -> Running:
        return start_service(
            self.registry,
            self.paths,
            stack,
            variant,
            receiver_port=self.receiver.port if self.receiver else None,
            cpus=self.pinning.server,
            log=self.log_dir / f"{stack}-{variant}{'-' + candidate if candidate else ''}.log",
            env_extra=env_extra,
            bsp=self._bsp(stack),
            candidate=candidate,
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
            before = self._settled_spans(running) if running.variant == "otel" else 0
            report, sampler, wrk_pid = self._wrk(
                running.port, conc, p.duration_s, running.proc.pid, sample=True, path=path
            )
            assert sampler is not None
            self._load_samples.extend(sampler.samples)
            verdict = sampler.verdict(wrk_pid)
            res = read_report(report)
            delivered: float | None = None
            if running.variant == "otel":
                expected = res.requests * self._spans_per_req(running.stack, path)
                got = self._settled_spans(running, before + expected) - before
                delivered = min(100.0, 100.0 * got / expected) if expected else 0.0
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
                None if delivered is None else round(delivered, 2),
                self._bsp(running.stack)["OTEL_BSP_MAX_QUEUE_SIZE"] if running.variant == "otel" else None,
            )

    def _spans_per_req(self, stack: str, path: str = "/json") -> float:
        key = "otel_db_spans_per_req" if path == "/db" else "otel_spans_per_req"
        return self.results.spans.get(stack, {}).get(key, 1.0) or 1.0

    def _settled_spans(self, running: Running, at_least: float = 0.0) -> int:
        """The receiver's span count for the stack once its exporter has gone quiet (bounded wait)."""
        assert self.receiver is not None
        timeout = SETTLE_QUIET_S + FLUSH_WAIT_S
        return self.receiver.wait_for(running.stack, at_least, timeout, quiet_s=SETTLE_QUIET_S)["spans"]

    def _measure_level(self, running: Running, conc: int, rnd: int) -> tuple[Running, ThroughputRow]:
        """Warm-up and one measured run; a traced run under 99 % delivery is re-run with a larger queue."""
        p = self.plan
        label = f"round {rnd}/{p.rounds}: {running.stack} ({running.variant}) c={conc}"
        while True:
            self.progress.step(f"{label} warm-up", p.warmup_s)
            self._wrk(running.port, conc, p.warmup_s, running.proc.pid, sample=False)
            self.progress.step(f"{label} measuring {p.duration_s}s", p.duration_s)
            row = self._one_load_run(running, conc, rnd)
            queue = row.queue_size or 0
            if row.delivered_pct is None or row.delivered_pct >= DELIVERED_MIN_PCT or queue >= QUEUE_MAX:
                return running, row
            bigger = min(queue * QUEUE_GROWTH, QUEUE_MAX)
            self.results.under_delivered.append(row)
            self.results.queue_reruns.append(
                f"{running.stack} c={conc} round {rnd}: {row.delivered_pct:.1f}% of spans delivered with "
                f"queue {queue}; re-run with queue {bigger}"
            )
            self.progress.note(f"  {self.results.queue_reruns[-1]}")
            self.results.queue_size[running.stack] = bigger
            self.registry.stop(running.proc)
            running = self._start(running.stack, running.variant)

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
                            running, row = self._measure_level(running, conc, rnd)
                            self.results.throughput.append(row)
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

    def _probe(
        self, stack: str, candidate: str | None, path: str = "/json", env: dict[str, str] | None = None
    ) -> dict[str, float]:
        """Sequential GETs of `path` against one traced service with every exported span inspected."""
        assert self.receiver is not None
        p = self.plan
        self.progress.step(f"span probe: {stack} {candidate or ''} ({p.probe_requests} requests)", 4)
        self.receiver.reset()
        self.receiver.mode("detail")
        running = self._start(stack, "otel", env_extra=env, candidate=candidate)
        # The health check that saw the service start was traced too.
        sent = p.probe_requests + 1
        try:
            conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
            for _ in range(p.probe_requests):
                status, body = get(running.port, path, conn)
                if status != 200 or (path == "/json" and body.replace(b" ", b"") != EXPECTED_BODY):
                    raise BenchError(f"{stack} {candidate or ''} (otel): GET {path} returned {status} {body[:80]!r}")
            conn.close()
            got = self.receiver.wait_for(stack, sent, FLUSH_WAIT_S)
        finally:
            self.registry.stop(running.proc)
        if got["spans"] < sent:
            got = self.receiver.wait_for(stack, sent, FLUSH_WAIT_S)  # flushed on SIGTERM
        names = self.receiver.server_span_names(stack)
        server = got["server_spans"]
        named = names.get("GET /json", 0) + names.get("GET /health", 0)
        return {
            "spans_per_req": got["spans"] / sent,
            "server_spans_per_req": server / sent,
            "has_route": got["server_spans_with_route"] / server if server else 0.0,
            "named_route": named / server if server else 0.0,
            "bad_payloads": got["bad_payloads"],
        }

    def probe_spans(self) -> None:
        """Spans per request, server spans, span names and http.route for every traced variant and candidate."""
        for stack in self.plan.stacks:
            f = self._probe(stack, None)
            self.results.spans[stack] = {
                "otel_spans_per_req": f["spans_per_req"],
                "otel_server_spans_per_req": f["server_spans_per_req"],
                # Every variant's server span now comes from its instrumentation library, not hand-written code.
                "otel_auto_server_spans_per_req": f["server_spans_per_req"],
                "otel_server_span_has_route": f["has_route"],
                "otel_server_span_named_route": f["named_route"],
                "otel_bad_payloads": f["bad_payloads"],
            }
            if stack != "bun":
                continue
            for candidate in BUN_CANDIDATES:
                c = f if candidate == BUN_CHOICE else self._probe(stack, candidate)
                self.results.spans[stack].update(
                    {
                        f"bun_{candidate}_spans_per_req": c["spans_per_req"],
                        f"bun_{candidate}_server_spans": c["server_spans_per_req"],
                        f"bun_{candidate}_named_route": c["named_route"],
                        f"bun_{candidate}_has_route": c["has_route"],
                    }
                )

    def probe_db_spans(self, env: dict[str, str]) -> None:
        """Spans per GET /db (server span plus each stack's database spans), so /db runs know what to expect."""
        assert self.receiver is not None
        for stack in self.plan.stacks:
            f = self._probe(stack, None, "/db", env)
            # The traced health check is counted like a GET /json; the rest are the probe's /db requests.
            health = self._spans_per_req(stack)
            per_req = (f["spans_per_req"] * (self.plan.probe_requests + 1) - health) / self.plan.probe_requests
            self.results.spans.setdefault(stack, {})["otel_db_spans_per_req"] = per_req
        self.receiver.mode("count")

    # --- all -------------------------------------------------------------------------------------

    def run(self) -> Results:
        """The span probes, then startup, then the load matrix."""
        self.receiver = ReceiverClient(self.registry, self.pinning.load)
        # Spans per request first: the load runs need it to know how many spans to expect.
        self.probe_spans()
        # Under load the receiver only counts spans (protobuf decode, no per-span inspection).
        self.receiver.mode("count")
        self.checkpoint("before startup")
        self.measure_startup()
        self.checkpoint("after startup")
        self.measure_load()
        phases.ladders(self, "json", {})
        if self.plan.db:
            # PostgreSQL shares the load core: the server's core then measures the service alone
            with postgres.cluster(self.registry, self.paths.work, self.log_dir, self.pinning.load) as db:
                self.probe_db_spans(phases.db_env(db))
                phases.db_peak(self, db)
                phases.ladders(self, "db", phases.db_env(db))
        self.checkpoint("after the database phases")
        self.results.queue_size = {
            s: self.results.queue_size.get(s, BSP_DEFAULTS["OTEL_BSP_MAX_QUEUE_SIZE"]) for s in self.plan.stacks
        }
        return self.results


VARIANTS_RUN = ("baseline", "otel")
