"""The bisection towards the knee: check a ladder pass at knee length, halve the bracket to 5 %, stop at the limit."""

from __future__ import annotations

from report.bench.knee import KneeStep, confirm_step, next_knee_rate
from report.bench.ladderplan import LadderRow


def _rows(rate: int, p99: float, n: int = 5, phase: str = "ladder", limited: int = 0) -> list[LadderRow]:
    return [
        LadderRow(
            "go",
            "baseline",
            "json",
            rate,
            run,
            float(rate),
            0.1,
            0.2,
            p99,
            p99,
            0,
            0,
            rate * 10,
            10.0,
            1.0,
            20.0,
            1.0,
            limited,
            10.0,
            phase,
        )
        for run in range(1, n + 1)
    ]


def test_a_ladder_pass_is_measured_at_knee_length_before_the_bisection_builds_on_it() -> None:
    coarse = [*_rows(1000, 2), *_rows(1200, 3), *_rows(1450, 30)]
    # 1,200 passed only on the short ladder runs, which longer runs often refute: measured at knee length first
    assert next_knee_rate(coarse, 10, 5) == KneeStep(1200, 5, False)
    # it passed 2 exploring runs; 1,200-1,450 (a ladder miss stands) is 21 % apart: their geometric middle
    checked = [*coarse, *_rows(1200, 3, n=2, phase="knee")]
    assert next_knee_rate(checked, 10, 5) == KneeStep(1319, 5, False)
    # 1,319 missed: 1,200-1,319 is 9.9 % apart, so again the middle
    assert next_knee_rate([*checked, *_rows(1319, 12, n=2, phase="knee")], 10, 5) == KneeStep(1258, 5, False)
    # 1,258 missed too: 4.8 % apart, so 1,200 is topped up to its five knee runs, then the knee is placed
    steps = [*checked, *_rows(1319, 12, n=2, phase="knee"), *_rows(1258, 11, n=2, phase="knee")]
    assert next_knee_rate(steps, 10, 5) == KneeStep(1200, 3, True)
    assert next_knee_rate([*steps, *_rows(1200, 4, n=3, phase="knee")], 10, 5) is None


def test_a_refuted_ladder_pass_walks_down_to_the_next_rung_before_bisecting() -> None:
    # the knee runs refute 1,200: 1,000 (ladder only) is measured at knee length next, not bisected above
    refuted = [*_rows(1000, 2), *_rows(1200, 3), *_rows(1200, 15, n=2, phase="knee"), *_rows(1450, 30)]
    assert next_knee_rate(refuted, 10, 5) == KneeStep(1000, 5, False)
    # once 1,000 passes at knee length: the middle of 1,000-1,200
    passed = [*refuted, *_rows(1000, 2, n=2, phase="knee")]
    assert next_knee_rate(passed, 10, 5) == KneeStep(1095, 5, False)


def test_the_bisection_stops_at_the_machine_s_limit_and_measures_a_passing_top_at_knee_length() -> None:
    # the generator fell behind at 1,450: the knee lies beyond this machine's limit, nothing above it is measured;
    # the rate below it that the short ladder runs passed is the bound printed, so it is measured at knee length
    limit = [*_rows(1000, 2), *_rows(1450, 3, limited=1)]
    assert next_knee_rate(limit, 10, 5) == KneeStep(1000, 5, False)
    assert next_knee_rate([*limit, *_rows(1000, 2, n=2, phase="knee")], 10, 5) == KneeStep(1000, 3, True)
    assert next_knee_rate([*limit, *_rows(1000, 2, n=5, phase="knee")], 10, 5) is None
    # ... and where it misses there, the search goes on below it
    below = [*_rows(500, 2), *limit, *_rows(1000, 12, n=2, phase="knee")]
    assert next_knee_rate(below, 10, 5) == KneeStep(500, 5, False)
    # every ladder rate passed: the top (the closed-loop peak) is measured at knee length ...
    assert next_knee_rate([*_rows(1000, 2), *_rows(1450, 3)], 10, 5) == KneeStep(1450, 5, False)
    # ... and when it passes there too, the knee lies above the ladder (a bound; the report says so)
    top = [*_rows(1000, 2), *_rows(1450, 3), *_rows(1450, 3, n=2, phase="knee")]
    assert next_knee_rate(top, 10, 5) == KneeStep(1450, 3, True)
    assert next_knee_rate([*top, *_rows(1450, 3, n=3, phase="knee")], 10, 5) is None


