"""The measurements added for issue 12: the /db endpoint's closed-loop peak and the open-loop latency ladders.

Both run inside the harness session (report/bench/session.py) with its registry, pinning and progress; the /db
phases run against a throwaway PostgreSQL cluster (report/bench/postgres.py) pinned to the load core, so the
server's core measures only the service, as with a database on another machine (RDS in the blog's setup).
"""

from __future__ import annotations

import json
import math
import statistics
from typing import TYPE_CHECKING, Any

from report.bench.errors import BenchError
from report.bench.ladderplan import LadderRow, peak_by_series
from report.bench.postgres import ROWS, Database
from report.bench.results import WRK_SATURATED_PCT
from report.bench.service import Running, get
from report.inputs.config import DEFAULT_SLO_MS

if TYPE_CHECKING:
    from report.bench.session import Session

DB_POOL_SIZE = 8
EXPECTED_JSON = b'{"message":"hello","ok":true,"items":[1,2,3]}'


def db_env(db: Database) -> dict[str, str]:
    """What every service variant gets to reach the cluster."""
    return {"DATABASE_URL": db.url, "DB_POOL_SIZE": str(DB_POOL_SIZE)}


def check_db(running: Running) -> None:
    """GET /db answers 200 with one row of `world`: {"id": 1..10000, "randomNumber": int}."""
    status, body = get(running.port, "/db", host=running.host)
    try:
        doc = json.loads(body)
        ok = (
            isinstance(doc, dict)
            and set(doc) == {"id", "randomNumber"}
            and isinstance(doc["id"], int)
            and 1 <= doc["id"] <= ROWS
            and isinstance(doc["randomNumber"], int)
        )
    except ValueError:
        ok = False
    if status != 200 or not ok:
        raise BenchError(
            f"{running.stack} ({running.variant}): GET /db returned {status} {body[:80]!r}, "
            'expected 200 {"id":<1..10000>,"randomNumber":<int>}'
        )


def check_json(running: Running) -> None:
    """GET /json answers 200 with the expected body."""
    status, body = get(running.port, "/json", host=running.host)
    if status != 200 or body.replace(b" ", b"") != EXPECTED_JSON:
        raise BenchError(f"{running.stack} ({running.variant}): GET /json returned {status} {body[:80]!r}")


def db_peak(bench: Session, db: Database) -> None:
    """wrk on /db: interleaved rounds, a fresh server each, warm-up discarded; peak RSS under /db load."""
    p = bench.plan
    env = db_env(db)
    for rnd in range(1, p.rounds + 1):
        for v_index, variant in enumerate(p.ladder.variants):
            k = (rnd - 1 + v_index) % len(p.stacks)
            for stack in [*p.stacks[k:], *p.stacks[:k]]:
                bench.progress.step(f"/db round {rnd}/{p.rounds}: {stack} ({variant}) start", 1.0)
                running = bench._start(stack, variant, env_extra=env)
                try:
                    check_db(running)
                    bench._load_samples = []
                    for conc in p.db_concurrency:
                        what = f"/db round {rnd}/{p.rounds}: {stack} ({variant}) c={conc}"
                        if p.warmup_s:
                            bench.progress.step(f"{what} warm-up", p.warmup_s)
                            bench._wrk(running.port, conc, p.warmup_s, running.proc.pid, sample=False, path="/db")
                        bench.progress.step(f"{what} measuring {p.duration_s}s", p.duration_s)
                        row = bench._one_load_run(running, conc, rnd, path="/db")
                        row.endpoint = "db"
                        bench.results.throughput.append(row)
                    peak = max((s.rss_mb for s in bench._load_samples), default=0.0)
                finally:
                    bench.registry.stop(running.proc)
                bench.results.extra_memory.append((stack, variant, "db_rss_load_peak", rnd, peak))


