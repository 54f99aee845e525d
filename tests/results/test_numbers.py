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
        (0.9645, 3, "0.965"),  # the float is 0.96449999…: half up on the decimal text, not the binary value
        (50.85, 1, "50.9"),  # the float is 50.84999…
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


def test_no_module_formats_a_number_past_the_one_formatter() -> None:
    # f"{x:.2f}" rounds the binary value half to even (0.9645 -> 0.964): every printed number goes through fmt
    import re
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "report"
    offenders = [
        f"{path.name}:{n}"
        for path in sorted(package.glob("*.py"))
        if path.name != "numbers.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\{[^{}]*:,?\.\d+f\}", line) and "KiB" not in line and " s (" not in line
    ]
    assert offenders == []
