from __future__ import annotations

from report.results.intervals import median_interval, ratio_interval


def test_the_median_interval_lies_within_the_runs_and_is_seeded() -> None:
    values = [10.0, 11.0, 12.5, 13.0, 30.0]
    low, high = median_interval(values)
    assert 10.0 <= low <= 12.5 <= high <= 30.0
    assert median_interval(values) == (low, high)  # same runs, same interval: the PDF stays byte-identical


def test_one_value_is_its_own_interval() -> None:
    assert median_interval([4.2]) == (4.2, 4.2)


def test_the_ratio_interval_holds_the_ratio_of_medians() -> None:
    low, high = ratio_interval([10.0, 11.0, 12.0], [5.0, 5.5, 6.0])
    assert low <= 2.0 <= high
    assert low >= 10.0 / 6.0 and high <= 12.0 / 5.0
