"""`lead-magnet bench`'s options: stacks in canonical order, defaults for full and smoke runs, bad values refused."""

from __future__ import annotations

import argparse

import pytest

from report.bench.errors import BenchError
from report.bench.ladderplan import FULL_LADDER, QUICK_LADDER
from report.bench.options import add_arguments, make_plan, parse_stacks
from report.bench.plan import Plan
from report.bench.stacks import BSP_DEFAULTS


def _plan(*argv: str, load_cores: int = 1) -> Plan:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return make_plan(parser.parse_args(list(argv)), ["go", "bun"], load_cores)


def test_stacks_come_back_in_canonical_order() -> None:
    assert parse_stacks("fastapi, go") == ["go", "fastapi"]
    with pytest.raises(BenchError, match="unknown rust; expected some of go, bun, fastapi"):
        parse_stacks("go,rust")
    with pytest.raises(BenchError, match=r"unknown \(none\)"):
        parse_stacks(" , ")


def test_full_and_quick_defaults() -> None:
    full, quick = _plan(load_cores=3), _plan("--quick")
    assert (full.rounds, full.duration_s, full.startup_runs, full.concurrency) == (3, 15, 21, [50, 100])
    assert (quick.rounds, quick.duration_s, quick.startup_runs, quick.concurrency) == (1, 1, 2, [10])
    assert full.ladder == FULL_LADDER and quick.ladder == QUICK_LADDER
    # the full run's method: warm-ups, contention retries and the SDKs' default batch delay
    assert (full.warmup_s, full.max_retries, full.quiet_wait_s, full.retry_budget) == (2, 3, 20.0, 40)
    assert full.bsp_schedule_delay_ms == BSP_DEFAULTS["OTEL_BSP_SCHEDULE_DELAY"] == 1000
    assert full.ladder.retry_budget == 10
    # the smoke run only checks that every phase works: no warm-ups, retries or re-measured rates, a short delay
    assert (quick.warmup_s, quick.max_retries, quick.retry_budget, quick.ladder.retry_budget) == (0, 0, 0, 0)
    assert quick.bsp_schedule_delay_ms == 200
    assert full.wrk_threads == 3 and full.db and full.db_concurrency == (50,)
    assert not _plan("--no-db").db


def test_options_override_defaults() -> None:
    plan = _plan("--rounds", "5", "--concurrency", "20,40", "--ladder", "50,100", "--db-concurrency", "8,16")
    assert (plan.rounds, plan.concurrency, plan.ladder.ladder_pct, plan.db_concurrency) == (
        5,
        [20, 40],
        (50.0, 100.0),
        (8, 16),
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--concurrency", "ten"], "--concurrency: expected comma-separated integers"),
        (["--rounds", "21"], "bad method parameters"),
        (["--startup-runs", "1"], "bad method parameters"),
        (["--ladder", "0,50"], "bad ladder"),
        (["--db-concurrency", "0"], "--db-concurrency: expected positive integers"),
    ],
)
def test_bad_values_are_one_line_errors(argv: list[str], message: str) -> None:
    with pytest.raises(BenchError, match=message):
        _plan(*argv)
