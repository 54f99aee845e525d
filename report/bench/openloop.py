"""Open-loop latency: a ladder of constant offered rates per stack, variant and endpoint, driven by bench/loadgen (Go).

wrk (closed loop) finds each stack's peak; the ladder then offers fixed shares of that peak at a constant
arrival rate, so a slow server is not offered less load and its queueing delay shows in the percentiles.
Every run starts a fresh server, warms it up at half its peak (discarded), then climbs the ladder from the
lowest rate, so an overloaded point cannot spoil the ones below it. The runs of a ladder are interleaved
with the other stacks' like the closed-loop rounds.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from report.bench.errors import BenchError
from report.bench.processes import ProcessRegistry
from report.bench.progress import Progress
from report.bench.service import Running

FULL_LADDER_PCT = (25, 50, 75, 90, 100, 110)
QUICK_LADDER_PCT = (50, 100)
TIMEOUT_S = 5  # like wrk's --timeout 5s; a timed-out request counts as an error at its observed latency
# A run is load-limited when the generator could not keep to its schedule: it used nearly a whole core, its
# threads waited for a CPU a quarter of the run (other work on the load core: PostgreSQL, the receiver, anything
# else on the machine), or its own lateness (waking late for requests it slept for, p99) is over 1 ms and at least
# half the p99 it measured, so the load side, not the service, would decide the figure. The report counts such
# runs neither way.
LOADGEN_LIMIT_PCT = 90.0
RUNQUEUE_LIMIT_PCT = 25.0
LAG_LIMIT_MS = 1.0
RETRY_BUDGET = 30  # re-measured points per endpoint's ladder when the load core was contended
LAG_SHARE = 0.5
DRAIN_S = 0.4  # planned allowance per point for the last responses to come back
VARIANTS = ("baseline", "otel")
REPORT_FIELDS = (
    "requests",
    "ok",
    "errors",
    "timeouts",
    "achieved_rps",
    "cpu_s",
    "duration_s",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p99_ms",
    "latency_p999_ms",
    "schedule_lag_p99_ms",
    "runqueue_wait_pct",
)


@dataclass(frozen=True)
class LadderPlan:
    """How the latency ladder runs."""

    ladder_pct: tuple[float, ...]
    runs: int
    warmup_s: int
    duration_s: int
    variants: tuple[str, ...] = ("baseline", "otel")  # also the variants /db is measured in

    def seconds(self, servers: int) -> float:
        """Planned time for `servers` server starts (one per stack, variant, endpoint and run)."""
        per_server = 1.0 + self.warmup_s + len(self.ladder_pct) * (self.duration_s + DRAIN_S)
        return servers * self.runs * per_server


@dataclass
class LadderRow:
    """One open-loop run at one offered rate, with what the load side cost."""

    stack: str
    variant: str
    endpoint: str
    offered_rps: int
    run: int
    achieved_rps: float
    latency_p50_ms: float
    latency_p90_ms: float
    latency_p99_ms: float
    latency_p999_ms: float
    errors: int
    timeouts: int
    requests: int
    loadgen_cpu_pct: float  # the generator's own CPU time as a share of one core over the run
    load_core_busy_pct: float  # how busy the load core(s) were: generator, receiver, PostgreSQL, harness
    schedule_lag_p99_ms: float  # the generator's own lateness (p99)
    runqueue_wait_pct: float  # share of the run the generator's threads waited for a CPU
    load_limited: int  # 1 when the generator could not keep to its schedule (see LAG_LIMIT_MS)


# 5 runs of 6 rates, 4 s each after a 2 s warm-up: what fits the 60-minute budget on two cores
FULL_LADDER = LadderPlan(FULL_LADDER_PCT, runs=5, warmup_s=2, duration_s=4)
# the smoke run keeps to two minutes: baseline only, two rates, one run
QUICK_LADDER = LadderPlan(QUICK_LADDER_PCT, runs=1, warmup_s=0, duration_s=1, variants=("baseline",))


def ladder(peak_rps: float, ladder_pct: Sequence[float]) -> list[int]:
    """Offered rates for a peak: each share of it rounded to a whole request per second, at least 1, no repeats."""
    if peak_rps <= 0:
        raise BenchError(f"cannot build a rate ladder from a peak of {peak_rps:g} requests/s")
    return sorted({max(1, round(peak_rps * pct / 100.0)) for pct in ladder_pct})


def peak_by_series(rows: Sequence[tuple[str, str, str, int, float]]) -> dict[tuple[str, str, str], float]:
    """(endpoint, variant, stack) -> the highest median requests/s over concurrency levels, from closed-loop runs.

    `rows` are (endpoint, variant, stack, concurrency, requests_per_sec), one per run.
    """
    by_level: dict[tuple[str, str, str, int], list[float]] = {}
    for endpoint, variant, stack, level, rps in rows:
        by_level.setdefault((endpoint, variant, stack, level), []).append(rps)
    peaks: dict[tuple[str, str, str], float] = {}
    for (endpoint, variant, stack, _), values in by_level.items():
        key = (endpoint, variant, stack)
        peaks[key] = max(peaks.get(key, 0.0), _median(values))
    return peaks


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def loadgen_command(binary: Path, url: str, rate: int, duration_s: float) -> list[str]:
    """argv of one constant-rate run."""
    return [str(binary), "-url", url, "-rate", str(rate), "-duration", f"{duration_s:g}s", "-timeout", f"{TIMEOUT_S}s"]


def parse_result(text: str) -> dict[str, float]:
    """The generator's JSON report, checked for the fields the harness uses."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BenchError(f"loadgen printed no JSON report ({exc}): {text[:200]!r}") from exc
    need = REPORT_FIELDS
    missing = [k for k in need if not isinstance(doc.get(k), int | float)]
    if missing:
        raise BenchError(f"loadgen report lacks {', '.join(missing)}: {text[:200]!r}")
    return {k: float(doc[k]) for k in need}


