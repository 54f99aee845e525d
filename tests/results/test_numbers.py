"""One number formatter for the whole report: thousands separators, fixed decimals, a half rounded up."""

from __future__ import annotations

import pytest

from report.results.numbers import fmt, percent, ratio


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (75166.5, 0, "75,167"),  # Python's own formatting gave 75,166 (half to even)
        (107382.5, 0, "107,383"),
        (2.25, 1, "2.3"),
        (0.125, 2, "0.13"),
        (1434.895, 1, "1,434.9"),
        (-0.04, 1, "0.0"),
        (4.0, 2, "4.00"),
    ],
)
def test_fmt_rounds_half_up(value: float, decimals: int, text: str) -> None:
    assert fmt(value, decimals) == text


def test_percent_is_whole_by_default_and_rounds_half_up() -> None:
    assert percent(0.15442) == "15%"
    assert percent(0.625) == "63%"
    assert percent(0.15442, 1) == "15.4%"


def test_ratio() -> None:
    assert ratio(39.96) == "40×"
    assert ratio(9.96) == "10×"
    assert ratio(4.55) == "4.6×"
