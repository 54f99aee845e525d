"""The harness's live state and the steps every measurement is made of: start a service, run wrk, one measured
load run (retried when the machine is contended) and the span receiver's count after it."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from report.bench import postgres, procfs
from report.bench.errors import BenchError
from report.bench.oha import oha_binary
from report.bench.openloop import LadderRunner
from report.bench.plan import Pinning, Plan
from report.bench.postgres import Database
from report.bench.processes import ProcessRegistry
from report.bench.progress import Progress
from report.bench.results import Results, ThroughputRow
from report.bench.sampler import Sample, Sampler, foreign_cpu
from report.bench.service import ReceiverClient, Running, start_service
from report.bench.stacks import BSP_DEFAULTS, Paths
from report.bench.wrk import read_report, wrk_command

FLUSH_WAIT_S = 3.0
# After a run, wait this long beyond one schedule delay without a new export before reading the receiver's count:
# the exporters send at least once per schedule delay while spans are queued.
SETTLE_MARGIN_S = 0.4


def settle_quiet_s(plan: Plan) -> float:
    """How long the receiver must have been quiet before its span count is read (1.4 s with the default delay)."""
    return plan.bsp_schedule_delay_ms / 1000 + SETTLE_MARGIN_S


EXPECTED_BODY = b'{"message":"hello","ok":true,"items":[1,2,3]}'


class Session:
    """One harness run's state; every process it starts belongs to `registry`."""

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

    # --- where things run: this machine here; report/bench/acrosshosts.py puts them on separate hosts -----------

    def _new_receiver(self) -> ReceiverClient:
        """The span receiver, started."""
        return ReceiverClient(self.registry, self.pinning.load)

    def _database(self, cores: set[int] | None) -> contextlib.AbstractContextManager[Database]:
        """A seeded throwaway PostgreSQL for the block."""
        return postgres.cluster(self.registry, self.paths.work, self.log_dir, cores)

    def _tree_memory(self, pid: int) -> procfs.Memory:
        """RSS and PSS of a service's process tree."""
        return procfs.tree_memory(pid)

    def _ladder_runner(self, check: Callable[[Running], None]) -> LadderRunner:
        """The open-loop ladder's runner, starting services like every other phase."""
        return LadderRunner(
            self.registry,
            oha_binary(self.paths.work),
            self.plan.ladder,
            self.progress,
            self.pinning.load,
            start=lambda stack, variant, extra: self._start(stack, variant, env_extra=extra),
            check=check,
        )

    def _quiet_probe(self, running: Running) -> Callable[[], Sample]:
        """One reading of the machine's CPU and ours, for the wait before a retry."""
        receiver_pid = self.receiver.proc.pid if self.receiver else None
        return Sampler(running.proc.pid, lambda: [q for q in (receiver_pid, os.getpid()) if q]).take

    def crashed(self, running: Running) -> BenchError:
        """The one line for a service that ended under load."""
        return BenchError(
            f"{running.stack} ({running.variant}) crashed under load "
            f"(exit {running.proc.returncode}); see {self.logs_hint()}"
        )

    def logs_hint(self) -> str:
        """Where the services' logs are, for a message."""
        return str(self.log_dir)

    def checkpoint(self, at: str) -> None:
        """A point between measurement blocks, where the harness may time its calibration workload."""
        if self.on_checkpoint is not None:
            self.on_checkpoint(at)

    # --- helpers ---------------------------------------------------------------------------------

    def _bsp(self, stack: str) -> dict[str, int]:
        return {
            **BSP_DEFAULTS,
            "OTEL_BSP_SCHEDULE_DELAY": self.plan.bsp_schedule_delay_ms,
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
    ) -> tuple[Path, Sampler | None, int, float]:
        """One wrk run; returns its report, the sampler (when sampling), wrk's pid and the load core(s)' busy %."""
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
        ticks = procfs.core_ticks(self.pinning.load)
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
        return report, sampler, proc.pid, procfs.busy_pct(ticks, procfs.core_ticks(self.pinning.load))

    def _wait_for_quiet(self, running: Running) -> None:
        """Before a retry, wait (bounded) until other work on the machine drops below the contention limit."""
        p = self.plan
        take = self._quiet_probe(running)
        deadline = time.monotonic() + p.quiet_wait_s
        first = take()
        while time.monotonic() < deadline:
            time.sleep(1.0)
            last = take()
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
            report, sampler, wrk_pid, load_busy = self._wrk(
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
                raise self.crashed(running)
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
                generator_cpu_pct=round(sampler.cpu_pct(wrk_pid) / max(1, p.wrk_threads), 1),
                load_core_busy_pct=round(load_busy, 1),
            )

    def _spans_per_req(self, stack: str, path: str = "/json") -> float:
        key = "otel_db_spans_per_req" if path == "/db" else "otel_spans_per_req"
        return self.results.spans.get(stack, {}).get(key, 1.0) or 1.0

    def _settled_spans(self, running: Running, at_least: float = 0.0) -> int:
        """The receiver's span count for the stack once its exporter has gone quiet (bounded wait)."""
        assert self.receiver is not None
        quiet = settle_quiet_s(self.plan)
        return self.receiver.wait_for(running.stack, at_least, quiet + FLUSH_WAIT_S, quiet_s=quiet)["spans"]
