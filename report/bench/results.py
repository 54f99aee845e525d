"""What one harness run measured: the rows and counters the written files and the notes are made from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from report.bench.ladderplan import LadderRow

DELIVERED_MIN_PCT = 99.0
# wrk at or above this share of its cores is saturated: the peak it measured is the generator's ceiling, a bound
WRK_SATURATED_PCT = 90.0  # a traced run delivering less is re-run with a larger queue, and not used for costs


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
    generator_cpu_pct: float = 0.0  # wrk's CPU time as a share of one core per thread, sampled from /proc
    load_core_busy_pct: float = 0.0  # how busy the load core(s) were: wrk, the span receiver, PostgreSQL, harness


@dataclass
class Results:
    """Everything measured in one run."""

    startup: list[tuple[str, int, float]] = field(default_factory=list)  # stack, run, ms
    memory: list[tuple[str, str, int, float]] = field(default_factory=list)  # stack, phase, run, rss_mb
    throughput: list[ThroughputRow] = field(default_factory=list)
    extra_memory: list[tuple[str, str, str, int, float]] = field(default_factory=list)  # stack, variant, what, run, MB
    spans: dict[str, dict[str, float]] = field(default_factory=dict)  # stack -> probe figures
    traces: list[dict[str, Any]] = field(default_factory=list)  # one captured trace per stack, variant, endpoint
    latency: list[LadderRow] = field(default_factory=list)  # open-loop ladder runs
    ladder_retries: int = 0  # ladder points measured again because the load core was contended
    retries: int = 0
    contended_runs: int = 0
    queue_reruns: list[str] = field(default_factory=list)  # one line per re-run with a larger queue
    under_delivered: list[ThroughputRow] = field(default_factory=list)  # traced runs replaced by a re-run
    queue_size: dict[str, int] = field(default_factory=dict)  # stack -> queue size it ended with
