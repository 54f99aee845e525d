"""`lead-magnet bench`'s options and the method parameters (the Plan) they set."""

from __future__ import annotations

import argparse
from dataclasses import replace

from report.bench.errors import BenchError
from report.bench.ladderplan import FULL_LADDER, QUICK_LADDER
from report.bench.plan import DB_PLACEMENTS, Plan
from report.bench.stacks import BSP_DEFAULTS, STACK_IDS

QUICK_BSP_SCHEDULE_DELAY_MS = 200
# seconds per measured closed-loop run: TechEmpower's 15 s per concurrency level, the floor expert readers expect
# (../shared/BENCHMARK_METHOD.md); the 7 December 11:28 run's 10 s broke it
CLOSED_LOOP_S = 15


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `lead-magnet bench`."""
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 1 s wrk runs, 0.5 s ladder rates, 1 round, concurrency 10, no warm-ups or retries",
    )
    parser.add_argument(
        "--stacks",
        default=",".join(STACK_IDS),
        help="comma-separated stacks to measure (default: go,bun,fastapi)",
    )
    parser.add_argument("--out", default="data/benchmarks", help="directory for the five files")
    parser.add_argument("--rounds", type=int, help="interleaved load rounds (default 3; --quick 1)")
    parser.add_argument("--duration", type=int, help="seconds per measured wrk run (default 15; --quick 1)")
    parser.add_argument(
        "--startup-runs",
        type=int,
        help="startup runs per stack incl. the discarded first (default 21; --quick 2)",
    )
    parser.add_argument("--concurrency", help="comma-separated wrk connection counts (default 50,100)")
    parser.add_argument(
        "--ladder", help="open-loop offered rates as %% of each stack's wrk peak (default 25,50,70,85,100,115)"
    )
    parser.add_argument("--ladder-runs", type=int, help="open-loop runs per offered rate (default 5; --quick 1)")
    parser.add_argument(
        "--ladder-duration", type=float, help="seconds per coarse offered rate (default 1.5; --quick 0.5)"
    )
    parser.add_argument("--db-concurrency", help="comma-separated wrk connection counts on /db (default 50)")
    parser.add_argument("--no-db", action="store_true", help="skip the /db endpoint and PostgreSQL")
    parser.add_argument(
        "--db-placement",
        choices=DB_PLACEMENTS,
        default="split",
        help="PostgreSQL's cores: split over both (default), the load core, or the service's core",
    )
    parser.add_argument(
        "--traces-only",
        action="store_true",
        help="only the span probes: capture one trace per stack, variant and endpoint and write traces.json alone",
    )
    parser.add_argument(
        "--hosts", help="a hosts file naming the service, load and database hosts (SSH); see services/README.md"
    )


def make_plan(args: argparse.Namespace, stacks: list[str], load_cores: int) -> Plan:
    """Method parameters from the options."""
    quick = bool(args.quick)
    conc = args.concurrency or ("10" if quick else "50,100")
    try:
        concurrency = [int(c) for c in conc.split(",") if c.strip()]
    except ValueError as exc:
        raise BenchError(f"--concurrency: expected comma-separated integers, got {conc!r}") from exc
    base = QUICK_LADDER if quick else FULL_LADDER
    try:
        pct = tuple(float(c) for c in args.ladder.split(",") if c.strip()) if args.ladder else base.ladder_pct
        db_conc = tuple(int(c) for c in (args.db_concurrency or ("10" if quick else "50")).split(",") if c.strip())
    except ValueError as exc:
        raise BenchError("--ladder and --db-concurrency: expected comma-separated numbers") from exc
    ladder = replace(
        base,
        ladder_pct=pct,
        runs=args.ladder_runs or base.runs,
        duration_s=args.ladder_duration or base.duration_s,
    )
    if not pct or min(pct) <= 0 or ladder.runs < 1 or ladder.runs > 20 or not 0 < ladder.duration_s <= 600:
        raise BenchError("bad ladder: need positive percentages, 1-20 runs, up to 600 s per rate")
    if not db_conc or min(db_conc) < 1:
        raise BenchError("--db-concurrency: expected positive integers")
    # The smoke run (--quick) checks that every phase runs and writes well-formed files; its numbers are never
    # shipped, so it has no warm-ups, no contention retries, and a shorter batch delay (written to
    # environment.yaml) that shortens every wait for the exporters to go quiet. The full run keeps the method.
    plan = Plan(
        stacks=stacks,
        startup_runs=args.startup_runs or (2 if quick else 21),
        rounds=args.rounds or (1 if quick else 3),
        concurrency=concurrency,
        warmup_s=0 if quick else 2,
        duration_s=args.duration or (1 if quick else CLOSED_LOOP_S),
        idle_settle_s=0.2 if quick else 1.0,
        probe_requests=20 if quick else 200,
        contention_pct=10.0,
        max_retries=0 if quick else 3,
        quiet_wait_s=0.0 if quick else 20.0,
        retry_budget=0 if quick else 40,
        wrk_threads=max(1, load_cores),
        ladder=ladder,
        db_concurrency=db_conc,
        db=not getattr(args, "no_db", False),
        db_placement=getattr(args, "db_placement", "split"),
        bsp_schedule_delay_ms=QUICK_BSP_SCHEDULE_DELAY_MS if quick else BSP_DEFAULTS["OTEL_BSP_SCHEDULE_DELAY"],
    )
    if (
        plan.startup_runs < 2
        or plan.rounds < 1
        or plan.duration_s < 1
        or not concurrency
        or min(concurrency) < 1
        or plan.rounds > 20
        or plan.duration_s > 600
        or plan.startup_runs > 500
    ):
        raise BenchError(
            "bad method parameters: need 2-500 startup runs, 1-20 rounds, 1-600 s duration, positive concurrency"
        )
    return plan


def parse_stacks(text: str) -> list[str]:
    """Validated stack ids, in the canonical order."""
    asked = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in asked if s not in STACK_IDS]
    if bad or not asked:
        raise BenchError(f"--stacks: unknown {', '.join(bad) or '(none)'}; expected some of {', '.join(STACK_IDS)}")
    return [s for s in STACK_IDS if s in asked]
