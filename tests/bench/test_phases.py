"""What the ladder cost the load side (for the notes), and what every service gets to reach PostgreSQL."""

from __future__ import annotations

from report.bench.ladderplan import LadderRow
from report.bench.phases import DB_POOL_SIZE, ladder_notes, load_generator


def _row(offered: int, cpu: float, busy: float, requests: int, limited: int = 0) -> LadderRow:
    return LadderRow(
        "go", "baseline", "json", offered, 1, offered, 1, 2, 3, 4, 0, 0, requests, cpu, cpu * 2, busy, 0.0, limited
    )


def test_no_ladder_no_cost() -> None:
    assert ladder_notes([]) == {}


def test_cost_figures_take_the_upper_half_of_the_ladder_for_busy_and_per_request() -> None:
    rows = [_row(100, 10.0, 20.0, 500), _row(400, 30.0, 95.0, 2000, 1), _row(300, 50.0, 80.0, 1500)]
    cost = ladder_notes(rows)
    assert cost["generator_cpu_median_pct"] == 30.0 and cost["generator_cpu_max_pct"] == 50.0
    assert cost["generator_us_per_request_median"] == 80.0  # median of 60 and 100: rates at or over 200
    assert cost["load_core_busy_median_pct"] == 87.5 and cost["load_core_busy_max_pct"] == 95.0
    assert (cost["saturated_runs"], cost["limited_runs"], cost["fewest_requests"], cost["runs"]) == (1, 1, 500, 3)


def test_pool_size() -> None:
    assert DB_POOL_SIZE == 8  # the notes and every service's DB_POOL_SIZE say the same


def test_the_load_generator_is_what_the_runs_showed_never_an_extrapolation() -> None:
    # every run kept schedule up to 400 req/s: that is the most the data says, not 400 × 90 % / 45 %
    rows = [_row(100, 5.0, 10.0, 500), _row(300, 15.0, 30.0, 1500), _row(400, 20.0, 45.0, 2000)]
    doc = load_generator(rows, [50.0, 95.0])
    assert doc == {
        "highest_on_schedule_rps": {"json": 400.0},
        "cpu_us_per_request": {"json": 30.0},
        "wrk_saturated_runs": 1,
        "ladder_cost": ladder_notes(rows),  # what the notes print, as numbers
    }
    # one run at 600 fell behind: 600 is the lowest rate behind, 400 still the highest where all kept schedule
    behind = [*rows, _row(600, 80.0, 99.0, 3000, 1), _row(600, 20.0, 40.0, 3000)]
    doc = load_generator(behind, [])
    assert doc is not None and doc["highest_on_schedule_rps"] == {"json": 400.0}
    assert doc["lowest_behind_rps"] == {"json": 600.0}
    assert load_generator([], []) is None
    # every run behind (a busy shared machine): no rate on schedule, and the cost from the runs there are
    allbehind = [_row(300, 15.0, 99.0, 1500, 1), _row(400, 20.0, 99.0, 2000, 1)]
    assert load_generator(allbehind, []) == {
        "cpu_us_per_request": {"json": 35.0},
        "lowest_behind_rps": {"json": 300.0},
        "wrk_saturated_runs": 0,
        "ladder_cost": ladder_notes(allbehind),
    }


def test_the_busiest_runs_start_at_the_lowest_whole_rate_they_include() -> None:
    # half of 401 is 200.5: the runs counted as busiest are those offered 201 req/s or more, and the note says 201
    # (review 12 found "53,016" printed for a half of 53,016.5, rounded to even)
    rows = [_row(200, 10.0, 20.0, 500), _row(201, 10.0, 20.0, 500), _row(401, 10.0, 20.0, 500)]
    assert ladder_notes(rows)["busiest_from_rps"] == 201.0
