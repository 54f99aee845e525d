"""The rule for "sustained" on its own: which runs count, the tail-sample floor, and the knee walk."""

from __future__ import annotations

from report.results.sustained import Knee, Run, decided, kept_schedule, knee, printable, verdict


def _runs(p99s: tuple[float, ...], kept: tuple[bool, ...] | None = None, requests: float = 50_000) -> list[Run]:
    return [Run(1000, 1000, v, 0, requests, k) for v, k in zip(p99s, kept or (True,) * len(p99s), strict=True)]


def test_only_runs_that_kept_schedule_count() -> None:
    assert kept_schedule(89.9, 24.9) and not kept_schedule(90.0, 0.0) and not kept_schedule(10.0, 25.0)
    # five good runs and one where the generator fell behind: no evidence either way at this rate
    assert verdict(_runs((2, 2, 2, 2, 2, 2), (True,) * 5 + (False,)), 10) == "limited"
    # but two counted misses decide against the rate whatever the others did
    assert verdict(_runs((20, 20, 2), (True, True, False)), 10) == "missed"


def test_a_percentile_prints_only_with_100_requests_beyond_it() -> None:
    assert printable([10_000, 20_000], 0.99) and not printable([10_000, 9_000], 0.99)
    assert not printable([99_999], 0.999) and printable([100_000], 0.999) and not printable([], 0.99)
    assert verdict(_runs((2,) * 5, requests=5_000), 10) == "not_established"


def test_the_knee_walk() -> None:
    assert knee([(100, "sustained"), (200, "missed")]) == Knee(100, "missed", 200)
    assert knee([(100, "sustained"), (200, "limited")]) == Knee(100, "limited", 200)
    assert knee([(100, "sustained"), (200, "sustained")]).bound
    assert knee([(100, "missed")]) == Knee(None, "none", 100)
    assert knee([(100, "not_established")]) == Knee(None, "unknown", None)


def test_an_exploring_step_stops_once_more_runs_could_not_change_the_search() -> None:
    # two counted runs over the SLO: missed for good, whatever follows
    assert decided(_runs((20, 20)), 10, 3) and not decided(_runs((20, 2)), 10, 3)
    # three clean runs: it passes for the search (topped up to five if it becomes the printed rate)
    assert decided(_runs((2, 2, 2)), 10, 3) and not decided(_runs((2, 2)), 10, 3)
    # one over in three: undecided until the full five
    assert not decided(_runs((2, 20, 2)), 10, 3) and not decided(_runs((2, 20, 2, 2)), 10, 5)
    # the generator fell behind in one of three: a limited rate ends the search
    assert decided(_runs((2, 2, 2), (True, False, True)), 10, 3)
