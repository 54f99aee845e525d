"""Which charts the report shows, with their data and words, planned without importing matplotlib.

Planning is cheap and pure; drawing (report/view/charts.py) is the slow part. Splitting them lets a build reuse
charts whose inputs did not change (a cache keyed by a hash of the chart's function, arguments and the drawing
code) and draw the rest in a child process on the second core while WeasyPrint is imported and the HTML rendered.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from report.inputs.traces import ENDPOINTS, traced, tree_rows
from report.results import claims
from report.results.computed import Chart, Results
from report.results.findings import MEMORY_UNIT, Area, level_claims, measured_areas
from report.results.numbers import decimals_for, fmt, percent, ratio
from report.view import latency as latency_view
from report.view.context import score_lead
from report.view.marks import MAX_DOTS, Mark
from report.view.offload import Child, cache_get, cache_set

Drawn = dict[str, tuple[bytes, Chart]]


@dataclass(frozen=True)
class ChartJob:
    """One chart to draw: a function of report.view.charts, its plain arguments, and the words that go with it."""

    key: str
    function: str
    args: tuple[Any, ...]
    chart: Chart


@cache
def _code_salt() -> bytes:
    # a chart's bytes depend on the drawing code, matplotlib and the fonts: a change to any invalidates the cache
    root = Path(__file__).resolve().parent.parent  # report/
    digest = hashlib.sha256()
    drawing = ("view/charts.py", "view/chart_style.py", "view/marks.py", "view/fonts.py", "view/trace_chart.py")
    for name in (*drawing, "results/numbers.py", "results/stats.py"):
        digest.update((root / name).read_bytes())
    for package in ("matplotlib", "fontpkg-fira-sans", "fontpkg-ibm-plex-mono", "numpy"):
        try:
            digest.update(f"{package}={version(package)}".encode())
        except PackageNotFoundError:
            digest.update(f"{package}=?".encode())
    return digest.digest()


def job_key(job: ChartJob) -> str:
    """The cache key of a chart: its function and arguments (pickled, exact) plus the drawing code's salt."""
    return hashlib.sha256(_code_salt() + pickle.dumps((job.function, job.args), protocol=5)).hexdigest()