def _busy_ticks(cores: set[int] | None) -> tuple[int, int]:
    """(busy, total) clock ticks of the given cores from /proc/stat (all cores when None)."""
    busy = total = 0
    with open("/proc/stat") as f:
        for line in f:
            name, *fields = line.split()
            if not name.startswith("cpu") or name == "cpu":
                continue
            if cores is not None and int(name[3:]) not in cores:
                continue
            v = [int(x) for x in fields[:8]] + [0] * (8 - len(fields[:8]))
            idle = v[3] + v[4]
            busy += sum(v) - idle
            total += sum(v)
    return busy, total


class LadderRunner:
    """Runs the ladder for one endpoint; services come from `start` and are stopped through the registry."""

    def __init__(
        self,
        registry: ProcessRegistry,
        loadgen: Path,
        plan: LadderPlan,
        progress: Progress,
        load_cores: set[int] | None,
        start: Callable[[str, str, dict[str, str]], Running],
        check: Callable[[Running], None],
    ) -> None:
        self.registry = registry
        self.loadgen = loadgen
        self.plan = plan
        self.progress = progress
        self.load_cores = load_cores
        self.start = start
        self.check = check
        self.retries = 0

    def _one(self, running: Running, path: str, rate: int, duration_s: float) -> tuple[dict[str, float], float]:
        argv = loadgen_command(self.loadgen, f"http://127.0.0.1:{running.port}{path}", rate, duration_s)
        before = _busy_ticks(self.load_cores)
        proc = self.registry.start(argv, cpus=self.load_cores, stdout=subprocess.PIPE)
        try:
            # the generator stops itself; the bound guards against a hung one
            out, _ = proc.communicate(timeout=duration_s + TIMEOUT_S + 30)
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"loadgen did not finish a {duration_s:g} s run against {running.stack}") from exc
        finally:
            self.registry.stop(proc)
        after = _busy_ticks(self.load_cores)
        if proc.returncode != 0:
            raise BenchError(f"loadgen exited with code {proc.returncode} against {running.stack} ({path})")
        if running.proc.poll() is not None:
            raise BenchError(
                f"{running.stack} ({running.variant}) crashed under load on {path} (exit {running.proc.returncode})"
            )
        ticks = after[1] - before[1]
        busy_pct = 100.0 * (after[0] - before[0]) / ticks if ticks > 0 else 0.0
        return parse_result(out.decode(errors="replace")), busy_pct

    def run(
        self,
        endpoint: str,
        stacks: Sequence[str],
        peaks: dict[tuple[str, str, str], float],
        env: dict[str, str],
    ) -> list[LadderRow]:
        """Every run of every stack and variant on `endpoint`: fresh server, warm-up, the rates lowest first."""
        p = self.plan
        path = f"/{endpoint}"
        rows: list[LadderRow] = []
        for run in range(1, p.runs + 1):
            for v_index, variant in enumerate(p.variants):
                k = (run - 1 + v_index) % len(stacks)
                for stack in [*stacks[k:], *stacks[:k]]:
                    peak = peaks[(endpoint, variant, stack)]
                    rates = ladder(peak, p.ladder_pct)
                    what = f"latency {path} run {run}/{p.runs}: {stack} ({variant})"
                    self.progress.step(f"{what} start + warm-up", 1.0 + p.warmup_s)
                    running = self.start(stack, variant, env)
                    try:
                        self.check(running)
                        if p.warmup_s:
                            self._one(running, path, max(1, round(peak / 2)), p.warmup_s)
                        for rate in rates:
                            self.progress.step(f"{what} at {rate:,} req/s", p.duration_s + DRAIN_S)
                            row = _row(
                                stack, variant, endpoint, rate, run, *self._one(running, path, rate, p.duration_s)
                            )
                            # other work kept the generator off its core: measure once more (bounded per run)
                            if row.runqueue_wait_pct >= RUNQUEUE_LIMIT_PCT and self.retries < RETRY_BUDGET:
                                self.retries += 1
                                self.progress.note(
                                    f"  load core busy ({row.runqueue_wait_pct:.0f}% waiting for a CPU) during "
                                    f"{stack} ({variant}) at {rate:,} req/s; measuring again"
                                )
                                row = _row(
                                    stack, variant, endpoint, rate, run, *self._one(running, path, rate, p.duration_s)
                                )
                            rows.append(row)
                    finally:
                        self.registry.stop(running.proc)
        return rows


