"""Rubric validation rules and the scoring arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from report.rubric import Rubric, Scale, category_scores, load_rubric, overall_scores, relative_score
from tests.conftest import edit

STACKS = ["go", "bun", "fastapi"]


def _rubric(data_dir: Path) -> Rubric:
    rubric, problems = load_rubric(data_dir, "data", STACKS)
    assert problems == [] and rubric is not None
    return rubric


def test_category_score_is_the_weighted_sum_of_criteria(data_dir: Path) -> None:
    rubric = _rubric(data_dir)
    results = {r.id: r.scores for r in category_scores(rubric, STACKS)}
    # otel: setup .35, server_spans .30, footprint .20, maturity .15
    assert results["otel"]["go"] == pytest.approx(0.35 * 3 + 0.30 * 3 + 0.20 * 4 + 0.15 * 5)
    assert results["otel"]["bun"] == pytest.approx(0.35 * 2 + 0.30 * 1 + 0.20 * 1 + 0.15 * 2)
    assert results["deployment"]["go"] == pytest.approx(5.0)


def test_relative_score_maps_best_to_max_and_scales_the_rest() -> None:
    scale = Scale(min=1, max=5)
    assert relative_score(4.0, 4.0, True, scale) == pytest.approx(5.0)
    assert relative_score(8.0, 4.0, True, scale) == pytest.approx(3.0)  # half as good: 1 + 4 * 0.5
    assert relative_score(50.0, 100.0, False, scale) == pytest.approx(3.0)


def test_overall_is_the_weighted_sum_of_area_scores() -> None:
    areas = {"a": {"x": 5.0, "y": 1.0}, "b": {"x": 1.0, "y": 3.0}}
    assert overall_scores(areas, {"a": 0.25, "b": 0.75}) == pytest.approx({"x": 2.0, "y": 2.5})


def test_overall_weights_default_to_equal(data_dir: Path) -> None:
    text = (data_dir / "rubric.yaml").read_text(encoding="utf-8")
    start = text.index("overall:")
    end = text.index("categories:")
    (data_dir / "rubric.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    weights = _rubric(data_dir).area_weights()
    assert weights == pytest.approx({a: 0.2 for a in ("startup", "memory", "throughput", "otel", "deployment")})


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  startup: 0.2", "  startup: 0.3", "overall: expected the area weights to add up to 1, found 1.1"),
        (
            "  startup: 0.2",
            "  startups: 0.2",
            "overall.startups: unknown area; expected one of: startup, memory, throughput, otel, deployment",
        ),
        (
            '          1: "Custom code or unsupported workarounds needed"\n',
            "",
            "categories[0].criteria[0].levels: expected a meaning for every score; score 1 has none",
        ),
        ("  max: 5", "  max: 1", "scale: expected max to be greater than min, found min 1 and max 1"),
        (
            "      - id: server_spans",
            "      - id: setup",
            "categories[0].criteria: each criterion id must appear once; repeated: setup",
        ),
    ],
)
def test_rubric_rules(data_dir: Path, old: str, new: str, message: str) -> None:
    edit(data_dir / "rubric.yaml", old, new)
    _, problems = load_rubric(data_dir, "data", STACKS)
    assert message in [f"{p.where}: {p.message}" for p in problems]


def test_cited_measures_must_exist_in_the_evidence(data_dir: Path) -> None:
    edit(data_dir / "rubric.yaml", "        weight: 0.35\n", "        weight: 0.35\n        measures: [artifact_mb]\n")
    _, problems = load_rubric(data_dir, "data", STACKS, measures={"otel_packages": {"go"}})
    assert [p.message for p in problems] == ["unknown measure 'artifact_mb'; evidence.csv has: otel_packages"]
