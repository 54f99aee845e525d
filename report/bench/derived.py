"""The evidence.csv rows drawn from the measurements: memory extras, the cost of tracing, span probes, /db memory."""

from __future__ import annotations

import statistics
from dataclasses import replace

from report.bench.evidence import MEASURES
from report.bench.results import DELIVERED_MIN_PCT, Results, ThroughputRow
from report.bench.stacks import BSP_DEFAULTS

# evidence.csv measures the /db phase adds (documented in services/README.md beside report/bench/evidence.py's)
DB_MEASURES: dict[str, tuple[str, str]] = {
    "db_rss_load_peak_mb": ("MiB", "peak RSS of the process tree under wrk load on /db (median over rounds)"),
    "otel_db_rss_load_peak_mb": ("MiB", "the same for the traced variant"),
}


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def derived_evidence(res: Results, stacks: list[str]) -> list[tuple[str, str, float, str]]:
    """Evidence drawn from the measurements: memory extras, OTel cost, span probes."""
    rows: list[tuple[str, str, float, str]] = db_evidence(res, stacks)
    res = replace(res, throughput=[r for r in res.throughput if r.endpoint == "json"])
    for stack in stacks:

        def mem(variant: str, what: str, stack: str = stack) -> float:
            return _median([v for s, var, w, _, v in res.extra_memory if s == stack and var == variant and w == what])

        rows += [
            (stack, "pss_idle_mb", mem("baseline", "pss_idle"), "MiB"),
            (stack, "rss_load_median_mb", mem("baseline", "rss_load_median"), "MiB"),
            (stack, "otel_rss_idle_mb", mem("otel", "rss_idle"), "MiB"),
            (stack, "otel_rss_load_peak_mb", mem("otel", "rss_load_peak"), "MiB"),
        ]
        # the report's "kept with tracing": at the highest concurrency level, the level its table prints
        top = max((r.concurrency for r in res.throughput), default=0)
        base = _median(
            [
                r.requests_per_sec
                for r in res.throughput
                if r.stack == stack and r.variant == "baseline" and r.concurrency == top
            ]
        )
        # Cost of tracing only from traced runs that delivered ≥ 99 % of their spans.
        otel = _median(
            [
                r.requests_per_sec
                for r in res.throughput
                if r.stack == stack and r.variant == "otel" and r.concurrency == top and delivered_enough(r)
            ]
        )
        if base > 0 and otel > 0:
            rows.append((stack, "otel_throughput_ratio", otel / base, "ratio"))
        delivered = [r.delivered_pct for r in res.throughput if r.stack == stack and r.delivered_pct is not None]
        if delivered:
            rows.append((stack, "otel_spans_delivered_pct", min(delivered), "%"))
        rows.append(
            (
                stack,
                "otel_bsp_max_queue_size",
                res.queue_size.get(stack, BSP_DEFAULTS["OTEL_BSP_MAX_QUEUE_SIZE"]),
                "spans",
            )
        )
        for measure, value in sorted(res.spans.get(stack, {}).items()):
            rows.append((stack, measure, value, MEASURES[measure][0]))
    return rows


def delivered_enough(row: ThroughputRow) -> bool:
    """A baseline run, or a traced one that delivered enough of its spans to count (and be written)."""
    return row.delivered_pct is None or row.delivered_pct >= DELIVERED_MIN_PCT


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