def test_an_exploring_step_s_clean_runs_are_topped_up_to_five_when_they_become_the_printed_rate() -> None:
    # 1,200 passed its 2 exploring runs and 1,258 missed (4.8 % apart): 3 more runs at 1,200, no more
    steps = [*_rows(1000, 2), *_rows(1200, 3, n=2, phase="knee"), *_rows(1258, 11, n=2, phase="knee")]
    assert next_knee_rate(steps, 10, 5) == KneeStep(1200, 3, True)
    assert next_knee_rate([*steps, *_rows(1200, 4, n=3, phase="knee")], 10, 5) is None


def test_when_the_lowest_rate_already_misses_the_search_goes_down_by_quarters_to_an_eighth() -> None:
    coarse = [*_rows(992, 11), *_rows(1983, 16)]
    assert next_knee_rate(coarse, 10, 5) == KneeStep(744, 5, False)
    # 744 passed: bisect between it and 992
    assert next_knee_rate([*coarse, *_rows(744, 4, n=2, phase="knee")], 10, 5) == KneeStep(859, 5, False)
    # 744 missed too: a quarter down again each time, down to an eighth of the lowest coarse rate (124), never below
    missed = [*coarse, *_rows(744, 12, n=2, phase="knee")]
    assert next_knee_rate(missed, 10, 5) == KneeStep(558, 5, False)
    deeper = list(missed)
    for rate in (558, 418, 314, 236, 177, 133):
        assert next_knee_rate(deeper, 10, 5) == KneeStep(rate, 5, False)
        deeper += _rows(rate, 12, n=2, phase="knee")
    assert next_knee_rate(deeper, 10, 5) is None  # 99 would be under 124


def test_the_top_up_pending_is_the_highest_rate_that_passed_without_the_rule_s_runs() -> None:
    # 9,927 sustained on the ladder; 14,039 and 16,695 passed 3 exploring runs each; 18,206 missed
    rows = [
        *_rows(9927, 2),
        *_rows(14039, 3, n=3, phase="knee"),
        *_rows(16695, 3, n=3, phase="knee"),
        *_rows(18206, 12, n=2, phase="knee"),
    ]
    assert confirm_step(rows, 10) == KneeStep(16695, 2, True)
    # a coarse rate too short to judge, below the first miss, needs all five
    assert confirm_step([*_rows(980, 2, n=5), *_rows(1024, 12, n=2, phase="knee")], 10) == KneeStep(980, 5, True)
    # a rate sustained on the short ladder runs alone is topped up too (longer runs can miss it) ...
    ladder_only = [*_rows(9927, 2), *_rows(18206, 12, n=2, phase="knee")]
    assert confirm_step(ladder_only, 10) == KneeStep(9927, 5, True)
    # ... and nothing is pending once the highest pass has its five knee runs
    assert confirm_step([*ladder_only, *_rows(9927, 2, phase="knee")], 10) is None


def test_a_rate_given_up_counts_as_missed_so_the_rate_below_is_topped_up_and_nothing_above_it_explored() -> None:
    # 1,000 passed one exploring run; 1,100 went over once and the time left could not decide it; 1,450 missed
    rows = [*_rows(1000, 2, n=1, phase="knee"), *_rows(1100, 12, n=1, phase="knee"), *_rows(1450, 30)]
    # by its runs alone 1,100 is open (one run over is allowed): the search would build on it ...
    assert confirm_step(rows, 10) == KneeStep(1100, 4, True)
    # ... given up, it ends the walk: 1,000 is the rate to top up, and the search looks only below 1,100
    assert confirm_step(rows, 10, given_up={1100}) == KneeStep(1000, 4, True)
    assert next_knee_rate(rows, 10, 5, given_up={1100}) == KneeStep(1049, 5, False)
    assert next_knee_rate(rows, 10, 5) == KneeStep(1263, 5, False)  # not given up: the middle above it
