"""The last open-loop phase of an endpoint: every stack offered one common rate, untraced (ladderplan.common_rate).

The ladder offers each stack shares of its own peak, so no two stacks' p99s meet at one rate there, and wrk's p99
compares stacks at different throughputs while hiding queueing. Here every stack answers the same offered load,
`common_runs` runs each on a fresh server, the stacks taking turns: the tail latency the report compares.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from report.bench.ladderplan import DRAIN_S, START_S, LadderPlan, LadderRow, common_rate
from report.bench.oha import OhaResult, ProcCost
from report.bench.processes import ProcessRegistry
from report.bench.progress import Progress
from report.bench.service import Running


class Runner(Protocol):
    """What the common-rate runs use of report/bench/openloop.py's LadderRunner."""

    plan: LadderPlan
    progress: Progress
    registry: ProcessRegistry

    def start(self, stack: str, variant: str, env: dict[str, str]) -> Running: ...
    def check(self, running: Running) -> None: ...
    def _one(self, running: Running, path: str, rate: int, duration_s: float) -> tuple[OhaResult, ProcCost, float]: ...
    def measure(
        self, running: Running, path: str, endpoint: str, rate: int, run: int, duration_s: float
    ) -> LadderRow: ...


def common_runs(
    runner: Runner,
    endpoint: str,
    stacks: Sequence[str],
    peaks: dict[tuple[str, str, str], float],
    before: Sequence[LadderRow],
    env: dict[str, str],
    slo_ms: float,
) -> list[LadderRow]:
    """Every stack, untraced, at one offered rate (ladderplan.common_rate): `common_runs` runs each on a fresh
    server, the stacks rotating as in the coarse ladder, each run long enough for 100 requests beyond p99."""
    p = runner.plan
    path = f"/{endpoint}"

    def p99_at(stack: str, rate: int) -> float | None:
        at = [
            r.latency_p99_ms
            for r in before
            if (r.stack, r.variant, r.offered_rps, r.phase) == (stack, "baseline", rate, "ladder")
            and not r.load_limited
        ]
        return statistics.median(at) if at else None

    rate = common_rate(endpoint, stacks, peaks, p99_at, slo_ms)
    seconds = p.common_run_s(rate)
    # numbered after the runs already made at this rate, so (stack, variant, endpoint, rate, run) stays a key
    first = {
        s: max((r.run for r in before if (r.stack, r.variant, r.offered_rps) == (s, "baseline", rate)), default=0)
        for s in stacks
    }
    out: list[LadderRow] = []
    for run in range(1, p.common_runs + 1):
        k = (run - 1) % len(stacks)
        for stack in [*stacks[k:], *stacks[:k]]:
            what = f"common rate {path}: {stack} at {rate:,} req/s, run {run}/{p.common_runs}"
            runner.progress.step(what, START_S + p.knee_warmup_s + seconds + DRAIN_S)
            running = runner.start(stack, "baseline", env)
            try:
                runner.check(running)
                if p.knee_warmup_s:
                    runner._one(running, path, max(1, round(peaks[(endpoint, "baseline", stack)] / 2)), p.knee_warmup_s)
                row = runner.measure(running, path, endpoint, rate, first[stack] + run, seconds)
                out.append(replace(row, duration_s=seconds, phase="common"))
            finally:
                runner.registry.stop(running.proc)
    return out