def plan(results: Results) -> list[ChartJob]:
    """Every chart of the report, in the order the report shows them."""
    cfg, stats = results.config, results.stats
    names = {s.id: s.name for s in cfg.stacks}
    colors = {s.id: s.color for s in cfg.stacks}
    index = {s.id: i for i, s in enumerate(cfg.stacks)}

    def marks(order: Sequence[str]) -> tuple[Mark, ...]:
        return tuple(Mark(names[s], colors[s], index[s]) for s in order)

    areas = measured_areas(stats)
    lv = level_claims(stats)
    jobs: list[ChartJob] = []
    su = areas["startup"]
    values = [stats.startup[s].median for s in su.order]
    log = max(values) / min(values) > 20
    jobs.append(
        ChartJob(
            "startup",
            "strip_chart",
            (marks(su.order), tuple(stats.startup[s].values for s in su.order), "ms", log, su.decimals),
            Chart(
                "startup.svg",
                alt=_alt_ranking("Startup time", su, names, f"{su.lead(names)}, {su.gap(names)}"),
                caption=f"{su.lead(names)}, {su.gap(names)}."
                + (" Log scale: the range spans more than 20×." if log else ""),
                source=f"startup.csv, {_runs(stats.startup[s].n for s in su.order)} per stack; "
                + (
                    "thick bars are the middle half of the runs, thin lines the range, ticks medians."
                    if max(stats.startup[s].n for s in su.order) > MAX_DOTS
                    else "dots are runs, ticks medians."
                ),
            ),
        )
    )
    mem = areas["memory"]
    idle = tuple(stats.memory_idle[s].median for s in mem.order)
    load = tuple(stats.memory_load[s].median for s in mem.order)
    jobs.append(
        ChartJob(
            "memory",
            "paired_bars",
            (marks(mem.order), idle, load, ("idle", "under load"), MEMORY_UNIT, mem.decimals),
            Chart(
                "memory.svg",
                alt=_alt_ranking("Peak memory under load", mem, names, f"{mem.lead(names)}, {mem.gap(names)}"),
                caption=f"{mem.lead(names)}, {mem.gap(names)}.",
                source="memory.csv, median RSS per run; light bars idle, dark bars peak under load.",
            ),
        )
    )
    tp = areas["throughput"]
    levels = tuple(stats.levels)
    order = tp.order
    med = tuple(tuple(stats.load[("baseline", c, s)].rps.median for c in levels) for s in order)
    lows = tuple(tuple(stats.load[("baseline", c, s)].rps.min for c in levels) for s in order)
    highs = tuple(tuple(stats.load[("baseline", c, s)].rps.max for c in levels) for s in order)
    jobs.append(
        ChartJob(
            "throughput",
            "level_lines",
            (marks(order), levels, med, lows, highs, "requests per second"),
            Chart(
                "throughput.svg",
                alt=_alt_ranking(
                    f"Requests per second at {stats.top_level} connections",
                    tp,
                    names,
                    _claim_then_gap("throughput", lv["throughput"], names, tp.gap(names)),
                ),
                caption=f"{claims.lead_at_levels('throughput', lv['throughput'], names)}.",
                source="throughput.csv, baseline variant; lines are medians, bands the range of runs.",
            ),
        )
    )
    lat = areas["latency"]
    top = stats.top_level
    lat_series = tuple(
        (
            stats.load[("baseline", top, s)].p50,
            stats.load[("baseline", top, s)].p90,
            stats.load[("baseline", top, s)].p99,
        )
        for s in lat.order
    )
    flat = [v for row in lat_series for v in row]
    lat_log = max(flat) / min(flat) > 50
    jobs.append(
        ChartJob(
            "latency",
            "grouped_bars",
            (marks(lat.order), lat_series, ("p50", "p90", "p99"), "ms", lat_log, decimals_for(flat)),
            Chart(
                "latency.svg",
                alt=_alt_ranking(
                    f"p99 latency at {top} connections",
                    lat,
                    names,
                    claims.lead_at_levels("latency", lv["latency"], names),
                ),
                caption=f"{claims.lead_at_levels('latency', lv['latency'], names)}."
                + (" Log scale." if lat_log else ""),
                source=f"throughput.csv, baseline variant at {top} connections; medians of each percentile over runs.",
            ),
        )
    )
    cost = stats.otel_cost()
    if cost:
        kept_order = sorted(cost, key=lambda s: -cost[s])
        base = tuple(stats.load[("baseline", top, s)].rps.median for s in kept_order)
        traced = tuple(stats.load[("otel", top, s)].rps.median for s in kept_order)
        kept = ", ".join(f"{names[s]} {percent(cost[s])}" for s in kept_order)
        kept_claim = claims.lead_at_levels("kept", lv["kept"], names) if "kept" in lv else ""
        jobs.append(
            ChartJob(
                "otel-cost",
                "paired_bars",
                (marks(kept_order), base, traced, ("without", "with tracing"), "req/s", 0),
                Chart(
                    "otel-cost.svg",
                    alt=f"Requests per second at {top} connections without and with OpenTelemetry tracing; "
                    f"share kept: {kept}. {kept_claim}.",
                    caption=f"Share of requests per second kept with tracing at {top} connections: {kept}. "
                    f"{kept_claim[:1].upper()}{kept_claim[1:]}." + _dropped_spans(stats.evidence, names),
                    source=f"throughput.csv, baseline and otel variants at {top} connections.",
                ),
            )
        )
    if results.latency is not None:
        for job in latency_view.chart_jobs(cfg, results.latency, index):
            args = (tuple(Mark(*m) for m in job.args[0]), *job.args[1:])
            jobs.append(ChartJob(job.key, job.function, args, Chart(job.file, job.alt, job.caption, job.source)))
    jobs += trace_jobs(results, marks)
    scale = (results.rubric.scale.min, results.rubric.scale.max)
    overall = sorted(results.overall, key=lambda s: -results.overall[s])
    listing = ", ".join(f"{names[s]} {fmt(results.overall[s], 2)}" for s in overall)
    jobs.insert(
        0,
        ChartJob(
            "overall",
            "score_bars",
            (marks(overall), tuple(results.overall[s] for s in overall), scale, "higher is better"),
            Chart(
                "overall.svg",
                alt=f"Overall weighted score from {scale[0]} to {scale[1]}: {listing}.",
                caption=f"{names[overall[0]]} has the highest overall score with the weights below.",
                source="all five areas, weighted as listed below; measured areas scored on the log of their ratio "
                "to the best stack, ties scored equal.",
            ),
        ),
    )
    for category in results.categories:
        ranked = sorted(category.scores, key=lambda s: -category.scores[s])
        listing = ", ".join(f"{names[s]} {fmt(category.scores[s], 2)}" for s in ranked)
        jobs.append(
            ChartJob(
                f"score-{category.id}",
                "score_bars",
                (marks(ranked), tuple(category.scores[s] for s in ranked), scale),
                Chart(
                    f"score-{category.id}.svg",
                    alt=f"{category.title}, weighted rubric score from {scale[0]} to {scale[1]}: {listing}.",
                    caption=f"{score_lead(category, names)}.",
                    source="rubric.yaml, weighted sum of criterion scores.",
                ),
            )
        )
    return jobs


