"""What one harness run is asked to do: the method parameters and which cores the server and the load side get."""

from __future__ import annotations

import os
from dataclasses import dataclass

from report.bench.ladderplan import FULL_LADDER, LadderPlan
from report.bench.stacks import BSP_DEFAULTS
from report.bench.wording import sentence

VARIANTS_RUN = ("baseline", "otel")  # the closed-loop matrix runs every stack untraced and traced


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
    # every traced variant's batch span processor delay; the span waits scale with it (session.settle_quiet_s)
    bsp_schedule_delay_ms: int = BSP_DEFAULTS["OTEL_BSP_SCHEDULE_DELAY"]
    # where PostgreSQL runs for /db: "load" (the load core), "server" (the service's core) or "split" (both, the
    # scheduler decides); "split" chosen from measurements in services/README.md; "host": the database host of a
    # --hosts run
    db_placement: str = "split"


@dataclass(frozen=True)
class Pinning:
    """Which cores the service and the load side (wrk, receiver, harness) run on."""

    server: set[int] | None
    load: set[int] | None
    hosts: tuple[str, str] | None = None  # with --hosts: the service host's and the load host's address

    def describe(self) -> str:
        """A sentence for environment.yaml."""
        if self.hosts is not None:
            return sentence(
                "pinning_hosts",
                server=_cores(self.server) if self.server else "none (all cores)",
                load=_cores(self.load) if self.load else "none (all cores)",
                service_host=self.hosts[0],
                load_host=self.hosts[1],
            )
        if self.server is None or self.load is None:
            return sentence("pinning_none")
        return sentence("pinning_cores", server=_cores(self.server), load=_cores(self.load))


DB_PLACEMENTS = ("load", "server", "split")


def db_cores(pinning: Pinning, placement: str) -> set[int] | None:
    """The cores PostgreSQL is pinned to for a placement (None: unpinned)."""
    if pinning.server is None or pinning.load is None:
        return None
    return {"load": pinning.load, "server": pinning.server}.get(placement, pinning.server | pinning.load)


def _cores(cpus: set[int]) -> str:
    return ",".join(str(c) for c in sorted(cpus))


def choose_pinning() -> Pinning:
    """Split the available cores: the first for the server, the rest for the load side."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return Pinning(None, None)
    return Pinning({cpus[0]}, set(cpus[1:]))
