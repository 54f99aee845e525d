"""What the open-loop ladder and the /db phases add to the written files: latency.csv's columns, notes, evidence."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

from report.bench.oha import CONNECTIONS, TIMEOUT_S
from report.bench.phases import DB_POOL_SIZE, ladder_notes
from report.bench.postgres import ROWS

if TYPE_CHECKING:
    from report.bench.measure import Pinning, Plan, Results

# evidence.csv measures the /db phase adds (documented in services/README.md beside report/bench/evidence.py's)
DB_MEASURES: dict[str, tuple[str, str]] = {
    "db_rss_load_peak_mb": ("MiB", "peak RSS of the process tree under wrk load on /db (median over rounds)"),
    "otel_db_rss_load_peak_mb": ("MiB", "the same for the traced variant"),
}

LATENCY_COLUMNS = (
    "stack",
    "variant",
    "endpoint",
    "offered_rps",
    "run",
    "achieved_rps",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p99_ms",
    "latency_p999_ms",
    "errors",
    "load_limited",
)


def open_loop_notes(plan: Plan, res: Results, pinning: Pinning, tool: str = "oha") -> list[str]:
    """Method notes for the methodology page: the ladder, its cost on the load core, PostgreSQL."""
    lp = plan.ladder
    pct = ", ".join(f"{p:g}" for p in lp.ladder_pct)
    out = [
        " ".join(
            [
                f"Latency under load is measured open loop with {tool} ({CONNECTIONS} keep-alive",
                f"connections, one worker thread per load core, pinned to it) at a constant arrival rate of {pct}% of",
                "each stack's closed-loop (wrk) peak on that endpoint and",
                f"variant, lowest rate first, {lp.duration_s} s per rate after a {lp.warmup_s} s warm-up at half the",
                f"peak (discarded), {lp.runs} runs per rate, each run on a fresh server with the stacks'",
                "order rotated.",
            ]
        ),
        " ".join(
            [
                "oha's --latency-correction times each request from when it was due, also when it had to",
                "wait for a free connection, so a slow server cannot hide its queueing delay by slowing the load",
                "down (coordinated omission corrected); percentiles are over every answered request of a run;",
                f"a non-2xx answer, a failed connection or a request taking over {TIMEOUT_S} s counts as an error.",
                "Achieved rate: 2xx responses divided by oha's measured run time (to the last response).",
            ]
        ),
        " ".join(
            [
                "Sustainable throughput is the highest offered rate a stack sustains together with every lower",
                "rate: median p99 at or under the endpoint's SLO, at least 95% of the offered requests completed",
                "and no errors. The closed-loop throughput and latency figures elsewhere remain subject to",
                "coordinated omission.",
            ]
        ),
    ]
    cost = ladder_notes(res.latency)
    if cost:
        out.append(
            " ".join(
                [
                    f"oha's own CPU on the load core: median {cost['generator_cpu_median_pct']:.0f}% and at most",
                    f"{cost['generator_cpu_max_pct']:.0f}% of one core per run, median",
                    f"{cost['generator_us_per_request_median']:.0f} µs per request; the load core(s) were",
                    f"{cost['load_core_busy_median_pct']:.0f}% busy (median, upper half of the ladder) and",
                    f"{cost['load_core_busy_max_pct']:.0f}% at most; {cost['saturated_runs']:.0f} of",
                    f"{cost['runs']:.0f} open-loop runs had the load core over 90% busy; {res.ladder_retries} rates",
                    "were measured again because other work kept the generator off its core.",
                ]
            )
        )
        out.append(
            " ".join(
                [
                    f"{cost['limited_runs']:.0f} runs were marked load-limited: the generator used 90% of a core,",
                    "or its threads waited for a CPU a quarter of the run (read from /proc while it ran). Such rates",
                    "count",
                    "neither for nor against a stack, and a sustainable rate just below them is shown as a lower",
                    "bound. The fewest requests behind one run's p99.9 were",
                    f"{cost['fewest_requests']:,.0f}.",
                ]
            )
        )
    if plan.db:
        core = "all cores" if pinning.load is None else "core " + ",".join(str(c) for c in sorted(pinning.load))
        out.append(
            " ".join(
                [
                    f"/db reads one random row (id uniform in 1..{ROWS:,}) of a {ROWS:,}-row world table from a",
                    "throwaway PostgreSQL cluster (Debian's package) that the harness creates, seeds, starts on",
                    "a free 127.0.0.1 port with trust authentication, and deletes afterwards; fsync is off",
                    "(read-only work).",
                ]
            )
        )
        out.append(
            " ".join(
                [
                    f"PostgreSQL runs on the load side ({core}), with wrk, oha and the span",
                    "receiver, so the server's core measures the service alone, as with a database on another",
                    f"machine (RDS in the blog's setup). Every service uses a pool of {DB_POOL_SIZE} connections;",
                    f"wrk on /db at {', '.join(str(c) for c in plan.db_concurrency)} connection(s).",
                ]
            )
        )
    return out


def db_evidence(res: Results, stacks: list[str]) -> list[tuple[str, str, float, str]]:
    """Peak RSS under /db load, baseline and traced (median over rounds)."""
    rows: list[tuple[str, str, float, str]] = []
    for stack in stacks:
        for variant, measure in (("baseline", "db_rss_load_peak_mb"), ("otel", "otel_db_rss_load_peak_mb")):
            values = [
                v
                for s, var, what, _, v in res.extra_memory
                if s == stack and var == variant and what == "db_rss_load_peak"
            ]
            if values:
                rows.append((stack, measure, statistics.median(values), "MiB"))
    return rows