def trace_jobs(results: Results, marks: Callable[[Sequence[str]], tuple[Mark, ...]]) -> list[ChartJob]:
    """A waterfall per stack and endpoint from the captured traces (traces.json), in the stacks' order."""
    jobs = []
    names = {s.id: s.name for s in results.config.stacks}
    for endpoint in ENDPOINTS:
        for sid in results.config.stack_ids:
            trace = traced(results.traces, sid, endpoint)
            if trace is None:
                continue
            rows = tree_rows(trace)
            bars = tuple((s.name, depth, s.kind, s.start_ms, s.duration_ms) for s, depth in rows)
            decimals = decimals_for([s.duration_ms for s, _ in rows if s.duration_ms > 0] or [trace.duration_ms])
            listing = "; ".join(
                f"{s.name} ({s.kind}{', inside ' + trace.spans[s.parent].name if s.parent is not None else ''}) "
                f"{fmt(s.duration_ms, decimals)} ms from {fmt(s.start_ms, decimals)} ms"
                for s, _depth in rows
            )
            count = f"{len(rows)} span{'s' if len(rows) != 1 else ''}"
            jobs.append(
                ChartJob(
                    f"trace-{endpoint}-{sid}",
                    "trace_waterfall",
                    (marks([sid])[0], bars, decimals),
                    Chart(
                        f"trace-{endpoint}-{sid}.svg",
                        alt=f"Trace of one GET /{endpoint} request to the traced {names[sid]} service, {count}: "
                        f"{listing}.",
                        caption=f"{names[sid]}: {count} for one GET /{endpoint}, "
                        f"{fmt(trace.duration_ms, decimals)} ms end to end.",
                        source=f"traces.json: of {trace.chosen_from} traces from the second, steady-state half of the "
                        "span probe's sequential requests, the one with the median duration.",
                    ),
                )
            )
    return jobs


def _dropped_spans(evidence: Mapping[tuple[str, str], tuple[float, str]], names: Mapping[str, str]) -> str:
    # a tracer that drops spans under load pays less for tracing: the reader must see that beside the ratio
    dropped = [
        f"{names[sid]} delivered only {percent(value / 100)} of its spans under load, so its cost is understated"
        for (sid, measure), (value, _unit) in sorted(evidence.items())
        if measure == "otel_spans_delivered_pct" and value < 90 and sid in names
    ]
    return (" " + "; ".join(dropped) + ".") if dropped else ""


def _ratio(area: Area) -> str:
    return ratio(area.spread_ratio)


def _runs(counts: Iterable[int]) -> str:
    """'20 runs', or '20 to 21 runs' when stacks differ: never '20+' for exactly 20."""
    ns = sorted(set(counts))
    return f"{ns[0]} runs" if len(ns) == 1 else f"{ns[0]} to {ns[-1]} runs"


def _alt_ranking(what: str, area: Area, names: Mapping[str, str], finding: str) -> str:
    values = ", ".join(f"{names[s]} {area.text(s)}" for s in area.order)
    return f"{what}, best first: {values}. {finding}."


def draw_now(jobs: Sequence[ChartJob]) -> dict[str, bytes]:
    """Draw charts in this process (imports matplotlib)."""
    from report.view import charts

    return {job.key: getattr(charts, job.function)(*job.args) for job in jobs}


def draw(jobs: Sequence[ChartJob], cache: MutableMapping[str, bytes] | None = None) -> Drawn:
    """Every chart, from the cache where its inputs are unchanged, drawn here otherwise."""
    pending = Pending(jobs, cache, background=False)
    return pending.result()


class Pending:
    """Charts being drawn: cached ones at once, the rest in a forked child on the other core (or inline)."""

    def __init__(
        self, jobs: Sequence[ChartJob], cache: MutableMapping[str, bytes] | None = None, *, background: bool = True
    ) -> None:
        self.jobs = list(jobs)
        self.cache = cache
        self.svgs: dict[str, bytes] = {}
        self.missing: list[ChartJob] = []
        for job in self.jobs:
            svg = cache_get(cache, job_key(job))
            if svg is None:
                self.missing.append(job)
            else:
                self.svgs[job.key] = svg
        self._child: Child | None = None
        if self.missing and background and hasattr(os, "fork"):
            missing = self.missing
            self._child = Child(lambda: draw_now(missing), "drawing the charts")
        elif self.missing and not background:
            self._store(draw_now(self.missing))

    @property
    def drawn_count(self) -> int:
        """How many charts had to be drawn (the rest came from the cache)."""
        return len(self.missing)

    def result(self) -> Drawn:
        """Wait for the child (if any) and return every chart with its words, in plan order."""
        if self._child is not None:
            self._store(self._child.result())
            self._child = None
        elif any(job.key not in self.svgs for job in self.jobs):
            self._store(draw_now([job for job in self.jobs if job.key not in self.svgs]))
        return {job.key: (self.svgs[job.key], job.chart) for job in self.jobs}

    def _store(self, drawn: Mapping[str, bytes]) -> None:
        for job in self.missing:
            if job.key in drawn:
                self.svgs[job.key] = drawn[job.key]
                cache_set(self.cache, job_key(job), drawn[job.key])


def _claim_then_gap(kind: str, lv: claims.Levels, names: Mapping[str, str], gap: str) -> str:
    """The top level's claim with its (top-level) gap, then what the other levels show."""
    top, elsewhere = claims.lead_parts(kind, lv, names)
    return f"{top}, {gap}; {elsewhere}" if elsewhere else f"{top}, {gap}"
