"""Rubric validation rules and the scoring arithmetic."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from report.errors import InputError
from report.pipeline import load
from report.rubric import Rubric, category_scores, load_rubric, overall_scores
from report.traces import trace_measures
from tests.conftest import BUNDLED, edit

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
    assert [p.message for p in problems] == [
        "unknown measure 'artifact_mb'; evidence.csv has: otel_packages",
        "unknown measure 'artifact_size_mb'; evidence.csv has: otel_packages",  # the size criterion's score_from
    ]


SIZE_RULE = """        score_from:
          measure: artifact_size_mb
          unit: MiB
          better: lower
          thresholds: {2: 200, 3: 100, 4: 40, 5: 10}
"""
EVIDENCE = {
    ("go", "artifact_size_mb"): (4.25, "MiB"),
    ("bun", "artifact_size_mb"): (104.2, "MiB"),
    ("fastapi", "artifact_size_mb"): (45.0, "MiB"),
}
MEASURES = {"artifact_size_mb": {"go", "bun", "fastapi"}}


def _size_rule(data_dir: Path) -> None:
    # the sample rubric's size criterion is scored from artifact_size_mb; its typed scores are go 5, bun 2, fastapi 4
    assert SIZE_RULE in (data_dir / "rubric.yaml").read_text(encoding="utf-8")


def test_a_typed_score_that_disagrees_with_its_measure_is_an_error_with_its_line(data_dir: Path) -> None:
    _size_rule(data_dir)
    _, problems = load_rubric(data_dir, "data", STACKS, MEASURES, EVIDENCE)
    text = (data_dir / "rubric.yaml").read_text(encoding="utf-8").splitlines()
    assert [str(p) for p in problems] == [
        f"data/rubric.yaml:{problems[0].line}: categories[1].criteria[1].scores.fastapi.score: expected 3, the level "
        "artifact_size_mb = 45 MiB reaches ('40 to 100 MiB'), found 4; leave the score out to compute it"
    ]
    assert text[(problems[0].line or 0) - 1].strip() == "score: 4"


def test_a_score_left_out_is_computed_from_the_measure(data_dir: Path) -> None:
    _size_rule(data_dir)
    edit(
        data_dir / "rubric.yaml",
        '            score: 4\n            evidence: "Site-packages',
        '            evidence: "Site-packages',
    )
    rubric, problems = load_rubric(data_dir, "data", STACKS, MEASURES, EVIDENCE)
    assert problems == [] and rubric is not None
    size = rubric.categories[1].criteria[1]
    assert {sid: e.score for sid, e in size.scores.items()} == {"go": 5, "bun": 2, "fastapi": 3}


def test_without_evidence_a_measured_criterion_needs_typed_scores(data_dir: Path) -> None:
    _size_rule(data_dir)
    edit(
        data_dir / "rubric.yaml",
        '            score: 4\n            evidence: "Site-packages',
        '            evidence: "Site-packages',
    )
    _, problems = load_rubric(data_dir, "data", STACKS)
    assert [f"{p.where}: {p.message}" for p in problems] == [
        "categories[1].criteria[1].scores.fastapi.score: no score, and evidence.csv has no artifact_size_mb "
        "to compute it from"
    ]


def test_a_measure_counted_for_some_stacks_only_is_an_error(data_dir: Path) -> None:
    _size_rule(data_dir)
    partial = {k: v for k, v in EVIDENCE.items() if k[0] != "fastapi"}
    _, problems = load_rubric(data_dir, "data", STACKS, MEASURES, partial)
    assert [p.message for p in problems] == [
        "evidence.csv has artifact_size_mb for go, bun but not for 'fastapi'; measure it for every stack or for none"
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "{2: 200, 3: 100, 4: 40, 5: 10}",
            "{2: 200, 3: 100, 5: 10}",
            "categories[1].criteria[1].score_from.thresholds: expected a bound for each level from 2 to 5, "
            "found levels 2, 3, 5",
        ),
        (
            "{2: 200, 3: 100, 4: 40, 5: 10}",
            "{2: 200, 3: 10, 4: 40, 5: 100}",
            "categories[1].criteria[1].score_from.thresholds: expected bounds that fall as the level rises "
            "(better: lower)",
        ),
        (
            "unit: MiB",
            "unit: MB",
            "categories[1].criteria[1].score_from.unit: expected the unit evidence.csv gives artifact_size_mb, "
            "'MiB', found 'MB'",
        ),
    ],
)
def test_score_from_rules(data_dir: Path, old: str, new: str, message: str) -> None:
    _size_rule(data_dir)
    edit(data_dir / "rubric.yaml", old, new)
    _, problems = load_rubric(data_dir, "data", STACKS, MEASURES, EVIDENCE)
    assert message in [f"{p.where}: {p.message}" for p in problems]


def test_every_measured_score_in_the_bundled_rubric_follows_its_evidence() -> None:
    """Walk the shipped rubric: each criterion with a measure scores every stack at the level its evidence reaches."""
    inputs = load(BUNDLED)
    evidence = {
        (str(s), str(m)): float(v)
        for s, m, v in zip(
            inputs.benchmarks.evidence["stack"],
            inputs.benchmarks.evidence["measure"],
            inputs.benchmarks.evidence["value"],
            strict=True,
        )
    }
    # the server-span criterion is scored from the captured traces (traces.json)
    evidence.update({k: v for k, (v, _unit) in trace_measures(inputs.benchmarks.traces, STACKS).items()})
    measured = [c for cat in inputs.rubric.categories for c in cat.criteria if c.score_from is not None]
    assert {c.id for c in measured} >= {"size", "footprint", "server_spans"}
    for criterion in measured:
        rule = criterion.score_from
        assert rule is not None
        for sid, entry in criterion.scores.items():
            assert entry.score == rule.level(evidence[(sid, rule.measure)], inputs.rubric.scale), (criterion.id, sid)


def test_a_typed_server_span_score_that_disagrees_with_the_captured_trace_is_an_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(BUNDLED, data)
    checks = trace_measures(load(data).benchmarks.traces, ["go"])[("go", "trace_server_span_checks")][0]
    typed = 1 if checks else 5
    edit(
        data / "rubric.yaml",
        '          go:\n            evidence: "Each net/http route',
        f'          go:\n            score: {typed}\n            evidence: "Each net/http route',
    )
    with pytest.raises(InputError) as caught:
        load(data)
    level = {0: 1, 1: 2, 2: 3, 3: 4, 4: 5}[int(checks)]
    meaning = load(BUNDLED).rubric.categories[0].criteria[1].levels[level]
    line = (data / "rubric.yaml").read_text(encoding="utf-8").splitlines().index(f"            score: {typed}") + 1
    assert [str(p) for p in caught.value.problems()] == [
        f"{data}/rubric.yaml:{line}: categories[0].criteria[1].scores.go.score: expected {level}, the level "
        f"trace_server_span_checks = {checks:g} checks reaches ('{meaning}'), found {typed}; leave the score out to "
        "compute it"
    ]
