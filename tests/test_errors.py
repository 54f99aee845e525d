"""The error family: one problem per line, every problem at once (sorted, no repeats), short paths in messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from report.errors import BuildError, Collector, InputError, Problem, PublishError, display_path


def test_a_problem_is_one_line_with_its_location() -> None:
    assert str(Problem("data/report.yaml", 21, "stacks[0].color", "expected a colour")) == (
        "data/report.yaml:21: stacks[0].color: expected a colour"
    )
    assert str(Problem("data/report.yaml", None, "", "file not found")) == "data/report.yaml: file not found"
    assert str(Problem("a\nb.yaml", 1, "", "bad\r\nvalue")) == "a b.yaml:1: bad value"


def test_input_error_lists_every_problem_once_in_file_and_line_order() -> None:
    late = Problem("b.yaml", 9, "x", "late")
    early = Problem("a.yaml", 3, "y", "early")
    no_line = Problem("a.yaml", None, "", "whole file")
    error = InputError([late, early, late, no_line])
    assert error.problems() == [no_line, early, late]
    assert str(error).splitlines() == [str(no_line), str(early), str(late)]


def test_other_errors_are_one_problem_or_their_own_list() -> None:
    assert BuildError("disk full").problems() == [Problem("lead-magnet", None, "", "disk full")]
    listed = [Problem("out/manifest.json", None, "", "not found")]
    assert PublishError(listed).problems() == listed


def test_the_collector_raises_only_when_something_was_recorded() -> None:
    problems = Collector()
    problems.raise_if_any()
    problems.add("a.csv", 2, "stack", "expected one of go, bun")
    problems.extend([Problem("b.csv", None, "", "empty")])
    with pytest.raises(InputError) as raised:
        problems.raise_if_any()
    assert [p.file for p in raised.value.problems()] == ["a.csv", "b.csv"]


def test_display_path_is_relative_to_the_working_directory_when_it_can_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert display_path(tmp_path / "data" / "report.yaml") == "data/report.yaml"
    assert display_path(Path("/elsewhere/report.yaml")) == "/elsewhere/report.yaml"
    assert display_path(Path("/elsewhere/x/report.yaml"), root=Path("/elsewhere")) == "x/report.yaml"
