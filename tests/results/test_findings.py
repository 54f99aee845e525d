"""The findings: each measured area's medians come from its runs, the order and headline figures follow from
them, and the tie rule decides who is named first. Expected medians are computed here with the csv module."""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict

import pytest

from report import pipeline
from report.results.findings import MEMORY_UNIT, Area, measured_areas
from report.results.stats import Spread
from tests.conftest import DATA

NAMES = {"go": "Go", "bun": "Bun", "fastapi": "FastAPI"}


@pytest.fixture(scope="module")
def areas() -> dict[str, Area]:
    return measured_areas(pipeline.compute(pipeline.load(DATA)).stats)


def _startup_medians() -> dict[str, float]:
    runs: dict[str, list[float]] = defaultdict(list)
    with (DATA / "benchmarks" / "startup.csv").open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            runs[row["stack"]].append(float(row["startup_ms"]))
    return {stack: statistics.median(values) for stack, values in runs.items()}


def test_the_areas_and_their_units(areas: dict[str, Area]) -> None:
    assert list(areas) == ["startup", "memory", "memory_idle", "throughput", "latency"]
    assert (areas["startup"].unit, areas["memory"].unit, areas["throughput"].unit) == ("ms", MEMORY_UNIT, "req/s")
    assert [a.lower_is_better for a in areas.values()] == [True, True, True, False, True]


def test_startup_medians_order_and_ratio_come_from_the_csv(areas: dict[str, Area]) -> None:
    startup = areas["startup"]
    expected = _startup_medians()
    assert startup.values == pytest.approx(expected)
    assert startup.order == sorted(expected, key=expected.__getitem__)
    assert (startup.best, startup.worst) == (startup.order[0], startup.order[-1])
    assert startup.spread_ratio == pytest.approx(expected[startup.worst] / expected[startup.best])


def _spread(*runs: float) -> Spread:
    ordered = sorted(runs)
    return Spread(
        statistics.median(ordered), ordered[0], ordered[-1], ordered[0], ordered[-1], len(ordered), tuple(ordered)
    )


def test_overlapping_runs_are_a_tie_and_both_are_named() -> None:
    names = {"go": "Go", "bun": "Bun", "py": "FastAPI"}
    tie = Area(
        "startup",
        "Startup time",
        "ms",
        True,
        {"go": _spread(4, 5, 6), "bun": _spread(5, 6, 7), "py": _spread(200, 210, 220)},
        0,
    )
    assert tie.standing.tie
    assert tie.leaders(names) == "Go and Bun"
    clear = Area(
        "startup",
        "Startup time",
        "ms",
        True,
        {"go": _spread(4, 5, 6), "bun": _spread(20, 21, 22), "py": _spread(200, 210, 220)},
        0,
    )
    assert not clear.standing.tie
    assert clear.leaders(names) == "Go"
    assert clear.text("go") == "5 ms"


def test_a_gap_from_one_of_several_load_levels_names_its_level(areas: dict[str, Area]) -> None:
    """Review 7: "12× as many as FastAPI" followed "at every load level measured (50 and 100 connections)", but 12×
    was the top level's ratio alone; the gap names its level unless the claim before it already does."""
    tp = areas["throughput"]
    assert tp.level == 50 and areas["latency"].level == 50 and areas["startup"].level is None
    assert tp.gap(NAMES).endswith(" at 50 connections")
    assert not tp.gap(NAMES, "Go has the lowest p99 latency at 50 connections only").endswith("connections")
    assert not areas["startup"].gap(NAMES).endswith("connections")