def ladders(bench: Session, endpoint: str, env: dict[str, str], after_s: float | None = None) -> None:
    """The open-loop ladder on one endpoint, at shares of each stack's closed-loop peak on it; with `after_s`
    (Bench.planned_after) its knees may also spend what earlier phases left of the plan beyond those seconds."""
    runner = bench._ladder_runner(check_db if endpoint == "db" else check_json)
    peaks = peak_by_series(
        [(r.endpoint, r.variant, r.stack, r.concurrency, r.requests_per_sec) for r in bench.results.throughput]
    )
    slo = {str(k): v for k, v in DEFAULT_SLO_MS.items()}[endpoint]  # the report's default: the knee sought
    bench.results.latency.extend(runner.run(endpoint, bench.plan.stacks, peaks, env, slo_ms=slo, after_s=after_s))
    bench.results.ladder_retries += runner.retries


def ladder_notes(rows: list[LadderRow]) -> dict[str, float]:
    """What the load side cost during the ladders, for environment.yaml's notes."""
    if not rows:
        return {}
    top = max(r.offered_rps for r in rows)
    busiest = [r for r in rows if r.offered_rps >= top / 2] or rows
    return {
        "generator_cpu_median_pct": statistics.median(r.generator_cpu_pct for r in rows),
        "generator_cpu_max_pct": max(r.generator_cpu_pct for r in rows),
        # the lowest whole rate counted among the busiest: half the top, rounded up (53,016.5 includes 53,017, not
        # 53,016; review 12 found the note printing 53,016)
        "busiest_from_rps": float(math.ceil(top / 2)),
        "generator_us_per_request_median": statistics.median(r.generator_cpu_us_per_request for r in busiest),
        "load_core_busy_median_pct": statistics.median(r.load_core_busy_pct for r in busiest),
        "load_core_busy_max_pct": max(r.load_core_busy_pct for r in rows),
        "saturated_runs": float(sum(1 for r in rows if r.load_core_busy_pct > 90.0)),
        "limited_runs": float(sum(r.load_limited for r in rows)),
        "fewest_requests": float(min(r.requests for r in rows)),
        "runs": float(len(rows)),
    }


def load_generator(rows: list[LadderRow], wrk_cpu: list[float]) -> dict[str, Any] | None:
    """environment.yaml's load_generator: what the open-loop runs themselves showed of the load side, per endpoint.

    Measured only, never extrapolated: the highest rate offered at which every run kept its schedule, the lowest
    at which a run fell behind, and oha's CPU per request in the runs that kept schedule.
    """
    out: dict[str, dict[str, float]] = {
        "highest_on_schedule_rps": {},
        "cpu_us_per_request": {},
        "lowest_behind_rps": {},
    }
    for endpoint in sorted({r.endpoint for r in rows}):
        mine = [r for r in rows if r.endpoint == endpoint]
        behind: dict[int, list[int]] = {}
        for r in mine:
            behind.setdefault(r.offered_rps, []).append(r.load_limited)
        kept = [rate for rate, flags in behind.items() if not any(flags)]
        lowest = min((rate for rate, flags in behind.items() if any(flags)), default=None)
        if kept:
            out["highest_on_schedule_rps"][endpoint] = float(max(kept))
        if lowest is not None:
            out["lowest_behind_rps"][endpoint] = float(lowest)
        cost = [r for r in mine if not r.load_limited and r.requests] or [r for r in mine if r.requests]
        if cost:
            out["cpu_us_per_request"][endpoint] = round(
                statistics.median(r.generator_cpu_us_per_request for r in cost), 1
            )
    if not out["cpu_us_per_request"]:
        return None
    doc: dict[str, Any] = {k: v for k, v in out.items() if v}
    doc["wrk_saturated_runs"] = sum(1 for c in wrk_cpu if c >= WRK_SATURATED_PCT)
    # the figures the generator_cost and load_limited notes print, as numbers (the results JSON carries them)
    doc["ladder_cost"] = ladder_notes(rows)
    return doc
