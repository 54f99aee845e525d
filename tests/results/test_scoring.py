"""Measured areas scored on log ratios with ties scored equal; robustness of the ranking to the weights."""

from __future__ import annotations

import pytest

from report.inputs.rubric import Scale
from report.results.scoring import measured_scores, robustness
from report.results.stats import spread

SCALE = Scale(min=1, max=5)


def test_overlapping_ranges_score_the_same_as_the_best() -> None:
    # Bun's startup runs reach Go's range: the 3.5 ms between medians must not cost it points
    scores = measured_scores({"go": spread([6.5, 7.6, 14.5]), "bun": spread([9.7, 11.1, 16.4])}, True, SCALE)
    assert scores == {"go": 5.0, "bun": 5.0}


def test_each_doubling_of_the_gap_costs_one_point_down_to_the_minimum() -> None:
    scores = measured_scores(
        {"a": spread([10, 10]), "b": spread([20, 20]), "c": spread([40, 40]), "d": spread([4000, 4000])}, True, SCALE
    )
    assert scores == pytest.approx({"a": 5.0, "b": 4.0, "c": 3.0, "d": 1.0})


def test_higher_is_better_uses_the_inverse_ratio() -> None:
    scores = measured_scores({"a": spread([100, 100]), "b": spread([50, 50])}, False, SCALE)
    assert scores == pytest.approx({"a": 5.0, "b": 4.0})


def test_robustness_is_deterministic_and_shares_add_up() -> None:
    areas = {"x": {"go": 5.0, "bun": 1.0}, "y": {"go": 1.0, "bun": 5.0}, "z": {"go": 3.0, "bun": 3.0}}
    first = robustness(areas, ["go", "bun"], samples=500)
    again = robustness(areas, ["go", "bun"], samples=500)
    assert first == again
    assert sum(first.wins.values()) == pytest.approx(1.0)
    assert 0.3 < first.wins["go"] < 0.7  # symmetric areas: each stack wins about half the weightings
    # each leans on the area it is best in, unless it wins most weightings (then no single area explains it)
    assert first.leaning == {s: ("" if first.wins[s] >= 0.5 else a) for s, a in (("go", "x"), ("bun", "y"))}
    assert sorted(first.leaning.values()) in (["", "x"], ["", "y"], ["x", "y"])


def test_a_stack_better_everywhere_wins_every_weighting() -> None:
    areas = {"x": {"go": 5.0, "bun": 4.0}, "y": {"go": 3.0, "bun": 2.0}}
    assert robustness(areas, ["go", "bun"], samples=200).wins == {"go": 1.0, "bun": 0.0}
