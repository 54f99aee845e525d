"""Rubric validation rules and the scoring arithmetic."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from report import pipeline
from report.errors import BuildError, InputError
from report.inputs.rubric import (
    Rubric,
    Scale,
    ScoreFrom,
    StackScore,
    category_scores,
    load_rubric,
    overall_scores,
    score_of,
)
from report.inputs.traces import server_span, trace_measures, traced
from report.pipeline import load
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


def test_with_refused_evidence_rows_nothing_is_reported_missing_and_what_is_there_is_checked(data_dir: Path) -> None:
    # evidence.csv had a row that could not be read (reported with that file): fastapi's value may be in it, so its
    # absence is no problem of the rubric; go's typed score is still checked against go's value, which is there
    _size_rule(data_dir)
    edit(
        data_dir / "rubric.yaml", "        weight: 0.35\n", "        weight: 0.35\n        measures: [otel_packages]\n"
    )
    partial = {("go", "artifact_size_mb"): (150.0, "MiB"), ("bun", "artifact_size_mb"): (104.2, "MiB")}
    _, problems = load_rubric(
        data_dir, "data", STACKS, {"artifact_size_mb": {"go", "bun"}}, partial, evidence_complete=False
    )
    assert [f"{p.where}: {p.message}" for p in problems] == [
        "categories[1].criteria[1].scores.go.score: expected 2, the level artifact_size_mb = 150 MiB reaches "
        "('100 to 200 MiB'), found 5; leave the score out to compute it"
    ]
    # and with no problem of its own, a rubric whose computed score is unknown is not returned
    edit(
        data_dir / "rubric.yaml",
        '            score: 4\n            evidence: "Site-packages',
        '            evidence: "Site-packages',
    )
    right = {**partial, ("go", "artifact_size_mb"): (4.25, "MiB")}
    rubric, problems = load_rubric(
        data_dir, "data", STACKS, {"artifact_size_mb": {"go", "bun"}}, right, evidence_complete=False
    )
    assert (rubric, problems) == (None, [])
    # the same file against the whole evidence: what is not there is now missing
    _, problems = load_rubric(data_dir, "data", STACKS, MEASURES, EVIDENCE)
    assert [p.message for p in problems] == ["unknown measure 'otel_packages'; evidence.csv has: artifact_size_mb"]


def test_a_score_not_yet_computed_is_never_read_as_a_number() -> None:
    with pytest.raises(BuildError, match="a measured score was read before load_rubric computed it"):
        score_of(StackScore(evidence="Measured."))


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
        values = {sid: evidence[(sid, rule.measure)] for sid in criterion.scores}
        for sid, entry in criterion.scores.items():
            # its own level, or a higher one of a stack it lies within the tie margin of
            own = rule.level(values[sid], inputs.rubric.scale)
            m = rule.tie_margin
            ties = [
                rule.level(v, inputs.rubric.scale)
                for v in values.values()
                if (values[sid] <= v * (1 + m) if rule.better == "lower" else values[sid] >= v * (1 - m))
            ]
            assert entry.score == max([own, *ties]), (criterion.id, sid)


def test_identical_measured_evidence_gives_identical_scores(tmp_path: Path) -> None:
    # Bun measured like Go on the deployable-artifact criterion (no shared libraries, no installed runtime), yet
    # scored 4 against Go's 5: the typed scores must follow the evidence
    data = tmp_path / "data"
    shutil.copytree(BUNDLED, data)
    edit(
        data / "benchmarks" / "evidence.csv", "bun,shared_libraries,5.0,libraries", "bun,shared_libraries,0.0,libraries"
    )
    with pytest.raises(InputError) as caught:
        pipeline.load(data)
    found = [str(p) for p in caught.value.problems()]
    assert len(found) == 1
    assert found[0].endswith(
        "categories[1].criteria[0].scores: expected one score for stacks with identical measured evidence "
        "(shared_libraries = 0 libraries, needs_installed_runtime = 0 bool), "
        "found go 5, bun 4; score them alike, or set evidence_decides: false if the measures do not "
        "decide this criterion"
    ), found


def test_every_shipped_criterion_scores_identical_evidence_alike() -> None:
    rubric = pipeline.load(BUNDLED).rubric
    evidence = pipeline.compute(pipeline.load(BUNDLED)).stats.evidence
    for category in rubric.categories:
        for criterion in category.criteria:
            if not criterion.evidence_decides or not criterion.measures:
                continue
            by_evidence: dict[tuple[tuple[float, str], ...], set[int | None]] = {}
            for sid, entry in criterion.scores.items():
                if any((sid, m) not in evidence for m in criterion.measures):
                    continue
                key = tuple(evidence[(sid, m)] for m in criterion.measures)
                by_evidence.setdefault(key, set()).add(entry.score)
            assert all(len(scores) == 1 for scores in by_evidence.values()), criterion.id


def test_setup_effort_is_scored_from_the_measured_setup_lines() -> None:
    rubric = pipeline.load(BUNDLED).rubric
    setup = next(c for c in rubric.categories[0].criteria if c.id == "setup")
    # FastAPI's measured variant: 13 setup lines in the service, so "a few lines", not zero-code
    assert setup.scores["fastapi"].score == 4


def test_a_threshold_has_a_tie_margin_so_4_kib_costs_no_level() -> None:
    rule = ScoreFrom(
        measure="artifact_size_mb", better="lower", thresholds={2: 200, 3: 100, 4: 40, 5: 10}, tie_margin=0.05
    )
    scale = Scale(min=1, max=5)
    assert rule.level(10.0041, scale) == 5
    assert rule.level(10.6, scale) == 4
    assert ScoreFrom(measure="m", better="lower", thresholds={2: 200, 3: 100, 4: 40, 5: 10}).level(10.0041, scale) == 4
    # a level the margin decides says so; one reached outright says nothing
    assert rule.margin_note(104.2, "MiB", scale) == "104.2 MiB is within 5% of the 100 MiB bound, so it reaches 3."
    assert rule.margin_note(99.0, "MiB", scale) == "" and rule.margin_note(300.0, "MiB", scale) == ""
    # a value just beyond a margin is a knife edge too: the evidence says by how much it missed
    assert rule.margin_note(105.33, "MiB", scale) == (
        "105.3 MiB misses the 100 MiB bound's 5% margin by 0.3 MiB, so it stays at 2."
    )
    # stacks within the margin of each other tie, whichever side of a bound each falls (review 9: 104.2 and 105.3 MiB
    # were a level apart); no chains: 110.0 ties with neither 104.2 (5.6 % apart) nor anything at level 3
    assert rule.levels({"bun": 104.24, "fastapi": 105.33, "go": 19.7, "x": 110.0}, scale) == {
        "bun": 3,
        "fastapi": 3,
        "go": 4,
        "x": 2,
    }
    higher = ScoreFrom(measure="m", better="higher", thresholds={3: 100}, tie_margin=0.05)
    assert higher.margin_note(96.0, "%", scale).startswith("96.0 % is within 5% of the 100 % bound")
    assert higher.margin_note(100.0, "%", scale) == ""


def test_the_bundled_scores_say_where_the_tie_margin_decided_the_level() -> None:
    rubric = load(BUNDLED).rubric
    artifact = next(
        c
        for cat in rubric.categories
        for c in cat.criteria
        if c.score_from is not None and c.score_from.measure == "otel_artifact_size_mb"
    )
    assert artifact.score_from is not None
    ev = load(BUNDLED).benchmarks.evidence
    row = ev[(ev["stack"] == "bun") & (ev["measure"] == artifact.score_from.measure)].iloc[0]
    noted = "is within 5% of the" in artifact.scores["bun"].evidence
    assert noted == bool(artifact.score_from.margin_note(float(row.value), str(row.unit), rubric.scale))


def test_a_typed_server_span_score_that_disagrees_with_the_captured_trace_is_an_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(BUNDLED, data)
    checks = trace_measures(load(data).benchmarks.traces, ["go"])[("go", "trace_server_span_checks")][0]
    typed = 1 if checks else 5
    edit(
        data / "rubric.yaml",
        '          go:\n            evidence: "In otelhttp v0.72',
        f'          go:\n            score: {typed}\n            evidence: "In otelhttp v0.72',
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


def test_a_server_span_without_a_required_attribute_cannot_score_5(tmp_path: Path) -> None:
    """Bun's captured /json server span lacks url.path and url.scheme, which the stable HTTP server span convention
    marks Required (report/inputs/semconv_levels.yaml): 4, not 5. The same trace with them set scores 5, and a typed
    5 against the shipped trace is an error."""
    shipped = load(BUNDLED)
    bun = traced(shipped.benchmarks.traces, "bun", "json")
    assert bun is not None
    span = server_span(bun)
    assert span is not None and not {"url.path", "url.scheme"} & set(span.attributes)
    spans = next(c for c in shipped.rubric.categories[0].criteria if c.id == "server_spans")
    assert {sid: e.score for sid, e in spans.scores.items()} == {"go": 5, "bun": 4, "fastapi": 5}

    data = tmp_path / "data"
    shutil.copytree(BUNDLED, data)
    path = data / "benchmarks" / "traces.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    for t in doc["traces"]:
        if (t["stack"], t["variant"], t["endpoint"]) == ("bun", "otel", "json"):
            t["spans"][0]["attributes"] |= {"url.path": "/json", "url.scheme": "http"}
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    completed = next(c for c in load(data).rubric.categories[0].criteria if c.id == "server_spans")
    assert completed.scores["bun"].score == 5

    shutil.rmtree(data)
    shutil.copytree(BUNDLED, data)
    edit(
        data / "rubric.yaml",
        '          bun:\n            evidence: "The @hono/otel middleware',
        '          bun:\n            score: 5\n            evidence: "The @hono/otel middleware',
    )
    with pytest.raises(InputError) as caught:
        load(data)
    line = (data / "rubric.yaml").read_text(encoding="utf-8").splitlines().index("            score: 5") + 1
    assert [str(p) for p in caught.value.problems()] == [
        f"{data}/rubric.yaml:{line}: categories[0].criteria[1].scores.bun.score: expected 4, the level "
        "trace_server_span_checks = 3 checks reaches ('A server span named after its route, lacking an attribute the "
        "stable conventions require or using a deprecated name'), found 5; leave the score out to compute it"
    ]
