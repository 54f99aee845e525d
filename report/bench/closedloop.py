"""The closed-loop measurements: startup time, idle memory, and the interleaved wrk load matrix."""

from __future__ import annotations

import statistics
import time

from report.bench import procfs
from report.bench.errors import BenchError
from report.bench.plan import VARIANTS_RUN
from report.bench.results import DELIVERED_MIN_PCT, ThroughputRow
from report.bench.service import Running, get
from report.bench.session import EXPECTED_BODY, Session
from report.bench.wording import sentence

QUEUE_GROWTH = 4
QUEUE_MAX = 131072


class ClosedLoop(Session):
    """Startup runs and the load matrix, measured with the session's services and wrk."""

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
        status, body = get(running.port, "/json", host=running.host)
        if status != 200 or body.replace(b" ", b"") != EXPECTED_BODY:
            raise BenchError(
                f"{running.stack} ({running.variant}): GET /json returned {status} {body[:80]!r}, "
                f"expected 200 {EXPECTED_BODY.decode()}"
            )
        time.sleep(self.plan.idle_settle_s)
        readings = []
        for _ in range(5):
            readings.append(self._tree_memory(running.proc.pid))
            time.sleep(0.05)
        return procfs.Memory(
            statistics.median(r.rss_mb for r in readings), statistics.median(r.pss_mb for r in readings)
        )

    def _measure_level(self, running: Running, conc: int, rnd: int) -> tuple[Running, ThroughputRow]:
        """Warm-up and one measured run; a traced run under 99 % delivery is re-run with a larger queue."""
        p = self.plan
        label = f"round {rnd}/{p.rounds}: {running.stack} ({running.variant}) c={conc}"
        while True:
            if p.warmup_s:
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
                sentence(
                    "queue_rerun_line",
                    stack=running.stack,
                    concurrency=conc,
                    round=rnd,
                    delivered_pct=row.delivered_pct,
                    queue=queue,
                    bigger=bigger,
                )
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
