"""templates/phrases.yaml: the comparative sentences' words, checked as file:line: key: problems like every input."""

from __future__ import annotations

from pathlib import Path

import pytest

from report import pipeline
from report.errors import InputError, Problem
from report.inputs import phrases as phrases_module
from report.inputs.paths import TEMPLATES
from report.inputs.phrases import PHRASES, load, phrases
from tests.conftest import BUNDLED

SOUND = (TEMPLATES / "phrases.yaml").read_text(encoding="utf-8")


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "phrases.yaml"
    path.write_text(text, encoding="utf-8")
    found, problems = load(path)
    assert (found is None) == bool(problems)
    return [str(p) for p in problems]


def line_of(text: str, start: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def test_the_projects_phrases_are_sound_and_complete() -> None:
    said = phrases()
    assert set(said.text) == set(PHRASES)
    assert said.say("lead", leader="Go", verb=said.comparisons["startup"].one) == "Go starts fastest"
    assert said.comparisons["kept"].than == ""  # a ratio of kept throughput is not said as a comparative


def test_a_dropped_and_an_invented_placeholder_name_the_file_line_and_key(tmp_path: Path) -> None:
    text = SOUND.replace('lead: "{leader} {verb}"', 'lead: "{stack} {verb}"')
    assert text != SOUND
    line = line_of(text, "lead:")
    assert problems_of(tmp_path, text) == [
        f"templates/phrases.yaml:{line}: lead: unknown placeholder {{stack}}; "
        "this phrase can use: {leader}, {verb}",
        f"templates/phrases.yaml:{line}: lead: missing placeholder {{leader}}; the sentence needs it",
    ]


def test_every_problem_at_once_unknown_missing_and_unbalanced(tmp_path: Path) -> None:
    text = SOUND.replace("same_order:", "same_ordr:").replace(
        'tie: "within confidence intervals or drift: a tie"', 'tie: "within confidence intervals or drift: {a tie"'
    )
    text = text.replace("  startup: {one: starts fastest,", "  startup: {one: starts fastest, fast: quick,")
    found = problems_of(tmp_path, text)
    assert (
        f"templates/phrases.yaml:{line_of(text, 'same_ordr:')}: same_ordr: "
        "not a phrase the report uses; did you mean same_order?" in found
    )
    assert "templates/phrases.yaml: same_order: missing; the report needs this phrase" in found
    assert any(
        p.startswith(f"templates/phrases.yaml:{line_of(text, 'tie:')}: tie: expected {{placeholder}} braces")
        for p in found
    )
    assert any(p.startswith("templates/phrases.yaml:") and "comparisons.startup.fast: not a phrase" in p for p in found)
    assert len(found) == 4


def test_a_comparison_without_its_verb(tmp_path: Path) -> None:
    text = SOUND.replace("    one: serves the most requests\n", "")
    found = problems_of(tmp_path, text)
    assert len(found) == 1 and found[0].endswith("comparisons.throughput.one: missing; expected text")


def test_check_reports_unsound_phrases_with_the_data_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = Problem("templates/phrases.yaml", 3, "lead", "missing placeholder {leader}; the sentence needs it")
    monkeypatch.setattr(phrases_module, "check", lambda: [bad])
    with pytest.raises(InputError) as err:
        pipeline.load(BUNDLED)
    assert err.value.problems() == [bad]
