"""Open-loop latency: a ladder of constant offered rates per stack, variant and endpoint, driven by oha.

wrk (closed loop) finds each stack's peak; the ladder then offers fixed shares of that peak at a constant
arrival rate (oha -q with --latency-correction, so each latency is timed from when its request was due), so a
slow server is not offered less load and its queueing delay shows in the percentiles. Every run starts a fresh
server, warms it up at half its peak (discarded), then climbs the ladder from the lowest rate, so an overloaded
point cannot spoil the ones below it. The runs of a ladder are interleaved with the other stacks' like the
closed-loop rounds. oha's own CPU time and run-queue wait are read from /proc while it runs.

After that coarse ladder the harness looks for the knee (report/sustained.py's rule) with runs of knee length
(`knee_runs` runs of at least `knee_duration_s`, each on a fresh server): short ladder runs pass rates that longer
runs miss, so a rate passed only on the ladder is first measured at knee length, while a ladder miss stands (a
longer run only does worse). Between the highest rate passed at knee length and the lowest one missed it bisects
until the two are within `knee_step_pct` of each other; where even the lowest coarse rate missed, it first steps
down by a quarter of the rate until one passes. The series of an endpoint take turns, one step each, from one pool
of time (their shares, or what earlier phases left of the run's plan when that is more). An exploring step stops
once it is decided (report/sustained.py's `decided`); the rate printed is topped up to `knee_runs` runs. An
exploring step starts when its first run fits beside the top-up the printed rate will need either way, and makes
further runs only while they fit too; a rate it cannot decide is given up (the search counts it as missed, the
report finds it not established). A rate where the generator fell behind ends the search: the knee lies beyond this
machine's limit and is reported as a bound.

Last, every stack is offered one common rate untraced (ladderplan.common_rate: half the slowest stack's peak, or a
quarter where its coarse runs there missed the SLO), `common_runs` runs each: the tail latency the report compares
across stacks, open loop, at the same load (a closed-loop p99 compares stacks at different throughputs).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from report.bench import knee, procfs
from report.bench.commonrate import common_runs
from report.bench.errors import BenchError
from report.bench.ladderplan import DRAIN_S, EXPLORE_RUNS, START_S, LadderPlan, LadderRow, ladder, make_row
from report.bench.oha import TIMEOUT_S, OhaResult, ProcCost, oha_command, parse_oha, watch
from report.bench.processes import ProcessRegistry
from report.bench.progress import Progress
from report.bench.service import Running
from report.results.sustained import RUNQUEUE_LIMIT_PCT, decided


class LadderRunner:
    """Runs the ladder for one endpoint; services come from `start` and are stopped through the registry."""

    def __init__(
        self,
        registry: ProcessRegistry,
        oha: Path,
        plan: LadderPlan,
        progress: Progress,
        load_cores: set[int] | None,
        start: Callable[[str, str, dict[str, str]], Running],
        check: Callable[[Running], None],
    ) -> None:
        self.registry = registry
        self.oha = oha
        self.plan = plan
        self.progress = progress
        self.load_cores = load_cores
        self.start = start
        self.check = check
        self.retries = 0
        # knee time is counted as it passes: a step starts only when its planned seconds fit what is left, and
        # the pool keeps what the runs did not use (a service starts faster than its planned allowance)
        self.clock: Callable[[], float] = time.monotonic

    def _one(self, running: Running, path: str, rate: int, duration_s: float) -> tuple[OhaResult, ProcCost, float]:
        # one tokio worker per load core: oha defaults to one per physical core of the machine
        threads = len(self.load_cores) if self.load_cores else os.cpu_count() or 1
        argv = oha_command(self.oha, f"http://127.0.0.1:{running.port}{path}", rate, duration_s, threads)
        before = procfs.core_ticks(self.load_cores)
        proc = self.registry.start(argv, cpus=self.load_cores, stdout=subprocess.PIPE)
        try:
            # oha stops itself; the bound guards against a hung one
            cost = watch(proc, duration_s + TIMEOUT_S + 30)
            out, _ = proc.communicate()
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"oha did not finish a {duration_s:g} s run against {running.stack}") from exc
        finally:
            self.registry.stop(proc)
        after = procfs.core_ticks(self.load_cores)
        if proc.returncode != 0:
            raise BenchError(f"oha exited with code {proc.returncode} against {running.stack} ({path})")
        if running.proc.poll() is not None:
            raise BenchError(
                f"{running.stack} ({running.variant}) crashed under load on {path} (exit {running.proc.returncode})"
            )
        return parse_oha(out.decode(errors="replace")), cost, procfs.busy_pct(before, after)

    def run(
        self,
        endpoint: str,
        stacks: Sequence[str],
        peaks: dict[tuple[str, str, str], float],
        env: dict[str, str],
        slo_ms: float | None = None,
        after_s: float | None = None,
    ) -> list[LadderRow]:
        """The coarse ladder of every stack and variant on `endpoint`, then (with an SLO) the bisection to its knee.

        With `after_s` (the planned seconds of what the run still does after this endpoint), the bisection may also
        spend the run's slack: whatever earlier phases left of the planned total beyond those seconds.
        """
        p = self.plan
        rows = self.coarse(endpoint, stacks, peaks, env)
        common = slo_ms is not None and p.common_runs > 0 and "baseline" in p.variants
        if slo_ms is not None and p.knee_runs:
            # the knees leave the common-rate runs their planned time
            later = None if after_s is None else after_s + (p.common_seconds(len(stacks)) if common else 0.0)
            rows += self.knees(endpoint, stacks, peaks, rows, env, slo_ms, later)
        if common and slo_ms is not None:
            rows += common_runs(self, endpoint, stacks, peaks, rows, env, slo_ms)
        return rows

    def left_s(self) -> float:
        """Seconds left of the run's planned total (the progress display's plan), by this runner's clock."""
        return self.progress.planned_s - (self.clock() - self.progress.t0)

    def coarse(
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
                    self.progress.step(f"{what} start + warm-up", START_S + p.warmup_s)
                    running = self.start(stack, variant, env)
                    try:
                        self.check(running)
                        if p.warmup_s:
                            self._one(running, path, max(1, round(peak / 2)), p.warmup_s)
                        for rate in rates:
                            self.progress.step(f"{what} at {rate:,} req/s", p.duration_s + DRAIN_S)
                            row = self.measure(running, path, endpoint, rate, run, p.duration_s)
                            rows.append(replace(row, duration_s=p.duration_s))
                    finally:
                        self.registry.stop(running.proc)
        return rows

    def measure(self, running: Running, path: str, endpoint: str, rate: int, run: int, duration_s: float) -> LadderRow:
        """One run's row; where other work kept the generator off its core, measured once more (within the endpoint's
        `retry_budget`)."""
        stack, variant = running.stack, running.variant
        row = make_row(stack, variant, endpoint, rate, run, *self._one(running, path, rate, duration_s))
        if row.runqueue_wait_pct >= RUNQUEUE_LIMIT_PCT and self.retries < self.plan.retry_budget:
            self.retries += 1
            self.progress.note(
                f"  load core busy ({row.runqueue_wait_pct:.0f}% waiting for a CPU) during {stack} ({variant}) at "
                f"{rate:,} req/s; measuring again"
            )
            row = make_row(stack, variant, endpoint, rate, run, *self._one(running, path, rate, duration_s))
        return row

    def _run_cost(self, rate: float) -> float:
        """Planned seconds of one knee run at `rate`: a fresh server, its warm-up, the run, the drain."""
        return START_S + self.plan.knee_warmup_s + self.plan.knee_run_s(rate) + DRAIN_S

    def knees(
        self,
        endpoint: str,
        stacks: Sequence[str],
        peaks: dict[tuple[str, str, str], float],
        coarse: Sequence[LadderRow],
        env: dict[str, str],
        slo_ms: float,
        after_s: float | None = None,
    ) -> list[LadderRow]:
        """Knee steps for every series of `endpoint` from one pool of time, the series taking turns step by step.

        Turns spread each stack's knee runs over the phase, so drift hits every stack alike, and no series spends
        another's share: one whose knee is found early leaves its time to the rest. Before a step, the time every
        other series still needs to top its printed rate up to `knee_runs` runs is kept back, so a search cut short
        still prints rates measured by runs of knee length.

        The pool is `knee_budget_s` per series, or with `after_s` whatever is left of the run's planned total beyond
        `after_s` when that is more: phases that took less than planned (their contention retries unspent, the
        /json knees found early) leave their time to the knees still wide, and the run still ends within its plan.
        """
        p = self.plan
        series = [(variant, stack) for variant in p.variants for stack in stacks]
        seen = {s: [r for r in coarse if (r.variant, r.stack) == s] for s in series}
        gave_up: dict[tuple[str, str], set[int]] = {s: set() for s in series}  # rates the time could not decide
        pool = p.knee_budget_s * len(series)
        if after_s is not None:
            pool = max(pool, self.left_s() - after_s)
        out: list[LadderRow] = []
        active = list(series)
        while active:
            moved = False
            for s in list(active):
                if knee.next_knee_rate(seen[s], slo_ms, p.knee_step_pct, p.knee_runs, gave_up[s]) is None:
                    active.remove(s)  # its knee is placed (or lies beyond the machine)
                    continue
                kept_back = sum(self._top_up_cost(seen[t], slo_ms, gave_up[t]) for t in active if t != s)
                step = self._choose(seen[s], slo_ms, pool - kept_back, gave_up[s])
                if step is not None:
                    pool -= self._knee_step(
                        endpoint, s, step, peaks, seen, out, env, slo_ms, pool - kept_back, gave_up[s]
                    )
                    moved = True
            if moved:
                active = [*active[1:], *active[:1]]  # the next turn starts with the next series: no fixed order
                continue
            # what is left cannot hold one series' step and the others' top-ups: the cheapest step that fits alone
            fits = [(s, st) for s in active if (st := self._choose(seen[s], slo_ms, pool, gave_up[s])) is not None]
            if not fits:
                break
            s, step = min(fits, key=lambda f: self._committed(seen[f[0]], slo_ms, f[1], gave_up[f[0]]))
            pool -= self._knee_step(endpoint, s, step, peaks, seen, out, env, slo_ms, pool, gave_up[s])
        return out

    def _knee_step(
        self,
        endpoint: str,
        s: tuple[str, str],
        step: knee.KneeStep,
        peaks: dict[tuple[str, str, str], float],
        seen: dict[tuple[str, str], list[LadderRow]],
        out: list[LadderRow],
        env: dict[str, str],
        slo_ms: float,
        available: float,
        given_up: set[int],
    ) -> float:
        """One step of series `s` (variant, stack), its rows added to `seen` and `out`; returns the seconds taken."""
        variant, stack = s
        made, spent = self._step(
            endpoint,
            stack,
            variant,
            peaks[(endpoint, variant, stack)],
            step,
            seen[s],
            env,
            slo_ms,
            available,
            given_up,
        )
        seen[s] += made
        out += made
        return spent

    def _top_up_cost(
        self, rows: Sequence[LadderRow], slo_ms: float, given_up: set[int], exploring: int | None = None
    ) -> float:
        """Planned seconds a series still needs to top its highest passing rate up to `knee_runs` knee runs; with
        `exploring`, what the printed rate needs should that exploring step miss (nothing when the rate to top up is
        the exploring rate itself)."""
        pending = knee.confirm_step(rows, slo_ms, self.plan.knee_runs, given_up)
        if pending is None or pending.rate == exploring:
            return 0.0
        return pending.runs * self._run_cost(pending.rate)

    def _committed(self, rows: Sequence[LadderRow], slo_ms: float, step: knee.KneeStep, given_up: set[int]) -> float:
        """Planned seconds a step commits to before it starts.

        A confirming step: all its runs. An exploring step: its first run, and what the rate printed after it needs
        either way: its own top-up to `knee_runs` runs should it pass, the top-up of the rate below should it miss.
        Its further runs (a first run over the SLO decides nothing) are made only while they fit beside that
        top-up (`_step`), so an exploring step near the end of the pool no longer waits for the room of all its
        runs, which left knees wide in the 7 December 15:00 run.
        """
        cost = self._run_cost(step.rate)
        if step.confirm:
            # should the top-up miss, the rate below that passed becomes the one printed and needs its own top-up
            return step.runs * cost + self._fallback_cost(rows, slo_ms, step, given_up)
        have = knee.knee_counts(rows)[step.rate]
        if_passes = max(0, self.plan.knee_runs - 1 - have) * cost
        return cost + max(if_passes, self._top_up_cost(rows, slo_ms, given_up, exploring=step.rate))

    def _fallback_cost(
        self, rows: Sequence[LadderRow], slo_ms: float, step: knee.KneeStep, given_up: set[int]
    ) -> float:
        """Planned seconds the rate printed after a confirming step that misses still needs: the top-up of the
        highest rate below it that passed (the 7 December 21:50 run topped up three single passes in a row that
        each missed, and ran out of time before the rate below them: no rate was established)."""
        return self._top_up_cost(rows, slo_ms, {*given_up, step.rate})

    def _choose(
        self, rows: Sequence[LadderRow], slo_ms: float, available: float, given_up: set[int]
    ) -> knee.KneeStep | None:
        """The next knee step for a series whose commitment (`_committed`) fits `available` seconds, or None.

        When an exploring step and the top-up it must keep room for do not fit, the top-up comes first: a search
        cut short still prints the highest rate it saw pass, from runs of knee length. A top-up keeps room for the
        top-up of the rate below should it miss; where both do not fit, the rate below is topped up first, but never
        one under the highest coarse-ladder rate that passed.
        """
        p = self.plan
        step = knee.next_knee_rate(rows, slo_ms, p.knee_step_pct, p.knee_runs, given_up)
        if step is None:
            return None
        if self._committed(rows, slo_ms, step, given_up) <= available:
            return step
        # the top-ups the rate printed could still need, highest first: the one of the rate passed so far, then of
        # each rate below it should the one above miss, down to the highest coarse-ladder rate that passed and no
        # further. Below it the chain's lowest rate, with no fallback to keep room for, always "fits": the 8 December
        # run spent Go's last /db pool confirming 4,071 req/s, under the 11,399 its ladder runs and a knee run had
        # passed
        ladder_rates = {r.offered_rps for r in rows if r.phase == "ladder"}
        chain: list[knee.KneeStep] = []
        candidate = step if step.confirm else knee.confirm_step(rows, slo_ms, p.knee_runs, given_up)
        while candidate is not None:
            chain.append(candidate)
            if candidate.rate in ladder_rates:
                break
            candidate = knee.confirm_step(rows, slo_ms, p.knee_runs, {*given_up, candidate.rate})
        # the highest whose top-up fits with room for the next one down should it miss: a safer rate confirmed beats
        # none established; where none does, the highest whose top-up alone fits
        for c in chain:
            if c is not step and self._committed(rows, slo_ms, c, given_up) <= available:
                return c
        return next((c for c in chain if c.runs * self._run_cost(c.rate) <= available), None)

    def _step(
        self,
        endpoint: str,
        stack: str,
        variant: str,
        peak: float,
        step: knee.KneeStep,
        before: Sequence[LadderRow],
        env: dict[str, str],
        slo_ms: float,
        available: float,
        given_up: set[int],
    ) -> tuple[list[LadderRow], float]:
        """One knee step: up to `step.runs` runs at its rate, each on a fresh server; an exploring step stops as soon
        as it is decided (report/sustained.py's `decided`). Returns the rows and their planned seconds.

        An exploring step makes a run after its first only while that run and the top-up the rate below would need
        fit `available`; one it cannot finish is added to `given_up` (the search counts it as missed)."""
        p = self.plan
        path = f"/{endpoint}"
        seconds = p.knee_run_s(step.rate)
        run_cost = self._run_cost(step.rate)
        if step.confirm:
            # room for the rate below's top-up should this one miss, where the step was chosen with it
            fallback = self._fallback_cost(before, slo_ms, step, given_up)
            reserve = fallback if step.runs * run_cost + fallback <= available else 0.0
        else:
            reserve = self._top_up_cost(before, slo_ms, given_up, exploring=step.rate)
        # numbered after the runs already made at this rate, so (stack, variant, endpoint, rate, run) stays a key
        first = max((r.run for r in before if r.offered_rps == step.rate), default=0)
        earlier = [r for r in before if r.offered_rps == step.rate and r.phase == "knee"]
        made: list[LadderRow] = []
        spent = 0.0
        for run in range(first + 1, first + step.runs + 1):
            if made and spent + run_cost + reserve > available:
                given_up.add(step.rate)
                self.progress.note(
                    f"  {stack} ({variant}) at {step.rate:,} req/s: no time left for the runs that would decide it; "
                    "the search counts it as missed"
                )
                break
            what = f"knee {path}: {stack} ({variant}) at {step.rate:,} req/s, run {run - first}/{step.runs}"
            self.progress.step(what, run_cost)
            began = self.clock()
            running = self.start(stack, variant, env)
            try:
                self.check(running)
                if p.knee_warmup_s:
                    self._one(running, path, max(1, round(peak / 2)), p.knee_warmup_s)
                row = make_row(stack, variant, endpoint, step.rate, run, *self._one(running, path, step.rate, seconds))
                made.append(replace(row, duration_s=seconds, phase="knee"))
            finally:
                self.registry.stop(running.proc)
            spent += self.clock() - began
            explore = len(earlier) + step.runs if step.confirm else EXPLORE_RUNS
            if decided(knee.runs_of([*earlier, *made]), slo_ms, explore):
                break
        return made, spent
