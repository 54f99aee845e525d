"""The measurements in order: span probes, startup, the closed-loop load matrix, the open-loop ladders, /db."""

from __future__ import annotations

from report.bench import phases
from report.bench.closedloop import ClosedLoop
from report.bench.plan import VARIANTS_RUN, db_cores
from report.bench.probes import SpanProbes, probe_seconds
from report.bench.results import Results
from report.bench.session import settle_quiet_s
from report.bench.stacks import BSP_DEFAULTS, BUN_CANDIDATES, FASTAPI_CANDIDATES


class Bench(ClosedLoop, SpanProbes):
    """Runs the plan; every process it starts belongs to `registry`."""

    def planned_seconds(self) -> float:
        """The time budget the progress display counts down."""
        p = self.plan
        n = len(p.stacks)
        startup = n * p.startup_runs * 0.5
        servers = n * len(VARIANTS_RUN) * p.rounds
        settle = n * p.rounds * len(p.concurrency) * 2 * settle_quiet_s(p)
        load = servers * (len(p.concurrency) * (p.warmup_s + p.duration_s) + p.idle_settle_s + 1) + settle
        probes = self.planned_trace_seconds()
        endpoints = 2 if p.db else 1
        variants = len(p.ladder.variants)
        db = (3 + n * variants * p.rounds * (1 + len(p.db_concurrency) * (p.warmup_s + p.duration_s))) * p.db
        return startup + load + probes + db + p.ladder.seconds(n * variants * endpoints)

    def planned_after(self, endpoint: str) -> float | None:
        """What the knees of `endpoint` must leave of the run's plan when they may spend its slack (0: nothing is
        planned after them), or None when they keep to their own pool. Only the last ladder's knees take the slack
        (/db's, or /json's in a run without /db): whatever the earlier phases, /json's knees included, left unspent
        reaches them, and the traced /db series are the slowest to narrow (the 7 December 12:41 run's three wide
        knees). The run still ends within its planned total."""
        return 0.0 if endpoint == ("db" if self.plan.db else "json") else None

    def planned_trace_seconds(self) -> float:
        """The time budget of the span probes alone (--traces-only)."""
        p = self.plan
        n = len(p.stacks)
        extra = len(BUN_CANDIDATES) * ("bun" in p.stacks) + len(FASTAPI_CANDIDATES) * ("fastapi" in p.stacks)
        return (n + extra - ("bun" in p.stacks) - ("fastapi" in p.stacks) + (n if p.db else 0)) * probe_seconds(p)

    def run_traces(self) -> Results:
        """Only the span probes, on /json and (with PostgreSQL) /db: what traces.json is made from."""
        self.receiver = self._new_receiver()
        self.probe_spans()
        if self.plan.db:
            with self._database(self.pinning.load) as db:
                self.probe_db_spans(phases.db_env(db))
        return self.results

    def run(self) -> Results:
        """The span probes, then startup, then the load matrix."""
        self.receiver = self._new_receiver()
        # Spans per request first: the load runs need it to know how many spans to expect.
        self.probe_spans()
        # Under load the receiver only counts spans (protobuf decode, no per-span inspection).
        self.receiver.mode("count")
        self.checkpoint("before startup")
        self.measure_startup()
        self.checkpoint("after startup")
        self.measure_load()
        phases.ladders(self, "json", {}, self.planned_after("json"))
        if self.plan.db:
            # PostgreSQL where the plan places it (services/README.md: by default unpinned over both cores, the only
            # placement measured that kept the load generator on schedule on /db)
            cores = db_cores(self.pinning, self.plan.db_placement)
            with self._database(cores) as db:
                self.probe_db_spans(phases.db_env(db))
                phases.db_peak(self, db)
                phases.ladders(self, "db", phases.db_env(db), self.planned_after("db"))
        self.checkpoint("after the database phases")
        self.results.queue_size = {
            s: self.results.queue_size.get(s, BSP_DEFAULTS["OTEL_BSP_MAX_QUEUE_SIZE"]) for s in self.plan.stacks
        }
        return self.results
