"""Statistics: medians, quartiles, winners and the cost of tracing."""

from __future__ import annotations

import statistics
from pathlib import Path

import pandas as pd
import pytest

from report.inputs.data import load_benchmarks
from report.results.numbers import fmt
from report.results.stats import compute, median, ranking, spread

STACKS = ["go", "bun", "fastapi"]


def test_spread_of_runs() -> None:
    s = spread(pd.Series([5.0, 1.0, 3.0, 2.0, 4.0]))
    assert (s.median, s.min, s.max, s.n) == (3.0, 1.0, 5.0, 5)
    assert (s.q1, s.q3) == (2.0, 4.0)
    assert s.values == (1.0, 2.0, 3.0, 4.0, 5.0)


def test_medians_match_the_csv(data_dir: Path) -> None:
    bench, _ = load_benchmarks(data_dir, "data", STACKS)
    assert bench is not None
    stats = compute(bench, STACKS)
    go_runs = [
        float(line.split(",")[2])
        for line in (data_dir / "benchmarks" / "startup.csv").read_text().splitlines()
        if line.startswith("go,")
    ]
    assert stats.startup["go"].median == pytest.approx(statistics.median(go_runs))
    assert stats.levels == [10, 50]
    assert stats.variants == ["baseline", "otel"]
    cost = stats.otel_cost()
    expected = stats.load[("otel", 50, "fastapi")].rps.median / stats.load[("baseline", 50, "fastapi")].rps.median
    assert cost["fastapi"] == pytest.approx(expected)


def test_ranking_orders_best_first_and_keeps_display_order_on_ties() -> None:
    assert ranking({"a": 3.0, "b": 1.0, "c": 2.0}, lower_is_better=True) == ["b", "c", "a"]
    assert ranking({"a": 3.0, "b": 1.0, "c": 3.0}, lower_is_better=False) == ["a", "c", "b"]


def test_a_median_between_two_runs_is_the_decimal_midpoint() -> None:
    # 50.8 and 50.9 MiB: the median is 50.85 and prints 50.9 (binary arithmetic gave 50.849999… and 50.8)
    assert fmt(spread([50.8, 50.9]).median, 1) == "50.9"
    assert fmt(median([0.958, 0.971]), 3) == "0.965"


def test_p99_carries_its_round_to_round_drift_with_the_machine_speed_taken_out() -> None:
    """Review 12: the tie rule's drift half applies to latency too. Each round's p99 is scaled by the round's
    calibration reading (a slower machine reads a longer p99, so the reading divides), then range ÷ median."""
    from report.results.stats import round_calibration
    from tests.conftest import BUNDLED

    bench, _ = load_benchmarks(BUNDLED, "data", ["go", "bun", "fastapi"])
    assert bench is not None
    stats = compute(bench, ["go", "bun", "fastapi"])
    cal = bench.environment.calibration
    assert cal is not None
    per_round = round_calibration((r.at, r.ms) for r in cal.readings)
    tp = bench.throughput
    rows = tp[(tp["endpoint"] == "json") & (tp["variant"] == "baseline") & (tp["concurrency"] == 50)]
    bun = rows[rows["stack"] == "bun"]
    mid = statistics.median(1 / per_round[int(r)] for r in bun["run"])
    scaled = [p99 / per_round[int(r)] / mid for r, p99 in zip(bun["run"], bun["latency_p99_ms"], strict=True)]
    expected = (max(scaled) - min(scaled)) / statistics.median(scaled)
    runs = stats.load[("baseline", 50, "bun")].p99_runs
    assert runs is not None
    got = runs.drift
    assert got == pytest.approx(expected) and got > 0.09  # Bun's 9 % lead over Go at 50 connections is within it