def _row(stack: str, variant: str, endpoint: str, rate: int, run: int, r: dict[str, float], busy: float) -> LadderRow:
    cpu = round(100.0 * r["cpu_s"] / max(r["duration_s"], 1e-9), 1)
    return LadderRow(
        stack,
        variant,
        endpoint,
        rate,
        run,
        round(r["achieved_rps"], 1),
        round(r["latency_p50_ms"], 3),
        round(r["latency_p90_ms"], 3),
        round(r["latency_p99_ms"], 3),
        round(r["latency_p999_ms"], 3),
        int(r["errors"]),
        int(r["timeouts"]),
        int(r["requests"]),
        cpu,
        round(busy, 1),
        round(r["schedule_lag_p99_ms"], 3),
        round(r["runqueue_wait_pct"], 1),
        int(load_limited(cpu, r["runqueue_wait_pct"], r["schedule_lag_p99_ms"], r["latency_p99_ms"])),
    )


def load_limited(loadgen_cpu_pct: float, runqueue_wait_pct: float, lag_p99_ms: float, latency_p99_ms: float) -> bool:
    """Whether the generator, not the service, would decide a run's p99."""
    return (
        loadgen_cpu_pct >= LOADGEN_LIMIT_PCT
        or runqueue_wait_pct >= RUNQUEUE_LIMIT_PCT
        or (lag_p99_ms > LAG_LIMIT_MS and lag_p99_ms >= LAG_SHARE * latency_p99_ms)
    )


def loadgen_binary(work: Path) -> Path:
    """The generator install-deps built, or a clear error."""
    binary = work / "loadgen" / "loadgen"
    if not os.access(binary, os.X_OK):
        raise BenchError(f"{binary} not found: run `make bench-deps` (it builds bench/loadgen)")
    return binary
